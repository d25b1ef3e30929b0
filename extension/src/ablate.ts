// "UnitScope: Ablate units": a layer (quick pick, or the one a hover link or a dissection card
// gives), units (a multi-select showing each unit's dissected label and IoU, best first), an
// evaluation set (the probe set or an image folder); then unitscope/ablate in a cancellable
// progress notification and the ablation panel. The model in memory is unchanged afterwards: the
// daemon zeroes units in forward hooks for the length of each pass.

import * as vscode from "vscode";
import { unitItems, type UnitItem } from "./ablatePickers";
import type { AblatedUnit } from "./ablationMessages";
import { AblationPanel } from "./ablationPanel";
import { defaultAblationUi } from "./ablationMessages";
import { dissectionOf, modelAndLayer, modelLabel, pickEvaluationSet, reportAnalysisFailure } from "./analysisCommon";
import { runAnalysisJob } from "./analysisJob";
import type { Ctx } from "./ctx";
import type { AblateResult, LayerDissection, LayerInfo, ModelInfo } from "./protocol.generated";
import { UnitCardPanel } from "./unitCardPanel";

export async function ablateUnitsCommand(ctx: Ctx, raw?: unknown): Promise<AblateResult | undefined> {
  const target = await modelAndLayer(ctx, "unitscope.ablateUnits", raw, "ablate", (model) => `Ablate units of ${modelLabel(model)}: layer`);
  if (!target) return undefined;
  const { args, model, layer } = target;

  const dissection = await dissectionOf(ctx, model, layer.name);
  const units =
    args.units && args.units.length > 0 && args.units.every((u) => u < layer.units) ? args.units : await pickUnits(layer, dissection, args.units ?? []);
  if (!units || units.length === 0) return undefined;
  const evaluationSet = await pickEvaluationSet(ctx, `Ablate ${unitsText(units)} of ${layer.name}: evaluation set`);
  if (!evaluationSet) return undefined;
  return runAblation(ctx, model, layer.name, units, evaluationSet, dissection);
}

/** Runs the ablation with a progress notification and shows the panel; undefined when it failed or was cancelled (the user was told). */
export async function runAblation(
  ctx: Ctx,
  model: ModelInfo,
  layer: string,
  units: number[],
  evaluationSet: string,
  dissection: LayerDissection | undefined,
): Promise<AblateResult | undefined> {
  const what = `ablate ${unitsText(units)} of ${layer}`;
  try {
    const result = await runAnalysisJob(ctx, `UnitScope: ablating ${unitsText(units)} of ${layer}`, "unitscope/ablate", {
      modelId: model.modelId,
      layer,
      units,
      evaluationSet,
      randomControl: true,
    });
    ctx.output.info(
      `Ablated ${unitsText(result.units)} of ${layer} on ${result.evaluationSet}: overall ${pct(result.overallBefore)} → ${pct(result.overallAfter)}` +
        (result.control ? ` (random control ${pct(result.control.overallAfter)})` : ""),
    );
    // An open card of the one unit zeroed shows the effect too.
    if (result.units.length === 1) UnitCardPanel.ablationMeasured(layer, result.units[0]!, unitEffect(result));
    AblationPanel.show(ctx, {
      version: 1,
      model: { modelId: model.modelId, checkpointHash: model.checkpointHash, modelLabel: modelLabel(model) },
      result,
      units: ablatedUnits(result.units, dissection),
      ui: defaultAblationUi(),
    });
    return result;
  } catch (e) {
    reportAnalysisFailure(ctx, what, e, async () => {
      const other = await pickEvaluationSet(ctx, `Ablate ${unitsText(units)} of ${layer}: evaluation set`);
      if (other) await runAblation(ctx, model, layer, units, other, dissection);
    });
    return undefined;
  }
}

/** What a unit card shows of an ablation of its unit: overall accuracy, and the classes that lost the most (at most 5). */
export function unitEffect(result: AblateResult): { before: number; after: number; classes: { label: string; before: number; after: number }[] } {
  return {
    before: result.overallBefore,
    after: result.overallAfter,
    classes: result.classes
      .filter((c) => c.after < c.before)
      .slice(0, 5)
      .map((c) => ({ label: c.label, before: c.before, after: c.after })),
  };
}

/** The ablated units with their dissected labels. */
export function ablatedUnits(units: readonly number[], dissection: LayerDissection | undefined): AblatedUnit[] {
  const byUnit = new Map((dissection?.units ?? []).map((u) => [u.unit, u]));
  return units.map((unit) => {
    const label = byUnit.get(unit)?.label;
    return label ? { unit, label: label.concept, category: label.category } : { unit };
  });
}

/** A multi-select of the layer's units, labelled ones first by IoU; Enter with none ticked takes the highlighted one. */
async function pickUnits(layer: LayerInfo, dissection: LayerDissection | undefined, preselected: number[]): Promise<number[] | undefined> {
  const items = unitItems(layer.units, dissection, preselected);
  const quickPick = vscode.window.createQuickPick<UnitItem & vscode.QuickPickItem>();
  quickPick.items = items;
  quickPick.selectedItems = items.filter((i) => i.picked);
  quickPick.canSelectMany = true;
  quickPick.matchOnDescription = true;
  quickPick.ignoreFocusOut = true; // a step of the command: a panel taking the focus must not end it
  quickPick.title = `Units of ${layer.name} to zero (${layer.units} units)`;
  quickPick.placeholder = dissection
    ? "Tick units (labels from the dissection, best IoU first); type a concept or a unit number to filter"
    : "Tick units (dissect the layer to see what each one detects)";
  const picked = await new Promise<number[] | undefined>((resolve) => {
    quickPick.onDidAccept(() => {
      const typed = /^\s*(\d+)\s*$/.exec(quickPick.value)?.[1];
      const chosen =
        quickPick.selectedItems.length > 0
          ? quickPick.selectedItems
          : quickPick.activeItems.length > 0
            ? quickPick.activeItems
            : items.filter((i) => typed !== undefined && i.unit === Number(typed));
      resolve(chosen.map((i) => i.unit).sort((a, b) => a - b));
      quickPick.hide();
    });
    quickPick.onDidHide(() => resolve(undefined));
    quickPick.show();
  });
  quickPick.dispose();
  return picked;
}

function unitsText(units: readonly number[]): string {
  if (units.length === 1) return `unit ${units[0]}`;
  if (units.length <= 4) return `units ${units.join(", ")}`;
  return `${units.length} units`;
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}
