// "UnitScope: Unit gallery" (palette, or a link with {modelId?, layer?, units?}): a model, a layer
// with spatial maps, a unit and a dataset (the built-in probe set or a Broden-format folder); runs
// unitscope/unitGallery in a cancellable progress notification and shows the panel: the unit's
// strongest activations, each with its receptive-field patch and projection to the pixels.

import * as vscode from "vscode";
import { parseAnalysisArgs, spatialLayers } from "../ablatePickers";
import { modelForAnalysis, modelLabel, pickLayer, reportAnalysisFailure } from "../analysisCommon";
import { runAnalysisJob } from "../analysisJob";
import type { Ctx } from "../ctx";
import type { UnitGalleryResult } from "../protocol.generated";
import { GalleryPanel, type GalleryRunner } from "./galleryPanel";
import { galleryParams, type GalleryRequest } from "./galleryMessages";

/** Runs one gallery with a progress notification; rejects as the request did. */
export function galleryRunner(ctx: Ctx): GalleryRunner {
  return async (modelId, layer, dataset, request) => {
    const result = await runAnalysisJob(
      ctx,
      `UnitScope: gallery of ${layer} unit ${request.unit}`,
      "unitscope/unitGallery",
      galleryParams(modelId, layer, dataset, request),
    );
    // Only a cached-only request (a unit card's) is answered with null; this one runs the pass.
    if (!result) throw new Error(`The daemon sent no gallery for ${layer} unit ${request.unit}.`);
    return result;
  };
}

/** "probe" or a Broden-format folder picked in a dialog; undefined when dismissed. */
async function pickDataset(): Promise<string | undefined> {
  const picked = await vscode.window.showQuickPick(
    [
      { label: "Built-in probe set", description: "generated once, cached", dataset: "probe" },
      { label: "Broden-format folder…", description: "a folder with index.csv", dataset: "browse" },
    ],
    { title: "UnitScope: images to search for the unit's strongest activations", placeHolder: "Dataset" },
  );
  if (!picked) return undefined;
  if (picked.dataset !== "browse") return picked.dataset;
  const folder = await vscode.window.showOpenDialog({
    title: "UnitScope: Broden-format dataset",
    openLabel: "Use folder",
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
  });
  return folder?.[0]?.fsPath;
}

export async function unitGalleryCommand(ctx: Ctx, raw?: unknown): Promise<UnitGalleryResult | undefined> {
  const args = parseAnalysisArgs(raw);
  if (!args) {
    ctx.output.warn(`unitscope.unitGallery: ignored malformed arguments ${JSON.stringify(raw)?.slice(0, 200)}`);
    return undefined;
  }
  const model = await modelForAnalysis(ctx, args.modelId);
  if (!model) return undefined;
  const layers = spatialLayers(model);
  const layer = args.layer ? layers.find((l) => l.name === args.layer) : await pickLayer(ctx, model, layers, `Gallery: which layer of ${modelLabel(model)}?`);
  if (!layer) {
    if (args.layer) void vscode.window.showWarningMessage(`UnitScope: ${model.modelId} has no layer ${args.layer} with spatial maps.`);
    return undefined;
  }
  let unit = args.units?.[0];
  if (unit === undefined) {
    const typed = await vscode.window.showInputBox({
      title: `Gallery: which unit of ${layer.name}?`,
      prompt: `0 to ${layer.units - 1}`,
      value: "0",
      validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) < layer.units ? undefined : `A whole number from 0 to ${layer.units - 1}.`),
    });
    if (typed === undefined) return undefined;
    unit = Number(typed.trim());
  }
  if (unit >= layer.units) {
    void vscode.window.showWarningMessage(`UnitScope: ${layer.name} has ${layer.units} units (0 to ${layer.units - 1}).`);
    return undefined;
  }
  const dataset = await pickDataset();
  if (!dataset) return undefined;
  const request: GalleryRequest = { unit, method: "auto", k: 9 };
  const runner = galleryRunner(ctx);
  try {
    const result = await runner(model.modelId, layer.name, dataset, request);
    GalleryPanel.show(
      ctx,
      {
        version: 1,
        model: { modelId: model.modelId, checkpointHash: model.checkpointHash, modelLabel: modelLabel(model), units: layer.units },
        layer: layer.name,
        dataset,
        request,
        result,
      },
      runner,
    );
    return result;
  } catch (e) {
    reportAnalysisFailure(ctx, `show the gallery of ${layer.name} unit ${unit}`, e);
    return undefined;
  }
}
