// The steps the occlusion, ablation and ranking commands share: which model (the link's, the only
// one, or a pick), which layer, which class, which evaluation set, and telling the user when
// something fails. The items themselves come from ablatePickers.ts (pure, tested).

import * as path from "node:path";
import * as vscode from "vscode";
import {
  ablatableLayers,
  classItems,
  classNamesOf,
  evaluationSetItems,
  layerItems,
  parseAnalysisArgs,
  rememberFolder,
  showAllItem,
  splitLayers,
  type AnalysisArgs,
  type ClassItem,
} from "./ablatePickers";
import { dissectionDataset } from "./config";
import { DaemonUnavailable, type Ctx } from "./ctx";
import { describeFailure } from "./errors";
import { ErrorKind, type LayerDissection, type LayerInfo, type ModelInfo } from "./protocol.generated";

const RECENT_SETS_KEY = "unitscope.recentEvaluationSets";

/**
 * The model a command works on: the one a link names (when still loaded), else the only one
 * loaded, else a pick (the active one first). Offers to load a checkpoint when none is.
 */
export async function modelForAnalysis(ctx: Ctx, modelId?: string): Promise<ModelInfo | undefined> {
  if (!(await ctx.client())) return undefined;
  await ctx.modelSettled();
  let models: ModelInfo[];
  try {
    models = (await ctx.request("unitscope/listModels", {})).models;
  } catch (e) {
    reportAnalysisFailure(ctx, "list the loaded models", e);
    return undefined;
  }
  if (modelId) {
    const named = models.find((m) => m.modelId === modelId);
    if (named) return named;
    void vscode.window.showWarningMessage(`UnitScope: model ${modelId} is no longer loaded; hover the layer again or pick the model.`);
    return undefined;
  }
  if (models.length === 0) {
    const choice = await vscode.window.showInformationMessage("UnitScope: no model is loaded.", "Load checkpoint");
    if (choice === "Load checkpoint") return vscode.commands.executeCommand<ModelInfo | undefined>("unitscope.loadCheckpoint");
    return undefined;
  }
  if (models.length === 1) return models[0];
  const active = ctx.activeModel?.modelId;
  const sorted = [...models].sort((a, b) => Number(b.modelId === active) - Number(a.modelId === active));
  const picked = await vscode.window.showQuickPick(
    sorted.map((m) => ({
      label: path.basename(m.path),
      description: `${m.architecture} · ${m.device}${m.modelId === active ? " · active" : ""}`,
      detail: m.path,
      model: m,
    })),
    { title: "UnitScope: which model?", placeHolder: "Model", ignoreFocusOut: true },
  );
  return picked?.model;
}

/**
 * What the ablation and ranking commands start from: their arguments (a hover link's, a panel's),
 * the model ({@link modelForAnalysis}) and a layer with units — the one the arguments name, else a
 * pick titled `pickTitle`. Undefined when the user cancelled or was told why not.
 * @param command The command's id, for the log. @param verb What the layer's units are for, as in "no layer L with units to ablate".
 */
export async function modelAndLayer(
  ctx: Ctx,
  command: string,
  raw: unknown,
  verb: string,
  pickTitle: (model: ModelInfo) => string,
): Promise<{ args: AnalysisArgs; model: ModelInfo; layer: LayerInfo } | undefined> {
  const args = parseAnalysisArgs(raw);
  if (!args) {
    ctx.output.warn(`${command}: ignored malformed arguments ${JSON.stringify(raw)?.slice(0, 200)}`);
    return undefined;
  }
  const model = await modelForAnalysis(ctx, args.modelId);
  if (!model) return undefined;
  const layers = ablatableLayers(model);
  if (!args.layer) {
    const layer = await pickLayer(ctx, model, layers, pickTitle(model));
    return layer && { args, model, layer };
  }
  const layer = layers.find((l) => l.name === args.layer);
  if (!layer) {
    void vscode.window.showWarningMessage(`UnitScope: ${model.modelId} has no layer ${args.layer} with units to ${verb}.`);
    return undefined;
  }
  return { args, model, layer };
}

/** The default dissections of the model's layers (labels for the pickers); empty when the daemon has none. */
export async function dissectedLayers(ctx: Ctx, model: ModelInfo): Promise<Map<string, { labelledUnits: number; units: number }>> {
  const found = new Map<string, { labelledUnits: number; units: number }>();
  try {
    for (const d of (await ctx.request("unitscope/dissectedLayers", { modelId: model.modelId })).layers)
      if (d.isDefault) found.set(d.layer, { labelledUnits: d.labelledUnits, units: d.units });
  } catch (e) {
    ctx.output.warn(`dissectedLayers: ${describeFailure(e).message}`);
  }
  return found;
}

