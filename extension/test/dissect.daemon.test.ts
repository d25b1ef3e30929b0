// Dissection through the real daemon over stdio, as the "Dissect layer" command runs it: our own
// work-done and partial-result tokens, progress steps, layers as they complete, and cancellation
// with $/cancelRequest. Skipped only when the daemon is not built.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CancellationTokenSource } from "vscode-jsonrpc/node";
import { runDissection, type ProgressClient, type ProgressStep } from "../src/dissectRun";
import { describeFailure } from "../src/errors";
import type { LayerDissection, ModelInfo } from "../src/protocol.generated";
import { DLL, loadForAnalyses, removeCache, startDaemon, type Daemon } from "./support/daemon";
import { REPO_ROOT } from "./support/fixtures";

const BRODEN = path.join(REPO_ROOT, "tests/fixtures/broden_mini");
const CHECKPOINT = path.join(REPO_ROOT, "samples/smallcnn.pth");

describe("dissection through the daemon (stdio)", function () {
  this.timeout(180_000);
  let daemon: Daemon | undefined;
  let cache: string | undefined;
  let model: ModelInfo;
  let client: ProgressClient;

  before(async function () {
    if (!fs.existsSync(DLL)) {
      console.log(`      SKIPPED: the daemon is not built (${path.relative(REPO_ROOT, DLL)} is missing).`);
      this.skip();
    }
    ({ daemon, cache } = startDaemon());
    ({ model, client } = await loadForAnalyses(daemon, CHECKPOINT));
  });

  after(async () => {
    if (daemon) await daemon.close();
    if (cache) removeCache(cache);
  });

  it("dissects two layers on a Broden folder with progress, each layer arriving as it completes", async () => {
    const steps: ProgressStep[] = [];
    const arrived: LayerDissection[] = [];
    const notes: string[] = [];
    const layers = await runDissection(
      client,
      { modelId: model.modelId, layers: ["conv4", "conv3"], dataset: BRODEN, options: { batchSize: 1, topImages: 2 } },
      { report: (s) => steps.push(s), layer: (l) => arrived.push(l), note: (n) => notes.push(n) },
    );
    // broden_mini's images are 8x8, the sample model takes 64x64: said, not done silently.
    assert.equal(notes.length, 1);
    assert.match(notes[0]!, /^The probe images are 8x8 \(masks 4x4\) but the model takes 64x64/);
    assert.deepEqual(
      layers.map((l) => l.layer),
      ["conv4", "conv3"],
    );
    assert.deepEqual(arrived.map((l) => l.layer).sort(), ["conv3", "conv4"]);
    const conv4 = layers[0]!;
    assert.equal(conv4.units.length, model.layers.find((l) => l.name === "conv4")!.units);
    assert.equal(conv4.imageCount, 3);
    assert.equal(conv4.dataset, BRODEN);
    assert.ok(conv4.categories.every((c) => /^#[0-9a-f]{6}$/.test(c.color)));
    const messages = steps.map((s) => s.message).filter((m): m is string => m !== undefined);
    assert.ok(
      messages.some((m) => /^conv4, conv3: threshold pass, \d+\/3 images$/.test(m)),
      messages.join("\n"),
    );
    assert.ok(
      messages.some((m) => m.startsWith("conv3 done: ")),
      messages.join("\n"),
    );
    assert.equal(
      steps.reduce((sum, s) => sum + (s.increment ?? 0), 0),
      100,
    );

    const again = await client.request("unitscope/dissection", { modelId: model.modelId, layer: "conv3", dataset: BRODEN, options: { topImages: 2 } });
    assert.deepEqual(again?.units, layers[1]!.units);
  });

  it("cancels with $/cancelRequest (here while the probe set is being built) and answers RequestCancelled", async () => {
    const source = new CancellationTokenSource();
    const steps: ProgressStep[] = [];
    const run = runDissection(
      client,
      { modelId: model.modelId, layers: ["conv1"], options: { maxImages: 40 } },
      {
        report: (s) => {
          steps.push(s);
          if (s.message?.startsWith("building the probe set")) source.cancel();
        },
      },
      source.token,
    );
    const error = await run.then(
      () => assert.fail("the dissection was not cancelled"),
      (e: unknown) => e,
    );
    assert.equal(describeFailure(error).cancelled, true, String((error as Error).message));
    // The daemon serves on.
    const listed = await client.request("unitscope/dissectedLayers", { modelId: model.modelId });
    assert.deepEqual(listed.layers.map((l) => l.layer).sort(), ["conv3", "conv4"]);
  });
});
