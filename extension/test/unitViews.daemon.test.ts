// Activation maximisation, the hypothesis test, invariance and correspondence through the real daemon
// over stdio, as the commands and the unit card run them: each round's image arriving as a partial
// result (what the panel swaps in), the unit card's cache-only read, cancellation, and results the
// panels' own checks accept. Skipped only when the daemon is not built.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CancellationTokenSource } from "vscode-jsonrpc/node";
import { isCorrespondenceResult } from "../src/correspondence/correspondenceMessages";
import { runAnalysis } from "../src/analysisRun";
import type { ProgressClient, ProgressStep } from "../src/dissectRun";
import { describeFailure } from "../src/errors";
import { isInvarianceResult } from "../src/invariance/invarianceMessages";
import type { ModelInfo, VisualizePreview } from "../src/protocol.generated";
import { isHypothesisTestResult, isVisualizePreview, isVisualizeResult, visualizeParams } from "../src/visualize/visualizeMessages";
import { DLL, loadForAnalyses, removeCache, startDaemon, type Daemon } from "./support/daemon";
import { REPO_ROOT } from "./support/fixtures";

const CHECKPOINT = path.join(REPO_ROOT, "samples/smallcnn.pth");
const IMAGES = path.join(REPO_ROOT, "samples/images");

function pngSize(base64: string): { width: number; height: number } {
  const bytes = Buffer.from(base64, "base64");
  assert.equal(bytes.subarray(1, 4).toString("latin1"), "PNG");
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe("activation maximisation, invariance and correspondence through the daemon (stdio)", function () {
  this.timeout(240_000);
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
    folder = fs.mkdtempSync(path.join(os.tmpdir(), "unitscope-views-"));
    ({ daemon, cache } = startDaemon());
    ({ model, client } = await loadForAnalyses(daemon, CHECKPOINT));
  });

  after(async () => {
    if (daemon) await daemon.close();
    if (cache) removeCache(cache);
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  it("optimises a unit with each round's image as a partial result; the unit card then reads it from the cache", async () => {
    const request = { layer: "conv3", unit: 2, objective: "channel" as const, seed: 3, rounds: 3, steps: 4 };
    const card = {
      modelId: model.modelId,
      layer: request.layer,
      unit: request.unit,
      seed: request.seed,
      rounds: request.rounds,
      steps: request.steps,
      cachedOnly: true,
    };
    assert.equal(await daemon!.request("unitscope/visualize", card), null, "nothing is computed for a cache-only read");

    const previews: VisualizePreview[] = [];
    const steps: ProgressStep[] = [];
    const result = await runAnalysis(client, "unitscope/visualize", visualizeParams(model.modelId, request), {
      report: (s) => steps.push(s),
      partial: (p) => previews.push(p),
    });
    assert.ok(isVisualizeResult(result), "the panel's check accepts the result");
    assert.deepEqual(
      previews.map((p) => p.round),
      [1, 2, 3],
    );
    assert.ok(previews.every(isVisualizePreview));
    assert.equal(previews.at(-1)!.imagePng, result.imagePng, "the last round's image is the result");
    assert.deepEqual(pngSize(result.imagePng), { width: model.input.width, height: model.input.height });
    assert.deepEqual([result.width, result.height], [model.input.width, model.input.height]);
    assert.equal(result.roundActivations.length, 3);
    assert.ok(result.finalActivation > 0, `the unit is on in its optimised image (${result.finalActivation})`);
    assert.equal(result.hypothesis.unit, 2);
    assert.equal(result.hypothesis.meanActivations.length, model.layers.find((l) => l.name === "conv3")!.units);
    assert.ok(Math.abs(result.hypothesis.meanActivations[2]! - result.finalActivation) <= 1e-4 * Math.max(1, result.finalActivation));
    assert.ok(
      steps.some((s) => s.message?.startsWith("optimising the image: ")),
      steps.map((s) => s.message).join("\n"),
    );

    const cached = await daemon!.request("unitscope/visualize", card);
    assert.ok(cached && cached.cached, "the unit card's read finds it");
    assert.equal(cached.imagePng, result.imagePng);
  });

  it("tests a real image: the layer's mean activations, the unit's rank, a chart; bad units are refused naming them", async () => {
    const test = await daemon!.request("unitscope/hypothesisTest", {
      modelId: model.modelId,
      layer: "conv3",
      unit: 1,
      imagePath: path.join(IMAGES, "circle.png"),
    });
    assert.ok(isHypothesisTestResult(test));
    const means = test.meanActivations;
    assert.equal(test.rank, 1 + means.filter((m) => m > means[1]!).length);
    assert.equal(means[test.strongestUnit], Math.max(...means));
    const units = model.layers.find((l) => l.name === "conv3")!.units;
    await assert.rejects(
      daemon!.request("unitscope/hypothesisTest", { modelId: model.modelId, layer: "conv3", unit: units, imagePath: path.join(IMAGES, "circle.png") }),
      (e: unknown) => describeFailure(e).message.includes(`Unit ${units}`),
    );
  });

  it("cancels an optimisation with $/cancelRequest; the daemon serves on and caches nothing half-done", async () => {
    const cts = new CancellationTokenSource();
    const request = { layer: "conv2", unit: 0, objective: "channel" as const, seed: 9, rounds: 20, steps: 200 };
    const running = runAnalysis(
      client,
      "unitscope/visualize",
      visualizeParams(model.modelId, request),
      {
        report: () => undefined,
        partial: () => cts.cancel(),
      },
      cts.token,
    );
    setTimeout(() => cts.cancel(), 30_000).unref();
    await assert.rejects(running, (e: unknown) => describeFailure(e).cancelled);
    const card = { modelId: model.modelId, ...request, cachedOnly: true };
    assert.equal(await daemon!.request("unitscope/visualize", card), null);
  });

  it("sweeps translations, rotations and scales: distance 0 untransformed, results the panel accepts", async () => {
    const result = await runAnalysis(
      client,
      "unitscope/invariance",
      {
        modelId: model.modelId,
        imagePaths: ["circle.png", "cross.png"].map((n) => path.join(IMAGES, n)),
        translations: [-6, 0, 6],
        rotations: [0, 90],
        scales: [1, 1.3],
      },
      { report: () => undefined },
    );
    assert.ok(isInvarianceResult(result), "the panel's check accepts the result");
    assert.deepEqual(result.images, ["circle.png", "cross.png"]);
    for (const sweep of result.sweeps) {
      const identity = sweep.values.indexOf(sweep.transform === "scale" ? 1 : 0);
      assert.ok(identity >= 0, sweep.transform);
      for (const image of sweep.distances) for (const layer of image) assert.equal(layer[identity], 0, `${sweep.transform}: the identity moves nothing`);
      for (const image of sweep.distances)
        for (const layer of image)
          assert.ok(
            layer.some((d) => d > 0),
            `${sweep.transform}: a real transformation moves something`,
          );
    }
    assert.deepEqual(pngSize(result.chartPng), { width: result.chartWidth, height: result.chartHeight });
  });

  it("computes correspondence from a boxes file; the same box on identical images gives 0", async () => {
    // Three copies of one image with the same box: every feature difference has the same sign in all of them.
    for (const copy of ["a", "b", "c"]) fs.copyFileSync(path.join(IMAGES, "square.png"), path.join(folder!, `${copy}.png`));
    const boxes = path.join(folder!, "boxes.json");
    fs.writeFileSync(boxes, JSON.stringify({ images: ["a", "b", "c"].map((c) => ({ path: `${c}.png`, boxes: { corner: [4, 6, 20, 17] } })) }));
    const result = await runAnalysis(
      client,
      "unitscope/correspondence",
      { modelId: model.modelId, boxesPath: boxes, randomDraws: 3, seed: 1 },
      { report: () => undefined },
    );
    assert.ok(isCorrespondenceResult(result), "the panel's check accepts the result");
    assert.deepEqual(
      result.parts.map((p) => p.part),
      ["corner"],
    );
    for (const layer of result.parts[0]!.layers) assert.equal(layer.delta, 0, layer.layer);
    assert.equal(result.randomDraws, 3);

    fs.writeFileSync(boxes, JSON.stringify({ images: ["a", "b"].map((c) => ({ path: `${c}.png`, boxes: { corner: [60, 0, 10, 10] } })) }));
    await assert.rejects(
      runAnalysis(client, "unitscope/correspondence", { modelId: model.modelId, boxesPath: boxes }, { report: () => undefined }),
      (e: unknown) => /a\.png/.test(describeFailure(e).message) && /corner/.test(describeFailure(e).message),
    );
  });
});
