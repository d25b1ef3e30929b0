// The extension's state: the daemon client (started on demand, restartable), the active model,
// and the output channel. Commands and panels reach the daemon only through `Ctx`.

import * as vscode from "vscode";
import { DaemonClient } from "./client";
import { findServer, openSettings, readSettings, resolvePath, workspaceFolderPaths } from "./config";
import type { ProgressClient } from "./dissectRun";
import { describeFailure } from "./errors";
import type { LoadModelParams, ModelInfo, RequestParams, RequestResult } from "./protocol.generated";
import type { CancelToken, UnitScopeMethod } from "./rpc";
import { describeSpec } from "./serverDiscovery";
import { loadModelParams } from "./settings";

type Daemon =
  | { state: "stopped" }
  | { state: "starting"; ready: Promise<DaemonClient | undefined> }
  | { state: "running"; client: DaemonClient }
  | { state: "failed"; message: string };

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
  private model: ModelInfo | undefined;
  /** The last successful load, replayed when the daemon restarts. */
  private lastLoad: LoadModelParams | undefined;
  private readonly modelChanged = new vscode.EventEmitter<ModelInfo | undefined>();
  readonly onDidChangeActiveModel = this.modelChanged.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(readonly extension: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel("UnitScope", { log: true });
    this.disposables.push(this.output, this.modelChanged);
  }

  get extensionUri(): vscode.Uri {
    return this.extension.extensionUri;
  }

  /** The model hovers and commands use: the last one loaded in this daemon. */
  get activeModel(): ModelInfo | undefined {
    return this.model;
  }

  private setActiveModel(model: ModelInfo | undefined): void {
    this.model = model;
    this.modelChanged.fire(model);
  }

  /**
   * The running client, starting the daemon when needed. When it cannot start, the user is told
   * (with "Open settings" and "Show log") unless `quiet`, and the result is undefined.
   */
  async client(options: { quiet?: boolean } = {}): Promise<DaemonClient | undefined> {
    const d = this.daemon;
    if (d.state === "running" && d.client.isRunning) return d.client;
    const client = d.state === "starting" ? await d.ready : await this.start();
    if (!client && !options.quiet) this.reportUnavailable();
    return client;
  }

  /** A UnitScope request through the daemon, starting it if needed. */
  async request<M extends UnitScopeMethod>(
    method: M,
    params: RequestParams<M>,
    token?: CancelToken,
  ): Promise<RequestResult<M>> {
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
    this.lastLoad = params;
    this.setActiveModel(info);
    this.output.info(`Loaded ${info.path} as ${info.architecture} on ${info.device}: ${info.layers.length} layers (model ${info.modelId}).`);
    return info;
  }

  /** Stops the daemon (if running) and starts it again, reloading the last model. */
  async restart(): Promise<boolean> {
    await this.stop();
    const client = await this.client();
    return client !== undefined;
  }

  async stop(): Promise<void> {
    const d = this.daemon;
    this.daemon = { state: "stopped" };
    this.setActiveModel(undefined);
    if (d.state === "running") await d.client.stop();
    else if (d.state === "starting") (await d.ready)?.dispose();
  }

  private start(): Promise<DaemonClient | undefined> {
    let settle!: (client: DaemonClient | undefined) => void;
    const ready = new Promise<DaemonClient | undefined>((resolve) => (settle = resolve));
    // Set before startDaemon runs: it may fail (and set "failed") before its first await.
    this.daemon = { state: "starting", ready };
    void this.startDaemon().then(settle, (e: unknown) => {
      this.output.error(`Starting the daemon failed: ${describeFailure(e).message}`);
      this.daemon = { state: "failed", message: describeFailure(e).message };
      settle(undefined);
    });
    return ready;
  }

  private async startDaemon(): Promise<DaemonClient | undefined> {
    const { settings, problems } = readSettings();
    for (const p of problems) this.output.warn(p);
    const found = findServer(settings.server.command, settings.server.args, this.extension.extensionPath);
    if (!found.ok) {
      this.output.error(found.message);
      if (found.tried.length) this.output.info(`Looked for the daemon at:\n  ${found.tried.slice(0, 40).join("\n  ")}`);
      this.daemon = { state: "failed", message: found.message };
      return undefined;
    }
    const spec = found.spec;
    this.output.info(`Starting the daemon (${spec.source}): ${describeSpec(spec)}`);
    let client: DaemonClient;
    try {
      client = await DaemonClient.start(spec, this.output, workspaceFolderPaths()[0]);
    } catch (e) {
      const message = describeFailure(e).message;
      this.output.error(message);
      this.daemon = { state: "failed", message };
      return undefined;
    }
    if (this.daemon.state !== "starting") {
      // stop() was called while starting.
      await client.stop();
      return undefined;
    }
    this.daemon = { state: "running", client };
    client.onDidChangeRunning((state) => this.onClientStateChanged(client, state));
    this.output.info("The daemon is running.");
    void this.reloadModel();
    return client;
  }

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

  /** After a (re)start: the last model loaded, else the `unitscope.checkpoint` setting. */
  private async loadInitialModel(): Promise<void> {
    let params = this.lastLoad;
    if (!params) {
      const { settings } = readSettings();
      if (!settings.checkpoint) return;
      const file = resolvePath(settings.checkpoint);
      if (!file) {
        this.output.warn(`unitscope.checkpoint "${settings.checkpoint}" is relative, but no folder is open.`);
        return;
      }
      params = loadModelParams(file, undefined, settings);
    }
    const load = params;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `UnitScope: loading ${load.path}` },
      async () => {
        try {
          await this.loadModel(load);
        } catch (e) {
          const failure = describeFailure(e);
          if (failure.cancelled || e instanceof DaemonUnavailable) return;
          this.output.error(`Could not load ${load.path}: ${failure.message}`);
          void vscode.window.showErrorMessage(`UnitScope could not load ${load.path}: ${failure.message}`);
        }
      },
    );
  }

  private onClientStateChanged(client: DaemonClient, state: "running" | "stopped"): void {
    const d = this.daemon;
    if (d.state !== "running" || d.client !== client) return;
    // Either way the daemon process is new or gone, and with it every loaded model.
    this.setActiveModel(undefined);
    if (state === "running") {
      this.output.warn("The daemon restarted; reloading the model.");
      void this.reloadModel();
    } else {
      const message = "The UnitScope daemon stopped (it crashed repeatedly).";
      this.daemon = { state: "failed", message };
      this.output.error(message);
      void vscode.window.showErrorMessage(message, "Restart daemon", "Show log").then((choice) => {
        if (choice === "Restart daemon") void this.restart();
        else if (choice === "Show log") this.output.show(true);
      });
    }
  }

  private unavailableMessage(): string {
    return this.daemon.state === "failed" ? this.daemon.message : "The UnitScope daemon is not running.";
  }

  /** Tells the user the daemon is unavailable, offering the settings, the log and a retry. */
  reportUnavailable(): void {
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
