// A followed run's background summaries as the editor shows them: the short text beside each
// checkpoint in the Checkpoints view, and a summary that arrives merged into an open Evolution
// panel's run (the same run and layers only). Pure (no `vscode` import).

import * as path from "node:path";
import type { CheckpointSummarizedParams, CheckpointSummary } from "../protocol.generated";
import type { EvolutionPanelState } from "./evolutionMessages";

/** A run the user follows: its folder and the layers summarised. */
export interface FollowedRun {
  folder: string;
  layers: string[];
}

const pct = (v: number): string => `${(v * 100).toFixed(v > 0 && v < 0.1 ? 1 : 0)}%`;

/**
 * "features.27: 12% dead · Δw 3.4%" — the deepest followed layer (the last named) of a checkpoint:
 * its dead units and its weight change from the previous checkpoint (none for the first).
 */
export function summaryText(summary: CheckpointSummary): string {
  const layer = summary.layers[summary.layers.length - 1];
  if (!layer) return "";
  const change = layer.weightChange === undefined || layer.weightChange === null ? "" : ` · Δw ${pct(layer.weightChange)}`;
  return `${layer.layer}: ${pct(layer.deadFraction)} dead${change}`;
}

/** The same folder (a run is named by its folder, or a folder and a pattern inside it). */
export function sameFolder(a: string, b: string): boolean {
  const folder = (p: string) => (/[*?]/.test(path.basename(p)) ? path.dirname(p) : p);
  return path.resolve(folder(a)) === path.resolve(folder(b));
}

const sameLayers = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((l) => b.includes(l));

/** Training order: epoch, then step, then the place the daemon gave it. */
function trainingOrder(a: CheckpointSummary, b: CheckpointSummary): number {
  const key = (c: CheckpointSummary) => [c.epoch ?? Number.MAX_SAFE_INTEGER, c.step ?? Number.MAX_SAFE_INTEGER, c.index];
  const [x, y] = [key(a), key(b)];
  return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
}

/** The run's checkpoints with `landed` in its place (replacing one with the same bytes), in training order. */
export function mergeCheckpoint(checkpoints: readonly CheckpointSummary[], landed: CheckpointSummary): CheckpointSummary[] {
  return [...checkpoints.filter((c) => c.checkpointHash !== landed.checkpointHash), landed].sort(trainingOrder);
}

/**
 * The Evolution panel's state with a checkpoint summarised in the background, or undefined when the
 * panel shows another run or other layers. The charts were drawn before it came: `landed` counts
 * what arrived since, so the page can say so.
 */
export function withLandedCheckpoint(state: EvolutionPanelState, p: CheckpointSummarizedParams): EvolutionPanelState | undefined {
  if (!sameFolder(state.run, p.run) || !sameLayers(state.result.layers, p.layers)) return undefined;
  const known = state.result.checkpoints.some((c) => c.checkpointHash === p.checkpoint.checkpointHash);
  const checkpoints = mergeCheckpoint(state.result.checkpoints, p.checkpoint);
  return {
    ...state,
    result: { ...state.result, checkpoints, checkpointCount: checkpoints.length },
    landed: (state.landed ?? 0) + (known ? 0 : 1),
  };
}
