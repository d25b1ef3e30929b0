import * as assert from "node:assert/strict";
import { describeJob, Jobs } from "../src/jobs";
import { loadKey, ModelSet } from "../src/modelSet";
import type { LoadModelParams, ModelInfo } from "../src/protocol.generated";
import { RestartPolicy } from "../src/restartPolicy";
import { statusView } from "../src/statusText";

function info(id: string, file: string): ModelInfo {
  return {
    modelId: id,
    path: file,
    checkpointHash: id.repeat(8),
    architecture: "smallcnn",
    input: { channels: 3, height: 64, width: 64, mean: [0, 0, 0], std: [1, 1, 1] },
    classCount: 4,
    device: "cpu",
    layers: [{ name: "conv1", kind: "Conv2d", units: 16, outputShape: [16, 64, 64] }],
    generator: false,
  };
}

describe("crash restarts", () => {
  it("restarts at once-ish, then with a doubling delay, and gives up after too many crashes in the window", () => {
    const p = new RestartPolicy({ maxRestarts: 3, windowMs: 60_000, initialDelayMs: 500, maxDelayMs: 1500 });
    assert.equal(p.onCrash(0), 500);
    assert.equal(p.onCrash(1000), 1000);
    assert.equal(p.onCrash(2000), 1500, "capped");
    assert.equal(p.onCrash(3000), undefined, "a fourth crash within a minute: give up");
  });

  it("forgets crashes older than the window, and all of them on a manual restart", () => {
    const p = new RestartPolicy({ maxRestarts: 2, windowMs: 10_000, initialDelayMs: 100, maxDelayMs: 10_000 });
    p.onCrash(0);
    p.onCrash(1);
    assert.equal(p.onCrash(20_000), 100, "the old ones left the window");
    p.onCrash(20_001);
    p.reset();
    assert.equal(p.onCrash(20_002), 100);
  });
});

describe("the models a window loaded", () => {
  const a: LoadModelParams = { path: "/m/a.pth" };
  const b: LoadModelParams = { path: "/m/b.pth", architecture: "resnet18" };

  it("keeps every load, the last one active; loading one again makes it active without a duplicate", () => {
    const set = new ModelSet();
    set.loaded(a, info("aa", a.path));
    set.loaded(b, info("bb", b.path));
    assert.equal(set.active?.info.modelId, "bb");
    set.loaded(a, info("aa", a.path));
    assert.equal(set.active?.info.modelId, "aa");
    assert.equal(set.size, 2);
  });

  it("replays every model after a restart, the one that was active last so it is active again", () => {
    const set = new ModelSet();
    set.loaded(a, info("aa", a.path));
    set.loaded(b, info("bb", b.path));
    set.loaded(a, info("aa", a.path));
    const active = set.active!.params;
    set.daemonGone();
    assert.equal(set.active, undefined);
    assert.deepEqual(set.replayOrder(active), [b, a]);
  });

  it("an unload forgets the model and activates the last one left; a failed reload forgets it", () => {
    const set = new ModelSet();
    set.loaded(a, info("aa", a.path));
    set.loaded(b, info("bb", b.path));
    set.unloaded("bb");
    assert.equal(set.active?.info.modelId, "aa");
    set.forget(a);
    assert.equal(set.size, 0);
    assert.equal(set.active, undefined);
  });

  it("a file with the bytes of one loaded before replaces it, keeps its own name and says which it is identical to", () => {
    const set = new ModelSet();
    const epoch10: LoadModelParams = { path: "/ckpt/epoch_10.pth" };
    const epoch20: LoadModelParams = { path: "/ckpt/epoch_20.pth" };
    set.loaded(epoch10, info("same", epoch10.path));
    set.loaded(b, info("bb", b.path));
    // The daemon answers with the model it has, and the path it first read those bytes from.
    set.loaded(epoch20, info("same", epoch10.path));
    assert.equal(set.size, 2);
    assert.equal(set.active?.info.path, "/ckpt/epoch_20.pth");
    assert.deepEqual(set.active?.sameBytesAs, ["/ckpt/epoch_10.pth"]);
    assert.deepEqual(
      set.replayOrder(undefined).map((p) => p.path),
      ["/m/b.pth", "/ckpt/epoch_20.pth"],
    );
    // Back to the first file: it is the one shown, the other named as identical.
    set.loaded(epoch10, info("same", epoch10.path));
    assert.equal(set.active?.info.path, "/ckpt/epoch_10.pth");
    assert.deepEqual(set.active?.sameBytesAs, ["/ckpt/epoch_20.pth"]);
    assert.equal(set.size, 2);
  });

  it("tells loads apart by every option", () => {
    assert.notEqual(loadKey(a), loadKey({ ...a, device: "cpu" }));
    assert.notEqual(loadKey(a), loadKey({ ...a, inputSize: [32, 32] }));
    assert.equal(loadKey(a), loadKey({ path: "/m/a.pth" }));
  });
});

