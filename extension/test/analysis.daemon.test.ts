// Occlusion, ablation and ranking through the real daemon over stdio, as the commands run them:
// our own work-done and partial-result tokens, progress steps that fill the bar, the ranking's
// units arriving as partial results, and cancellation with $/cancelRequest. Skipped only when the
// daemon is not built.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CancellationTokenSource } from "vscode-jsonrpc/node";
import { runAnalysis } from "../src/analysisRun";
import type { ProgressClient, ProgressStep } from "../src/dissectRun";
import { describeFailure } from "../src/errors";
import type { ModelInfo, RankUnitsResult } from "../src/protocol.generated";
import { mergeRanked } from "../src/rankCurve";
import { DLL, loadForAnalyses, removeCache, startDaemon, type Daemon } from "./support/daemon";
import { REPO_ROOT } from "./support/fixtures";

const CHECKPOINT = path.join(REPO_ROOT, "samples/smallcnn.pth");
const CLASSES = ["circle", "square", "triangle", "cross"];

describe("occlusion and ablation through the daemon (stdio)", function () {
  this.timeout(180_000);
  let daemon: Daemon | undefined;
  let cache: string | undefined;
  let folder: string | undefined;
  let model: ModelInfo;
  let client: ProgressClient;

  before(async function () {
    if (!fs.existsSync(DLL)) {
      console.log(`      SKIPPED: the daemon is not built (${path.relative(REPO_ROOT, DLL)} is missing).`);
      this.skip();
    }
    folder = fs.mkdtempSync(path.join(os.tmpdir(), "unitscope-eval-"));
    for (const name of CLASSES) {
      fs.mkdirSync(path.join(folder, name));
      fs.copyFileSync(path.join(REPO_ROOT, "samples/images", `${name}.png`), path.join(folder, name, "1.png"));
    }
    ({ daemon, cache } = startDaemon());
    ({ model, client } = await loadForAnalyses(daemon, CHECKPOINT));
  });

  after(async () => {
    if (daemon) await daemon.close();
    if (cache) removeCache(cache);
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  it("occludes an image with progress steps that fill the bar, the class names coming with the model", async () => {
    assert.deepEqual(model.classNames, CLASSES);
    const steps: ProgressStep[] = [];
    const result = await runAnalysis(
      client,
      "unitscope/occlude",
      { modelId: model.modelId, imagePath: path.join(REPO_ROOT, "samples/images/square.png"), size: 8, stride: 8, targetClass: 1, fill: [0.5] },
      { report: (s) => steps.push(s) },
    );
    assert.equal(result.targetLabel, "square");
    // The square is filled in 8-bit steps: 0.5 becomes 128/255.
    assert.deepEqual(
      result.fill.map((v) => Math.round(v * 255)),
      [128, 128, 128],
    );
    assert.equal(result.probability.values.length, result.rows * result.columns);
    const messages = steps.map((s) => s.message).filter((m): m is string => m !== undefined);
    assert.ok(
      messages.some((m) => /^occluding: \d+\/\d+ positions$/.test(m)),
      messages.join("\n"),
    );
    assert.equal(
      steps.reduce((sum, s) => sum + (s.increment ?? 0), 0),
      100,
    );
  });

  it("ranks a layer's units, the units arriving as partial results and ranked as the panel does", async () => {
    const partials: RankUnitsResult[] = [];
    const result = await runAnalysis(
      client,
      "unitscope/rankUnits",
      { modelId: model.modelId, layer: "conv2", class: 2, metric: "logProbability", top: 3, randomDraws: 2, evaluationSet: folder! },
      { report: () => undefined, partial: (p) => partials.push(p) },
    );
    assert.deepEqual(result.units, []);
    const units = partials.reduce((known, p) => mergeRanked(known, p.units), [] as RankUnitsResult["units"]);
    const conv2 = model.layers.find((l) => l.name === "conv2")!;
    assert.equal(units.length, conv2.units);
    assert.deepEqual(
      units.map((u) => u.drop),
      [...units.map((u) => u.drop)].sort((a, b) => b - a),
    );
    assert.deepEqual(
      result.curve?.map((p) => p.k),
      [1, 2, 3],
    );
  });

  it("cancels an ablation with $/cancelRequest and answers RequestCancelled; the daemon serves on", async () => {
    const cts = new CancellationTokenSource();
    const steps: ProgressStep[] = [];
    const running = runAnalysis(
      client,
      "unitscope/ablate",
      // The probe set is built first (seconds): cancel while that goes on.
      { modelId: model.modelId, layer: "conv2", units: [0, 1], evaluationSet: "probe" },
      {
        report: (s) => {
          steps.push(s);
          if (s.message?.startsWith("building the probe set")) cts.cancel();
        },
      },
      cts.token,
    );
    setTimeout(() => cts.cancel(), 20_000).unref();
    await assert.rejects(running, (e: unknown) => describeFailure(e).cancelled);
    const again = await runAnalysis(
      client,
      "unitscope/ablate",
      { modelId: model.modelId, layer: "conv2", units: [0], evaluationSet: folder!, randomControl: false },
      { report: () => undefined },
    );
    assert.equal(again.imageCount, 4);
    assert.equal(again.control, undefined);
  });
});
