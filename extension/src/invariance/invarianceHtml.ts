// The invariance webview's HTML: figure 5 of Zeiler and Fergus as the daemon draws it (a row per
// transformation, a panel per layer and one for the true class's probability), a summary table,
// and what the transformations are exactly. Pure (no `vscode` import), everything escaped.

import { isBase64 } from "../guards";
import { escapeHtml, panelPage, type PageResources } from "../panelHtml";
import { invarianceSummary, type InvariancePanelState } from "./invarianceMessages";

export interface InvarianceHtmlInput extends PageResources {
  state: InvariancePanelState;
}

export function buildInvarianceHtml(input: InvarianceHtmlInput): string {
  const e = escapeHtml;
  const r = input.state.result;
  const rows = invarianceSummary(r)
    .map(
      (s) =>
        `<tr><th scope="row">${e(s.transform)}</th>${s.relative.map((v) => `<td>${v.toFixed(3)}</td>`).join("")}<td>${(s.lowestProbability * 100).toFixed(0)}%</td></tr>`,
    )
    .join("");
  const classes = r.images.map((name, i) => `${e(name)}: ${e(r.trueLabels[i] ?? "?")} (p = ${(r.baseProbabilities[i] ?? 0).toFixed(2)})`).join(" · ");
  return panelPage(
    input,
    `Invariance · ${r.images.length} image${r.images.length === 1 ? "" : "s"}`,
    `<header class="head">
<h1>Invariance <span class="model">${e(input.state.model.modelLabel)}</span></h1>
<p class="meta">True class followed: ${classes}${r.cached ? " · from the cache" : ""}</p>
</header>
${isBase64(r.chartPng) ? `<img class="composite" src="data:image/png;base64,${r.chartPng}" width="${r.chartWidth}" height="${r.chartHeight}" alt="${e(`Relative feature distance at ${r.layers.join(", ")} and the true class's probability as the images are transformed`)}">` : ""}
<table class="summary">
<caption>Mean relative distance ‖f(T x) − f(x)‖ / ‖f(x)‖ over the images and the sweep's values; the true class's lowest mean probability</caption>
<thead><tr><th scope="col">Transformation</th>${r.layers.map((l, i) => `<th scope="col">${e(l)} <span class="muted">(${r.featureSizes[i] ?? "?"} features)</span></th>`).join("")}<th scope="col">p(true), lowest</th></tr></thead>
<tbody>${rows}</tbody>
</table>
<details>
<summary>What the transformations are</summary>
<p>Each image is first sized as the model's description says, then transformed at the model's input size. Translation: whole pixels, down (or right) when positive, no resampling. Rotation: degrees about the centre, counter-clockwise as seen. Scale: a factor about the centre, above 1 enlarging the content. Rotation and scale sample bilinearly; whatever a transformation uncovers is filled with the normalisation mean. The untransformed image gives distance 0 exactly.</p>
</details>`,
    input.state,
  );
}
