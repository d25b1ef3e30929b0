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

export class RankPanel {
  static readonly viewType = "unitscope.ranking";
  private static current: RankPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private stats: vscode.CancellationTokenSource | undefined;

  /** Shows a ranking (possibly still running): in the open panel, else in a new one. */
  static show(ctx: Ctx, state: RankPanelState): RankPanel {
    const existing = RankPanel.current;
    if (existing) {
      existing.replace(state);
      existing.panel.reveal(undefined, true);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      RankPanel.viewType,
      RankPanel.title(state),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      RankPanel.webviewOptions(ctx.extensionUri),
    );
    RankPanel.current = new RankPanel(panel, ctx, state);
    return RankPanel.current;
  }

  static revive(panel: vscode.WebviewPanel, ctx: Ctx, persisted: unknown): void {
    const state = parseRankPanelState(persisted);
    if (!state) {
      ctx.output.warn("Closing a restored ranking panel: its saved state is missing or unreadable.");
      panel.dispose();
      return;
    }
    RankPanel.current?.dispose();
    panel.webview.options = RankPanel.webviewOptions(ctx.extensionUri);
    RankPanel.current = new RankPanel(panel, ctx, state);
  }

  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(RankPanel.viewType, {
      deserializeWebviewPanel: async (panel, state) => RankPanel.revive(panel, ctx, state),
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

  private static title(state: RankPanelState): string {
    return `Units for ${state.result.classLabel} · ${state.result.layer}`;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly ctx: Ctx,
    private state: RankPanelState,
  ) {
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw) => this.onMessage(raw)),
    );
    this.render();
  }

  /** Whether this panel still shows the ranking `result` belongs to (another ranking may have replaced it). */
  shows(result: Pick<RankUnitsResult, "layer" | "class" | "metric">): boolean {
    const r = this.state.result;
    return RankPanel.current === this && r.layer === result.layer && r.class === result.class && r.metric === result.metric;
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
    this.post({ type: "result", result: this.state.result, complete: true });
    this.post({ type: "status", text: "" });
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
    const webview = this.panel.webview;
    const media = vscode.Uri.joinPath(this.ctx.extensionUri, "media");
    this.panel.title = RankPanel.title(this.state);
    webview.html = buildRankHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "ranking.js")).toString(),
      baseStyleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "base.css")).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "analysis.css")).toString(),
      state: this.state,
    });
  }

  private post(message: HostToRank): void {
    void this.panel.webview.postMessage(message);
  }

  private modelId(): string {
    const active = this.ctx.activeModel;
    return active && active.checkpointHash === this.state.model.checkpointHash ? active.modelId : this.state.model.modelId;
  }

  private onMessage(raw: unknown): void {
    const message = parseRankMessage(raw);
    if (!message) {
      this.ctx.output.warn(`Ignored an unknown message from the ranking panel: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    switch (message.type) {
      case "stats":
        void this.fetchStats(message.unit);
        return;
      case "ablate":
        void vscode.commands.executeCommand("unitscope.ablateUnits", { modelId: this.modelId(), layer: this.state.result.layer, units: message.units });
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
            { modelId: this.modelId(), layer: r.layer, unit, class: r.class, evaluationSet: r.evaluationSet },
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

  dispose(): void {
    if (RankPanel.current === this) RankPanel.current = undefined;
    this.stats?.cancel();
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}
