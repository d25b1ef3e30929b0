// What the occlusion and ablation commands ask the user, as data: the arguments their links pass,
// the items of each quick pick (layers, units with their dissected labels, classes, evaluation
// sets) and the occlusion defaults. Pure (no `vscode` import): tested in node, shown by the commands.

import { isIndex, isName, isRecord } from "./guards";
import type { LayerDissection, LayerInfo, ModelInfo } from "./protocol.generated";

/** What `unitscope.ablateUnits`, `unitscope.rankUnits` and `unitscope.occlusionHeatmap` accept from links and other commands. */
export interface AnalysisArgs {
  modelId?: string;
  layer?: string;
  /** Units to ablate (a dissection card passes its unit). */
  units?: number[];
  /** A class index (ranking, occlusion). */
  class?: number;
}

/**
 * The arguments of an analysis command: nothing (palette), a layer name, or `{modelId?, layer?,
 * units?, class?}` (hover links, panels). Undefined when malformed.
 */
export function parseAnalysisArgs(raw: unknown): AnalysisArgs | undefined {
  if (raw === undefined || raw === null) return {};
  if (isName(raw)) return { layer: raw };
  if (!isRecord(raw)) return undefined;
  const out: AnalysisArgs = {};
  if (raw.modelId !== undefined) {
    if (!isName(raw.modelId)) return undefined;
    out.modelId = raw.modelId;
  }
  if (raw.layer !== undefined) {
    if (!isName(raw.layer)) return undefined;
    out.layer = raw.layer;
  }
  if (raw.units !== undefined) {
    if (!Array.isArray(raw.units) || !raw.units.every(isIndex)) return undefined;
    out.units = [...new Set(raw.units as number[])].sort((a, b) => a - b);
  }
  if (raw.class !== undefined) {
    if (!isIndex(raw.class)) return undefined;
    out.class = raw.class;
  }
  return out;
}

/** Layers whose units can be zeroed: an output [C, H, W] or [F]. */
export function ablatableLayers(model: Pick<ModelInfo, "layers">): LayerInfo[] {
  return model.layers.filter((l) => l.units > 0 && (l.outputShape.length === 3 || l.outputShape.length === 1));
}

/** Layers with spatial maps (occlusion's activity map). */
export function spatialLayers(model: Pick<ModelInfo, "layers">): LayerInfo[] {
  return model.layers.filter((l) => l.units > 0 && l.outputShape.length === 3);
}

export interface LayerItem {
  label: string;
  description: string;
  detail?: string;
  layer: string;
}

/**
 * Kinds of module that pass their input's units on (normalisation, activation, pooling, dropout, reshaping):
 * offered only behind "show all", so a ResNet's picker lists its 20 convolutions and blocks, not 67 modules.
 * Matched on the kind's name, PyTorch's and ONNX's alike (BatchNorm2d, BatchNormalization, ReLU, Relu, MaxPool2d…).
 */
const PASS_THROUGH_KIND = /norm|relu|elu|gelu|silu|sigmoid|tanh|swish|mish|softmax|dropout|pool|identity|flatten|pad|upsample|shuffle/i;

/** The layers a picker shows first (convolutions, linear layers, blocks) and the rest, each in the model's order. */
export function splitLayers(layers: readonly LayerInfo[]): { main: LayerInfo[]; more: LayerInfo[] } {
  const main = layers.filter((l) => !PASS_THROUGH_KIND.test(l.kind));
  // A model made only of such kinds (unlikely) still gets a list.
  if (main.length === 0) return { main: [...layers], more: [] };
  return { main, more: layers.filter((l) => PASS_THROUGH_KIND.test(l.kind)) };
}

/** The last item of a picker showing only the main layers: what the other ones are, by kind. */
export function showAllItem(more: readonly LayerInfo[]): { label: string; description: string; showAll: true } {
  const kinds = [...new Set(more.map((l) => l.kind))];
  return {
    label: `Show all layers (${more.length} more)`,
    description: kinds.slice(0, 4).join(", ") + (kinds.length > 4 ? ", …" : ""),
    showAll: true,
  };
}

/** One item per layer, in the model's order; dissected layers say how many units are labelled. */
export function layerItems(layers: readonly LayerInfo[], dissected: ReadonlyMap<string, { labelledUnits: number; units: number }>): LayerItem[] {
  return layers.map((l) => {
    const item: LayerItem = { label: l.name, description: `${l.kind} · ${l.units} units · ${l.outputShape.join("×")}`, layer: l.name };
    const d = dissected.get(l.name);
    if (d) item.detail = `dissected: ${d.labelledUnits}/${d.units} units labelled`;
    return item;
  });
}

