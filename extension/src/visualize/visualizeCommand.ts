// "UnitScope: Visualize unit" (palette, a hover or unit card link with {modelId, layer, unit}): the
// model, a layer with units and a unit, then the panel, which optimises the image with each round
// shown as it comes (unitscope/visualize with partial results) and a cancellable progress
// notification beside its own Cancel button.

import * as path from "node:path";
import * as vscode from "vscode";
import { modelAndLayer, modelLabel, reportAnalysisFailure } from "../analysisCommon";
import { runAnalysisJob } from "../analysisJob";
import type { Ctx } from "../ctx";
import { isIndex, isRecord } from "../guards";
import type { HypothesisTestParams, LayerInfo } from "../protocol.generated";
import { DEFAULT_REQUEST, visualizeParams } from "./visualizeMessages";
import { visualizeModel } from "./visualizeModel";
import { VisualizePanel, type VisualizeRunner } from "./visualizePanel";

export const VisualizeCommands = { visualizeUnit: "unitscope.visualizeUnit" } as const;

export function visualizeRunner(ctx: Ctx): VisualizeRunner {
  return {
    visualize: async (modelId, request, preview, progress, panelToken) => {
      const result = await runAnalysisJob(
        ctx,
        `UnitScope: visualizing ${request.layer} unit ${request.unit}`,
        "unitscope/visualize",
        visualizeParams(modelId, request),
        {
          report: (step) => {
            if (step.message) progress(step.message);
          },
          partial: preview,
        },
        panelToken, // the panel's Cancel, besides the notification's and the Jobs view's
      );
      if (!result) throw new Error("The daemon returned no image.");
      return result;
    },
    hypothesisTest: async (modelId, layer, unit, image) => {
      const params: HypothesisTestParams = { modelId, layer, unit };
      if (image.scheme === "file") params.imagePath = image.fsPath;
      else params.imageBase64 = Buffer.from(await vscode.workspace.fs.readFile(image)).toString("base64");
      return ctx.request("unitscope/hypothesisTest", params);
    },
  };
}

export async function visualizeUnitCommand(ctx: Ctx, raw?: unknown): Promise<void> {
  const chosen = await modelAndLayer(
    ctx,
    VisualizeCommands.visualizeUnit,
    raw,
    "visualize",
    (m) => `Visualize a unit of ${path.basename(m.path)}: which layer?`,
  );
  if (!chosen) return;
  const { model, layer } = chosen;
  const unit = isRecord(raw) && isIndex(raw.unit) && raw.unit < layer.units ? raw.unit : await pickUnit(layer);
  if (unit === undefined) return;
  try {
    VisualizePanel.show(
      ctx,
      { version: 1, model: visualizeModel(model, modelLabel(model)), request: { layer: layer.name, unit, ...DEFAULT_REQUEST }, tests: [] },
      visualizeRunner(ctx),
    );
  } catch (e) {
    reportAnalysisFailure(ctx, `visualize ${layer.name} unit ${unit}`, e);
  }
}

async function pickUnit(layer: LayerInfo): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    title: `Visualize a unit of ${layer.name}`,
    prompt: `Unit, 0 to ${layer.units - 1}`,
    value: "0",
    validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) < layer.units ? undefined : `A whole number from 0 to ${layer.units - 1}.`),
  });
  return text === undefined ? undefined : Number(text.trim());
}
