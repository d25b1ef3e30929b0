// Everything that crosses the boundary of the ranking panel ("Which units matter for a class"): the
// state it persists, the typed messages between webview and extension, and their checks. Pure:
// imported by the host and by the webview script alike.

import { isModelRef } from "./ablationMessages";
import type { DissectionModelRef } from "./dissectionMessages";
import { isIndex, isRecord, isSkippedImages } from "./guards";
import type { CurvePoint, RankedUnit, RankMetric, RankUnitsResult, UnitClassStatsResult } from "./protocol.generated";

/** What a ranking panel keeps through `setState`, and what its serializer revives it from. */
export interface RankPanelState {
  version: 1;
  model: DissectionModelRef;
  /** The result's header and the units received so far, ranked (all of them once `complete`). */
  result: RankUnitsResult;
  /** The curve has arrived: the ranking is final. */
  complete: boolean;
  /** The unit whose statistics are shown. */
  selected?: number;
  /** The statistics shown (only the selected unit's is kept). */
  stats?: UnitClassStatsResult;
}

/** Messages from the ranking webview to the extension. */
export type RankToHost =
  /** Show unit `unit` as a single-unit classifier for the class. */
  | { type: "stats"; unit: number }
  /** Ablate these units (e.g. the top k) with "Ablate units". */
  | { type: "ablate"; units: number[] };

/** Messages from the extension to the ranking webview. */
export type HostToRank =
  /** More units measured (partial results), or the whole ranking once `complete` (with the curve). */
  | { type: "result"; result: RankUnitsResult; complete: boolean }
  | { type: "stats"; unit: number; stats: UnitClassStatsResult }
  | { type: "statsError"; unit: number; message: string }
  | { type: "status"; text: string; error?: boolean };

const METRICS: readonly RankMetric[] = ["accuracy", "logProbability"];

/** `unitscope.ranking.metric`: accuracy (default) or logProbability. */
export function rankMetricSetting(raw: unknown): RankMetric {
  return raw === "logProbability" ? "logProbability" : "accuracy";
}

export function parseRankMessage(raw: unknown): RankToHost | undefined {
  if (!isRecord(raw)) return undefined;
  switch (raw.type) {
    case "stats":
      return isIndex(raw.unit) ? { type: "stats", unit: raw.unit } : undefined;
    case "ablate":
      return Array.isArray(raw.units) && raw.units.length > 0 && raw.units.length <= 4096 && raw.units.every(isIndex)
        ? { type: "ablate", units: [...new Set(raw.units as number[])] }
        : undefined;
    default:
      return undefined;
  }
}

export function parseRankPanelState(raw: unknown): RankPanelState | undefined {
  if (!isRecord(raw) || raw.version !== 1 || !isModelRef(raw.model) || !isRankResult(raw.result) || typeof raw.complete !== "boolean") return undefined;
  const state: RankPanelState = { version: 1, model: raw.model, result: raw.result, complete: raw.complete };
  if (isIndex(raw.selected)) state.selected = raw.selected;
  if (isStats(raw.stats) && raw.stats.unit === state.selected) state.stats = raw.stats;
  return state;
}

export function isRankResult(x: unknown): x is RankUnitsResult {
  if (!isRecord(x)) return false;
  if (typeof x.layer !== "string" || !isIndex(x.class) || typeof x.classLabel !== "string" || typeof x.evaluationSet !== "string") return false;
  if (!(METRICS as readonly unknown[]).includes(x.metric) || !isIndex(x.imageCount) || !isNumber(x.before)) return false;
  if (!Array.isArray(x.units) || !x.units.every(isRankedUnit)) return false;
  if (x.curve !== undefined && !(Array.isArray(x.curve) && x.curve.every(isCurvePoint))) return false;
  if (x.skipped !== undefined && !isSkippedImages(x.skipped)) return false;
  return x.curvePng === undefined || typeof x.curvePng === "string";
}

function isRankedUnit(u: unknown): u is RankedUnit {
  if (!isRecord(u) || !isIndex(u.unit) || !isNumber(u.drop) || !isNumber(u.accuracyDrop) || !isNumber(u.logProbabilityDrop)) return false;
  if (u.after !== undefined && !isNumber(u.after)) return false;
  return u.label === undefined || (isRecord(u.label) && typeof u.label.concept === "string" && typeof u.label.category === "string" && isNumber(u.label.iou));
}

function isCurvePoint(p: unknown): p is CurvePoint {
  return isRecord(p) && isIndex(p.k) && isNumber(p.topK) && isNumber(p.randomK) && isNumber(p.randomStd) && p.randomStd >= 0;
}

export function isStats(x: unknown): x is UnitClassStatsResult {
  if (!isRecord(x) || !isIndex(x.unit) || !isIndex(x.class) || typeof x.classLabel !== "string" || typeof x.jitterPng !== "string") return false;
  const dist = (d: unknown) => isRecord(d) && isIndex(d.count) && ["mean", "std", "min", "q1", "median", "q3", "max"].every((k) => isNumber(d[k]));
  if (x.skipped !== undefined && !isSkippedImages(x.skipped)) return false;
  return dist(x.inClass) && dist(x.rest) && isNumber(x.auc) && isIndex(x.jitterWidth) && isIndex(x.jitterHeight);
}

function isNumber(n: unknown): n is number {
  return typeof n === "number" && Number.isFinite(n);
}
