import * as assert from "node:assert/strict";
import { runAnalysis } from "../src/analysisRun";
import type { ProgressClient, ProgressStep } from "../src/dissectRun";
import type { RankUnitsResult } from "../src/protocol.generated";
import { ablateResult, rankResult } from "./support/analysisFixtures";

/** A client whose request sends the given `$/progress` values on the request's tokens, then answers. */
function fakeClient(script: (params: Record<string, unknown>, send: (token: unknown, value: unknown) => void) => unknown) {
  const handlers = new Map<string, (value: unknown) => void>();
  const sent: { method: string; params: Record<string, unknown> }[] = [];
  const client: ProgressClient = {
    request: (async (method: string, params: Record<string, unknown>) => {
      sent.push({ method, params });
      const result = script(params, (token, value) => handlers.get(String(token))?.(value));
      if (result instanceof Error) throw result;
      return result;
    }) as ProgressClient["request"],
    onProgress: (token, handler) => {
      handlers.set(token, handler);
      return { dispose: () => handlers.delete(token) };
    },
  };
  return { client, sent, handlers };
}

describe("running an analysis request", () => {
  it("sends a fresh work-done token and turns progress into notification steps", async () => {
    const steps: ProgressStep[] = [];
    const { client, sent, handlers } = fakeClient((p, send) => {
      send(p.workDoneToken, { kind: "begin", title: "Ablating", percentage: 0 });
      send(p.workDoneToken, { kind: "report", message: "zeroing units: 10/40 evaluations", percentage: 25 });
      send(p.workDoneToken, { kind: "end", message: "done" });
      return ablateResult();
    });
    const result = await runAnalysis(client, "unitscope/ablate", { modelId: "m", layer: "conv3", units: [1] }, { report: (s) => steps.push(s) });
    assert.equal(result.layer, "conv3");
    assert.equal(sent[0]!.method, "unitscope/ablate");
    assert.match(String(sent[0]!.params.workDoneToken), /^unitscope-ablate-[0-9a-f]{16}$/);
    assert.equal(sent[0]!.params.partialResultToken, undefined);
    assert.deepEqual(steps, [
      { message: "zeroing units: 10/40 evaluations", increment: 25 },
      { message: "done", increment: 75 },
    ]);
    assert.equal(handlers.size, 0, "subscriptions end with the request");
  });

  it("asks rankUnits for partial results when given a callback and passes them on", async () => {
    const partials: RankUnitsResult[] = [];
    const { client, sent } = fakeClient((p, send) => {
      send(p.partialResultToken, rankResult({ units: rankResult().units.slice(0, 2) }));
      send(p.partialResultToken, rankResult({ units: rankResult().units.slice(2) }));
      return rankResult({ units: [] });
    });
    const result = await runAnalysis(
      client,
      "unitscope/rankUnits",
      { modelId: "m", layer: "conv3", class: 1 },
      { report: () => undefined, partial: (v) => partials.push(v) },
    );
    assert.match(String(sent[0]!.params.partialResultToken), /^unitscope-rankUnits-partial-/);
    assert.deepEqual(
      partials.map((p) => p.units.map((u) => u.unit)),
      [
        [3, 1],
        [0, 2],
      ],
    );
    assert.deepEqual(result.units, []);
  });

  it("rejects as the request did, and still ends its subscriptions", async () => {
    const { client, handlers } = fakeClient(() => Object.assign(new Error("cancelled"), { code: -32800 }));
    await assert.rejects(
      runAnalysis(client, "unitscope/occlude", { modelId: "m", size: 4, stride: 2, imagePath: "/x.png" }, { report: () => undefined }),
      /cancelled/,
    );
    assert.equal(handlers.size, 0);
  });
});
