// The exporter (python/unitscope_export.py) run by real PyTorch, as the import command runs it:
// the sample SmallCNN with its checkpoint, a package's factory with keyword arguments, a
// constructor and a forward pass that raise, strict-load mismatches, refused pickles. Skipped,
// saying why, when no Python with torch is found (UNITSCOPE_TEST_PYTHON, else /usr/bin/python3).

import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { exporterArgs, type ExportError, type ExportRequest, type ExportResult } from "../src/importModelArgs";
import { runExporter } from "../src/importModelRun";
import { EXTENSION_ROOT, REPO_ROOT } from "./support/fixtures";
import { findTorchPython } from "./support/python";

const SCRIPT = path.join(EXTENSION_ROOT, "python/unitscope_export.py");
const FIXTURES = path.join(REPO_ROOT, "tests/fixtures/import_model");
const USERPROJ = path.join(FIXTURES, "userproj");
const SAMPLE_SCRIPT = path.join(REPO_ROOT, "samples/train_smallcnn.py");
const SAMPLE_CHECKPOINT = path.join(REPO_ROOT, "samples/smallcnn.pth");

describe("exporter (unitscope_export.py) with real PyTorch", function () {
  this.timeout(120_000);
  let python = "";
  let dir = "";

  before(function () {
    const found = findTorchPython();
    if ("reason" in found) {
      console.log(`      SKIPPED: ${found.reason}.`);
      this.skip();
    }
    python = found.python;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "unitscope-export-"));
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Writes a TinyNet checkpoint with save_checkpoint.py. */
  function checkpoint(name: string, kwargs: Record<string, unknown>, ...flags: string[]): string {
    const out = path.join(dir, name);
    const r = spawnSync(python, [path.join(FIXTURES, "save_checkpoint.py"), out, JSON.stringify(kwargs), ...flags], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return out;
  }

  async function run(
    request: Partial<ExportRequest> & Pick<ExportRequest, "file" | "name" | "checkpoint">,
  ): Promise<{ outcome: ExportResult | ExportError; stderr: string; stdout?: string }> {
    const full: ExportRequest = {
      kwargs: {},
      inputSize: [3, 32, 32],
      projectRoot: USERPROJ,
      output: path.join(dir, `${request.name}-${Math.random().toString(36).slice(2)}.onnx`),
      ...request,
    };
    return runExporter(python, exporterArgs(SCRIPT, full), { cwd: full.projectRoot });
  }

  function ok(outcome: ExportResult | ExportError): ExportResult {
    assert.ok(outcome.ok, `expected success: ${JSON.stringify(outcome)}`);
    return outcome;
  }

  function failed(outcome: ExportResult | ExportError, kind: ExportError["kind"], exitCode: number): ExportError {
    assert.ok(!outcome.ok, `expected a failure: ${JSON.stringify(outcome).slice(0, 300)}`);
    assert.equal(outcome.kind, kind, outcome.message);
    assert.equal(outcome.exitCode, exitCode, outcome.message);
    return outcome;
  }

  it("exports the sample SmallCNN from its training script with module paths kept in node names", async () => {
    const { outcome } = await run({
      file: SAMPLE_SCRIPT,
      name: "SmallCNN",
      kwargs: { num_classes: 4 },
      checkpoint: SAMPLE_CHECKPOINT,
      inputSize: [3, 64, 64],
      projectRoot: path.dirname(SAMPLE_SCRIPT),
    });
    const r = ok(outcome);
    assert.deepEqual(r.inputSize, [3, 64, 64]);
    assert.deepEqual(r.outputShape, [4]);
    assert.equal(r.classCount, 4);
    assert.equal(r.scopedNodeNames, true);
    assert.deepEqual(
      r.modules.map((m) => m.path),
      ["conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "conv4", "bn4", "relu", "pool", "avgpool", "fc"],
    );
    assert.equal(r.modules[1]!.kind, "BatchNorm2d");
    assert.ok(fs.statSync(r.onnx).size > 10_000, "the ONNX file holds the weights");
    // Kept unfused: the BatchNorm nodes are there, named by module path.
    assert.ok(fs.readFileSync(r.onnx).includes(Buffer.from("/bn2/BatchNormalization")), "BatchNorm kept as its own node");
  });

  it("builds a package's factory with keyword arguments, through its relative imports; the user's prints stay off stdout", async () => {
    const ckpt = checkpoint("tiny.pth", { width: 6, num_classes: 5 }, "--wrap", "--data-parallel");
    const file = path.join(USERPROJ, "models/net.py");
    const { outcome, stderr } = await run({
      file,
      name: "make_tinynet",
      kwargs: { width: 6, num_classes: 5 },
      checkpoint: ckpt,
      inputSize: [undefined, 40, 48],
    });
    const r = ok(outcome);
    assert.deepEqual(r.inputSize, [3, 40, 48], "channels from the first convolution");
    assert.equal(r.classCount, 5);
    assert.ok(r.modules.some((m) => m.path === "stage.1.0" && m.kind === "Conv2d"));
    assert.match(stderr, /models\.net imported/);
  });

  it("reports a constructor that raises with the user's traceback, without the exporter's frames", async () => {
    const ckpt = checkpoint("tiny2.pth", { width: 6, num_classes: 5 });
    const e = failed((await run({ file: path.join(USERPROJ, "broken.py"), name: "Broken", checkpoint: ckpt })).outcome, "build", 4);
    assert.match(e.message, /Broken\(\) raised ValueError: width must be even, got 3/);
    assert.match(e.traceback ?? "", /broken\.py", line \d+, in __init__/);
    assert.match(e.traceback ?? "", /in check_width/);
    assert.doesNotMatch(e.traceback ?? "", /unitscope_export/);
    assert.equal(e.location?.file, path.join(USERPROJ, "broken.py"));
    assert.equal(e.location?.line, 9, "the raise in check_width");
  });

  it("reports a forward pass that raises, pointing at the user's forward", async () => {
    const ckpt = checkpoint("tiny3.pth", { width: 6, num_classes: 5 });
    const e = failed(
      (await run({ file: path.join(USERPROJ, "broken.py"), name: "BadForward", kwargs: { width: 6, num_classes: 5 }, checkpoint: ckpt })).outcome,
      "forward",
      4,
    );
    assert.match(e.message, /forward pass on a 3x32x32 input raised RuntimeError/);
    assert.deepEqual(e.location, { file: path.join(USERPROJ, "broken.py"), line: 23 });
  });

  it("names the shapes that differ when the constructor arguments are not the training ones", async () => {
    const ckpt = checkpoint("tiny4.pth", { width: 6, num_classes: 5 });
    const e = failed(
      (await run({ file: path.join(USERPROJ, "models/net.py"), name: "make_tinynet", kwargs: { width: 6, num_classes: 3 }, checkpoint: ckpt })).outcome,
      "mismatch",
      6,
    );
    assert.deepEqual(e.shapeMismatches, [
      { key: "head.2.weight", checkpoint: [5, 12], model: [3, 12] },
      { key: "head.2.bias", checkpoint: [5], model: [3] },
    ]);
    assert.match(e.message, /--kwargs/);
  });

  it("names missing and unexpected keys", async () => {
    const ckpt = checkpoint("tiny5.pth", { width: 6, num_classes: 5 }, "--extra-key", "--drop-key");
    const e = failed(
      (await run({ file: path.join(USERPROJ, "models/net.py"), name: "make_tinynet", kwargs: { width: 6, num_classes: 5 }, checkpoint: ckpt })).outcome,
      "mismatch",
      6,
    );
    assert.deepEqual(e.missingKeys, ["stem.1.running_var"]);
    assert.deepEqual(e.unexpectedKeys, ["head.2.scale"]);
    assert.match(e.message, /1 missing from the checkpoint: stem\.1\.running_var; 1 not in the model: head\.2\.scale/);
  });

  it("refuses a whole pickled model unless trusted, and reads it when trusted", async () => {
    const ckpt = checkpoint("whole.pth", { width: 6, num_classes: 5 }, "--whole-model");
    const request = { file: path.join(USERPROJ, "models/net.py"), name: "make_tinynet", kwargs: { width: 6, num_classes: 5 }, checkpoint: ckpt };
    const e = failed((await run(request)).outcome, "unsafe_checkpoint", 5);
    assert.match(e.message, /models\.net\.TinyNet/);
    assert.match(e.message, /--trust-checkpoint/);
    ok((await run({ ...request, trustCheckpoint: true })).outcome);
  });

  it("refuses the daemon's malicious pickle fixtures without running them", async () => {
    for (const name of ["malicious_os_system.pt", "malicious_os_system_legacy.pt", "malicious_stack_global.pt"]) {
      const e = failed(
        (await run({ file: path.join(USERPROJ, "models/net.py"), name: "make_tinynet", checkpoint: path.join(REPO_ROOT, "tests/fixtures/checkpoints", name) }))
          .outcome,
        "unsafe_checkpoint",
        5,
      );
      assert.match(e.message, /(os|posix)\.system/, name);
    }
  });

  it("takes its pickle allow-list from the file the daemon embeds, implementing every name in it", () => {
    const program = [
      "import importlib.util, json, sys",
      "spec = importlib.util.spec_from_file_location('exporter', sys.argv[1])",
      "u = importlib.util.module_from_spec(spec); spec.loader.exec_module(u)",
      "print(json.dumps({'implemented': sorted(u.global_implementations()), 'storages': sorted(u.STORAGE_DTYPES), 'file': u.GLOBALS_FILE}))",
    ].join("\n");
    const r = spawnSync(python, ["-c", program, SCRIPT], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const seen = JSON.parse(r.stdout.trim().split("\n").pop()!);
    const shared = JSON.parse(fs.readFileSync(path.join(EXTENSION_ROOT, "python/checkpoint_globals.json"), "utf8"));
    assert.equal(path.resolve(seen.file), path.join(EXTENSION_ROOT, "python/checkpoint_globals.json"));
    assert.deepEqual(seen.implemented, [...shared.globals].sort());
    assert.deepEqual(seen.storages, [...shared.storageTypes].sort());
    // The file is the one the daemon embeds (server/UnitScope.Engine.csproj), so the two lists cannot drift.
    const csproj = fs.readFileSync(path.join(REPO_ROOT, "server/UnitScope.Engine/UnitScope.Engine.csproj"), "utf8");
    assert.match(csproj, /EmbeddedResource Include="\.\.\/\.\.\/extension\/python\/checkpoint_globals\.json"/);
  });

  it("refuses a set saved beside the weights, as the daemon does, in both torch.save formats", async () => {
    for (const flags of [["--with-set"], ["--with-set", "--legacy"]]) {
      const ckpt = checkpoint(`set${flags.length}.pth`, { width: 6, num_classes: 5 }, ...flags);
      const e = failed(
        (await run({ file: path.join(USERPROJ, "models/net.py"), name: "make_tinynet", kwargs: { width: 6, num_classes: 5 }, checkpoint: ckpt })).outcome,
        "unsafe_checkpoint",
        5,
      );
      assert.match(e.message, /(__builtin__|builtins)\.set/, flags.join(" ")); // protocol 2 writes Python 2 module names
    }
  });

  it("says a truncated checkpoint is damaged or truncated, in both torch.save formats", async () => {
    for (const flags of [[], ["--legacy"]]) {
      const whole = fs.readFileSync(checkpoint(`whole${flags.length}.pth`, { width: 6, num_classes: 5 }, ...flags));
      for (const fraction of [0.3, 0.9]) {
        const cut = path.join(dir, `cut${flags.length}-${fraction}.pth`);
        fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * fraction)));
        const e = failed(
          (await run({ file: path.join(USERPROJ, "models/net.py"), name: "make_tinynet", kwargs: { width: 6, num_classes: 5 }, checkpoint: cut })).outcome,
          "checkpoint",
          5,
        );
        assert.match(e.message, /damaged or truncated|is truncated/, `${flags.join(" ") || "zip"} cut at ${fraction}: ${e.message}`);
        assert.doesNotMatch(e.message, /persistent IDs/, e.message); // the decoder's words only after "damaged or truncated"
      }
    }
  });

  it("finds a relative model file from the current folder, not the project root joined twice", async () => {
    const ckpt = checkpoint("relative.pth", { width: 6, num_classes: 5 });
    // Run from the project's parent with relative --project-root and --model, as by hand: cd .. && python ... --model userproj/models/net.py
    const r = await runExporter(
      python,
      exporterArgs(SCRIPT, {
        file: "userproj/models/net.py",
        name: "make_tinynet",
        kwargs: { width: 6, num_classes: 5 },
        checkpoint: ckpt,
        inputSize: [3, 32, 32],
        projectRoot: "userproj",
        output: path.join(dir, "relative.onnx"),
      }),
      { cwd: FIXTURES },
    );
    ok(r.outcome);
    // A path relative to the project root still works (the editor runs with the project root as its folder).
    const beside = await runExporter(
      python,
      exporterArgs(SCRIPT, {
        file: "models/net.py",
        name: "make_tinynet",
        kwargs: { width: 6, num_classes: 5 },
        checkpoint: ckpt,
        inputSize: [3, 32, 32],
        projectRoot: "userproj",
        output: path.join(dir, "relative2.onnx"),
      }),
      { cwd: FIXTURES },
    );
    ok(beside.outcome);
    const missing = await runExporter(
      python,
      exporterArgs(SCRIPT, {
        file: "nowhere/net.py",
        name: "make_tinynet",
        kwargs: {},
        checkpoint: ckpt,
        inputSize: [3, 32, 32],
        projectRoot: "userproj",
        output: path.join(dir, "relative3.onnx"),
      }),
      { cwd: FIXTURES },
    );
    const e = failed(missing.outcome, "import", 4);
    assert.ok(e.message.includes(path.join(FIXTURES, "nowhere/net.py")) && e.message.includes(path.join(USERPROJ, "nowhere/net.py")), e.message);
  });

  it("lists what a module defines when the name is not there", async () => {
    const ckpt = checkpoint("tiny6.pth", { width: 6, num_classes: 5 });
    const e = failed((await run({ file: path.join(USERPROJ, "models/net.py"), name: "make_tinyne", checkpoint: ckpt })).outcome, "not_found", 4);
    assert.match(e.message, /it defines: TinyNet, make_tinynet, not_a_model/);
  });

  it("prints exactly one JSON line on stdout and exits 2 on bad arguments", () => {
    const r = spawnSync(python, [SCRIPT, "--model", "x.py:Net", "--checkpoint", "c.pth", "--input-size", "0,5", "--output", "o.onnx"], { encoding: "utf8" });
    assert.equal(r.status, 2);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 1);
    assert.equal(JSON.parse(lines[0]!).error.kind, "usage");
  });

  it("is valid Python 3.8 (the oldest interpreter it supports)", () => {
    const check = "import ast,sys; ast.parse(open(sys.argv[1]).read(), feature_version=(3, 8))";
    const r = spawnSync(python, ["-c", check, SCRIPT], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
  });

  it("is stopped when cancelled", async () => {
    const slow = path.join(dir, "slow.py");
    fs.writeFileSync(slow, "import time\ntime.sleep(60)\nclass Net: pass\n");
    let listener: (() => void) | undefined;
    const cancel = { isCancellationRequested: false, onCancellationRequested: (l: () => void) => ((listener = l), { dispose() {} }) };
    const started = Date.now();
    const running = runExporter(
      python,
      exporterArgs(SCRIPT, {
        file: slow,
        name: "Net",
        kwargs: {},
        checkpoint: "x.pth",
        inputSize: [3, 8, 8],
        projectRoot: dir,
        output: path.join(dir, "slow.onnx"),
      }),
      {
        cwd: dir,
        cancel,
      },
    );
    setTimeout(() => listener?.(), 1500);
    const r = await running;
    assert.equal(r.cancelled, true);
    assert.ok(!r.outcome.ok);
    assert.ok(Date.now() - started < 20_000, "killed, not waited for");
  });
});
