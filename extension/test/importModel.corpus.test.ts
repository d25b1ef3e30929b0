// "Import model from training code" on a corpus of classic model definitions as users write them
// (tests/fixtures/import_model/corpus/cases.json: CIFAR ResNets with lambda shortcuts and
// F.avg_pool2d(out, out.size()[3]), LeNet, the MNIST examples net, DCGAN's discriminator and
// generator, VGG with x.view(x.size(0), -1), a model returning a tuple, …). Each definition is written
// out into a fresh project folder, given seeded random weights (make_case.py), exported by the real
// exporter, loaded by the real daemon and must predict what PyTorch computes on the same image; a
// definition that is not an image model must be refused with a message that says why. A summary
// line counts the cases that export, load and match. Skipped, saying why, without a Python with
// torch or without the built daemon.

import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { exporterArgs } from "../src/importModelArgs";
import { runExporter } from "../src/importModelRun";
import { removeCache, startDaemon, withTimeout, type Daemon } from "./support/daemon";
import { EXTENSION_ROOT, REPO_ROOT } from "./support/fixtures";
import { torchPythonAndDaemon } from "./support/python";

const CORPUS = path.join(REPO_ROOT, "tests/fixtures/import_model/corpus");

interface Case {
  file: string;
  name: string;
  inputSize: [number, number, number];
  expect: "match" | "refused";
  message?: string;
  idiom: string;
}

const cases: Case[] = JSON.parse(fs.readFileSync(path.join(CORPUS, "cases.json"), "utf8")).cases;

describe("import model corpus: classic definitions export, load and match PyTorch", function () {
  this.timeout(300_000);
  let python = "";
  let daemon: Daemon | undefined;
  let cache = "";
  let dir = "";
  const outcomes: string[] = [];
  let matched = 0;

  before(async function () {
    python = torchPythonAndDaemon(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "unitscope-corpus-"));
    ({ daemon, cache } = startDaemon());
    await withTimeout(daemon.request("initialize", { processId: process.pid, rootUri: pathToFileURL(dir).href, capabilities: {} }), 60_000, "initialize");
    await daemon.notify("initialized", {});
  });

  after(async () => {
    if (outcomes.length > 0) {
      console.log(`      corpus: ${matched} of ${cases.filter((c) => c.expect === "match").length} image models export, load and match PyTorch`);
      for (const o of outcomes) console.log(`        ${o}`);
    }
    if (daemon) await daemon.close();
    if (cache) removeCache(cache);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const c of cases) {
    it(`${c.name} (${c.file}: ${c.idiom}) ${c.expect === "match" ? "matches PyTorch" : "is refused, saying why"}`, async () => {
      // The definition written out as a user's project holds it.
      const project = path.join(dir, `${c.name}-project`);
      fs.mkdirSync(project, { recursive: true });
      fs.copyFileSync(path.join(CORPUS, c.file), path.join(project, c.file));
      const out = path.join(project, "runs");
      const made = spawnSync(python, [path.join(CORPUS, "make_case.py"), project, c.file, c.name, c.inputSize.join(","), out], { encoding: "utf8" });
      assert.equal(made.status, 0, made.stderr);

      const run = await runExporter(
        python,
        exporterArgs(path.join(EXTENSION_ROOT, "python/unitscope_export.py"), {
          file: path.join(project, c.file),
          name: c.name,
          kwargs: {},
          checkpoint: path.join(out, `${c.name}.pth`),
          inputSize: c.inputSize,
          projectRoot: project,
          output: path.join(out, `${c.name}.onnx`),
        }),
        { cwd: project },
      );
      const [channels, height, width] = c.inputSize;
      const load = async (onnx: string) =>
        daemon!.request("unitscope/loadModel", {
          path: onnx,
          architecture: "onnx",
          inputSize: [height, width],
          mean: Array(Math.min(channels, 4)).fill(0.5),
          std: Array(Math.min(channels, 4)).fill(0.25),
          device: "cpu",
        });

      if (c.expect === "refused") {
        let message = run.outcome.ok ? "" : run.outcome.message;
        if (run.outcome.ok)
          await load(run.outcome.onnx).then(
            () => undefined,
            (e: Error) => (message = e.message),
          );
        outcomes.push(`${c.name}: refused${run.outcome.ok ? " by the daemon" : " by the exporter"}: ${message.slice(0, 140)}`);
        assert.ok(message.includes(c.message ?? ""), `expected a refusal mentioning '${c.message}', got: ${message || "a loaded model"}`);
        return;
      }
      if (!run.outcome.ok) {
        outcomes.push(`${c.name}: export failed (${run.outcome.kind}): ${run.outcome.message.slice(0, 160)}`);
        assert.fail(`export failed: ${JSON.stringify(run.outcome).slice(0, 600)}`);
      }
      let model;
      try {
        model = await load(run.outcome.onnx);
      } catch (e) {
        outcomes.push(`${c.name}: load failed: ${(e as Error).message.slice(0, 160)}`);
        throw e;
      }
      const reference: number[] = JSON.parse(fs.readFileSync(path.join(out, `${c.name}.reference.json`), "utf8")).output;
      const predicted = await daemon!.request("unitscope/predict", { modelId: model.modelId, imagePath: path.join(out, `${c.name}.png`) });
      await daemon!.request("unitscope/unloadModel", { modelId: model.modelId });
      const scale = Math.max(1e-6, ...reference.map(Math.abs));
      const error = Math.max(...predicted.logits.map((v, i) => Math.abs(v - reference[i]!)));
      const ok = predicted.logits.length === reference.length && error <= 1e-4 * scale;
      outcomes.push(`${c.name}: ${ok ? "matches" : "DIFFERS"} (max error ${error.toExponential(1)} of ${scale.toExponential(1)})`);
      assert.equal(predicted.logits.length, reference.length);
      assert.ok(ok, `max |daemon − PyTorch| ${error} against max |PyTorch| ${scale}`);
      matched++;
    });
  }
});
