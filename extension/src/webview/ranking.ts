// Script of the ranking webview (bundled by esbuild to media/ranking.js): the table of units ranked
// by drop (growing as partial results arrive), the top-k vs random-k curve drawn in SVG with theme
// colours, and, for the unit picked in the table (click, Enter or Space), its statistics as a
// single-unit classifier with the daemon's jitter plot. Everything from the daemon is set as text.

import { afterOf, curveGeometry, formatDrop, formatMetric, mergeRanked, metricName, topUnits } from "../rankCurve";
import { isRankResult, isStats, parseRankPanelState, type HostToRank, type RankPanelState, type RankToHost } from "../rankMessages";
import type { UnitClassStatsResult } from "../protocol.generated";
import { byId, count, el, embeddedState, renderSkipped, svg, vsCodeApi, listenToHost } from "./page";

const vscode = vsCodeApi<RankToHost, RankPanelState>();

const embedded = parseRankPanelState(embeddedState());
const previous = parseRankPanelState(vscode.getState());
// After a reload, what the webview had received (more units, a picked unit) wins over the HTML's copy.
let state: RankPanelState | undefined =
  embedded && previous && sameQuestion(previous, embedded) && previous.result.units.length >= embedded.result.units.length ? previous : embedded;

function sameQuestion(a: RankPanelState, b: RankPanelState): boolean {
  return (
    a.model.checkpointHash === b.model.checkpointHash &&
    a.result.layer === b.result.layer &&
    a.result.class === b.result.class &&
    a.result.metric === b.result.metric
  );
}

function save(): void {
  if (state) vscode.setState(state);
}

function setStatus(text: string, error = false): void {
  const status = byId("status");
  if (!status) return;
  status.textContent = text;
  status.className = error ? "status error" : "status";
}

function render(): void {
  if (!state) return;
  const r = state.result;
  const meta = byId("meta");
  if (meta)
    meta.textContent =
      `${metricName(r.metric)} of ${r.classLabel}: ${formatMetric(r.before, r.metric)} with every unit · ` +
      `${count(r.imageCount, "image")} of ${r.evaluationSet === "probe" ? "the built-in probe set" : r.evaluationSet}` +
      (state.complete ? ` · ${count(r.units.length, "unit")} ranked` : ` · ${count(r.units.length, "unit")} measured so far…`);
  renderSkipped(byId("skipped"), r.skipped);
  renderCurve();
  renderRows();
  renderStats();
  save();
}

function renderCurve(): void {
  const host = byId("curve");
  if (!host || !state) return;
  const r = state.result;
  if (!r.curve || r.curve.length === 0) {
    host.replaceChildren(el("p", "empty", state.complete ? "No curve." : "The curve comes once every unit is measured."));
    return;
  }
  const g = curveGeometry(r.curve, r.metric);
  const root = svg("svg", { class: "curve", viewBox: `0 0 ${g.width} ${g.height}`, width: g.width, height: g.height, role: "img" });
  root.setAttribute(
    "aria-label",
    `${metricName(r.metric)} of ${r.classLabel} after zeroing the top k units and k random units, k from 0 to ${r.curve[r.curve.length - 1]!.k}`,
  );
  for (const t of g.yTicks) {
    root.append(svg("line", { class: "grid", x1: g.left, x2: g.right, y1: t.y, y2: t.y }));
    const label = svg("text", { class: "tick", x: g.left - 4, y: t.y + 4, "text-anchor": "end" });
    label.textContent = formatMetric(t.value, r.metric);
    root.append(label);
  }
  for (const t of g.xTicks) {
    const label = svg("text", { class: "tick", x: t.x, y: g.bottom + 16, "text-anchor": "middle" });
    label.textContent = String(t.k);
    root.append(label);
  }
  const axisLabel = svg("text", { class: "tick", x: g.right, y: g.height - 2, "text-anchor": "end" });
  axisLabel.textContent = "k units zeroed";
  root.append(
    svg("line", { class: "axis", x1: g.left, x2: g.right, y1: g.bottom, y2: g.bottom }),
    svg("line", { class: "axis", x1: g.left, x2: g.left, y1: g.top, y2: g.bottom }),
    axisLabel,
    svg("path", { class: "band", d: g.bandPath }),
    svg("path", { class: "line random", d: g.randomPath }),
    svg("path", { class: "line top", d: g.topPath }),
  );
  for (const p of g.points) {
    const point = r.curve.find((c) => c.k === p.k)!;
    const top = svg("circle", { class: "point top", cx: p.x, cy: p.topY, r: 3 });
    const title = svg("title", {});
    title.textContent = `k = ${p.k}: top ${formatMetric(point.topK, r.metric)}, random ${formatMetric(point.randomK, r.metric)} ± ${formatMetric(point.randomStd, r.metric)}`;
    top.append(title);
    root.append(top, svg("circle", { class: "point random", cx: p.x, cy: p.randomY, r: 2.5 }));
  }
  host.replaceChildren(root);
}

