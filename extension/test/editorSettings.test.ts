import * as assert from "node:assert/strict";
import { discoverServer } from "../src/serverDiscovery";
import { DEFAULT_CHECKPOINT_GLOB, parseRemote, parseSettings } from "../src/settings";

/** The settings from raw values (key without "unitscope."), and the problems reported. */
const parse = (raw: Record<string, unknown>) => parseSettings((key) => raw[key]);

describe("editor settings: daemon, remote, checkpoints, dataset, cache", () => {
  it("defaults: dotnet on PATH, a local daemon, every checkpoint kind, the probe set, the daemon's cache", () => {
    const { settings, problems } = parse({});
    assert.equal(settings.server.dotnetPath, "dotnet");
    assert.equal(settings.server.remote, undefined);
    assert.equal(settings.server.token, "");
    assert.equal(settings.checkpointGlob, DEFAULT_CHECKPOINT_GLOB);
    assert.equal(settings.dataset, "probe");
    assert.equal(settings.cacheDirectory, "");
    assert.deepEqual(problems, []);
  });

  it("keeps what is set, trimmed", () => {
    const { settings } = parse({
      "server.dotnetPath": " /opt/dotnet/dotnet ",
      "server.remote": "gpu-box:7000",
      "server.token": "s3cret",
      checkpointGlob: "runs/**/*.pt",
      "dissection.dataset": "tests/fixtures/broden_mini",
      cacheDirectory: "~/.cache/us",
    });
    assert.equal(settings.server.dotnetPath, "/opt/dotnet/dotnet");
    assert.deepEqual(settings.server.remote, { host: "gpu-box", port: 7000 });
    assert.equal(settings.server.token, "s3cret");
    assert.equal(settings.checkpointGlob, "runs/**/*.pt");
    assert.equal(settings.dataset, "tests/fixtures/broden_mini");
    assert.equal(settings.cacheDirectory, "~/.cache/us");
  });

  it("reports values of the wrong type and uses the defaults", () => {
    const { settings, problems } = parse({ "server.dotnetPath": 3, checkpointGlob: [], "server.remote": 7000 });
    assert.equal(settings.server.dotnetPath, "dotnet");
    assert.equal(settings.checkpointGlob, DEFAULT_CHECKPOINT_GLOB);
    assert.equal(settings.server.remote, undefined);
    assert.equal(problems.length, 3);
    assert.match(problems.join("\n"), /unitscope\.server\.remote: must be "host:port"/);
  });

  describe("remote address", () => {
    const check = (text: string, expected: { host: string; port: number } | undefined, problem?: RegExp) => {
      const problems: string[] = [];
      assert.deepEqual(
        parseRemote(text, (t) => problems.push(t)),
        expected,
        text,
      );
      if (problem) assert.match(problems[0] ?? "", problem);
      else assert.deepEqual(problems, []);
    };
    it("host:port", () => check("gpu-box:7000", { host: "gpu-box", port: 7000 }));
    it("an IPv6 address in brackets", () => check("[::1]:8123", { host: "::1", port: 8123 }));
    it("a bare port means this machine", () => check("7000", { host: "127.0.0.1", port: 7000 }));
    it("blank means none", () => check("  ", undefined));
    it("rejects a port out of range", () => check("box:70000", undefined, /not host:port/));
    it("rejects a missing port", () => check("box:", undefined, /not host:port/));
  });

  it("runs a .dll with the configured dotnet", () => {
    const env = { platform: "linux" as const, pathEnv: "", workspaceFolders: ["/ws"], extensionPath: "/x/ext", dotnet: "/opt/dotnet/dotnet" };
    const built = discoverServer("", ["serve"], {
      ...env,
      fileMtime: (f) => (f === "/ws/server/UnitScope.Cli/bin/Debug/net10.0/unitscope.dll" ? 1 : undefined),
    });
    assert.deepEqual(built.ok && built.spec, {
      command: "/opt/dotnet/dotnet",
      args: ["/ws/server/UnitScope.Cli/bin/Debug/net10.0/unitscope.dll", "serve"],
      source: "build",
    });
    const set = discoverServer("/d/unitscope.dll", ["serve"], { ...env, fileMtime: () => 1 });
    assert.deepEqual(set.ok && set.spec.command, "/opt/dotnet/dotnet");
  });
});
