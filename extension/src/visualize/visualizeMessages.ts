// Everything that crosses the boundary of the "Visualize unit" panel, in one place: the state it
// persists, the optimisation it can (re)run, the typed messages between webview and extension, and
// their checks. Pure: imported by the host and by the webview script alike.

import { isModelRef } from "../ablationMessages";
import type { DissectionModelRef } from "../dissectionMessages";
import { isIndex, isName, isRecord } from "../guards";
import { isBase64 } from "../guards";
import type { HypothesisTestResult, MaximizationObjective, VisualizeParams, VisualizePreview, VisualizeResult } from "../protocol.generated";

/** The model as the panel needs it: its ids and the layers whose units can be visualized. */
export interface VisualizeModel extends DissectionModelRef {
  layers: { name: string; units: number; spatial: boolean }[];
}

/** What to optimise: the daemon's defaults apply to what is left out (12 rounds of 20 steps, seed 0). */
export interface VisualizeRequest {
  layer: string;
  unit: number;
  objective: MaximizationObjective;
  seed: number;
  rounds: number;
  steps: number;
}

/** A hypothesis test on a real image, with the image's name. */
export interface NamedTest {
  image: string;
  result: HypothesisTestResult;
}

export interface VisualizePanelState {
  version: 1;
  model: VisualizeModel;
  request: VisualizeRequest;
  /** The last finished optimisation (absent while the first one runs, or when it was cancelled). */
  result?: VisualizeResult;
  /** Hypothesis tests on real images, for this layer and unit, newest first. */
  tests: NamedTest[];
}

export type VisualizeToHost = { type: "run"; request: VisualizeRequest } | { type: "cancel" } | { type: "testImage" } | { type: "saveImage" };

export type HostToVisualize =
  { type: "preview"; preview: VisualizePreview } | { type: "progress"; text: string } | { type: "error"; message: string } | { type: "idle" };

export const DEFAULT_REQUEST = { objective: "channel", seed: 0, rounds: 12, steps: 20 } as const;

/** The limits the daemon checks too (rounds 1–50, steps 1–1000), so the form's mistakes never reach it. */
export const MAX_ROUNDS = 50;
export const MAX_STEPS = 1000;

/** How much the optimised image is enlarged on the page: to about 256 pixels, by a whole factor (its pixels stay sharp). */
export function displayScale(width: number, height: number): number {
  return Math.max(1, Math.floor(256 / Math.max(1, width, height)));
}

export function visualizeParams(modelId: string, r: VisualizeRequest): Omit<VisualizeParams, "workDoneToken" | "partialResultToken"> {
  return { modelId, layer: r.layer, unit: r.unit, objective: r.objective, seed: r.seed, rounds: r.rounds, steps: r.steps };
}

/** A request as the webview or a persisted state gives it: checked field by field against the model, or why not. */
export function checkVisualizeRequest(raw: unknown, model: VisualizeModel): { request: VisualizeRequest } | { error: string } {
  if (!isRecord(raw)) return { error: "No parameters." };
  const layer = model.layers.find((l) => l.name === raw.layer);
  if (!layer) return { error: "Unknown layer." };
  if (!isIndex(raw.unit) || raw.unit >= layer.units) return { error: `The unit must be a whole number from 0 to ${layer.units - 1}.` };
  if (raw.objective !== "channel" && raw.objective !== "neuron") return { error: "The objective must be channel or neuron." };
  if (raw.objective === "neuron" && !layer.spatial) return { error: `The neuron objective needs a layer with spatial maps; ${layer.name} has none.` };
  if (!isIndex(raw.seed) || raw.seed > 2147483647) return { error: "The seed must be a whole number from 0." };
  if (!isIndex(raw.rounds) || raw.rounds < 1 || raw.rounds > MAX_ROUNDS) return { error: `Rounds must be a whole number from 1 to ${MAX_ROUNDS}.` };
  if (!isIndex(raw.steps) || raw.steps < 1 || raw.steps > MAX_STEPS) return { error: `Steps must be a whole number from 1 to ${MAX_STEPS}.` };
  return { request: { layer: layer.name, unit: raw.unit, objective: raw.objective, seed: raw.seed, rounds: raw.rounds, steps: raw.steps } };
}

export function parseVisualizeMessage(raw: unknown, model: VisualizeModel): VisualizeToHost | { type: "invalid"; error: string } | undefined {
  if (!isRecord(raw)) return undefined;
  switch (raw.type) {
    case "cancel":
    case "testImage":
    case "saveImage":
      return { type: raw.type };
    case "run": {
      const checked = checkVisualizeRequest(raw.request, model);
      return "error" in checked ? { type: "invalid", error: checked.error } : { type: "run", request: checked.request };
    }
    default:
      return undefined;
  }
}

export function isHypothesisTestResult(x: unknown): x is HypothesisTestResult {
  return (
    isRecord(x) &&
    isName(x.layer) &&
    isIndex(x.unit) &&
    Array.isArray(x.meanActivations) &&
    x.meanActivations.every((v) => typeof v === "number") &&
    x.unit < x.meanActivations.length &&
    isIndex(x.rank) &&
    x.rank >= 1 &&
    isIndex(x.strongestUnit) &&
    isBase64(x.chartPng) &&
    isIndex(x.chartWidth) &&
    isIndex(x.chartHeight)
  );
}

/** Structural check of a VisualizeResult (what the panel relies on; PNGs must be base64). */
export function isVisualizeResult(x: unknown): x is VisualizeResult {
  return (
    isRecord(x) &&
    isName(x.layer) &&
    isIndex(x.unit) &&
    (x.objective === "channel" || x.objective === "neuron") &&
    isIndex(x.seed) &&
    isIndex(x.rounds) &&
    isIndex(x.steps) &&
    isIndex(x.width) &&
    isIndex(x.height) &&
    isBase64(x.imagePng) &&
    Array.isArray(x.roundActivations) &&
    x.roundActivations.every((v) => typeof v === "number") &&
    typeof x.finalActivation === "number" &&
    isHypothesisTestResult(x.hypothesis)
  );
}

export function isVisualizePreview(x: unknown): x is VisualizePreview {
  return isRecord(x) && isIndex(x.round) && isIndex(x.rounds) && typeof x.activation === "number" && isBase64(x.imagePng);
}

function isVisualizeModel(m: unknown): m is VisualizeModel {
  return (
    isModelRef(m) &&
    Array.isArray((m as unknown as Record<string, unknown>).layers) &&
    ((m as unknown as Record<string, unknown>).layers as unknown[]).every(
      (l) => isRecord(l) && isName(l.name) && isIndex(l.units) && typeof l.spatial === "boolean",
    )
  );
}

export function parseVisualizePanelState(raw: unknown): VisualizePanelState | undefined {
  if (!isRecord(raw) || raw.version !== 1 || !isVisualizeModel(raw.model)) return undefined;
  const checked = checkVisualizeRequest(raw.request, raw.model);
  if ("error" in checked) return undefined;
  if (raw.result !== undefined && !isVisualizeResult(raw.result)) return undefined;
  const tests = Array.isArray(raw.tests)
    ? raw.tests.filter((t): t is NamedTest => isRecord(t) && typeof t.image === "string" && isHypothesisTestResult(t.result))
    : [];
  return { version: 1, model: raw.model, request: checked.request, ...(raw.result !== undefined ? { result: raw.result } : {}), tests };
}
