import * as assert from "node:assert/strict";
import { TimeoutReporter, withTimeout } from "../src/requestTimeout";

describe("interactive request timeouts", () => {
  it("gives the result when it comes in time", async () => {
    let cancelled = false;
    const value = await withTimeout(Promise.resolve(42), 1000, () => (cancelled = true));
    assert.equal(value, 42);
    assert.equal(cancelled, false);
  });

  it("gives up on a request that never answers, and cancels it", async () => {
    let cancelled = false;
    const started = Date.now();
    const value = await withTimeout(new Promise<number>(() => undefined), 50, () => (cancelled = true));
    assert.equal(value, undefined);
    assert.equal(cancelled, true);
    assert.ok(Date.now() - started < 1000);
  });

  it("ignores an answer that comes after the deadline", async () => {
    let late!: (v: number) => void;
    const work = new Promise<number>((resolve) => (late = resolve));
    const value = await withTimeout(work, 20, () => undefined);
    late(7);
    await work;
    assert.equal(value, undefined);
  });

  it("passes errors through", async () => {
    await assert.rejects(
      withTimeout(Promise.reject(new Error("boom")), 1000, () => undefined),
      /boom/,
    );
  });

  it("says once per kind of request, then only at debug level", () => {
    const warn: string[] = [];
    const debug: string[] = [];
    const reporter = new TimeoutReporter({ warn: (t) => warn.push(t), debug: (t) => debug.push(t) });
    reporter.report("hover");
    reporter.report("hover");
    reporter.report("codeLens");
    assert.equal(warn.length, 2);
    assert.match(warn[0]!, /hover request within 2 s/);
    assert.match(warn[1]!, /code lens request within 4 s/);
    assert.equal(debug.length, 1);
  });
});
