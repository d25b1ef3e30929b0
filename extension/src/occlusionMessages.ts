// Everything that crosses the boundary of the occlusion panel, in one place: the state it persists,
// the parameters it can re-run with, the typed messages between webview and extension, and their
// checks (the host checks a re-run before it reaches the daemon). Pure: imported by the host and
// by the webview script alike.

import { defaultOcclusionGeometry, FILLS, fillValue, type Fill } from "./ablatePickers";
import { isModelRef } from "./ablationMessages";
import type { DissectionModelRef } from "./dissectionMessages";
import { isIndex, isRecord } from "./guards";
import type { OccludeParams, OccludeResult, OcclusionMap } from "./protocol.generated";

/** What the user chose for a run (target class undefined: the predicted one; unit undefined: the strongest). */
export interface OcclusionRequest {
  targetClass?: number;
  size: number;
  stride: number;
  fill: Fill;
  layer?: string;
  unit?: number;
}

/** The model as the panel needs it: its ids, its input size and its layers with spatial maps. */
export interface OcclusionModel extends DissectionModelRef {
  inputWidth: number;
  inputHeight: number;
  layers: { name: string; units: number }[];
}

export interface OcclusionPanelState {
  version: 1;
  model: OcclusionModel;
  /** The image: its URI (to re-read for a re-run) and name (for captions). */
  image: { uri: string; name: string };
  request: OcclusionRequest;
  result: OccludeResult;
  /** Opacity of the heatmaps over the image, 0–1. */
  opacity: number;
}

export type OcclusionToHost = { type: "rerun"; request: OcclusionRequest } | { type: "openImage" };

export type HostToOcclusion = { type: "busy"; text: string } | { type: "error"; message: string } | { type: "idle" };

export const DEFAULT_OPACITY = 0.6;

/** The protocol parameters of a request (image and tokens apart). */
export function occludeParams(modelId: string, r: OcclusionRequest): Omit<OccludeParams, "imagePath" | "imageBase64" | "workDoneToken"> {
  const p: Omit<OccludeParams, "imagePath" | "imageBase64" | "workDoneToken"> = { modelId, size: r.size, stride: r.stride };
  const fill = fillValue(r.fill);
  if (fill) p.fill = fill;
  if (r.targetClass !== undefined) p.targetClass = r.targetClass;
  if (r.layer !== undefined) {
    p.layer = r.layer;
    if (r.unit !== undefined) p.unit = r.unit;
  }
  return p;
}

/** The occlusion settings (`unitscope.occlusion.*` through `get`), with this input's defaults where they are 0, unset or too large. */
export function occlusionDefaults(
  get: (key: string) => unknown,
  model: { input: { width: number; height: number } },
): Pick<OcclusionRequest, "size" | "stride" | "fill"> {
  const auto = defaultOcclusionGeometry(model.input.width, model.input.height);
  const side = Math.min(model.input.width, model.input.height);
  const int = (v: unknown, fallback: number) => (typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= side ? v : fallback);
  const fill = get("occlusion.fill");
  return {
    size: int(get("occlusion.size"), auto.size),
    stride: int(get("occlusion.stride"), auto.stride),
    fill: typeof fill === "string" && (FILLS as readonly string[]).includes(fill) ? (fill as Fill) : "mean",
  };
}

/** What a request is checked against. */
export interface RequestLimits {
  inputWidth: number;
  inputHeight: number;
  classes: number;
  layers: readonly { name: string; units: number }[];
}

/** A request as the webview or a persisted state gives it: checked field by field, or why not. */
export function checkOcclusionRequest(raw: unknown, limits: RequestLimits): { request: OcclusionRequest } | { error: string } {
  if (!isRecord(raw)) return { error: "No parameters." };
  const side = Math.min(limits.inputWidth, limits.inputHeight);
  if (!isIndex(raw.size) || raw.size < 1 || raw.size > side) return { error: `The square's size must be a whole number from 1 to ${side}.` };
  if (!isIndex(raw.stride) || raw.stride < 1 || raw.stride > side) return { error: `The stride must be a whole number from 1 to ${side}.` };
  if (typeof raw.fill !== "string" || !(FILLS as readonly string[]).includes(raw.fill)) return { error: `The fill must be one of ${FILLS.join(", ")}.` };
  const request: OcclusionRequest = { size: raw.size, stride: raw.stride, fill: raw.fill as Fill };
  if (raw.targetClass !== undefined && raw.targetClass !== null) {
    if (!isIndex(raw.targetClass) || raw.targetClass < 0 || raw.targetClass >= limits.classes) return { error: "Unknown target class." };
    request.targetClass = raw.targetClass;
  }
  if (raw.layer !== undefined && raw.layer !== null && raw.layer !== "") {
    const layer = limits.layers.find((l) => l.name === raw.layer);
    if (!layer) return { error: "Unknown layer." };
    request.layer = layer.name;
    if (raw.unit !== undefined && raw.unit !== null) {
      if (!isIndex(raw.unit) || raw.unit < 0 || raw.unit >= layer.units)
        return { error: `The unit must be from 0 to ${layer.units - 1} (empty: the strongest).` };
      request.unit = raw.unit;
    }
  } else if (raw.unit !== undefined && raw.unit !== null) {
    return { error: "Choose a layer for the unit." };
  }
  return { request };
}

