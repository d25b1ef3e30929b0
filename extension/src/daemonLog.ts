// The daemon writes its log to stderr ("18:35:23.170 INFO  stdio: connected"). This maps each line
// to the output channel's level, so ordinary progress is not shown as errors. Pure.

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

const LEVELS: Record<string, LogLevel> = {
  TRACE: "trace",
  TRCE: "trace",
  DEBUG: "debug",
  DBUG: "debug",
  INFO: "info",
  WARN: "warn",
  WARNING: "warn",
  ERROR: "error",
  FAIL: "error",
  CRIT: "error",
  FATAL: "error",
};

const LINE = /^(?:\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\s+)?([A-Za-z]+)\b:?\s*(.*)$/;

/**
 * The level and text (timestamp and level removed: the channel adds its own) of one stderr line.
 * A line without a recognisable level, such as a stack trace, counts as an error.
 */
export function daemonLogLine(line: string): { level: LogLevel; text: string } {
  const m = LINE.exec(line);
  const level = m ? LEVELS[m[1]!.toUpperCase()] : undefined;
  return level ? { level, text: m![2]! } : { level: "error", text: line };
}
