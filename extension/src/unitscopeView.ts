// The "UnitScope" activity-bar view: loaded models and their layers (with dissection counts and a
// context menu: dissect, open dissection, ablate, unit map), the workspace's checkpoints matching
// `unitscope.checkpointGlob` (click to load; a folder's checkpoints grouped as a training run, with
// "Show training run" and "Compare with…" on the context menu; a file watcher refreshes the list as
// training writes them, and each checkpoint of a followed run shows its background summary), and
// running jobs with progress and a cancel action.

import * as path from "node:path";
import * as vscode from "vscode";
import type { RunFollowing } from "./evolution/runFollowing";
import { groupRuns, type CheckpointFile, type CheckpointTreeItem } from "./evolution/runGroups";
import { summaryText } from "./evolution/runSummaries";
import { SECTION, readSettings } from "./config";
import type { Ctx } from "./ctx";
import { describeFailure } from "./errors";
import { describeJob, type Job } from "./jobs";
import { ago, checkpointDescription, dissectedCounts, layerItem, layerNodes, modelItem, type LayerNode, type ModelNode } from "./viewItems";

export const VIEW_IDS = { models: "unitscope.models", checkpoints: "unitscope.checkpoints", jobs: "unitscope.jobs" } as const;

type ModelTreeNode = ModelNode | LayerNode;

class ModelsProvider implements vscode.TreeDataProvider<ModelTreeNode> {
  private readonly changed = new vscode.EventEmitter<ModelTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** Default-dissection counts per model id. */
  private readonly counts = new Map<string, Map<string, { labelled: number; units: number }>>();

  constructor(private readonly ctx: Ctx) {}

  refresh(): void {
    this.counts.clear();
    this.changed.fire(undefined);
  }

  getTreeItem(node: ModelTreeNode): vscode.TreeItem {
    if (node.kind === "model") {
      const v = modelItem(node);
      const item = new vscode.TreeItem(v.label, node.active ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
      Object.assign(item, { description: v.description, tooltip: v.tooltip, contextValue: v.contextValue, id: `model:${node.modelId}` });
      item.iconPath = new vscode.ThemeIcon(v.icon);
      if (!node.active) item.command = { command: "unitscope.switchModel", title: "Make active", arguments: [{ modelId: node.modelId }] };
      return item;
    }
    const v = layerItem(node);
    const item = new vscode.TreeItem(v.label, vscode.TreeItemCollapsibleState.None);
    Object.assign(item, { description: v.description, tooltip: v.tooltip, contextValue: v.contextValue, id: `layer:${node.modelId}:${node.layer}` });
    item.iconPath = new vscode.ThemeIcon(v.icon);
    item.accessibilityInformation = { label: `${v.label}, ${v.description}` };
    if (node.dissected)
      item.command = { command: "unitscope.openDissection", title: "Open dissection", arguments: [{ modelId: node.modelId, layer: node.layer }] };
    return item;
  }

  async getChildren(node?: ModelTreeNode): Promise<ModelTreeNode[]> {
    if (!node) {
      const active = this.ctx.activeModel?.modelId;
      return this.ctx.loadedModels.map((m) => ({
        kind: "model",
        modelId: m.info.modelId,
        info: m.info,
        active: m.info.modelId === active,
        ...(m.sameBytesAs ? { sameBytesAs: m.sameBytesAs } : {}),
      }));
    }
    if (node.kind !== "model") return [];
    return layerNodes(node.info, await this.countsOf(node.modelId));
  }

  private async countsOf(modelId: string): Promise<Map<string, { labelled: number; units: number }>> {
    const known = this.counts.get(modelId);
    if (known) return known;
    let counts = new Map<string, { labelled: number; units: number }>();
    try {
      counts = dissectedCounts((await this.ctx.request("unitscope/dissectedLayers", { modelId })).layers);
    } catch (e) {
      this.ctx.output.warn(`view: dissectedLayers of ${modelId}: ${describeFailure(e).message}`);
    }
    this.counts.set(modelId, counts);
    return counts;
  }
}

class CheckpointsProvider implements vscode.TreeDataProvider<CheckpointTreeItem> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private watcher: vscode.FileSystemWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: Ctx,
    private readonly following?: RunFollowing,
  ) {
    this.watch();
  }

  /** (Re)creates the watcher for the current glob. */
  watch(): void {
    this.watcher?.dispose();
    const glob = readSettings().settings.checkpointGlob;
    this.watcher = vscode.workspace.createFileSystemWatcher(glob);
    const later = (uri: vscode.Uri) => {
      this.refreshSoon();
      this.following?.fileChanged(uri.fsPath);
    };
    this.watcher.onDidCreate(later);
    this.watcher.onDidDelete(later);
    this.watcher.onDidChange(later);
    this.changed.fire();
  }

  /** Training writes checkpoints in bursts: one refresh after they settle. */
  refreshSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.changed.fire(), 300);
  }

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(node: CheckpointTreeItem): vscode.TreeItem {
    if (node.kind === "run") {
      const uri = vscode.Uri.file(node.folder);
      // Open at first, so a checkpoint that lands while training shows; VS Code keeps the user's choice per id after.
      const item = new vscode.TreeItem(vscode.workspace.asRelativePath(uri, true), vscode.TreeItemCollapsibleState.Expanded);
      item.id = `run:${node.folder}`;
      item.description = `${node.files.length} checkpoints · ${ago(Date.now() - node.mtime)}`;
      const followed = this.following?.runOf(node.folder);
      item.tooltip =
        `${node.folder}\nA training run: ${node.files.length} checkpoints. Right-click: Show training run.` +
        (followed ? `\nFollowed: each new checkpoint is summarised in the background (${followed.layers.join(", ")}).` : "");
      item.contextValue = "checkpointRun";
      item.iconPath = new vscode.ThemeIcon("history");
      return item;
    }
    const uri = vscode.Uri.file(node.path);
    const loaded = this.ctx.loadedModels.some((m) => [m.info.path, ...(m.sameBytesAs ?? [])].some((p) => path.resolve(p) === node.path));
    const item = new vscode.TreeItem(vscode.workspace.asRelativePath(uri, true), vscode.TreeItemCollapsibleState.None);
    item.resourceUri = uri;
    const summary = this.following?.summaryOf(node.path);
    const summarising = !summary && this.following?.isPending(node.path);
    item.description = [
      checkpointDescription(node.size, node.mtime, Date.now(), loaded),
      ...(summary ? [summaryText(summary)] : summarising ? ["summarising…"] : []),
    ].join(" · ");
    item.tooltip = `${node.path}\nClick to load it (architecture detected from its parameters). Right-click: Compare with…`;
    item.contextValue = "checkpoint";
    item.iconPath = new vscode.ThemeIcon(loaded ? "pass-filled" : "package");
    item.command = { command: "unitscope.loadCheckpointFile", title: "Load checkpoint", arguments: [uri] };
    return item;
  }

  async getChildren(node?: CheckpointTreeItem): Promise<CheckpointTreeItem[]> {
    if (node) return node.kind === "run" ? node.files.map((f) => ({ kind: "checkpoint" as const, ...f })) : [];
    const glob = readSettings().settings.checkpointGlob;
    const uris = await vscode.workspace.findFiles(glob, "**/{node_modules,.git}/**", 500);
    const files = await Promise.all(
      uris.map(async (uri) => {
        try {
          const st = await vscode.workspace.fs.stat(uri);
          return { path: uri.fsPath, size: st.size, mtime: st.mtime };
        } catch {
          return undefined;
        }
      }),
    );
    // A folder's checkpoints are a run; newest first: the checkpoint training just wrote is on top.
    return groupRuns(files.filter((f): f is CheckpointFile => f !== undefined));
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.dispose();
  }
}

