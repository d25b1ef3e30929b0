// The ablation panel: accuracy per class before and after zeroing units of a layer, the overall
// accuracy, and the random control beside them. One panel at a time (a new ablation replaces what
// it shows); it survives window reloads through its serializer and the state its webview persists.

import * as vscode from "vscode";
import { buildAblationHtml } from "./ablationHtml";
import { parseAblationMessage, parseAblationPanelState, type AblationPanelState } from "./ablationMessages";
import type { Ctx } from "./ctx";
import { PanelBase, PanelSlot } from "./webviewPanel";

export class AblationPanel extends PanelBase<never> {
  private static readonly slot = new PanelSlot<AblationPanelState, AblationPanel>({
    viewType: "unitscope.ablation",
    name: "ablation",
    script: "ablation.js",
    style: "analysis.css",
    parseState: parseAblationPanelState,
  });

  /** Shows a result: in the open panel, else in a new one beside the editor. */
  static show(ctx: Ctx, state: AblationPanelState): AblationPanel {
    const existing = AblationPanel.slot.current;
    if (existing) {
      existing.state = state;
      existing.render();
      existing.reveal();
      return existing;
    }
    return AblationPanel.slot.open(ctx, AblationPanel.title(state), (panel) => new AblationPanel(panel, ctx, state));
  }

  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return AblationPanel.slot.registerSerializer(ctx, (panel, state) => new AblationPanel(panel, ctx, state));
  }

  private static title(state: AblationPanelState): string {
    return `Ablation · ${state.result.layer}`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    ctx: Ctx,
    private state: AblationPanelState,
  ) {
    super(panel, ctx, AblationPanel.slot);
    this.render();
  }

  private render(): void {
    this.panel.title = AblationPanel.title(this.state);
    this.showPage(buildAblationHtml({ ...this.resources(), state: this.state }));
  }

  protected onMessage(raw: unknown): void {
    const message = this.received(raw, parseAblationMessage);
    if (!message) return;
    const modelId = this.modelIdOf(this.state.model);
    const layer = this.state.result.layer;
    switch (message.type) {
      case "ablateAgain":
        void vscode.commands.executeCommand("unitscope.ablateUnits", { modelId, layer });
        return;
      case "rankUnits":
        void vscode.commands.executeCommand("unitscope.rankUnits", { modelId, layer, class: message.class });
        return;
    }
  }
}
