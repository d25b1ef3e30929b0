// "UnitScope: Explanatory graph" (palette, or the explorer's context menu on a folder): an image
// folder with one sub-folder per class, the class whose images to mine, the layers (top-down,
// prefilled with the model's last three convolutions), then unitscope/explanatoryGraph as a job
// (progress, Cancel), and the panel.

import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { modelForAnalysis, modelLabel, reportAnalysisFailure } from "../analysisCommon";
import { runAnalysisJob } from "../analysisJob";
import type { Ctx } from "../ctx";
import type { ExplanatoryGraphParams, ExplanatoryGraphResult } from "../protocol.generated";
import { defaultGraphLayers, parseLayerList } from "./graphLayers";
import { GraphPanel } from "./graphPanel";

export const GraphCommands = { graph: "unitscope.graph" } as const;

export async function graphCommand(ctx: Ctx, raw?: unknown): Promise<ExplanatoryGraphResult | undefined> {
  let folder = raw instanceof vscode.Uri ? raw : undefined;
  if (!(await ctx.client())) return undefined;
  if (!folder) {
    folder = (
      await vscode.window.showOpenDialog({
        title: "UnitScope: an image folder (one sub-folder of images per class)",
        openLabel: "Use folder",
        canSelectFiles: false,
        canSelectFolders: true,
      })
    )?.[0];
    if (!folder) return undefined;
  }
  if (folder.scheme !== "file") {
    void vscode.window.showWarningMessage("UnitScope: the image folder must be on this machine's disk.");
    return undefined;
  }
  const classes = fs
    .readdirSync(folder.fsPath, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  if (classes.length === 0) {
    void vscode.window.showWarningMessage(`UnitScope: ${folder.fsPath} has no class sub-folders.`);
    return undefined;
  }
  const className = await vscode.window.showQuickPick(classes, { title: "UnitScope: the category whose images to mine" });
  if (!className) return undefined;
  const model = await modelForAnalysis(ctx);
  if (!model) return undefined;
  const layerText = await vscode.window.showInputBox({
    title: "UnitScope: conv layers to mine, from the top down (the deepest first)",
    value: defaultGraphLayers(model).join(", "),
    validateInput: (v) => (parseLayerList(v).length === 0 ? "Name at least one layer." : undefined),
  });
  if (layerText === undefined) return undefined;
  const request: ExplanatoryGraphParams = { modelId: model.modelId, layers: parseLayerList(layerText), evaluationSet: folder.fsPath, className };
  try {
    const result = await runAnalysisJob(ctx, `UnitScope: explanatory graph of ${className}`, "unitscope/explanatoryGraph", request);
    GraphPanel.show(ctx, {
      version: 1,
      model: { modelId: model.modelId, checkpointHash: model.checkpointHash, modelLabel: modelLabel(model) },
      request,
      result,
    });
    return result;
  } catch (e) {
    reportAnalysisFailure(ctx, `explanatory graph of ${path.basename(folder.fsPath)}/${className}`, e);
    return undefined;
  }
}
