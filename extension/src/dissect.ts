// The dissection commands. "Dissect layer" (from the palette: a multi-select of the model's layers;
// from a hover link: the layer given) runs unitscope/dissect in a progress notification with a
// Cancel button, names each layer as it completes and adds it to an open dissection panel, then
// opens the panel. "Open dissection" shows what is cached.

import * as path from "node:path";
import * as vscode from "vscode";
import { dissectionDataset } from "./config";
import { DaemonUnavailable, type Ctx } from "./ctx";
import { parseLayerCommandArgs, type LayerCommandArgs } from "./dissectionMessages";
import { DissectionPanel, modelRef } from "./dissectionPanel";
import { labelledSummary } from "./dissectionTable";
import { runDissection } from "./dissectRun";
import { describeFailure } from "./errors";
import type { LayerDissection, ModelInfo } from "./protocol.generated";

/** Layers dissection can take: those with [C, H, W] output. */
export function dissectableLayers(model: ModelInfo): ModelInfo["layers"] {
  return model.layers.filter((l) => l.outputShape.length === 3 && l.units > 0);
}

/** The model a command acts on: the active one; a command for another model id says so. */
async function modelFor(ctx: Ctx, args: LayerCommandArgs): Promise<ModelInfo | undefined> {
  if (!(await ctx.client())) return undefined;
  await ctx.modelSettled(); // the daemon may be loading the model from the settings right now
  const model = ctx.activeModel;
  if (!model) {
    const choice = await vscode.window.showInformationMessage("UnitScope: no model is loaded.", "Load checkpoint");
    if (choice === "Load checkpoint") return vscode.commands.executeCommand<ModelInfo | undefined>("unitscope.loadCheckpoint");
    return undefined;
  }
  if (args.modelId && args.modelId !== model.modelId) {
    // Another model this window loaded (from the view, or a lens): make it the active one.
    const other = ctx.loadedModels.find((m) => m.info.modelId === args.modelId);
    if (other) return ctx.switchModel(args.modelId).catch(() => undefined);
    void vscode.window.showWarningMessage(
      `UnitScope: that link is for model ${args.modelId}, but the active model is ${model.modelId}; hover the layer again.`,
    );
    return undefined;
  }
  return model;
}

export async function dissectLayerCommand(ctx: Ctx, raw?: unknown): Promise<LayerDissection[] | undefined> {
  const args = parseLayerCommandArgs(raw);
  if (!args) {
    ctx.output.warn(`unitscope.dissectLayer: ignored malformed arguments ${JSON.stringify(raw)?.slice(0, 200)}`);
    return undefined;
  }
  const model = await modelFor(ctx, args);
  if (!model) return undefined;
  const layers = args.layers.length > 0 ? args.layers : await pickLayers(ctx, model);
  if (!layers || layers.length === 0) return undefined;
  // The hover whose "Dissect" link started this says "Not dissected yet": close it, and again as each
  // layer completes, so the next hover is asked for afresh (VS Code never refreshes an open one).
  closeStaleHover(ctx);

  // The daemon's messages name the layer ("conv3: IoU pass, 640/2000 images").
  const title = "UnitScope dissection";
  const done: LayerDissection[] = [];
  const ref = modelRef(model);
  const dataset = dissectionDataset();
  // The view's Jobs section lists the run and can cancel it, like the notification's Cancel.
  const cancel = new vscode.CancellationTokenSource();
  const job = ctx.jobs.start(`Dissect ${layers.length === 1 ? layers[0] : `${layers.length} layers`}`, () => cancel.cancel());
  try {
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      token.onCancellationRequested(() => cancel.cancel());
      const client = await ctx.progressClient();
      if (!client) throw new DaemonUnavailable("The UnitScope daemon is not running.");
      return runDissection(
        client,
        { modelId: model.modelId, layers, ...(dataset ? { dataset } : {}) },
        {
          report: (step) => {
            progress.report(step);
            job.report(step);
          },
          layer: (layer) => {
            done.push(layer);
            closeStaleHover(ctx);
            ctx.output.info(`Dissected ${layer.layer}: ${labelledSummary(layer)}.`);
            // An open panel for this model shows each layer as it completes.
            if (DissectionPanel.open?.model.checkpointHash === model.checkpointHash) DissectionPanel.show(ctx, ref, [layer]);
          },
          note: (note) => {
            ctx.output.info(note);
            void vscode.window.showInformationMessage(`UnitScope: ${note}`);
          },
        },
        cancel.token,
      );
    });
    DissectionPanel.show(ctx, ref, result, result[result.length - 1]?.layer);
    return result;
  } catch (e) {
    if (e instanceof DaemonUnavailable) return undefined; // Ctx has told the user.
    const failure = describeFailure(e);
    if (failure.cancelled) {
      const message =
        done.length > 0
          ? `UnitScope: dissection cancelled; ${done.map((l) => l.layer).join(", ")} finished and ${done.length === 1 ? "is" : "are"} kept.`
          : "UnitScope: dissection cancelled.";
      const open = done.length > 0 ? await vscode.window.showInformationMessage(message, "Open dissection") : undefined;
      if (done.length === 0) void vscode.window.showInformationMessage(message);
      if (open) DissectionPanel.show(ctx, ref, done);
      return undefined;
    }
    ctx.output.error(`Could not dissect ${layers.join(", ")}: ${failure.message}`);
    void vscode.window.showErrorMessage(`UnitScope could not dissect ${layers.join(", ")}: ${failure.message}`, "Show log").then((c) => {
      if (c === "Show log") ctx.output.show(true);
    });
    return undefined;
  } finally {
    job.end();
    cancel.dispose();
    if (done.length > 0) ctx.resultsUpdated(model.checkpointHash);
  }
}

