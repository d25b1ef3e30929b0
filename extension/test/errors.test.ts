import * as assert from "node:assert/strict";
import { describeFailure } from "../src/errors";

describe("daemon failures", () => {
  const check = (error: unknown, expected: { message: RegExp; code?: number; kind?: string; cancelled?: boolean }) => {
    const got = describeFailure(error);
    assert.match(got.message, expected.message);
    assert.equal(got.code, expected.code);
    assert.equal(got.kind, expected.kind);
    assert.equal(got.cancelled, expected.cancelled ?? false);
  };

  it("reads a UnitScope JSON-RPC error with its kind", () =>
    check({ code: 1006, message: "No layer conv9; close: conv1, conv2.", data: { kind: "UnknownLayer" } }, {
      message: /^No layer conv9/,
      code: 1006,
      kind: "UnknownLayer",
    }));

  it("adds a hint for a model the daemon no longer has", () =>
    check({ code: 1011, message: "No model m1.", data: { kind: "UnknownModel" } }, {
      message: /No model m1\. .*load the checkpoint again/,
      code: 1011,
      kind: "UnknownModel",
    }));

  it("ignores a kind it does not know", () =>
    check({ code: 1099, message: "New thing.", data: { kind: "SomethingNew" } }, { message: /^New thing\.$/, code: 1099 }));

  it("recognises cancellation", () => check({ code: -32800, message: "Request cancelled" }, { message: /cancelled/, code: -32800, cancelled: true }));

  it("passes plain errors and other values through", () => {
    check(new Error("spawn dotnet ENOENT"), { message: /ENOENT/ });
    check("boom", { message: /^boom$/ });
  });
});
