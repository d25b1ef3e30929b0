// The Evolution panel (a training run as a timeline) and the Compare panel (two checkpoints unit by
// unit). One panel of each kind at a time (a new run or comparison replaces what it shows); both
// survive window reloads through their serializers. The Evolution page can ask to load one of the
// run's checkpoint files.

import * as vscode from "vscode";
import type { Ctx } from "../ctx";
import type { CheckpointSummarizedParams } from "../protocol.generated";
import { PanelBase, PanelSlot } from "../webviewPanel";
import { buildCompareHtml } from "./compareHtml";
import { buildEvolutionHtml } from "./evolutionHtml";
import { withLandedCheckpoint } from "./runSummaries";
import { parseComparePanelState, parseEvolutionPanelState, parseEvolutionToHost, type ComparePanelState, type EvolutionPanelState } from "./evolutionMessages";

export class EvolutionPanel extends PanelBase<never> {
  private static readonly slot = new PanelSlot<EvolutionPanelState, EvolutionPanel>({
    viewType: "unitscope.evolution",
    name: "training run",
    script: "evolution.js",
    style: "evolution.css",
    parseState: parseEvolutionPanelState,
  });

  static show(ctx: Ctx, state: EvolutionPanelState): EvolutionPanel {
    const existing = EvolutionPanel.slot.current;
    if (existing) {
      existing.state = state;
      existing.render();
      existing.reveal();
      return existing;
    }
    return EvolutionPanel.slot.open(ctx, EvolutionPanel.title(state), (panel) => new EvolutionPanel(panel, ctx, state));
  }

  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return EvolutionPanel.slot.registerSerializer(ctx, (panel, state) => new EvolutionPanel(panel, ctx, state));
  }

  /** A checkpoint of the run the open panel shows was summarised in the background: its row joins the tables. */
  static checkpointLanded(p: CheckpointSummarizedParams): boolean {
    const panel = EvolutionPanel.slot.current;
    const next = panel && withLandedCheckpoint(panel.state, p);
    if (!panel || !next) return false;
    panel.state = next;
    panel.render();
    return true;
  }

  private static title(state: EvolutionPanelState): string {
    return `Training run · ${state.result.layers.join(", ")}`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    ctx: Ctx,
    private state: EvolutionPanelState,
  ) {
    super(panel, ctx, EvolutionPanel.slot);
    this.render();
  }

  private render(): void {
    this.panel.title = EvolutionPanel.title(this.state);
    this.showPage(buildEvolutionHtml({ ...this.resources(), state: this.state }));
  }

  protected async onMessage(raw: unknown): Promise<void> {
    const message = this.received(raw, (r) => parseEvolutionToHost(r, this.state));
    if (message) await vscode.commands.executeCommand("unitscope.loadCheckpointFile", vscode.Uri.file(message.path));
  }
}

export class ComparePanel extends PanelBase<never> {
  private static readonly slot = new PanelSlot<ComparePanelState, ComparePanel>({
    viewType: "unitscope.compare",
    name: "compare",
    script: "compare.js",
    style: "evolution.css",
    parseState: parseComparePanelState,
  });

  static show(ctx: Ctx, state: ComparePanelState): ComparePanel {
    const existing = ComparePanel.slot.current;
    if (existing) {
      existing.state = state;
      existing.render();
      existing.reveal();
      return existing;
    }
    return ComparePanel.slot.open(ctx, ComparePanel.title(state), (panel) => new ComparePanel(panel, ctx, state));
  }

  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return ComparePanel.slot.registerSerializer(ctx, (panel, state) => new ComparePanel(panel, ctx, state));
  }

  private static title(state: ComparePanelState): string {
    return `Compare · ${state.modelA.modelLabel} ↔ ${state.modelB.modelLabel}`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    ctx: Ctx,
    private state: ComparePanelState,
  ) {
    super(panel, ctx, ComparePanel.slot);
    this.render();
  }

  private render(): void {
    this.panel.title = ComparePanel.title(this.state);
    this.showPage(buildCompareHtml({ ...this.resources(), state: this.state }));
  }

  protected onMessage(raw: unknown): void {
    this.received(raw, () => undefined);
  }
}
