// The GAN panel. One panel at a time (a new dissection replaces what it shows); it survives window reloads
// through its serializer. An intervention the page asks for runs as a job (unitscope/ganEdit, progress and
// Cancel, the layer's dissection from the cache) and re-renders the page with its result.

import * as vscode from "vscode";
import { runAnalysisJob } from "../analysisJob";
import { DaemonUnavailable, type Ctx } from "../ctx";
import { describeFailure } from "../errors";
import { PanelBase, PanelSlot } from "../webviewPanel";
import { ganEditParams } from "./ganEditParams";
import { buildGanHtml } from "./ganHtml";
import { parseGanEditRequest, parseGanPanelState, type GanPanelState, type GanToWebview } from "./ganMessages";

export class GanPanel extends PanelBase<GanToWebview> {
  private static readonly slot = new PanelSlot<GanPanelState, GanPanel>({
    viewType: "unitscope.gan",
    name: "GAN",
    script: "gan.js",
    style: "gan.css",
    parseState: parseGanPanelState,
  });

  private running = false;

  static show(ctx: Ctx, state: GanPanelState): GanPanel {
    const existing = GanPanel.slot.current;
    if (existing) {
      existing.state = state;
      existing.render();
      existing.reveal();
      return existing;
    }
    return GanPanel.slot.open(ctx, GanPanel.title(state), (panel) => new GanPanel(panel, ctx, state));
  }

  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return GanPanel.slot.registerSerializer(ctx, (panel, state) => new GanPanel(panel, ctx, state));
  }

  private static title(state: GanPanelState): string {
    return `GAN dissection · ${state.dissection.layer}`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    ctx: Ctx,
    private state: GanPanelState,
  ) {
    super(panel, ctx, GanPanel.slot);
    this.render();
  }

  private render(): void {
    this.panel.title = GanPanel.title(this.state);
    this.showPage(buildGanHtml({ ...this.resources(), state: this.state }));
  }

  protected async onMessage(raw: unknown): Promise<void> {
    const message = this.received(raw, (m) => parseGanEditRequest(m, this.state.dissection));
    if (!message) return;
    if (this.running) {
      this.post({ type: "editError", message: "An intervention is already running: wait for it, or cancel it." });
      return;
    }
    this.running = true;
    const shown = this.state;
    const what = message.region ? `inserting ${message.concept}` : `ablating ${message.concept}`;
    try {
      const result = await runAnalysisJob(
        this.ctx,
        `UnitScope: ${what} (${shown.request.layer})`,
        "unitscope/ganEdit",
        ganEditParams(shown, this.modelIdOf(shown.model), message),
      );
      if (this.state !== shown) return; // a new dissection replaced the page meanwhile
      this.state = {
        ...shown,
        ui: { concept: message.concept, units: message.units, sample: message.sample, ...(message.region ? { region: message.region } : {}) },
        edit: result,
      };
      this.render();
    } catch (e) {
      if (e instanceof DaemonUnavailable) return;
      const failure = describeFailure(e);
      this.ctx.output.warn(`GAN intervention (${what}): ${failure.message}`);
      this.post({ type: "editError", message: failure.cancelled ? "The intervention was cancelled." : `Could not intervene: ${failure.message}` });
    } finally {
      this.running = false;
    }
  }
}
