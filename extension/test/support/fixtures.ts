import type { UnitMapPanelState, UnitMapView } from "../../src/unitMapMessages";
import * as fs from "node:fs";
import * as path from "node:path";

/** The extension folder (tests run from out/test/test). */
export const EXTENSION_ROOT = path.resolve(__dirname, "../../../..");
/** The repository root. */
export const REPO_ROOT = path.resolve(EXTENSION_ROOT, "..");

/** A page's styles as its webview applies them: media/base.css (every page's), then the page's own stylesheet. */
export function pageStyles(stylesheet: string): string {
  return ["base.css", stylesheet].map((file) => fs.readFileSync(path.join(EXTENSION_ROOT, "media", file), "utf8")).join("\n");
}

/** A 1×1 PNG. */
export const TINY_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

export function view(overrides: Partial<UnitMapView> = {}): UnitMapView {
  return {
    modelId: "m1",
    checkpointHash: "ab".repeat(32),
    modelLabel: "smallcnn.pth (smallcnn)",
    layer: "conv1",
    layerKind: "Conv2d",
    units: 16,
    unit: 3,
    imagePath: "/data/images/cat.png",
    mapWidth: 30,
    mapHeight: 30,
    min: -0.25,
    max: 3.5,
    mean: 0.4213987,
    imageWidth: 32,
    imageHeight: 32,
    overlayPng: TINY_PNG,
    ...overrides,
  };
}

export function state(overrides: Partial<UnitMapView> = {}, opacity = 0.7): UnitMapPanelState {
  return { version: 1, view: view(overrides), opacity };
}
