// The commands in the palette. Each one still does something sensible when the daemon is down:
// Ctx tells the user and offers the settings, the log and a retry.

import * as path from "node:path";
import * as vscode from "vscode";
import { readSettings } from "./config";
import { DaemonUnavailable, type Ctx } from "./ctx";
import { dissectLayerCommand, openDissectionCommand } from "./dissect";
import { describeFailure } from "./errors";
import { validateUnitInput } from "./unitMapMessages";
import type { LayerInfo, ModelInfo } from "./protocol.generated";
import { ARCHITECTURE_CHOICES, CHECKPOINT_EXTENSIONS, IMAGE_EXTENSIONS, loadModelParams } from "./settings";
import { computeUnitMapView, UnitMapPanel, unitMapTarget } from "./unitMapPanel";

export const Commands = {
  loadCheckpoint: "unitscope.loadCheckpoint",
  showUnitMap: "unitscope.showUnitMap",
  restartDaemon: "unitscope.restartDaemon",
  dissectLayer: "unitscope.dissectLayer",
  openDissection: "unitscope.openDissection",
} as const;

export function registerCommands(ctx: Ctx): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(Commands.loadCheckpoint, () => loadCheckpoint(ctx)),
    vscode.commands.registerCommand(Commands.showUnitMap, (args?: unknown) => showUnitMap(ctx, args)),
    vscode.commands.registerCommand(Commands.restartDaemon, () => restartDaemon(ctx)),
    vscode.commands.registerCommand(Commands.dissectLayer, (args?: unknown) => dissectLayerCommand(ctx, args)),
    vscode.commands.registerCommand(Commands.openDissection, (args?: unknown) => openDissectionCommand(ctx, args)),
  ];
}

/** Picks a checkpoint and an architecture, loads it; returns the model, or undefined. */
export async function loadCheckpoint(ctx: Ctx): Promise<ModelInfo | undefined> {
  // Start (or check) the daemon first: the user hears about a missing daemon before picking files.
  if (!(await ctx.client())) return undefined;
  const picked = await vscode.window.showOpenDialog({
    title: "UnitScope: Load checkpoint",
    openLabel: "Load checkpoint",
    canSelectMany: false,
    canSelectFolders: false,
    filters: { "Checkpoints": [...CHECKPOINT_EXTENSIONS], "All files": ["*"] },
    ...defaultUri(ctx.activeModel?.path),
  });
  const file = picked?.[0];
  if (!file) return undefined;

  const arch = await vscode.window.showQuickPick(
    ARCHITECTURE_CHOICES.map((c) => ({ label: c.label, detail: c.detail, architecture: c.architecture })),
    { title: `Architecture of ${path.basename(file.fsPath)}`, placeHolder: "auto-detect" },
  );
  if (!arch) return undefined;

  const { settings } = readSettings();
  const params = loadModelParams(file.fsPath, arch.architecture, settings);
  try {
    const info = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `UnitScope: loading ${path.basename(file.fsPath)}…`,
        cancellable: true,
      },
      (_progress, token) => ctx.loadModel(params, token),
    );
    void vscode.window.showInformationMessage(
      `UnitScope loaded ${path.basename(info.path)} (${info.architecture}, ${info.device}): ${info.layers.length} layers.`,
    );
    // What may make every result of this model wrong (grey defaults, a class-names file that does not fit) is said once, now.
    for (const warning of info.preprocessing?.warnings ?? []) void vscode.window.showWarningMessage(`UnitScope: ${warning}`);
    return info;
  } catch (e) {
    reportFailure(ctx, `load ${path.basename(file.fsPath)}`, e);
    return undefined;
  }
}

/**
 * Picks an image, a layer of the active model and a unit, and shows the unit's map. From a hover,
 * a lens or a unit card (`{ modelId?, layer, unit? }`) the layer, and the unit, are given.
 */
