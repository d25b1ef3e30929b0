// The extension's state: the daemon client (started on demand, restarted after a crash with the
// models it had), the loaded models and the active one, and the output channel. Commands, panels,
// the status bar and the view reach the daemon only through `Ctx`.

import * as vscode from "vscode";
import * as fs from "node:fs";
import * as path from "node:path";
import { DaemonClient, type DaemonOptions, type DaemonTarget } from "./client";
import { findServer, openSettings, readSettings, resolvePath, workspaceFolderPaths } from "./config";
import type { ProgressClient } from "./dissectRun";
import { INSTALL_BUTTON, installOffer } from "./daemonInstall";
import { currentInstallPlan, INSTALL_DAEMON_COMMAND } from "./daemonInstallRun";
import { describeFailure } from "./errors";
import { Jobs } from "./jobs";
import { ModelSet, type LoadedModel } from "./modelSet";
import type { CheckpointSummarizedParams, LoadModelParams, ModelInfo, RequestParams, RequestResult } from "./protocol.generated";
import { RestartPolicy } from "./restartPolicy";
import type { CancelToken, UnitScopeMethod } from "./rpc";
import { describeSpec } from "./serverDiscovery";
import { loadModelParams, PROBE_DATASET, type Settings } from "./settings";

type Daemon =
  | { state: "stopped" }
  | { state: "starting"; ready: Promise<DaemonClient | undefined> }
  | { state: "running"; client: DaemonClient }
  | { state: "crashed"; message: string; restart: Promise<DaemonClient | undefined> }
  | { state: "failed"; message: string; notInstalled?: boolean };

/** What the status bar shows: ready means the daemon answers (a model may still be loading). */
export type DaemonStatus = "stopped" | "starting" | "ready" | "crashed" | "failed";

/** Thrown by `Ctx.request` when the daemon is not available; the user has already been told. */
export class DaemonUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DaemonUnavailable";
  }
}

export class Ctx implements vscode.Disposable {
  readonly output: vscode.LogOutputChannel;
  private daemon: Daemon = { state: "stopped" };
  /** Every model loaded in this window, replayed (the active one last) when the daemon restarts. */
  private readonly models = new ModelSet();
  private readonly modelChanged = new vscode.EventEmitter<ModelInfo | undefined>();
  readonly onDidChangeActiveModel = this.modelChanged.event;
  private readonly modelsChanged = new vscode.EventEmitter<void>();
  /** A model was loaded, switched to or unloaded, or the daemon lost them all. */
  readonly onDidChangeModels = this.modelsChanged.event;
  private readonly statusChanged = new vscode.EventEmitter<DaemonStatus>();
  readonly onDidChangeStatus = this.statusChanged.event;
  private readonly restarts = new RestartPolicy();
  /** Long work under way (the view's Jobs section). */
  readonly jobs = new Jobs();
  private readonly resultsChanged = new vscode.EventEmitter<string>();
  /** Results of a model's checkpoint changed (a dissection ended): the hash. */
  readonly onDidChangeResults = this.resultsChanged.event;
  private readonly checkpointSummarized = new vscode.EventEmitter<CheckpointSummarizedParams>();
  /** The daemon summarised a followed run's checkpoint in the background. */
  readonly onDidSummarizeCheckpoint = this.checkpointSummarized.event;
  /** Models loaded in the daemon right now (false after a crash until they are reloaded). */
  private modelsLive = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(readonly extension: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel("UnitScope", { log: true });
    this.disposables.push(this.output, this.modelChanged, this.modelsChanged, this.statusChanged, this.resultsChanged, this.checkpointSummarized);
  }

  /** Tells the view (and panels) that a checkpoint has new results. */
  resultsUpdated(checkpointHash: string): void {
    this.resultsChanged.fire(checkpointHash);
  }

  /** The daemon's state, for the status bar. */
  get status(): DaemonStatus {
    const d = this.daemon;
    if (d.state === "running") return d.client.isRunning ? "ready" : "starting";
    return d.state;
  }

  /** Why the daemon is crashed or failed, when it is. */
  get statusMessage(): string | undefined {
    const d = this.daemon;
    return d.state === "failed" || d.state === "crashed" ? d.message : undefined;
  }

  /** The daemon process id (stdio daemons only), for the log and tests. */
  get daemonPid(): number | undefined {
    const d = this.daemon;
    return d.state === "running" ? d.client.pid : undefined;
  }

  /** The models loaded in the daemon, in load order (empty while it restarts). */
  get loadedModels(): LoadedModel[] {
    return this.modelsLive ? this.models.all : [];
  }

  private setDaemon(daemon: Daemon): void {
    this.daemon = daemon;
    this.statusChanged.fire(this.status);
  }

  get extensionUri(): vscode.Uri {
    return this.extension.extensionUri;
  }

