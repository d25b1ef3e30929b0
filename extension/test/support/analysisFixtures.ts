// Results of occlusion, ablation and ranking as the daemon sends them, and panel states built on
// them, for the panel, message and webview tests.

import type { AblationPanelState } from "../../src/ablationMessages";
import type { OcclusionPanelState } from "../../src/occlusionMessages";
import type { AblateResult, OccludeResult, RankUnitsResult, UnitClassStatsResult } from "../../src/protocol.generated";
import type { RankPanelState } from "../../src/rankMessages";
import { TINY_PNG } from "./fixtures";

export const MODEL = { modelId: "m1", checkpointHash: "ab".repeat(32), modelLabel: "smallcnn.pth (smallcnn)" };

/** square −60 pts, circle −10 pts, triangle ±0; the control barely changes anything. */
export function ablateResult(overrides: Partial<AblateResult> = {}): AblateResult {
  return {
    layer: "conv3",
    units: [2, 5],
    evaluationSet: "probe",
    imageCount: 30,
    overallBefore: 0.9,
    overallAfter: 0.6667,
    classes: [
      { class: 1, label: "square", images: 10, before: 0.8, after: 0.2, controlAfter: 0.7 },
      { class: 0, label: "circle", images: 10, before: 0.9, after: 0.8, controlAfter: 0.9 },
      { class: 2, label: "triangle", images: 10, before: 1, after: 1, controlAfter: 1 },
    ],
    chartPng: TINY_PNG,
    chartWidth: 40,
    chartHeight: 20,
    control: {
      unitSets: [
        [7, 9],
        [1, 11],
        [3, 14],
      ],
      seed: 1,
      overallAfter: 0.8667,
    },
    ...overrides,
  };
}

export function ablationState(overrides: Partial<AblationPanelState> = {}): AblationPanelState {
  return {
    version: 1,
    model: MODEL,
    result: ablateResult(),
    units: [{ unit: 2, label: "red", category: "color" }, { unit: 5 }],
    ui: { sort: "change", reversed: false, showControl: true },
    ...overrides,
  };
}

/** conv3 for "square": unit 3 matters most, then 1, then 0 and 2. */
export function rankResult(overrides: Partial<RankUnitsResult> = {}): RankUnitsResult {
  return {
    layer: "conv3",
    class: 1,
    classLabel: "square",
    metric: "accuracy",
    evaluationSet: "probe",
    imageCount: 10,
    before: 0.8,
    units: [
      { unit: 3, drop: 0.5, accuracyDrop: 0.5, logProbabilityDrop: 1.2, after: 0.3, label: { conceptId: 1, concept: "red", category: "color", iou: 0.27 } },
      { unit: 1, drop: 0.3, accuracyDrop: 0.3, logProbabilityDrop: 0.8, after: 0.5 },
      { unit: 0, drop: 0.1, accuracyDrop: 0.1, logProbabilityDrop: 0.2, after: 0.7 },
      { unit: 2, drop: 0, accuracyDrop: 0, logProbabilityDrop: 0.01, after: 0.8 },
    ],
    curve: [
      { k: 1, topK: 0.3, randomK: 0.78, randomStd: 0.02 },
      { k: 2, topK: 0.1, randomK: 0.75, randomStd: 0.05 },
      { k: 3, topK: 0, randomK: 0.7, randomStd: 0.05 },
    ],
    curvePng: TINY_PNG,
    ...overrides,
  };
}

export function rankState(overrides: Partial<RankPanelState> = {}): RankPanelState {
  return { version: 1, model: MODEL, result: rankResult(), complete: true, ...overrides };
}

export function statsResult(unit = 3): UnitClassStatsResult {
  return {
    layer: "conv3",
    unit,
    class: 1,
    classLabel: "square",
    evaluationSet: "probe",
    inClass: { count: 10, mean: 3, std: 1, min: 1, q1: 2, median: 3, q3: 4, max: 5 },
    rest: { count: 20, mean: 0.5, std: 0.25, min: 0, q1: 0.25, median: 0.5, q3: 0.75, max: 1 },
    auc: 0.95,
    jitterPng: TINY_PNG,
    jitterWidth: 30,
    jitterHeight: 20,
  };
}

/** A 2×3 grid of positions on a 32×32 input; class 2 (triangle) predicted. */
export function occludeResult(overrides: Partial<OccludeResult> = {}): OccludeResult {
  const map = (values: number[], unoccluded: number) => ({
    values,
    min: Math.min(...values),
    max: Math.max(...values),
    unoccluded,
    heatmapPng: TINY_PNG,
  });
  return {
    targetClass: 2,
    targetLabel: "triangle",
    targetProbability: 0.67,
    predictedClass: 2,
    classNames: ["circle", "square", "triangle"],
    size: 8,
    stride: 12,
    fill: [0.485, 0.456, 0.406],
    rows: 2,
    columns: 3,
    imageWidth: 32,
    imageHeight: 32,
    imagePng: TINY_PNG,
    probability: map([0.9, 0.7, 0.5, 0.3, 0.2, 0.1], 0.67),
    mostProbable: {
      classes: [2, 2, 2, 0, 0, 1],
      legend: [
        { index: 2, label: "triangle", color: "#4e79a7", cells: 3 },
        { index: 0, label: "circle", color: "#f28e2b", cells: 2 },
        { index: 1, label: "square", color: "#e15759", cells: 1 },
      ],
      heatmapPng: TINY_PNG,
    },
    compositePng: TINY_PNG,
    activity: { layer: "conv4", unit: 7, strongest: true, map: map([9, 8, 7, 6, 5, 4], 9.5) },
    cached: false,
    ...overrides,
  };
}

export function occlusionState(overrides: Partial<OcclusionPanelState> = {}): OcclusionPanelState {
  return {
    version: 1,
    model: {
      ...MODEL,
      inputWidth: 32,
      inputHeight: 32,
      layers: [
        { name: "conv1", units: 8 },
        { name: "conv4", units: 16 },
      ],
    },
    image: { uri: "file:///data/images/cat.png", name: "cat.png" },
    request: { size: 8, stride: 12, fill: "mean" },
    result: occludeResult(),
    opacity: 0.6,
    ...overrides,
  };
}
