import * as assert from "node:assert/strict";
import { discoverServer, describeSpec, type Discovery, type DiscoveryEnv } from "../src/serverDiscovery";

interface Case {
  command?: string;
  args?: string[];
  /** Existing files → mtime. */
  files?: Record<string, number>;
  path?: string;
  folders?: string[];
  platform?: NodeJS.Platform;
  extensionPath?: string;
  home?: string;
}

/** Runs discovery against a fake file system; compares the command line, or the failure. */
function check(c: Case, expected: { command: string; args: string[]; source: string } | { error: RegExp; tried?: string[] }): Discovery {
  const files = c.files ?? {};
  const env: DiscoveryEnv = {
    platform: c.platform ?? "linux",
    pathEnv: c.path ?? "/usr/local/bin:/usr/bin",
    workspaceFolders: c.folders ?? [],
    extensionPath: c.extensionPath ?? "/opt/ext/unitscope-0.1.0",
    home: c.home ?? "/home/u",
    fileMtime: (f) => files[f],
  };
  const result = discoverServer(c.command ?? "", c.args ?? ["serve"], env);
  if ("error" in expected) {
    assert.equal(result.ok, false, JSON.stringify(result));
    if (!result.ok) {
      assert.match(result.message, expected.error);
      for (const t of expected.tried ?? []) assert.ok(result.tried.includes(t), `tried ${t}: ${result.tried.join(", ")}`);
    }
  } else {
    assert.equal(result.ok, true, JSON.stringify(result));
    if (result.ok) assert.deepEqual(result.spec, expected);
  }
  return result;
}

const DEBUG = "server/UnitScope.Cli/bin/Debug/net10.0/unitscope.dll";
const RELEASE = "server/UnitScope.Cli/bin/Release/net10.0/unitscope.dll";

describe("server discovery", () => {
  it("uses the configured command as is", () =>
    check(
      { command: "/opt/us/unitscope", args: ["serve", "--verbose"] },
      {
        command: "/opt/us/unitscope",
        args: ["serve", "--verbose"],
        source: "settings",
      },
    ));

  it("runs a configured .dll with dotnet", () =>
    check(
      { command: "/b/unitscope.dll", files: { "/b/unitscope.dll": 1 } },
      {
        command: "dotnet",
        args: ["/b/unitscope.dll", "serve"],
        source: "settings",
      },
    ));

  it("resolves a relative configured path against the workspace", () =>
    check(
      { command: `./${DEBUG}`, folders: ["/ws"], files: { [`/ws/${DEBUG}`]: 1 } },
      {
        command: "dotnet",
        args: [`/ws/${DEBUG}`, "serve"],
        source: "settings",
      },
    ));

  it("reports a configured .dll that does not exist", () => check({ command: "/nope/unitscope.dll" }, { error: /\/nope\/unitscope\.dll does not exist/ }));

  it("prefers unitscope on PATH", () =>
    check(
      { path: "/usr/local/bin:/home/u/.dotnet/tools", folders: ["/ws"], files: { "/home/u/.dotnet/tools/unitscope": 1, [`/ws/${DEBUG}`]: 2 } },
      {
        command: "/home/u/.dotnet/tools/unitscope",
        args: ["serve"],
        source: "path",
      },
    ));

  it("finds the .NET global tool in ~/.dotnet/tools when PATH lacks it, before a build", () =>
    check(
      { folders: ["/ws"], files: { "/home/u/.dotnet/tools/unitscope": 1, [`/ws/${DEBUG}`]: 2 } },
      {
        command: "/home/u/.dotnet/tools/unitscope",
        args: ["serve"],
        source: "tool",
      },
    ));

  it("finds the global tool's unitscope.exe on Windows", () =>
    check(
      { platform: "win32", path: "C:\\a", home: "C:\\Users\\u", files: { "C:\\Users\\u\\.dotnet\\tools\\unitscope.exe": 1 } },
      {
        command: "C:\\Users\\u\\.dotnet\\tools\\unitscope.exe",
        args: ["serve"],
        source: "tool",
      },
    ));

  it("finds the Debug build in the workspace", () =>
    check({ folders: ["/ws"], files: { [`/ws/${DEBUG}`]: 5 } }, { command: "dotnet", args: [`/ws/${DEBUG}`, "serve"], source: "build" }));

  it("takes the newer of the Debug and Release builds", () =>
    check(
      { folders: ["/ws"], files: { [`/ws/${DEBUG}`]: 5, [`/ws/${RELEASE}`]: 9 } },
      {
        command: "dotnet",
        args: [`/ws/${RELEASE}`, "serve"],
        source: "build",
      },
    ));

  it("takes the first workspace folder that has a build", () =>
    check(
      { folders: ["/a", "/b"], files: { [`/b/${DEBUG}`]: 5, [`/a/${RELEASE}`]: 1 } },
      {
        command: "dotnet",
        args: [`/a/${RELEASE}`, "serve"],
        source: "build",
      },
    ));

  it("falls back to the repository the extension was built in", () =>
    check(
      { folders: ["/elsewhere"], extensionPath: "/repo/extension", files: { [`/repo/${DEBUG}`]: 1 } },
      {
        command: "dotnet",
        args: [`/repo/${DEBUG}`, "serve"],
        source: "build",
      },
    ));

  it("says what it tried when nothing is found", () =>
    check(
      { folders: ["/ws"], extensionPath: "/repo/extension" },
      {
        error: /not found.*unitscope\.server\.command/s,
        tried: ["/usr/bin/unitscope", "/home/u/.dotnet/tools/unitscope", `/ws/${DEBUG}`, `/ws/${RELEASE}`, `/repo/${DEBUG}`],
      },
    ));

  it("looks for unitscope.exe and .cmd on Windows", () =>
    check(
      { platform: "win32", path: "C:\\a;C:\\tools", files: { "C:\\tools\\unitscope.cmd": 1 } },
      {
        command: "C:\\tools\\unitscope.cmd",
        args: ["serve"],
        source: "path",
      },
    ));

  it("quotes arguments with spaces in the log line", () =>
    assert.equal(describeSpec({ command: "dotnet", args: ["/my repo/unitscope.dll", "serve"], source: "build" }), 'dotnet "/my repo/unitscope.dll" serve'));
});
