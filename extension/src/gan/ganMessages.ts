// What the GAN panel persists (the layer's dissection with the model and the request that made it, what
// the user chose for an intervention, and the last intervention's result), the messages between its page
// and the extension, and their checks. Pure: imported by the host and by the webview script alike.

import { isModelRef } from "../ablationMessages";
import type { DissectionModelRef } from "../dissectionMessages";
import { isIndex, isName, isRecord } from "../guards";
import { isBase64 } from "../guards";
import type { GanDissectResult, GanEditExample, GanEditResult, GanRegion } from "../protocol.generated";

/** The dissection's settings the panel needs again for an edit (the edit reuses the cached dissection). */
export interface GanDissectRequest {
  layer: string;
  samples: number;
  segmenterPath?: string;
}

/** What the user chose: the concept, how many of its top units, the sample painted on and the region. */
export interface GanUi {
  concept?: string;
  units: number;
  sample: number;
  region?: GanRegion;
}

export interface GanPanelState {
  version: 1;
  model: DissectionModelRef;
  request: GanDissectRequest;
  dissection: GanDissectResult;
  ui: GanUi;
  /** The last intervention's result. */
  edit?: GanEditResult;
}

/** Page → extension: ablate the concept's top units (and with a region, force them on there); `sample` is the one painted on. */
export interface GanEditRequest {
  type: "edit";
  concept: string;
  units: number;
  sample: number;
  region?: GanRegion;
}

/** Extension → page: why an intervention gave no result (cancelled included). A result re-renders the page (its state carries it). */
export interface GanToWebview {
  type: "editError";
  message: string;
}

/** Most units a concept lists (GanConceptUnits: at most 32). */
export const MAX_CONCEPT_UNITS = 32;

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const share = (v: unknown): v is number => finite(v) && v >= -1e-9 && v <= 1 + 1e-9;

/** A rectangle inside a width × height image, not empty. */
export function isRegionIn(r: unknown, width: number, height: number): r is GanRegion {
  return isRecord(r) && isIndex(r.x0) && isIndex(r.y0) && isIndex(r.x1) && isIndex(r.y1) && r.x0 < r.x1 && r.y0 < r.y1 && r.x1 <= width && r.y1 <= height;
}

/** Structural check of a GanDissectResult. */
export function isGanDissection(x: unknown): x is GanDissectResult {
  return (
    isRecord(x) &&
    isName(x.layer) &&
    isIndex(x.sampleCount) &&
    Number.isInteger(x.seed) &&
    isIndex(x.imageWidth) &&
    isIndex(x.imageHeight) &&
    Array.isArray(x.units) &&
    x.units.every(
      (u) =>
        isRecord(u) &&
        isIndex(u.unit) &&
        share(u.iou) &&
        share(u.bestIou) &&
        (u.concept === undefined || u.concept === null || typeof u.concept === "string") &&
        (u.category === undefined || u.category === null || typeof u.category === "string") &&
        (u.bestConcept === undefined || u.bestConcept === null || typeof u.bestConcept === "string"),
    ) &&
    isRecord(x.labelledByCategory) &&
    Object.values(x.labelledByCategory).every(isIndex) &&
    Array.isArray(x.concepts) &&
    x.concepts.every(
      (c) =>
        isRecord(c) &&
        isName(c.concept) &&
        typeof c.category === "string" &&
        Array.isArray(c.units) &&
        c.units.every(isIndex) &&
        Array.isArray(c.ious) &&
        c.ious.length === c.units.length &&
        c.ious.every(share),
    ) &&
    typeof x.segmentedCategory === "string" &&
    Array.isArray(x.samples) &&
    x.samples.every((s) => isRecord(s) && isIndex(s.index) && isBase64(s.imagePng) && isBase64(s.segmentationPng)) &&
    isBase64(x.summaryPng) &&
    (x.cached === undefined || typeof x.cached === "boolean")
  );
}

const isExamples = (v: unknown): v is GanEditExample[] =>
  Array.isArray(v) && v.every((e) => isRecord(e) && isIndex(e.sample) && isBase64(e.originalPng) && isBase64(e.editedPng));

/** Structural check of a GanEditResult for an image of width × height. */
export function isGanEdit(x: unknown, width: number, height: number): x is GanEditResult {
  if (!isRecord(x) || !isName(x.layer) || !isName(x.concept) || typeof x.category !== "string" || !isIndex(x.sampleCount)) return false;
  const a = x.ablation;
  if (
    !isRecord(a) ||
    !Array.isArray(a.topUnits) ||
    !a.topUnits.every(isIndex) ||
    !share(a.areaBefore) ||
    !share(a.areaTopAblated) ||
    !Array.isArray(a.areaRandomAblated) ||
    !a.areaRandomAblated.every(share) ||
    !finite(a.topDrop) ||
    !finite(a.randomDrop) ||
    !isExamples(a.examples)
  )
    return false;
  const i = x.insertion;
  if (i === undefined || i === null) return true;
  return (
    isRecord(i) &&
    isRegionIn(i.region, width, height) &&
    isRecord(i.layerRegion) &&
    Array.isArray(i.values) &&
    i.values.every(finite) &&
    share(i.insideBefore) &&
    share(i.insideAfter) &&
    share(i.outsideBefore) &&
    share(i.outsideAfter) &&
    isIndex(i.samplesGaining) &&
    isExamples(i.examples)
  );
}

