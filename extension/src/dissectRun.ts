// One `unitscope/dissect` request with LSP work-done progress and partial results on tokens the
// extension chooses: progress values become messages and percentage increments for a VS Code
// progress notification, each layer arrives as it completes, and the layers come back in the order
// asked. Pure (no `vscode` import): the client is passed in, so tests drive it with a fake.

import { randomBytes } from "node:crypto";
import type { DissectParams, DissectResult, LayerDissection } from "./protocol.generated";
import type { CancelToken, RequestFn } from "./rpc";
import { labelledSummary } from "./dissectionTable";
import { isLayerDissection } from "./dissectionMessages";

/** The part of the language client a run needs. */
export interface ProgressClient {
  request: RequestFn;
  /** Subscribes to `$/progress` on one token. */
  onProgress(token: string, handler: (value: unknown) => void): { dispose(): void };
}

/** What a VS Code progress notification takes: `increment` adds to the bar. */
export interface ProgressStep {
  message?: string;
  increment?: number;
}

export interface DissectCallbacks {
  /** A step for the progress notification. */
  report(step: ProgressStep): void;
  /** A layer finished (or came from the cache), as soon as the daemon sends it. */
  layer?(layer: LayerDissection): void;
  /** What the user should know about the run (e.g. probe images resized to the model's input), from the final result. */
  note?(note: string): void;
}

/**
 * Follows one work-done progress: turns begin/report/end values into notification steps whose
 * increments add up to the daemon's percentage (which never decreases).
 */
export class WorkDoneTracker {
  private percentage = 0;
  /** The last message the daemon sent (for the notification once a layer completes). */
  lastMessage: string | undefined;

  update(value: unknown): ProgressStep | undefined {
    if (typeof value !== "object" || value === null) return undefined;
    const v = value as { kind?: unknown; message?: unknown; percentage?: unknown };
    if (v.kind !== "begin" && v.kind !== "report" && v.kind !== "end") return undefined;
    const step: ProgressStep = {};
    if (typeof v.message === "string") {
      step.message = v.message;
      this.lastMessage = v.message;
    }
    const p = v.kind === "end" ? 100 : typeof v.percentage === "number" && Number.isFinite(v.percentage) ? Math.min(100, Math.max(0, v.percentage)) : undefined;
    if (p !== undefined && p > this.percentage) {
      step.increment = p - this.percentage;
      this.percentage = p;
    }
    return step.message === undefined && step.increment === undefined ? undefined : step;
  }
}

/** A progress token no other request uses. */
export function newProgressToken(kind: string): string {
  return `unitscope-${kind}-${randomBytes(8).toString("hex")}`;
}

/**
 * Dissects `params.layers` and resolves with every layer, in the order asked: the partial results
 * the daemon streamed, or the final result when it sent none. On cancellation or error it rejects
 * as the request did; the layers already received have gone to `callbacks.layer`.
 */
export async function runDissection(
  client: ProgressClient,
  params: Omit<DissectParams, "workDoneToken" | "partialResultToken">,
  callbacks: DissectCallbacks,
  token?: CancelToken,
): Promise<LayerDissection[]> {
  const workDoneToken = newProgressToken("dissect");
  const partialResultToken = newProgressToken("dissect-partial");
  const tracker = new WorkDoneTracker();
  const received = new Map<string, LayerDissection>();
  const accept = (layer: LayerDissection) => {
    if (received.has(layer.layer)) return;
    received.set(layer.layer, layer);
    callbacks.layer?.(layer);
  };
  const subscriptions = [
    client.onProgress(workDoneToken, (value) => {
      const step = tracker.update(value);
      if (step) callbacks.report(step);
    }),
    client.onProgress(partialResultToken, (value) => {
      for (const layer of layersOf(value)) {
        accept(layer);
        callbacks.report({ message: `${layer.layer} done: ${labelledSummary(layer)}` });
      }
    }),
  ];
  try {
    const result = await client.request("unitscope/dissect", { ...params, workDoneToken, partialResultToken }, token);
    for (const layer of layersOf(result)) accept(layer);
    const notes = (result as Partial<DissectResult> | null)?.notes;
    if (Array.isArray(notes)) for (const n of notes) if (typeof n === "string") callbacks.note?.(n);
  } finally {
    for (const s of subscriptions) s.dispose();
  }
  const missing = params.layers.filter((l) => !received.has(l));
  if (missing.length > 0) throw new Error(`The daemon sent no result for ${missing.join(", ")}.`);
  return params.layers.filter((l, i, all) => all.indexOf(l) === i).map((l) => received.get(l)!);
}

/** The valid layers of a DissectResult-shaped value (partial or final). */
function layersOf(value: unknown): LayerDissection[] {
  const layers = (value as Partial<DissectResult> | null)?.layers;
  return Array.isArray(layers) ? layers.filter(isLayerDissection) : [];
}
