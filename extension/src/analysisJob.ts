// Long analyses show in two places while they run: a progress notification with Cancel, and the
// UnitScope view's Jobs section with its own Cancel. One helper, so that every analysis is listed
// (an ablation of two and a half minutes once ran while the Jobs view said nothing was running).

import * as vscode from "vscode";
import { runAnalysis, type AnalysisCallbacks, type AnalysisMethod } from "./analysisRun";
import { DaemonUnavailable, type Ctx } from "./ctx";
import type { RequestParams, RequestResult } from "./protocol.generated";

/**
 * Runs `method` on the daemon with a notification titled `title` ("UnitScope: ablating …") and a job
 * named after it; `callbacks.report` sees each progress step too. `alsoCancelledBy` stops it as well
 * (a panel's Stop button). Rejects as the request did; with DaemonUnavailable when the daemon is down.
 */
export async function runAnalysisJob<M extends AnalysisMethod>(
  ctx: Ctx,
  title: string,
  method: M,
  params: Omit<RequestParams<M>, "workDoneToken" | "partialResultToken">,
  callbacks: Partial<AnalysisCallbacks<M>> = {},
  alsoCancelledBy?: vscode.CancellationToken,
): Promise<RequestResult<M>> {
  const cancel = new vscode.CancellationTokenSource();
  const links = alsoCancelledBy ? [alsoCancelledBy.onCancellationRequested(() => cancel.cancel())] : [];
  const job = ctx.jobs.start(jobTitle(title), () => cancel.cancel());
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      links.push(token.onCancellationRequested(() => cancel.cancel()));
      const client = await ctx.progressClient();
      if (!client) throw new DaemonUnavailable("The UnitScope daemon is not running.");
      return runAnalysis(
        client,
        method,
        params,
        {
          report: (step) => {
            progress.report(step);
            job.report(step);
            callbacks.report?.(step);
          },
          ...(callbacks.partial ? { partial: callbacks.partial } : {}),
        },
        cancel.token,
      );
    });
  } finally {
    job.end();
    for (const link of links) link.dispose();
    cancel.dispose();
  }
}

/** "UnitScope: ablating unit 3 of conv2" → "Ablating unit 3 of conv2". */
export function jobTitle(notificationTitle: string): string {
  const text = notificationTitle.replace(/^UnitScope:\s*/, "");
  return text.charAt(0).toUpperCase() + text.slice(1);
}
