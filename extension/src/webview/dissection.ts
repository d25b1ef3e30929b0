// Script of the dissection webview (bundled by esbuild to media/dissection.js). The HTML arrives as a
// skeleton from dissectionHtml.ts with the state as JSON; this script draws the layer summary (a bar
// per category, as an SVG inside a button that filters by it), the sortable, filterable table of
// units, and asks the extension for each unit's card as its row scrolls into view. Everything from
// the model or the dataset is set as text, never parsed as HTML.

import {
  isHexColor,
  isLayerDissection,
  parseDissectionPanelState,
  parseUi,
  UNLABELLED,
  type DissectionPanelState,
  type DissectionToHost,
  type HostToDissection,
} from "../dissectionMessages";
import { categoryBars, filterRows, formatIou, labelledSummary, rowsOf, sortRows, type SortKey, type UnitRow } from "../dissectionTable";
import type { LayerDissection } from "../protocol.generated";
import { byId, count as countOf, el, embeddedState, renderSkipped, SVG, vsCodeApi, listenToHost } from "./page";

const vscode = vsCodeApi<DissectionToHost, DissectionPanelState>();

const embedded = parseDissectionPanelState(embeddedState());
const previous = parseDissectionPanelState(vscode.getState());
// The controls the user set survive re-renders and reloads (when it is still the same model).
const state: DissectionPanelState | undefined = embedded
  ? {
      ...embedded,
      ui: previous && previous.model.checkpointHash === embedded.model.checkpointHash ? parseUi(previous.ui, embedded.layers) : embedded.ui,
    }
  : undefined;

/** Cards received, by layer and unit; requests sent and not answered yet. */
const cards = new Map<string, { png: string; width: number; height: number } | { error: string }>();
const requested = new Set<string>();
const cardKey = (layer: string, unit: number) => `${layer}\u0000${unit}`;

const layerSelect = byId<HTMLSelectElement>("layer");
const filterInput = byId<HTMLInputElement>("filter");
const categorySelect = byId<HTMLSelectElement>("category");
const rowsBody = byId<HTMLTableSectionElement>("rows");
const chart = byId<HTMLDivElement>("chart");
const meta = byId<HTMLParagraphElement>("meta");
const count = byId<HTMLParagraphElement>("count");
const status = byId<HTMLParagraphElement>("status");

const observer = new IntersectionObserver(
  (entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const cell = entry.target as HTMLElement;
      observer.unobserve(cell);
      const unit = Number(cell.dataset.unit);
      const layer = cell.dataset.layer ?? "";
      const key = cardKey(layer, unit);
      if (cards.has(key) || requested.has(key)) continue;
      requested.add(key);
      vscode.postMessage({ type: "card", layer, unit });
    }
  },
  { rootMargin: "200px" },
);

function save(): void {
  if (state) vscode.setState(state);
}

function currentLayer(): LayerDissection | undefined {
  return state?.layers.find((l) => l.layer === state!.ui.layer) ?? state?.layers[0];
}

function swatch(color: string | undefined): SVGSVGElement {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "swatch");
  svg.setAttribute("width", "10");
  svg.setAttribute("height", "10");
  svg.setAttribute("aria-hidden", "true");
  const dot = document.createElementNS(SVG, "circle");
  dot.setAttribute("cx", "5");
  dot.setAttribute("cy", "5");
  dot.setAttribute("r", "5");
  if (isHexColor(color)) dot.setAttribute("fill", color);
  else dot.setAttribute("class", "none");
  svg.append(dot);
  return svg;
}

