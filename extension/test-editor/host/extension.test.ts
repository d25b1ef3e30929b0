// The extension in its real extension host (code-server's VS Code), against the real daemon, on a
// workspace holding the sample training script and checkpoint: activation and the status, loading
// a checkpoint, code lenses and hovers through VS Code's own provider commands, a dissection from
// a lens command and what it changes, jobs and Cancel, the unit card, a crashed daemon coming back
// with its model, a remote daemon over TCP, the cache directory setting.

import * as assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import type { UnitScopeApi } from "../../src/main";

const EXTENSION_ID = "unitscope.unitscope";

function workspace(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, "a workspace folder is open");
  return folder.uri.fsPath;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

function lensTitles(lenses: vscode.CodeLens[] | undefined, line: number): string[] {
  return (lenses ?? []).filter((l) => l.range.start.line === line).map((l) => l.command?.title ?? "");
}

function hoverText(hovers: vscode.Hover[] | undefined): string {
  return (hovers ?? [])
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === "string" ? c : "value" in c ? c.value : ""))
    .join("\n");
}

/**
 * Changes workspace settings that shape the daemon (it restarts by itself on them) and waits for the
 * new daemon to be ready with a model loaded again.
 */
async function updateServerSettings(api: UnitScopeApi, changes: [string, unknown][]): Promise<void> {
  const before = api.ctx.daemonPid;
  const config = vscode.workspace.getConfiguration("unitscope");
  for (const [key, value] of changes) await config.update(key, value, vscode.ConfigurationTarget.Workspace);
  await until(
    "the daemon restarted on the settings, with the model",
    () => api.ctx.daemonPid !== before && api.ctx.status === "ready" && api.ctx.activeModel !== undefined,
    120_000,
  );
}

