// The ablation panel's chart and table logic: the orders the classes can be shown in, the geometry
// of the grouped bar chart (before / after / random control per class, in SVG user units), and how
// accuracies and changes are written. Pure (no DOM, no `vscode`): run by the webview, tested in node.

import type { ClassAccuracy } from "./protocol.generated";

export type ClassSort = "change" | "class" | "before" | "after";
export const CLASS_SORTS: readonly ClassSort[] = ["change", "class", "before", "after"];

/** after − before: negative when the ablation hurt the class. */
export function change(c: ClassAccuracy): number {
  return c.after - c.before;
}

/**
 * Sorted copy: by change (largest drop first), by class name, or by accuracy before / after
 * (highest first); ties by class index. `descending` flips the chosen order.
 */
export function sortClasses(classes: readonly ClassAccuracy[], sort: ClassSort, reversed = false): ClassAccuracy[] {
  const sign = reversed ? -1 : 1;
  const byIndex = (a: ClassAccuracy, b: ClassAccuracy) => a.class - b.class;
  const compare =
    sort === "change"
      ? (a: ClassAccuracy, b: ClassAccuracy) => sign * (change(a) - change(b)) || byIndex(a, b)
      : sort === "class"
        ? (a: ClassAccuracy, b: ClassAccuracy) => sign * a.label.localeCompare(b.label, "en", { sensitivity: "base" }) || byIndex(a, b)
        : sort === "before"
          ? (a: ClassAccuracy, b: ClassAccuracy) => sign * (b.before - a.before) || byIndex(a, b)
          : (a: ClassAccuracy, b: ClassAccuracy) => sign * (b.after - a.after) || byIndex(a, b);
  return [...classes].sort(compare);
}

export type BarKind = "before" | "after" | "control";

export interface Bar {
  kind: BarKind;
  x: number;
  y: number;
  width: number;
  height: number;
  value: number;
}

export interface ChartRow {
  cls: ClassAccuracy;
  /** Top of the row's band; its label is centred in it. */
  y: number;
  height: number;
  bars: Bar[];
}

export interface ChartGeometry {
  width: number;
  height: number;
  /** Where the bars start (left of it: the class labels). */
  plotX: number;
  plotWidth: number;
  rows: ChartRow[];
  /** Vertical grid lines at 0, 25, 50, 75 and 100 %. */
  ticks: { x: number; value: number }[];
  /** Baseline of the tick labels. */
  axisY: number;
}

export interface ChartOptions {
  width: number;
  labelWidth: number;
  barHeight: number;
  /** Space between the bars of a class. */
  barGap: number;
  /** Space between classes. */
  rowGap: number;
  showControl: boolean;
  /** Room under the rows for the tick labels. */
  axisHeight: number;
}

export const DEFAULT_CHART: ChartOptions = { width: 640, labelWidth: 140, barHeight: 8, barGap: 1, rowGap: 8, showControl: true, axisHeight: 18 };

/** The narrowest the chart is drawn: a panel narrower than this scrolls it. */
export const MIN_CHART_WIDTH = 260;

/**
 * The chart's width and label column for a container `available` px wide: its whole width (a fixed
 * width scrolled sideways in a narrow panel, hiding the 75% and 100% ticks), the class labels at
 * most 30% of it. A container not laid out yet (0 px) gets the default.
 */
export function chartSizeFor(available: number): Pick<ChartOptions, "width" | "labelWidth"> {
  const width = Number.isFinite(available) && available > 0 ? Math.max(MIN_CHART_WIDTH, Math.floor(available)) : DEFAULT_CHART.width;
  return { width, labelWidth: Math.min(DEFAULT_CHART.labelWidth, Math.round(width * 0.3)) };
}

/**
 * A grouped horizontal bar chart: one row per class in the order given, bars for the accuracy
 * before, after and (when shown and known) with the random control, scaled from 0 to 100 %.
 */
export function chartGeometry(classes: readonly ClassAccuracy[], options: Partial<ChartOptions> = {}): ChartGeometry {
  const o = { ...DEFAULT_CHART, ...options };
  const plotX = o.labelWidth;
  // Room on the right for the "100%" tick label, centred on the last grid line.
  const plotWidth = Math.max(10, o.width - o.labelWidth - 20);
  const withControl = o.showControl && classes.some((c) => c.controlAfter !== undefined && c.controlAfter !== null);
  const kinds: BarKind[] = withControl ? ["before", "after", "control"] : ["before", "after"];
  const rowHeight = kinds.length * o.barHeight + (kinds.length - 1) * o.barGap;
  const rows: ChartRow[] = classes.map((cls, i) => {
    const y = i * (rowHeight + o.rowGap);
    const bars = kinds.flatMap((kind, k): Bar[] => {
      const value = kind === "before" ? cls.before : kind === "after" ? cls.after : cls.controlAfter;
      if (value === undefined || value === null || !Number.isFinite(value)) return [];
      const v = Math.min(1, Math.max(0, value));
      return [{ kind, x: plotX, y: y + k * (o.barHeight + o.barGap), width: round(v * plotWidth), height: o.barHeight, value }];
    });
    return { cls, y, height: rowHeight, bars };
  });
  const rowsHeight = classes.length === 0 ? 0 : classes.length * (rowHeight + o.rowGap) - o.rowGap;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((value) => ({ x: round(plotX + value * plotWidth), value }));
  return { width: o.width, height: rowsHeight + o.axisHeight, plotX, plotWidth, rows, ticks, axisY: rowsHeight + o.axisHeight - 4 };
}

/** "90.0%". */
export function formatPercent(v: number | undefined | null): string {
  return v === undefined || v === null || !Number.isFinite(v) ? "–" : `${(v * 100).toFixed(1)}%`;
}

/** A change in percentage points, signed: "−60.0 pts", "+5.0 pts", "0.0 pts". */
export function formatChange(delta: number): string {
  if (!Number.isFinite(delta)) return "–";
  const points = Math.round(delta * 1000) / 10;
  if (points === 0) return "0.0 pts";
  return `${points > 0 ? "+" : "−"}${Math.abs(points).toFixed(1)} pts`;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
