// The ablation panel: accuracy per class before and after zeroing units of a layer, the overall
// accuracy, and the random control beside them. One panel at a time (a new ablation replaces what
// it shows); it survives window reloads through its serializer and the state its webview persists.

import * as vscode from "vscode";
import { buildAblationHtml } from "./ablationHtml";
import { parseAblationMessage, parseAblationPanelState, type AblationPanelState } from "./ablationMessages";
import type { Ctx } from "./ctx";

export class AblationPanel {
  static readonly viewType = "unitscope.ablation";
  private static current: AblationPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];

  /** Shows a result: in the open panel, else in a new one beside the editor. */
  static show(ctx: Ctx, state: AblationPanelState): AblationPanel {
    const existing = AblationPanel.current;
    if (existing) {
      existing.state = state;
      existing.render();
      existing.panel.reveal(undefined, true);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      AblationPanel.viewType,
      AblationPanel.title(state),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      AblationPanel.webviewOptions(ctx.extensionUri),
    );
    AblationPanel.current = new AblationPanel(panel, ctx, state);
    return AblationPanel.current;
  }

  /** Re-attaches a panel VS Code restored after a reload; one without a usable state is closed. */
  static revive(panel: vscode.WebviewPanel, ctx: Ctx, persisted: unknown): void {
    const state = parseAblationPanelState(persisted);
    if (!state) {
      ctx.output.warn("Closing a restored ablation panel: its saved state is missing or unreadable.");
      panel.dispose();
      return;
    }
    AblationPanel.current?.dispose();
    panel.webview.options = AblationPanel.webviewOptions(ctx.extensionUri);
    AblationPanel.current = new AblationPanel(panel, ctx, state);
  }

  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(AblationPanel.viewType, {
      deserializeWebviewPanel: async (panel, state) => AblationPanel.revive(panel, ctx, state),
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

  private static title(state: AblationPanelState): string {
    return `Ablation · ${state.result.layer}`;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly ctx: Ctx,
    private state: AblationPanelState,
  ) {
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw) => this.onMessage(raw)),
    );
    this.render();
  }

  private render(): void {
    const webview = this.panel.webview;
    const media = vscode.Uri.joinPath(this.ctx.extensionUri, "media");
    this.panel.title = AblationPanel.title(this.state);
    webview.html = buildAblationHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "ablation.js")).toString(),
      baseStyleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "base.css")).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "analysis.css")).toString(),
      state: this.state,
    });
  }

  /** The daemon may have restarted: the active model's id when it was loaded from the same bytes. */
  private modelId(): string {
    const active = this.ctx.activeModel;
    return active && active.checkpointHash === this.state.model.checkpointHash ? active.modelId : this.state.model.modelId;
  }

  private onMessage(raw: unknown): void {
    const message = parseAblationMessage(raw);
    if (!message) {
      this.ctx.output.warn(`Ignored an unknown message from the ablation panel: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    const layer = this.state.result.layer;
    switch (message.type) {
      case "ablateAgain":
        void vscode.commands.executeCommand("unitscope.ablateUnits", { modelId: this.modelId(), layer });
        return;
      case "rankUnits":
        void vscode.commands.executeCommand("unitscope.rankUnits", { modelId: this.modelId(), layer, class: message.class });
        return;
    }
  }

  dispose(): void {
    if (AblationPanel.current === this) AblationPanel.current = undefined;
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}
