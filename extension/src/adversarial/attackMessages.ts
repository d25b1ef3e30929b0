// What the adversarial panel persists (the attack's result with the model, the request that made it and
// the layer's dissected labels), the messages between its page and the extension, and their checks.
// Pure: imported by the host and by the webview script alike.

import { isModelRef } from "../ablationMessages";
import type { DissectionModelRef } from "../dissectionMessages";
import { isIndex, isName, isRecord } from "../guards";
import { isBase64 } from "../guards";
import type { AttackClass, AttackOverlap, AttackResult, AttackUnitChange } from "../protocol.generated";

/** A unit's dissected label (the layer's default dissection), shown beside the unit. */
export interface AttackUnitLabel {
  unit: number;
  concept: string;
  category: string;
  iou: number;
}

/** What was asked for, in words the panel shows (the image's name, never its bytes). */
export interface AttackRequestInfo {
  image: string;
  /** The evaluation set whose class rankings the changed units were compared with; absent: none. */
  evaluationSet?: string;
}

export interface AttackPanelState {
  version: 1;
  model: DissectionModelRef;
  request: AttackRequestInfo;
  result: AttackResult;
  /** Labels of the result's units from the layer's dissection; empty when the layer is not dissected. */
  labels: AttackUnitLabel[];
  /** The unit last chosen on the page (its maps shown large). */
  selected?: number;
}

/** Page → extension: open a unit's card (the existing unit card command). */
export interface AttackOpenUnit {
  type: "openUnit";
  unit: number;
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const probability = (v: unknown): v is number => finite(v) && v >= 0 && v <= 1 + 1e-6;
const optionalBase64 = (v: unknown) => v === undefined || v === null || isBase64(v);

function isAttackClass(c: unknown): c is AttackClass {
  return isRecord(c) && isIndex(c.index) && typeof c.name === "string" && probability(c.probability);
}

function isUnitChange(u: unknown): u is AttackUnitChange {
  return (
    isRecord(u) &&
    isIndex(u.unit) &&
    finite(u.cleanMean) &&
    finite(u.attackedMean) &&
    finite(u.change) &&
    finite(u.meanAbsoluteChange) &&
    optionalBase64(u.cleanMapPng) &&
    optionalBase64(u.attackedMapPng)
  );
}

const unitList = (v: unknown): v is number[] => Array.isArray(v) && v.every(isIndex);

function isOverlap(o: unknown): o is AttackOverlap {
  return (
    isRecord(o) &&
    (o.role === "source" || o.role === "target") &&
    isIndex(o.classIndex) &&
    typeof o.className === "string" &&
    isIndex(o.k) &&
    unitList(o.changedUnits) &&
    unitList(o.importantUnits) &&
    unitList(o.shared) &&
    finite(o.expectedByChance)
  );
}

/** Structural check of an AttackResult (from the daemon, or persisted). */
export function isAttackResult(x: unknown): x is AttackResult {
  return (
    isRecord(x) &&
    isName(x.layer) &&
    (x.method === "fgsm" || x.method === "pgd") &&
    finite(x.epsilon) &&
    x.epsilon > 0 &&
    isIndex(x.epsilonLevels) &&
    isIndex(x.steps) &&
    finite(x.stepSize) &&
    (x.targetClass === undefined || x.targetClass === null || isIndex(x.targetClass)) &&
    isIndex(x.sourceClass) &&
    isAttackClass(x.cleanPrediction) &&
    isAttackClass(x.attackedPrediction) &&
    probability(x.cleanSourceProbability) &&
    probability(x.attackedSourceProbability) &&
    typeof x.succeeded === "boolean" &&
    isIndex(x.maxChange) &&
    isBase64(x.cleanPng) &&
    isBase64(x.attackedPng) &&
    isBase64(x.perturbationPng) &&
    isIndex(x.width) &&
    isIndex(x.height) &&
    Array.isArray(x.units) &&
    x.units.every(isUnitChange) &&
    Array.isArray(x.overlaps) &&
    x.overlaps.every(isOverlap)
  );
}

function isLabel(l: unknown): l is AttackUnitLabel {
  return isRecord(l) && isIndex(l.unit) && isName(l.concept) && typeof l.category === "string" && finite(l.iou);
}

/** A persisted state (or the one embedded in the page); undefined when it is not one this version wrote. */
export function parseAttackPanelState(raw: unknown): AttackPanelState | undefined {
  if (!isRecord(raw) || raw.version !== 1 || !isModelRef(raw.model) || !isAttackResult(raw.result)) return undefined;
  const request = raw.request;
  if (!isRecord(request) || typeof request.image !== "string" || (request.evaluationSet !== undefined && typeof request.evaluationSet !== "string"))
    return undefined;
  if (!Array.isArray(raw.labels) || !raw.labels.every(isLabel)) return undefined;
  const state: AttackPanelState = {
    version: 1,
    model: raw.model,
    request: { image: request.image, ...(typeof request.evaluationSet === "string" ? { evaluationSet: request.evaluationSet } : {}) },
    result: raw.result,
    labels: raw.labels,
  };
  if (isIndex(raw.selected) && shownUnits(raw.result).has(raw.selected)) state.selected = raw.selected;
  return state;
}

/** Every unit the page names (the changed ones and the overlaps' lists): what it may ask about. */
export function shownUnits(result: AttackResult): Set<number> {
  const units = new Set(result.units.map((u) => u.unit));
  for (const o of result.overlaps) for (const u of [...o.changedUnits, ...o.importantUnits]) units.add(u);
  return units;
}

/** What the page sent, checked against the result it shows (a unit it does not show is refused). */
export function parseAttackMessage(raw: unknown, result: AttackResult): AttackOpenUnit | undefined {
  if (!isRecord(raw) || raw.type !== "openUnit" || !isIndex(raw.unit)) return undefined;
  return shownUnits(result).has(raw.unit) ? { type: "openUnit", unit: raw.unit } : undefined;
}

/** The labels of `units` in a layer's dissection: unit → label, for the units that have one. */
export function labelsOf(
  dissection: { units: readonly { unit: number; label?: { concept: string; category: string; iou: number } | null }[] } | undefined,
  units: Iterable<number>,
): AttackUnitLabel[] {
  if (!dissection) return [];
  const wanted = new Set(units);
  const out: AttackUnitLabel[] = [];
  for (const u of dissection.units) {
    if (!wanted.has(u.unit) || !u.label) continue;
    out.push({ unit: u.unit, concept: u.label.concept, category: u.label.category, iou: u.label.iou });
  }
  return out;
}
