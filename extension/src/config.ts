// The `unitscope.*` settings as the extension reads them from VS Code. Parsing and validation
// live in settings.ts; this file only connects it to the workspace configuration.

import * as fs from "node:fs";
import * as os from "node:os";
import * as vscode from "vscode";
import { discoverServer, type Discovery } from "./serverDiscovery";
import { parseSettings, PROBE_DATASET, resolveSettingPath, type ParsedSettings } from "./settings";

export const SECTION = "unitscope";

export function readSettings(): ParsedSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  return parseSettings((key) => config.get(key));
}

export function workspaceFolderPaths(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === "file").map((f) => f.uri.fsPath);
}

/** The absolute path of a path-valued setting (see settings.resolveSettingPath). */
export function resolvePath(raw: string): string | undefined {
  return resolveSettingPath(raw, workspaceFolderPaths(), os.homedir());
}

/** Where the daemon is, from the settings and this machine. */
export function findServer(command: string, args: readonly string[], extensionPath: string, dotnet = "dotnet"): Discovery {
  return discoverServer(command, args, {
    dotnet,
    platform: process.platform,
    pathEnv: process.env.PATH ?? "",
    workspaceFolders: workspaceFolderPaths(),
    extensionPath,
    home: os.homedir(),
    fileMtime: (file) => {
      try {
        const st = fs.statSync(file);
        return st.isFile() ? st.mtimeMs : undefined;
      } catch {
        return undefined;
      }
    },
  });
}

/**
 * Whether a configuration change needs the daemon restarted: how it is started or reached, its
 * cache folder and image limit, the dataset hovers and code lenses show. (Device, input size, mean and std apply
 * to the next load; the checkpoint glob to the view at once.)
 */
export function affectsServer(e: vscode.ConfigurationChangeEvent): boolean {
  return ["server", "cacheDirectory", "dissection.dataset", "maxImagePixels"].some((key) => e.affectsConfiguration(`${SECTION}.${key}`));
}

export async function openSettings(): Promise<void> {
  await vscode.commands.executeCommand("workbench.action.openSettings", `@ext:unitscope.unitscope`);
}

/** The dissection dataset to send with requests: undefined for the built-in probe set, else the resolved folder. */
export function dissectionDataset(): string | undefined {
  const { dataset } = readSettings().settings;
  if (dataset === PROBE_DATASET) return undefined;
  return resolvePath(dataset) ?? dataset;
}
