// The Checkpoints view's grouping: the checkpoints of one folder (two or more) are a training run,
// shown as one node with its files under it; a checkpoint alone in its folder stays a plain item.
// Newest first, runs by their newest file, so the run training writes to is on top. Pure (no
// `vscode` import).

import * as path from "node:path";

export interface CheckpointFile {
  path: string;
  size: number;
  mtime: number;
}

export interface RunGroup {
  kind: "run";
  folder: string;
  /** Newest first. */
  files: CheckpointFile[];
  /** Its newest file's time. */
  mtime: number;
}

export type CheckpointTreeItem = RunGroup | ({ kind: "checkpoint" } & CheckpointFile);

const newestFirst = (a: { mtime: number; path?: string; folder?: string }, b: { mtime: number; path?: string; folder?: string }) =>
  b.mtime - a.mtime || (a.path ?? a.folder ?? "").localeCompare(b.path ?? b.folder ?? "");

export function groupRuns(files: readonly CheckpointFile[]): CheckpointTreeItem[] {
  const byFolder = new Map<string, CheckpointFile[]>();
  for (const f of files) {
    const folder = path.dirname(f.path);
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), f]);
  }
  const items: CheckpointTreeItem[] = [];
  for (const [folder, inFolder] of byFolder) {
    const sorted = [...inFolder].sort(newestFirst);
    if (sorted.length >= 2) items.push({ kind: "run", folder, files: sorted, mtime: sorted[0]!.mtime });
    else items.push({ kind: "checkpoint", ...sorted[0]! });
  }
  return items.sort(newestFirst);
}

/** The run a command was given: a run node's folder, a folder, or a checkpoint file's folder. */
export function runFolderOf(arg: unknown, isDirectory: (p: string) => boolean): string | undefined {
  if (typeof arg === "object" && arg !== null && (arg as { kind?: unknown }).kind === "run" && typeof (arg as { folder?: unknown }).folder === "string")
    return (arg as RunGroup).folder;
  const fsPath =
    typeof arg === "string"
      ? arg
      : typeof arg === "object" && arg !== null && typeof (arg as { fsPath?: unknown }).fsPath === "string"
        ? (arg as { fsPath: string }).fsPath
        : undefined;
  if (!fsPath) return undefined;
  return isDirectory(fsPath) ? fsPath : path.dirname(fsPath);
}

/** The checkpoint file a command was given: a view item's or a Uri's path. */
export function checkpointPathOf(arg: unknown): string | undefined {
  if (typeof arg === "string") return arg;
  if (typeof arg !== "object" || arg === null) return undefined;
  const a = arg as { fsPath?: unknown; path?: unknown; kind?: unknown };
  if (typeof a.fsPath === "string") return a.fsPath;
  return a.kind === "checkpoint" && typeof a.path === "string" ? a.path : undefined;
}

/** The layers a run follows by default: the model's last two convolutions (the deepest say most about concepts). */
export function defaultRunLayers(layers: readonly { name: string; kind: string }[]): string[] {
  return layers
    .filter((l) => /conv/i.test(l.kind))
    .slice(-2)
    .map((l) => l.name);
}
