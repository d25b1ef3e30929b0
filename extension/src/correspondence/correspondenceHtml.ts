// The correspondence webview's HTML: table 1 of Zeiler and Fergus as a chart (the daemon's) and a
// table, Δ of each part beside Δ of random boxes of the same sizes. Pure (no `vscode` import).

import { isBase64 } from "../guards";
import { escapeHtml, panelPage, type PageResources } from "../panelHtml";
import type { CorrespondencePanelState } from "./correspondenceMessages";

export interface CorrespondenceHtmlInput extends PageResources {
  state: CorrespondencePanelState;
}

export function buildCorrespondenceHtml(input: CorrespondenceHtmlInput): string {
  const e = escapeHtml;
  const { result: r, boxesFile } = input.state;
  const f = (v: number) => v.toFixed(4);
  const rows = r.parts
    .flatMap((p) =>
      p.layers.map(
        (l) =>
          `<tr><th scope="row">${e(p.part)} <span class="muted">(${p.images.length} images)</span></th><td>${e(l.layer)}</td><td>${f(l.delta)} ± ${f(l.deltaStd)}</td><td>${r.randomDraws > 0 ? `${f(l.randomDelta)} ± ${f(l.randomStd)}` : "–"}</td><td>${r.randomDraws > 0 ? (l.delta < l.randomDelta ? "more consistent" : "not more consistent") : ""}</td></tr>`,
      ),
    )
    .join("");
  return panelPage(
    input,
    `Correspondence · ${boxesFile}`,
    `<header class="head">
<h1>Correspondence <span class="model">${e(boxesFile)} · ${e(input.state.model.modelLabel)}</span></h1>
<p class="meta">The same part hidden in every image that has a box for it; at each layer, Δ is the mean over image pairs of the share of features whose change (original − occluded) has another sign. Lower: the part changes the features more consistently. Control: random boxes of the same sizes (${r.randomDraws} draws)${r.cached ? " · from the cache" : ""}.</p>
</header>
${isBase64(r.chartPng) ? `<img class="composite" src="data:image/png;base64,${r.chartPng}" width="${r.chartWidth}" height="${r.chartHeight}" alt="Δ of each part beside Δ of random boxes, per layer">` : ""}
<table class="summary">
<thead><tr><th scope="col">Part</th><th scope="col">Layer</th><th scope="col">Δ part</th><th scope="col">Δ random</th><th scope="col"></th></tr></thead>
<tbody>${rows}</tbody>
</table>`,
    input.state,
  );
}
