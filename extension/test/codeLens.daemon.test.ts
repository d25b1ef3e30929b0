// Code lenses through the real daemon over stdio while a dissection runs, as the language client sees
// them: "dissecting…" (and no "dissect") above the layer while it runs, the refresh request the client
// acts on, then the labelled units once it lands. Skipped only when the daemon is not built.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { runDissection, type ProgressClient } from "../src/dissectRun";
import type { CodeLens, ModelInfo } from "../src/protocol.generated";
import type { RequestFn } from "../src/rpc";
import { delay, DLL, removeCache, SCRIPT, startDaemon, withTimeout, type Daemon } from "./support/daemon";
import { REPO_ROOT } from "./support/fixtures";

const BRODEN = path.join(REPO_ROOT, "tests/fixtures/broden_mini");
const CHECKPOINT = path.join(REPO_ROOT, "samples/smallcnn.pth");

describe("code lenses during a dissection, through the daemon (stdio)", function () {
  this.timeout(180_000);
  let daemon: Daemon | undefined;
  let cache: string | undefined;
  let model: ModelInfo;
  const uri = pathToFileURL(SCRIPT).href;
  const text = fs.existsSync(SCRIPT) ? fs.readFileSync(SCRIPT, "utf8") : "";
  const conv4Line = text.split("\n").findIndex((l) => /\bself\.conv4\s*=/.test(l));

  before(async function () {
    if (!fs.existsSync(DLL)) {
      console.log(`      SKIPPED: the daemon is not built (${path.relative(REPO_ROOT, DLL)} is missing).`);
      this.skip();
    }
    ({ daemon, cache } = startDaemon());
    // The editor's settings: broden_mini as the dataset lenses show, lenses refreshed on request.
    await withTimeout(
      daemon.request("initialize", {
        processId: process.pid,
        rootUri: pathToFileURL(REPO_ROOT).href,
        capabilities: { window: { workDoneProgress: true }, workspace: { codeLens: { refreshSupport: true } } },
        initializationOptions: { dataset: BRODEN },
      }),
      60_000,
      "initialize",
    );
    await daemon.notify("initialized", {});
    model = await withTimeout(daemon.request("unitscope/loadModel", { path: CHECKPOINT }), 120_000, "loadModel");
    await daemon.notify("textDocument/didOpen", { textDocument: { uri, languageId: "python", version: 1, text } });
  });

  after(async () => {
    if (daemon) await daemon.close();
    if (cache) removeCache(cache);
  });

  const conv4Lenses = async () =>
    ((await daemon!.request("textDocument/codeLens", { textDocument: { uri } })) ?? [])
      .filter((l: CodeLens) => l.range.start.line === conv4Line)
      .map((l: CodeLens) => `${l.command?.title}${l.command?.command ? ` → ${l.command.command}` : ""}`);

  it("says dissecting… with no dissect while conv4 is dissected, asks for a refresh, then counts its labelled units", async () => {
    assert.ok(conv4Line > 0, "self.conv4 in the sample script");
    assert.deepEqual(await conv4Lenses(), ["64 units · not dissected", "dissect → unitscope.dissectLayer", "ablate → unitscope.ablateUnits"]);
    const refreshesBefore = daemon!.serverRequests.filter((m) => m === "workspace/codeLens/refresh").length;
    const during: string[][] = [];
    const client: ProgressClient = {
      request: ((method, params, token) => daemon!.request(method, params, token as never)) as RequestFn,
      onProgress: (token, handler) => daemon!.onProgress(token, handler),
    };
    let asked: Promise<void> | undefined;
    await runDissection(
      client,
      { modelId: model.modelId, layers: ["conv4"], dataset: BRODEN, options: { batchSize: 1 } },
      {
        // At the threshold pass's first image the layer is surely still running (its result comes after both passes).
        report: (s) => {
          if (!asked && s.message?.includes("threshold pass")) asked = conv4Lenses().then((l) => void during.push(l));
        },
      },
    );
    await asked;
    assert.deepEqual(during, [["64 units · dissecting…", "ablate → unitscope.ablateUnits"]]);
    // One as the run starts, one as conv4 lands (sent a moment after it: the daemon gathers refreshes 50 ms).
    const refreshes = () => daemon!.serverRequests.filter((m) => m === "workspace/codeLens/refresh").length - refreshesBefore;
    for (let i = 0; i < 100 && refreshes() < 2; i++) await delay(50);
    assert.ok(refreshes() >= 2, `the run asked for ${refreshes()} refreshes`);
    const after = await conv4Lenses();
    assert.match(after[0]!, /^\d+\/64 units labelled → unitscope\.openDissection$/);
    assert.deepEqual(after.slice(1), ["dissect → unitscope.dissectLayer", "ablate → unitscope.ablateUnits"]);
  });
});
