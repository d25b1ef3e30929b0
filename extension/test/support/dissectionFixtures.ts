import type { ConceptScore, LayerDissection, UnitDissection } from "../../src/protocol.generated";
import type { DissectionPanelState } from "../../src/dissectionMessages";

export function concept(concept: string, category: string, iou: number, conceptId = 1): ConceptScore {
  return { conceptId, concept, category, iou };
}

export function unit(n: number, label?: ConceptScore, best?: ConceptScore, extra: ConceptScore[] = []): UnitDissection {
  const u: UnitDissection = {
    unit: n,
    threshold: 0.5 + n,
    bestPerCategory: [...(label ? [label] : best ? [best] : []), ...extra],
    topImages: [{ imageIndex: n, maxActivation: 2 }],
  };
  if (label) u.label = label;
  if (label || best) u.best = best ?? label!;
  return u;
}

/** conv4: unit 0 circle (shape) .31, 1 red (color) .27, 2 unlabelled (best stripes .02), 3 house (object) .12, 4 red (color) .05. */
export function layer(overrides: Partial<LayerDissection> = {}): LayerDissection {
  const units = [
    unit(0, concept("circle", "shape", 0.31, 5)),
    unit(1, concept("red", "color", 0.27, 1)),
    unit(2, undefined, concept("stripes", "texture", 0.02, 9), [concept("sky", "object", 0.01, 12)]),
    unit(3, concept("house", "object", 0.12, 11)),
    unit(4, concept("red", "color", 0.05, 1)),
  ];
  return {
    layer: "conv4",
    checkpointHash: "ab".repeat(32),
    dataset: "probe",
    datasetHash: "cd".repeat(32),
    options: { quantile: 0.005, iouThreshold: 0.04, topImages: 8, batchSize: 16 },
    imageCount: 2000,
    labelledUnits: 4,
    categories: [
      { name: "color", color: "#e15759" },
      { name: "texture", color: "#b07aa1" },
      { name: "shape", color: "#edc948" },
      { name: "object", color: "#4e79a7" },
    ],
    labelledByCategory: [
      { category: "color", units: 2 },
      { category: "texture", units: 0 },
      { category: "shape", units: 1 },
      { category: "object", units: 1 },
    ],
    units,
    ...overrides,
  };
}

export function panelState(overrides: Partial<DissectionPanelState> = {}): DissectionPanelState {
  return {
    version: 1,
    model: { modelId: "m1", checkpointHash: "ab".repeat(32), modelLabel: "smallcnn.pth (smallcnn)" },
    layers: [layer()],
    ui: { layer: "conv4", sort: "iou", descending: true, text: "", category: "" },
    ...overrides,
  };
}
