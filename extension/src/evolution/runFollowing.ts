// The training runs this workspace follows ("Show training run" follows the run it showed; kept in
// the workspace state, so a reopened workspace follows them again). Whenever a followed run's folder
// changes (the Checkpoints view's watcher) the daemon is asked for the run's stored summaries and
// queues the rest (unitscope/followRun); each background summary arrives as a notification. The
// Checkpoints view shows them beside each file, an open Evolution panel of the same run takes them.

import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { readSettings } from "../config";
import type { Ctx } from "../ctx";
import { describeFailure } from "../errors";
import type { CheckpointSummarizedParams, CheckpointSummary, ModelInfo } from "../protocol.generated";
import { loadModelParams } from "../settings";
import { sameFolder, type FollowedRun } from "./runSummaries";

const STATE_KEY = "unitscope.followedRuns";
const CHECKPOINT_FILE = /\.(pth|pt|th|bin|safetensors|ckpt)$/i;

export class RunFollowing implements vscode.Disposable {
  /** Each checkpoint file's summary (every file with the same bytes shares one). */
  private readonly summaries = new Map<string, CheckpointSummary>();
  /** Files the daemon has queued and not yet announced. */
  private readonly pending = new Set<string>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly ctx: Ctx) {
    this.subscriptions = [this.changed, ctx.onDidSummarizeCheckpoint((p) => this.arrived(p))];
  }

  get runs(): FollowedRun[] {
    const raw = this.ctx.extension.workspaceState.get<unknown>(STATE_KEY);
    return Array.isArray(raw)
      ? raw.filter((r): r is FollowedRun => typeof r?.folder === "string" && Array.isArray(r.layers) && r.layers.every((l: unknown) => typeof l === "string"))
      : [];
  }

  /** The followed run a folder belongs to, if any. */
  runOf(folder: string): FollowedRun | undefined {
    return this.runs.find((r) => sameFolder(r.folder, folder));
  }

  summaryOf(file: string): CheckpointSummary | undefined {
    return this.summaries.get(path.resolve(file));
  }

  isPending(file: string): boolean {
    return this.pending.has(path.resolve(file));
  }

  /** Follows a run with these layers (replacing how it was followed before) and lists it now. */
  async follow(folder: string, layers: string[], model?: ModelInfo): Promise<void> {
    const runs = this.runs.filter((r) => !sameFolder(r.folder, folder));
    await this.ctx.extension.workspaceState.update(STATE_KEY, [...runs, { folder: path.resolve(folder), layers }]);
    await this.list(folder, model);
  }

  /** A file of the run changed (the view's watcher): list the run again once the burst settles. */
  fileChanged(file: string): void {
    const run = this.runOf(path.dirname(file));
    if (!run) return;
    const timer = this.timers.get(run.folder);
    if (timer) clearTimeout(timer);
    this.timers.set(
      run.folder,
      setTimeout(() => {
        this.timers.delete(run.folder);
        void this.list(run.folder);
      }, 500),
    );
  }

  /** Lists every followed run (the view opened, the daemon restarted). */
  async listAll(): Promise<void> {
    for (const run of this.runs) await this.list(run.folder);
  }

  private async list(folder: string, given?: ModelInfo): Promise<void> {
    const run = this.runOf(folder);
    if (!run) return;
    try {
      const model = given ?? (await this.reference(run.folder));
      if (!model) return;
      const result = await this.ctx.request("unitscope/followRun", { modelId: model.modelId, run: run.folder, layers: run.layers });
      for (const c of result.checkpoints) this.remember(c);
      for (const p of result.pending) this.pending.add(path.resolve(p));
      this.changed.fire();
    } catch (e) {
      this.ctx.output.warn(`Following ${run.folder}: ${describeFailure(e).message}`);
    }
  }

  /** A loaded checkpoint of the run (the active one first), else its newest file loaded as the reference. */
  private async reference(folder: string): Promise<ModelInfo | undefined> {
    const inRun = (m: { info: ModelInfo }) => path.dirname(path.resolve(m.info.path)) === path.resolve(folder);
    const active = this.ctx.activeModel;
    if (active && inRun({ info: active })) return active;
    const loaded = [...this.ctx.loadedModels].reverse().find(inRun);
    if (loaded) return loaded.info;
    const newest = newestCheckpoint(folder);
    return newest ? this.ctx.loadModel(loadModelParams(newest, undefined, readSettings().settings)) : undefined;
  }

  private remember(c: CheckpointSummary): void {
    for (const p of c.paths) {
      this.summaries.set(path.resolve(p), c);
      this.pending.delete(path.resolve(p));
    }
  }

  private arrived(p: CheckpointSummarizedParams): void {
    if (!this.runOf(p.run)) return;
    this.remember(p.checkpoint);
    this.changed.fire();
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const s of this.subscriptions) s.dispose();
  }
}

/** The folder's most recently written checkpoint file (the files the daemon takes as a run's). */
export function newestCheckpoint(folder: string): string | undefined {
  try {
    return fs
      .readdirSync(folder)
      .filter((f) => CHECKPOINT_FILE.test(f))
      .map((f) => ({ file: path.join(folder, f), stat: fs.statSync(path.join(folder, f)) }))
      .filter((f) => f.stat.isFile())
      .sort((a, b) => b.stat.mtimeMs - a.stat.mtimeMs)[0]?.file;
  } catch {
    return undefined;
  }
}
