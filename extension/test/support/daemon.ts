// The built daemon as a child process over stdio, typed by the generated protocol, as the language
// client uses it (shared by the *.daemon tests).

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import {
  createMessageConnection,
  ProgressType,
  StreamMessageReader,
  StreamMessageWriter,
  type CancellationToken,
  type MessageConnection,
} from "vscode-jsonrpc/node";
import type { ProgressClient } from "../../src/dissectRun";
import type { ModelInfo, NotificationMap, RequestMap } from "../../src/protocol.generated";
import type { RequestFn } from "../../src/rpc";
import { REPO_ROOT } from "./fixtures";

export const DLL = path.join(REPO_ROOT, "server/UnitScope.Cli/bin/Debug/net10.0/unitscope.dll");
export const SCRIPT = path.join(REPO_ROOT, "samples/train_smallcnn.py");
/** The checkpoint the sample script writes (the first that exists). */
export const CHECKPOINTS = ["tests/fixtures/models/smallcnn.pth", "samples/smallcnn.pth"].map((p) => path.join(REPO_ROOT, p));

/** Typed over the generated protocol, like the extension's own requests. */
export class Daemon {
  readonly stderr: string[] = [];
  /** The methods of the requests the daemon sent us, in order. */
  readonly serverRequests: string[] = [];
  private readonly connection: MessageConnection;
  private readonly exited: Promise<number | null>;

  constructor(private readonly proc: ChildProcessWithoutNullStreams) {
    proc.stderr.setEncoding("utf8");
    proc.stderr.on("data", (d: string) => this.stderr.push(d));
    // Writing to a daemon that died must fail the test, not crash mocha.
    proc.stdin.on("error", (e) => this.stderr.push(`[stdin] ${e.message}\n`));
    this.exited = new Promise((resolve) => proc.on("exit", (code) => resolve(code)));
    this.connection = createMessageConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
    // Server → client requests (e.g. window/workDoneProgress/create, workspace/codeLens/refresh) get an empty answer.
    this.connection.onRequest((method: string) => {
      this.serverRequests.push(method);
      return null;
    });
    this.connection.onNotification(() => undefined);
    this.connection.listen();
  }

  /** A request; rejects at once if the daemon exits before answering. */
  request<M extends keyof RequestMap>(method: M, params: RequestMap[M][0], token?: CancellationToken): Promise<RequestMap[M][1]> {
    const died = this.exited.then((code) => Promise.reject(new Error(`${method}: the daemon exited (code ${code}) before answering`)));
    // No params (shutdown) means no "params" member at all: JSON-RPC allows only objects/arrays there.
    // Never an undefined token: it would go out as a second positional parameter.
    const sent =
      params === undefined
        ? token === undefined
          ? this.connection.sendRequest<RequestMap[M][1]>(method)
          : this.connection.sendRequest<RequestMap[M][1]>(method, token)
        : token === undefined
          ? this.connection.sendRequest<RequestMap[M][1]>(method, params)
          : this.connection.sendRequest<RequestMap[M][1]>(method, params, token);
    return Promise.race([sent, died]);
  }

  /** `$/progress` on one token. */
  onProgress(token: string, handler: (value: unknown) => void): { dispose(): void } {
    return this.connection.onProgress(new ProgressType<unknown>(), token, handler);
  }

  notify<M extends keyof NotificationMap>(method: M, params: NotificationMap[M]): Promise<void> {
    return params === undefined ? this.connection.sendNotification(method) : this.connection.sendNotification(method, params);
  }

  /** LSP shutdown + exit; returns the exit code (killing the process if it does not exit). */
  async close(): Promise<number | null> {
    try {
      await withTimeout(this.request("shutdown", undefined), 10_000, "shutdown");
      await this.notify("exit", undefined);
    } catch {
      /* fall through to kill */
    }
    const code = await Promise.race([this.exited, delay(10_000).then(() => "timeout" as const)]);
    this.connection.dispose();
    if (code === "timeout") {
      this.proc.kill();
      return null;
    }
    return code;
  }

  log(): string {
    return this.stderr.join("").slice(-4000);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, delay(ms).then(() => Promise.reject(new Error(`${what}: no answer in ${ms} ms`)))]);
}

/** Starts `unitscope serve` with a cache folder of its own (removed by `removeCache`). */
export function startDaemon(): { daemon: Daemon; cache: string } {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), "unitscope-ext-cache-"));
  const proc = spawn("dotnet", [DLL, "serve"], { cwd: REPO_ROOT, stdio: "pipe", env: { ...process.env, UNITSCOPE_CACHE: cache } });
  return { daemon: new Daemon(proc), cache };
}

export function removeCache(cache: string): void {
  fs.rmSync(cache, { recursive: true, force: true });
}

/**
 * Initializes `daemon` as a client that takes work-done progress (rooted in the repository), loads
 * `checkpoint`, and gives the client the analysis commands use; a failure carries the daemon's stderr.
 */
export async function loadForAnalyses(daemon: Daemon, checkpoint: string): Promise<{ model: ModelInfo; client: ProgressClient }> {
  try {
    await withTimeout(
      daemon.request("initialize", { processId: process.pid, rootUri: pathToFileURL(REPO_ROOT).href, capabilities: { window: { workDoneProgress: true } } }),
      60_000,
      "initialize",
    );
    await daemon.notify("initialized", {});
    const model = await withTimeout(daemon.request("unitscope/loadModel", { path: checkpoint }), 120_000, "loadModel");
    const client: ProgressClient = {
      request: ((method, params, token) => daemon.request(method, params, token as never)) as RequestFn,
      onProgress: (token, handler) => daemon.onProgress(token, handler),
    };
    return { model, client };
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- daemon stderr ---\n${daemon.log()}`, { cause: e });
  }
}
