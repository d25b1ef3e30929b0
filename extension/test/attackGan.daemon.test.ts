// The adversarial and GAN panels' requests through the real daemon over stdio, as their commands and
// panels send them: the daemon's generator flag (what the commands key on), an attack with its progress
// and the classes' rankings, a generator layer's dissection and an intervention asked for by the page's
// message (ablation and insertion in a region), every result accepted by the panels' own checks and
// states. Small models and sample counts (the test fixtures' odd DCGAN and segmenter, 16 px). Skipped
// only when the daemon is not built.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { attackRefusal } from "../src/adversarial/attackPickers";
import { isAttackResult, parseAttackMessage, parseAttackPanelState } from "../src/adversarial/attackMessages";
import { runAnalysis } from "../src/analysisRun";
import type { ProgressClient, ProgressStep } from "../src/dissectRun";
import { describeFailure } from "../src/errors";
import { ganEditParams } from "../src/gan/ganEditParams";
import { ganRefusal } from "../src/gan/ganLayers";
import { isGanDissection, isGanEdit, parseGanEditRequest, parseGanPanelState, type GanPanelState } from "../src/gan/ganMessages";
import type { ModelInfo } from "../src/protocol.generated";
import { DLL, loadForAnalyses, removeCache, startDaemon, withTimeout, type Daemon } from "./support/daemon";
import { REPO_ROOT } from "./support/fixtures";
import { ODD_GENERATOR, oddSegmenter } from "./support/ganFixtures";

const CLASSIFIER = path.join(REPO_ROOT, "samples/smallcnn.pth");
const IMAGES = path.join(REPO_ROOT, "samples/images");

