// The model as the "Visualize unit" panel keeps it: its ids, a label, and the layers whose units can
// be visualized (with maps, [C, H, W], or without, [F]). Pure: no `vscode` import, so tests build it.

import type { ModelInfo } from "../protocol.generated";
import type { VisualizeModel } from "./visualizeMessages";

export function visualizeModel(model: ModelInfo, label: string): VisualizeModel {
  return {
    modelId: model.modelId,
    checkpointHash: model.checkpointHash,
    modelLabel: label,
    layers: model.layers
      .filter((l) => l.units > 0 && (l.outputShape.length === 3 || l.outputShape.length === 1))
      .map((l) => ({ name: l.name, units: l.units, spatial: l.outputShape.length === 3 })),
  };
}
