// The one typed way the extension talks to the daemon: method names and shapes come only from
// the generated protocol, so a wrong method, wrong params or a misread result fail `tsc`.

import type { RequestMethod, RequestParams, RequestResult } from "./protocol.generated";

/** The UnitScope requests the extension sends (the LSP ones are the language client's business). */
export type UnitScopeMethod = Extract<RequestMethod, `unitscope/${string}`>;

/** Structurally the same as `vscode.CancellationToken` (kept here so this file stays vscode-free). */
export interface CancelToken {
  readonly isCancellationRequested: boolean;
  readonly onCancellationRequested: (listener: (e: unknown) => unknown) => { dispose(): unknown };
}

/** Sends one request and resolves with its result; rejects with the daemon's JSON-RPC error. */
export type RequestFn = <M extends UnitScopeMethod>(method: M, params: RequestParams<M>, token?: CancelToken) => Promise<RequestResult<M>>;
