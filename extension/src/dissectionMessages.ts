// Everything that crosses the boundary of the dissection panel, in one place: the state the panel
// persists, the typed messages between webview and extension, the arguments of the dissection
// commands (hover links pass them), and the validation the host applies to all of it. Pure:
// imported by the host and by the webview script alike.

import { isIndex, isName, isRecord, isSkippedImages } from "./guards";
import type { LayerDissection } from "./protocol.generated";
import type { SortKey } from "./dissectionTable";

/** The model a dissection panel shows (the daemon may have restarted since: matched by checkpoint hash). */
export interface DissectionModelRef {
  modelId: string;
  checkpointHash: string;
  /** e.g. "smallcnn.pth (smallcnn)". */
  modelLabel: string;
}

/** What the panel's controls are set to. */
export interface DissectionUiState {
  /** The layer shown. */
  layer: string;
  sort: SortKey;
  descending: boolean;
  /** Text filter on concept names and unit numbers. */
  text: string;
  /** "" for every unit, a category name, or UNLABELLED. */
  category: string;
}

/** What a dissection panel keeps through `setState`, and what its serializer revives it from. */
export interface DissectionPanelState {
  version: 1;
  model: DissectionModelRef;
  /** The dissected layers the panel knows, in the model's order. */
  layers: LayerDissection[];
  ui: DissectionUiState;
}

/** The category filter value for units without a label. */
export const UNLABELLED = "(unlabelled)";

export const SORT_KEYS: readonly SortKey[] = ["unit", "iou", "category", "label"];

/** Messages from the dissection webview to the extension. */
export type DissectionToHost =
  /** Load unit `unit`'s card of `layer` (sent when it scrolls into view). */
  | { type: "card"; layer: string; unit: number }
  /** Run "Dissect layer" for more layers of this model. */
  | { type: "dissectMore" }
  /** Open unit `unit`'s card (its own panel). */
  | { type: "openUnit"; layer: string; unit: number };

/** Messages from the extension to the dissection webview. */
export type HostToDissection =
  | { type: "card"; layer: string; unit: number; png: string; width: number; height: number }
  | { type: "cardError"; layer: string; unit: number; message: string }
  /** Every layer the panel shows now (`changed` ones are new or recomputed: their cards are stale); `select` is shown when given. */
  | { type: "layers"; layers: LayerDissection[]; changed: string[]; select?: string }
  | { type: "status"; text: string };

/** What `unitscope.dissectLayer` and `unitscope.openDissection` accept (hover links pass `{modelId, layer}`). */
export interface LayerCommandArgs {
  modelId?: string;
  layers: string[];
}

const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;

/** A message a webview posted, checked field by field; undefined when it is not one we know. */
export function parseDissectionMessage(raw: unknown): DissectionToHost | undefined {
  if (!isRecord(raw)) return undefined;
  switch (raw.type) {
    case "card":
      return isName(raw.layer) && isIndex(raw.unit) ? { type: "card", layer: raw.layer, unit: raw.unit } : undefined;
    case "dissectMore":
      return { type: "dissectMore" };
    case "openUnit":
      return isName(raw.layer) && isIndex(raw.unit) ? { type: "openUnit", layer: raw.layer, unit: raw.unit } : undefined;
    default:
      return undefined;
  }
}

/**
 * The arguments of a dissection command: nothing (from the palette), `{modelId?, layer}` or
 * `{modelId?, layers}` (hover links, other commands), or a layer name. Undefined when malformed.
 */
export function parseLayerCommandArgs(raw: unknown): LayerCommandArgs | undefined {
  if (raw === undefined || raw === null) return { layers: [] };
  if (isName(raw)) return { layers: [raw] };
  if (!isRecord(raw)) return undefined;
  const modelId = raw.modelId === undefined ? undefined : isName(raw.modelId) ? raw.modelId : null;
  if (modelId === null) return undefined;
  let layers: string[];
  if (raw.layers !== undefined) {
    if (!Array.isArray(raw.layers) || !raw.layers.every(isName)) return undefined;
    layers = [...new Set(raw.layers as string[])];
  } else if (raw.layer !== undefined) {
    if (!isName(raw.layer)) return undefined;
    layers = [raw.layer];
  } else {
    layers = [];
  }
  return modelId === undefined ? { layers } : { modelId, layers };
}

