// The commands behind the status bar menu and the UnitScope view: switch/unload a model, load a
// checkpoint from the view, show the log, open a unit's card.

import * as path from "node:path";
import * as vscode from "vscode";
import { readSettings } from "./config";
import { DaemonUnavailable, showError, type Ctx } from "./ctx";
import { describeFailure } from "./errors";
import type { ModelInfo } from "./protocol.generated";
import { loadModelParams } from "./settings";
import { showMenu } from "./statusBar";
import { UnitCardPanel } from "./unitCardPanel";

export const EditorCommands = {
  showMenu: "unitscope.showMenu",
  showLog: "unitscope.showLog",
  switchModel: "unitscope.switchModel",
  unloadModel: "unitscope.unloadModel",
  loadCheckpointFile: "unitscope.loadCheckpointFile",
  openUnitCard: "unitscope.openUnitCard",
} as const;

export function registerEditorCommands(ctx: Ctx): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(EditorCommands.showMenu, () => showMenu(ctx)),
    vscode.commands.registerCommand(EditorCommands.showLog, () => ctx.output.show(true)),
    vscode.commands.registerCommand(EditorCommands.switchModel, (args?: unknown) => switchModel(ctx, args)),
    vscode.commands.registerCommand(EditorCommands.unloadModel, (args?: unknown) => unloadModel(ctx, args)),
    vscode.commands.registerCommand(EditorCommands.loadCheckpointFile, (uri?: unknown) => loadCheckpointFile(ctx, uri)),
    vscode.commands.registerCommand(EditorCommands.openUnitCard, (args?: unknown) => UnitCardPanel.command(ctx, args)),
  ];
}

function modelIdOf(args: unknown): string | undefined {
  if (typeof args === "string") return args;
  if (typeof args === "object" && args !== null && typeof (args as { modelId?: unknown }).modelId === "string") return (args as { modelId: string }).modelId;
  return undefined;
}

async function switchModel(ctx: Ctx, args: unknown): Promise<ModelInfo | undefined> {
  let modelId = modelIdOf(args);
  if (!modelId) {
    const picked = await vscode.window.showQuickPick(
      ctx.loadedModels.map((m) => ({ label: path.basename(m.info.path), description: `${m.info.architecture} · ${m.info.device}`, modelId: m.info.modelId })),
      { title: "UnitScope: switch model" },
    );
    modelId = picked?.modelId;
  }
  if (!modelId) return undefined;
  try {
    return await ctx.switchModel(modelId);
  } catch (e) {
    report(ctx, "switch the model", e);
    return undefined;
  }
}

async function unloadModel(ctx: Ctx, args: unknown): Promise<void> {
  const modelId = modelIdOf(args) ?? ctx.activeModel?.modelId;
  if (!modelId) return;
  try {
    await ctx.unloadModel(modelId);
  } catch (e) {
    report(ctx, "unload the model", e);
  }
}

/** Loads a checkpoint file (from the view or a test) with the architecture detected and the settings' options. */
export async function loadCheckpointFile(ctx: Ctx, raw: unknown): Promise<ModelInfo | undefined> {
  const file = raw instanceof vscode.Uri ? raw.fsPath : typeof raw === "string" ? raw : undefined;
  if (!file) return vscode.commands.executeCommand<ModelInfo | undefined>("unitscope.loadCheckpoint");
  if (!(await ctx.client())) return undefined;
  const params = loadModelParams(file, undefined, readSettings().settings);
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `UnitScope: loading ${path.basename(file)}…`, cancellable: true },
      (_progress, token) => ctx.loadModel(params, token),
    );
  } catch (e) {
    if (e instanceof DaemonUnavailable || describeFailure(e).cancelled) return undefined;
    const message = describeFailure(e).message;
    ctx.output.error(`Could not load ${file}: ${message}`);
    const choice = await vscode.window.showErrorMessage(`UnitScope could not load ${path.basename(file)}: ${message}`, "Pick architecture…", "Show log");
    if (choice === "Pick architecture…") return vscode.commands.executeCommand<ModelInfo | undefined>("unitscope.loadCheckpoint");
    if (choice === "Show log") ctx.output.show(true);
    return undefined;
  }
}

function report(ctx: Ctx, what: string, e: unknown): void {
  if (e instanceof DaemonUnavailable) return;
  const failure = describeFailure(e);
  if (failure.cancelled) return;
  ctx.output.error(`Could not ${what}: ${failure.message}`);
  showError(ctx, `UnitScope could not ${what}: ${failure.message}`);
}