export interface UnitItem {
  label: string;
  description?: string;
  unit: number;
  picked: boolean;
  /** The IoU the item is sorted by (the label's, else the best concept's; -1 without a dissection). */
  iou: number;
}

/**
 * One item per unit of the layer. With a dissection: labelled units first, by their label's IoU
 * (best first), then unlabelled ones by their best concept's IoU; each says its label or best
 * concept. Without one: in unit order. `picked` units are ticked.
 */
export function unitItems(units: number, dissection: LayerDissection | undefined, picked: readonly number[] = []): UnitItem[] {
  const byUnit = new Map((dissection?.units ?? []).map((u) => [u.unit, u]));
  const chosen = new Set(picked);
  const items = Array.from({ length: units }, (_, unit): UnitItem & { labelled: boolean } => {
    const d = byUnit.get(unit);
    const item: UnitItem & { labelled: boolean } = {
      label: `unit ${unit}`,
      unit,
      picked: chosen.has(unit),
      iou: d ? (d.label?.iou ?? d.best?.iou ?? 0) : -1,
      labelled: d?.label !== undefined,
    };
    if (d?.label) item.description = `${d.label.concept} (${d.label.category}) · IoU ${d.label.iou.toFixed(2)}`;
    else if (d?.best) item.description = `unlabelled · best ${d.best.concept} (${d.best.category}) ${d.best.iou.toFixed(2)}`;
    else if (d) item.description = "unlabelled";
    return item;
  });
  if (dissection) items.sort((a, b) => Number(b.labelled) - Number(a.labelled) || b.iou - a.iou || a.unit - b.unit);
  return items.map(({ labelled: _labelled, ...item }) => item);
}

export interface ClassItem {
  label: string;
  description?: string;
  /** Undefined: the predicted class (occlusion's default). */
  index: number | undefined;
}

/** The class names as a quick pick: "3 · cat"; with `predictedFirst`, a first item meaning "the class the model predicts". */
export function classItems(names: readonly string[], predictedFirst: boolean): ClassItem[] {
  const items: ClassItem[] = names.map((name, index) => ({ label: name, description: `class ${index}`, index }));
  return predictedFirst ? [{ label: "Predicted class", description: "the class the model predicts for the image", index: undefined }, ...items] : items;
}

/** The model's class names, or "class N" for each class when the daemon sent none. */
export function classNamesOf(model: Pick<ModelInfo, "classCount" | "classNames">): string[] {
  if (model.classNames && model.classNames.length === model.classCount) return [...model.classNames];
  return Array.from({ length: model.classCount }, (_, i) => `class ${i}`);
}

export const PROBE = "probe";

export interface EvaluationSetItem {
  label: string;
  description?: string;
  detail?: string;
  /** "probe", a folder, or "browse" to open a folder dialog. */
  set: string;
}

/** The evaluation sets to offer: the probe set, the folders used before (most recent first), and a folder dialog. */
export function evaluationSetItems(recent: readonly string[]): EvaluationSetItem[] {
  return [
    { label: "Probe set", description: "built-in, generated", detail: "The probe set's scene labels as classes (the demo model's classes)", set: PROBE },
    ...recent
      .filter((f) => f !== PROBE)
      .slice(0, 5)
      .map((folder) => ({ label: baseName(folder), description: folder, set: folder })),
    { label: "Image folder…", description: "one sub-folder of .png/.jpg images per class", set: "browse" },
  ];
}

/** The recent folders with `folder` moved to the front (at most 5). */
export function rememberFolder(recent: readonly string[], folder: string): string[] {
  if (folder === PROBE) return [...recent];
  return [folder, ...recent.filter((f) => f !== folder)].slice(0, 5);
}

/** Occlusion's defaults for a model input: a square about a sixth of the smaller side, moved a third of itself. */
export function defaultOcclusionGeometry(width: number, height: number): { size: number; stride: number } {
  const side = Math.max(1, Math.min(width, height));
  const size = Math.max(1, Math.round(side / 6));
  return { size, stride: Math.max(1, Math.round(size / 3)) };
}

export const FILLS = ["mean", "gray", "black"] as const;
export type Fill = (typeof FILLS)[number];

/** The `fill` parameter for a fill choice: the model's mean is the daemon's default (no value sent). */
export function fillValue(fill: Fill): number[] | undefined {
  return fill === "gray" ? [0.5] : fill === "black" ? [0] : undefined;
}

/** Positions of the square along a side (the last one touches the edge). */
export function positions(side: number, size: number, stride: number): number {
  if (size >= side) return 1;
  return Math.ceil((side - size) / stride) + 1;
}

function baseName(p: string): string {
  const parts = p.split(/[\\/]/).filter((s) => s.length > 0);
  return parts[parts.length - 1] ?? p;
}