/** A persisted panel state, checked field by field; undefined when it is missing or malformed. */
export function parseDissectionPanelState(raw: unknown): DissectionPanelState | undefined {
  if (!isRecord(raw) || raw.version !== 1 || !isRecord(raw.model) || !Array.isArray(raw.layers) || !isRecord(raw.ui)) return undefined;
  const m = raw.model;
  if (!isName(m.modelId) || typeof m.checkpointHash !== "string" || typeof m.modelLabel !== "string") return undefined;
  if (!raw.layers.every(isLayerDissection)) return undefined;
  const layers = raw.layers as LayerDissection[];
  if (layers.length === 0) return undefined;
  const ui = parseUi(raw.ui, layers);
  return { version: 1, model: { modelId: m.modelId, checkpointHash: m.checkpointHash, modelLabel: m.modelLabel }, layers, ui };
}

/** The UI state with every field made valid for `layers` (unknown values fall back to defaults). */
export function parseUi(raw: unknown, layers: readonly LayerDissection[]): DissectionUiState {
  const r = isRecord(raw) ? raw : {};
  const layer = typeof r.layer === "string" && layers.some((l) => l.layer === r.layer) ? r.layer : (layers[0]?.layer ?? "");
  const sort = typeof r.sort === "string" && (SORT_KEYS as readonly string[]).includes(r.sort) ? (r.sort as SortKey) : "iou";
  const descending = typeof r.descending === "boolean" ? r.descending : sort === "iou";
  const text = typeof r.text === "string" ? r.text.slice(0, 200) : "";
  const category = typeof r.category === "string" ? r.category.slice(0, 200) : "";
  return { layer, sort, descending, text, category };
}

export function defaultUi(layer: string): DissectionUiState {
  return { layer, sort: "iou", descending: true, text: "", category: "" };
}

/** Structural check of a LayerDissection from the daemon or a persisted state (what the panel relies on). */
export function isLayerDissection(x: unknown): x is LayerDissection {
  if (!isRecord(x)) return false;
  if (!isName(x.layer) || typeof x.dataset !== "string" || typeof x.datasetHash !== "string") return false;
  if (!isIndex(x.imageCount) || !isIndex(x.labelledUnits)) return false;
  if (x.skipped !== undefined && !isSkippedImages(x.skipped)) return false;
  if (!isRecord(x.options) || typeof x.options.quantile !== "number" || typeof x.options.iouThreshold !== "number") return false;
  if (
    !Array.isArray(x.categories) ||
    !x.categories.every((c) => isRecord(c) && typeof c.name === "string" && typeof c.color === "string" && HEX_COLOR.test(c.color))
  )
    return false;
  if (!Array.isArray(x.labelledByCategory) || !x.labelledByCategory.every((c) => isRecord(c) && typeof c.category === "string" && isIndex(c.units)))
    return false;
  return Array.isArray(x.units) && x.units.every(isUnit);
}

function isUnit(u: unknown): boolean {
  if (!isRecord(u) || !isIndex(u.unit) || typeof u.threshold !== "number") return false;
  if (u.label !== undefined && !isConcept(u.label)) return false;
  if (u.best !== undefined && !isConcept(u.best)) return false;
  if (!Array.isArray(u.bestPerCategory) || !u.bestPerCategory.every(isConcept)) return false;
  return Array.isArray(u.topImages) && u.topImages.every((t) => isRecord(t) && isIndex(t.imageIndex) && typeof t.maxActivation === "number");
}

function isConcept(c: unknown): boolean {
  return isRecord(c) && typeof c.concept === "string" && typeof c.category === "string" && typeof c.iou === "number" && Number.isFinite(c.iou);
}

/** `layers` replaced or added into `into`, ordered by `order` (the model's layer names) where known. */
export function mergeLayers(into: readonly LayerDissection[], layers: readonly LayerDissection[], order?: readonly string[]): LayerDissection[] {
  const byName = new Map(into.map((l) => [l.layer, l]));
  for (const l of layers) byName.set(l.layer, l);
  const merged = [...byName.values()];
  if (!order) return merged;
  const rank = (name: string) => {
    const i = order.indexOf(name);
    return i < 0 ? order.length : i;
  };
  return merged.sort((a, b) => rank(a.layer) - rank(b.layer));
}

/** True for a colour the panel may put into SVG attributes. */
export function isHexColor(s: unknown): s is string {
  return typeof s === "string" && HEX_COLOR.test(s);
}