describe("UnitScope in VS Code's extension host", function () {
  this.timeout(180_000);
  let api: UnitScopeApi;
  let doc: vscode.TextDocument;
  let checkpoint: string;
  const line = (name: string) =>
    doc
      .getText()
      .split("\n")
      .findIndex((l) => new RegExp(`\\bself\\.${name}\\s*=`).test(l));
  const at = (name: string) => new vscode.Position(line(name), doc.lineAt(line(name)).text.indexOf(name) + 1);
  const lenses = () => vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", doc.uri);
  const hover = (name: string) => vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", doc.uri, at(name));

  before(async () => {
    const ext = vscode.extensions.getExtension<UnitScopeApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    api = await ext.activate();
    checkpoint = path.join(workspace(), "smallcnn.pth");
    doc = await vscode.workspace.openTextDocument(path.join(workspace(), "train_smallcnn.py"));
    await vscode.window.showTextDocument(doc);
  });

  it("starts the daemon on activation: the status is ready", async () => {
    await until("the daemon to be ready", () => api.ctx.status === "ready");
    assert.equal(api.ctx.activeModel, undefined, "no checkpoint setting: nothing loaded yet");
    assert.ok(api.ctx.daemonPid, "a local daemon process");
  });

  it("loads the workspace's checkpoint (the view's click) with the architecture detected", async () => {
    const info = await vscode.commands.executeCommand<{ architecture: string; modelId: string }>("unitscope.loadCheckpointFile", vscode.Uri.file(checkpoint));
    assert.equal(info?.architecture, "smallcnn");
    assert.equal(api.ctx.activeModel?.modelId, info.modelId);
    assert.deepEqual(
      api.ctx.loadedModels.map((m) => path.basename(m.info.path)),
      ["smallcnn.pth"],
    );
  });

  it("puts code lenses above the layer definitions of the training script", async () => {
    const all = await until("code lenses", async () => ((await lenses())?.length ? lenses() : undefined));
    assert.deepEqual(lensTitles(all, line("conv2")), ["32 units · not dissected", "dissect", "ablate"]);
    assert.deepEqual(lensTitles(all, line("conv1")), ["16 units · not dissected", "dissect", "ablate"]);
    assert.deepEqual(lensTitles(all, line("relu")), [], "no lens on a ReLU");
    const dissect = all.find((l) => l.range.start.line === line("conv2") && l.command?.title === "dissect");
    assert.equal(dissect?.command?.command, "unitscope.dissectLayer");
  });

  it("hovers a layer: kind, units, output shape, and a link to dissect it", async () => {
    const text = hoverText(await hover("conv2"));
    assert.match(text, /\*\*`conv2`\*\* — Conv2d, 32 units, output 32×32×32/);
    assert.match(text, /Not dissected yet — \[Dissect conv2\]\(command:unitscope\.dissectLayer\?/);
  });

  it("dissects from the lens's command on the configured dataset; the lens and the hover show the result", async () => {
    const dissect = (await lenses()).find((l) => l.range.start.line === line("conv2") && l.command?.title === "dissect")!;
    const result = await vscode.commands.executeCommand<{ layer: string; labelledUnits: number; dataset: string }[]>(
      dissect.command!.command,
      ...(dissect.command!.arguments ?? []),
    );
    assert.equal(result?.[0]?.layer, "conv2");
    assert.equal(path.basename(result[0]!.dataset), "broden_mini", "unitscope.dissection.dataset is used");
    const labelled = `${result[0]!.labelledUnits}/32 units labelled`;
    await until(`the lens to say ${labelled}`, async () => lensTitles(await lenses(), line("conv2"))[0] === labelled);
    const text = hoverText(await hover("conv2"));
    assert.match(text, new RegExp(`\\*\\*Dissection\\*\\* \\(\\d+ images of broden\\\\_mini\\): ${labelled}`));
    assert.match(text, /\[!\[unit \d+: [^\]]+\]\(data:image\/png;base64,/, "the top units' images");
    // The panel opened beside the editor.
    await until("the dissection panel", () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.label.startsWith("Dissection · smallcnn.pth")));
  });

  it("keeps the dissection in the configured cache directory, verifiable and for this layer", () => {
    const cache = vscode.workspace.getConfiguration("unitscope").get<string>("cacheDirectory")!;
    const folder = path.join(cache, "dissections");
    assert.ok(fs.existsSync(folder), `the daemon writes dissections under ${folder}`);
    const entries: { dissection: { layer: string; units: unknown[] }; sha256: string }[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const file = path.join(d, e.name);
        if (e.isDirectory()) walk(file);
        else if (e.name.endsWith(".json") && !e.name.startsWith(".")) entries.push(JSON.parse(fs.readFileSync(file, "utf8")));
      }
    };
    walk(folder);
    const conv2 = entries.find((e) => e.dissection?.layer === "conv2");
    assert.ok(conv2, `an entry for conv2 among ${entries.length}`);
    assert.equal(conv2.dissection.units.length, 32, "one result per unit of conv2");
    assert.match(conv2.sha256, /^[0-9a-f]{64}$/, "the entry carries its checksum");
  });

  it("opens a unit's card", async () => {
    const model = api.ctx.activeModel!;
    await vscode.commands.executeCommand("unitscope.openUnitCard", { modelId: model.modelId, layer: "conv2", unit: 3 });
    await until("the unit card", () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.label === "Unit 3 · conv2"));
  });

  it("lists a running dissection as a job and stops it with Cancel", async () => {
    // On the built-in probe set, which is generated first (about 45 s): plenty of time to cancel.
    const dataset = vscode.workspace.getConfiguration("unitscope").inspect<string>("dissection.dataset")?.workspaceValue;
    await updateServerSettings(api, [["dissection.dataset", "probe"]]);
    try {
      const run = vscode.commands.executeCommand("unitscope.dissectLayer", { modelId: api.ctx.activeModel!.modelId, layers: ["conv3"] });
      const job = await until("the job", () => api.ctx.jobs.all[0]);
      assert.equal(job.title, "Dissect conv3");
      assert.ok(job.cancellable);
      await vscode.commands.executeCommand("unitscope.cancelJob", job);
      assert.equal(await run, undefined, "cancelled");
      await until("the job to leave the list", () => api.ctx.jobs.all.length === 0);
    } finally {
      await updateServerSettings(api, [["dissection.dataset", dataset]]);
    }
  });

  it("lists a running ablation as a job too and stops it with the job's Cancel", async () => {
    // On the built-in probe set, generated first when it is not cached: time to see the job and cancel it.
    const model = api.ctx.activeModel!;
    const run = api.runAblation(api.ctx, model, "conv2", [0, 1], "probe", undefined);
    const job = await until("the ablation's job", () => api.ctx.jobs.all.find((j) => /^Ablating units 0, 1 of conv2$/.test(j.title)));
    assert.ok(job.cancellable);
    await vscode.commands.executeCommand("unitscope.cancelJob", job);
    const result = await run;
    await until("the job to leave the list", () => api.ctx.jobs.all.length === 0);
    // Cancelled, or (on a machine fast enough to finish first) done: either way it was listed while it ran.
    if (result) assert.equal(result.layer, "conv2");
  });

  it("restarts the daemon by itself when a daemon setting changes, models reloaded", async () => {
    const before = { pid: api.ctx.daemonPid!, model: api.ctx.activeModel! };
    const limit = vscode.workspace.getConfiguration("unitscope").inspect<number>("maxImagePixels")?.workspaceValue;
    try {
      await updateServerSettings(api, [["maxImagePixels", 50_000_000]]);
      assert.notEqual(api.ctx.daemonPid, before.pid, "a new process");
      assert.equal(api.ctx.activeModel?.checkpointHash, before.model.checkpointHash, "the same model, reloaded");
    } finally {
      await updateServerSettings(api, [["maxImagePixels", limit]]);
    }
  });

  it("restarts a crashed daemon by itself and reloads its model", async () => {
    const before = { pid: api.ctx.daemonPid!, model: api.ctx.activeModel! };
    const states: string[] = [];
    const sub = api.ctx.onDidChangeStatus((s) => states.push(s));
    try {
      process.kill(before.pid, "SIGKILL");
      await until("the crash to be noticed", () => states.includes("crashed"), 30_000);
      assert.equal(api.ctx.activeModel, undefined, "the models went with the process");
      await until(
        "the daemon to come back with the model",
        () => api.ctx.status === "ready" && api.ctx.activeModel?.checkpointHash === before.model.checkpointHash,
        90_000,
      );
    } finally {
      sub.dispose();
    }
    assert.deepEqual(states.slice(0, 2), ["crashed", "starting"], `crashed, then restarted: ${states.join(" → ")}`);
    assert.notEqual(api.ctx.daemonPid, before.pid, "a new process");
    assert.equal(api.ctx.activeModel!.modelId, before.model.modelId, "the same model id (from the checkpoint's hash)");
    const text = hoverText(await hover("conv2"));
    assert.match(text, /units labelled/, "hovers work again, with the cached dissection");
  });

  it("connects to a remote daemon (unitscope serve --tcp) with its token, read from a file", async () => {
    const dll = vscode.workspace.getConfiguration("unitscope").get<string>("server.command")!;
    const port = await freePort();
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    // The token never goes on the daemon's command line; the extension reads it from a file.
    const server: ChildProcess = spawn("dotnet", [dll, "serve", "--tcp", String(port), "--root", root], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, UNITSCOPE_TOKEN: "t0ken" },
    });
    const tokenFile = path.join(os.tmpdir(), `unitscope-token-${port}`);
    fs.writeFileSync(tokenFile, "t0ken\n", { mode: 0o600 });
    const config = vscode.workspace.getConfiguration("unitscope");
    try {
      await until("the TCP daemon to listen", () => canConnect(port), 60_000);
      // Set together, then the daemon is restarted by hand (a restart the settings change started may be on its way too).
      await config.update("server.tokenFile", tokenFile, vscode.ConfigurationTarget.Workspace);
      await config.update("server.remote", `127.0.0.1:${port}`, vscode.ConfigurationTarget.Workspace);
      assert.ok(await api.ctx.restart(), "connected");
      assert.equal(api.ctx.daemonPid, undefined, "no local process");
      await until("the model to be loaded again", () => api.ctx.status === "ready" && api.ctx.activeModel?.architecture === "smallcnn", 120_000);
      assert.match(hoverText(await hover("conv1")), /Conv2d, 16 units/);
      // A wrong token is refused, and the status says so.
      fs.writeFileSync(tokenFile, "wrong\n");
      assert.equal(await api.ctx.restart(), false);
      assert.equal(api.ctx.status, "failed");
    } finally {
      await config.update("server.remote", undefined, vscode.ConfigurationTarget.Workspace);
      await config.update("server.tokenFile", undefined, vscode.ConfigurationTarget.Workspace);
      fs.rmSync(tokenFile, { force: true });
      server.kill();
      await api.ctx.restart();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

function canConnect(port: number): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    const c = net.connect({ host: "127.0.0.1", port }, () => {
      c.destroy();
      resolve(true);
    });
    c.on("error", () => resolve(undefined));
  });
}
