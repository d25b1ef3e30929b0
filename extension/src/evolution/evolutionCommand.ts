// "Show training run" (a run in the Checkpoints view, a folder in the explorer, or the palette) and
// "Compare with…" (a checkpoint in the view or the explorer). A run: its newest checkpoint loaded as
// the reference, the layers to follow (the last two convolutions preselected), statistics alone or
// with dissection, then unitscope/evolve as a job (progress, Cancel) gathering each checkpoint as it
// is done, and the Evolution panel. A comparison: a second checkpoint picked (its own folder's first),
// both loaded, unitscope/compareCheckpoints as a job, and the Compare panel.

import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { modelLabel, reportAnalysisFailure } from "../analysisCommon";
import { runAnalysisJob } from "../analysisJob";
import { dissectionDataset, readSettings } from "../config";
import type { Ctx } from "../ctx";
import { loadCheckpointFile } from "../editorCommands";
import type { CheckpointSummary, ModelInfo } from "../protocol.generated";
import { ComparePanel, EvolutionPanel } from "./evolutionPanel";
import { gatherCheckpoints, type ComparePanelState, type EvolutionPanelState } from "./evolutionMessages";
import { newestCheckpoint, type RunFollowing } from "./runFollowing";
import { checkpointPathOf, defaultRunLayers, runFolderOf } from "./runGroups";

export const EvolutionCommands = { showTrainingRun: "unitscope.showTrainingRun", compareWith: "unitscope.compareWith" } as const;

const isDirectory = (p: string) => {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
};

const ref = (m: ModelInfo) => ({ modelId: m.modelId, checkpointHash: m.checkpointHash, modelLabel: modelLabel(m) });

export async function showTrainingRun(ctx: Ctx, raw?: unknown, following?: RunFollowing): Promise<EvolutionPanelState | undefined> {
  if (!(await ctx.client())) return undefined;
  let folder = runFolderOf(raw, isDirectory);
  if (!folder) {
    folder = (
      await vscode.window.showOpenDialog({
        title: "UnitScope: the folder training writes its checkpoints to",
        openLabel: "Show run",
        canSelectFiles: false,
        canSelectFolders: true,
      })
    )?.[0]?.fsPath;
    if (!folder) return undefined;
  }
  const newest = isDirectory(folder) ? newestCheckpoint(folder) : undefined;
  if (!newest) {
    void vscode.window.showWarningMessage(`UnitScope: ${folder} holds no checkpoint (.pth, .pt, .th, .bin, .safetensors, .ckpt).`);
    return undefined;
  }
  // The newest checkpoint is the reference: every other one is read with its architecture and input.
  const model = await loadCheckpointFile(ctx, newest);
  if (!model) return undefined;
  const preselected = new Set(defaultRunLayers(model.layers));
  const picked = await vscode.window.showQuickPick(
    model.layers
      .filter((l) => /conv|linear/i.test(l.kind))
      .map((l) => ({ label: l.name, description: `${l.kind} · ${l.units} units`, picked: preselected.has(l.name) })),
    { title: `UnitScope: the layers to follow along ${path.basename(folder)}`, canPickMany: true, ignoreFocusOut: true },
  );
  if (!picked || picked.length === 0) return undefined;
  const mode = await vscode.window.showQuickPick(
    [
      { label: "Statistics", description: "activations, dead units, weight change per checkpoint (fast)", dissect: false },
      { label: "Statistics and dissection", description: "also every unit's concept and IoU per checkpoint", dissect: true },
    ],
    { title: "UnitScope: what to compute per checkpoint", ignoreFocusOut: true },
  );
  if (!mode) return undefined;
  const dataset = dissectionDataset();
  const request = { modelId: model.modelId, run: folder, layers: picked.map((p) => p.label), dissect: mode.dissect, ...(dataset ? { dataset } : {}) };
  const partials: CheckpointSummary[] = [];
  try {
    const result = await runAnalysisJob(ctx, `UnitScope: training run ${path.basename(folder)}`, "unitscope/evolve", request, {
      partial: (p) => partials.push(...p.checkpoints),
    });
    const state: EvolutionPanelState = {
      version: 1,
      model: ref(model),
      run: result.run,
      result: { ...result, checkpoints: gatherCheckpoints([...partials, ...result.checkpoints]) },
    };
    EvolutionPanel.show(ctx, state);
    // From now on each checkpoint that lands in the run is summarised in the background (the same layers and images).
    void following?.follow(folder, request.layers, model);
    return state;
  } catch (e) {
    reportAnalysisFailure(ctx, `training run ${path.basename(folder)}`, e);
    return undefined;
  }
}

export async function compareWith(ctx: Ctx, raw?: unknown): Promise<ComparePanelState | undefined> {
  if (!(await ctx.client())) return undefined;
  let first = checkpointPathOf(raw);
  if (!first) {
    first = (await vscode.window.showOpenDialog({ title: "UnitScope: the first checkpoint (A)", openLabel: "Use as A", canSelectMany: false }))?.[0]?.fsPath;
    if (!first) return undefined;
  }
  const a = first;
  const found = await vscode.workspace.findFiles(readSettings().settings.checkpointGlob, "**/{node_modules,.git}/**", 500);
  const others = found.map((u) => u.fsPath).filter((p) => path.resolve(p) !== path.resolve(a));
  // The same run's checkpoints first: comparing along one training run is the common case.
  const sameFolder = (p: string) => path.dirname(p) === path.dirname(a);
  others.sort((x, y) => Number(sameFolder(y)) - Number(sameFolder(x)) || x.localeCompare(y));
  const items: (vscode.QuickPickItem & { path?: string })[] = [
    ...others.map((p) => ({ label: path.basename(p), detail: vscode.workspace.asRelativePath(p), path: p })),
    { label: "$(folder-opened) Another file…" },
  ];
  const choice = await vscode.window.showQuickPick(items, { title: `UnitScope: compare ${path.basename(a)} with…`, ignoreFocusOut: true, matchOnDetail: true });
  if (!choice) return undefined;
  const b = choice.path ?? (await vscode.window.showOpenDialog({ title: "UnitScope: the second checkpoint (B)", openLabel: "Use as B" }))?.[0]?.fsPath;
  if (!b) return undefined;
  const modelA = await loadCheckpointFile(ctx, a);
  if (!modelA) return undefined;
  const modelB = await loadCheckpointFile(ctx, b);
  if (!modelB) return undefined;
  try {
    const result = await runAnalysisJob(ctx, `UnitScope: comparing ${path.basename(a)} with ${path.basename(b)}`, "unitscope/compareCheckpoints", {
      modelIdA: modelA.modelId,
      modelIdB: modelB.modelId,
    });
    const state: ComparePanelState = { version: 1, modelA: ref(modelA), modelB: ref(modelB), result };
    ComparePanel.show(ctx, state);
    return state;
  } catch (e) {
    reportAnalysisFailure(ctx, `comparison of ${path.basename(a)} with ${path.basename(b)}`, e);
    return undefined;
  }
}

export function registerEvolution(ctx: Ctx, following?: RunFollowing): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(EvolutionCommands.showTrainingRun, (arg?: unknown) => showTrainingRun(ctx, arg, following)),
    vscode.commands.registerCommand(EvolutionCommands.compareWith, (arg?: unknown) => compareWith(ctx, arg)),
    EvolutionPanel.registerSerializer(ctx),
    ctx.onDidSummarizeCheckpoint((p) => EvolutionPanel.checkpointLanded(p)),
    ComparePanel.registerSerializer(ctx),
  ];
}
