// "UnitScope: Correspondence of parts" (palette, or the explorer's context menu on a .json boxes
// file): the boxes file ({"images": [{"path", "boxes": {"part": [x, y, w, h]}}]}), a model, then
// unitscope/correspondence with the default layers and random control in a cancellable progress
// notification, and the panel.

import * as path from "node:path";
import * as vscode from "vscode";
import { modelForAnalysis, modelLabel, reportAnalysisFailure } from "../analysisCommon";
import { runAnalysisJob } from "../analysisJob";
import type { Ctx } from "../ctx";
import type { CorrespondenceResult } from "../protocol.generated";
import { CorrespondencePanel } from "./correspondencePanel";

export const CorrespondenceCommands = { correspondence: "unitscope.correspondence" } as const;

export async function correspondenceCommand(ctx: Ctx, raw?: unknown): Promise<CorrespondenceResult | undefined> {
  let file = raw instanceof vscode.Uri ? raw : undefined;
  if (!(await ctx.client())) return undefined;
  if (!file) {
    file = (
      await vscode.window.showOpenDialog({
        title: 'UnitScope: the part boxes ({"images": [{"path": "dog1.jpg", "boxes": {"left eye": [x, y, width, height]}}]})',
        openLabel: "Use boxes",
        canSelectMany: false,
        filters: { JSON: ["json"] },
      })
    )?.[0];
    if (!file) return undefined;
  }
  if (file.scheme !== "file") {
    void vscode.window.showWarningMessage("UnitScope: the boxes file must be on this machine's disk (its image paths are relative to it).");
    return undefined;
  }
  const model = await modelForAnalysis(ctx);
  if (!model) return undefined;
  const boxesFile = path.basename(file.fsPath);
  try {
    const result = await runAnalysisJob(ctx, `UnitScope: correspondence of ${boxesFile}`, "unitscope/correspondence", {
      modelId: model.modelId,
      boxesPath: file.fsPath,
    });
    CorrespondencePanel.show(ctx, {
      version: 1,
      model: { modelId: model.modelId, checkpointHash: model.checkpointHash, modelLabel: modelLabel(model) },
      boxesFile,
      result,
    });
    return result;
  } catch (e) {
    reportAnalysisFailure(ctx, `correspondence of ${boxesFile}`, e);
    return undefined;
  }
}
