// The Compare panel's HTML: two checkpoints layer by layer (the daemon's CKA chart, a row per layer
// in the order of how much it changed) and a place for the chosen layer's units matched across the
// two (the page script fills it from the state). Pure (no `vscode` import).

import { escapeHtml, panelPage, type PageResources } from "../panelHtml";
import type { ComparePanelState } from "./evolutionMessages";

export interface CompareHtmlInput extends PageResources {
  state: ComparePanelState;
}

const fixed = (v: number | null | undefined): string => (v === undefined || v === null ? "–" : v.toFixed(3));

export function buildCompareHtml(input: CompareHtmlInput): string {
  const e = escapeHtml;
  const { state } = input;
  const r = state.result;
  const chosen = state.layer ?? r.rankedByChange[0];
  const byName = new Map(r.layers.map((l) => [l.layer, l]));
  const rows = r.rankedByChange
    .map((name, rank) => {
      const l = byName.get(name);
      if (!l) return "";
      const smaller = Math.min(l.unitsA, l.unitsB);
      return `<tr class="cmp-layer${name === chosen ? " selected" : ""}" data-layer="${e(name)}" tabindex="0"><td>${rank + 1}</td><th scope="row">${e(name)}</th><td>${l.unitsA === l.unitsB ? l.unitsA : `${l.unitsA} / ${l.unitsB}`}</td><td>${fixed(l.cka)}</td><td>${fixed(l.meanMatchedCorrelation)}</td><td>${l.matchedToSameIndex} of ${smaller}</td><td>${l.labelChanges === undefined || l.labelChanges === null ? "–" : l.labelChanges}</td></tr>`;
    })
    .join("");
  return panelPage(
    input,
    `Compare · ${state.modelA.modelLabel} ↔ ${state.modelB.modelLabel}`,
    `<header class="head">
<h1>Compare checkpoints <span class="model">A: ${e(state.modelA.modelLabel)} · B: ${e(state.modelB.modelLabel)}</span></h1>
<p class="meta">${r.layers.length} layers on ${r.images} images of ${e(r.dataset)}${r.cached ? " · from the cache" : ""}. Linear CKA: 1 when a layer's representation is the same up to a rotation and scale. Units are matched across the two by the correlation of their activations (a Hungarian assignment: after retraining, unit 5 need not be unit 5). Choose a layer (click, or Enter) for its matched units.</p>
</header>
<img class="cmp-chart" src="data:image/png;base64,${r.chartPng}" width="${r.chartWidth}" height="${r.chartHeight}" alt="Linear CKA per layer and the matched units' mean correlation">
<table class="summary cmp-layers">
<thead><tr><th scope="col">Rank</th><th scope="col">Layer</th><th scope="col">Units</th><th scope="col">CKA</th><th scope="col">Mean matched correlation</th><th scope="col">Matched to own index</th><th scope="col">Label changes</th></tr></thead>
<tbody>${rows}</tbody>
</table>
<section id="cmp-matches" class="cmp-matches" aria-live="polite"></section>`,
    state,
  );
}
