// "UnitScope: Dissect GAN generator units…" (palette, or a generator layer's context menu in the UnitScope
// view): a loaded generator and one of its layers, the segmenter of the generated images (the demo's, or a
// model with its NAME.segments.txt), how many samples; then unitscope/ganDissect as a job (progress,
// Cancel; cached) and the GAN panel, where interventions are run.

import * as path from "node:path";
import * as vscode from "vscode";
import { parseAnalysisArgs } from "../ablatePickers";
import { modelForAnalysis, modelLabel, pickLayer, reportAnalysisFailure } from "../analysisCommon";
import { runAnalysisJob } from "../analysisJob";
import type { Ctx } from "../ctx";
import type { GanDissectParams, GanDissectResult } from "../protocol.generated";
import { ganLayers, ganRefusal, SAMPLE_CHOICES } from "./ganLayers";
import { GanPanel } from "./ganPanel";

export const GanCommands = { ganDissect: "unitscope.ganDissect" } as const;

const PICK = { ignoreFocusOut: true } as const;

export async function ganDissectCommand(ctx: Ctx, raw?: unknown): Promise<GanDissectResult | undefined> {
  const args = parseAnalysisArgs(raw);
  if (!args) {
    ctx.output.warn(`${GanCommands.ganDissect}: ignored malformed arguments ${JSON.stringify(raw)?.slice(0, 200)}`);
    return undefined;
  }
  const model = await modelForAnalysis(ctx, args.modelId);
  if (!model) return undefined;
  const refusal = ganRefusal(model);
  if (refusal) {
    void vscode.window.showWarningMessage(`UnitScope: ${refusal}`);
    return undefined;
  }
  const layers = ganLayers(model);
  const layer = args.layer ? layers.find((l) => l.name === args.layer) : await pickLayer(ctx, model, layers, `Dissect ${modelLabel(model)}: generator layer`);
  if (!layer) {
    if (args.layer) void vscode.window.showWarningMessage(`UnitScope: ${model.modelId} has no layer ${args.layer} with feature maps.`);
    return undefined;
  }
  const segmenter = await vscode.window.showQuickPick(
    [
      { label: "Demo segmenter", description: "trained on the probe scenes by `unitscope gan-demo`", value: "demo" },
      { label: "Choose a segmenter model…", description: "logits [N, C, H, W], with NAME.segments.txt beside it", value: "browse" },
    ],
    { title: `Dissect ${layer.name}: what segments the generated images`, ...PICK },
  );
  if (!segmenter) return undefined;
  let segmenterPath: string | undefined;
  if (segmenter.value === "browse") {
    segmenterPath = (
      await vscode.window.showOpenDialog({
        title: "UnitScope: segmenter model",
        openLabel: "Use segmenter",
        canSelectMany: false,
        filters: { Checkpoints: ["pth", "pt", "safetensors", "onnx"], "All files": ["*"] },
      })
    )?.[0]?.fsPath;
    if (!segmenterPath) return undefined;
  }
  const samples = await vscode.window.showQuickPick(
    SAMPLE_CHOICES.map((n) => ({ label: `${n} samples`, description: n === 1000 ? "as the seed (GAN Dissection)" : "quicker, noisier labels", value: n })),
    { title: `Dissect ${layer.name}: generated samples to label the units over`, ...PICK },
  );
  if (!samples) return undefined;

  const params: Omit<GanDissectParams, "workDoneToken"> = {
    modelId: model.modelId,
    layer: layer.name,
    samples: samples.value,
    ...(segmenterPath ? { segmenterPath } : {}),
  };
  try {
    const result = await runAnalysisJob(ctx, `UnitScope: dissecting generator layer ${layer.name}`, "unitscope/ganDissect", params);
    GanPanel.show(ctx, {
      version: 1,
      model: { modelId: model.modelId, checkpointHash: model.checkpointHash, modelLabel: modelLabel(model) },
      request: { layer: layer.name, samples: result.sampleCount, ...(segmenterPath ? { segmenterPath } : {}) },
      dissection: result,
      ui: { units: Math.min(4, result.concepts[0]?.units.length ?? 4) || 1, sample: 0, ...(result.concepts[0] ? { concept: result.concepts[0].concept } : {}) },
    });
    return result;
  } catch (e) {
    reportAnalysisFailure(ctx, `dissect generator layer ${layer.name} of ${path.basename(model.path)}`, e);
    return undefined;
  }
}
