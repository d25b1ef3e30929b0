// The Evolution panel's HTML: a training run as a timeline. One tab per followed layer; each shows
// the daemon's chart of the layer over the run, a row per checkpoint (mean activation, dead units,
// saturation, weight norm and change, labelled units per category) and, when the run was dissected,
// every unit's best concept and IoU per checkpoint (a unit's row is chosen to follow it). Pure (no
// `vscode` import).

import * as path from "node:path";
import { escapeHtml, formatStat, panelPage, type PageResources } from "../panelHtml";
import type { CheckpointSummary, LayerSummary, UnitConcept } from "../protocol.generated";
import { checkpointName, type EvolutionPanelState } from "./evolutionMessages";

export interface EvolutionHtmlInput extends PageResources {
  state: EvolutionPanelState;
}

/** The concept categories' colours, as the daemon's CategoryPalette draws them in its charts. */
const CATEGORY_COLOURS: Record<string, string> = {
  object: "#4e79a7",
  part: "#f28e2b",
  material: "#59a14f",
  scene: "#76b7b2",
  texture: "#b07aa1",
  color: "#e15759",
  shape: "#edc948",
};

export const pct = (v: number | null | undefined): string => (v === undefined || v === null ? "–" : `${(v * 100).toFixed(1)}%`);
const num = (v: number | null | undefined): string => (v === undefined || v === null ? "–" : formatStat(v));

/** A small square in the category's colour (an SVG attribute, which the panels' CSP allows, unlike inline styles). */
export function swatch(category: string): string {
  const colour = CATEGORY_COLOURS[category.toLowerCase()] ?? "#999999";
  return `<svg class="swatch" width="10" height="10" aria-hidden="true"><rect width="10" height="10" rx="2" fill="${colour}"/></svg>`;
}

/** Id-safe form of a layer name (dots and other characters become dashes). */
export const layerKey = (layer: string): string => layer.replace(/[^A-Za-z0-9_-]/g, "-");

function layerOf(c: CheckpointSummary, layer: string): LayerSummary | undefined {
  return c.layers.find((l) => l.layer === layer);
}

function checkpointRows(state: EvolutionPanelState, layer: string): string {
  const e = escapeHtml;
  return state.result.checkpoints
    .map((c) => {
      const l = layerOf(c, layer);
      if (!l) return "";
      const files = c.paths
        .map((p) => `<button type="button" class="link evo-open" data-path="${e(p)}" title="${e(p)}">${e(path.basename(p))}</button>`)
        .join(" = ");
      const concepts = (l.labelledByCategory ?? [])
        .filter((b) => b.units > 0)
        .map((b) => `${swatch(b.category)} ${e(b.category)} ${b.units}`)
        .join(", ");
      const labelled = l.labelled === undefined || l.labelled === null ? "–" : `${l.labelled} (${pct(l.units > 0 ? l.labelled / l.units : 0)})`;
      return `<tr><th scope="row">${e(checkpointName(c))}${c.cached ? ' <span class="muted">(cached)</span>' : ""}<div class="muted evo-files">${files}</div></th><td>${num(l.meanActivation)}</td><td>${pct(l.deadFraction)}</td><td>${pct(l.saturatedFraction)}</td><td>${num(l.weightNorm)}</td><td>${num(l.weightChange)}</td><td>${labelled}</td><td>${concepts || "–"}</td></tr>`;
    })
    .join("");
}