describe("adversarial attacks and GAN dissection through the daemon (stdio)", function () {
  this.timeout(300_000);
  let daemon: Daemon | undefined;
  let cache: string | undefined;
  let folder: string | undefined;
  let classifier: ModelInfo;
  let generator: ModelInfo;
  let segmenter: string;
  let client: ProgressClient;

  before(async function () {
    if (!fs.existsSync(DLL)) {
      console.log(`      SKIPPED: the daemon is not built (${path.relative(REPO_ROOT, DLL)} is missing).`);
      this.skip();
    }
    folder = fs.mkdtempSync(path.join(os.tmpdir(), "unitscope-advgan-"));
    // An evaluation set with the classifier's classes: each sample image twice in its class's folder.
    for (const name of fs.readdirSync(IMAGES)) {
      const dir = path.join(folder, "shapes", path.parse(name).name);
      fs.mkdirSync(dir, { recursive: true });
      for (const copy of [0, 1]) fs.copyFileSync(path.join(IMAGES, name), path.join(dir, `${copy}.png`));
    }
    segmenter = oddSegmenter(folder);
    ({ daemon, cache } = startDaemon());
    ({ model: classifier, client } = await loadForAnalyses(daemon, CLASSIFIER));
    generator = await withTimeout(daemon.request("unitscope/loadModel", { path: ODD_GENERATOR }), 120_000, "loadModel");
  });

  after(async () => {
    if (daemon) await daemon.close();
    if (cache) removeCache(cache);
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  it("says which model is a generator, and the commands refuse the other kind", () => {
    assert.equal(generator.generator, true);
    assert.notEqual(classifier.generator, true);
    assert.match(attackRefusal(generator) ?? "", /image generator/);
    assert.equal(attackRefusal(classifier), undefined);
    assert.match(ganRefusal(classifier) ?? "", /not an image generator/);
    assert.equal(ganRefusal(generator), undefined);
  });

  it("attacks an image with progress; the result, its panel state and a unit click pass the panel's checks", async () => {
    const steps: ProgressStep[] = [];
    const result = await runAnalysis(
      client,
      "unitscope/attack",
      {
        modelId: classifier.modelId,
        layer: "conv4",
        imagePath: path.join(IMAGES, "circle.png"),
        method: "pgd",
        epsilon: 8 / 255,
        randomStart: false,
        trueClass: "0",
        evaluationSet: path.join(folder!, "shapes"),
        top: 6,
      },
      { report: (s) => steps.push(s) },
    );
    assert.ok(isAttackResult(result), "the panel's check accepts the daemon's result");
    assert.equal(result.epsilonLevels, 8);
    assert.ok(result.maxChange >= 1 && result.maxChange <= 8, `the attack stays within ε: ${result.maxChange}`);
    assert.equal(result.sourceClass, 0);
    assert.ok(
      steps.some((s) => /attacking/.test(s.message ?? "")),
      `progress: ${JSON.stringify(steps.slice(0, 3))}`,
    );
    assert.equal(result.overlaps[0]?.role, "source");
    assert.ok(result.overlaps.every((o) => o.k === 6 && o.shared.every((u) => o.changedUnits.includes(u) && o.importantUnits.includes(u))));
    const state = {
      version: 1,
      model: { modelId: classifier.modelId, checkpointHash: classifier.checkpointHash, modelLabel: "smallcnn.pth (smallcnn)" },
      request: { image: "circle.png" },
      result,
      labels: [],
    };
    assert.ok(parseAttackPanelState(JSON.parse(JSON.stringify(state))), "the state persists and revives");
    const important = result.overlaps[0]!.importantUnits[0]!;
    assert.deepEqual(parseAttackMessage({ type: "openUnit", unit: important }, result), { type: "openUnit", unit: important });
  });

  it("refuses a generator for an attack with a message naming the problem", async () => {
    await assert.rejects(
      runAnalysis(
        client,
        "unitscope/attack",
        { modelId: generator.modelId, layer: "main.5", imagePath: path.join(IMAGES, "circle.png"), randomStart: false },
        { report: () => undefined },
      ),
      (e: unknown) => describeFailure(e).message.length > 0,
    );
  });

  it("dissects a generator layer, then ablates and inserts a concept as the page asks", async () => {
    const steps: ProgressStep[] = [];
    const dissection = await runAnalysis(
      client,
      "unitscope/ganDissect",
      { modelId: generator.modelId, layer: "main.5", segmenterPath: segmenter, samples: 40 },
      { report: (s) => steps.push(s) },
    );
    assert.ok(isGanDissection(dissection), "the panel's check accepts the daemon's dissection");
    assert.equal(dissection.units.length, 12);
    assert.equal(dissection.samples.length, 16);
    assert.ok(steps.length > 0, "progress");
    const concept = [...dissection.concepts].sort((a, b) => b.units.length - a.units.length)[0]!;
    assert.ok(concept.units.length >= 2, `a concept with units: ${JSON.stringify(dissection.concepts.map((c) => [c.concept, c.units.length]))}`);
    const state: GanPanelState = {
      version: 1,
      model: { modelId: generator.modelId, checkpointHash: generator.checkpointHash, modelLabel: "dcgan_odd.pth (dcgan)" },
      request: { layer: "main.5", samples: 40, segmenterPath: segmenter },
      dissection,
      ui: { concept: concept.concept, units: 2, sample: 3 },
    };
    assert.ok(parseGanPanelState(JSON.parse(JSON.stringify(state))));

    const message = parseGanEditRequest({ type: "edit", concept: concept.concept, units: 2, sample: 3, region: { x0: 0, y0: 0, x1: 8, y1: 8 } }, dissection);
    assert.ok(message, "the page's request is accepted");
    const params = { ...ganEditParams(state, generator.modelId, message), samples: 24 };
    const edit = await runAnalysis(client, "unitscope/ganEdit", params, { report: () => undefined });
    assert.ok(isGanEdit(edit, dissection.imageWidth, dissection.imageHeight), "the panel's check accepts the daemon's edit");
    assert.deepEqual(edit.ablation.topUnits, concept.units.slice(0, 2), "the concept's top units, from the cached dissection");
    assert.deepEqual(edit.insertion?.region, { x0: 0, y0: 0, x1: 8, y1: 8 });
    assert.equal(edit.sampleCount, 24);
    assert.ok(edit.ablation.examples.length > 0);
    assert.ok(parseGanPanelState(JSON.parse(JSON.stringify({ ...state, edit })))?.edit, "the edit persists with the state");

    await assert.rejects(
      runAnalysis(
        client,
        "unitscope/ganDissect",
        { modelId: classifier.modelId, layer: "conv4", segmenterPath: segmenter, samples: 8 },
        { report: () => undefined },
      ),
      (e: unknown) => /not an image generator/.test(describeFailure(e).message),
    );
  });
});
