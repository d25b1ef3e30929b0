// What the Evolution panel (a training run as a timeline) and the Compare panel (two checkpoints
// unit by unit) persist, the messages their pages send, and the checks of both. Pure: imported by
// the host and by the webview scripts alike.

import { isModelRef } from "../ablationMessages";
import type { DissectionModelRef } from "../dissectionMessages";
import { isIndex, isName, isRecord } from "../guards";
import { isBase64 } from "../guards";
import type { CheckpointSummary, CompareCheckpointsResult, EvolveResult, LayerChange, LayerSummary, MatchedUnit } from "../protocol.generated";

export interface EvolutionPanelState {
  version: 1;
  /** The reference model the run was read as. */
  model: DissectionModelRef;
  /** The run (folder or folder + pattern) and its layers, as asked for. */
  run: string;
  /** The timeline: every checkpoint in training order (the partial results gathered) and the daemon's charts. */
  result: EvolveResult;
  /** The layer shown and the unit whose concepts are followed across the run. */
  layer?: string;
  unit?: number;
  /** Checkpoints summarised in the background since the charts were drawn (their rows are in the tables). */
  landed?: number;
}

export interface ComparePanelState {
  version: 1;
  modelA: DissectionModelRef;
  modelB: DissectionModelRef;
  result: CompareCheckpointsResult;
  /** The layer whose matched units are listed. */
  layer?: string;
}

/** Page → extension: reveal a checkpoint file of the run in the explorer, or load it. */
export type EvolutionToHost = { type: "openCheckpoint"; path: string };

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const share = (v: unknown): v is number => finite(v) && v >= -1e-9 && v <= 1 + 1e-9;
const missing = (v: unknown): v is null | undefined => v === undefined || v === null;
const optional = <T>(v: unknown, check: (x: unknown) => x is T): boolean => missing(v) || check(v);
const nameList = (v: unknown): v is string[] => Array.isArray(v) && v.every(isName);

function isLayerSummary(l: unknown): l is LayerSummary {
  return (
    isRecord(l) &&
    isName(l.layer) &&
    isIndex(l.units) &&
    finite(l.meanActivation) &&
    share(l.deadFraction) &&
    share(l.saturatedFraction) &&
    optional(l.weightLayer, isName) &&
    optional(l.weightNorm, finite) &&
    optional(l.weightChange, finite) &&
    optional(l.labelled, isIndex) &&
    (missing(l.labelledByCategory) ||
      (Array.isArray(l.labelledByCategory) && l.labelledByCategory.every((c) => isRecord(c) && isName(c.category) && isIndex(c.units)))) &&
    (missing(l.unitConcepts) ||
      (Array.isArray(l.unitConcepts) &&
        l.unitConcepts.every(
          (u) => isRecord(u) && isIndex(u.unit) && isName(u.concept) && isName(u.category) && share(u.iou) && typeof u.labelled === "boolean",
        )))
  );
}

export function isCheckpointSummary(c: unknown): c is CheckpointSummary {
  return (
    isRecord(c) &&
    isIndex(c.index) &&
    typeof c.checkpointHash === "string" &&
    Array.isArray(c.paths) &&
    c.paths.length > 0 &&
    c.paths.every(isName) &&
    Array.isArray(c.layers) &&
    c.layers.every(isLayerSummary) &&
    optional(c.epoch, isIndex) &&
    optional(c.step, isIndex) &&
    typeof c.cached === "boolean"
  );
}

/** Structural check of an EvolveResult (a response or a partial result). */
export function isEvolveResult(x: unknown): x is EvolveResult {
  return (
    isRecord(x) &&
    isName(x.run) &&
    typeof x.dataset === "string" &&
    isIndex(x.images) &&
    nameList(x.layers) &&
    isIndex(x.checkpointCount) &&
    Array.isArray(x.checkpoints) &&
    x.checkpoints.every(isCheckpointSummary) &&
    (missing(x.charts) ||
      (Array.isArray(x.charts) && x.charts.every((c) => isRecord(c) && isName(c.layer) && isBase64(c.png) && isIndex(c.width) && isIndex(c.height))))
  );
}

