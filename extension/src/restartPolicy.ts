// When to restart a daemon that crashed: at once the first time, then with a growing delay, and
// not at all once it has crashed too often within a window. Pure (the clock comes in), so the
// policy is unit-tested in node; Ctx applies it.

export interface RestartPolicyOptions {
  /** Restarts allowed within `windowMs`; one more crash in the window gives up. */
  maxRestarts: number;
  windowMs: number;
  /** Delay before the first restart, then doubled for each crash still in the window, up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  maxRestarts: 4,
  windowMs: 5 * 60 * 1000,
  initialDelayMs: 500,
  maxDelayMs: 8000,
};

export class RestartPolicy {
  private readonly crashes: number[] = [];

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  /** Records a crash at `now`; the delay before restarting, or undefined to give up. */
  onCrash(now: number): number | undefined {
    while (this.crashes.length > 0 && now - this.crashes[0]! > this.options.windowMs) this.crashes.shift();
    this.crashes.push(now);
    const n = this.crashes.length;
    if (n > this.options.maxRestarts) return undefined;
    return Math.min(this.options.maxDelayMs, this.options.initialDelayMs * 2 ** (n - 1));
  }

  /** Crashes counted in the current window. */
  get recentCrashes(): number {
    return this.crashes.length;
  }

  /** Forgets past crashes (the user restarted the daemon by hand). */
  reset(): void {
    this.crashes.length = 0;
  }

  get maxRestarts(): number {
    return this.options.maxRestarts;
  }
}