export async function showUnitMap(ctx: Ctx, args?: unknown): Promise<void> {
  if (!(await ctx.client())) return;
  await ctx.modelSettled();
  const given = unitMapArgs(args);
  if (given?.modelId && given.modelId !== ctx.activeModel?.modelId) await ctx.switchModel(given.modelId).catch(() => undefined);
  let model = ctx.activeModel;
  if (!model) {
    const choice = await vscode.window.showInformationMessage("UnitScope: no model is loaded.", "Load checkpoint");
    if (choice !== "Load checkpoint") return;
    model = await loadCheckpoint(ctx);
    if (!model) return;
  }

  const picked = await vscode.window.showOpenDialog({
    title: "UnitScope: Image for the unit map",
    openLabel: "Use image",
    canSelectMany: false,
    canSelectFolders: false,
    filters: { "Images": [...IMAGE_EXTENSIONS], "All files": ["*"] },
  });
  const image = picked?.[0];
  if (!image) return;

  const layer = model.layers.find((l) => l.name === given?.layer && l.units > 0) ?? (await pickLayer(model));
  if (!layer) return;

  const unitText =
    given?.unit !== undefined && given.unit < layer.units
      ? String(given.unit)
      : await vscode.window.showInputBox({
          title: `Unit of ${layer.name}`,
          prompt: `A unit index from 0 to ${layer.units - 1}`,
          value: "0",
          validateInput: (t) => validateUnitInput(t, layer.units),
        });
  if (unitText === undefined) return;
  const unit = Number(unitText.trim());

  try {
    const target = unitMapTarget(model, layer, image.fsPath);
    const view = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `UnitScope: unit ${unit} of ${layer.name}…`, cancellable: true },
      (_progress, token) => computeUnitMapView(ctx, target, unit, token),
    );
    UnitMapPanel.createOrShow(ctx, view);
  } catch (e) {
    reportFailure(ctx, `compute the map of unit ${unit} of ${layer.name}`, e);
  }
}

async function pickLayer(model: ModelInfo): Promise<LayerInfo | undefined> {
  const items = model.layers
    .filter((l) => l.units > 0)
    .map((l) => ({
      label: l.name,
      description: `${l.kind} · ${l.units} units · ${l.outputShape.join("×")}`,
      layer: l,
    }));
  const picked = await vscode.window.showQuickPick(items, {
    title: `Layer of ${path.basename(model.path)} (${model.architecture})`,
    placeHolder: "Layer",
    matchOnDescription: true,
  });
  return picked?.layer;
}

async function restartDaemon(ctx: Ctx): Promise<void> {
  const ok = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: "UnitScope: restarting the daemon…" }, () =>
    ctx.restart(),
  );
  if (ok) void vscode.window.showInformationMessage("UnitScope: the daemon is running.");
}

function reportFailure(ctx: Ctx, what: string, e: unknown): void {
  if (e instanceof DaemonUnavailable) return; // Ctx has told the user already.
  const failure = describeFailure(e);
  if (failure.cancelled) return;
  ctx.output.error(`Could not ${what}: ${failure.message}`);
  void vscode.window.showErrorMessage(`UnitScope could not ${what}: ${failure.message}`, "Show log").then((choice) => {
    if (choice === "Show log") ctx.output.show(true);
  });
}

function defaultUri(file: string | undefined): { defaultUri?: vscode.Uri } {
  if (file && path.isAbsolute(file)) return { defaultUri: vscode.Uri.file(path.dirname(file)) };
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder ? { defaultUri: folder.uri } : {};
}

/** `{ modelId?, layer?, unit? }` from a hover link, a lens, the view or a unit card. */
function unitMapArgs(raw: unknown): { modelId?: string; layer?: string; unit?: number } | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  return {
    ...(typeof r.modelId === "string" ? { modelId: r.modelId } : {}),
    ...(typeof r.layer === "string" ? { layer: r.layer } : {}),
    ...(typeof r.unit === "number" && Number.isInteger(r.unit) && r.unit >= 0 ? { unit: r.unit } : {}),
  };
}