class JobsProvider implements vscode.TreeDataProvider<Job> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly ctx: Ctx) {}

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(job: Job): vscode.TreeItem {
    const item = new vscode.TreeItem(job.title, vscode.TreeItemCollapsibleState.None);
    item.id = `job:${job.id}`;
    item.description = describeJob(job);
    item.tooltip = `${job.title}\n${describeJob(job) || "starting…"}`;
    item.contextValue = job.cancellable && !job.cancelled ? "job.cancellable" : "job";
    item.iconPath = new vscode.ThemeIcon("sync~spin");
    return item;
  }

  getChildren(job?: Job): Job[] {
    return job ? [] : this.ctx.jobs.all;
  }
}

export function registerView(ctx: Ctx, following?: RunFollowing): vscode.Disposable {
  const models = new ModelsProvider(ctx);
  const checkpoints = new CheckpointsProvider(ctx, following);
  // A reopened workspace: the runs it follows show their stored summaries at once.
  if (following && following.runs.length > 0) void following.listAll();
  const jobs = new JobsProvider(ctx);
  const jobsView = vscode.window.createTreeView(VIEW_IDS.jobs, { treeDataProvider: jobs });
  const updateJobsBadge = () => {
    const n = ctx.jobs.all.length;
    jobsView.badge = n > 0 ? { value: n, tooltip: `${n} UnitScope job${n === 1 ? "" : "s"} running` } : undefined;
    jobsView.message = n === 0 ? "No analysis is running." : undefined;
  };
  updateJobsBadge();
  const jobListener = ctx.jobs.onDidChange(() => {
    jobs.refresh();
    updateJobsBadge();
  });
  return vscode.Disposable.from(
    vscode.window.createTreeView(VIEW_IDS.models, { treeDataProvider: models, showCollapseAll: true }),
    vscode.window.createTreeView(VIEW_IDS.checkpoints, { treeDataProvider: checkpoints }),
    jobsView,
    checkpoints,
    { dispose: () => jobListener.dispose() },
    ...(following ? [following.onDidChange(() => checkpoints.refresh())] : []),
    ctx.onDidChangeModels(() => {
      models.refresh();
      checkpoints.refresh();
    }),
    ctx.onDidChangeResults(() => models.refresh()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.checkpointGlob`)) checkpoints.watch();
    }),
    vscode.commands.registerCommand("unitscope.refreshView", () => {
      models.refresh();
      checkpoints.refresh();
    }),
    vscode.commands.registerCommand("unitscope.cancelJob", (job?: Job) => {
      if (job && typeof job.id === "number") ctx.jobs.cancel(job.id);
    }),
  );
}
