// The dissection webview's HTML. Pure (no `vscode` import): the panel passes in the webview's CSP
// source and resource URIs. Every load gets a fresh nonce; everything from the model or the
// dataset is escaped here or set as text by the webview script.

import type { DissectionPanelState } from "./dissectionMessages";
import { escapeHtml, panelPage, type PageResources } from "./panelHtml";

export interface DissectionHtmlInput extends PageResources {
  state: DissectionPanelState;
}

/** Column headers: the sort key each one sorts by, and its label. */
const COLUMNS: readonly (readonly [string, string])[] = [
  ["unit", "Unit"],
  ["label", "Label"],
  ["category", "Category"],
  ["iou", "IoU"],
];

export function buildDissectionHtml(input: DissectionHtmlInput): string {
  const e = escapeHtml;
  const { state } = input;
  const headers = COLUMNS.map(
    ([key, label]) => `<th scope="col" data-sort="${key}"><button type="button" class="sort" data-sort="${key}">${label}</button></th>`,
  ).join("");

  return panelPage(
    input,
    `Dissection · ${state.model.modelLabel}`,
    `<header class="head">
<h1>Dissection <span class="model">${e(state.model.modelLabel)}</span></h1>
<p id="meta" class="meta"></p>
<div id="skipped"></div>
</header>
<nav class="toolbar" aria-label="Dissection view">
<label>Layer <select id="layer"></select></label>
<label>Concept <input id="filter" type="search" placeholder="concept or unit #" spellcheck="false" autocomplete="off"></label>
<label>Category <select id="category"></select></label>
<button id="dissect-more" type="button">Dissect layers…</button>
</nav>
<p id="status" class="status" role="status" aria-live="polite"></p>
<section class="summary" aria-labelledby="summary-title">
<h2 id="summary-title">Labelled units per category</h2>
<div id="chart" class="chart"></div>
</section>
<p id="count" class="count" aria-live="polite"></p>
<table id="units" class="units">
<caption class="visually-hidden">Units of the layer; the column buttons sort, the card images load as they scroll into view.</caption>
<thead><tr>${headers}<th scope="col">Top images</th></tr></thead>
<tbody id="rows"></tbody>
</table>`,
    state,
  );
}
