// The unit card panel: one dissected unit — its label and best concept per category, its top images
// with the region where it is active outlined (unitscope/unitCard), the effect of ablating it when
// known, and buttons for its unit map, ablation and the layer's dissection. One panel at a time; it
// survives reloads through its serializer and the state its webview persists.

import * as vscode from "vscode";
import { dissectionDataset } from "./config";
import { DaemonUnavailable, type Ctx } from "./ctx";
import { modelRef, requestUnitCard } from "./dissectionPanel";
import { describeFailure } from "./errors";
import type { LayerDissection, ModelInfo } from "./protocol.generated";
import { buildUnitCardHtml } from "./unitCardHtml";
import {
  parseUnitArgs,
  parseUnitCardMessage,
  parseUnitCardPanelState,
  type HostToUnitCard,
  type UnitAblationEffect,
  type UnitCardPanelState,
  type UnitCardView,
} from "./unitCardMessages";
import { PanelBase, PanelSlot } from "./webviewPanel";

export class UnitCardPanel extends PanelBase<HostToUnitCard> {
  private static readonly slot = new PanelSlot<UnitCardPanelState, UnitCardPanel>({
    viewType: "unitscope.unitCard",
    name: "unit card",
    script: "unitCard.js",
    style: "unitCard.css",
    parseState: parseUnitCardPanelState,
  });

