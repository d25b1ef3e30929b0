// Turning what a daemon request throws into something to tell the user. Pure: JSON-RPC errors
// are recognised by shape (code, message, data.kind), not by class.

import { ErrorCodes, ErrorKind } from "./protocol.generated";

export interface DaemonFailure {
  /** The sentence to show. */
  message: string;
  /** The JSON-RPC error code, when the daemon answered with an error. */
  code?: number;
  /** `data.kind` of a UnitScope error. */
  kind?: ErrorKind;
  /** The request was cancelled (by the user): show nothing. */
  cancelled: boolean;
}

const HINTS: Partial<Record<ErrorKind, string>> = {
  [ErrorKind.UnknownModel]: "The model is no longer loaded (the daemon may have restarted): load the checkpoint again.",
  [ErrorKind.UnsafeCheckpoint]: "Nothing from the checkpoint was executed.",
  [ErrorKind.ArchitectureMismatch]: "Pick the architecture the checkpoint was trained with, or auto-detect.",
  [ErrorKind.UnknownArchitecture]: "Pick an architecture explicitly when loading.",
};

export function describeFailure(error: unknown): DaemonFailure {
  if (isRecord(error) && typeof error.code === "number" && typeof error.message === "string") {
    const code = error.code;
    const data = error.data;
    const kindValue = isRecord(data) && typeof data.kind === "string" ? data.kind : undefined;
    const kind = kindValue && (Object.values(ErrorKind) as string[]).includes(kindValue) ? (kindValue as ErrorKind) : undefined;
    const cancelled = code === ErrorCodes.RequestCancelled;
    const hint = kind ? HINTS[kind] : undefined;
    const message = hint && !error.message.includes(hint) ? `${error.message} ${hint}` : error.message;
    return kind ? { message, code, kind, cancelled } : { message, code, cancelled };
  }
  if (error instanceof Error) return { message: error.message, cancelled: error.name === "Canceled" || error.name === "CancellationError" };
  return { message: String(error), cancelled: false };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null;
}

/** What is known about a daemon process that did not come up. */
export interface StartFailure {
  /** The command line, for the message. */
  commandLine: string;
  /** The executable. */
  command: string;
  /** The error spawning or talking to it. */
  error: unknown;
  /** "exited with code 2", "was killed by SIGKILL", when it ended. */
  exit?: string | undefined;
  /** The last lines it wrote to stderr. */
  stderrTail: readonly string[];
}

/** One sentence saying why the daemon did not start, from the most telling evidence. */
export function startFailureMessage(f: StartFailure): string {
  const head = `The UnitScope daemon did not start (${f.commandLine})`;
  const code = typeof f.error === "object" && f.error !== null ? (f.error as { code?: unknown }).code : undefined;
  if (code === "ENOENT") return `${head}: ${f.command} was not found.`;
  if (code === "EACCES") return `${head}: ${f.command} is not executable.`;
  const lastLine = [...f.stderrTail]
    .reverse()
    .find((l) => l.trim().length > 0)
    ?.trim();
  if (f.exit) return `${head}: it ${f.exit}${lastLine ? `: ${lastLine}` : "."}`;
  return `${head}: ${describeFailure(f.error).message}`;
}
