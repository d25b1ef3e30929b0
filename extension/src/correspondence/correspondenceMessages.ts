// What the correspondence panel persists (the result with the model and the boxes file it was made
// for) and its checks. Pure: imported by the host and by the webview script alike.

import { isModelRef } from "../ablationMessages";
import type { DissectionModelRef } from "../dissectionMessages";
import { isIndex, isName, isRecord } from "../guards";
import { isBase64 } from "../guards";
import type { CorrespondenceResult } from "../protocol.generated";

export interface CorrespondencePanelState {
  version: 1;
  model: DissectionModelRef;
  /** The boxes file's name, for the title. */
  boxesFile: string;
  result: CorrespondenceResult;
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** Structural check of a CorrespondenceResult. */
export function isCorrespondenceResult(x: unknown): x is CorrespondenceResult {
  return (
    isRecord(x) &&
    Array.isArray(x.layers) &&
    x.layers.every(isName) &&
    isIndex(x.randomDraws) &&
    isBase64(x.chartPng) &&
    isIndex(x.chartWidth) &&
    isIndex(x.chartHeight) &&
    Array.isArray(x.parts) &&
    x.parts.every(
      (p) =>
        isRecord(p) &&
        isName(p.part) &&
        Array.isArray(p.images) &&
        p.images.every((i) => typeof i === "string") &&
        Array.isArray(p.layers) &&
        p.layers.every(
          (l) => isRecord(l) && isName(l.layer) && finite(l.delta) && finite(l.deltaStd) && finite(l.deltaSum) && finite(l.randomDelta) && finite(l.randomStd),
        ),
    )
  );
}

export function parseCorrespondencePanelState(raw: unknown): CorrespondencePanelState | undefined {
  if (!isRecord(raw) || raw.version !== 1 || !isModelRef(raw.model) || typeof raw.boxesFile !== "string" || !isCorrespondenceResult(raw.result))
    return undefined;
  return { version: 1, model: raw.model, boxesFile: raw.boxesFile, result: raw.result };
}