/** Hides the editor's hover, if one is open; a VS Code without the command just keeps it. */
function closeStaleHover(ctx: Ctx): void {
  vscode.commands
    .executeCommand("editor.action.hideHover")
    .then(undefined, (e: unknown) => ctx.output.debug(`editor.action.hideHover: ${e instanceof Error ? e.message : String(e)}`));
}

/** A multi-select of the layers that have spatial maps; already dissected ones say so. */
async function pickLayers(ctx: Ctx, model: ModelInfo): Promise<string[] | undefined> {
  const dissected = new Map<string, string>();
  try {
    const cached = await ctx.request("unitscope/dissectedLayers", { modelId: model.modelId });
    for (const d of cached.layers) if (d.isDefault) dissected.set(d.layer, `dissected: ${d.labelledUnits}/${d.units} labelled`);
  } catch (e) {
    ctx.output.warn(`dissectedLayers: ${describeFailure(e).message}`);
  }
  const items = dissectableLayers(model).map((l) => ({
    label: l.name,
    description: `${l.kind} · ${l.units} units · ${l.outputShape.join("×")}`,
    ...(dissected.has(l.name) ? { detail: dissected.get(l.name) } : {}),
  }));
  if (items.length === 0) {
    void vscode.window.showInformationMessage("UnitScope: this model has no layer with spatial maps to dissect.");
    return undefined;
  }
  // Enter with nothing ticked takes the highlighted layer, or the one whose name was typed: "conv3⏎" dissects conv3.
  const quickPick = vscode.window.createQuickPick<(typeof items)[number]>();
  quickPick.items = items;
  quickPick.canSelectMany = true;
  quickPick.matchOnDescription = true;
  quickPick.title = `Dissect layers of ${modelRef(model).modelLabel}`;
  const dataset = dissectionDataset();
  quickPick.placeholder = `Layers to dissect on ${dataset ? path.basename(dataset) : "the built-in probe set"} (tick several, or Enter for the highlighted one)`;
  const picked = await new Promise<string[] | undefined>((resolve) => {
    quickPick.onDidAccept(() => {
      const typed = items.filter((i) => i.label === quickPick.value.trim());
      const chosen = quickPick.selectedItems.length > 0 ? quickPick.selectedItems : quickPick.activeItems.length > 0 ? quickPick.activeItems : typed;
      resolve(chosen.map((i) => i.label));
      quickPick.hide();
    });
    quickPick.onDidHide(() => resolve(undefined));
    quickPick.show();
  });
  quickPick.dispose();
  return picked;
}

export async function openDissectionCommand(ctx: Ctx, raw?: unknown): Promise<void> {
  const args = parseLayerCommandArgs(raw);
  if (!args) {
    ctx.output.warn(`unitscope.openDissection: ignored malformed arguments ${JSON.stringify(raw)?.slice(0, 200)}`);
    return;
  }
  const model = await modelFor(ctx, args);
  if (!model) return;
  try {
    const listed = await ctx.request("unitscope/dissectedLayers", { modelId: model.modelId });
    const names = [...new Set(listed.layers.filter((l) => l.isDefault).map((l) => l.layer))];
    const wanted = args.layers.length > 0 ? args.layers : names;
    if (wanted.length === 0) {
      const choice = await vscode.window.showInformationMessage("UnitScope: no layer of this model is dissected yet.", "Dissect layer…");
      if (choice) await dissectLayerCommand(ctx, { modelId: model.modelId });
      return;
    }
    // The asked layers and the other dissected ones, so the panel can switch between them.
    const load = [...new Set([...wanted, ...names])];
    const layers = (await Promise.all(load.map((layer) => ctx.request("unitscope/dissection", { modelId: model.modelId, layer, ...datasetParam() })))).filter(
      (l): l is LayerDissection => l !== null && l !== undefined,
    );
    const missing = wanted.filter((w) => !layers.some((l) => l.layer === w));
    if (missing.length > 0) {
      const choice = await vscode.window.showInformationMessage(
        `UnitScope: ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not dissected yet.`,
        "Dissect",
      );
      if (choice) {
        await dissectLayerCommand(ctx, { modelId: model.modelId, layers: missing });
        return;
      }
    }
    DissectionPanel.show(
      ctx,
      modelRef(model),
      layers,
      wanted.find((w) => layers.some((l) => l.layer === w)),
    );
  } catch (e) {
    if (e instanceof DaemonUnavailable) return;
    const failure = describeFailure(e);
    if (failure.cancelled) return;
    ctx.output.error(`Could not open the dissection: ${failure.message}`);
    void vscode.window.showErrorMessage(`UnitScope could not open the dissection: ${failure.message}`);
  }
}

function datasetParam(): { dataset?: string } {
  const dataset = dissectionDataset();
  return dataset ? { dataset } : {};
}
