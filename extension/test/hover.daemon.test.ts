// Hover through the real daemon over stdio, as the language client does it: initialize, load the
// sample checkpoint, open the sample training script, hover layer attributes. Skipped only when
// the daemon is not built; every other problem (fixtures missing, daemon errors) fails.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { commandLinks, TRUSTED_HOVER_COMMANDS } from "../src/hoverTrust";
import type { ModelInfo } from "../src/protocol.generated";
import { CHECKPOINTS, DLL, removeCache, SCRIPT, startDaemon, withTimeout, type Daemon } from "./support/daemon";
import { REPO_ROOT } from "./support/fixtures";

/** Line and character of the `index`-th character of `text`. */
function positionAt(text: string, index: number): { line: number; character: number } {
  const before = text.slice(0, index);
  const line = before.split("\n").length - 1;
  return { line, character: index - (before.lastIndexOf("\n") + 1) };
}

describe("hover through the daemon (stdio)", function () {
  this.timeout(180_000);
  let daemon: Daemon | undefined;
  let cache: string | undefined;
  /** The handshake and the load succeeded: only then is a clean exit expected. */
  let ready = false;
  let info: ModelInfo;
  let text: string;
  let uri: string;

  before(async function () {
    if (!fs.existsSync(DLL)) {
      console.log(`      SKIPPED: the daemon is not built (${path.relative(REPO_ROOT, DLL)} is missing); run \`dotnet build server/UnitScope.Cli\`.`);
      this.skip();
    }
    const checkpoint = CHECKPOINTS.find((p) => fs.existsSync(p));
    assert.ok(checkpoint, `no sample checkpoint: ${CHECKPOINTS.join(", ")}`);
    assert.ok(fs.existsSync(SCRIPT), `no sample script: ${SCRIPT}`);

    // A cache folder of its own: nothing is dissected there, whatever the user's cache holds.
    ({ daemon, cache } = startDaemon());
    try {
      const init = await withTimeout(
        daemon.request("initialize", {
          processId: process.pid,
          rootUri: pathToFileURL(REPO_ROOT).href,
          clientInfo: { name: "unitscope-extension-tests" },
          capabilities: {},
        }),
        60_000,
        "initialize",
      );
      assert.equal(init.capabilities.hoverProvider, true, "the daemon offers hover");
      await daemon.notify("initialized", {});
      info = await withTimeout(daemon.request("unitscope/loadModel", { path: checkpoint }), 120_000, "loadModel");
      text = fs.readFileSync(SCRIPT, "utf8");
      uri = pathToFileURL(SCRIPT).href;
      await daemon.notify("textDocument/didOpen", { textDocument: { uri, languageId: "python", version: 1, text } });
      ready = true;
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- daemon stderr ---\n${daemon.log()}`, { cause: e });
    }
  });

  after(async () => {
    if (daemon) {
      const code = await daemon.close();
      if (ready) assert.equal(code, 0, `daemon exit code after shutdown+exit\n${daemon.log()}`);
    }
    if (cache) removeCache(cache);
  });

  /** The code after the module docstring, so hovers land on code, not on the prose about it. */
  function codeStart(): number {
    const first = text.indexOf('"""');
    return first < 0 ? 0 : text.indexOf('"""', first + 3) + 3;
  }

  /** Hovers the attribute of the first match of `pattern` in the code (group 1 = the attribute; it is the
   * expected layer unless given) and checks that the markdown names the layer, its kind and units. */
  async function check(pattern: RegExp, expectedLayer?: string, doc?: { uri: string; text: string }): Promise<void> {
    const { uri: docUri, text: docText } = doc ?? { uri, text };
    const re = new RegExp(pattern.source, "g");
    re.lastIndex = doc ? 0 : codeStart();
    const m = re.exec(docText);
    assert.ok(m && m[1], `${pattern} occurs in ${docUri}`);
    const index = m.index + m[0].indexOf(m[1]) + 1; // inside the attribute name
    const position = positionAt(docText, index);
    const hover = await daemon!.request("textDocument/hover", { textDocument: { uri: docUri }, position });
    assert.ok(hover, `hover at ${m[0]} (${JSON.stringify(position)})\n${daemon!.log()}`);
    const name = expectedLayer ?? m[1];
    const layer = info.layers.find((l) => l.name === name);
    assert.ok(layer, `${name} among the model's layers: ${info.layers.map((l) => l.name).join(", ")}`);
    const md = hover.contents.value;
    assert.equal(hover.contents.kind, "markdown");
    assert.ok(md.includes(layer.name), `names the layer ${layer.name}:\n${md}`);
    assert.ok(md.includes(layer.kind), `names the kind ${layer.kind}:\n${md}`);
    assert.match(md, new RegExp(`\\b${layer.units}\\b`), `gives the units ${layer.units}:\n${md}`);
    // Command links (dissect, open dissection) go only to commands the client trusts in our hovers.
    for (const command of commandLinks(md)) assert.ok(TRUSTED_HOVER_COMMANDS.includes(command), `untrusted link ${command}:\n${md}`);
    if (layer.outputShape.length === 3) {
      assert.ok(md.includes(`Not dissected yet — [Dissect ${layer.name}](command:unitscope.dissectLayer?`), `offers to dissect:\n${md}`);
      const args = /command:unitscope\.dissectLayer\?([^ )]+)/.exec(md)?.[1];
      assert.deepEqual(JSON.parse(decodeURIComponent(args ?? "")), [{ modelId: info.modelId, layer: layer.name }]);
    }
  }

  it("loads the sample checkpoint as a SmallCNN with conv1..conv4", () => {
    const conv1 = info.layers.find((l) => l.name === "conv1");
    assert.equal(conv1?.kind, "Conv2d");
    assert.equal(conv1?.units, 16);
    for (const name of ["conv2", "conv3", "conv4", "fc"])
      assert.ok(
        info.layers.some((l) => l.name === name),
        name,
      );
  });

  it("hovers self.conv1 where it is defined", () => check(/\bself\.(conv1)\s*=/, "conv1"));

  it("hovers self.conv1 where forward uses it", () => check(/\bself\.(conv1)\(/, "conv1"));

  it("hovers self.bn2", () => check(/\bself\.(bn2)\b/, "bn2"));

  it("hovers model.conv2 in plain code of another open document", async () => {
    // The sample's only `model.convN` sits inside an f-string; this probe has plain uses.
    const probeUri = pathToFileURL(path.join(REPO_ROOT, "samples/hover_probe.py")).href;
    const probe = "from train_smallcnn import SmallCNN\n\nmodel = SmallCNN()\nweights = model.conv2.weight\nprint(model.fc)\n";
    await daemon!.notify("textDocument/didOpen", { textDocument: { uri: probeUri, languageId: "python", version: 1, text: probe } });
    try {
      await check(/\bmodel\.(conv2)\b/, undefined, { uri: probeUri, text: probe });
      await check(/\bmodel\.(fc)\b/, undefined, { uri: probeUri, text: probe });
    } finally {
      await daemon!.notify("textDocument/didClose", { textDocument: { uri: probeUri } });
    }
  });

  it("has no hover away from layer names", async () => {
    const index = text.indexOf("import math") + 2;
    const hover = await daemon!.request("textDocument/hover", { textDocument: { uri }, position: positionAt(text, index) });
    assert.equal(hover, null);
  });
});
