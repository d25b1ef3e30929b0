// The ranking panel ("Which units matter for a class"): opens as soon as a ranking starts, fills its
// table as the daemon sends measured units, shows the top-k vs random-k curve once it is done, and
// asks the daemon for a unit's single-unit classifier statistics when one is picked. One panel at a
// time; it survives window reloads through its serializer and the state its webview persists.

import * as vscode from "vscode";
import type { Ctx } from "./ctx";
import { DaemonUnavailable } from "./ctx";
import { describeFailure } from "./errors";
import { runAnalysis } from "./analysisRun";
import type { RankUnitsResult } from "./protocol.generated";
import { mergeRanked } from "./rankCurve";
import { buildRankHtml } from "./rankHtml";
import { parseRankMessage, parseRankPanelState, type HostToRank, type RankPanelState } from "./rankMessages";
import { PanelBase, PanelSlot } from "./webviewPanel";

export class RankPanel extends PanelBase<HostToRank> {
  private static readonly slot = new PanelSlot<RankPanelState, RankPanel>({
    viewType: "unitscope.ranking",
    name: "ranking",
    script: "ranking.js",
    style: "analysis.css",
    parseState: parseRankPanelState,
  });

  private stats: vscode.CancellationTokenSource | undefined;

  /** Shows a ranking (possibly still running): in the open panel, else in a new one. */
  static show(ctx: Ctx, state: RankPanelState): RankPanel {
    const existing = RankPanel.slot.current;
    if (existing) {
      existing.replace(state);
      existing.reveal();
      return existing;
    }
    return RankPanel.slot.open(ctx, RankPanel.title(state), (panel) => new RankPanel(panel, ctx, state));
  }

  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return RankPanel.slot.registerSerializer(ctx, (panel, state) => new RankPanel(panel, ctx, state));
  }

  private static title(state: RankPanelState): string {
    return `Units for ${state.result.classLabel} · ${state.result.layer}`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    ctx: Ctx,
    private state: RankPanelState,
  ) {
    super(panel, ctx, RankPanel.slot);
    this.render();
  }

  /** Whether this panel still shows the ranking `result` belongs to (another ranking may have replaced it). */
  shows(result: Pick<RankUnitsResult, "layer" | "class" | "metric">): boolean {
    const r = this.state.result;
    return RankPanel.slot.current === this && r.layer === result.layer && r.class === result.class && r.metric === result.metric;
  }

  /** Units measured so far (a partial result). */
  addUnits(partial: RankUnitsResult): void {
    this.state = { ...this.state, result: { ...partial, units: mergeRanked(this.state.result.units, partial.units) } };
    this.post({ type: "result", result: partial, complete: false });
  }

  /** The whole ranking, with the curve (`units` may be empty when they all came as partial results). */
  complete(result: RankUnitsResult): void {
    const units = mergeRanked(this.state.result.units, result.units);
    this.state = { ...this.state, result: { ...result, units }, complete: true };
    // Posted, not drawn again: the page keeps its scroll and focus (PanelBase holds the message until the page listens).
    this.post({ type: "result", result: { ...result, units }, complete: true });
    this.post({ type: "status", text: "" }); // after any progress text still on its way to the page
  }

  status(text: string, error = false): void {
    this.post({ type: "status", text, error });
  }

  private replace(state: RankPanelState): void {
    this.stats?.cancel();
    this.state = state;
    this.render();
  }

  private render(): void {
    this.panel.title = RankPanel.title(this.state);
    this.showPage(buildRankHtml({ ...this.resources(), state: this.state }));
  }

  protected onMessage(raw: unknown): void {
    const message = this.received(raw, parseRankMessage);
    if (!message) return;
    switch (message.type) {
      case "stats":
        void this.fetchStats(message.unit);
        return;
      case "ablate":
        void vscode.commands.executeCommand("unitscope.ablateUnits", {
          modelId: this.modelIdOf(this.state.model),
          layer: this.state.result.layer,
          units: message.units,
        });
        return;
    }
  }

  /** The unit's statistics over the ranking's evaluation set; a newer pick cancels an older one. */
  private async fetchStats(unit: number): Promise<void> {
    this.stats?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.stats = cts;
    const r = this.state.result;
    this.state = { ...this.state, selected: unit };
    delete this.state.stats;
    try {
      const stats = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `UnitScope: unit ${unit} of ${r.layer} on ${r.classLabel}` },
        async (progress) => {
          const client = await this.ctx.progressClient();
          if (!client) throw new DaemonUnavailable("The UnitScope daemon is not running.");
          return runAnalysis(
            client,
            "unitscope/unitClassStats",
            { modelId: this.modelIdOf(this.state.model), layer: r.layer, unit, class: r.class, evaluationSet: r.evaluationSet },
            { report: (s) => progress.report(s.message !== undefined ? { message: s.message } : {}) },
            cts.token,
          );
        },
      );
      if (this.stats !== cts || this.state.selected !== unit) return;
      this.state = { ...this.state, stats };
      this.post({ type: "stats", unit, stats });
    } catch (e) {
      const failure = describeFailure(e);
      if (failure.cancelled || this.stats !== cts) return;
      const message = e instanceof DaemonUnavailable ? "The daemon is not running." : failure.message;
      this.ctx.output.warn(`unitClassStats ${r.layer}#${unit}: ${failure.message}`);
      this.post({ type: "statsError", unit, message });
    } finally {
      if (this.stats === cts) this.stats = undefined;
      cts.dispose();
    }
  }

  override dispose(): void {
    this.stats?.cancel();
    super.dispose();
  }
}