  /** `unitscope.openUnitCard` ({ modelId?, layer, unit }): the unit's card, asking to dissect the layer first when needed. */
  static async command(ctx: Ctx, raw: unknown): Promise<void> {
    const args = parseUnitArgs(raw);
    if (!args) {
      ctx.output.warn(`unitscope.openUnitCard: ignored malformed arguments ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    if (!(await ctx.client())) return;
    await ctx.modelSettled();
    const model = args.modelId ? ((await ctx.switchModel(args.modelId).catch(() => undefined)) ?? ctx.activeModel) : ctx.activeModel;
    if (!model) {
      void vscode.window.showInformationMessage("UnitScope: no model is loaded.");
      return;
    }
    try {
      const layer = await ctx.request("unitscope/dissection", { modelId: model.modelId, layer: args.layer, ...datasetParam() });
      if (!layer) {
        const choice = await vscode.window.showInformationMessage(`UnitScope: ${args.layer} is not dissected yet.`, "Dissect");
        if (choice) await vscode.commands.executeCommand("unitscope.dissectLayer", { modelId: model.modelId, layer: args.layer });
        return;
      }
      UnitCardPanel.show(ctx, model, layer, args.unit);
    } catch (e) {
      if (e instanceof DaemonUnavailable || describeFailure(e).cancelled) return;
      const message = describeFailure(e).message;
      ctx.output.error(`Could not open unit ${args.unit} of ${args.layer}: ${message}`);
      void vscode.window.showErrorMessage(`UnitScope could not open unit ${args.unit} of ${args.layer}: ${message}`, "Show log").then((c) => {
        if (c) ctx.output.show(true);
      });
    }
  }

  /** Shows `unit` of a dissected layer, in the open panel or a new one. */
  static show(ctx: Ctx, model: ModelInfo, layer: LayerDissection, unit: number, ablation?: UnitAblationEffect): UnitCardPanel | undefined {
    const view = viewOf(model, layer, unit, ablation);
    if (!view) return undefined;
    const existing = UnitCardPanel.slot.current;
    if (existing) {
      existing.layer = layer;
      existing.setView(view);
      existing.reveal();
      return existing;
    }
    return UnitCardPanel.slot.open(ctx, UnitCardPanel.title(view), (panel) => new UnitCardPanel(panel, ctx, { version: 1, view }, layer));
  }

  /** An ablation that zeroed exactly this unit: shown when its card is open. */
  static ablationMeasured(layer: string, unit: number, effect: UnitAblationEffect): void {
    const c = UnitCardPanel.slot.current;
    if (!c || c.state.view.layer !== layer || c.state.view.unit.unit !== unit) return;
    c.setView({ ...c.state.view, ablation: effect });
  }

  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return UnitCardPanel.slot.registerSerializer(ctx, (panel, state) => new UnitCardPanel(panel, ctx, state, undefined));
  }

  private static title(view: UnitCardView): string {
    return `Unit ${view.unit.unit} · ${view.layer}`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    ctx: Ctx,
    private state: UnitCardPanelState,
    private layer: LayerDissection | undefined,
  ) {
    super(panel, ctx, UnitCardPanel.slot);
    this.render();
    if (!state.view.card) void this.fetchCard();
    void this.fetchOptimised();
    void this.fetchProjections();
  }

  private setView(view: UnitCardView): void {
    const sameUnit = view.layer === this.state.view.layer && view.unit.unit === this.state.view.unit.unit;
    this.state = { version: 1, view: sameUnit && !view.card && this.state.view.card ? { ...view, card: this.state.view.card } : view };
    this.render();
    if (!this.state.view.card) void this.fetchCard();
    void this.fetchOptimised();
    void this.fetchProjections();
  }

  /** The unit's optimised image when the cache has it (default settings, nothing computed here); silent otherwise. */
  private async fetchOptimised(): Promise<void> {
    const v = this.state.view;
    const unit = v.unit.unit;
    try {
      const r = await this.ctx.request("unitscope/visualize", { modelId: this.modelIdOf(v.model), layer: v.layer, unit, cachedOnly: true });
      if (!r || this.state.view.layer !== v.layer || this.state.view.unit.unit !== unit) return;
      this.post({ type: "optimised", unit, png: r.imagePng, width: r.width, height: r.height });
    } catch (e) {
      this.ctx.output.warn(`visualize (cached) ${v.layer}#${unit}: ${describeFailure(e).message}`);
    }
  }

  /** The unit's strongest activations with their projections when the layer's top-k pass over the card's dataset is
   * cached (only the winners are projected, no pass is started); silent otherwise. */
  private async fetchProjections(): Promise<void> {
    const v = this.state.view;
    const unit = v.unit.unit;
    try {
      const r = await this.ctx.request("unitscope/unitGallery", {
        modelId: this.modelIdOf(v.model),
        layer: v.layer,
        unit,
        dataset: v.dataset,
        cachedOnly: true,
      });
      if (!r || this.state.view.layer !== v.layer || this.state.view.unit.unit !== unit) return;
      const items = r.activations.map((a) => ({
        value: a.value,
        patchPng: a.patchPng,
        projectionPng: a.projectionPng,
        width: a.box.width,
        height: a.box.height,
      }));
      this.post({ type: "projections", unit, method: r.method, images: r.images, items });
    } catch (e) {
      this.ctx.output.warn(`unit gallery (cached) ${v.layer}#${unit}: ${describeFailure(e).message}`);
    }
  }

  private render(): void {
    this.panel.title = UnitCardPanel.title(this.state.view);
    this.showPage(buildUnitCardHtml({ ...this.resources(), state: this.state }));
  }

  private async fetchCard(): Promise<void> {
    const v = this.state.view;
    const unit = v.unit.unit;
    try {
      const card = await requestUnitCard(this.ctx, this.modelIdOf(v.model), v, unit);
      if (this.state.view.layer !== v.layer || this.state.view.unit.unit !== unit) return;
      this.state = { version: 1, view: { ...this.state.view, card: { png: card.png, width: card.width, height: card.height } } };
      // Drawn into the page rather than posted: a card that arrives before the page's script listens (a busy
      // machine: the daemon answers faster than the webview loads) would be lost and "Loading…" stay forever.
      this.render();
    } catch (e) {
      const failure = describeFailure(e);
      const message = e instanceof DaemonUnavailable ? "The daemon is not running." : failure.message;
      this.post({ type: "cardError", unit, message });
      if (!(e instanceof DaemonUnavailable)) this.ctx.output.warn(`unitCard ${v.layer}#${unit}: ${failure.message}`);
    }
  }

  protected async onMessage(raw: unknown): Promise<void> {
    const message = this.received(raw, parseUnitCardMessage);
    if (!message) return;
    const v = this.state.view;
    const args = { modelId: this.modelIdOf(v.model), layer: v.layer };
    switch (message.type) {
      case "showUnit": {
        if (message.unit >= v.units) return;
        this.post({ type: "busy", text: `Loading unit ${message.unit}…` });
        const layer = this.layer ?? (await this.ctx.request("unitscope/dissection", { ...args, dataset: v.dataset }).catch(() => null)) ?? undefined;
        const model = this.ctx.activeModel;
        if (!layer || !model || model.checkpointHash !== v.model.checkpointHash) {
          this.post({ type: "busy", text: "Load the model again to see other units." });
          return;
        }
        this.layer = layer;
        const next = viewOf(model, layer, message.unit);
        if (next) this.setView(next);
        return;
      }
      case "unitMap":
        await vscode.commands.executeCommand("unitscope.showUnitMap", { ...args, unit: v.unit.unit });
        return;
      case "ablate":
        await vscode.commands.executeCommand("unitscope.ablateUnits", { ...args, units: [v.unit.unit] });
        return;
      case "openDissection":
        await vscode.commands.executeCommand("unitscope.openDissection", args);
        return;
      case "visualize":
        await vscode.commands.executeCommand("unitscope.visualizeUnit", { ...args, unit: v.unit.unit });
        return;
      case "gallery":
        // The command asks for the dataset and opens the gallery; once its pass is cached the card shows it too.
        await vscode.commands.executeCommand("unitscope.unitGallery", { ...args, units: [v.unit.unit] });
        await this.fetchProjections();
        return;
    }
  }
}

function viewOf(model: ModelInfo, layer: LayerDissection, unit: number, ablation?: UnitAblationEffect): UnitCardView | undefined {
  const u = layer.units.find((x) => x.unit === unit);
  if (!u) return undefined;
  return {
    model: modelRef(model),
    layer: layer.layer,
    units: layer.units.length,
    unit: u,
    dataset: layer.dataset,
    imageCount: layer.imageCount,
    options: layer.options,
    categories: layer.categories,
    ...(ablation ? { ablation } : {}),
  };
}

function datasetParam(): { dataset?: string } {
  const dataset = dissectionDataset();
  return dataset ? { dataset } : {};
}
