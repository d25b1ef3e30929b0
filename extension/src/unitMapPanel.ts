// The unit-map panel: one unit's activation map over one image. One panel at a time; it
// survives window reloads through its serializer and the state its webview persists.

import * as path from "node:path";
import * as vscode from "vscode";
import type { Ctx } from "./ctx";
import { DaemonUnavailable } from "./ctx";
import { describeFailure } from "./errors";
import {
  DEFAULT_OPACITY,
  parseUnitMapMessage,
  parseUnitMapPanelState,
  validateUnitInput,
  type HostToUnitMap,
  type UnitMapPanelState,
  type UnitMapView,
} from "./unitMapMessages";
import { buildUnitMapHtml, imageMime } from "./panelHtml";
import type { LayerInfo, ModelInfo } from "./protocol.generated";
import type { CancelToken } from "./rpc";
import { PanelBase, PanelSlot } from "./webviewPanel";

/** Images larger than this are not embedded under the overlay (the overlay alone is shown). */
const MAX_BASE_IMAGE_BYTES = 8 * 1024 * 1024;

/** What a unit map is computed for: everything in a view but the unit and the daemon's answer. */
export type UnitMapTarget = Pick<UnitMapView, "modelId" | "checkpointHash" | "modelLabel" | "layer" | "layerKind" | "units" | "imagePath">;

export function unitMapTarget(model: ModelInfo, layer: LayerInfo, imagePath: string): UnitMapTarget {
  return {
    modelId: model.modelId,
    checkpointHash: model.checkpointHash,
    modelLabel: `${path.basename(model.path)} (${model.architecture})`,
    layer: layer.name,
    layerKind: layer.kind,
    units: layer.units,
    imagePath,
  };
}

/** Asks the daemon for one unit's map and packs it with what the panel needs to show it. */
export async function computeUnitMapView(ctx: Ctx, target: UnitMapTarget, unit: number, token?: CancelToken): Promise<UnitMapView> {
  const r = await ctx.request("unitscope/unitMap", { modelId: target.modelId, layer: target.layer, unit, imagePath: target.imagePath }, token);
  return {
    ...target,
    unit: r.unit,
    mapWidth: r.mapWidth,
    mapHeight: r.mapHeight,
    min: r.min,
    max: r.max,
    mean: r.mean,
    imageWidth: r.imageWidth,
    imageHeight: r.imageHeight,
    overlayPng: r.overlayPng,
    preprocessing: r.preprocessing,
  };
}

export class UnitMapPanel extends PanelBase<HostToUnitMap> {
  private static readonly slot = new PanelSlot<UnitMapPanelState, UnitMapPanel>({
    viewType: "unitscope.unitMap",
    name: "unit-map",
    script: "unitMap.js",
    style: "unitMap.css",
    parseState: parseUnitMapPanelState,
    preserveFocus: true,
  });

  private busy = false;

  /** Shows `view` in the panel, creating the panel when there is none. */
  static createOrShow(ctx: Ctx, view: UnitMapView): UnitMapPanel {
    const existing = UnitMapPanel.slot.current;
    if (existing) {
      existing.show(view);
      existing.reveal();
      return existing;
    }
    return UnitMapPanel.slot.open(ctx, UnitMapPanel.title(view), (panel) => new UnitMapPanel(panel, ctx, { version: 1, view, opacity: DEFAULT_OPACITY }));
  }

  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return UnitMapPanel.slot.registerSerializer(ctx, (panel, state) => new UnitMapPanel(panel, ctx, state));
  }

  private static title(view: UnitMapView): string {
    return `Map · unit ${view.unit} · ${view.layer}`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    ctx: Ctx,
    private state: UnitMapPanelState,
  ) {
    super(panel, ctx, UnitMapPanel.slot);
    void this.render();
  }

  private show(view: UnitMapView): void {
    this.state = { ...this.state, view };
    void this.render();
  }

  private async render(): Promise<void> {
    const { view } = this.state;
    const baseImage = await readBaseImage(view.imagePath);
    this.panel.title = UnitMapPanel.title(view);
    this.showPage(buildUnitMapHtml({ ...this.resources(), state: this.state, baseImage }));
  }

  protected async onMessage(raw: unknown): Promise<void> {
    const message = this.received(raw, parseUnitMapMessage);
    if (!message) return;
    switch (message.type) {
      case "showUnit":
        await this.showUnit(message.unit);
        return;
      case "pickUnit": {
        const { view } = this.state;
        const text = await vscode.window.showInputBox({
          title: `Unit of ${view.layer}`,
          prompt: `0 to ${view.units - 1}`,
          value: String(view.unit),
          validateInput: (t) => validateUnitInput(t, view.units),
        });
        if (text !== undefined) await this.showUnit(Number(text.trim()));
        return;
      }
      case "openImage":
        await vscode.commands.executeCommand("vscode.open", vscode.Uri.file(this.state.view.imagePath));
        return;
    }
  }

  /** Recomputes the map for another unit of the same layer and image. */
  private async showUnit(unit: number): Promise<void> {
    const { view } = this.state;
    if (this.busy || unit < 0 || unit >= view.units) return;
    // The daemon may have restarted since this map was made.
    const target: UnitMapTarget = { ...view, modelId: this.modelIdOf(view) };
    this.busy = true;
    this.post({ type: "busy", text: `Computing unit ${unit}…` });
    try {
      this.show(await computeUnitMapView(this.ctx, target, unit));
    } catch (e) {
      const failure = describeFailure(e);
      if (!failure.cancelled) this.post({ type: "error", message: failure.message });
      if (!(e instanceof DaemonUnavailable)) this.ctx.output.error(`unitMap ${view.layer}#${unit}: ${failure.message}`);
    } finally {
      this.busy = false;
    }
  }
}

async function readBaseImage(file: string): Promise<{ mime: string; base64: string } | undefined> {
  const mime = imageMime(file);
  if (!mime) return undefined;
  try {
    const uri = vscode.Uri.file(file);
    const stat = await vscode.workspace.fs.stat(uri);
    if (stat.size > MAX_BASE_IMAGE_BYTES) return undefined;
    const bytes = await vscode.workspace.fs.readFile(uri);
    return { mime, base64: Buffer.from(bytes).toString("base64") };
  } catch {
    return undefined;
  }
}
