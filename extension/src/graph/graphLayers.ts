// The explanatory graph command's layer helpers, pure (no `vscode` import) so they are tested in node.

import type { ModelInfo } from "../protocol.generated";

/** The model's last three convolutions with spatial maps, deepest first (the order the method wants). */
export function defaultGraphLayers(model: Pick<ModelInfo, "layers">): string[] {
  return model.layers
    .filter((l) => l.kind === "Conv2d" && l.outputShape.length === 3)
    .slice(-3)
    .map((l) => l.name)
    .reverse();
}

/** "a, b ,c" → ["a", "b", "c"]. */
export function parseLayerList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
