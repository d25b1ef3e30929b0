// The dissection panel's table logic: one row per unit, sorting, filtering, and the per-category
// summary behind the bar chart. Pure (no DOM, no `vscode`): run by the webview, tested in node.

import type { CategoryInfo, LayerDissection } from "./protocol.generated";

export type SortKey = "unit" | "iou" | "category" | "label";

/** One unit as the panel lists it. */
export interface UnitRow {
  unit: number;
  /** The label's concept, when the unit is labelled. */
  label?: string;
  /** The label's category, when the unit is labelled. */
  category?: string;
  /** The label's IoU; for an unlabelled unit, its best concept's (0 when none). */
  iou: number;
  /** The best concept regardless of the threshold. */
  best?: string;
  bestCategory?: string;
  threshold: number;
  /** Every concept named for the unit (label, best, best per category), lower case, for the text filter. */
  concepts: string[];
}

export function rowsOf(layer: LayerDissection): UnitRow[] {
  return layer.units.map((u) => {
    const row: UnitRow = {
      unit: u.unit,
      iou: u.label?.iou ?? u.best?.iou ?? 0,
      threshold: u.threshold,
      concepts: [...new Set([u.label, u.best, ...u.bestPerCategory].filter((c) => c !== undefined).map((c) => c!.concept.toLowerCase()))],
    };
    if (u.label) {
      row.label = u.label.concept;
      row.category = u.label.category;
    }
    if (u.best) {
      row.best = u.best.concept;
      row.bestCategory = u.best.category;
    }
    return row;
  });
}

export interface RowFilter {
  /** Matches the start of a concept name or of a word in it (any case), or, as "12" or "#12", a unit number. */
  text: string;
  /** "" for all, a category (units labelled with it), or `unlabelled` for units without a label. */
  category: string;
}

export function filterRows(rows: readonly UnitRow[], filter: RowFilter, unlabelled: string): UnitRow[] {
  const text = filter.text.trim().toLowerCase();
  const unitNumber = /^#?(\d+)$/.exec(text)?.[1];
  return rows.filter((r) => {
    if (filter.category === unlabelled ? r.label !== undefined : filter.category !== "" && r.category !== filter.category) return false;
    if (text === "") return true;
    if (unitNumber !== undefined && r.unit === Number(unitNumber)) return true;
    return r.concepts.some((c) => c.startsWith(text) || c.split(/[\s_\-/]+/).some((word) => word.startsWith(text)));
  });
}

/**
 * Sorted copy. By label or category, unlabelled units come last whichever the direction; ties
 * (and equal labels) go by IoU, best first, then by unit number.
 */
export function sortRows(rows: readonly UnitRow[], key: SortKey, descending: boolean): UnitRow[] {
  const sign = descending ? -1 : 1;
  const byUnit = (a: UnitRow, b: UnitRow) => a.unit - b.unit;
  const byIou = (a: UnitRow, b: UnitRow) => b.iou - a.iou || byUnit(a, b);
  const text = (pick: (r: UnitRow) => string | undefined) => (a: UnitRow, b: UnitRow) => {
    const x = pick(a);
    const y = pick(b);
    if (x === undefined || y === undefined) return x === y ? byIou(a, b) : x === undefined ? 1 : -1;
    return sign * x.localeCompare(y, "en", { sensitivity: "base" }) || byIou(a, b);
  };
  const compare =
    key === "unit"
      ? (a: UnitRow, b: UnitRow) => sign * byUnit(a, b)
      : key === "iou"
        ? (a: UnitRow, b: UnitRow) => sign * (a.iou - b.iou) || byUnit(a, b)
        : key === "category"
          ? text((r) => r.category)
          : text((r) => r.label);
  return [...rows].sort(compare);
}

/** Categories in the order reports list them: the paper's order for known ones, then by name. */
const KNOWN_ORDER = ["object", "part", "material", "scene", "texture", "color", "shape"];

export interface CategoryBar {
  category: string;
  color: string;
  units: number;
}

/**
 * The bars of a layer's summary chart: labelled units per category, most first (ties in the
 * reports' category order, then by name), categories without units left out.
 */
export function categoryBars(layer: LayerDissection): CategoryBar[] {
  const colors = new Map(layer.categories.map((c: CategoryInfo) => [c.name, c.color]));
  const rank = (c: string) => {
    const i = KNOWN_ORDER.indexOf(c.toLowerCase());
    return i < 0 ? KNOWN_ORDER.length : i;
  };
  return layer.labelledByCategory
    .filter((c) => c.units > 0)
    .map((c) => ({ category: c.category, color: colors.get(c.category) ?? "#999999", units: c.units }))
    .sort((a, b) => b.units - a.units || rank(a.category) - rank(b.category) || a.category.localeCompare(b.category));
}

/** "37/64 units labelled" and the like, for headings and notifications. */
export function labelledSummary(layer: LayerDissection): string {
  return `${layer.labelledUnits}/${layer.units.length} units labelled`;
}

/** IoU for display: two decimals. */
export function formatIou(iou: number): string {
  return Number.isFinite(iou) ? iou.toFixed(2) : "–";
}
