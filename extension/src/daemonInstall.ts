// What "Install daemon" runs when no daemon was found, and what the offer says. Pure: the file system
// comes in through `fileExists`, so the choice is unit-tested in node; daemonInstallRun.ts runs it.

import * as path from "node:path";

/** A command line and the folder it runs in. */
export interface InstallPlan {
  command: string;
  args: string[];
  /** Where it runs: the UnitScope checkout, or undefined for anywhere. */
  cwd?: string;
  /** The command line as the user would type it, for messages and the output. */
  display: string;
}

export interface InstallEnv {
  /** Workspace folders, in order. */
  workspaceFolders: readonly string[];
  /** The extension's own directory; its parent is a checkout when the extension runs from one. */
  extensionPath: string;
  fileExists(file: string): boolean;
}

/** The files that make a folder a UnitScope checkout that can install its own daemon. */
export const CHECKOUT_MARKERS: readonly string[] = ["scripts/install-tool.sh", "server/UnitScope.Cli/UnitScope.Cli.csproj"];

/** The tool package's id (server/UnitScope.Cli's PackageId). */
export const TOOL_PACKAGE = "UnitScope";

/**
 * In a UnitScope checkout (a workspace folder, else the folder the extension was built in):
 * `bash scripts/install-tool.sh` there, which packs this checkout's daemon and installs it as a .NET
 * global tool. Anywhere else: `dotnet tool install --global UnitScope` from the configured NuGet feeds.
 * Either way the command lands in ~/.dotnet/tools, where discovery looks.
 */
export function installPlan(env: InstallEnv): InstallPlan {
  const roots = [...new Set([...env.workspaceFolders, path.dirname(env.extensionPath)])];
  const checkout = roots.find((root) => CHECKOUT_MARKERS.every((m) => env.fileExists(path.join(root, ...m.split("/")))));
  if (checkout) return { command: "bash", args: ["scripts/install-tool.sh"], cwd: checkout, display: `bash scripts/install-tool.sh (in ${checkout})` };
  const args = ["tool", "install", "--global", TOOL_PACKAGE];
  return { command: "dotnet", args, display: `dotnet ${args.join(" ")}` };
}

/** The offer shown when no daemon was found: plain text (a notification shows no Markdown). */
export function installOffer(plan: InstallPlan): string {
  return `UnitScope needs its daemon, which is not installed. "Install daemon" runs ${plan.display} and shows its output, then starts the daemon.`;
}

/** The button that runs the plan. */
export const INSTALL_BUTTON = "Install daemon";

/** What the user is told when the command failed: its exit and its last line of output. */
export function installFailure(
  plan: InstallPlan,
  exit: { code: number | null; signal: NodeJS.Signals | null; error?: string },
  lastLine: string | undefined,
): string {
  const how = exit.error ? `could not run (${exit.error})` : exit.signal ? `was stopped (${exit.signal})` : `exited with status ${exit.code}`;
  return `Installing the UnitScope daemon failed: ${plan.display} ${how}${lastLine ? `: ${lastLine}` : "."}`;
}
