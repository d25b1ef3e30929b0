// Long work the extension has started (dissections, and any analysis that registers): what the
// UnitScope view's Jobs section lists, with progress and a cancel action. Pure: no `vscode`
// import; listeners are plain callbacks.

import type { ProgressStep } from "./dissectRun";

export interface Job {
  readonly id: number;
  readonly title: string;
  /** The daemon's last message ("conv3: IoU pass, 640/2000 images"). */
  readonly message: string | undefined;
  /** 0–100, when the work reports it. */
  readonly percentage: number | undefined;
  readonly cancellable: boolean;
  readonly cancelled: boolean;
  readonly startedAt: number;
}

/** What the code running a job holds. */
export interface JobHandle {
  readonly id: number;
  /** A progress step, as for a progress notification: `increment` adds to the percentage. */
  report(step: ProgressStep): void;
  /** The job is over (done, failed or cancelled): it leaves the list. */
  end(): void;
}

interface Entry extends Job {
  cancel?: () => void;
}

export class Jobs {
  private readonly jobs = new Map<number, Entry>();
  private readonly listeners = new Set<() => void>();
  private nextId = 1;

  constructor(private readonly now: () => number = Date.now) {}

  /** Registers a job; `cancel`, when given, is what the view's cancel action calls. */
  start(title: string, cancel?: () => void): JobHandle {
    const id = this.nextId++;
    this.jobs.set(id, {
      id,
      title,
      message: undefined,
      percentage: undefined,
      cancellable: cancel !== undefined,
      cancelled: false,
      startedAt: this.now(),
      ...(cancel ? { cancel } : {}),
    });
    this.fire();
    return {
      id,
      report: (step) => this.update(id, step),
      end: () => {
        if (this.jobs.delete(id)) this.fire();
      },
    };
  }

  /** Asks a job to stop; false when it is unknown or cannot be cancelled. */
  cancel(id: number): boolean {
    const job = this.jobs.get(id);
    if (!job?.cancel || job.cancelled) return false;
    this.jobs.set(id, { ...job, cancelled: true, message: "cancelling…" });
    this.fire();
    job.cancel();
    return true;
  }

  get all(): Job[] {
    return [...this.jobs.values()].map(({ cancel: _cancel, ...job }) => job);
  }

  get(id: number): Job | undefined {
    return this.all.find((j) => j.id === id);
  }

  /** Calls `listener` whenever a job starts, reports, is cancelled or ends. */
  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private update(id: number, step: ProgressStep): void {
    const job = this.jobs.get(id);
    if (!job) return;
    const percentage = step.increment !== undefined ? Math.min(100, (job.percentage ?? 0) + Math.max(0, step.increment)) : job.percentage;
    this.jobs.set(id, { ...job, percentage, message: job.cancelled ? job.message : (step.message ?? job.message) });
    this.fire();
  }

  private fire(): void {
    for (const l of [...this.listeners]) l();
  }
}

/** "42% · conv3: IoU pass, 640/2000 images" for the view. */
export function describeJob(job: Job): string {
  const parts: string[] = [];
  if (job.percentage !== undefined) parts.push(`${Math.round(job.percentage)}%`);
  if (job.message) parts.push(job.message);
  return parts.join(" · ");
}
