// The unit-gallery panel. One panel at a time; "Show" re-runs unitscope/unitGallery with the form's
// unit, method and k in a progress notification and redraws (another unit of the layer comes from
// the daemon's cache at once). It survives window reloads through its serializer and the state its
// webview persists.

import * as vscode from "vscode";
import type { Ctx } from "../ctx";
import { describeFailure } from "../errors";
import type { UnitGalleryResult } from "../protocol.generated";
import { PanelBase, PanelSlot } from "../webviewPanel";
import { buildGalleryHtml } from "./galleryHtml";
import { parseGalleryMessage, parseGalleryPanelState, type GalleryPanelState, type GalleryRequest, type HostToGallery } from "./galleryMessages";

/** Runs one gallery for the panel (the command's runner, injected). */
export type GalleryRunner = (modelId: string, layer: string, dataset: string, request: GalleryRequest) => Promise<UnitGalleryResult>;

export class GalleryPanel extends PanelBase<HostToGallery> {
  private static readonly slot = new PanelSlot<GalleryPanelState, GalleryPanel>({
    viewType: "unitscope.gallery",
    name: "unit gallery",
    script: "gallery.js",
    style: "gallery.css",
    parseState: parseGalleryPanelState,
  });

  private busy = false;

  static show(ctx: Ctx, state: GalleryPanelState, runner: GalleryRunner): GalleryPanel {
    const existing = GalleryPanel.slot.current;
    if (existing) {
      existing.runner = runner;
      existing.update(state);
      existing.reveal();
      return existing;
    }
    return GalleryPanel.slot.open(ctx, GalleryPanel.title(state), (panel) => new GalleryPanel(panel, ctx, state, runner));
  }

  static registerSerializer(ctx: Ctx, runner: GalleryRunner): vscode.Disposable {
    return GalleryPanel.slot.registerSerializer(ctx, (panel, state) => new GalleryPanel(panel, ctx, state, runner));
  }

  private static title(state: GalleryPanelState): string {
    return `Gallery · ${state.layer} unit ${state.result.unit}`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    ctx: Ctx,
    private state: GalleryPanelState,
    private runner: GalleryRunner,
  ) {
    super(panel, ctx, GalleryPanel.slot);
    this.render();
  }

  private update(state: GalleryPanelState): void {
    this.state = state;
    this.render();
  }

  private render(): void {
    this.panel.title = GalleryPanel.title(this.state);
    this.showPage(buildGalleryHtml({ ...this.resources(), state: this.state }));
  }

  protected async onMessage(raw: unknown): Promise<void> {
    const message = this.received(raw, (m) => parseGalleryMessage(m, this.state.model.units));
    if (!message) return;
    if (message.type === "invalid") {
      this.post({ type: "error", message: message.error });
      return;
    }
    if (this.busy) return;
    this.busy = true;
    this.post({ type: "busy", text: "Running…" });
    try {
      const result = await this.runner(this.modelIdOf(this.state.model), this.state.layer, this.state.dataset, message.request);
      this.update({ ...this.state, request: message.request, result });
    } catch (e) {
      const failure = describeFailure(e);
      this.post(failure.cancelled ? { type: "idle" } : { type: "error", message: failure.message });
    } finally {
      this.busy = false;
    }
  }
}
