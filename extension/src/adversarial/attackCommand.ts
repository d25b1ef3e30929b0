// "UnitScope: Adversarial attack on a layer's units…" (palette, a layer's context menu in the UnitScope
// view, or the explorer's context menu on an image): the model and layer, the image, its class and the
// attack's goal, FGSM or PGD, ε, and optionally an evaluation set whose class rankings the changed units
// are compared with (the slow part: each unit removed alone, cached); then unitscope/attack as a job
// (progress, Cancel), the layer's dissected labels when it has a dissection, and the panel.

import * as path from "node:path";
import * as vscode from "vscode";
import { classItems, classNamesOf, parseAnalysisArgs } from "../ablatePickers";
import { dissectionOf, modelForAnalysis, modelLabel, pickClass, pickEvaluationSet, pickLayer, reportAnalysisFailure } from "../analysisCommon";
import { runAnalysisJob } from "../analysisJob";
import type { Ctx } from "../ctx";
import type { AttackParams, AttackResult, ModelInfo } from "../protocol.generated";
import { IMAGE_EXTENSIONS } from "../settings";
import { labelsOf } from "./attackMessages";
import { AttackPanel } from "./attackPanel";
import { attackLayers, attackRefusal, EPSILON_LEVELS, parseEpsilon } from "./attackPickers";

export const AttackCommands = { attack: "unitscope.attack" } as const;

const PICK = { ignoreFocusOut: true, matchOnDescription: true } as const;

export async function attackCommand(ctx: Ctx, raw?: unknown): Promise<AttackResult | undefined> {
  let image = raw instanceof vscode.Uri ? raw : undefined;
  const args = raw instanceof vscode.Uri ? {} : parseAnalysisArgs(raw);
  if (!args) {
    ctx.output.warn(`${AttackCommands.attack}: ignored malformed arguments ${JSON.stringify(raw)?.slice(0, 200)}`);
    return undefined;
  }
  const model = await modelForAnalysis(ctx, args.modelId);
  if (!model) return undefined;
  const refusal = attackRefusal(model);
  if (refusal) {
    void vscode.window.showWarningMessage(`UnitScope: ${refusal}`);
    return undefined;
  }
  const layers = attackLayers(model);
  const layer = args.layer
    ? layers.find((l) => l.name === args.layer)
    : await pickLayer(ctx, model, layers, `Attack ${modelLabel(model)}: whose units to compare`);
  if (!layer) {
    if (args.layer) void vscode.window.showWarningMessage(`UnitScope: ${model.modelId} has no layer ${args.layer} with units to compare.`);
    return undefined;
  }
  if (!image) {
    image = (
      await vscode.window.showOpenDialog({
        title: "UnitScope: image to attack",
        openLabel: "Attack",
        canSelectMany: false,
        canSelectFolders: false,
        filters: { Images: [...IMAGE_EXTENSIONS], "All files": ["*"] },
      })
    )?.[0];
    if (!image) return undefined;
  }
  const name = path.basename(image.path);
  const source = await pickClass(model, `Attack ${name}: its true class (what an untargeted attack moves away from)`, true);
  if (!source) return undefined;
  const target = await pickTarget(model, name);
  if (!target) return undefined;
  const method = await vscode.window.showQuickPick(
    [
      { label: "PGD", description: "10 projected sign steps (Madry et al.)", value: "pgd" },
      { label: "FGSM", description: "one step of ε along the gradient's sign (Goodfellow et al.)", value: "fgsm" },
    ],
    { title: `Attack ${name}: method`, ...PICK },
  );
  if (!method) return undefined;
  const epsilon = await pickEpsilon(name);
  if (epsilon === undefined) return undefined;
  const compare = await vscode.window.showQuickPick(
    [
      { label: "Compare with the classes' unit rankings…", description: "on an evaluation set: each unit removed alone (slow once, then cached)", value: true },
      { label: "No comparison", description: "only the units that changed most", value: false },
    ],
    { title: `Attack ${name}: compare the changed units with the units that matter for the classes?`, ...PICK },
  );
  if (!compare) return undefined;
  const evaluationSet = compare.value ? await pickEvaluationSet(ctx, `Attack ${name}: evaluation set for the class rankings`) : undefined;
  if (compare.value && !evaluationSet) return undefined;

  const params: Omit<AttackParams, "workDoneToken"> = {
    modelId: model.modelId,
    layer: layer.name,
    method: method.value,
    epsilon,
    randomStart: false,
    ...(source.index !== undefined ? { trueClass: String(source.index) } : {}),
    ...(target.index !== undefined ? { targetClass: String(target.index) } : {}),
    ...(evaluationSet ? { evaluationSet } : {}),
  };
  if (image.scheme === "file") params.imagePath = image.fsPath;
  else params.imageBase64 = Buffer.from(await vscode.workspace.fs.readFile(image)).toString("base64");
  try {
    const result = await runAnalysisJob(ctx, `UnitScope: attacking ${name} (${layer.name})`, "unitscope/attack", params);
    const dissection = await dissectionOf(ctx, model, layer.name);
    ctx.output.info(`Attack on ${name}: ${result.succeeded ? "fooled" : "not fooled"}, ${result.cleanPrediction.name} → ${result.attackedPrediction.name}`);
    AttackPanel.show(ctx, {
      version: 1,
      model: { modelId: model.modelId, checkpointHash: model.checkpointHash, modelLabel: modelLabel(model) },
      request: { image: name, ...(evaluationSet ? { evaluationSet } : {}) },
      result,
      labels: labelsOf(
        dissection,
        result.units.map((u) => u.unit),
      ),
    });
    return result;
  } catch (e) {
    reportAnalysisFailure(ctx, `attack ${name}`, e);
    return undefined;
  }
}

async function pickTarget(model: ModelInfo, name: string): Promise<{ index: number | undefined } | undefined> {
  const items = [
    { label: "Untargeted", description: "away from the true class, to any other", index: undefined as number | undefined },
    ...classItems(classNamesOf(model), false).map((c) => ({ ...c, label: `Towards ${c.label}` })),
  ];
  return vscode.window.showQuickPick(items, { title: `Attack ${name}: goal`, placeHolder: "Untargeted, or a target class", ...PICK });
}

async function pickEpsilon(name: string): Promise<number | undefined> {
  const other = { label: "Other…", description: "type ε (e.g. 3/255 or 0.02)", value: undefined as number | undefined };
  const picked = await vscode.window.showQuickPick(
    [...EPSILON_LEVELS.map((l) => ({ label: `ε = ${l}/255`, description: l === 2 ? "the daemon's default" : "", value: l / 255 })), other],
    { title: `Attack ${name}: ε, the largest change of any pixel channel`, ...PICK },
  );
  if (!picked) return undefined;
  if (picked.value !== undefined) return picked.value;
  const typed = await vscode.window.showInputBox({
    title: `Attack ${name}: ε`,
    value: "8/255",
    ignoreFocusOut: true,
    validateInput: (v) => (parseEpsilon(v) === undefined ? "ε as 8/255, levels (8) or a fraction (0.03), at least 1/255." : undefined),
  });
  return typed === undefined ? undefined : parseEpsilon(typed);
}
