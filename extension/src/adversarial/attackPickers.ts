// The adversarial command's pure helpers (no `vscode` import, so they are tested in node): the ε choices
// and how a typed ε is read, and which layers and models an attack takes.

import type { LayerInfo, ModelInfo } from "../protocol.generated";

/** The ε offered, in 8-bit levels (ε = levels / 255): the range the seed's figures use. */
export const EPSILON_LEVELS = [1, 2, 4, 8, 16] as const;

/**
 * ε from what the user typed: "8/255", "8" (levels), or a fraction "0.03"; undefined when it is not one,
 * below one level (it would vanish in an 8-bit image) or above 1.
 */
export function parseEpsilon(text: string): number | undefined {
  const t = text.trim();
  const ratio = /^(\d+(?:\.\d+)?)\s*\/\s*255$/.exec(t);
  let value: number;
  if (ratio) value = Number(ratio[1]) / 255;
  else if (/^\d+$/.test(t)) value = Number(t) / 255;
  else if (/^(0?\.\d+|1(\.0*)?)$/.test(t)) value = Number(t);
  else return undefined;
  return Number.isFinite(value) && value >= 1 / 255 - 1e-12 && value <= 1 ? value : undefined;
}

/** Layers whose units an attack can compare: any with units and a map or a vector (what the daemon accepts). */
export function attackLayers(model: Pick<ModelInfo, "layers">): LayerInfo[] {
  return model.layers.filter((l) => l.units > 0 && (l.outputShape.length === 3 || l.outputShape.length === 1));
}

/** Why a model cannot be attacked (a generator has no image input or classes); undefined when it can. */
export function attackRefusal(model: Pick<ModelInfo, "generator" | "classCount" | "path">): string | undefined {
  if (model.generator) return `${model.path} is an image generator: attacks need a classifier (try "Dissect GAN generator units").`;
  if (model.classCount < 2) return `${model.path} has ${model.classCount} class: an attack needs at least two.`;
  return undefined;
}
