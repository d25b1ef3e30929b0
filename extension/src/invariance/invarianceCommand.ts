// "UnitScope: Invariance to translation, rotation and scale" (palette, or the explorer's context menu
// on images): images, a model, then unitscope/invariance with the default sweeps and layers in a
// cancellable progress notification, and the panel.

import * as path from "node:path";
import * as vscode from "vscode";
import { modelForAnalysis, modelLabel, reportAnalysisFailure } from "../analysisCommon";
import { runAnalysisJob } from "../analysisJob";
import type { Ctx } from "../ctx";
import type { InvarianceParams, InvarianceResult } from "../protocol.generated";
import { IMAGE_EXTENSIONS } from "../settings";
import { InvariancePanel } from "./invariancePanel";

export const InvarianceCommands = { invariance: "unitscope.invariance" } as const;

export async function invarianceCommand(ctx: Ctx, clicked?: unknown, selected?: unknown): Promise<InvarianceResult | undefined> {
  // From the explorer: the clicked file and the selection.
  let images =
    Array.isArray(selected) && selected.every((u) => u instanceof vscode.Uri) ? (selected as vscode.Uri[]) : clicked instanceof vscode.Uri ? [clicked] : [];
  if (!(await ctx.client())) return undefined;
  if (images.length === 0) {
    images =
      (await vscode.window.showOpenDialog({
        title: "UnitScope: images to translate, rotate and scale (the paper uses five)",
        openLabel: "Use images",
        canSelectMany: true,
        filters: { Images: [...IMAGE_EXTENSIONS], "All files": ["*"] },
      })) ?? [];
    if (images.length === 0) return undefined;
  }
  const model = await modelForAnalysis(ctx);
  if (!model) return undefined;
  const params: Omit<InvarianceParams, "workDoneToken"> = { modelId: model.modelId, imagePaths: [], imagesBase64: [] };
  for (const image of images) {
    if (image.scheme === "file") params.imagePaths!.push(image.fsPath);
    else params.imagesBase64!.push(Buffer.from(await vscode.workspace.fs.readFile(image)).toString("base64"));
  }
  try {
    const result = await runAnalysisJob(ctx, `UnitScope: invariance of ${images.map((i) => path.basename(i.path)).join(", ")}`, "unitscope/invariance", params);
    InvariancePanel.show(ctx, { version: 1, model: { modelId: model.modelId, checkpointHash: model.checkpointHash, modelLabel: modelLabel(model) }, result });
    return result;
  } catch (e) {
    reportAnalysisFailure(ctx, "invariance", e);
    return undefined;
  }
}
