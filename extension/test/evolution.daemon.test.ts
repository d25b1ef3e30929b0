// A training run and a comparison through the real daemon over stdio, as "Show training run" and
// "Compare with…" run them: the run's checkpoints arriving as partial results and gathered in
// training order, the response's charts, every unit's concept per checkpoint, the panels' states
// built from them and accepted by their own checks; a comparison of the run's two checkpoints that
// finds the layers before conv3 unchanged and conv3 moved, a checkpoint compared with itself
// unchanged, and an unknown layer refused by name. Skipped when the daemon is not built or no Python has PyTorch (the run's second
// checkpoint is written by PyTorch).

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { runAnalysis } from "../src/analysisRun";
import type { ProgressClient, ProgressStep } from "../src/dissectRun";
import { describeFailure } from "../src/errors";
import { buildEvolutionHtml, unitTimeline } from "../src/evolution/evolutionHtml";
import {
  gatherCheckpoints,
  isEvolveResult,
  parseComparePanelState,
  parseEvolutionPanelState,
  type EvolutionPanelState,
} from "../src/evolution/evolutionMessages";
import type { CheckpointSummary, ModelInfo } from "../src/protocol.generated";
import { loadForAnalyses, removeCache, startDaemon, withTimeout, type Daemon } from "./support/daemon";
import { torchPythonAndDaemon } from "./support/python";
import { makeTrainingRun } from "./support/trainingRun";

describe("training run and comparison through the daemon (stdio)", function () {
  this.timeout(300_000);
  let daemon: Daemon | undefined;
  let cache: string | undefined;
  let run: string | undefined;
  let model: ModelInfo;
  let client: ProgressClient;

  before(async function () {
    const python = torchPythonAndDaemon(this);
    run = makeTrainingRun(python);
    ({ daemon, cache } = startDaemon());
    ({ model, client } = await loadForAnalyses(daemon, path.join(run, "last.pth")));
  });

  after(async () => {
    if (daemon) await daemon.close();
    if (cache) removeCache(cache);
    if (run) fs.rmSync(run, { recursive: true, force: true });
  });

  it("gathers the run's checkpoints from partial results in training order, with charts and each unit's concepts", async () => {
    const partials: CheckpointSummary[] = [];
    const steps: ProgressStep[] = [];
    const result = await runAnalysis(
      client,
      "unitscope/evolve",
      { modelId: model.modelId, run: run!, layers: ["conv2", "conv3"], dissect: true, maxImages: 12, batchSize: 5 },
      {
        report: (s) => steps.push(s),
        partial: (p) => {
          assert.ok(isEvolveResult(p), "a partial result passes the panel's check");
          partials.push(...p.checkpoints);
        },
      },
    );
    assert.ok(isEvolveResult(result));
    assert.equal(result.checkpointCount, 2, "last.pth has epoch_6.pth's bytes");
    assert.deepEqual(
      result.charts?.map((c) => c.layer),
      ["conv2", "conv3"],
    );
    const checkpoints = gatherCheckpoints([...partials, ...result.checkpoints]);
    assert.deepEqual(
      checkpoints.map((c) => [c.epoch, c.paths.map((p) => path.basename(p)).sort()]),
      [
        [3, ["epoch_3.pth"]],
        [6, ["epoch_6.pth", "last.pth"]],
      ],
    );
    const conv = (c: CheckpointSummary, layer: string) => c.layers.find((l) => l.layer === layer)!;
    assert.ok((conv(checkpoints[1]!, "conv3").weightChange ?? 0) > 0.5, "conv3's noise is removed again: its weight moved");
    assert.equal(conv(checkpoints[1]!, "conv2").weightChange, 0, "conv2 is the same in both");
    for (const c of checkpoints)
      for (const l of c.layers)
        assert.equal(l.unitConcepts?.filter((u) => u.labelled).length, l.labelled, `${l.layer}: the labelled units are the ones counted`);
    assert.equal(
      steps.reduce((sum, s) => sum + (s.increment ?? 0), 0),
      100,
      "the bar fills",
    );

    const state: EvolutionPanelState = {
      version: 1,
      model: { modelId: model.modelId, checkpointHash: model.checkpointHash, modelLabel: "last.pth" },
      run: result.run,
      result: { ...result, checkpoints },
    };
    assert.deepEqual(parseEvolutionPanelState(JSON.parse(JSON.stringify(state))), state, "the panel's state survives a reload");
    // conv2 is identical in both checkpoints: each unit has the same concept at both.
    for (const { cells } of unitTimeline(state, "conv2")) assert.deepEqual(cells[0], cells[1]);
    const html = buildEvolutionHtml({ cspSource: "x:", scriptUri: "e.js", baseStyleUri: "b.css", styleUri: "s.css", state });
    assert.equal([...html.matchAll(/<img class="evo-chart"/g)].length, 2);
  });

  it("compares the run's two checkpoints (unchanged before conv3, moved from it on) and a checkpoint with itself (unchanged)", async () => {
    const older = await withTimeout(daemon!.request("unitscope/loadModel", { path: path.join(run!, "epoch_3.pth") }), 120_000, "loadModel");
    const result = await runAnalysis(
      client,
      "unitscope/compareCheckpoints",
      { modelIdA: older.modelId, modelIdB: model.modelId, maxImages: 12 },
      { report: () => undefined },
    );
    const ref = { modelId: model.modelId, checkpointHash: model.checkpointHash, modelLabel: "last.pth" };
    assert.ok(parseComparePanelState({ version: 1, modelA: ref, modelB: ref, result }), "the panel takes the daemon's comparison");
    // Only conv3's weight differs: the layers before it are unchanged, it and every layer after it moved.
    const cka = (layer: string) => result.layers.find((l) => l.layer === layer)!.cka;
    assert.equal(cka("conv1")?.toFixed(6), "1.000000");
    assert.equal(cka("conv2")?.toFixed(6), "1.000000");
    assert.ok((cka("conv3") ?? 1) < 0.99, `conv3's CKA ${cka("conv3")}`);
    assert.ok(!["conv1", "conv2"].includes(result.rankedByChange[0]!), `most changed: ${result.rankedByChange[0]}`);

    const same = await runAnalysis(
      client,
      "unitscope/compareCheckpoints",
      { modelIdA: model.modelId, modelIdB: model.modelId, layers: ["conv2"], maxImages: 12 },
      { report: () => undefined },
    );
    const conv2 = same.layers[0]!;
    assert.equal(conv2.matchedToSameIndex, conv2.unitsA, "every unit matched to itself");
  });

  it("refuses an unknown layer by name and serves on", async () => {
    const failed = runAnalysis(client, "unitscope/evolve", { modelId: model.modelId, run: run!, layers: ["conv9"] }, { report: () => undefined });
    await assert.rejects(failed, (e: unknown) => /conv9/.test(describeFailure(e).message));
    const again = await runAnalysis(
      client,
      "unitscope/evolve",
      { modelId: model.modelId, run: run!, layers: ["conv2"], maxImages: 12 },
      { report: () => undefined },
    );
    assert.equal(again.checkpoints.length, 2, "without a partial callback the response holds every checkpoint");
  });
});