/** A layer's dissection on the dataset the settings name (default options), or undefined when it has none (or the daemon cannot say). */
export async function dissectionOf(ctx: Ctx, model: ModelInfo, layer: string): Promise<LayerDissection | undefined> {
  const dataset = dissectionDataset();
  try {
    return (await ctx.request("unitscope/dissection", { modelId: model.modelId, layer, ...(dataset ? { dataset } : {}) })) ?? undefined;
  } catch (e) {
    ctx.output.warn(`dissection of ${layer}: ${describeFailure(e).message}`);
    return undefined;
  }
}

// The pickers below are steps of multi-step commands, so they stay open when the focus moves: a panel
// that finishes loading (or a click elsewhere) would otherwise close one and silently end the command.

/** A layer from `layers`, dissected ones saying so; the typed name is taken on Enter. */
export async function pickLayer(ctx: Ctx, model: ModelInfo, layers: readonly LayerInfo[], title: string): Promise<LayerInfo | undefined> {
  if (layers.length === 0) {
    void vscode.window.showInformationMessage("UnitScope: this model has no layer with units to use here.");
    return undefined;
  }
  const dissected = await dissectedLayers(ctx, model);
  const { main, more } = splitLayers(layers);
  const options = { title, placeHolder: "Layer", matchOnDescription: true, matchOnDetail: true, ignoreFocusOut: true };
  type Item = vscode.QuickPickItem & { layer?: string; showAll?: true };
  const first: Item[] = [...layerItems(main, dissected), ...(more.length > 0 ? [showAllItem(more)] : [])];
  let picked: Item | undefined = await vscode.window.showQuickPick(first, options);
  if (picked?.showAll) picked = await vscode.window.showQuickPick<Item>(layerItems(layers, dissected), options);
  return picked?.layer ? layers.find((l) => l.name === picked.layer) : undefined;
}

/** A class of the model (for occlusion, "Predicted class" first: its index is then undefined). */
export async function pickClass(model: ModelInfo, title: string, predictedFirst: boolean): Promise<ClassItem | undefined> {
  return vscode.window.showQuickPick(classItems(classNamesOf(model), predictedFirst), {
    title,
    placeHolder: "Class (type to filter)",
    matchOnDescription: true,
    ignoreFocusOut: true,
  });
}

/** "probe" or a folder: the probe set, a folder used before, or one picked in a folder dialog. */
export async function pickEvaluationSet(ctx: Ctx, title: string): Promise<string | undefined> {
  const state = ctx.extension.workspaceState;
  const recent = state.get<string[]>(RECENT_SETS_KEY, []).filter((f) => typeof f === "string");
  const picked = await vscode.window.showQuickPick(evaluationSetItems(recent), { title, placeHolder: "Evaluation set", ignoreFocusOut: true });
  if (!picked) return undefined;
  let set = picked.set;
  if (set === "browse") {
    const folder = await vscode.window.showOpenDialog({
      title: "UnitScope: evaluation set (one sub-folder of images per class)",
      openLabel: "Use folder",
      canSelectFiles: false,
      canSelectFolders: true,
      canSelectMany: false,
      ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.workspace.workspaceFolders[0].uri } : {}),
    });
    if (!folder?.[0]) return undefined;
    set = folder[0].fsPath;
  }
  await state.update(RECENT_SETS_KEY, rememberFolder(recent, set));
  return set;
}

/** Tells the user (with "Show log") unless the request was cancelled or the daemon is down (Ctx has said so). */
export function reportAnalysisFailure(ctx: Ctx, what: string, e: unknown, withAnotherSet?: () => Promise<unknown>): void {
  if (e instanceof DaemonUnavailable) return;
  const failure = describeFailure(e);
  if (failure.cancelled) {
    void vscode.window.showInformationMessage(`UnitScope: ${what} was cancelled.`);
    return;
  }
  ctx.output.error(`Could not ${what}: ${failure.message}`);
  // The evaluation set's classes are not the model's: accuracies on it would all read 0%. Offer another set.
  if (failure.kind === ErrorKind.ClassMismatch && withAnotherSet) {
    const other = "Pick another evaluation set…";
    void vscode.window.showErrorMessage(`UnitScope cannot ${what} on this evaluation set: ${failure.message}`, other, "Show log").then((choice) => {
      if (choice === other) void withAnotherSet();
      else if (choice === "Show log") ctx.output.show(true);
    });
    return;
  }
  void vscode.window.showErrorMessage(`UnitScope could not ${what}: ${failure.message}`, "Show log").then((choice) => {
    if (choice === "Show log") ctx.output.show(true);
  });
}

/** A `"file.pth (arch)"` label and the ids a panel keeps. */
export function modelLabel(model: ModelInfo): string {
  return `${path.basename(model.path)} (${model.architecture})`;
}
