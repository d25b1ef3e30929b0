// A deadline for the requests the editor waits on while the user types or moves the mouse (hover,
// code lenses): a daemon that is stuck or busy must never leave the editor waiting. Pure: no
// `vscode` import, so it is unit-tested in node; client.ts applies it in the language client's middleware.

/** How long the editor waits for each interactive request before it gives up (and cancels it). */
export const INTERACTIVE_TIMEOUT_MS = { hover: 2000, codeLens: 4000 } as const;

export type InteractiveRequest = keyof typeof INTERACTIVE_TIMEOUT_MS;

/**
 * `work`'s result, or `undefined` once `ms` have passed without one: then `onTimeout` runs (it cancels the
 * request, so the daemon drops it) and whatever `work` later yields is ignored. Errors of `work` pass through.
 */
export function withTimeout<T>(work: PromiseLike<T>, ms: number, onTimeout: () => void): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      onTimeout();
      resolve(undefined);
    }, ms);
    work.then(
      (value) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Says once per kind of request that the daemon was too slow (then only at debug level), so the log is not flooded. */
export class TimeoutReporter {
  private readonly reported = new Set<InteractiveRequest>();

  constructor(private readonly log: { warn(text: string): void; debug(text: string): void }) {}

  report(kind: InteractiveRequest): void {
    const text = `The daemon did not answer a ${kind === "codeLens" ? "code lens" : kind} request within ${INTERACTIVE_TIMEOUT_MS[kind] / 1000} s; the editor went on without it and cancelled the request.`;
    if (this.reported.has(kind)) {
      this.log.debug(text);
      return;
    }
    this.reported.add(kind);
    this.log.warn(`${text} (Said once; later ones are logged at debug level.)`);
  }
}
