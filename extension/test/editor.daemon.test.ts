// Code lenses and hovers on the sample training script through the real daemon over stdio, as the
// language client gets them: lenses above each layer definition before and after a dissection (on
// the tiny Broden fixture, a few seconds), the refresh the daemon asks for when it ends, and the
// hover's top-image strip (real PNGs that open the unit card). Skipped only when the daemon is not
// built.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { commandLinks, TRUSTED_HOVER_COMMANDS } from "../src/hoverTrust";
import type { CodeLens, ModelInfo } from "../src/protocol.generated";
import { DLL, removeCache, SCRIPT, startDaemon, withTimeout, type Daemon } from "./support/daemon";
import { REPO_ROOT } from "./support/fixtures";

const BRODEN_MINI = path.join(REPO_ROOT, "tests/fixtures/broden_mini");
const SAMPLE_CHECKPOINT = path.join(REPO_ROOT, "samples/smallcnn.pth");

/** "line: title" of each lens, the command appended when it has one. */
function describe_(lenses: readonly CodeLens[]): string[] {
  return lenses.map((l) => `${l.range.start.line}: ${l.command?.title}${l.command?.command ? ` → ${l.command.command}` : ""}`);
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(base64: string): { width: number; height: number } {
  const b = Buffer.from(base64, "base64");
  assert.equal(b.subarray(1, 4).toString("latin1"), "PNG");
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe("code lenses and hover images through the daemon (stdio)", function () {
  this.timeout(180_000);
  let daemon: Daemon | undefined;
  let cache: string | undefined;
  let ready = false;
  let info: ModelInfo;
  let text: string;
  let uri: string;
  /** The line of `self.<name> =` in the sample. */
  const defLine = (name: string) => text.split("\n").findIndex((l) => new RegExp(`\\bself\\.${name}\\s*=`).test(l));

  before(async function () {
    if (!fs.existsSync(DLL)) {
      console.log(`      SKIPPED: the daemon is not built (${path.relative(REPO_ROOT, DLL)} is missing).`);
      this.skip();
    }
    ({ daemon, cache } = startDaemon());
    try {
      const init = await withTimeout(
        daemon.request("initialize", {
          processId: process.pid,
          clientInfo: { name: "unitscope-extension-tests" },
          // As vscode-languageclient says it: it can refresh lenses.
          capabilities: { workspace: { codeLens: { refreshSupport: true } } },
          initializationOptions: { dataset: BRODEN_MINI },
        }),
        60_000,
        "initialize",
      );
      assert.ok(init.capabilities.codeLensProvider, "the daemon offers code lenses");
      await daemon.notify("initialized", {});
      text = fs.readFileSync(SCRIPT, "utf8");
      uri = pathToFileURL(SCRIPT).href;
      await daemon.notify("textDocument/didOpen", { textDocument: { uri, languageId: "python", version: 1, text } });
      info = await withTimeout(daemon.request("unitscope/loadModel", { path: SAMPLE_CHECKPOINT }), 120_000, "loadModel");
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

  const lenses = async () => (await daemon!.request("textDocument/codeLens", { textDocument: { uri } })) ?? [];

  it("puts units, dissect and ablate above each weighted layer of SmallCNN.__init__, and nothing above ReLU or pooling", async () => {
    const all = await lenses();
    const byLine = new Map<number, string[]>();
    for (const d of describe_(all)) {
      const line = Number(d.split(":")[0]);
      byLine.set(line, [...(byLine.get(line) ?? []), d.slice(d.indexOf(":") + 2)]);
    }
    const units = (name: string) => info.layers.find((l) => l.name === name)!.units;
    for (const name of ["conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "conv4", "bn4"])
      assert.deepEqual(
        byLine.get(defLine(name)),
        [`${units(name)} units · not dissected`, "dissect → unitscope.dissectLayer", "ablate → unitscope.ablateUnits"],
        name,
      );
    assert.deepEqual(byLine.get(defLine("fc")), [`${units("fc")} units`, "ablate → unitscope.ablateUnits"]);
    for (const name of ["relu", "pool", "avgpool"]) assert.equal(byLine.get(defLine(name)), undefined, name);
    // Only lines of definitions: uses in forward() get none.
    assert.deepEqual(
      [...byLine.keys()].sort((a, b) => a - b),
      ["conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "conv4", "bn4", "fc"].map(defLine),
    );
    const dissect = all.find((l) => l.range.start.line === defLine("conv2") && l.command?.command === "unitscope.dissectLayer")!;
    assert.deepEqual(dissect.command!.arguments, [{ modelId: info.modelId, layer: "conv2" }]);
    // The lens sits on the constructor: `nn.Conv2d`'s Conv2d.
    const line = text.split("\n")[defLine("conv2")]!;
    assert.equal(line.slice(dissect.range.start.character, dissect.range.end.character), "Conv2d");
  });

  it("after a dissection asks the client to refresh, and the lens says how many units are labelled", async () => {
    const before = daemon!.serverRequests.filter((m) => m === "workspace/codeLens/refresh").length;
    const result = await withTimeout(
      daemon!.request("unitscope/dissect", { modelId: info.modelId, layers: ["conv2"], dataset: BRODEN_MINI }),
      120_000,
      "dissect",
    );
    const conv2 = result.layers[0]!;
    for (let i = 0; i < 100 && daemon!.serverRequests.filter((m) => m === "workspace/codeLens/refresh").length === before; i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.ok(daemon!.serverRequests.filter((m) => m === "workspace/codeLens/refresh").length > before, "workspace/codeLens/refresh after the dissection");
    const row = describe_(await lenses()).filter((d) => d.startsWith(`${defLine("conv2")}:`));
    assert.deepEqual(row, [
      `${defLine("conv2")}: ${conv2.labelledUnits}/${conv2.units.length} units labelled → unitscope.openDissection`,
      `${defLine("conv2")}: dissect → unitscope.dissectLayer`,
      `${defLine("conv2")}: ablate → unitscope.ablateUnits`,
    ]);
    assert.ok(conv2.labelledUnits > 0, "the fixture labels some units of conv2");
  });

  it("hovers a dissected layer with its top units' images: real PNGs, in the order named, each opening its unit card", async () => {
    const line = defLine("conv2");
    const character = text.split("\n")[line]!.indexOf("conv2") + 2;
    const hover = await daemon!.request("textDocument/hover", { textDocument: { uri }, position: { line, character } });
    const md = hover!.contents.value;
    assert.match(md, /\*\*Dissection\*\* \(\d+ images of broden\\_mini\): \d+\/32 units labelled/);
    const top = [...md.matchAll(/unit (\d+) \*/g)].map((m) => Number(m[1]));
    const images = [...md.matchAll(/\[!\[unit (\d+): [^\]]*\]\(data:image\/png;base64,([A-Za-z0-9+/=]+)\)\]\(command:unitscope\.openUnitCard\?([^ )]+)/g)];
    assert.ok(images.length > 0, md.slice(0, 2000));
    assert.deepEqual(
      images.map((m) => Number(m[1])),
      top.slice(0, images.length),
    );
    for (const [, unit, png, args] of images) {
      // Two 40-pixel tiles side by side, 2 pixels apart.
      assert.deepEqual(pngSize(png!), { width: 82, height: 40 });
      assert.deepEqual(JSON.parse(decodeURIComponent(args!)), [{ modelId: info.modelId, layer: "conv2", unit: Number(unit) }]);
    }
    for (const command of commandLinks(md)) assert.ok(TRUSTED_HOVER_COMMANDS.includes(command), command);
    assert.match(md, /\[Unit maps…\]\(command:unitscope\.showUnitMap\?/);
  });

  it("lists the dissection on the client's dataset as the default one", async () => {
    const listed = await daemon!.request("unitscope/dissectedLayers", { modelId: info.modelId });
    assert.deepEqual(
      listed.layers.filter((l) => l.isDefault).map((l) => l.layer),
      ["conv2"],
    );
  });
});
