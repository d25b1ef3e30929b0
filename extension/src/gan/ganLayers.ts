// The GAN command's pure helpers (no `vscode` import, so they are tested in node): which models and
// layers GAN dissection takes, and the sample counts offered.

import type { LayerInfo, ModelInfo } from "../protocol.generated";

/** Samples a dissection may go over: the seed's 1000 (the daemon's default), or fewer for a first look. */
export const SAMPLE_CHOICES = [1000, 400, 200] as const;

/** Why a model cannot be GAN-dissected; undefined when it can. */
export function ganRefusal(model: Pick<ModelInfo, "generator" | "path" | "architecture">): string | undefined {
  return model.generator
    ? undefined
    : `${model.path} (${model.architecture}) is not an image generator: GAN dissection needs one whose input is a latent vector (a DCGAN-style generator). Classifiers have "Dissect layer".`;
}

/** A generator's layers with feature maps, in the model's order (what the view lists). */
export function ganLayers(model: Pick<ModelInfo, "layers">): LayerInfo[] {
  return model.layers.filter((l) => l.units > 0 && l.outputShape.length === 3);
}
