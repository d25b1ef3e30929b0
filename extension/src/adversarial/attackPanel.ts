// The adversarial panel. One panel at a time (a new attack replaces what it shows); it survives window
// reloads through its serializer. A unit the page names opens its card (unitscope.openUnitCard, which
// offers to dissect the layer first when it is not).

import * as vscode from "vscode";
import type { Ctx } from "../ctx";
import { PanelBase, PanelSlot } from "../webviewPanel";
import { buildAttackHtml } from "./attackHtml";
import { parseAttackMessage, parseAttackPanelState, type AttackPanelState } from "./attackMessages";

export class AttackPanel extends PanelBase<never> {
  private static readonly slot = new PanelSlot<AttackPanelState, AttackPanel>({
    viewType: "unitscope.attack",
    name: "adversarial",
    script: "attack.js",
    style: "attack.css",
    parseState: parseAttackPanelState,
  });

  static show(ctx: Ctx, state: AttackPanelState): AttackPanel {
    const existing = AttackPanel.slot.current;
    if (existing) {
      existing.state = state;
      existing.render();
      existing.reveal();
      return existing;
    }
    return AttackPanel.slot.open(ctx, AttackPanel.title(state), (panel) => new AttackPanel(panel, ctx, state));
  }

  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return AttackPanel.slot.registerSerializer(ctx, (panel, state) => new AttackPanel(panel, ctx, state));
  }

  private static title(state: AttackPanelState): string {
    return `Attack · ${state.result.layer}`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    ctx: Ctx,
    private state: AttackPanelState,
  ) {
    super(panel, ctx, AttackPanel.slot);
    this.render();
  }

  private render(): void {
    this.panel.title = AttackPanel.title(this.state);
    this.showPage(buildAttackHtml({ ...this.resources(), state: this.state }));
  }

  protected onMessage(raw: unknown): void {
    const message = this.received(raw, (m) => parseAttackMessage(m, this.state.result));
    if (!message) return;
    void vscode.commands.executeCommand("unitscope.openUnitCard", {
      modelId: this.modelIdOf(this.state.model),
      layer: this.state.result.layer,
      unit: message.unit,
    });
  }
}
