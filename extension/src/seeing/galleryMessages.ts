// Everything that crosses the boundary of the unit-gallery panel (Zeiler and Fergus figure 2 for one
// unit): the state it persists, what it can re-run with (another unit, method or k), the typed
// messages between webview and extension, and their checks. Pure: imported by the host and by the
// webview script alike.

import { isModelRef } from "../ablationMessages";
import type { DissectionModelRef } from "../dissectionMessages";
import { isIndex, isRecord } from "../guards";
import type { GalleryActivation, UnitGalleryParams, UnitGalleryResult } from "../protocol.generated";

export const METHODS = ["auto", "deconvnet", "guided", "gradient"] as const;
export type Method = (typeof METHODS)[number];
export const MAX_K = 100;

/** What the user chose for a run. */
export interface GalleryRequest {
  unit: number;
  method: Method;
  k: number;
}

export interface GalleryModel extends DissectionModelRef {
  /** The layer's unit count (the unit field's range). */
  units: number;
}

export interface GalleryPanelState {
  version: 1;
  model: GalleryModel;
  layer: string;
  /** "probe" or a Broden-format folder. */
  dataset: string;
  request: GalleryRequest;
  result: UnitGalleryResult;
}

export type GalleryToHost = { type: "rerun"; request: GalleryRequest };

export type HostToGallery = { type: "busy"; text: string } | { type: "error"; message: string } | { type: "idle" };

/** The protocol parameters of a request (tokens apart). */
export function galleryParams(modelId: string, layer: string, dataset: string, r: GalleryRequest): Omit<UnitGalleryParams, "workDoneToken"> {
  const p: Omit<UnitGalleryParams, "workDoneToken"> = { modelId, layer, unit: r.unit, dataset, k: r.k };
  if (r.method !== "auto") p.method = r.method;
  return p;
}

/** A request as the webview or a persisted state gives it: checked field by field, or why not. */
export function checkGalleryRequest(raw: unknown, units: number): { request: GalleryRequest } | { error: string } {
  if (!isRecord(raw)) return { error: "No parameters." };
  if (!isIndex(raw.unit) || raw.unit >= units) return { error: `The unit must be a whole number from 0 to ${units - 1}.` };
  if (typeof raw.method !== "string" || !(METHODS as readonly string[]).includes(raw.method))
    return { error: `The method must be one of ${METHODS.join(", ")}.` };
  if (!isIndex(raw.k) || raw.k < 1 || raw.k > MAX_K) return { error: `The number of images must be from 1 to ${MAX_K}.` };
  return { request: { unit: raw.unit, method: raw.method as Method, k: raw.k } };
}

export function parseGalleryMessage(raw: unknown, units: number): GalleryToHost | { type: "invalid"; error: string } | undefined {
  if (!isRecord(raw) || raw.type !== "rerun") return undefined;
  const checked = checkGalleryRequest(raw.request, units);
  return "error" in checked ? { type: "invalid", error: checked.error } : { type: "rerun", request: checked.request };
}

export function parseGalleryPanelState(raw: unknown): GalleryPanelState | undefined {
  if (!isRecord(raw) || raw.version !== 1 || !isGalleryModel(raw.model) || !isUnitGalleryResult(raw.result)) return undefined;
  if (typeof raw.layer !== "string" || typeof raw.dataset !== "string") return undefined;
  const checked = checkGalleryRequest(raw.request, raw.model.units);
  if ("error" in checked) return undefined;
  return { version: 1, model: raw.model, layer: raw.layer, dataset: raw.dataset, request: checked.request, result: raw.result };
}

function isGalleryModel(m: unknown): m is GalleryModel {
  return isModelRef(m) && isIndex((m as unknown as Record<string, unknown>).units);
}

const BASE64 = /^[A-Za-z0-9+/]*=*$/;

function isPng(x: unknown): x is string {
  return typeof x === "string" && BASE64.test(x);
}

function isActivation(a: unknown): a is GalleryActivation {
  if (!isRecord(a) || !isIndex(a.image) || typeof a.imagePath !== "string" || !isIndex(a.y) || !isIndex(a.x) || typeof a.value !== "number") return false;
  const b = a.box;
  if (!isRecord(b) || !isIndex(b.top) || !isIndex(b.left) || !isIndex(b.height) || !isIndex(b.width)) return false;
  return isPng(a.imagePng) && isPng(a.patchPng) && isPng(a.projectionPng);
}

/** Structural check of a UnitGalleryResult (what the panel relies on; PNGs must be base64). */
export function isUnitGalleryResult(x: unknown): x is UnitGalleryResult {
  if (!isRecord(x)) return false;
  if (typeof x.layer !== "string" || !isIndex(x.unit) || !isIndex(x.units) || !isIndex(x.images)) return false;
  if (typeof x.method !== "string" || typeof x.methodReason !== "string" || typeof x.dataset !== "string") return false;
  if (!isIndex(x.inputWidth) || !isIndex(x.inputHeight) || typeof x.cached !== "boolean" || !isPng(x.figurePng)) return false;
  if (x.receptiveField !== undefined && x.receptiveField !== null && typeof x.receptiveField !== "string") return false;
  return Array.isArray(x.activations) && x.activations.every(isActivation);
}
