import * as assert from "node:assert/strict";
import * as path from "node:path";
import {
  choosePython,
  classNamesPathFor,
  defaultInputSize,
  describeExportError,
  descriptionFields,
  descriptionPathFor,
  exporterArgs,
  exportReport,
  formatInputSize,
  onnxPathFor,
  parseExporterOutput,
  parseInputSizeText,
  projectRootFor,
  type ExportError,
  type ExportResult,
} from "../src/importModelArgs";

const RESULT: ExportResult = {
  ok: true,
  onnx: "/w/runs/best.onnx",
  inputSize: [3, 64, 48],
  outputShape: [4],
  classCount: 4,
  modules: [{ path: "conv1", kind: "Conv2d" }],
  scopedNodeNames: true,
  opset: 14,
  model: "SmallCNN",
  torch: "1.13.0",
  python: "3.11.2",
  warnings: [],
};

describe("import model: the exporter's command line", () => {
  it("passes the model, kwargs, checkpoint, size, output and project root", () => {
    assert.deepEqual(
      exporterArgs("/ext/python/unitscope_export.py", {
        file: "/w/train.py",
        name: "Net",
        kwargs: { num_classes: 4, act: "relu" },
        checkpoint: "/w/runs/best.pth",
        inputSize: [3, 64, 48],
        projectRoot: "/w",
        output: "/w/runs/best.onnx",
      }),
      [
        "/ext/python/unitscope_export.py",
        "--model",
        "/w/train.py:Net",
        "--kwargs",
        '{"num_classes":4,"act":"relu"}',
        "--checkpoint",
        "/w/runs/best.pth",
        "--input-size",
        "3,64,48",
        "--output",
        "/w/runs/best.onnx",
        "--project-root",
        "/w",
      ],
    );
  });

  it("leaves the channels to the exporter when not given, and trusts the checkpoint only when asked", () => {
    const args = exporterArgs("x.py", {
      file: "a.py",
      name: "f",
      kwargs: {},
      checkpoint: "c",
      inputSize: [undefined, 32, 32],
      projectRoot: "/",
      output: "o",
      trustCheckpoint: true,
    });
    assert.equal(args[args.indexOf("--input-size") + 1], "32,32");
    assert.equal(args.at(-1), "--trust-checkpoint");
  });
});

describe("import model: reading the exporter's output", () => {
  it("takes the last JSON line of stdout as the result", () => {
    const stdout = `noise from somewhere\n${JSON.stringify(RESULT)}\n`;
    assert.deepEqual(parseExporterOutput(stdout, "", 0), RESULT);
  });

  it("reads a structured error with the user's traceback, location and mismatched keys", () => {
    const line = JSON.stringify({
      ok: false,
      error: {
        kind: "mismatch",
        message: "does not fit",
        traceback: "Traceback...\nValueError: x\n",
        location: { file: "/w/net.py", line: 12 },
        missingKeys: ["a.weight"],
        unexpectedKeys: ["b.weight"],
        shapeMismatches: [{ key: "fc.weight", checkpoint: [4, 8], model: [10, 8] }],
      },
    });
    const e = parseExporterOutput(line + "\n", "", 6) as ExportError;
    assert.equal(e.ok, false);
    assert.equal(e.kind, "mismatch");
    assert.equal(e.exitCode, 6);
    assert.deepEqual(e.location, { file: "/w/net.py", line: 12 });
    assert.deepEqual(e.missingKeys, ["a.weight"]);
    assert.deepEqual(e.unexpectedKeys, ["b.weight"]);
    assert.deepEqual(e.shapeMismatches, [{ key: "fc.weight", checkpoint: [4, 8], model: [10, 8] }]);
    assert.match(e.traceback!, /ValueError/);
  });

  it("reports a process that printed no result with the end of its stderr", () => {
    const e = parseExporterOutput("", "Traceback (most recent call last):\n  ...\nSyntaxError: invalid syntax\n", 1) as ExportError;
    assert.equal(e.kind, "process");
    assert.match(e.message, /exited with status 1 without a result: SyntaxError: invalid syntax/);
    assert.match(e.traceback!, /Traceback/);

    const killed = parseExporterOutput('{"ok": tr', "", null, "SIGKILL") as ExportError;
    assert.match(killed.message, /was stopped \(SIGKILL\)/);
  });

  it("offers retrying with trust for a refused pickle, the interpreter for a missing torch, the file for a traceback", () => {
    const base = { ok: false as const, message: "m" };
    assert.deepEqual(describeExportError({ ...base, kind: "unsafe_checkpoint" }, "py").actions, ["Trust and retry", "Show output"]);
    assert.deepEqual(describeExportError({ ...base, kind: "torch", exitCode: 3 }, "py").actions, ["Choose interpreter", "Show output"]);
    assert.deepEqual(describeExportError({ ...base, kind: "build", location: { file: "f", line: 1 } }, "py").actions, ["Open file", "Show output"]);
    const notStarted = describeExportError({ ...base, kind: "process", message: "spawn python3 ENOENT" }, "python3");
    assert.match(notStarted.message, /Could not run python3: spawn python3 ENOENT/);
    assert.deepEqual(notStarted.actions, ["Choose interpreter", "Show output"]);
  });

  it("writes a report of what ran and what it said", () => {
    const text = exportReport("python3", ["x.py", "--kwargs", '{"a": 1}'], { ...RESULT, warnings: ["w1"] }, "user print\n");
    assert.match(text, /^\$ python3 x\.py --kwargs '\{"a": 1\}'\nuser print\nExported SmallCNN to \/w\/runs\/best\.onnx: input 3×64×48, 4 outputs, 1 modules/);
    assert.match(text, /warning: w1$/);
  });
});

