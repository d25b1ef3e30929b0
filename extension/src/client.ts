// The language client that runs the daemon over stdio. It forwards didOpen/didChange/didClose and
// hover for Python and C# files (the daemon resolves hovers itself) and carries the typed
// `unitscope/*` requests.

import { spawn, type ChildProcess } from "node:child_process";
import * as readline from "node:readline";
import type { Readable } from "node:stream";
import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  ProgressType,
  RevealOutputChannelOn,
  State,
  type ErrorHandler,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import { daemonLogLine } from "./daemonLog";
import { startFailureMessage } from "./errors";
import { hoverTrust } from "./hoverTrust";
import type { RequestFn } from "./rpc";
import { describeSpec, type ServerSpec } from "./serverDiscovery";

export const DOCUMENT_SELECTOR = [
  { scheme: "file", language: "python" },
  { scheme: "file", language: "csharp" },
];

/** Restarts after a crash allowed within RESTART_WINDOW_MS before the client gives up. */
const MAX_RESTARTS = 2;
const RESTART_WINDOW_MS = 3 * 60 * 1000;

/**
 * A LanguageClient whose own failures go to the log only: some of them would otherwise pop up
 * as notifications even with RevealOutputChannelOn.Never, next to the one Ctx shows (which
 * says what to do about it).
 */
class QuietLanguageClient extends LanguageClient {
  override error(message: string, data?: unknown, _showNotification?: boolean | "force"): void {
    super.error(message, data, false);
  }
}

/** Each line of a stream, to the log at the daemon's own level. */
function logLines(input: Readable, output: vscode.LogOutputChannel): void {
  readline.createInterface({ input, crlfDelay: Infinity, terminal: false }).on("line", (line) => {
    const { level, text } = daemonLogLine(line);
    output[level](text);
  });
}

/** Never restart a daemon that did not come up; restart a crashed one a few times. */
function errorHandler(isStarted: () => boolean): ErrorHandler {
  const restarts: number[] = [];
  return {
    error: (_error, _message, count) => ({
      action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
      handled: true,
    }),
    closed: () => {
      if (!isStarted()) return { action: CloseAction.DoNotRestart, handled: true };
      const now = Date.now();
      while (restarts.length && now - restarts[0]! > RESTART_WINDOW_MS) restarts.shift();
      restarts.push(now);
      return {
        action: restarts.length <= MAX_RESTARTS ? CloseAction.Restart : CloseAction.DoNotRestart,
        handled: true,
      };
    },
  };
}

/** What the last daemon process did: for a message that says why it did not start. */
class ProcessWatch {
  exit: string | undefined;
  readonly stderrTail: string[] = [];
  private exited: Promise<void> = Promise.resolve();
  private process: ChildProcess | undefined;

  /** Starts the daemon process (the LanguageClient reads and writes its stdio). */
  async spawn(spec: ServerSpec, cwd: string | undefined): Promise<ChildProcess> {
    this.exit = undefined;
    this.stderrTail.length = 0;
    const cp = spawn(spec.command, spec.args, { cwd, stdio: "pipe", env: process.env });
    this.process = cp;
    cp.stderr?.on("data", (chunk: Buffer) => {
      this.stderrTail.push(...chunk.toString("utf8").split(/\r?\n/));
      this.stderrTail.splice(0, Math.max(0, this.stderrTail.length - 20));
    });
    this.exited = new Promise((resolve) =>
      cp.once("exit", (code, signal) => {
        this.exit = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        resolve();
      }),
    );
    await new Promise<void>((resolve, reject) => {
      cp.once("spawn", () => resolve());
      cp.once("error", reject);
    });
    return cp;
  }

  /** Waits (briefly) for the process to end, so its exit code can be told. */
  settle(ms: number): Promise<void> {
    return Promise.race([this.exited, new Promise<void>((r) => setTimeout(r, ms))]);
  }

  /** After shutdown/exit: gives the process `ms` to end on its own, then kills it. */
  async reap(ms: number): Promise<void> {
    await this.settle(ms);
    if (this.process && this.exit === undefined) this.process.kill();
  }
}

export class DaemonClient implements vscode.Disposable {
  private readonly stateChanged = new vscode.EventEmitter<"running" | "stopped">();
  /** Fires when the client restarts the daemon after a crash ("running") or gives up ("stopped"). */
  readonly onDidChangeRunning = this.stateChanged.event;
  private readonly subscription: vscode.Disposable;

  private constructor(
    private readonly client: LanguageClient,
    private readonly watch: ProcessWatch,
  ) {
    this.subscription = client.onDidChangeState((e) => {
      if (e.newState === State.Running) this.stateChanged.fire("running");
      else if (e.newState === State.Stopped || e.newState === State.StartFailed) this.stateChanged.fire("stopped");
    });
  }

  /** Starts the daemon and completes the LSP handshake; rejects, saying why, when either fails. */
  static async start(spec: ServerSpec, output: vscode.LogOutputChannel, cwd: string | undefined): Promise<DaemonClient> {
    const watch = new ProcessWatch();
    const serverOptions: ServerOptions = () => watch.spawn(spec, cwd);
    let started = false;
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      outputChannel: output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      // Ctx tells the user; the client should not retry a failed handshake.
      initializationFailedHandler: () => false,
      errorHandler: errorHandler(() => started),
      stdioOptions: { stdout: logLines, stderr: logLines },
      middleware: {
        // Our hovers link to our commands ("Dissect conv4", "Open dissection"): trust exactly those.
        provideHover: async (document, position, token, next) => {
          const hover = await next(document, position, token);
          for (const content of hover?.contents ?? []) {
            if (content instanceof vscode.MarkdownString) content.isTrusted = hoverTrust();
          }
          return hover;
        },
      },
    };
    const client = new QuietLanguageClient("unitscope", "UnitScope daemon", serverOptions, clientOptions);
    try {
      await client.start();
    } catch (e) {
      await client.dispose().catch(() => undefined);
      await watch.settle(1000);
      throw new Error(
        startFailureMessage({
          commandLine: describeSpec(spec),
          command: spec.command,
          error: e,
          exit: watch.exit,
          stderrTail: watch.stderrTail,
        }),
      );
    }
    started = true;
    return new DaemonClient(client, watch);
  }

  get isRunning(): boolean {
    return this.client.state === State.Running;
  }

  /** A UnitScope request, typed by the generated protocol. */
  readonly request: RequestFn = (method, params, token) =>
    // Never pass an `undefined` token: the client would send it as a second positional parameter
    // (`"params": [params, null]`), which the daemon rightly rejects.
    token === undefined
      ? this.client.sendRequest(method, params)
      : this.client.sendRequest(method, params, token as vscode.CancellationToken);

  /** Subscribes to `$/progress` notifications on one token (work-done progress or partial results). */
  onProgress(token: string, handler: (value: unknown) => void): vscode.Disposable {
    return this.client.onProgress(new ProgressType<unknown>(), token, handler);
  }

  /** Shuts the daemon down (LSP shutdown + exit). */
  async stop(): Promise<void> {
    this.subscription.dispose();
    this.stateChanged.dispose();
    if (this.client.state !== State.Stopped) await this.client.stop(5000).catch(() => undefined);
    await this.client.dispose().catch(() => undefined);
    await this.watch.reap(2000);
  }

  dispose(): void {
    void this.stop();
  }
}
