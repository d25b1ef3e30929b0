// The models this window has loaded into the daemon, with the parameters each was loaded with, so
// that a restarted daemon gets all of them back (the active one last, so it is active again).
// Pure: no `vscode` import.

import type { LoadModelParams, ModelInfo } from "./protocol.generated";

export interface LoadedModel {
  params: LoadModelParams;
  /** The daemon's model, with the path of the file this load named (the daemon reports the first file it read those bytes from). */
  info: ModelInfo;
  /** Other files loaded before with the same bytes (best.pth and last.pth): one model in the daemon, shown as this one. */
  sameBytesAs?: string[];
}

/** Two loads of the same file with the same options are the same model to the daemon. */
export function loadKey(params: LoadModelParams): string {
  return JSON.stringify([params.path, params.architecture ?? "", params.inputSize ?? [], params.mean ?? [], params.std ?? [], params.device ?? ""]);
}

export class ModelSet {
  /** In load order; the active one is `activeKey`. */
  private readonly models = new Map<string, LoadedModel>();
  private activeKey: string | undefined;

  /**
   * A successful load: the model is added (or refreshed) and becomes the active one. A file with the bytes
   * of one loaded before is the same model to the daemon: it replaces that entry, which it names as identical.
   */
  loaded(params: LoadModelParams, info: ModelInfo): void {
    const key = loadKey(params);
    const twins = this.all.filter((m) => m.info.modelId === info.modelId && loadKey(m.params) !== key);
    for (const twin of twins) this.models.delete(loadKey(twin.params));
    const sameBytesAs = [...new Set(twins.flatMap((t) => [t.params.path, ...(t.sameBytesAs ?? [])]))].filter((p) => p !== params.path);
    this.models.delete(key);
    this.models.set(key, { params, info: { ...info, path: params.path }, ...(sameBytesAs.length > 0 ? { sameBytesAs } : {}) });
    this.activeKey = key;
  }

  /** The model was unloaded: forgotten; the last loaded one left becomes active. */
  unloaded(modelId: string): void {
    for (const [key, m] of this.models) if (m.info.modelId === modelId) this.models.delete(key);
    if (this.activeKey !== undefined && !this.models.has(this.activeKey)) this.activeKey = [...this.models.keys()].pop();
  }

  /** The daemon is gone: the models are remembered (to reload) but none is active. */
  daemonGone(): void {
    this.activeKey = undefined;
  }

  get active(): LoadedModel | undefined {
    return this.activeKey === undefined ? undefined : this.models.get(this.activeKey);
  }

  get all(): LoadedModel[] {
    return [...this.models.values()];
  }

  byId(modelId: string): LoadedModel | undefined {
    return this.all.find((m) => m.info.modelId === modelId);
  }

  /** What to load after a restart: every model, the one that was active last. */
  replayOrder(previouslyActive: LoadModelParams | undefined): LoadModelParams[] {
    const all = this.all.map((m) => m.params);
    if (!previouslyActive) return all;
    const key = loadKey(previouslyActive);
    return [...all.filter((p) => loadKey(p) !== key), ...all.filter((p) => loadKey(p) === key)];
  }

  /** After a failed reload: forget the model (its file may be gone). */
  forget(params: LoadModelParams): void {
    const key = loadKey(params);
    this.models.delete(key);
    if (this.activeKey === key) this.activeKey = undefined;
  }

  get size(): number {
    return this.models.size;
  }
}
