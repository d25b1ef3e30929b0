// Everything that crosses the boundary of the unit card panel: the state it persists (one unit of
// a dissected layer and its card image), the typed messages, and their validation. Pure: imported
// by the host and by the webview script alike.

import type { DissectionModelRef } from "./dissectionMessages";
import { isLayerDissection } from "./dissectionMessages";
import { isRecord } from "./guards";
import { isBase64 } from "./guards";
import type { CategoryInfo, DissectionSettings, UnitDissection } from "./protocol.generated";

/** The effect of zeroing this unit alone, when an ablation measured it. */
export interface UnitAblationEffect {
  /** Overall accuracy before and after, 0–1. */
  before: number;
  after: number;
  /** The classes that lost the most, with their accuracy before and after. */
  classes: { label: string; before: number; after: number }[];
}

export interface UnitCardView {
  model: DissectionModelRef;
  layer: string;
  /** Units in the layer: 0..units-1. */
  units: number;
  unit: UnitDissection;
  dataset: string;
  imageCount: number;
  options: DissectionSettings;
  categories: CategoryInfo[];
  /** The card image (top images with the unit's "on" region outlined), once it arrived. */
  card?: { png: string; width: number; height: number };
  ablation?: UnitAblationEffect;
}

export interface UnitCardPanelState {
  version: 1;
  view: UnitCardView;
}

export type UnitCardToHost =
  { type: "showUnit"; unit: number } | { type: "unitMap" } | { type: "ablate" } | { type: "openDissection" } | { type: "visualize" } | { type: "gallery" };

export type HostToUnitCard =
  | { type: "cardError"; unit: number; message: string }
  | { type: "busy"; text: string }
  /** The unit's optimised image (activation maximisation with the default settings), when the cache has it. */
  | { type: "optimised"; unit: number; png: string; width: number; height: number }
  /** The unit's strongest activations as patches and their projections (Zeiler & Fergus), when the layer's top-k pass is cached. */
  | { type: "projections"; unit: number; method: string; images: number; items: readonly CardProjection[] };

/** One of a unit's strongest activations on its card: the patch under its receptive field and its projection to the pixels. */
export interface CardProjection {
  value: number;
  patchPng: string;
  projectionPng: string;
  width: number;
  height: number;
}

export function parseUnitCardMessage(raw: unknown): UnitCardToHost | undefined {
  if (!isRecord(raw)) return undefined;
  switch (raw.type) {
    case "showUnit":
      return typeof raw.unit === "number" && Number.isInteger(raw.unit) && raw.unit >= 0 ? { type: "showUnit", unit: raw.unit } : undefined;
    case "unitMap":
    case "ablate":
    case "openDissection":
    case "visualize":
    case "gallery":
      return { type: raw.type };
    default:
      return undefined;
  }
}

/** A persisted state, checked field by field (the card only when it is base64); undefined when unusable. */
export function parseUnitCardPanelState(raw: unknown): UnitCardPanelState | undefined {
  if (!isRecord(raw) || raw.version !== 1 || !isRecord(raw.view)) return undefined;
  const v = raw.view;
  if (!isRecord(v.model) || typeof v.model.modelId !== "string" || typeof v.model.checkpointHash !== "string" || typeof v.model.modelLabel !== "string")
    return undefined;
  if (typeof v.layer !== "string" || typeof v.units !== "number" || typeof v.dataset !== "string" || typeof v.imageCount !== "number") return undefined;
  // Reuse the dissection check on a one-unit layer.
  const probe = {
    layer: v.layer,
    dataset: v.dataset,
    datasetHash: "",
    imageCount: v.imageCount,
    labelledUnits: 0,
    options: v.options,
    categories: v.categories,
    labelledByCategory: [],
    units: [v.unit],
  };
  if (!isLayerDissection(probe)) return undefined;
  const view: UnitCardView = {
    model: { modelId: v.model.modelId, checkpointHash: v.model.checkpointHash, modelLabel: v.model.modelLabel },
    layer: v.layer,
    units: v.units,
    unit: v.unit as UnitDissection,
    dataset: v.dataset,
    imageCount: v.imageCount,
    options: v.options as DissectionSettings,
    categories: v.categories as CategoryInfo[],
  };
  const card = v.card;
  if (isRecord(card) && isBase64(card.png) && typeof card.width === "number" && typeof card.height === "number")
    view.card = { png: card.png, width: card.width, height: card.height };
  const ab = v.ablation;
  if (isRecord(ab) && typeof ab.before === "number" && typeof ab.after === "number" && Array.isArray(ab.classes)) {
    view.ablation = {
      before: ab.before,
      after: ab.after,
      classes: ab.classes
        .filter((c): c is Record<string, unknown> => isRecord(c) && typeof c.label === "string" && typeof c.before === "number" && typeof c.after === "number")
        .map((c) => ({ label: c.label as string, before: c.before as number, after: c.after as number })),
    };
  }
  return { version: 1, view };
}

/** What a unit card's command accepts: `{ modelId?, layer, unit }`. */
export function parseUnitArgs(raw: unknown): { modelId?: string; layer: string; unit: number } | undefined {
  if (!isRecord(raw)) return undefined;
  if (typeof raw.layer !== "string" || raw.layer.length === 0 || raw.layer.length > 1000) return undefined;
  if (typeof raw.unit !== "number" || !Number.isInteger(raw.unit) || raw.unit < 0) return undefined;
  if (raw.modelId !== undefined && typeof raw.modelId !== "string") return undefined;
  return typeof raw.modelId === "string" ? { modelId: raw.modelId, layer: raw.layer, unit: raw.unit } : { layer: raw.layer, unit: raw.unit };
}
