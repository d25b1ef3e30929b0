import * as assert from "node:assert/strict";
import { loadModelParams, parseSettings, resolveSettingPath, type Settings } from "../src/settings";

const SERVER_DEFAULTS = { dotnetPath: "dotnet", remote: undefined, token: "", tokenFile: "" };

/** Parses `raw` (setting key without "unitscope." → value) and compares with `expected`. */
function check(raw: Record<string, unknown>, expected: Partial<Settings> & { problems?: RegExp[] }): void {
  const { settings, problems } = parseSettings((key) => raw[key]);
  const { problems: expectedProblems = [], ...fields } = expected;
  for (const [key, value] of Object.entries(fields)) {
    assert.deepEqual(settings[key as keyof Settings], value, `settings.${key}`);
  }
  assert.equal(problems.length, expectedProblems.length, `problems: ${JSON.stringify(problems)}`);
  expectedProblems.forEach((re, i) => assert.match(problems[i] ?? "", re));
}

describe("settings parsing", () => {
  it("reads the remote token file and the image pixel limit", () => {
    check(
      { "server.remote": "gpu:7000", "server.tokenFile": " ~/.unitscope-token ", maxImagePixels: 1000000 },
      {
        server: { command: "", args: ["serve"], ...SERVER_DEFAULTS, remote: { host: "gpu", port: 7000 }, tokenFile: "~/.unitscope-token" },
        maxImagePixels: 1000000,
      },
    );
    check({ maxImagePixels: 0 }, { maxImagePixels: undefined });
    check({ maxImagePixels: -5 }, { maxImagePixels: undefined, problems: [/maxImagePixels: must be a positive whole number/] });
    check({ maxImagePixels: 2.5 }, { maxImagePixels: undefined, problems: [/maxImagePixels/] });
  });

  it("has usable defaults when nothing is set", () =>
    check(
      {},
      {
        server: { command: "", args: ["serve"], ...SERVER_DEFAULTS },
        checkpoint: "",
        device: "auto",
        inputSize: undefined,
        mean: undefined,
        std: undefined,
      },
    ));

  it("treats the schema's defaults (empty string, empty array, null) as unset", () =>
    check(
      { "server.command": "", "server.args": [], checkpoint: "", device: "auto", inputSize: null, mean: null, std: null },
      { server: { command: "", args: ["serve"], ...SERVER_DEFAULTS }, device: "auto", inputSize: undefined, mean: undefined },
    ));

  it("keeps a server command and its arguments, trimmed", () =>
    check(
      { "server.command": "  /opt/unitscope/unitscope ", "server.args": ["serve", "--log-level", "debug"] },
      { server: { command: "/opt/unitscope/unitscope", args: ["serve", "--log-level", "debug"], ...SERVER_DEFAULTS } },
    ));

  it("rejects non-string server arguments", () =>
    check({ "server.args": ["serve", 3] }, { server: { command: "", args: ["serve"], ...SERVER_DEFAULTS }, problems: [/server\.args/] }));

  it("accepts each device", () => {
    for (const device of ["auto", "cpu", "cuda"] as const) check({ device }, { device });
  });

  it("falls back to auto for an unknown device", () =>
    check({ device: "tpu" }, { device: "auto", problems: [/unitscope\.device: must be one of auto, cpu, cuda/] }));

  it("reads a square input size", () => check({ inputSize: 224 }, { inputSize: [224, 224] }));

  it("reads [height, width]", () => check({ inputSize: [64, 96] }, { inputSize: [64, 96] }));

  it("rejects a bad input size", () => {
    for (const bad of [0, -5, 22.5, "224", [224], [1, 2, 3]]) check({ inputSize: bad }, { inputSize: undefined, problems: [/unitscope\.inputSize/] });
  });

  it("reads 3-channel and 1-channel mean/std", () => {
    check(
      { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      {
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
      },
    );
    check({ mean: [0.5], std: [0.25] }, { mean: [0.5], std: [0.25] });
  });

  it("rejects mean/std of the wrong length or type, and a non-positive std", () => {
    check({ mean: [0.5, 0.5] }, { mean: undefined, problems: [/unitscope\.mean/] });
    check({ mean: ["a", 1, 2] }, { mean: undefined, problems: [/unitscope\.mean/] });
    check({ std: [0.2, 0, 0.2] }, { std: undefined, problems: [/unitscope\.std: must be 1 or 3 positive numbers/] });
  });

  it("reports every bad setting", () =>
    check(
      { device: 1, inputSize: "big", mean: {}, "server.command": 5 },
      {
        problems: [/server\.command/, /device/, /inputSize/, /mean/],
      },
    ));
});

describe("loadModel params from settings", () => {
  const base = parseSettings(() => undefined).settings;

  it("sends only the path when everything is default and the architecture is detected", () =>
    assert.deepEqual(loadModelParams("/m/a.pth", undefined, base), { path: "/m/a.pth" }));

  it("sends the architecture, input size, mean, std and a non-auto device", () =>
    assert.deepEqual(
      loadModelParams("/m/a.pth", "resnet18", {
        ...base,
        device: "cuda",
        inputSize: [224, 224],
        mean: [0.1, 0.2, 0.3],
        std: [0.4, 0.5, 0.6],
      }),
      { path: "/m/a.pth", architecture: "resnet18", inputSize: [224, 224], mean: [0.1, 0.2, 0.3], std: [0.4, 0.5, 0.6], device: "cuda" },
    ));
});

describe("setting paths", () => {
  const check = (raw: string, folders: string[], expected: string | undefined) => assert.equal(resolveSettingPath(raw, folders, "/home/u"), expected, raw);

  it("keeps absolute paths", () => check("/data/m.pth", [], "/data/m.pth"));
  it("resolves relative paths against the first workspace folder", () => check("models/m.pth", ["/ws", "/other"], "/ws/models/m.pth"));
  it("expands ${workspaceFolder}", () => check("${workspaceFolder}/m.pth", ["/ws"], "/ws/m.pth"));
  it("expands ~", () => check("~/m.pth", [], "/home/u/m.pth"));
  it("cannot resolve a relative path without a folder", () => check("m.pth", [], undefined));
  it("treats blank as unset", () => check("  ", ["/ws"], undefined));
});
