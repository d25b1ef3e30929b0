// The occlusion panel (figure 7 of Zeiler and Fergus for one image). One panel at a time; "Run
// again" re-runs unitscope/occlude with the form's parameters in a progress notification and
// redraws. It survives window reloads through its serializer and the state its webview persists.

import * as vscode from "vscode";
import type { Ctx } from "./ctx";
import { describeFailure } from "./errors";
import { buildOcclusionHtml } from "./occlusionHtml";
import { limitsOf, parseOcclusionMessage, parseOcclusionPanelState, type HostToOcclusion, type OcclusionPanelState, type OcclusionRequest } from "./occlusionMessages";
import type { OccludeResult } from "./protocol.generated";

/** Runs one occlusion for the panel (the command's runner; injected to keep this file free of the command's imports). */
export type OcclusionRunner = (modelId: string, image: vscode.Uri, request: OcclusionRequest) => Promise<OccludeResult>;

export class OcclusionPanel {
  static readonly viewType = "unitscope.occlusion";
  private static current: OcclusionPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private busy = false;

  static show(ctx: Ctx, state: OcclusionPanelState, runner: OcclusionRunner): OcclusionPanel {
    const existing = OcclusionPanel.current;
    if (existing) {
      existing.runner = runner;
      existing.update(state);
      existing.panel.reveal(undefined, true);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      OcclusionPanel.viewType,
      OcclusionPanel.title(state),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      OcclusionPanel.webviewOptions(ctx.extensionUri),
    );
    OcclusionPanel.current = new OcclusionPanel(panel, ctx, state, runner);
    return OcclusionPanel.current;
  }

  static revive(panel: vscode.WebviewPanel, ctx: Ctx, persisted: unknown, runner: OcclusionRunner): void {
    const state = parseOcclusionPanelState(persisted);
    if (!state) {
      ctx.output.warn("Closing a restored occlusion panel: its saved state is missing or unreadable.");
      panel.dispose();
      return;
    }
    OcclusionPanel.current?.dispose();
    panel.webview.options = OcclusionPanel.webviewOptions(ctx.extensionUri);
    OcclusionPanel.current = new OcclusionPanel(panel, ctx, state, runner);
  }

  static registerSerializer(ctx: Ctx, runner: OcclusionRunner): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(OcclusionPanel.viewType, {
      deserializeWebviewPanel: async (panel, state) => OcclusionPanel.revive(panel, ctx, state, runner),
    });
  }

  private static webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      enableCommandUris: false,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, "media")],
    };
  }

  private static title(state: OcclusionPanelState): string {
    return `Occlusion · ${state.image.name}`;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly ctx: Ctx,
    private state: OcclusionPanelState,
    private runner: OcclusionRunner,
  ) {
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw) => void this.onMessage(raw)),
    );
    this.render();
  }

  private update(state: OcclusionPanelState): void {
    // Keep the opacity the user chose.
    this.state = { ...state, opacity: this.state.opacity };
    this.render();
  }

  private render(): void {
    const webview = this.panel.webview;
    const media = vscode.Uri.joinPath(this.ctx.extensionUri, "media");
    this.panel.title = OcclusionPanel.title(this.state);
    webview.html = buildOcclusionHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "occlusion.js")).toString(),
      baseStyleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "base.css")).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "analysis.css")).toString(),
      state: this.state,
    });
  }

  private post(message: HostToOcclusion): void {
    void this.panel.webview.postMessage(message);
  }

  private modelId(): string {
    const active = this.ctx.activeModel;
    return active && active.checkpointHash === this.state.model.checkpointHash ? active.modelId : this.state.model.modelId;
  }

  private async onMessage(raw: unknown): Promise<void> {
    const message = parseOcclusionMessage(raw, limitsOf(this.state));
    if (!message) {
      this.ctx.output.warn(`Ignored an unknown message from the occlusion panel: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
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
          const result = await this.runner(this.modelId(), vscode.Uri.parse(this.state.image.uri), message.request);
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

  dispose(): void {
    if (OcclusionPanel.current === this) OcclusionPanel.current = undefined;
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}
