import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { commandLinks, hoverTrust, TRUSTED_HOVER_COMMANDS } from "../src/hoverTrust";
import { EXTENSION_ROOT, REPO_ROOT } from "./support/fixtures";

describe("trusted hover commands", () => {
  it("trusts exactly the commands the daemon's hover links to", () => {
    const cs = fs.readFileSync(path.join(REPO_ROOT, "server/UnitScope.Server/References/HoverContent.cs"), "utf8");
    const linked = [...cs.matchAll(/Command = "([^"]+)"/g)].map((m) => m[1]);
    assert.ok(linked.length >= 3, "HoverContent.cs declares its command constants");
    assert.deepEqual([...linked].sort(), [...TRUSTED_HOVER_COMMANDS].sort());
  });

  it("trusts only UnitScope's own commands, and the ones it contributes exist", () => {
    for (const c of TRUSTED_HOVER_COMMANDS) assert.match(c, /^unitscope\.[A-Za-z]+$/);
    const pkg = JSON.parse(fs.readFileSync(path.join(EXTENSION_ROOT, "package.json"), "utf8")) as {
      contributes: { commands: { command: string }[] };
    };
    const contributed = pkg.contributes.commands.map((c) => c.command);
    for (const c of ["unitscope.dissectLayer", "unitscope.openDissection"]) assert.ok(contributed.includes(c), c);
    assert.deepEqual(hoverTrust(), { enabledCommands: TRUSTED_HOVER_COMMANDS });
  });

  it("finds command links in markdown", () => {
    const md = 'Not dissected yet — [Dissect conv4](command:unitscope.dissectLayer?%5B%7B%7D%5D "Run") · [x](https://e.org) [y](command:workbench.action.quit)';
    assert.deepEqual(commandLinks(md), ["unitscope.dissectLayer", "workbench.action.quit"]);
  });
});
