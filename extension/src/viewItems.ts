// What the UnitScope view shows for models, layers, checkpoints and jobs, as plain data. Pure (no
// `vscode` import), so the labels and context values are unit-tested; unitscopeView.ts turns them
// into tree items.

import * as path from "node:path";
import type { DissectedLayer, LayerInfo, ModelInfo } from "./protocol.generated";

/** A layer node: also the argument the context-menu commands get ({ modelId, layer }). */
export interface LayerNode {
  kind: "layer";
  modelId: string;
  layer: string;
  info: LayerInfo;
  /** The default dissection's counts, when there is one. */
  dissected?: { labelled: number; units: number };
  /** A layer of an image generator: GAN dissection applies, the classifier analyses do not. */
  generator?: true;
}

export interface ModelNode {
  kind: "model";
  modelId: string;
  info: ModelInfo;
  active: boolean;
  /** Files loaded before with the same bytes (see ModelSet.loaded). */
  sameBytesAs?: readonly string[];
}

export interface ItemView {
  label: string;
  description: string;
  tooltip: string;
  contextValue: string;
  /** A codicon id. */
  icon: string;
}

export function modelItem(node: ModelNode): ItemView {
  const m = node.info;
  const twins = (node.sameBytesAs ?? []).map((p) => path.basename(p));
  return {
    label: path.basename(m.path),
    description: `${m.architecture} · ${m.device}${node.active ? " · active" : ""}${twins.length ? ` · = ${twins.join(", ")}` : ""}`,
    tooltip:
      `${m.path}\n${m.architecture}, ${m.layers.length} layers, ${m.classCount} classes, input ${m.input.channels}×${m.input.height}×${m.input.width}, on ${m.device}\nmodel ${m.modelId}` +
      (twins.length ? `\nIdentical to ${twins.join(", ")} (the same bytes): one model in memory.` : ""),
    contextValue: node.active ? "model.active" : "model",
    icon: node.active ? "pass-filled" : "circuit-board",
  };
}

/** Whether dissection (and unit maps) apply: the layer has [C, H, W] output. */
export function isSpatial(layer: LayerInfo): boolean {
  return layer.outputShape.length === 3 && layer.units > 0;
}

export function layerItem(node: LayerNode): ItemView {
  const l = node.info;
  const parts = [l.kind, `${l.units} units`, l.outputShape.join("×")];
  if (node.dissected) parts.push(`${node.dissected.labelled}/${node.dissected.units} labelled`);
  const spatial = isSpatial(l);
  return {
    label: l.name,
    description: parts.join(" · "),
    tooltip:
      `${l.name}: ${l.kind}, ${l.units} units, output ${l.outputShape.join("×")}` +
      (node.dissected ? `\n${node.dissected.labelled} of ${node.dissected.units} units labelled` : ""),
    contextValue:
      spatial && node.generator
        ? "layer.generator"
        : spatial
          ? node.dissected
            ? "layer.spatial.dissected"
            : "layer.spatial"
          : l.units > 0
            ? "layer.flat"
            : "layer.none",
    icon: node.dissected ? "symbol-color" : spatial ? "symbol-field" : "symbol-property",
  };
}

/** The default dissection of each layer (the one hovers show), by layer name. */
export function dissectedCounts(layers: readonly DissectedLayer[]): Map<string, { labelled: number; units: number }> {
  const counts = new Map<string, { labelled: number; units: number }>();
  for (const d of layers) if (d.isDefault) counts.set(d.layer, { labelled: d.labelledUnits, units: d.units });
  return counts;
}

/** Layer nodes of a model: every layer with units, in the model's order. */
export function layerNodes(model: ModelInfo, counts: ReadonlyMap<string, { labelled: number; units: number }>): LayerNode[] {
  return model.layers
    .filter((l) => l.units > 0)
    .map((info) => {
      const dissected = counts.get(info.name);
      return {
        kind: "layer" as const,
        modelId: model.modelId,
        layer: info.name,
        info,
        ...(dissected ? { dissected } : {}),
        ...(model.generator ? { generator: true as const } : {}),
      };
    });
}

/** "12.3 MB · 5 min ago" for a checkpoint. */
export function checkpointDescription(size: number, mtime: number, now: number, loaded: boolean): string {
  const mb = size / (1024 * 1024);
  const sizeText = mb >= 1 ? `${mb.toFixed(1)} MB` : `${Math.max(1, Math.round(size / 1024))} KB`;
  return [sizeText, ago(now - mtime), ...(loaded ? ["loaded"] : [])].join(" · ");
}

export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} days ago`;
}
