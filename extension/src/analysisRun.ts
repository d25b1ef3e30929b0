// One long analysis request (unitscope/occlude, ablate, rankUnits, unitClassStats, visualize, invariance, correspondence,
// explanatoryGraph) with LSP
// work-done progress on a token the extension chooses, and partial results where the method has
// them: progress values become steps for a VS Code progress notification, partial values go to a
// callback. Pure (no `vscode` import): the client is passed in, so tests drive it with a fake.

import { newProgressToken, WorkDoneTracker, type ProgressClient, type ProgressStep } from "./dissectRun";
import type { RequestParams, RequestResult, VisualizePreview } from "./protocol.generated";
import type { CancelToken } from "./rpc";

/** The long-running analysis methods (each takes a `workDoneToken`). */
export type AnalysisMethod =
  | "unitscope/occlude"
  | "unitscope/ablate"
  | "unitscope/rankUnits"
  | "unitscope/unitClassStats"
  | "unitscope/unitGallery"
  | "unitscope/visualize"
  | "unitscope/invariance"
  | "unitscope/correspondence"
  | "unitscope/explanatoryGraph"
  | "unitscope/attack"
  | "unitscope/ganDissect"
  | "unitscope/ganEdit"
  | "unitscope/evolve"
  | "unitscope/compareCheckpoints";

/** The methods that send partial results (what `partial` receives: for visualize, each round's image; for evolve, each checkpoint). */
const PARTIAL_METHODS: readonly AnalysisMethod[] = ["unitscope/rankUnits", "unitscope/visualize", "unitscope/evolve"];

/** What a method's partial results carry. */
export type PartialOf<M extends AnalysisMethod> = M extends "unitscope/visualize" ? VisualizePreview : RequestResult<M>;

export interface AnalysisCallbacks<M extends AnalysisMethod> {
  /** A step for the progress notification. */
  report(step: ProgressStep): void;
  /** A partial result (unitscope/rankUnits and unitscope/visualize send them): asked for only when this is given. */
  partial?(value: PartialOf<M>): void;
}

/**
 * Sends `method` with fresh progress tokens and resolves with its result; rejects as the request
 * did (cancellation included). Subscriptions end with the request.
 */
export async function runAnalysis<M extends AnalysisMethod>(
  client: ProgressClient,
  method: M,
  params: Omit<RequestParams<M>, "workDoneToken" | "partialResultToken">,
  callbacks: AnalysisCallbacks<M>,
  token?: CancelToken,
): Promise<RequestResult<M>> {
  const kind = method.slice("unitscope/".length);
  const workDoneToken = newProgressToken(kind);
  const tracker = new WorkDoneTracker();
  const subscriptions = [
    client.onProgress(workDoneToken, (value) => {
      const step = tracker.update(value);
      if (step) callbacks.report(step);
    }),
  ];
  const full: Record<string, unknown> = { ...params, workDoneToken };
  if (callbacks.partial && PARTIAL_METHODS.includes(method)) {
    const partialResultToken = newProgressToken(`${kind}-partial`);
    full.partialResultToken = partialResultToken;
    const partial = callbacks.partial;
    subscriptions.push(
      client.onProgress(partialResultToken, (value) => {
        if (typeof value === "object" && value !== null) partial(value as PartialOf<M>);
      }),
    );
  }
  try {
    return await client.request(method, full as unknown as RequestParams<M>, token);
  } finally {
    for (const s of subscriptions) s.dispose();
  }
}