function parseUi(raw: unknown, d: GanDissectResult): GanUi {
  const ui: GanUi = { units: 4, sample: 0 };
  if (!isRecord(raw)) return ui;
  const concept = typeof raw.concept === "string" ? d.concepts.find((c) => c.concept === raw.concept) : undefined;
  if (concept) ui.concept = concept.concept;
  if (isIndex(raw.units) && raw.units >= 1 && raw.units <= MAX_CONCEPT_UNITS) ui.units = raw.units;
  if (isIndex(raw.sample) && raw.sample < d.samples.length) ui.sample = raw.sample;
  if (isRegionIn(raw.region, d.imageWidth, d.imageHeight)) ui.region = { x0: raw.region.x0, y0: raw.region.y0, x1: raw.region.x1, y1: raw.region.y1 };
  return ui;
}

/** A persisted state (or the one embedded in the page); undefined when it is not one this version wrote. What the user chose is kept where it still fits. */
export function parseGanPanelState(raw: unknown): GanPanelState | undefined {
  if (!isRecord(raw) || raw.version !== 1 || !isModelRef(raw.model) || !isGanDissection(raw.dissection)) return undefined;
  const r = raw.request;
  if (!isRecord(r) || !isName(r.layer) || !isIndex(r.samples) || (r.segmenterPath !== undefined && !isName(r.segmenterPath))) return undefined;
  const d = raw.dissection;
  const state: GanPanelState = {
    version: 1,
    model: raw.model,
    request: { layer: r.layer, samples: r.samples, ...(typeof r.segmenterPath === "string" ? { segmenterPath: r.segmenterPath } : {}) },
    dissection: d,
    ui: parseUi(raw.ui, d),
  };
  if (isGanEdit(raw.edit, d.imageWidth, d.imageHeight)) state.edit = raw.edit;
  return state;
}

/** What the page sent, checked against the dissection it shows: a concept it lists, 1 to that concept's units, a region inside the image. */
export function parseGanEditRequest(raw: unknown, d: GanDissectResult): GanEditRequest | undefined {
  if (!isRecord(raw) || raw.type !== "edit" || typeof raw.concept !== "string" || !isIndex(raw.units) || !isIndex(raw.sample) || raw.sample >= d.samples.length)
    return undefined;
  const concept = d.concepts.find((c) => c.concept === raw.concept);
  if (!concept || raw.units < 1 || raw.units > concept.units.length) return undefined;
  if (raw.region !== undefined && !isRegionIn(raw.region, d.imageWidth, d.imageHeight)) return undefined;
  const region = raw.region as GanRegion | undefined;
  return {
    type: "edit",
    concept: concept.concept,
    units: raw.units,
    sample: raw.sample,
    ...(region ? { region: { x0: region.x0, y0: region.y0, x1: region.x1, y1: region.y1 } } : {}),
  };
}

export function parseGanToWebview(raw: unknown): GanToWebview | undefined {
  return isRecord(raw) && raw.type === "editError" && typeof raw.message === "string" ? { type: "editError", message: raw.message } : undefined;
}

/**
 * The state a (re)rendered page starts from: the one the host embedded (its dissection and newest edit),
 * with what the user chose last on this page when it persisted one for the same dissection.
 */
export function mergeGanStates(embedded: GanPanelState | undefined, saved: GanPanelState | undefined): GanPanelState | undefined {
  if (!embedded) return saved;
  const same =
    saved &&
    saved.model.checkpointHash === embedded.model.checkpointHash &&
    saved.dissection.layer === embedded.dissection.layer &&
    saved.dissection.seed === embedded.dissection.seed &&
    saved.dissection.sampleCount === embedded.dissection.sampleCount;
  return same ? { ...embedded, ui: saved.ui } : embedded;
}

/** The concepts grouped by category, in the order the dissection lists them (best-labelled categories first as it sorts them). */
export function conceptsByCategory(d: GanDissectResult): Map<string, GanDissectResult["concepts"]> {
  const groups = new Map<string, GanDissectResult["concepts"]>();
  for (const c of d.concepts) groups.set(c.category, [...(groups.get(c.category) ?? []), c]);
  return groups;
}

/** A rectangle from two corners a drag went between (pixels of the image, either order), clamped to it; undefined when empty. */
export function regionFromDrag(a: { x: number; y: number }, b: { x: number; y: number }, width: number, height: number): GanRegion | undefined {
  const clampX = (v: number) => Math.min(width, Math.max(0, v));
  const clampY = (v: number) => Math.min(height, Math.max(0, v));
  const x0 = clampX(Math.floor(Math.min(a.x, b.x)));
  const y0 = clampY(Math.floor(Math.min(a.y, b.y)));
  const x1 = clampX(Math.floor(Math.max(a.x, b.x)) + 1);
  const y1 = clampY(Math.floor(Math.max(a.y, b.y)) + 1);
  return x0 < x1 && y0 < y1 ? { x0, y0, x1, y1 } : undefined;
}