function render(): void {
  const layer = currentLayer();
  if (!state || !layer) return;
  const ui = state.ui;

  if (layerSelect) {
    layerSelect.replaceChildren(
      ...state.layers.map((l) => {
        const o = el("option", undefined, `${l.layer} (${labelledSummary(l)})`);
        o.value = l.layer;
        o.selected = l.layer === layer.layer;
        return o;
      }),
    );
  }
  if (filterInput && filterInput.value !== ui.text) filterInput.value = ui.text;
  if (categorySelect) {
    const names = [...layer.categories.map((c) => c.name), UNLABELLED];
    if (ui.category !== "" && !names.includes(ui.category)) ui.category = "";
    const all = el("option", undefined, "All");
    all.value = "";
    categorySelect.replaceChildren(
      all,
      ...names.map((n) => {
        const o = el("option", undefined, n);
        o.value = n;
        return o;
      }),
    );
    categorySelect.value = ui.category;
  }
  if (meta) {
    const o = layer.options;
    meta.textContent =
      `${layer.layer} · ${labelledSummary(layer)} · ${layer.imageCount} images of ${layer.dataset === "probe" ? "the built-in probe set" : layer.dataset}` +
      ` · top ${(o.quantile * 100).toFixed(2).replace(/\.?0+$/, "")}% activations, IoU > ${o.iouThreshold}`;
  }
  renderSkipped(byId("skipped"), layer.skipped);
  renderChart(layer);
  renderRows(layer);
  save();
}

function renderChart(layer: LayerDissection): void {
  if (!chart || !state) return;
  const bars: { category: string; color: string | undefined; units: number; filter: string }[] = categoryBars(layer).map((b) => ({
    ...b,
    filter: b.category,
  }));
  const unlabelled = layer.units.length - layer.labelledUnits;
  if (unlabelled > 0) bars.push({ category: "unlabelled", color: undefined, units: unlabelled, filter: UNLABELLED });
  const max = Math.max(1, ...bars.map((b) => b.units));
  chart.replaceChildren(
    ...bars.map((b) => {
      const button = el("button", "bar-row");
      button.type = "button";
      button.dataset.category = b.filter;
      button.setAttribute("aria-pressed", String(state!.ui.category === b.filter));
      button.title = `Show only ${b.category === "unlabelled" ? "unlabelled units" : `units labelled ${b.category}`}`;
      button.setAttribute("aria-label", `${b.category}: ${countOf(b.units, "unit")}. ${button.title}`);
      const svg = document.createElementNS(SVG, "svg");
      svg.setAttribute("class", "bar");
      svg.setAttribute("height", "12");
      svg.setAttribute("aria-hidden", "true");
      const rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("height", "12");
      rect.setAttribute("width", `${((100 * b.units) / max).toFixed(1)}%`);
      if (isHexColor(b.color)) rect.setAttribute("fill", b.color);
      else rect.setAttribute("class", "none");
      svg.append(rect);
      button.append(el("span", "bar-label", b.category), svg, el("span", "bar-count", String(b.units)));
      button.addEventListener("click", () => {
        if (!state) return;
        state.ui.category = state.ui.category === b.filter ? "" : b.filter;
        render();
      });
      return button;
    }),
  );
  if (bars.length === 0) chart.append(el("p", "empty", "No units."));
}

function renderRows(layer: LayerDissection): void {
  if (!rowsBody || !state) return;
  const ui = state.ui;
  const rows = sortRows(filterRows(rowsOf(layer), { text: ui.text, category: ui.category }, UNLABELLED), ui.sort, ui.descending);
  const colors = new Map(layer.categories.map((c) => [c.name, c.color]));
  observer.disconnect();
  rowsBody.replaceChildren(...rows.map((r) => row(layer, r, colors)));
  for (const cell of rowsBody.querySelectorAll<HTMLElement>("td.card")) observer.observe(cell);
  if (count) count.textContent = rows.length === layer.units.length ? `${rows.length} units` : `${rows.length} of ${layer.units.length} units`;
  for (const th of document.querySelectorAll<HTMLElement>("th[data-sort]")) {
    const key = th.dataset.sort;
    if (key === ui.sort) th.setAttribute("aria-sort", ui.descending ? "descending" : "ascending");
    else th.removeAttribute("aria-sort");
  }
}

