// Checks of values that arrive untyped (from a webview, a persisted state, the daemon, a command's
// arguments) that every message module makes the same way. Pure: used by the extension and bundled
// into webview scripts.

/** Names (layers, classes, concepts) longer than this are refused. */
export const MAX_NAME = 1000;

/** A plain object (not null, not an array), to read fields from. */
export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** A whole number ≥ 0 (a unit, a class, a count). */
export function isIndex(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0;
}

/** A result's images that could not be read (SkippedImages): a count and at most that many messages. */
export function isSkippedImages(x: unknown): boolean {
  return isRecord(x) && isIndex(x.count) && Array.isArray(x.problems) && x.problems.length <= x.count && x.problems.every((p) => typeof p === "string");
}

/** A non-empty name of at most {@link MAX_NAME} characters. */
export function isName(s: unknown): s is string {
  return typeof s === "string" && s.length > 0 && s.length <= MAX_NAME;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** True for a non-empty standard base64 string (what may safely go into a data: URI). */
export function isBase64(s: unknown): s is string {
  return typeof s === "string" && s.length > 0 && s.length % 4 === 0 && BASE64.test(s);
}
