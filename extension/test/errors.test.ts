import * as assert from "node:assert/strict";
import { describeFailure, startFailureMessage, type StartFailure } from "../src/errors";

describe("daemon failures", () => {
  const check = (error: unknown, expected: { message: RegExp; code?: number; kind?: string; cancelled?: boolean }) => {
    const got = describeFailure(error);
    assert.match(got.message, expected.message);
    assert.equal(got.code, expected.code);
    assert.equal(got.kind, expected.kind);
    assert.equal(got.cancelled, expected.cancelled ?? false);
  };

  it("reads a UnitScope JSON-RPC error with its kind", () =>
    check(
      { code: 1006, message: "No layer conv9; close: conv1, conv2.", data: { kind: "UnknownLayer" } },
      {
        message: /^No layer conv9/,
        code: 1006,
        kind: "UnknownLayer",
      },
    ));

  it("adds a hint for a model the daemon no longer has", () =>
    check(
      { code: 1011, message: "No model m1.", data: { kind: "UnknownModel" } },
      {
        message: /No model m1\. .*load the checkpoint again/,
        code: 1011,
        kind: "UnknownModel",
      },
    ));

  it("ignores a kind it does not know", () =>
    check({ code: 1099, message: "New thing.", data: { kind: "SomethingNew" } }, { message: /^New thing\.$/, code: 1099 }));

  it("recognises cancellation", () => check({ code: -32800, message: "Request cancelled" }, { message: /cancelled/, code: -32800, cancelled: true }));

  it("passes plain errors and other values through", () => {
    check(new Error("spawn dotnet ENOENT"), { message: /ENOENT/ });
    check("boom", { message: /^boom$/ });
  });
});

describe("daemon start failures", () => {
  const base: StartFailure = {
    commandLine: "dotnet /r/unitscope.dll serve",
    command: "dotnet",
    error: new Error("Pending response rejected since connection got disposed"),
    stderrTail: [],
  };
  const check = (f: Partial<StartFailure>, expected: string) => assert.equal(startFailureMessage({ ...base, ...f }), expected);

  it("says the executable is missing", () =>
    check(
      { error: Object.assign(new Error("spawn dotnet ENOENT"), { code: "ENOENT" }) },
      "The UnitScope daemon did not start (dotnet /r/unitscope.dll serve): dotnet was not found.",
    ));

  it("says the executable cannot run", () =>
    check(
      { error: Object.assign(new Error("spawn EACCES"), { code: "EACCES" }) },
      "The UnitScope daemon did not start (dotnet /r/unitscope.dll serve): dotnet is not executable.",
    ));

  it("gives the exit code and the last thing the daemon said", () =>
    check(
      { exit: "exited with code 2", stderrTail: ["", "error: no daemon in this build", "", ""] },
      "The UnitScope daemon did not start (dotnet /r/unitscope.dll serve): it exited with code 2: error: no daemon in this build",
    ));

  it("gives the exit alone when stderr was silent", () =>
    check({ exit: "was killed by SIGKILL" }, "The UnitScope daemon did not start (dotnet /r/unitscope.dll serve): it was killed by SIGKILL."));

  it("falls back to the error when the process is still there", () =>
    check({}, "The UnitScope daemon did not start (dotnet /r/unitscope.dll serve): Pending response rejected since connection got disposed"));
});
