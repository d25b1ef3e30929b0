// "UnitScope: Occlusion heatmap" (palette, or the explorer's context menu on a .png/.jpg): an
// image, a model (when several are loaded), a target class (default: the predicted one) and a
// layer whose strongest unit's activity to map; square size, stride and fill come from the
// settings and can be changed in the panel. Runs unitscope/occlude in a cancellable progress
// notification and shows the panel.

import * as path from "node:path";
import * as vscode from "vscode";
import { parseAnalysisArgs, spatialLayers } from "./ablatePickers";
import { modelForAnalysis, modelLabel, pickClass, reportAnalysisFailure } from "./analysisCommon";
import { runAnalysisJob } from "./analysisJob";
import { SECTION } from "./config";
import type { Ctx } from "./ctx";
import { DEFAULT_OPACITY, occludeParams, occlusionDefaults, type OcclusionRequest } from "./occlusionMessages";
import { OcclusionPanel, type OcclusionRunner } from "./occlusionPanel";
import type { ModelInfo, OccludeParams, OccludeResult } from "./protocol.generated";
import { IMAGE_EXTENSIONS } from "./settings";

/** Runs one occlusion with a progress notification; rejects as the request did. */
export function occlusionRunner(ctx: Ctx): OcclusionRunner {
  return async (modelId, image, request) => {
    const batch = vscode.workspace.getConfiguration(SECTION).get<number>("occlusion.batchSize");
    const params: Omit<OccludeParams, "workDoneToken"> = { ...occludeParams(modelId, request) };
    if (typeof batch === "number" && Number.isInteger(batch) && batch >= 1 && batch <= 1024) params.batchSize = batch;
    if (image.scheme === "file") params.imagePath = image.fsPath;
    else params.imageBase64 = Buffer.from(await vscode.workspace.fs.readFile(image)).toString("base64");
    return runAnalysisJob(ctx, `UnitScope: occluding ${path.basename(image.path)}`, "unitscope/occlude", params);
  };
}

export async function occlusionCommand(ctx: Ctx, raw?: unknown): Promise<OccludeResult | undefined> {
  // From the explorer: the file's URI. From links or other commands: {modelId?, class?}.
  let image = raw instanceof vscode.Uri ? raw : undefined;
  const args = raw instanceof vscode.Uri ? {} : parseAnalysisArgs(raw);
  if (!args) {
    ctx.output.warn(`unitscope.occlusionHeatmap: ignored malformed arguments ${JSON.stringify(raw)?.slice(0, 200)}`);
    return undefined;
  }
  if (!(await ctx.client())) return undefined;
  if (!image) {
    const picked = await vscode.window.showOpenDialog({
      title: "UnitScope: image to occlude",
      openLabel: "Occlude",
      canSelectMany: false,
      canSelectFolders: false,
      filters: { Images: [...IMAGE_EXTENSIONS], "All files": ["*"] },
    });
    image = picked?.[0];
    if (!image) return undefined;
  }
  const model = await modelForAnalysis(ctx, args.modelId);
  if (!model) return undefined;
  let targetClass = args.class;
  if (targetClass === undefined) {
    const picked = await pickClass(model, `Occlusion of ${path.basename(image.path)}: target class`, true);
    if (!picked) return undefined;
    targetClass = picked.index;
  }
  const layer = await pickActivityLayer(model);
  if (layer === null) return undefined;

  const request: OcclusionRequest = {
    ...occlusionDefaults((key) => vscode.workspace.getConfiguration(SECTION).get(key), model),
    ...(targetClass !== undefined ? { targetClass } : {}),
    ...(layer !== undefined ? { layer } : {}),
  };
  const runner = occlusionRunner(ctx);
  try {
    const result = await runner(model.modelId, image, request);
    OcclusionPanel.show(
      ctx,
      {
        version: 1,
        model: {
          modelId: model.modelId,
          checkpointHash: model.checkpointHash,
          modelLabel: modelLabel(model),
          inputWidth: model.input.width,
          inputHeight: model.input.height,
          layers: spatialLayers(model).map((l) => ({ name: l.name, units: l.units })),
        },
        image: { uri: image.toString(), name: path.basename(image.path) },
        request,
        result,
        opacity: DEFAULT_OPACITY,
      },
      runner,
    );
    return result;
  } catch (e) {
    reportAnalysisFailure(ctx, `occlude ${path.basename(image.path)}`, e);
    return undefined;
  }
}

/** The layer whose strongest unit's activity to map: the deepest spatial layer first; undefined for none, null when dismissed. */
async function pickActivityLayer(model: ModelInfo): Promise<string | undefined | null> {
  const layers = spatialLayers(model).reverse();
  if (layers.length === 0) return undefined;
  const items = [
    ...layers.map((l) => ({ label: l.name, description: `${l.kind} · ${l.units} units · ${l.outputShape.join("×")}`, layer: l.name as string | undefined })),
    { label: "No activity map", description: "only the class maps", layer: undefined as string | undefined },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: "Map the activity of the strongest unit of which layer?",
    placeHolder: "Layer (the deepest first, like layer 5 in Zeiler and Fergus)",
    matchOnDescription: true,
    ignoreFocusOut: true, // a step of the command: a panel taking the focus must not end it
  });
  return picked ? picked.layer : null;
}