  /** The model hovers and commands use: the last one loaded (or switched to) in this daemon. */
  get activeModel(): ModelInfo | undefined {
    return this.modelsLive ? this.models.active?.info : undefined;
  }

  private fireModels(): void {
    this.modelChanged.fire(this.activeModel);
    this.modelsChanged.fire();
  }

  /**
   * The running client, starting the daemon when needed. When it cannot start, the user is told
   * (with "Open settings" and "Show log") unless `quiet`, and the result is undefined.
   */
  async client(options: { quiet?: boolean } = {}): Promise<DaemonClient | undefined> {
    const d = this.daemon;
    if (d.state === "running" && d.client.isRunning) return d.client;
    const client = d.state === "starting" ? await d.ready : d.state === "crashed" ? await d.restart : await this.start();
    if (!client && !options.quiet) this.reportUnavailable();
    // Even a quiet start (opening a file) says once that the daemon is not installed, offering to install it:
    // otherwise the status bar only turns red.
    else if (!client && this.notInstalled && !this.installOffered) this.offerInstall();
    return client;
  }

  /** A UnitScope request through the daemon, starting it if needed. */
  async request<M extends UnitScopeMethod>(method: M, params: RequestParams<M>, token?: CancelToken): Promise<RequestResult<M>> {
    const client = await this.client();
    if (!client) throw new DaemonUnavailable(this.unavailableMessage());
    return client.request(method, params, token);
  }

  /** The running client as a request function plus `$/progress` subscriptions; undefined (user told) when the daemon is down. */
  async progressClient(): Promise<ProgressClient | undefined> {
    const client = await this.client();
    if (!client) return undefined;
    return { request: client.request, onProgress: (token, handler) => client.onProgress(token, handler) };
  }

  /** Loads a checkpoint; it becomes the active model. */
  async loadModel(params: LoadModelParams, token?: CancelToken): Promise<ModelInfo> {
    const info = await this.request("unitscope/loadModel", params, token);
    this.models.loaded(params, info);
    this.modelsLive = true;
    this.fireModels();
    this.output.info(`Loaded ${info.path} as ${info.architecture} on ${info.device}: ${info.layers.length} layers (model ${info.modelId}).`);
    return info;
  }

  /** Makes a loaded model the active one (the daemon's loadModel of the same file and options only re-activates it). */
  async switchModel(modelId: string): Promise<ModelInfo | undefined> {
    const model = this.models.byId(modelId);
    if (!model) return undefined;
    if (this.activeModel?.modelId === modelId) return model.info;
    return this.loadModel(model.params);
  }

  /** Unloads a model from the daemon; the last loaded one left becomes active. */
  async unloadModel(modelId: string): Promise<void> {
    await this.request("unitscope/unloadModel", { modelId });
    this.models.unloaded(modelId);
    this.fireModels();
    // The daemon's active model is now the last one it loaded; make it the one we think is active.
    const active = this.models.active;
    if (active) await this.loadModel(active.params).catch(() => undefined);
  }

  /**
   * Stops the daemon (if running) and starts it again, reloading the models it had. Restarts run one
   * after another (a settings change and a Retry click can overlap; run together, two would each start a process).
   */
  restart(): Promise<boolean> {
    const run = this.restartQueue.then(async () => {
      this.restarts.reset();
      await this.stop();
      return (await this.client()) !== undefined;
    });
    this.restartQueue = run.catch(() => undefined);
    return run;
  }

  private restartQueue: Promise<unknown> = Promise.resolve();

  /** The daemon settings the running (or starting) daemon was started with, to compare with the current ones. */
  get serverSettingsInUse(): string | undefined {
    return this.daemon.state === "running" || this.daemon.state === "starting" ? this.startedWith : undefined;
  }

  private startedWith: string | undefined;

  async stop(): Promise<void> {
    const d = this.daemon;
    this.setDaemon({ state: "stopped" });
    this.models.daemonGone();
    this.modelsLive = false;
    this.fireModels();
    if (d.state === "running") await d.client.stop();
    else if (d.state === "starting") (await d.ready)?.dispose();
    else if (d.state === "crashed") (await d.restart)?.dispose();
  }

  private start(): Promise<DaemonClient | undefined> {
    let settle!: (client: DaemonClient | undefined) => void;
    const ready = new Promise<DaemonClient | undefined>((resolve) => (settle = resolve));
    // Set before startDaemon runs: it may fail (and set "failed") before its first await.
    this.setDaemon({ state: "starting", ready });
    void this.startDaemon().then(settle, (e: unknown) => {
      this.output.error(`Starting the daemon failed: ${describeFailure(e).message}`);
      this.setDaemon({ state: "failed", message: describeFailure(e).message });
      settle(undefined);
    });
    return ready;
  }

