// The language client that runs the daemon over stdio. It forwards didOpen/didChange/didClose and
// hover for Python and C# files (the daemon resolves hovers itself) and carries the typed
// `unitscope/*` requests.

import * as vscode from "vscode";
import {
  LanguageClient,
  RevealOutputChannelOn,
  State,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import type { RequestFn } from "./rpc";
import type { ServerSpec } from "./serverDiscovery";

export const DOCUMENT_SELECTOR = [
  { scheme: "file", language: "python" },
  { scheme: "file", language: "csharp" },
];

export class DaemonClient implements vscode.Disposable {
  private readonly stateChanged = new vscode.EventEmitter<"running" | "stopped">();
  /** Fires when the client restarts the daemon after a crash ("running") or gives up ("stopped"). */
  readonly onDidChangeRunning = this.stateChanged.event;
  private readonly subscription: vscode.Disposable;

  private constructor(private readonly client: LanguageClient) {
    this.subscription = client.onDidChangeState((e) => {
      if (e.newState === State.Running) this.stateChanged.fire("running");
      else if (e.newState === State.Stopped || e.newState === State.StartFailed) this.stateChanged.fire("stopped");
    });
  }

  /** Starts the daemon and completes the LSP handshake; rejects when either fails. */
  static async start(spec: ServerSpec, output: vscode.LogOutputChannel, cwd: string | undefined): Promise<DaemonClient> {
    const serverOptions: ServerOptions = {
      command: spec.command,
      args: spec.args,
      options: cwd ? { cwd } : {},
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      outputChannel: output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      // Our own commands tell the user; the client should not retry a failed handshake.
      initializationFailedHandler: () => false,
      connectionOptions: { maxRestartCount: 2 },
    };
    const client = new LanguageClient("unitscope", "UnitScope daemon", serverOptions, clientOptions);
    try {
      await client.start();
    } catch (e) {
      await client.dispose().catch(() => undefined);
      throw e;
    }
    return new DaemonClient(client);
  }

  get isRunning(): boolean {
    return this.client.state === State.Running;
  }

  /** A UnitScope request, typed by the generated protocol. */
  readonly request: RequestFn = (method, params, token) =>
    this.client.sendRequest(method, params, token as vscode.CancellationToken | undefined);

  /** Shuts the daemon down (LSP shutdown + exit). */
  async stop(): Promise<void> {
    this.subscription.dispose();
    this.stateChanged.dispose();
    if (this.client.state !== State.Stopped) await this.client.stop(5000).catch(() => undefined);
    await this.client.dispose().catch(() => undefined);
  }

  dispose(): void {
    void this.stop();
  }
}
