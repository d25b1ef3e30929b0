// "UnitScope: Install daemon": runs the install command daemonInstall.ts chooses, its output in the
// "UnitScope Install" output channel (shown), with a cancellable progress notification; once it
// succeeds, the daemon is looked for again and started.

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as vscode from "vscode";
import { workspaceFolderPaths } from "./config";
import type { Ctx } from "./ctx";
import { installFailure, installPlan, type InstallPlan } from "./daemonInstall";

export const INSTALL_DAEMON_COMMAND = "unitscope.installDaemon";

export function registerDaemonInstall(ctx: Ctx): vscode.Disposable[] {
  let channel: vscode.OutputChannel | undefined;
  const output = () => (channel ??= vscode.window.createOutputChannel("UnitScope Install"));
  return [vscode.commands.registerCommand(INSTALL_DAEMON_COMMAND, () => installDaemon(ctx, output())), { dispose: () => channel?.dispose() }];
}

/** The plan for this window: a workspace checkout's install script, else the NuGet tool. */
export function currentInstallPlan(ctx: Ctx): InstallPlan {
  return installPlan({
    workspaceFolders: workspaceFolderPaths(),
    extensionPath: ctx.extension.extensionPath,
    fileExists: (file) => fs.existsSync(file),
  });
}

async function installDaemon(ctx: Ctx, output: vscode.OutputChannel): Promise<boolean> {
  const plan = currentInstallPlan(ctx);
  output.show(true);
  output.appendLine(`$ ${plan.display}`);
  ctx.output.info(`Installing the daemon: ${plan.display}`);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: "UnitScope: installing the daemon (see its output)…", cancellable: true },
    (_progress, token) => run(plan, output, token),
  );
  if (result.code !== 0) {
    const message = installFailure(plan, result, result.lastLine);
    output.appendLine(message);
    ctx.output.error(message);
    void vscode.window.showErrorMessage(message, "Show output").then((choice) => {
      if (choice) output.show(true);
    });
    return false;
  }
  output.appendLine("Installed. Looking for the daemon again and starting it.");
  const started = await ctx.restart();
  output.appendLine(started ? "The daemon is running." : `The daemon did not start: ${ctx.statusMessage ?? "see the UnitScope log"}`);
  if (started) void vscode.window.showInformationMessage("UnitScope: the daemon is installed and running.");
  return started;
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: string;
  lastLine?: string;
}

/** Runs the plan, its stdout and stderr into the channel line by line; cancel ends its process group. */
function run(plan: InstallPlan, output: vscode.OutputChannel, token: vscode.CancellationToken): Promise<RunResult> {
  return new Promise((resolve) => {
    let lastLine: string | undefined;
    const child = spawn(plan.command, plan.args, { cwd: plan.cwd, detached: process.platform !== "win32", stdio: ["ignore", "pipe", "pipe"] });
    const lines = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output.append(text);
      const last = text
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean)
        .at(-1);
      if (last) lastLine = last;
    };
    child.stdout.on("data", lines);
    child.stderr.on("data", lines);
    const cancel = token.onCancellationRequested(() => {
      output.appendLine("Cancelled.");
      try {
        if (child.pid) process.kill(process.platform === "win32" ? child.pid : -child.pid, "SIGTERM");
      } catch {
        /* already gone */
      }
    });
    child.once("error", (e) => {
      cancel.dispose();
      resolve({ code: null, signal: null, error: e.message });
    });
    child.once("close", (code, signal) => {
      cancel.dispose();
      resolve({ code, signal, lastLine });
    });
  });
}