function renderRows(): void {
  const body = byId<HTMLTableSectionElement>("rows");
  if (!body || !state) return;
  const r = state.result;
  body.replaceChildren(
    ...r.units.map((u, i) => {
      const tr = el("tr");
      tr.tabIndex = 0;
      tr.dataset.unit = String(u.unit);
      const classes = [state!.selected === u.unit ? "selected" : "", state!.complete ? "" : "provisional"].filter((c) => c).join(" ");
      if (classes) tr.className = classes;
      tr.setAttribute("aria-selected", String(state!.selected === u.unit));
      const label = el("td", "label");
      if (u.label) {
        label.append(el("em", undefined, u.label.concept), el("span", "muted", ` ${u.label.category} · IoU ${u.label.iou.toFixed(2)}`));
      } else label.append(el("span", "muted", "–"));
      tr.append(
        el("td", "num", String(i + 1)),
        el("td", "num", String(u.unit)),
        el("td", "num", formatDrop(u.drop, r.metric)),
        el("td", "num", formatMetric(afterOf(u, state!.complete ? r.before : undefined) ?? Number.NaN, r.metric)),
        label,
      );
      const pick = () => selectUnit(u.unit);
      tr.addEventListener("click", pick);
      tr.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          pick();
        }
      });
      return tr;
    }),
  );
  if (r.units.length === 0) body.append(rowNote(state.complete ? "No units." : "Measuring units…"));
}

function rowNote(text: string): HTMLTableRowElement {
  const tr = el("tr");
  const td = el("td", "empty", text);
  td.colSpan = 5;
  tr.append(td);
  return tr;
}

function selectUnit(unit: number): void {
  if (!state) return;
  state.selected = unit;
  if (state.stats?.unit !== unit) delete state.stats;
  vscode.postMessage({ type: "stats", unit });
  render();
  byId<HTMLTableSectionElement>("rows")?.querySelector<HTMLElement>(`tr[data-unit="${unit}"]`)?.focus();
}

function renderStats(error?: string): void {
  const body = byId("stats-body");
  if (!body || !state) return;
  if (state.selected === undefined) {
    body.replaceChildren(el("p", "muted", "Pick a unit in the table."));
    return;
  }
  if (error) {
    body.replaceChildren(el("p", "error", error));
    return;
  }
  const s = state.stats;
  if (!s) {
    body.replaceChildren(el("p", "muted", `Unit ${state.selected}: measuring its activations…`));
    return;
  }
  body.replaceChildren(...statsView(s));
  const skipped = el("div");
  renderSkipped(skipped, s.skipped);
  if (skipped.firstChild) body.append(skipped);
}

function statsView(s: UnitClassStatsResult): Node[] {
  const heading = el("p");
  heading.append(el("strong", undefined, `Unit ${s.unit}`));
  if (s.label) heading.append(document.createTextNode(" "), el("em", undefined, s.label.concept), el("span", "muted", ` (${s.label.category})`));
  heading.append(document.createTextNode(` on ${s.classLabel} vs the rest`));
  const nodes: Node[] = [heading];
  if (/^[A-Za-z0-9+/]+=*$/.test(s.jitterPng)) {
    const img = el("img");
    img.src = `data:image/png;base64,${s.jitterPng}`;
    img.alt = `Activation of unit ${s.unit} on each image: ${s.classLabel} (mean ${s.inClass.mean.toFixed(2)}) vs the rest (mean ${s.rest.mean.toFixed(2)})`;
    img.width = s.jitterWidth;
    img.height = s.jitterHeight;
    nodes.push(img);
  }
  const dl = el("dl");
  const row = (term: string, a: string, b: string) => dl.append(el("dt", undefined, term), el("dd", undefined, a), el("dd", undefined, b));
  row("", s.classLabel, "rest");
  row("images", String(s.inClass.count), String(s.rest.count));
  row("mean", s.inClass.mean.toFixed(3), s.rest.mean.toFixed(3));
  row("median", s.inClass.median.toFixed(3), s.rest.median.toFixed(3));
  row("std", s.inClass.std.toFixed(3), s.rest.std.toFixed(3));
  nodes.push(dl, el("p", undefined, `AUC as a classifier for ${s.classLabel}: ${s.auc.toFixed(3)} (0.5 is chance)`));
  return nodes;
}

byId("ablate-top")?.addEventListener("click", () => {
  if (!state) return;
  const input = byId<HTMLInputElement>("top-k");
  const k = Math.floor(Number(input?.value));
  if (!Number.isFinite(k) || k < 1) {
    setStatus("Give how many top units to ablate (1 or more).", true);
    return;
  }
  const units = topUnits(state.result.units, k);
  if (units.length === 0) {
    setStatus("No units are ranked yet.", true);
    return;
  }
  setStatus("");
  vscode.postMessage({ type: "ablate", units });
});

listenToHost<HostToRank>(vscode, (m) => {
  if (!state) return;
  switch (m?.type) {
    case "result":
      if (!isRankResult(m.result)) break;
      if (m.complete) state = { ...state, result: { ...m.result, units: mergeRanked(state.result.units, m.result.units) }, complete: true };
      else state = { ...state, result: { ...state.result, units: mergeRanked(state.result.units, m.result.units) } };
      render();
      break;
    case "stats":
      if (isStats(m.stats) && m.stats.unit === state.selected) {
        state.stats = m.stats;
        renderStats();
        save();
      }
      break;
    case "statsError":
      if (m.unit === state.selected) renderStats(String(m.message));
      break;
    case "status":
      setStatus(String(m.text), m.error === true);
      break;
  }
});

render();
