// "UnitScope: Which units matter for a class": a layer and a class (quick picks, or from the
// ablation panel), an evaluation set; then unitscope/rankUnits in a cancellable progress
// notification. The ranking panel opens at once and fills in as units are measured (partial
// results); the curve of zeroing the top k vs k random units comes at the end.

import * as vscode from "vscode";
import { classNamesOf } from "./ablatePickers";
import { modelAndLayer, modelLabel, pickClass, pickEvaluationSet, reportAnalysisFailure } from "./analysisCommon";
import { runAnalysisJob } from "./analysisJob";
import { SECTION } from "./config";
import { DaemonUnavailable, type Ctx } from "./ctx";
import type { RankUnitsResult } from "./protocol.generated";
import { rankMetricSetting } from "./rankMessages";
import { RankPanel } from "./rankPanel";

export async function rankUnitsCommand(ctx: Ctx, raw?: unknown): Promise<RankUnitsResult | undefined> {
  const target = await modelAndLayer(ctx, "unitscope.rankUnits", raw, "rank", (model) => `Which units matter for a class (${modelLabel(model)}): layer`);
  if (!target) return undefined;
  const { args, model, layer } = target;
  const names = classNamesOf(model);
  let cls = args.class !== undefined && args.class < names.length ? args.class : undefined;
  if (cls === undefined) cls = (await pickClass(model, `Which units of ${layer.name} matter for which class?`, false))?.index;
  if (cls === undefined) return undefined;
  const evaluationSet = await pickEvaluationSet(ctx, `Rank the units of ${layer.name} for ${names[cls]}: evaluation set`);
  if (!evaluationSet) return undefined;
  const metric = rankMetricSetting(vscode.workspace.getConfiguration(SECTION).get("ranking.metric"));

  const header: RankUnitsResult = {
    layer: layer.name,
    class: cls,
    classLabel: names[cls]!,
    metric,
    evaluationSet,
    imageCount: 0,
    before: 0,
    units: [],
  };
  const panel = RankPanel.show(ctx, {
    version: 1,
    model: { modelId: model.modelId, checkpointHash: model.checkpointHash, modelLabel: modelLabel(model) },
    result: header,
    complete: false,
  });
  const what = `rank the units of ${layer.name} for ${names[cls]}`;
  try {
    const result = await runAnalysisJob(
      ctx,
      `UnitScope: units of ${layer.name} for ${names[cls]}`,
      "unitscope/rankUnits",
      { modelId: model.modelId, layer: layer.name, class: cls, metric, evaluationSet },
      {
        report: (s) => {
          if (s.message && panel.shows(header)) panel.status(s.message);
        },
        partial: (value) => {
          if (panel.shows(header)) panel.addUnits(value);
        },
      },
    );
    if (panel.shows(header)) panel.complete(result);
    ctx.output.info(`Ranked the units of ${layer.name} for ${names[cls]} on ${result.evaluationSet}.`);
    return result;
  } catch (e) {
    const failure = e instanceof DaemonUnavailable ? undefined : e;
    if (panel.shows(header)) panel.status(failure === undefined ? "The daemon is not running." : `Stopped: ${describe(e)}`, true);
    // On a class mismatch the command starts again from the evaluation set's picker, layer and class kept.
    reportAnalysisFailure(ctx, what, e, () => rankUnitsCommand(ctx, { modelId: model.modelId, layer: layer.name, class: cls }));
    return undefined;
  }
}

function describe(e: unknown): string {
  return typeof e === "object" && e !== null && typeof (e as { message?: unknown }).message === "string" ? (e as { message: string }).message : String(e);
}
