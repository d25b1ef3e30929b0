// The dissection panel: every dissected layer of one model, a per-category summary and a table of
// units with their cards. One panel at a time; it survives window reloads through its serializer
// and the state its webview persists. Cards travel over the protocol (unitscope/unitCard) as the
// webview asks for them, at most two at a time.

import * as path from "node:path";
import * as vscode from "vscode";
import type { Ctx } from "./ctx";
import { DaemonUnavailable } from "./ctx";
import { buildDissectionHtml } from "./dissectionHtml";
import {
  defaultUi,
  mergeLayers,
  parseDissectionMessage,
  parseDissectionPanelState,
  type DissectionModelRef,
  type DissectionPanelState,
  type HostToDissection,
} from "./dissectionMessages";
import { describeFailure } from "./errors";
import { ErrorKind, type LayerDissection, type ModelInfo, type UnitCardResult } from "./protocol.generated";
import { PanelBase, PanelSlot } from "./webviewPanel";

/** Card requests in flight at once (each runs the model on the unit's top images). */
const MAX_CARDS_IN_FLIGHT = 2;

export function modelRef(model: ModelInfo): DissectionModelRef {
  return {
    modelId: model.modelId,
    checkpointHash: model.checkpointHash,
    modelLabel: `${path.basename(model.path)} (${model.architecture})`,
  };
}

/** A unit's card (its top images with where it is active outlined), computed with the options its layer was dissected with. */
export function requestUnitCard(
  ctx: Ctx,
  modelId: string,
  layer: Pick<LayerDissection, "layer" | "dataset" | "options">,
  unit: number,
): Promise<UnitCardResult> {
  const o = layer.options;
  return ctx.request("unitscope/unitCard", {
    modelId,
    layer: layer.layer,
    unit,
    dataset: layer.dataset,
    options: { quantile: o.quantile, iouThreshold: o.iouThreshold, topImages: o.topImages, ...(o.maxImages ? { maxImages: o.maxImages } : {}) },
  });
}

export class DissectionPanel extends PanelBase<HostToDissection> {
  private static readonly slot = new PanelSlot<DissectionPanelState, DissectionPanel>({
    viewType: "unitscope.dissection",
    name: "dissection",
    script: "dissection.js",
    style: "dissection.css",
    parseState: parseDissectionPanelState,
  });

  private readonly queue: { layer: string; unit: number }[] = [];
  private inFlight = 0;

  /**
   * Shows `layers` of `model`: added to the open panel when it shows the same checkpoint (and
   * `select` is brought to the front), else in a new panel.
   */
  static show(ctx: Ctx, model: DissectionModelRef, layers: LayerDissection[], select?: string): DissectionPanel | undefined {
    if (layers.length === 0) return undefined;
    const order = ctx.activeModel?.checkpointHash === model.checkpointHash ? ctx.activeModel.layers.map((l) => l.name) : undefined;
    const existing = DissectionPanel.slot.current;
    if (existing && existing.state.model.checkpointHash === model.checkpointHash) {
      existing.update(model, layers, order, select);
      existing.reveal();
      return existing;
    }
    const merged = mergeLayers([], layers, order);
    const state: DissectionPanelState = { version: 1, model, layers: merged, ui: defaultUi(select ?? merged[0]!.layer) };
    if (existing) {
      existing.replace(state);
      existing.reveal();
      return existing;
    }
    return DissectionPanel.slot.open(ctx, DissectionPanel.title(state), (panel) => new DissectionPanel(panel, ctx, state));
  }

  /** The open panel's model and layers, if any (to add layers to it as a dissection completes). */
  static get open(): DissectionPanelState | undefined {
    return DissectionPanel.slot.current?.state;
  }

  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return DissectionPanel.slot.registerSerializer(ctx, (panel, state) => new DissectionPanel(panel, ctx, state));
  }

  private static title(state: DissectionPanelState): string {
    return `Dissection · ${state.model.modelLabel}`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    ctx: Ctx,
    private state: DissectionPanelState,
  ) {
    super(panel, ctx, DissectionPanel.slot);
    this.render();
  }

  private render(): void {
    this.panel.title = DissectionPanel.title(this.state);
    this.showPage(buildDissectionHtml({ ...this.resources(), state: this.state }));
  }

  private replace(state: DissectionPanelState): void {
    this.state = state;
    this.queue.length = 0;
    this.render();
  }

  private update(model: DissectionModelRef, layers: LayerDissection[], order: readonly string[] | undefined, select: string | undefined): void {
    const merged = mergeLayers(this.state.layers, layers, order);
    this.state = { ...this.state, model, layers: merged, ui: select ? { ...this.state.ui, layer: select } : this.state.ui };
    const message: HostToDissection = { type: "layers", layers: merged, changed: layers.map((l) => l.layer) };
    if (select) message.select = select;
    this.post(message);
  }

  protected onMessage(raw: unknown): void {
    const message = this.received(raw, parseDissectionMessage);
    if (!message) return;
    switch (message.type) {
      case "card":
        if (!this.state.layers.some((l) => l.layer === message.layer)) return;
        this.queue.push({ layer: message.layer, unit: message.unit });
        this.pump();
        return;
      case "dissectMore":
        void vscode.commands.executeCommand("unitscope.dissectLayer", { modelId: this.modelIdOf(this.state.model) });
        return;
      case "openUnit":
        void vscode.commands.executeCommand("unitscope.openUnitCard", { modelId: this.modelIdOf(this.state.model), layer: message.layer, unit: message.unit });
        return;
    }
  }

  private pump(): void {
    while (this.inFlight < MAX_CARDS_IN_FLIGHT && this.queue.length > 0) {
      const next = this.queue.shift()!;
      this.inFlight++;
      void this.fetchCard(next.layer, next.unit).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async fetchCard(layerName: string, unit: number): Promise<void> {
    const layer = this.state.layers.find((l) => l.layer === layerName);
    if (!layer) return;
    try {
      const card = await requestUnitCard(this.ctx, this.modelIdOf(this.state.model), layer, unit);
      this.post({ type: "card", layer: layerName, unit, png: card.png, width: card.width, height: card.height });
    } catch (e) {
      const failure = describeFailure(e);
      const message =
        e instanceof DaemonUnavailable
          ? "The daemon is not running."
          : failure.kind === ErrorKind.UnknownModel
            ? "Load the model again to see its images."
            : failure.message;
      this.post({ type: "cardError", layer: layerName, unit, message });
      if (!(e instanceof DaemonUnavailable) && failure.kind !== ErrorKind.UnknownModel)
        this.ctx.output.warn(`unitCard ${layerName}#${unit}: ${failure.message}`);
    }
  }

  override dispose(): void {
    this.queue.length = 0;
    super.dispose();
  }
}