describe("jobs", () => {
  it("lists a job with its progress until it ends, and cancels it once", () => {
    const t = 1000;
    const jobs = new Jobs(() => t);
    let changes = 0;
    jobs.onDidChange(() => changes++);
    let cancelled = 0;
    const job = jobs.start("Dissect conv3", () => cancelled++);
    job.report({ message: "conv3: IoU pass, 640/2000 images", increment: 30 });
    job.report({ increment: 12.4 });
    const [listed] = jobs.all;
    assert.equal(listed!.title, "Dissect conv3");
    assert.equal(describeJob(listed!), "42% · conv3: IoU pass, 640/2000 images");
    assert.equal(listed!.cancellable, true);
    assert.ok(jobs.cancel(job.id));
    assert.ok(!jobs.cancel(job.id), "only once");
    assert.equal(cancelled, 1);
    assert.equal(jobs.get(job.id)!.message, "cancelling…");
    job.report({ message: "conv3: still going" });
    assert.equal(jobs.get(job.id)!.message, "cancelling…", "a cancelled job keeps saying so");
    job.end();
    assert.deepEqual(jobs.all, []);
    assert.equal(changes, 6);
  });

  it("a job without a cancel action cannot be cancelled; percentages stop at 100", () => {
    const jobs = new Jobs();
    const job = jobs.start("Load");
    assert.equal(jobs.cancel(job.id), false);
    job.report({ increment: 80 });
    job.report({ increment: 80 });
    assert.equal(jobs.get(job.id)!.percentage, 100);
    assert.equal(describeJob(jobs.get(job.id)!), "100%");
  });
});

describe("status bar text", () => {
  const m = info("aa", "/work/samples/smallcnn.pth");
  it("starting, ready without and with a model, busy, crashed, failed, stopped", () => {
    assert.equal(statusView("starting", undefined, 0).text, "$(loading~spin) UnitScope");
    assert.equal(statusView("ready", undefined, 0).text, "$(circuit-board) UnitScope: no model");
    const ready = statusView("ready", m, 2, undefined, 1);
    assert.equal(ready.text, "$(circuit-board) smallcnn.pth (+1) $(sync~spin) 1");
    assert.match(ready.tooltip, /Active model: `smallcnn\.pth` — smallcnn, 1 layers, on cpu/);
    assert.match(ready.tooltip, /2 models loaded/);
    const crashed = statusView("crashed", undefined, 0, "The UnitScope daemon stopped unexpectedly (it was killed by SIGKILL).");
    assert.equal(crashed.background, "statusBarItem.warningBackground");
    assert.match(crashed.tooltip, /killed by SIGKILL.*Restarting/);
    const failed = statusView("failed", undefined, 0, "`dotnet` was not found.");
    assert.equal(failed.text, "$(error) UnitScope: stopped");
    assert.equal(failed.background, "statusBarItem.errorBackground");
    assert.equal(statusView("stopped", undefined, 0).background, undefined);
    for (const v of [ready, crashed, failed]) assert.match(v.tooltip, /Click: switch model, load a checkpoint, restart the daemon, show the log/);
  });
});