  private async startDaemon(): Promise<DaemonClient | undefined> {
    const { settings, problems } = readSettings();
    for (const p of problems) this.output.warn(p);
    this.startedWith = serverSettingsKey(settings);
    const options = daemonOptions(settings);
    let target: DaemonTarget;
    if (settings.server.remote) {
      const token = this.remoteToken(settings);
      if (token === undefined) return undefined;
      target = { kind: "tcp", ...settings.server.remote, token };
      this.output.info(`Connecting to the daemon at ${settings.server.remote.host}:${settings.server.remote.port}`);
    } else {
      const found = findServer(settings.server.command, settings.server.args, this.extension.extensionPath, settings.server.dotnetPath);
      if (!found.ok) {
        this.output.error(found.message);
        if (found.tried.length) this.output.info(`Looked for the daemon at:\n  ${found.tried.slice(0, 40).join("\n  ")}`);
        this.setDaemon({ state: "failed", message: found.message, notInstalled: true });
        return undefined;
      }
      target = { kind: "spawn", spec: found.spec };
      this.output.info(`Starting the daemon (${found.spec.source}): ${describeSpec(found.spec)}`);
    }
    let client: DaemonClient;
    try {
      client = await DaemonClient.start(target, this.output, workspaceFolderPaths()[0], options);
    } catch (e) {
      const message = describeFailure(e).message;
      this.output.error(message);
      this.setDaemon({ state: "failed", message });
      return undefined;
    }
    if (this.daemon.state !== "starting") {
      // stop() was called while starting.
      await client.stop();
      return undefined;
    }
    this.setDaemon({ state: "running", client });
    client.onDidChangeRunning((state) => this.onClientStateChanged(client, state));
    client.onNotification("unitscope/checkpointSummarized", (p) => this.checkpointSummarized.fire(p));
    this.output.info(`The daemon is running${client.pid ? ` (pid ${client.pid})` : ""}.`);
    void this.reloadModel();
    return client;
  }

  /**
   * The remote daemon's token: the first line of `unitscope.server.tokenFile`, else `unitscope.server.token` (which
   * settings sync and commits can carry away: said once); undefined, with the daemon marked failed, when the file
   * cannot be read.
   */
  private remoteToken(settings: Settings): string | undefined {
    if (settings.server.tokenFile) {
      const file = resolvePath(settings.server.tokenFile) ?? settings.server.tokenFile;
      try {
        return (fs.readFileSync(file, "utf8").split("\n")[0] ?? "").trim();
      } catch (e) {
        const message = `Cannot read the remote daemon's token file ${file} (unitscope.server.tokenFile): ${describeFailure(e).message}`;
        this.output.error(message);
        this.setDaemon({ state: "failed", message });
        return undefined;
      }
    }
    if (settings.server.token && !this.tokenSettingWarned) {
      this.tokenSettingWarned = true;
      this.output.warn(
        "unitscope.server.token keeps the remote daemon's token in settings, which settings sync and commits can carry " +
          "away: put it in a file only you can read and set unitscope.server.tokenFile instead.",
      );
    }
    return settings.server.token;
  }

  private tokenSettingWarned = false;

  /** The load `reloadModel` runs, while it runs: commands wait for it before concluding no model is loaded. */
  private initialLoad: Promise<void> | undefined;

  /** Waits for a model load the daemon (re)start began, if one is under way. */
  async modelSettled(): Promise<void> {
    await this.initialLoad;
  }

  private reloadModel(): Promise<void> {
    const load = this.loadInitialModel().finally(() => {
      if (this.initialLoad === load) this.initialLoad = undefined;
    });
    this.initialLoad = load;
    return load;
  }

