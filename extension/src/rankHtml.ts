// The ranking webview's HTML ("Which units matter for a class"). Pure (no `vscode` import); a fresh
// nonce per load; the state goes in as JSON that cannot close its script, and the webview script
// sets everything from the daemon as text.

import { escapeHtml, panelPage, preprocessingHtml, type PageResources } from "./panelHtml";
import type { RankPanelState } from "./rankMessages";

export interface RankHtmlInput extends PageResources {
  state: RankPanelState;
}

export function buildRankHtml(input: RankHtmlInput): string {
  const e = escapeHtml;
  const { state } = input;
  const r = state.result;
  return panelPage(
    input,
    `Units for ${r.classLabel} · ${r.layer}`,
    `<header class="head">
<h1>Which units of <span class="layer">${e(r.layer)}</span> matter for <span class="class">${e(r.classLabel)}</span></h1>
<p id="meta" class="meta"></p>
${preprocessingHtml(r.preprocessing)}
<div id="skipped"></div>
</header>
<nav class="toolbar" aria-label="Ranking">
<label>Ablate the top <input id="top-k" type="number" min="1" step="1" value="4"> units</label>
<button id="ablate-top" type="button">Ablate</button>
</nav>
<p id="status" class="status" role="status" aria-live="polite"></p>
<section aria-labelledby="curve-title">
<h2 id="curve-title">Zeroing the top k units vs k random ones</h2>
<ul class="legend" aria-hidden="true"><li><span class="key before"></span>top k</li><li><span class="key random"></span>random k (mean ± 1 sd of the draws)</li></ul>
<div id="curve" class="chart"></div>
</section>
<div class="ranking">
<table id="units" class="units">
<caption class="visually-hidden">Units ranked by the drop when each alone is zeroed; Enter or a click on a row shows the unit as a single-unit classifier.</caption>
<thead><tr><th scope="col">Rank</th><th scope="col">Unit</th><th scope="col">Drop</th><th scope="col">After</th><th scope="col">Label</th></tr></thead>
<tbody id="rows"></tbody>
</table>
<section id="stats" class="stats" aria-live="polite" aria-labelledby="stats-title">
<h2 id="stats-title">Single-unit classifier</h2>
<div id="stats-body"><p class="muted">Pick a unit in the table.</p></div>
</section>
</div>`,
    state,
  );
}