describe("import model: sizes, paths, interpreter, description", () => {
  it("reads input sizes as C×H×W, H×W or a side", () => {
    assert.deepEqual(parseInputSizeText("3×224×224"), [3, 224, 224]);
    assert.deepEqual(parseInputSizeText("1, 28, 28"), [1, 28, 28]);
    assert.deepEqual(parseInputSizeText("64x48"), [undefined, 64, 48]);
    assert.deepEqual(parseInputSizeText("96"), [undefined, 96, 96]);
    for (const bad of ["", "3x0x4", "a×b", "3×224×224×1", "9×32×32", "3×9000×9000"]) assert.equal(parseInputSizeText(bad), undefined, bad);
    assert.equal(formatInputSize([3, 224, 224]), "3×224×224");
    assert.equal(formatInputSize([undefined, 64, 48]), "64×48");
  });

  it("suggests the description's size (channels from its mean), else the setting's, else 3×224×224", () => {
    assert.deepEqual(defaultInputSize({ inputSize: [64, 48], mean: [0.5] }, [32, 32]), [1, 64, 48]);
    assert.deepEqual(defaultInputSize({ inputSize: 96 }, undefined), [3, 96, 96]);
    assert.deepEqual(defaultInputSize(undefined, [32, 40]), [3, 32, 40]);
    assert.deepEqual(defaultInputSize({ inputSize: "big" }, undefined), [3, 224, 224]);
  });

  it("puts the ONNX, the description and the class names beside the checkpoint, as the daemon looks for them", () => {
    const ckpt = path.join("/w", "runs", "model_best.pth.tar");
    assert.equal(onnxPathFor(ckpt), path.join("/w", "runs", "model_best.pth.onnx"));
    assert.equal(descriptionPathFor(ckpt), path.join("/w", "runs", "model_best.pth.unitscope.json"));
    assert.equal(classNamesPathFor(path.join("/w", "best.pth")), path.join("/w", "best.classes.txt"));
  });

  it("runs the Python extension's interpreter, else the setting, else python3", () => {
    assert.deepEqual(choosePython("/venv/bin/python", "/usr/bin/python3", "linux").command, "/venv/bin/python");
    assert.deepEqual(choosePython(undefined, " /opt/py/bin/python ", "linux"), { command: "/opt/py/bin/python", source: "the unitscope.pythonPath setting" });
    assert.equal(choosePython(undefined, "", "linux").command, "python3");
    assert.equal(choosePython(undefined, "", "win32").command, "python");
  });

  it("takes the deepest workspace folder holding the file as the project root", () => {
    assert.equal(projectRootFor("/w/proj/src/net.py", ["/w", "/w/proj", "/other"]), "/w/proj");
    assert.equal(projectRootFor("/tmp/net.py", ["/w"]), "/tmp");
  });

  it("writes every field the first time, only the import's own fields later", () => {
    const norm = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    assert.deepEqual(descriptionFields(false, RESULT, norm, "best.classes.txt"), {
      architecture: "onnx",
      inputSize: [64, 48],
      mean: norm.mean,
      std: norm.std,
      classNamesFile: "best.classes.txt",
    });
    assert.deepEqual(descriptionFields(true, RESULT, norm, undefined), { architecture: "onnx", inputSize: [64, 48] });
  });
});
