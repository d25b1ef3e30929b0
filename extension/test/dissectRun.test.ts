import * as assert from "node:assert/strict";
import { runDissection, WorkDoneTracker, type ProgressClient, type ProgressStep } from "../src/dissectRun";
import type { LayerDissection } from "../src/protocol.generated";
import type { CancelToken } from "../src/rpc";
import { layer } from "./support/dissectionFixtures";

/** A daemon stand-in: `script` runs when the request arrives and may send progress before answering. */
function fakeClient(script: (params: Record<string, unknown>, send: (token: string, value: unknown) => void, token?: CancelToken) => Promise<unknown>) {
  const handlers = new Map<string, (value: unknown) => void>();
  const requests: Record<string, unknown>[] = [];
  const client: ProgressClient = {
    request: (async (_method: string, params: Record<string, unknown>, token?: CancelToken) => {
      requests.push(params);
      return script(params, (t, v) => handlers.get(t)?.(v), token);
    }) as ProgressClient["request"],
    onProgress: (token, handler) => {
      handlers.set(token, handler);
      return { dispose: () => handlers.delete(token) };
    },
  };
  return { client, requests, handlers };
}

const conv3 = layer({ layer: "conv3" });
const conv4 = layer({ layer: "conv4" });

describe("work-done progress → notification steps", () => {
  it("turns percentages into increments that add up to 100 and keeps messages", () => {
    const t = new WorkDoneTracker();
    const steps = [
      { kind: "begin", title: "Dissecting conv3", message: "opening the dataset", percentage: 0 },
      { kind: "report", message: "conv3: threshold pass, 16/40 images", percentage: 30 },
      { kind: "report", message: "conv3: threshold pass, 32/40 images", percentage: 30 },
      { kind: "report", percentage: 20 },
      { kind: "report", message: "conv3: IoU pass, 40/40 images", percentage: 100 },
      { kind: "end", message: "conv3: 3/4 units labelled" },
    ].map((v) => t.update(v));
    assert.deepEqual(steps, [
      { message: "opening the dataset" },
      { message: "conv3: threshold pass, 16/40 images", increment: 30 },
      { message: "conv3: threshold pass, 32/40 images" },
      undefined,
      { message: "conv3: IoU pass, 40/40 images", increment: 70 },
      { message: "conv3: 3/4 units labelled" },
    ]);
  });

  it("ignores values that are not work-done progress", () => {
    const t = new WorkDoneTracker();
    for (const v of [null, 3, "x", { kind: "other", percentage: 50 }, { layers: [] }]) assert.equal(t.update(v), undefined);
  });
});

describe("runDissection", () => {
  it("sends its own tokens, follows progress, takes layers as partial results and returns them in the order asked", async () => {
    const { client, requests, handlers } = fakeClient(async (params, send) => {
      const wd = params.workDoneToken as string;
      const pr = params.partialResultToken as string;
      send(wd, { kind: "begin", title: "Dissecting 2 layers", percentage: 0 });
      send(pr, { layers: [conv4] }); // cached, first
      send(wd, { kind: "report", message: "conv3: IoU pass, 40/40 images", percentage: 100 });
      send(pr, { layers: [conv3] });
      send(wd, { kind: "end", message: "done" });
      return { layers: [] };
    });
    const steps: ProgressStep[] = [];
    const seen: string[] = [];
    const result = await runDissection(
      client,
      { modelId: "m", layers: ["conv3", "conv4"] },
      {
        report: (s) => steps.push(s),
        layer: (l) => seen.push(l.layer),
      },
    );
    assert.deepEqual(
      result.map((l) => l.layer),
      ["conv3", "conv4"],
    );
    assert.deepEqual(seen, ["conv4", "conv3"]);
    const params = requests[0]!;
    assert.match(String(params.workDoneToken), /^unitscope-dissect-[0-9a-f]{16}$/);
    assert.match(String(params.partialResultToken), /^unitscope-dissect-partial-[0-9a-f]{16}$/);
    assert.notEqual(params.workDoneToken, params.partialResultToken);
    assert.ok(steps.some((s) => s.message === "conv4 done: 4/5 units labelled"));
    assert.equal(
      steps.reduce((sum, s) => sum + (s.increment ?? 0), 0),
      100,
    );
    assert.equal(handlers.size, 0, "subscriptions are disposed");
  });

  it("uses the final result when the daemon sends no partial results", async () => {
    const { client } = fakeClient(async () => ({ layers: [conv3] }));
    const result = await runDissection(client, { modelId: "m", layers: ["conv3"] }, { report: () => undefined });
    assert.deepEqual(result, [conv3]);
  });

  it("hands the final result's notes (probe images resized to the model's input) to the caller", async () => {
    const { client } = fakeClient(async () => ({ layers: [conv3], notes: ["The probe images are 112x112 …", 7] }));
    const notes: string[] = [];
    await runDissection(client, { modelId: "m", layers: ["conv3"] }, { report: () => undefined, note: (n) => notes.push(n) });
    assert.deepEqual(notes, ["The probe images are 112x112 …"], "strings only");
  });

  it("rejects as the request did on cancellation, after handing over the layers that finished", async () => {
    const cancelled = Object.assign(new Error("Request cancelled"), { code: -32800 });
    let cancel!: () => void;
    const token: CancelToken = {
      isCancellationRequested: false,
      onCancellationRequested: (listener) => {
        cancel = () => listener(undefined);
        return { dispose: () => undefined };
      },
    };
    const { client, handlers } = fakeClient(async (params, send, t) => {
      send(params.partialResultToken as string, { layers: [conv3] });
      await new Promise<void>((_, reject) => t?.onCancellationRequested(() => reject(cancelled)));
    });
    const seen: LayerDissection[] = [];
    const run = runDissection(client, { modelId: "m", layers: ["conv3", "conv4"] }, { report: () => undefined, layer: (l) => seen.push(l) }, token);
    await new Promise((r) => setImmediate(r));
    cancel();
    await assert.rejects(run, (e: unknown) => (e as { code?: number }).code === -32800);
    assert.deepEqual(
      seen.map((l) => l.layer),
      ["conv3"],
    );
    assert.equal(handlers.size, 0);
  });

  it("drops malformed partial results and fails when a layer never came", async () => {
    const { client } = fakeClient(async (params, send) => {
      send(params.partialResultToken as string, { layers: [{ layer: "conv3", units: "nope" }] });
      send(params.partialResultToken as string, "garbage");
      return { layers: [] };
    });
    await assert.rejects(runDissection(client, { modelId: "m", layers: ["conv3"] }, { report: () => undefined }), /no result for conv3/);
  });
});
