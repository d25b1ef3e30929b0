// The correspondence panel (table 1 of Zeiler and Fergus for a boxes file). One panel at a time (a
// new run replaces what it shows); it survives window reloads through its serializer.

import * as vscode from "vscode";
import type { Ctx } from "../ctx";
import { PanelBase, PanelSlot } from "../webviewPanel";
import { buildCorrespondenceHtml } from "./correspondenceHtml";
import { parseCorrespondencePanelState, type CorrespondencePanelState } from "./correspondenceMessages";

export class CorrespondencePanel extends PanelBase<never> {
  private static readonly slot = new PanelSlot<CorrespondencePanelState, CorrespondencePanel>({
    viewType: "unitscope.correspondence",
    name: "correspondence",
    script: "correspondence.js",
    style: "analysis.css",
    parseState: parseCorrespondencePanelState,
  });

  static show(ctx: Ctx, state: CorrespondencePanelState): CorrespondencePanel {
    const existing = CorrespondencePanel.slot.current;
    if (existing) {
      existing.state = state;
      existing.render();
      existing.reveal();
      return existing;
    }
    return CorrespondencePanel.slot.open(ctx, CorrespondencePanel.title(state), (panel) => new CorrespondencePanel(panel, ctx, state));
  }

  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return CorrespondencePanel.slot.registerSerializer(ctx, (panel, state) => new CorrespondencePanel(panel, ctx, state));
  }

  private static title(state: CorrespondencePanelState): string {
    return `Correspondence · ${state.boxesFile}`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    ctx: Ctx,
    private state: CorrespondencePanelState,
  ) {
    super(panel, ctx, CorrespondencePanel.slot);
    this.render();
  }

  private render(): void {
    this.panel.title = CorrespondencePanel.title(this.state);
    this.showPage(buildCorrespondenceHtml({ ...this.resources(), state: this.state }));
  }

  protected onMessage(): void {
    // The page sends nothing.
  }
}
