// The occlusion panel (figure 7 of Zeiler and Fergus for one image). One panel at a time; "Run
// again" re-runs unitscope/occlude with the form's parameters in a progress notification and
// redraws. It survives window reloads through its serializer and the state its webview persists.

import * as vscode from "vscode";
import type { Ctx } from "./ctx";
import { describeFailure } from "./errors";
import { buildOcclusionHtml } from "./occlusionHtml";
import {
  limitsOf,
  parseOcclusionMessage,
  parseOcclusionPanelState,
  type HostToOcclusion,
  type OcclusionPanelState,
  type OcclusionRequest,
} from "./occlusionMessages";
import type { OccludeResult } from "./protocol.generated";
import { PanelBase, PanelSlot } from "./webviewPanel";

/** Runs one occlusion for the panel (the command's runner; injected to keep this file free of the command's imports). */
export type OcclusionRunner = (modelId: string, image: vscode.Uri, request: OcclusionRequest) => Promise<OccludeResult>;

export class OcclusionPanel extends PanelBase<HostToOcclusion> {
  private static readonly slot = new PanelSlot<OcclusionPanelState, OcclusionPanel>({
    viewType: "unitscope.occlusion",
    name: "occlusion",
    script: "occlusion.js",
    style: "analysis.css",
    parseState: parseOcclusionPanelState,
  });

  private busy = false;

  static show(ctx: Ctx, state: OcclusionPanelState, runner: OcclusionRunner): OcclusionPanel {
    const existing = OcclusionPanel.slot.current;
    if (existing) {
      existing.runner = runner;
      existing.update(state);
      existing.reveal();
      return existing;
    }
    return OcclusionPanel.slot.open(ctx, OcclusionPanel.title(state), (panel) => new OcclusionPanel(panel, ctx, state, runner));
  }

  static registerSerializer(ctx: Ctx, runner: OcclusionRunner): vscode.Disposable {
    return OcclusionPanel.slot.registerSerializer(ctx, (panel, state) => new OcclusionPanel(panel, ctx, state, runner));
  }

  private static title(state: OcclusionPanelState): string {
    return `Occlusion · ${state.image.name}`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    ctx: Ctx,
    private state: OcclusionPanelState,
    private runner: OcclusionRunner,
  ) {
    super(panel, ctx, OcclusionPanel.slot);
    this.render();
  }

  private update(state: OcclusionPanelState): void {
    // Keep the opacity the user chose.
    this.state = { ...state, opacity: this.state.opacity };
    this.render();
  }

  private render(): void {
    this.panel.title = OcclusionPanel.title(this.state);
    this.showPage(buildOcclusionHtml({ ...this.resources(), state: this.state }));
  }

  protected async onMessage(raw: unknown): Promise<void> {
    const message = this.received(raw, (m) => parseOcclusionMessage(m, limitsOf(this.state)));
    if (!message) return;
    switch (message.type) {
      case "invalid":
        this.post({ type: "error", message: message.error });
        return;
      case "openImage":
        await vscode.commands.executeCommand("vscode.open", vscode.Uri.parse(this.state.image.uri));
        return;
      case "rerun": {
        if (this.busy) return;
        this.busy = true;
        this.post({ type: "busy", text: "Running…" });
        try {
          const result = await this.runner(this.modelIdOf(this.state.model), vscode.Uri.parse(this.state.image.uri), message.request);
          this.update({ ...this.state, request: message.request, result });
        } catch (e) {
          const failure = describeFailure(e);
          this.post(failure.cancelled ? { type: "idle" } : { type: "error", message: failure.message });
        } finally {
          this.busy = false;
        }
        return;
      }
    }
  }
}
