// Script of the ablation webview (bundled by esbuild to media/ablation.js). The HTML arrives as a
// skeleton from ablationHtml.ts with the state as JSON; this script draws the overall accuracies,
// a grouped bar chart per class (SVG, theme colours through CSS classes) and a sortable table, and
// turns button presses into typed messages. Everything from the daemon is set as text.

import { change, chartGeometry, chartSizeFor, formatChange, formatPercent, sortClasses, type ClassSort } from "../ablationChart";
import { parseAblationPanelState, parseAblationUi, type AblationPanelState, type AblationToHost, type HostToAblation } from "../ablationMessages";
import { byId, count, el, embeddedState, renderSkipped, svg, vsCodeApi, listenToHost } from "./page";

const vscode = vsCodeApi<AblationToHost, AblationPanelState>();

const embedded = parseAblationPanelState(embeddedState());
const previous = parseAblationPanelState(vscode.getState());
// The sort and the control toggle survive reloads while the panel shows the same result.
const state: AblationPanelState | undefined = embedded
  ? {
      ...embedded,
      ui:
        previous && previous.result.layer === embedded.result.layer && previous.result.units.join() === embedded.result.units.join()
          ? parseAblationUi(previous.ui)
          : embedded.ui,
    }
  : undefined;

function save(): void {
  if (state) vscode.setState(state);
}

function hasControl(): boolean {
  return state?.result.control !== undefined;
}

function render(): void {
  if (!state) return;
  const r = state.result;
  const meta = byId("meta");
  if (meta)
    meta.textContent = `${count(r.imageCount, "image")} of ${r.evaluationSet === "probe" ? "the built-in probe set" : r.evaluationSet} · ${count(r.classes.length, "class", "classes")}`;
  renderSkipped(byId("skipped"), r.skipped);
  const units = byId("units");
  if (units) {
    const labelled = new Map(state.units.map((u) => [u.unit, u]));
    units.replaceChildren(
      el("span", "muted", r.units.length === 1 ? "Unit zeroed: " : `${r.units.length} units zeroed: `),
      ...r.units.flatMap((u, i) => {
        const parts: Node[] = [];
        if (i > 0) parts.push(document.createTextNode(", "));
        parts.push(el("strong", undefined, String(u)));
        const l = labelled.get(u);
        if (l?.label) parts.push(document.createTextNode(" "), el("em", undefined, l.label));
        return parts;
      }),
    );
  }
  const toggle = byId<HTMLInputElement>("show-control");
  if (toggle) {
    toggle.checked = state.ui.showControl && hasControl();
    toggle.disabled = !hasControl();
  }
  byId("legend-control")?.classList.toggle("hidden", !(state.ui.showControl && hasControl()));
  renderOverall();
  const classes = sortClasses(r.classes, state.ui.sort, state.ui.reversed);
  renderChart(classes);
  renderRows(classes);
  save();
}

function renderOverall(): void {
  const list = byId("overall");
  if (!list || !state) return;
  const r = state.result;
  const item = (term: string, value: string, detail?: string, className?: string) => {
    const div = el("div", className);
    const dd = el("dd", undefined, value);
    if (detail) dd.append(el("span", "muted", ` ${detail}`));
    div.append(el("dt", undefined, term), dd);
    return div;
  };
  const items = [
    item("Before", formatPercent(r.overallBefore), undefined, "before"),
    item("Units zeroed", formatPercent(r.overallAfter), `(${formatChange(r.overallAfter - r.overallBefore)})`, "after"),
  ];
  if (r.control && state.ui.showControl) {
    const sets = r.control.unitSets;
    items.push(
      item(
        `Random control (${count(sets.length, "set")} of ${count(r.units.length, "unit")})`,
        formatPercent(r.control.overallAfter),
        `(${formatChange(r.control.overallAfter - r.overallBefore)}; ${sets.map((s) => `[${s.join(", ")}]`).join(" ")})`,
        "control",
      ),
    );
  }
  list.replaceChildren(...items);
}

/** The classes last drawn, and the width they were drawn at: the chart follows the panel's width. */
let drawn: { classes: ReturnType<typeof sortClasses>; width: number } | undefined;

const chartHost = byId("chart");
if (chartHost && typeof ResizeObserver !== "undefined")
  new ResizeObserver(() => {
    if (drawn && chartHost.clientWidth !== drawn.width) renderChart(drawn.classes);
  }).observe(chartHost);