function isMatch(m: unknown): m is MatchedUnit {
  return (
    isRecord(m) &&
    isIndex(m.unitA) &&
    isIndex(m.unitB) &&
    optional(m.correlation, finite) &&
    optional(m.labelA, isName) &&
    optional(m.labelB, isName) &&
    (missing(m.labelChanged) || typeof m.labelChanged === "boolean")
  );
}

function isLayerChange(l: unknown): l is LayerChange {
  return (
    isRecord(l) &&
    isName(l.layer) &&
    isIndex(l.unitsA) &&
    isIndex(l.unitsB) &&
    isIndex(l.matchedToSameIndex) &&
    Array.isArray(l.matches) &&
    l.matches.every(isMatch) &&
    optional(l.cka, finite) &&
    optional(l.meanMatchedCorrelation, finite) &&
    optional(l.labelChanges, isIndex)
  );
}

/** Structural check of a CompareCheckpointsResult. */
export function isCompareResult(x: unknown): x is CompareCheckpointsResult {
  return (
    isRecord(x) &&
    typeof x.checkpointA === "string" &&
    typeof x.checkpointB === "string" &&
    typeof x.dataset === "string" &&
    isIndex(x.images) &&
    Array.isArray(x.layers) &&
    x.layers.every(isLayerChange) &&
    nameList(x.rankedByChange) &&
    isBase64(x.chartPng) &&
    isIndex(x.chartWidth) &&
    isIndex(x.chartHeight) &&
    typeof x.cached === "boolean"
  );
}

export function parseEvolutionPanelState(raw: unknown): EvolutionPanelState | undefined {
  if (!isRecord(raw) || raw.version !== 1 || !isModelRef(raw.model) || !isName(raw.run) || !isEvolveResult(raw.result)) return undefined;
  const layer = isName(raw.layer) && raw.result.layers.includes(raw.layer) ? raw.layer : undefined;
  const unit = isIndex(raw.unit) ? raw.unit : undefined;
  const landed = isIndex(raw.landed) && raw.landed > 0 ? raw.landed : undefined;
  return {
    version: 1,
    model: raw.model,
    run: raw.run,
    result: raw.result,
    ...(layer ? { layer } : {}),
    ...(unit !== undefined ? { unit } : {}),
    ...(landed !== undefined ? { landed } : {}),
  };
}

export function parseComparePanelState(raw: unknown): ComparePanelState | undefined {
  if (!isRecord(raw) || raw.version !== 1 || !isModelRef(raw.modelA) || !isModelRef(raw.modelB) || !isCompareResult(raw.result)) return undefined;
  const layer = isName(raw.layer) && raw.result.layers.some((l) => l.layer === raw.layer) ? raw.layer : undefined;
  return { version: 1, modelA: raw.modelA, modelB: raw.modelB, result: raw.result, ...(layer ? { layer } : {}) };
}

/** A checkpoint file the page asks to open: only one of the run's own files. */
export function parseEvolutionToHost(raw: unknown, state: EvolutionPanelState): EvolutionToHost | undefined {
  if (!isRecord(raw) || raw.type !== "openCheckpoint" || !isName(raw.path)) return undefined;
  const path = raw.path;
  return state.result.checkpoints.some((c) => c.paths.includes(path)) ? { type: "openCheckpoint", path } : undefined;
}

/** The checkpoints of a run gathered from partial results: one per index, in training order. */
export function gatherCheckpoints(partials: readonly CheckpointSummary[]): CheckpointSummary[] {
  const byIndex = new Map<number, CheckpointSummary>();
  for (const c of partials) byIndex.set(c.index, c);
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

/** "epoch 12", "step 3000", else "#3" (its place in the run), as the daemon's charts name them. */
export function checkpointName(c: CheckpointSummary): string {
  return c.epoch !== undefined && c.epoch !== null ? `epoch ${c.epoch}` : c.step !== undefined && c.step !== null ? `step ${c.step}` : `#${c.index + 1}`;
}