export function limitsOf(state: Pick<OcclusionPanelState, "model" | "result">): RequestLimits {
  return {
    inputWidth: state.model.inputWidth,
    inputHeight: state.model.inputHeight,
    classes: state.result.classNames.length,
    layers: state.model.layers,
  };
}

export function parseOcclusionMessage(raw: unknown, limits: RequestLimits): OcclusionToHost | { type: "invalid"; error: string } | undefined {
  if (!isRecord(raw)) return undefined;
  switch (raw.type) {
    case "openImage":
      return { type: "openImage" };
    case "rerun": {
      const checked = checkOcclusionRequest(raw.request, limits);
      return "error" in checked ? { type: "invalid", error: checked.error } : { type: "rerun", request: checked.request };
    }
    default:
      return undefined;
  }
}

export function parseOcclusionPanelState(raw: unknown): OcclusionPanelState | undefined {
  if (!isRecord(raw) || raw.version !== 1 || !isOcclusionModel(raw.model) || !isOccludeResult(raw.result)) return undefined;
  if (!isRecord(raw.image) || typeof raw.image.uri !== "string" || typeof raw.image.name !== "string") return undefined;
  const model = raw.model;
  const result = raw.result;
  const checked = checkOcclusionRequest(raw.request, limitsOf({ model, result }));
  if ("error" in checked) return undefined;
  const opacity = typeof raw.opacity === "number" && raw.opacity >= 0 && raw.opacity <= 1 ? raw.opacity : DEFAULT_OPACITY;
  return { version: 1, model, image: { uri: raw.image.uri, name: raw.image.name }, request: checked.request, result, opacity };
}

function isOcclusionModel(m: unknown): m is OcclusionModel {
  return (
    isModelRef(m) &&
    isIndex((m as unknown as Record<string, unknown>).inputWidth) &&
    isIndex((m as unknown as Record<string, unknown>).inputHeight) &&
    Array.isArray((m as unknown as Record<string, unknown>).layers) &&
    ((m as unknown as Record<string, unknown>).layers as unknown[]).every((l) => isRecord(l) && typeof l.name === "string" && isIndex(l.units))
  );
}

const BASE64 = /^[A-Za-z0-9+/]*=*$/;

function isMap(m: unknown, cells: number): m is OcclusionMap {
  return (
    isRecord(m) &&
    Array.isArray(m.values) &&
    m.values.length === cells &&
    m.values.every((v) => typeof v === "number") &&
    typeof m.min === "number" &&
    typeof m.max === "number" &&
    typeof m.unoccluded === "number" &&
    typeof m.heatmapPng === "string" &&
    BASE64.test(m.heatmapPng)
  );
}

/** Structural check of an OccludeResult (what the panel relies on; PNGs must be base64). */
export function isOccludeResult(x: unknown): x is OccludeResult {
  if (!isRecord(x)) return false;
  if (!isIndex(x.rows) || !isIndex(x.columns) || !isIndex(x.targetClass) || !isIndex(x.predictedClass)) return false;
  if (!Array.isArray(x.classNames) || !x.classNames.every((n) => typeof n === "string")) return false;
  if (typeof x.targetLabel !== "string" || typeof x.targetProbability !== "number") return false;
  if (!isIndex(x.imageWidth) || !isIndex(x.imageHeight) || typeof x.imagePng !== "string" || !BASE64.test(x.imagePng)) return false;
  if (typeof x.compositePng !== "string" || !BASE64.test(x.compositePng)) return false;
  const cells = x.rows * x.columns;
  if (!isMap(x.probability, cells)) return false;
  const mp = x.mostProbable;
  if (!isRecord(mp) || !Array.isArray(mp.classes) || mp.classes.length !== cells || typeof mp.heatmapPng !== "string" || !BASE64.test(mp.heatmapPng))
    return false;
  if (
    !Array.isArray(mp.legend) ||
    !mp.legend.every((l) => isRecord(l) && isIndex(l.index) && typeof l.label === "string" && typeof l.color === "string" && isIndex(l.cells))
  )
    return false;
  if (x.activity !== undefined) {
    const a = x.activity;
    if (!isRecord(a) || typeof a.layer !== "string" || !isIndex(a.unit) || typeof a.strongest !== "boolean" || !isMap(a.map, cells)) return false;
  }
  return true;
}