  /** After a (re)start: every model loaded before (the active one last), else the `unitscope.checkpoint` setting. */
  private async loadInitialModel(): Promise<void> {
    let loads = this.models.replayOrder(this.previouslyActive);
    this.previouslyActive = undefined;
    if (loads.length === 0) {
      const { settings } = readSettings();
      if (!settings.checkpoint) return;
      const file = resolvePath(settings.checkpoint);
      if (!file) {
        this.output.warn(`unitscope.checkpoint "${settings.checkpoint}" is relative, but no folder is open.`);
        return;
      }
      loads = [loadModelParams(file, undefined, settings)];
    }
    const names = loads.map((l) => path.basename(l.path)).join(", ");
    const daemon = this.daemon;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `UnitScope: loading ${names}` }, async () => {
      for (const load of loads) {
        try {
          await this.loadModel(load);
        } catch (e) {
          const failure = describeFailure(e);
          // Not the file's fault: the daemon went away (a restart), and the next start loads it again.
          if (failure.cancelled || e instanceof DaemonUnavailable || this.daemon !== daemon) return;
          this.models.forget(load);
          this.fireModels();
          this.output.error(`Could not load ${load.path}: ${failure.message}`);
          showError(this, `UnitScope could not load ${load.path}: ${failure.message}`);
        }
      }
    });
  }

  /** The active model's load when the daemon went away, to make it active again after the reload. */
  private previouslyActive: LoadModelParams | undefined;

  private onClientStateChanged(client: DaemonClient, state: "running" | "stopped"): void {
    const d = this.daemon;
    if (d.state !== "running" || d.client !== client) return;
    // The daemon process is gone, and with it every loaded model (remembered, to reload).
    this.previouslyActive = this.models.active?.params ?? this.previouslyActive;
    this.models.daemonGone();
    this.modelsLive = false;
    this.fireModels();
    if (state === "running") return; // the client restarted the process itself (it is told not to)
    const why = `The UnitScope daemon stopped unexpectedly${client.exitDescription ? ` (it ${client.exitDescription})` : ""}.`;
    const delay = this.restarts.onCrash(Date.now());
    void client.stop();
    if (delay === undefined) {
      const message = `${why} It crashed ${this.restarts.recentCrashes} times in a few minutes, so it was not restarted again.`;
      this.setDaemon({ state: "failed", message });
      this.output.error(message);
      void vscode.window.showErrorMessage(message, "Restart daemon", "Show log").then((choice) => {
        if (choice === "Restart daemon") void this.restart();
        else if (choice === "Show log") this.output.show(true);
      });
      return;
    }
    const count = this.models.size;
    this.output.warn(`${why} Restarting it in ${delay} ms${count ? ` and reloading ${count} model${count === 1 ? "" : "s"}` : ""}.`);
    const restart = new Promise<void>((r) => setTimeout(r, delay)).then(() => {
      if (this.daemon.state !== "crashed" || this.daemon.restart !== restart) return undefined;
      return this.start();
    });
    this.setDaemon({ state: "crashed", message: why, restart });
    void restart.then(async (restarted) => {
      if (!restarted) return;
      await this.modelSettled();
      const reloaded = this.loadedModels.length;
      const text = `${why} It was restarted${reloaded ? ` and ${reloaded} model${reloaded === 1 ? " was" : "s were"} reloaded` : ""}.`;
      this.output.info(text);
      void vscode.window.showWarningMessage(text, "Show log").then((choice) => {
        if (choice) this.output.show(true);
      });
    });
  }

  private unavailableMessage(): string {
    return this.daemon.state === "failed" || this.daemon.state === "crashed" ? this.daemon.message : "The UnitScope daemon is not running.";
  }

  /** Whether the daemon failed because it was not found anywhere discovery looks. */
  private get notInstalled(): boolean {
    return this.daemon.state === "failed" && this.daemon.notInstalled === true;
  }

  private installOffered = false;

  /** Says the daemon is not installed, with one button that installs it (daemonInstallRun.ts) and starts it. */
  private offerInstall(): void {
    this.installOffered = true;
    const plan = currentInstallPlan(this);
    void vscode.window.showWarningMessage(installOffer(plan), INSTALL_BUTTON).then((choice) => {
      if (choice === INSTALL_BUTTON) void vscode.commands.executeCommand(INSTALL_DAEMON_COMMAND);
    });
  }

  /** Tells the user the daemon is unavailable: offers to install it when it was not found, else the settings, the log and a retry. */
  reportUnavailable(): void {
    if (this.notInstalled) return this.offerInstall();
    const message = this.unavailableMessage();
    void vscode.window.showErrorMessage(message, "Open settings", "Show log", "Retry").then((choice) => {
      if (choice === "Open settings") void openSettings();
      else if (choice === "Show log") this.output.show(true);
      else if (choice === "Retry") void this.restart();
    });
  }

  dispose(): void {
    void this.stop();
    for (const d of this.disposables) d.dispose();
  }
}

/** An error notification with "Show log". */
export function showError(ctx: Ctx, message: string): void {
  void vscode.window.showErrorMessage(message, "Show log").then((choice) => {
    if (choice === "Show log") ctx.output.show(true);
  });
}

/** The settings that shape a daemon (how it is started or reached, and what it is told at start), as one comparable string. */
export function serverSettingsKey(settings: Settings): string {
  return JSON.stringify({ server: settings.server, options: daemonOptions(settings) });
}

/** What the daemon is told at start: where it caches, and the dataset hovers and lenses show. */
function daemonOptions(settings: Settings): DaemonOptions {
  const cache = settings.cacheDirectory ? resolvePath(settings.cacheDirectory) : undefined;
  const dataset = settings.dataset === PROBE_DATASET ? undefined : resolvePath(settings.dataset);
  return {
    ...(cache ? { cacheDirectory: cache } : {}),
    ...(dataset ? { dataset } : {}),
    ...(settings.maxImagePixels ? { maxImagePixels: settings.maxImagePixels } : {}),
  };
}
