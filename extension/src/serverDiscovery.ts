// Finding the command that starts the UnitScope daemon. Pure: the file system and the
// environment come in through `DiscoveryEnv`, so every case is unit-tested in node.

import * as path from "node:path";

/** How to start the daemon. */
export interface ServerSpec {
  command: string;
  args: string[];
  /** Where the command came from, for the log and error messages. */
  source: "settings" | "path" | "tool" | "build";
}

export type Discovery = { ok: true; spec: ServerSpec } | { ok: false; message: string; tried: string[] };

export interface DiscoveryEnv {
  platform: NodeJS.Platform;
  /** The PATH environment variable. */
  pathEnv: string;
  /** Workspace folders, in order. */
  workspaceFolders: readonly string[];
  /** The extension's own directory; its parent is searched as the repository it was built in. */
  extensionPath: string;
  /** Modification time in ms of a regular file, undefined when there is none. */
  fileMtime(file: string): number | undefined;
  /** The `dotnet` that runs a `.dll` (the `unitscope.server.dotnetPath` setting); default "dotnet". */
  dotnet?: string;
  /** The user's home: `dotnet tool install -g` puts `unitscope` in ~/.dotnet/tools, which a desktop
   * session's PATH often lacks (the SDK adds it in login shells only). */
  home?: string;
}

/** Where `dotnet tool install -g` puts a tool's command, relative to the home folder. */
export const GLOBAL_TOOLS = ".dotnet/tools";

/** Where a `dotnet build` of the CLI leaves the daemon, relative to a repository root. */
export const BUILD_OUTPUTS: readonly string[] = [
  "server/UnitScope.Cli/bin/Debug/net10.0/unitscope.dll",
  "server/UnitScope.Cli/bin/Release/net10.0/unitscope.dll",
];

export const SERVER_EXECUTABLE = "unitscope";

/**
 * The daemon command. With `command` set it wins (a `.dll` is run with `dotnet`, a relative
 * path is taken from the first workspace folder); otherwise `unitscope` on PATH; otherwise the
 * .NET global tool (~/.dotnet/tools/unitscope); otherwise the newest CLI build output under a
 * workspace folder or the extension's parent repository.
 */
export function discoverServer(command: string, args: readonly string[], env: DiscoveryEnv): Discovery {
  const p = env.platform === "win32" ? path.win32 : path.posix;
  const tried: string[] = [];

  if (command) {
    let resolved = command;
    const looksLikePath = command.includes("/") || (env.platform === "win32" && command.includes("\\"));
    if (looksLikePath && !p.isAbsolute(command)) {
      const root = env.workspaceFolders[0];
      if (!root) {
        return { ok: false, message: `unitscope.server.command "${command}" is relative, but no folder is open.`, tried: [command] };
      }
      resolved = p.resolve(root, command);
    }
    if (resolved.toLowerCase().endsWith(".dll")) {
      if (env.fileMtime(resolved) === undefined) {
        return { ok: false, message: `unitscope.server.command: ${resolved} does not exist.`, tried: [resolved] };
      }
      return { ok: true, spec: { command: env.dotnet || "dotnet", args: [resolved, ...args], source: "settings" } };
    }
    return { ok: true, spec: { command: resolved, args: [...args], source: "settings" } };
  }

  const onPath = findOnPath(SERVER_EXECUTABLE, env, tried);
  if (onPath) return { ok: true, spec: { command: onPath, args: [...args], source: "path" } };

  if (env.home) {
    const tool = p.join(env.home, ...GLOBAL_TOOLS.split("/"), env.platform === "win32" ? `${SERVER_EXECUTABLE}.exe` : SERVER_EXECUTABLE);
    tried.push(tool);
    if (env.fileMtime(tool) !== undefined) return { ok: true, spec: { command: tool, args: [...args], source: "tool" } };
  }

  const roots = uniq([...env.workspaceFolders, p.dirname(env.extensionPath)]);
  let best: { file: string; mtime: number } | undefined;
  for (const root of roots) {
    for (const rel of BUILD_OUTPUTS) {
      const file = p.join(root, ...rel.split("/"));
      tried.push(file);
      const mtime = env.fileMtime(file);
      if (mtime !== undefined && (!best || mtime > best.mtime)) best = { file, mtime };
    }
    // The first root with a build wins; a newer build in a later root does not override it.
    if (best) break;
  }
  if (best) return { ok: true, spec: { command: env.dotnet || "dotnet", args: [best.file, ...args], source: "build" } };

  return {
    ok: false,
    message:
      "The UnitScope daemon was not found: no unitscope on PATH or in ~/.dotnet/tools and no build of " +
      "server/UnitScope.Cli. Install it as a .NET tool (bash scripts/install-tool.sh in the repository), " +
      "or run dotnet build there, or set unitscope.server.command.",
    tried,
  };
}

function findOnPath(name: string, env: DiscoveryEnv, tried: string[]): string | undefined {
  const p = env.platform === "win32" ? path.win32 : path.posix;
  const sep = env.platform === "win32" ? ";" : ":";
  const names = env.platform === "win32" ? [`${name}.exe`, `${name}.cmd`, `${name}.bat`] : [name];
  for (const dir of env.pathEnv.split(sep)) {
    if (!dir) continue;
    for (const n of names) {
      const file = p.join(dir, n);
      tried.push(file);
      if (env.fileMtime(file) !== undefined) return file;
    }
  }
  return undefined;
}

function uniq(items: readonly string[]): string[] {
  return [...new Set(items)];
}

/** The command line as one string, for the log. */
export function describeSpec(spec: ServerSpec): string {
  return [spec.command, ...spec.args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(" ");
}
