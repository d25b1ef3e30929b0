// The invariance panel (figure 5 of Zeiler and Fergus for a set of images). One panel at a time (a
// new run replaces what it shows); it survives window reloads through its serializer.

import * as vscode from "vscode";
import type { Ctx } from "../ctx";
import { PanelBase, PanelSlot } from "../webviewPanel";
import { buildInvarianceHtml } from "./invarianceHtml";
import { parseInvariancePanelState, type InvariancePanelState } from "./invarianceMessages";

export class InvariancePanel extends PanelBase<never> {
  private static readonly slot = new PanelSlot<InvariancePanelState, InvariancePanel>({
    viewType: "unitscope.invariance",
    name: "invariance",
    script: "invariance.js",
    style: "analysis.css",
    parseState: parseInvariancePanelState,
  });

  static show(ctx: Ctx, state: InvariancePanelState): InvariancePanel {
    const existing = InvariancePanel.slot.current;
    if (existing) {
      existing.state = state;
      existing.render();
      existing.reveal();
      return existing;
    }
    return InvariancePanel.slot.open(ctx, InvariancePanel.title(state), (panel) => new InvariancePanel(panel, ctx, state));
  }

  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return InvariancePanel.slot.registerSerializer(ctx, (panel, state) => new InvariancePanel(panel, ctx, state));
  }

  private static title(state: InvariancePanelState): string {
    return `Invariance · ${state.result.images.join(", ")}`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    ctx: Ctx,
    private state: InvariancePanelState,
  ) {
    super(panel, ctx, InvariancePanel.slot);
    this.render();
  }

  private render(): void {
    this.panel.title = InvariancePanel.title(this.state);
    this.showPage(buildInvarianceHtml({ ...this.resources(), state: this.state }));
  }

  protected onMessage(): void {
    // The page sends nothing.
  }
}
