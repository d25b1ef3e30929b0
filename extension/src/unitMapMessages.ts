// What crosses the boundary between the extension host and the unit-map webview: the unit-map
// view model, the state the panel persists, and the typed message unions, with the validation the
// host applies to whatever the webview sends (each other panel has its own *Messages.ts). Pure:
// imported by the host and by the webview script alike.

import { isBase64, isIndex, isRecord } from "./guards";
import type { PreprocessingInfo } from "./protocol.generated";

/** What the unit-map panel shows: one unit's map over one image, and where it came from. */
export interface UnitMapView {
  /** The model the map was computed with (may be gone after a daemon restart). */
  modelId: string;
  checkpointHash: string;
  /** e.g. "smallcnn.pth (smallcnn)". */
  modelLabel: string;
  layer: string;
  layerKind: string;
  /** How many units the layer has: valid units are 0..units-1. */
  units: number;
  unit: number;
  imagePath: string;
  mapWidth: number;
  mapHeight: number;
  min: number;
  max: number;
  mean: number;
  imageWidth: number;
  imageHeight: number;
  /** Base64 PNG: the heatmap overlaid on the image. */
  overlayPng: string;
  /** How the image became the model's input (absent from older states). */
  preprocessing?: PreprocessingInfo;
}

/** What a unit-map panel keeps through `setState`, and what its serializer revives it from. */
export interface UnitMapPanelState {
  version: 1;
  view: UnitMapView;
  /** Overlay opacity, 0..1. */
  opacity: number;
}

/** Messages from the unit-map webview to the extension. */
export type UnitMapToHost = { type: "showUnit"; unit: number } | { type: "pickUnit" } | { type: "openImage" };

/** Messages from the extension to the unit-map webview. */
export type HostToUnitMap = { type: "busy"; text: string } | { type: "error"; message: string };

export const DEFAULT_OPACITY = 1;

/** A message a webview posted, checked field by field; undefined when it is not one we know. */
export function parseUnitMapMessage(raw: unknown): UnitMapToHost | undefined {
  if (!isRecord(raw)) return undefined;
  switch (raw.type) {
    case "showUnit":
      return isIndex(raw.unit) ? { type: "showUnit", unit: raw.unit } : undefined;
    case "pickUnit":
      return { type: "pickUnit" };
    case "openImage":
      return { type: "openImage" };
    default:
      return undefined;
  }
}

/** A persisted panel state, checked field by field; undefined when it is missing or malformed. */
export function parseUnitMapPanelState(raw: unknown): UnitMapPanelState | undefined {
  if (!isRecord(raw) || raw.version !== 1 || !isRecord(raw.view)) return undefined;
  const v = raw.view;
  const strings = ["modelId", "checkpointHash", "modelLabel", "layer", "layerKind", "imagePath"] as const;
  const numbers = ["min", "max", "mean"] as const;
  const counts = ["units", "mapWidth", "mapHeight", "imageWidth", "imageHeight"] as const;
  if (!strings.every((k) => typeof v[k] === "string")) return undefined;
  if (!numbers.every((k) => typeof v[k] === "number")) return undefined;
  if (!counts.every((k) => isIndex(v[k]))) return undefined;
  if (!isIndex(v.unit) || (v.unit as number) >= (v.units as number)) return undefined;
  if (!isBase64(v.overlayPng)) return undefined;
  const opacity = typeof raw.opacity === "number" && raw.opacity >= 0 && raw.opacity <= 1 ? raw.opacity : DEFAULT_OPACITY;
  return { version: 1, view: v as unknown as UnitMapView, opacity };
}

/**
 * Checks what the user typed as a unit index for a layer of `units` units. Returns the error
 * message to show, or undefined when it is valid (the shape `showInputBox`'s validateInput wants).
 */
export function validateUnitInput(text: string, units: number): string | undefined {
  const t = text.trim();
  if (units <= 0) return "This layer has no units.";
  if (!/^\d+$/.test(t)) return `Enter a unit index from 0 to ${units - 1}.`;
  const n = Number(t);
  if (n > units - 1) return `Unit ${t} is out of range: this layer has ${units} units (0 to ${units - 1}).`;
  return undefined;
}
