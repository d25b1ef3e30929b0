// Runs the exporter as a child process of the user's Python, with cancellation (the process is
// killed) and its outcome parsed. No `vscode` import: the tests run it against real PyTorch.

import { spawn } from "node:child_process";
import { parseExporterOutput, type ExportError, type ExportResult } from "./importModelArgs";

export interface ExporterRun {
  outcome: ExportResult | ExportError;
  stderr: string;
  cancelled: boolean;
}

export interface RunOptions {
  cwd: string;
  /** Cancelled: the process is sent SIGTERM, then SIGKILL after `killAfterMs`. */
  cancel?: { isCancellationRequested: boolean; onCancellationRequested(listener: () => void): { dispose(): void } };
  /** Each chunk of stderr as it comes (the output channel shows the user's prints live). */
  onStderr?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
  killAfterMs?: number;
}

/** Keeps the last `limit` characters of a stream. */
function tail(limit: number) {
  let text = "";
  return {
    add(chunk: string) {
      text += chunk;
      if (text.length > limit * 2) text = text.slice(-limit);
    },
    get value() {
      return text.length > limit ? text.slice(-limit) : text;
    },
  };
}

export function runExporter(python: string, args: readonly string[], options: RunOptions): Promise<ExporterRun> {
  return new Promise((resolve) => {
    const stdout = tail(4 << 20);
    const stderr = tail(256 << 10);
    let cancelled = false;
    let spawnError: Error | undefined;
    // PYTHONUNBUFFERED: the user's prints reach the output channel as they happen.
    const child = spawn(python, [...args], {
      cwd: options.cwd,
      env: { ...(options.env ?? process.env), PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      windowsHide: true,
    });
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (d: string) => stdout.add(d));
    child.stderr.on("data", (d: string) => {
      stderr.add(d);
      options.onStderr?.(d);
    });
    let killTimer: NodeJS.Timeout | undefined;
    const cancel = () => {
      if (cancelled || child.exitCode !== null) return;
      cancelled = true;
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), options.killAfterMs ?? 2000);
      killTimer.unref();
    };
    const subscription = options.cancel?.onCancellationRequested(cancel);
    if (options.cancel?.isCancellationRequested) cancel();
    child.on("error", (e) => {
      spawnError = e;
    });
    child.on("close", (code, signal) => {
      subscription?.dispose();
      if (killTimer) clearTimeout(killTimer);
      if (spawnError) {
        resolve({
          outcome: { ok: false, kind: "process", message: spawnError.message },
          stderr: stderr.value,
          cancelled,
        });
        return;
      }
      resolve({ outcome: parseExporterOutput(stdout.value, stderr.value, code, signal), stderr: stderr.value, cancelled });
    });
  });
}
