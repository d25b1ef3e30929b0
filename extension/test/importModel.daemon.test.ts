// The import end to end, as the command does it but without the editor: the exporter (real
// PyTorch) turns the sample training script's SmallCNN and its checkpoint into ONNX, the real
// daemon loads it with every module addressable and predicts what the checkpoint's zoo model
// predicts, writes NAME.unitscope.json, and from then on loads the checkpoint itself as that ONNX.
// Skipped, saying why, without a Python with torch or without the built daemon.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { descriptionFields, exporterArgs, type ExportResult } from "../src/importModelArgs";
import { runExporter } from "../src/importModelRun";
import type { ModelInfo } from "../src/protocol.generated";
import { removeCache, startDaemon, withTimeout, type Daemon } from "./support/daemon";
import { EXTENSION_ROOT, REPO_ROOT } from "./support/fixtures";
import { torchPythonAndDaemon } from "./support/python";

describe("import model through the daemon (exporter + loadModel + writeModelDescription)", function () {
  this.timeout(240_000);
  let daemon: Daemon | undefined;
  let cache = "";
  let dir = "";
  let result: ExportResult;
  let onnxModel: ModelInfo;

  before(async function () {
    const python = torchPythonAndDaemon(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "unitscope-import-"));
    const checkpoint = path.join(dir, "smallcnn.pth");
    fs.copyFileSync(path.join(REPO_ROOT, "samples/smallcnn.pth"), checkpoint);
    fs.writeFileSync(path.join(dir, "shapes.txt"), "round\nboxy\npointy\nplus\n");

    const script = path.join(REPO_ROOT, "samples/train_smallcnn.py");
    const run = await runExporter(
      python,
      exporterArgs(path.join(EXTENSION_ROOT, "python/unitscope_export.py"), {
        file: script,
        name: "SmallCNN",
        kwargs: { num_classes: 4 },
        checkpoint,
        inputSize: [3, 64, 64],
        projectRoot: path.dirname(script),
        output: path.join(dir, "smallcnn.onnx"),
      }),
      { cwd: dir },
    );
    assert.ok(run.outcome.ok, JSON.stringify(run.outcome));
    result = run.outcome;

    ({ daemon, cache } = startDaemon());
    await withTimeout(daemon.request("initialize", { processId: process.pid, rootUri: pathToFileURL(dir).href, capabilities: {} }), 60_000, "initialize");
    await daemon.notify("initialized", {});
    onnxModel = await withTimeout(
      daemon.request("unitscope/loadModel", { path: result.onnx, architecture: "onnx", inputSize: [64, 64], device: "cpu" }),
      120_000,
      "loadModel (onnx)",
    );
  });

  after(async () => {
    if (daemon) await daemon.close();
    if (cache) removeCache(cache);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("loads the exported model with every module addressable by its PyTorch path, BatchNorms included", () => {
    assert.match(onnxModel.architecture, /^onnx/);
    assert.equal(onnxModel.classCount, 4);
    const names = onnxModel.layers.map((l) => l.name);
    for (const m of ["conv1", "bn1", "relu", "pool", "conv4", "bn4", "avgpool", "fc"]) assert.ok(names.includes(m), `${m} in ${names.join(", ")}`);
    assert.deepEqual(onnxModel.layers.find((l) => l.name === "bn2")?.outputShape, [32, 32, 32]);
  });

  it("predicts what the checkpoint's own model predicts", async () => {
    const zoo = await daemon!.request("unitscope/loadModel", { path: path.join(dir, "smallcnn.pth"), architecture: "smallcnn", device: "cpu" });
    for (const image of ["circle.png", "cross.png"]) {
      const imagePath = path.join(REPO_ROOT, "samples/images", image);
      const a = await daemon!.request("unitscope/predict", { modelId: onnxModel.modelId, imagePath });
      const b = await daemon!.request("unitscope/predict", { modelId: zoo.modelId, imagePath });
      a.logits.forEach((v, i) =>
        assert.ok(Math.abs(v - b.logits[i]!) <= 1e-4 * Math.max(1, Math.abs(b.logits[i]!)), `${image} logit ${i}: ${v} vs ${b.logits[i]}`),
      );
    }
    await daemon!.request("unitscope/unloadModel", { modelId: zoo.modelId });
  });

  it("writes the description the first time, then loads the checkpoint as its ONNX with the class names", async () => {
    const written = await daemon!.request("unitscope/writeModelDescription", {
      modelPath: path.join(dir, "smallcnn.pth"),
      ...descriptionFields(false, result, { mean: onnxModel.input.mean, std: onnxModel.input.std }, path.join(dir, "shapes.txt")),
    });
    assert.equal(written.created, true);
    assert.equal(written.path, path.join(dir, "smallcnn.unitscope.json"));
    assert.equal(written.classNamesFile, "shapes.txt");
    assert.equal(written.classCount, 4);
    const description = JSON.parse(fs.readFileSync(written.path, "utf8"));
    assert.deepEqual(description.inputSize, [64, 64]);
    assert.equal(description.architecture, "onnx");

    const reloaded = await daemon!.request("unitscope/loadModel", { path: path.join(dir, "smallcnn.pth"), device: "cpu" });
    assert.match(reloaded.architecture, /^onnx/);
    assert.equal(reloaded.path, result.onnx);
    assert.deepEqual(reloaded.classNames, ["round", "boxy", "pointy", "plus"]);
    assert.equal(reloaded.input.height, 64);

    const map = await daemon!.request("unitscope/unitMap", {
      modelId: reloaded.modelId,
      layer: "bn2",
      unit: 3,
      imagePath: path.join(REPO_ROOT, "samples/images/square.png"),
    });
    assert.equal(map.mapWidth, 32);
  });
});