/** Every unit that matched a concept at some checkpoint, with its concept per checkpoint (undefined: none there). */
export function unitTimeline(state: EvolutionPanelState, layer: string): { unit: number; cells: (UnitConcept | undefined)[] }[] {
  const perCheckpoint = state.result.checkpoints.map((c) => new Map((layerOf(c, layer)?.unitConcepts ?? []).map((u) => [u.unit, u])));
  const units = [...new Set(perCheckpoint.flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  return units.map((unit) => ({ unit, cells: perCheckpoint.map((m) => m.get(unit)) }));
}

/** How often a unit's label changed along the run (a checkpoint where it is unlabelled counts as a label of its own). */
export function labelChanges(cells: readonly (UnitConcept | undefined)[]): number {
  const labels = cells.map((c) => (c?.labelled ? c.concept : ""));
  return labels.slice(1).filter((l, i) => l !== labels[i]).length;
}

function unitTable(state: EvolutionPanelState, layer: string): string {
  const e = escapeHtml;
  const dissected = state.result.checkpoints.some((c) => layerOf(c, layer)?.unitConcepts);
  if (!dissected) return `<p class="muted">Not dissected: run "Show training run" with dissection to follow each unit's concept across the run.</p>`;
  const rows = unitTimeline(state, layer);
  const head = state.result.checkpoints.map((c) => `<th scope="col">${e(checkpointName(c))}</th>`).join("");
  const body = rows
    .map(({ unit, cells }) => {
      const tds = cells
        .map((u) =>
          u
            ? `<td class="${u.labelled ? "evo-labelled" : "muted"}" title="${e(`${u.concept} (${u.category}) IoU ${u.iou.toFixed(3)}${u.labelled ? ", its label" : ", below the labelling threshold"}`)}">${swatch(u.category)} ${e(u.concept)} <span class="evo-iou">${u.iou.toFixed(2)}</span></td>`
            : `<td class="muted">–</td>`,
        )
        .join("");
      const selected = state.unit === unit && (state.layer ?? state.result.layers[0]) === layer;
      return `<tr class="evo-unit${selected ? " selected" : ""}" data-unit="${unit}" tabindex="0"><th scope="row">${unit}</th>${tds}<td>${labelChanges(cells)}</td></tr>`;
    })
    .join("");
  return `<h2>Units across the run</h2>
<p class="muted">Each unit's best concept and its IoU at each checkpoint; bold: its label (the IoU passed the threshold). Choose a unit (click, or Enter) to follow it.</p>
<table class="summary evo-units"><thead><tr><th scope="col">Unit</th>${head}<th scope="col">Label changes</th></tr></thead><tbody>${body}</tbody></table>`;
}

function layerSection(state: EvolutionPanelState, layer: string, shown: boolean): string {
  const e = escapeHtml;
  const chart = state.result.charts?.find((c) => c.layer === layer);
  const img = chart
    ? `<img class="evo-chart" src="data:image/png;base64,${chart.png}" width="${chart.width}" height="${chart.height}" alt="${e(layer)} over the run: labelled units per category, dead units and weight change per checkpoint">`
    : `<p class="muted">No chart: the run's response did not carry one.</p>`;
  return `<section class="evo-layer" id="evo-layer-${layerKey(layer)}" data-layer="${e(layer)}" role="tabpanel"${shown ? "" : " hidden"}>
${img}
<table class="summary evo-checkpoints">
<thead><tr><th scope="col">Checkpoint</th><th scope="col">Mean</th><th scope="col">Dead</th><th scope="col">Saturated</th><th scope="col">‖W‖</th><th scope="col">Weight change</th><th scope="col">Labelled</th><th scope="col">Concepts</th></tr></thead>
<tbody>${checkpointRows(state, layer)}</tbody>
</table>
${unitTable(state, layer)}
</section>`;
}

export function buildEvolutionHtml(input: EvolutionHtmlInput): string {
  const e = escapeHtml;
  const { state } = input;
  const r = state.result;
  const shown = state.layer ?? r.layers[0];
  const tabs = r.layers
    .map(
      (l) =>
        `<button type="button" role="tab" class="evo-tab" data-layer="${e(l)}" aria-selected="${l === shown}" aria-controls="evo-layer-${layerKey(l)}">${e(l)}</button>`,
    )
    .join("");
  return panelPage(
    input,
    `Training run · ${path.basename(state.run)}`,
    `<header class="head">
<h1>Training run <span class="model">${e(state.run)} · read as ${e(state.model.modelLabel)}</span></h1>
<p class="meta">${r.checkpoints.length} checkpoints in training order (by their epoch/step entries, else their names) · ${r.images} images of ${e(r.dataset)}. Dead: units never above 0; saturated: activations at or below 0; weight change: ‖W − W_prev‖ / ‖W_prev‖ of the layer's convolution. Click a file name to load that checkpoint.</p>
</header>
${state.landed ? `<p class="meta evo-landed" role="status">${state.landed} checkpoint${state.landed === 1 ? "" : "s"} summarised in the background since the charts were drawn: their rows are in the tables; show the run again to redraw the charts.</p>` : ""}
<div class="evo-tabs" role="tablist" aria-label="Layers">${tabs}</div>
${r.layers.map((l) => layerSection(state, l, l === shown)).join("\n")}
<section id="evo-unit" class="evo-unit-detail" aria-live="polite"></section>`,
    state,
  );
}
