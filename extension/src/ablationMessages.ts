// Everything that crosses the boundary of the ablation panel, in one place: the state it persists,
// the typed messages between webview and extension, and the checks the host and the webview apply
// to them. Pure: imported by the host and by the webview script alike.

import { CLASS_SORTS, type ClassSort } from "./ablationChart";
import type { DissectionModelRef } from "./dissectionMessages";
import { isIndex, isName, isRecord, isSkippedImages } from "./guards";
import type { AblateResult } from "./protocol.generated";

/** An ablated unit with its dissected label, when the layer's dissection is cached. */
export interface AblatedUnit {
  unit: number;
  label?: string;
  category?: string;
}

export interface AblationUiState {
  sort: ClassSort;
  reversed: boolean;
  showControl: boolean;
}

/** What an ablation panel keeps through `setState`, and what its serializer revives it from. */
export interface AblationPanelState {
  version: 1;
  model: DissectionModelRef;
  result: AblateResult;
  units: AblatedUnit[];
  ui: AblationUiState;
}

/** Messages from the ablation webview to the extension. */
export type AblationToHost =
  /** Run "Ablate units" again for this layer (other units or another set). */
  | { type: "ablateAgain" }
  /** Run "Which units matter for a class" for this class and layer. */
  | { type: "rankUnits"; class: number };

/** Messages from the extension to the ablation webview. */
export type HostToAblation = { type: "status"; text: string };

export function defaultAblationUi(): AblationUiState {
  return { sort: "change", reversed: false, showControl: true };
}

export function parseAblationMessage(raw: unknown): AblationToHost | undefined {
  if (!isRecord(raw)) return undefined;
  switch (raw.type) {
    case "ablateAgain":
      return { type: "ablateAgain" };
    case "rankUnits":
      return isIndex(raw.class) ? { type: "rankUnits", class: raw.class } : undefined;
    default:
      return undefined;
  }
}

export function parseAblationUi(raw: unknown): AblationUiState {
  const r = isRecord(raw) ? raw : {};
  const sort = typeof r.sort === "string" && (CLASS_SORTS as readonly string[]).includes(r.sort) ? (r.sort as ClassSort) : "change";
  return { sort, reversed: r.reversed === true, showControl: r.showControl !== false };
}

/** A persisted state, checked field by field; undefined when it is missing or malformed. */
export function parseAblationPanelState(raw: unknown): AblationPanelState | undefined {
  if (!isRecord(raw) || raw.version !== 1 || !isModelRef(raw.model) || !isAblateResult(raw.result)) return undefined;
  if (!Array.isArray(raw.units) || !raw.units.every(isAblatedUnit)) return undefined;
  return { version: 1, model: raw.model, result: raw.result, units: raw.units as AblatedUnit[], ui: parseAblationUi(raw.ui) };
}

/** Structural check of an AblateResult (what the panel relies on). */
export function isAblateResult(x: unknown): x is AblateResult {
  if (!isRecord(x)) return false;
  if (!isName(x.layer) || typeof x.evaluationSet !== "string" || !isIndex(x.imageCount)) return false;
  if (!Array.isArray(x.units) || !x.units.every(isIndex)) return false;
  if (!isFraction(x.overallBefore) || !isFraction(x.overallAfter)) return false;
  if (typeof x.chartPng !== "string") return false;
  if (x.skipped !== undefined && !isSkippedImages(x.skipped)) return false;
  if (
    x.control !== undefined &&
    !(
      isRecord(x.control) &&
      Array.isArray(x.control.unitSets) &&
      x.control.unitSets.every((s) => Array.isArray(s) && s.every(isIndex)) &&
      isFraction(x.control.overallAfter)
    )
  )
    return false;
  return (
    Array.isArray(x.classes) &&
    x.classes.every(
      (c) =>
        isRecord(c) &&
        isIndex(c.class) &&
        typeof c.label === "string" &&
        isIndex(c.images) &&
        isFraction(c.before) &&
        isFraction(c.after) &&
        (c.controlAfter === undefined || isFraction(c.controlAfter)),
    )
  );
}

function isAblatedUnit(u: unknown): boolean {
  return (
    isRecord(u) && isIndex(u.unit) && (u.label === undefined || typeof u.label === "string") && (u.category === undefined || typeof u.category === "string")
  );
}

export function isModelRef(m: unknown): m is DissectionModelRef {
  return isRecord(m) && isName(m.modelId) && typeof m.checkpointHash === "string" && typeof m.modelLabel === "string";
}

function isFraction(n: unknown): n is number {
  return typeof n === "number" && Number.isFinite(n) && n >= 0 && n <= 1;
}