function row(layer: LayerDissection, r: UnitRow, colors: Map<string, string>): HTMLTableRowElement {
  const tr = el("tr");
  if (!r.label) tr.className = "unlabelled";
  // The unit number opens its card: a button, so the table can be used from the keyboard.
  const open = el("button", "unit-link", String(r.unit));
  open.type = "button";
  open.setAttribute("aria-label", `Unit ${r.unit}: open its card`);
  open.addEventListener("click", () => vscode.postMessage({ type: "openUnit", layer: layer.layer, unit: r.unit }));
  const unitCell = el("td", "num");
  unitCell.append(open);
  tr.append(unitCell);
  const label = el("td", "label");
  if (r.label) label.append(el("em", undefined, r.label));
  else label.append(el("span", "muted", r.best ? `(best: ${r.best})` : "–"));
  tr.append(label);
  const category = el("td", "category");
  const shown = r.category ?? r.bestCategory;
  if (shown) category.append(swatch(colors.get(shown)), el("span", r.category ? undefined : "muted", ` ${shown}`));
  tr.append(category, el("td", "num", formatIou(r.iou)));
  const card = el("td", "card");
  card.dataset.layer = layer.layer;
  card.dataset.unit = String(r.unit);
  fillCard(card, layer.layer, r.unit);
  tr.append(card);
  return tr;
}

function fillCard(cell: HTMLElement, layer: string, unit: number): void {
  const card = cards.get(cardKey(layer, unit));
  if (!card) {
    cell.replaceChildren(el("span", "muted", requested.has(cardKey(layer, unit)) ? "loading…" : ""));
    return;
  }
  if ("error" in card) {
    cell.replaceChildren(el("span", "error", card.error));
    return;
  }
  const img = el("img");
  img.src = `data:image/png;base64,${card.png}`;
  img.alt = `Top images of unit ${unit} of ${layer}, the region where it is active outlined`;
  img.width = card.width;
  img.height = card.height;
  img.loading = "lazy";
  cell.replaceChildren(img);
}

function refreshCard(layer: string, unit: number): void {
  for (const cell of rowsBody?.querySelectorAll<HTMLElement>("td.card") ?? []) {
    if (cell.dataset.layer === layer && cell.dataset.unit === String(unit)) fillCard(cell, layer, unit);
  }
}

layerSelect?.addEventListener("change", () => {
  if (!state) return;
  state.ui.layer = layerSelect.value;
  render();
});
filterInput?.addEventListener("input", () => {
  if (!state) return;
  state.ui.text = filterInput.value;
  renderRows(currentLayer()!);
  save();
});
categorySelect?.addEventListener("change", () => {
  if (!state) return;
  state.ui.category = categorySelect.value;
  render();
});
for (const button of document.querySelectorAll<HTMLButtonElement>("button.sort")) {
  button.addEventListener("click", () => {
    if (!state) return;
    const key = button.dataset.sort as SortKey;
    if (state.ui.sort === key) state.ui.descending = !state.ui.descending;
    else {
      state.ui.sort = key;
      state.ui.descending = key === "iou";
    }
    renderRows(currentLayer()!);
    save();
  });
}
byId("dissect-more")?.addEventListener("click", () => vscode.postMessage({ type: "dissectMore" }));

listenToHost<HostToDissection>(vscode, (m) => {
  switch (m?.type) {
    case "card": {
      const key = cardKey(String(m.layer), Number(m.unit));
      requested.delete(key);
      if (typeof m.png === "string" && /^[A-Za-z0-9+/]+=*$/.test(m.png))
        cards.set(key, { png: m.png, width: Number(m.width) || 0, height: Number(m.height) || 0 });
      refreshCard(String(m.layer), Number(m.unit));
      break;
    }
    case "cardError": {
      const key = cardKey(String(m.layer), Number(m.unit));
      requested.delete(key);
      cards.set(key, { error: String(m.message) });
      refreshCard(String(m.layer), Number(m.unit));
      break;
    }
    case "layers": {
      if (!state || !Array.isArray(m.layers)) break;
      const layers = m.layers.filter(isLayerDissection);
      if (layers.length === 0) break;
      state.layers = layers;
      for (const name of Array.isArray(m.changed) ? m.changed : []) {
        for (const key of [...cards.keys()]) if (key.startsWith(`${String(name)}\u0000`)) cards.delete(key);
      }
      state.ui = parseUi(state.ui, layers);
      if (typeof m.select === "string" && state.layers.some((l) => l.layer === m.select)) state.ui.layer = m.select;
      render();
      break;
    }
    case "status":
      if (status) status.textContent = String(m.text);
      break;
  }
});

render();
