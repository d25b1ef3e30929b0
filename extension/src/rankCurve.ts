// The ranking panel's logic: units merged as partial results arrive and ranked by drop, the
// geometry of the top-k vs random-k curve (SVG user units: two lines, points, and the band of the
// random draws), and how a metric's values are written. Pure: run by the webview, tested in node.

import type { CurvePoint, RankedUnit, RankMetric } from "./protocol.generated";

/** Units by drop, largest first; ties by unit (the daemon's order). */
export function rankUnits(units: readonly RankedUnit[]): RankedUnit[] {
  return [...units].sort((a, b) => b.drop - a.drop || a.unit - b.unit);
}

/** A unit's metric after zeroing it: as sent, else (partial results do not carry it) `before − drop` once `before` is known. */
export function afterOf(u: RankedUnit, before: number | undefined): number | undefined {
  return u.after ?? (before === undefined ? undefined : before - u.drop);
}

/** `incoming` added to `known` (a unit measured again replaces the earlier value), ranked. */
export function mergeRanked(known: readonly RankedUnit[], incoming: readonly RankedUnit[]): RankedUnit[] {
  const byUnit = new Map(known.map((u) => [u.unit, u]));
  for (const u of incoming) byUnit.set(u.unit, u);
  return rankUnits([...byUnit.values()]);
}

/** The `k` best units (for "Ablate the top k"). */
export function topUnits(ranked: readonly RankedUnit[], k: number): number[] {
  return ranked.slice(0, Math.max(0, k)).map((u) => u.unit);
}

export interface CurveGeometry {
  width: number;
  height: number;
  /** Plot area. */
  left: number;
  top: number;
  right: number;
  bottom: number;
  /** SVG path data: the top-k line, the random-k line (mean), and the band of ±1 standard deviation of the random draws. */
  topPath: string;
  randomPath: string;
  bandPath: string;
  points: { k: number; x: number; topY: number; randomY: number }[];
  xTicks: { x: number; k: number }[];
  yTicks: { y: number; value: number }[];
  /** The value range the y axis spans. */
  yMin: number;
  yMax: number;
}

export interface CurveOptions {
  width: number;
  height: number;
  margin: { left: number; right: number; top: number; bottom: number };
}

export const DEFAULT_CURVE: CurveOptions = { width: 420, height: 240, margin: { left: 48, right: 12, top: 10, bottom: 28 } };

/**
 * Geometry of the curve: x is k (linear from 0 to the largest k), y the class's metric after
 * zeroing k units. For accuracy y spans 0–1; for log-probability it spans the values' range
 * (padded), since those have no fixed bounds.
 */
export function curveGeometry(points: readonly CurvePoint[], metric: RankMetric, options: Partial<CurveOptions> = {}): CurveGeometry {
  const o = { ...DEFAULT_CURVE, ...options, margin: { ...DEFAULT_CURVE.margin, ...options.margin } };
  const left = o.margin.left;
  const top = o.margin.top;
  const right = o.width - o.margin.right;
  const bottom = o.height - o.margin.bottom;
  const sorted = [...points].filter((p) => [p.topK, p.randomK, p.randomStd].every(Number.isFinite)).sort((a, b) => a.k - b.k);
  const maxK = Math.max(1, ...sorted.map((p) => p.k));
  let yMin = 0;
  let yMax = 1;
  if (metric !== "accuracy" && sorted.length > 0) {
    const values = sorted.flatMap((p) => [p.topK, p.randomK - p.randomStd, p.randomK + p.randomStd]);
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
    yMin = lo - pad;
    yMax = hi + pad;
  }
  const x = (k: number) => round(left + (k / maxK) * (right - left));
  const y = (v: number) => round(bottom - ((Math.min(yMax, Math.max(yMin, v)) - yMin) / (yMax - yMin)) * (bottom - top));
  const line = (pick: (p: CurvePoint) => number) => sorted.map((p, i) => `${i === 0 ? "M" : "L"}${x(p.k)} ${y(pick(p))}`).join(" ");
  const band =
    sorted.length === 0
      ? ""
      : `${sorted.map((p, i) => `${i === 0 ? "M" : "L"}${x(p.k)} ${y(p.randomK + p.randomStd)}`).join(" ")} ` +
        `${[...sorted]
          .reverse()
          .map((p) => `L${x(p.k)} ${y(p.randomK - p.randomStd)}`)
          .join(" ")} Z`;
  const yTicks = Array.from({ length: 5 }, (_, i) => {
    const value = yMin + ((yMax - yMin) * i) / 4;
    return { y: y(value), value };
  });
  return {
    width: o.width,
    height: o.height,
    left,
    top,
    right,
    bottom,
    topPath: line((p) => p.topK),
    randomPath: line((p) => p.randomK),
    bandPath: band,
    points: sorted.map((p) => ({ k: p.k, x: x(p.k), topY: y(p.topK), randomY: y(p.randomK) })),
    xTicks: sorted.map((p) => ({ x: x(p.k), k: p.k })),
    yTicks,
    yMin,
    yMax,
  };
}

/** A metric's value: accuracy as a percentage, log-probability with two decimals. */
export function formatMetric(v: number, metric: RankMetric): string {
  if (!Number.isFinite(v)) return "–";
  return metric === "accuracy" ? `${noNegativeZero(v * 100, 1)}%` : noNegativeZero(v, 2);
}

/** `v.toFixed(digits)` without "-0.00" for values that round to zero. */
function noNegativeZero(v: number, digits: number): string {
  const text = v.toFixed(digits);
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}

/** A drop: accuracy in percentage points ("12.5 pts"), log-probability in nats. */
export function formatDrop(v: number, metric: RankMetric): string {
  if (!Number.isFinite(v)) return "–";
  const text = metric === "accuracy" ? `${Math.abs(v * 100).toFixed(1)} pts` : Math.abs(v).toFixed(3);
  return v < 0 && /[1-9]/.test(text) ? `−${text}` : text;
}

export function metricName(metric: RankMetric): string {
  return metric === "accuracy" ? "accuracy" : "mean log-probability";
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
