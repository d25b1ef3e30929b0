// The ablation webview's HTML. Pure (no `vscode` import): the panel passes in the webview's CSP
// source and resource URIs. Every load gets a fresh nonce; the state goes in as JSON that cannot
// close its script, and the webview script sets everything from the daemon as text.

import type { AblationPanelState } from "./ablationMessages";
import { escapeHtml, panelPage, preprocessingHtml, type PageResources } from "./panelHtml";

export interface AblationHtmlInput extends PageResources {
  state: AblationPanelState;
}

/** Column headers: the sort key each one sorts by (none: not sortable), and its label. */
const COLUMNS: readonly (readonly [string | undefined, string])[] = [
  ["class", "Class"],
  [undefined, "Images"],
  ["before", "Before"],
  ["after", "After"],
  ["change", "Change"],
  [undefined, "Random control"],
];

export function buildAblationHtml(input: AblationHtmlInput): string {
  const e = escapeHtml;
  const { state } = input;
  const r = state.result;
  const title = `Ablation · ${r.layer} · ${state.model.modelLabel}`;
  const headers = COLUMNS.map(([key, label]) =>
    key ? `<th scope="col" data-sort="${key}"><button type="button" class="sort" data-sort="${key}">${label}</button></th>` : `<th scope="col">${label}</th>`,
  ).join("");

  return panelPage(
    input,
    title,
    `<header class="head">
<h1>Ablation <span class="layer">${e(r.layer)}</span> <span class="model">${e(state.model.modelLabel)}</span></h1>
<p id="meta" class="meta"></p>
<div id="skipped"></div>
<p id="units" class="units-list"></p>
${preprocessingHtml(r.preprocessing)}
</header>
<nav class="toolbar" aria-label="Ablation view">
<label><input id="show-control" type="checkbox"> Random control</label>
<button id="ablate-again" type="button">Ablate other units…</button>
</nav>
<p id="status" class="status" role="status" aria-live="polite"></p>
<section class="overall" aria-labelledby="overall-title">
<h2 id="overall-title">Overall accuracy</h2>
<dl id="overall" class="overall-list"></dl>
</section>
<section class="per-class" aria-labelledby="chart-title">
<h2 id="chart-title">Accuracy per class</h2>
<ul class="legend" aria-hidden="true"><li><span class="key before"></span>before</li><li><span class="key after"></span>units zeroed</li><li id="legend-control"><span class="key control"></span>random control</li></ul>
<div id="chart" class="chart"></div>
</section>
<table id="classes" class="classes">
<caption class="visually-hidden">Accuracy per class before and after the ablation; the column buttons sort, a class button ranks the layer's units for it.</caption>
<thead><tr>${headers}</tr></thead>
<tbody id="rows"></tbody>
</table>`,
    state,
  );
}