/** Shortens an SVG text with "…" until it is at most `max` px long (its full text stays in the row's title). */
function fitText(text: SVGTextElement, max: number): void {
  const full = text.textContent ?? "";
  for (let n = full.length - 1; n > 0 && text.getComputedTextLength() > max; n--) text.textContent = `${full.slice(0, n)}…`;
}

function renderChart(classes: ReturnType<typeof sortClasses>): void {
  const host = byId("chart");
  if (!host || !state) return;
  drawn = { classes, width: host.clientWidth };
  const g = chartGeometry(classes, { showControl: state.ui.showControl, ...chartSizeFor(host.clientWidth) });
  const root = svg("svg", { class: "bars", viewBox: `0 0 ${g.width} ${g.height}`, width: g.width, height: g.height, role: "img" });
  root.setAttribute("aria-label", `Accuracy per class before and after zeroing units, ${classes.length} classes, largest drop first`);
  for (const t of g.ticks) {
    root.append(svg("line", { class: "grid", x1: t.x, x2: t.x, y1: 0, y2: g.axisY - 10 }));
    const label = svg("text", { class: "tick", x: t.x, y: g.axisY, "text-anchor": "middle" });
    label.textContent = `${Math.round(t.value * 100)}%`;
    root.append(label);
  }
  for (const row of g.rows) {
    const label = svg("text", { class: "class-label", x: g.plotX - 6, y: row.y + row.height / 2 + 4, "text-anchor": "end" });
    label.textContent = row.cls.label;
    const title = svg("title", {});
    title.textContent = `${row.cls.label}: ${formatPercent(row.cls.before)} → ${formatPercent(row.cls.after)} (${formatChange(change(row.cls))})`;
    const group = svg("g", { class: "row" });
    group.append(title, label);
    for (const b of row.bars) group.append(svg("rect", { class: `bar ${b.kind}`, x: b.x, y: b.y, width: b.width, height: b.height }));
    root.append(group);
  }
  host.replaceChildren(root);
  for (const label of root.querySelectorAll<SVGTextElement>("text.class-label")) fitText(label, g.plotX - 8);
  if (classes.length === 0) host.append(el("p", "empty", "The evaluation set has no classes."));
}

function renderRows(classes: ReturnType<typeof sortClasses>): void {
  const body = byId<HTMLTableSectionElement>("rows");
  if (!body || !state) return;
  body.replaceChildren(
    ...classes.map((c) => {
      const tr = el("tr");
      const name = el("td", "class");
      const button = el("button", "link", c.label);
      button.type = "button";
      button.title = `Which units of ${state!.result.layer} matter for ${c.label}`;
      button.addEventListener("click", () => vscode.postMessage({ type: "rankUnits", class: c.class }));
      name.append(button);
      const delta = change(c);
      tr.append(
        name,
        el("td", "num", String(c.images)),
        el("td", "num", formatPercent(c.before)),
        el("td", "num", formatPercent(c.after)),
        el("td", `num ${delta < 0 ? "drop" : delta > 0 ? "gain" : ""}`.trim(), formatChange(delta)),
        el("td", "num", state!.ui.showControl ? formatPercent(c.controlAfter) : "–"),
      );
      return tr;
    }),
  );
  for (const th of document.querySelectorAll<HTMLElement>("th[data-sort]")) {
    if (th.dataset.sort === state.ui.sort) th.setAttribute("aria-sort", state.ui.reversed ? "descending" : "ascending");
    else th.removeAttribute("aria-sort");
  }
}

for (const button of document.querySelectorAll<HTMLButtonElement>("button.sort")) {
  button.addEventListener("click", () => {
    if (!state) return;
    const key = button.dataset.sort as ClassSort;
    if (state.ui.sort === key) state.ui.reversed = !state.ui.reversed;
    else {
      state.ui.sort = key;
      state.ui.reversed = false;
    }
    render();
  });
}
byId<HTMLInputElement>("show-control")?.addEventListener("change", (e) => {
  if (!state) return;
  state.ui.showControl = (e.target as HTMLInputElement).checked;
  render();
});
byId("ablate-again")?.addEventListener("click", () => vscode.postMessage({ type: "ablateAgain" }));

listenToHost<HostToAblation>(vscode, (m) => {
  if (m?.type === "status") {
    const status = byId("status");
    if (status) status.textContent = String(m.text);
  }
});

render();
