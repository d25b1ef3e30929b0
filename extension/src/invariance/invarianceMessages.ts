// What the invariance panel persists (the result with the model and image names it was made for)
// and its checks. Pure: imported by the host and by the webview script alike.

import { isModelRef } from "../ablationMessages";
import type { DissectionModelRef } from "../dissectionMessages";
import { isIndex, isName, isRecord } from "../guards";
import { isBase64 } from "../guards";
import type { InvarianceResult } from "../protocol.generated";

export interface InvariancePanelState {
  version: 1;
  model: DissectionModelRef;
  result: InvarianceResult;
}

const TRANSFORMS = ["translation", "rotation", "scale"];

const numbers = (x: unknown, length?: number): boolean =>
  Array.isArray(x) && (length === undefined || x.length === length) && x.every((v) => typeof v === "number");

/** Structural check of an InvarianceResult: the arrays' shapes agree with the images, layers and values. */
export function isInvarianceResult(x: unknown): x is InvarianceResult {
  if (!isRecord(x) || !Array.isArray(x.layers) || !x.layers.every(isName) || !Array.isArray(x.images) || !x.images.every((n) => typeof n === "string"))
    return false;
  const images = x.images.length;
  const layers = x.layers.length;
  if (!Array.isArray(x.trueClasses) || x.trueClasses.length !== images || !x.trueClasses.every(isIndex)) return false;
  if (!Array.isArray(x.trueLabels) || x.trueLabels.length !== images || !numbers(x.baseProbabilities, images)) return false;
  if (!isBase64(x.chartPng) || !isIndex(x.chartWidth) || !isIndex(x.chartHeight) || !Array.isArray(x.sweeps)) return false;
  return x.sweeps.every((s) => {
    if (!isRecord(s) || !TRANSFORMS.includes(s.transform as string) || !numbers(s.values)) return false;
    const values = (s.values as number[]).length;
    const perLayer = (d: unknown) =>
      Array.isArray(d) && d.length === images && d.every((i) => Array.isArray(i) && i.length === layers && i.every((l) => numbers(l, values)));
    return (
      perLayer(s.distances) &&
      perLayer(s.relativeDistances) &&
      Array.isArray(s.probabilities) &&
      s.probabilities.length === images &&
      s.probabilities.every((p) => numbers(p, values))
    );
  });
}

export function parseInvariancePanelState(raw: unknown): InvariancePanelState | undefined {
  if (!isRecord(raw) || raw.version !== 1 || !isModelRef(raw.model) || !isInvarianceResult(raw.result)) return undefined;
  return { version: 1, model: raw.model, result: raw.result };
}

/** Per sweep: the mean relative distance per layer over images and values, and the lowest mean probability of the true class. */
export function invarianceSummary(r: InvarianceResult): { transform: string; relative: number[]; lowestProbability: number }[] {
  const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
  return r.sweeps.map((s) => ({
    transform: s.transform,
    relative: r.layers.map((_, l) => mean(s.relativeDistances.map((image) => mean(image[l] ?? [])))),
    lowestProbability: Math.min(...s.values.map((_, v) => mean(s.probabilities.map((p) => p[v] ?? 0)))),
  }));
}
