// The language client that runs the daemon over stdio. It forwards didOpen/didChange/didClose and
// hover for Python and C# files (the daemon resolves hovers itself) and carries the typed
// `unitscope/*` requests.

import { spawn, type ChildProcess } from "node:child_process";
import * as net from "node:net";
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
import { describeFailure, startFailureMessage } from "./errors";
import { hoverTrust } from "./hoverTrust";
import { INTERACTIVE_TIMEOUT_MS, TimeoutReporter, withTimeout, type InteractiveRequest } from "./requestTimeout";
import type { InitializationOptions, NotificationMethod, NotificationParams } from "./protocol.generated";
import type { RequestFn } from "./rpc";
import { describeSpec, type ServerSpec } from "./serverDiscovery";

export const DOCUMENT_SELECTOR = [
  { scheme: "file", language: "python" },
  { scheme: "file", language: "csharp" },
];

/** Where the daemon is: a process to start (stdio), or `unitscope serve --tcp` to connect to. */
export type DaemonTarget = { kind: "spawn"; spec: ServerSpec } | { kind: "tcp"; host: string; port: number; token: string };

/** What the daemon is told when it starts. */
export interface DaemonOptions {
  /** UNITSCOPE_CACHE for a daemon this window starts. */
  cacheDirectory?: string;
  /** UNITSCOPE_MAX_IMAGE_PIXELS for a daemon this window starts. */
  maxImagePixels?: number;
  /** The dissection dataset hovers and code lenses show ("probe" when absent). */
  dataset?: string;
}

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

/**
 * The client never restarts the daemon itself: Ctx starts a fresh one after a crash (with backoff,
 * up to a limit) and reloads the models the old one had.
 */
function errorHandler(): ErrorHandler {
  return {
    error: (_error, _message, count) => ({
      action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
      handled: true,
    }),
    closed: () => ({ action: CloseAction.DoNotRestart, handled: true }),
  };
}

/** What the last daemon process did: for a message that says why it did not start. */
class ProcessWatch {
  exit: string | undefined;
  readonly stderrTail: string[] = [];
  private exited: Promise<void> = Promise.resolve();
  process: ChildProcess | undefined;

  /** Starts the daemon process (the LanguageClient reads and writes its stdio). */
  async spawn(spec: ServerSpec, cwd: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<ChildProcess> {
    this.exit = undefined;
    this.stderrTail.length = 0;
    const cp = spawn(spec.command, spec.args, { cwd, stdio: "pipe", env });
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

  /** Starts (or connects to) the daemon and completes the LSP handshake; rejects, saying why, when either fails. */
  static async start(target: DaemonTarget, output: vscode.LogOutputChannel, cwd: string | undefined, options: DaemonOptions = {}): Promise<DaemonClient> {
    const watch = new ProcessWatch();
    const env = {
      ...process.env,
      ...(options.cacheDirectory ? { UNITSCOPE_CACHE: options.cacheDirectory } : {}),
      ...(options.maxImagePixels ? { UNITSCOPE_MAX_IMAGE_PIXELS: String(options.maxImagePixels) } : {}),
    };
    const serverOptions: ServerOptions = target.kind === "spawn" ? () => watch.spawn(target.spec, cwd, env) : () => connectTcp(target.host, target.port, watch);
    const initializationOptions: InitializationOptions = {
      ...(target.kind === "tcp" && target.token ? { token: target.token } : {}),
      ...(options.dataset ? { dataset: options.dataset } : {}),
    };
    const clientOptions: LanguageClientOptions = {
      initializationOptions,
      documentSelector: DOCUMENT_SELECTOR,
      outputChannel: output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      // Ctx tells the user; the client should not retry a failed handshake.
      initializationFailedHandler: () => false,
      errorHandler: errorHandler(),
      stdioOptions: { stdout: logLines, stderr: logLines },
      middleware: {
        // Our hovers link to our commands ("Dissect conv4", "Open dissection"): trust exactly those.
        provideHover: async (document, position, token, next) => {
          const hover = await interactive("hover", token, (t) => next(document, position, t));
          for (const content of hover?.contents ?? []) {
            if (content instanceof vscode.MarkdownString) content.isTrusted = hoverTrust();
          }
          return hover;
        },
        provideCodeLenses: (document, token, next) => interactive("codeLens", token, (t) => next(document, t)),
      },
    };
    const client = new QuietLanguageClient("unitscope", "UnitScope daemon", serverOptions, clientOptions);
    timeouts = new TimeoutReporter(output);
    try {
      await client.start();
    } catch (e) {
      await client.dispose().catch(() => undefined);
      await watch.settle(1000);
      if (target.kind === "tcp") {
        const reason = describeFailure(e).message;
        throw new Error(`Could not connect to the UnitScope daemon at ${target.host}:${target.port}: ${reason}`, { cause: e });
      }
      throw new Error(
        startFailureMessage({
          commandLine: describeSpec(target.spec),
          command: target.spec.command,
          error: e,
          exit: watch.exit,
          stderrTail: watch.stderrTail,
        }),
        { cause: e },
      );
    }
    return new DaemonClient(client, watch);
  }

  /** The daemon's process id, when this window started it. */
  get pid(): number | undefined {
    return this.watch.process?.pid;
  }

  /** "exited with code 1", "was killed by SIGKILL", once the process has ended. */
  get exitDescription(): string | undefined {
    return this.watch.exit;
  }

  get isRunning(): boolean {
    return this.client.state === State.Running;
  }

  /** A UnitScope request, typed by the generated protocol. */
  readonly request: RequestFn = (method, params, token) =>
    // Never pass an `undefined` token: the client would send it as a second positional parameter
    // (`"params": [params, null]`), which the daemon rightly rejects.
    token === undefined ? this.client.sendRequest(method, params) : this.client.sendRequest(method, params, token as vscode.CancellationToken);

  /** Subscribes to `$/progress` notifications on one token (work-done progress or partial results). */
  onProgress(token: string, handler: (value: unknown) => void): vscode.Disposable {
    return this.client.onProgress(new ProgressType<unknown>(), token, handler);
  }

  /** Subscribes to a notification the daemon sends (e.g. a followed run's checkpoint summarised). */
  onNotification<M extends NotificationMethod>(method: M, handler: (params: NotificationParams<M>) => void): vscode.Disposable {
    return this.client.onNotification(method, handler);
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

/** Reports requests that ran past their deadline (set when a client starts; one log per window). */
let timeouts: TimeoutReporter | undefined;

/**
 * A request the editor waits on (hover, code lenses) with a deadline: past it the request is cancelled
 * (`$/cancelRequest`) and the editor goes on without an answer.
 */
async function interactive<T>(
  kind: InteractiveRequest,
  token: vscode.CancellationToken,
  send: (token: vscode.CancellationToken) => vscode.ProviderResult<T>,
): Promise<T | undefined | null> {
  const source = new vscode.CancellationTokenSource();
  const forward = token.onCancellationRequested(() => source.cancel());
  try {
    return await withTimeout(Promise.resolve(send(source.token)), INTERACTIVE_TIMEOUT_MS[kind], () => {
      source.cancel();
      timeouts?.report(kind);
    });
  } finally {
    forward.dispose();
    source.dispose();
  }
}

/** Connects to `unitscope serve --tcp`; the LanguageClient reads and writes the socket. */
function connectTcp(host: string, port: number, watch: ProcessWatch): Promise<{ reader: net.Socket; writer: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.once("connect", () => {
      socket.once("close", () => (watch.exit = "closed the connection"));
      resolve({ reader: socket, writer: socket });
    });
    socket.once("error", reject);
  });
}
