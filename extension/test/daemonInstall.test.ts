import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CHECKOUT_MARKERS, installFailure, installOffer, installPlan, TOOL_PACKAGE } from "../src/daemonInstall";
import { GLOBAL_TOOLS } from "../src/serverDiscovery";
import { REPO_ROOT as REPO } from "./support/fixtures";

function plan(files: string[], folders: string[], extensionPath = "/home/u/.vscode/extensions/unitscope.unitscope-0.1.0") {
  const set = new Set(files);
  return installPlan({ workspaceFolders: folders, extensionPath, fileExists: (f) => set.has(f) });
}

const checkout = (root: string) => CHECKOUT_MARKERS.map((m) => path.join(root, m));

describe("installing the daemon when none is found", () => {
  it("in a UnitScope checkout runs its install script there", () => {
    const p = plan([...checkout("/work/unitscope"), "/work/other/scripts/install-tool.sh"], ["/work/other", "/work/unitscope"]);
    assert.deepEqual({ command: p.command, args: p.args, cwd: p.cwd }, { command: "bash", args: ["scripts/install-tool.sh"], cwd: "/work/unitscope" });
    assert.equal(p.display, "bash scripts/install-tool.sh (in /work/unitscope)");
  });

  it("a folder with only one of the markers is no checkout", () => {
    const p = plan(["/work/other/scripts/install-tool.sh", "/work/x/server/UnitScope.Cli/UnitScope.Cli.csproj"], ["/work/other", "/work/x"]);
    assert.equal(p.command, "dotnet");
  });

  it("an extension run from a checkout's extension/ folder installs from that checkout", () => {
    const p = plan(checkout("/src/unitscope"), [], "/src/unitscope/extension");
    assert.equal(p.cwd, "/src/unitscope");
  });

  it("elsewhere installs the tool package from the NuGet feeds into ~/.dotnet/tools", () => {
    const p = plan([], ["/work/mine"]);
    assert.deepEqual(
      { command: p.command, args: p.args, cwd: p.cwd },
      { command: "dotnet", args: ["tool", "install", "--global", "UnitScope"], cwd: undefined },
    );
    assert.equal(GLOBAL_TOOLS, ".dotnet/tools", "where --global puts it is where discovery looks");
  });

  it("this repository is a checkout: its markers exist, and the package id is the CLI's", () => {
    assert.equal(installPlan({ workspaceFolders: [REPO], extensionPath: "/nowhere/ext", fileExists: fs.existsSync }).cwd, REPO);
    const csproj = fs.readFileSync(path.join(REPO, "server/UnitScope.Cli/UnitScope.Cli.csproj"), "utf8");
    assert.match(csproj, new RegExp(`<PackageId>${TOOL_PACKAGE}</PackageId>`));
    assert.match(csproj, /<PackAsTool>true<\/PackAsTool>/);
  });

  it("the offer and the failure are plain text: no Markdown backticks in a notification", () => {
    const p = plan(checkout("/w"), ["/w"]);
    const offer = installOffer(p);
    assert.equal(
      offer,
      'UnitScope needs its daemon, which is not installed. "Install daemon" runs bash scripts/install-tool.sh (in /w) and shows its output, then starts the daemon.',
    );
    const failed = installFailure(p, { code: 1, signal: null }, "error NU1101: Unable to find package UnitScope.");
    assert.equal(
      failed,
      "Installing the UnitScope daemon failed: bash scripts/install-tool.sh (in /w) exited with status 1: error NU1101: Unable to find package UnitScope.",
    );
    assert.match(installFailure(p, { code: null, signal: "SIGTERM" }, undefined), /was stopped \(SIGTERM\)\.$/);
    assert.match(
      installFailure(plan([], []), { code: null, signal: null, error: "spawn dotnet ENOENT" }, undefined),
      /dotnet tool install --global UnitScope could not run \(spawn dotnet ENOENT\)\.$/,
    );
    for (const text of [offer, failed]) assert.ok(!text.includes("`"), text);
  });
});
