// The occlusion webview's HTML, laid out like figure 7 of Zeiler and Fergus: the image, the target
// class's probability map, the most-probable-class map (with its legend) and a unit's activity
// map, each a heatmap over the image with one opacity slider; a form to run again with other
// parameters. Pure (no `vscode` import): a fresh nonce per load, every name escaped, images only
// as base64 from the daemon (checked) — nothing from the daemon's disk.

import { FILLS } from "./ablatePickers";
import { isHexColor } from "./dissectionMessages";
import type { OcclusionPanelState } from "./occlusionMessages";
import { escapeHtml, formatStat, panelPage, preprocessingHtml, type PageResources } from "./panelHtml";
import type { OcclusionMap } from "./protocol.generated";

export interface OcclusionHtmlInput extends PageResources {
  state: OcclusionPanelState;
}

const BASE64 = /^[A-Za-z0-9+/]+=*$/;

function png(base64: string): string | undefined {
  return BASE64.test(base64) ? `data:image/png;base64,${base64}` : undefined;
}

export function buildOcclusionHtml(input: OcclusionHtmlInput): string {
  const e = escapeHtml;
  const { state } = input;
  const r = state.result;
  const q = state.request;
  const size = `width="${r.imageWidth}" height="${r.imageHeight}"`;
  const percent = Math.round(Math.min(1, Math.max(0, state.opacity)) * 100);
  const base = png(r.imagePng);
  const baseImg = base ? `<img class="base" src="${base}" alt="" ${size}>` : "";

  const overlay = (id: string, map: string, alt: string) => {
    const src = png(map);
    return `<div class="frame">${baseImg}${src ? `<img id="${id}" class="overlay" src="${src}" alt="${e(alt)}" ${size}>` : ""}</div>`;
  };
  const range = (m: OcclusionMap, format: (v: number) => string) =>
    `<p class="range">${e(format(m.min))} – ${e(format(m.max))} · unoccluded ${e(format(m.unoccluded))}</p>`;
  const prob = (v: number) => v.toFixed(3);
  // A one-output model (a discriminator, a regression) is occluded on that output: a score, not a class's
  // probability, and a class map would be one colour.
  const score = r.classNames.length === 1;

  const legend = r.mostProbable.legend
    .map((l) => {
      const fill = isHexColor(l.color) ? ` fill="${l.color}"` : "";
      return `<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12"${fill}></rect></svg><span>${e(l.label)}</span> <span class="muted">${l.cells} position${l.cells === 1 ? "" : "s"}</span></li>`;
    })
    .join("");

  const activity = r.activity
    ? `<figure>
${overlay("map-activity", r.activity.map.heatmapPng, `Activity of unit ${r.activity.unit} of ${r.activity.layer} with the square at each position, over ${state.image.name}`)}
<figcaption><strong>Unit ${r.activity.unit} of ${e(r.activity.layer)}</strong>${r.activity.strongest ? ' <span class="muted">(strongest on the unoccluded image)</span>' : ""}: its total activity with the square at each position
${range(r.activity.map, formatStat)}</figcaption>
</figure>`
    : `<figure><div class="frame">${baseImg}</div><figcaption class="muted">This model has no layer with spatial maps whose activity could be mapped.</figcaption></figure>`;

  const classOptions = [`<option value=""${q.targetClass === undefined ? " selected" : ""}>Predicted (${e(r.classNames[r.predictedClass] ?? "")})</option>`]
    .concat(r.classNames.map((n, i) => `<option value="${i}"${q.targetClass === i ? " selected" : ""}>${e(n)}</option>`))
    .join("");
  // No layer asked: the daemon mapped its default (the last layer with spatial maps), shown as such.
  const shownLayer = q.layer ?? r.activity?.layer;
  const layerOptions = [`<option value=""${shownLayer === undefined ? " selected" : ""}>Default (the deepest)</option>`]
    .concat(state.model.layers.map((l) => `<option value="${e(l.name)}"${shownLayer === l.name ? " selected" : ""}>${e(l.name)} (${l.units} units)</option>`))
    .join("");
  const fillOptions = FILLS.map((f) => `<option value="${f}"${q.fill === f ? " selected" : ""}>${f === "mean" ? "dataset mean" : f}</option>`).join("");
  const side = Math.min(state.model.inputWidth, state.model.inputHeight);

  return panelPage(
    input,
    `Occlusion · ${state.image.name}`,
    `<header class="head">
<h1>Occlusion <span class="model">${e(state.image.name)} · ${e(state.model.modelLabel)}</span></h1>
<p class="meta">${
      score
        ? `The model's one output <strong>${e(r.targetLabel)}</strong> (a score, not a class probability) = ${e(formatStat(r.targetProbability))} unoccluded`
        : `Target <strong>${e(r.targetLabel)}</strong> (p = ${prob(r.targetProbability)} unoccluded; predicted ${e(r.classNames[r.predictedClass] ?? "?")})`
    } · square ${r.size} px every ${r.stride} px, ${r.rows}×${r.columns} positions · fill ${e(q.fill === "mean" ? "dataset mean" : q.fill)}${r.cached ? " · from the cache" : ""}</p>
${preprocessingHtml(r.preprocessing)}
</header>
<nav class="toolbar" aria-label="Occlusion view">
<label>Heatmap opacity <input id="opacity" type="range" min="0" max="100" step="1" value="${percent}"></label>
<button id="open-image" type="button" class="link" title="${e(state.image.uri)}">Open ${e(state.image.name)}</button>
</nav>
<p id="status" class="status" role="status" aria-live="polite"></p>
<div class="figures">
<figure>
<div class="frame">${baseImg}</div>
<figcaption><strong>Image</strong> as the model sees it (${r.imageWidth}×${r.imageHeight})</figcaption>
</figure>
<figure>
${overlay("map-probability", r.probability.heatmapPng, `${score ? "The output" : `Probability of ${r.targetLabel}`} with the square at each position, over ${state.image.name}`)}
${
  score
    ? `<figcaption><strong>The output</strong> with the square at each position (low: the square hides what raises the score)
${range(r.probability, formatStat)}</figcaption>`
    : `<figcaption><strong>p(${e(r.targetLabel)})</strong> with the square at each position (low: the square hides what the class needs)
${range(r.probability, prob)}</figcaption>`
}
</figure>
${
  score
    ? ""
    : `<figure>
${overlay("map-class", r.mostProbable.heatmapPng, `Most probable class with the square at each position, over ${state.image.name}`)}
<figcaption><strong>Most probable class</strong> with the square at each position
<ul class="class-legend" aria-label="Classes in the map">${legend}</ul></figcaption>
</figure>`
}
${activity}
</div>
<form id="options" class="options" aria-label="Run again with other parameters" novalidate>
<label${score ? " hidden" : ""}>Target class <select id="target">${classOptions}</select></label>
<label>Square (px) <input id="size" type="number" min="1" max="${side}" step="1" value="${q.size}" required></label>
<label>Stride (px) <input id="stride" type="number" min="1" max="${side}" step="1" value="${q.stride}" required></label>
<label>Fill <select id="fill">${fillOptions}</select></label>
<label>Layer <select id="layer">${layerOptions}</select></label>
<label>Unit <input id="unit" type="number" min="0" step="1" value="${q.unit ?? ""}" placeholder="strongest"></label>
<button id="run" type="submit" class="primary">Run again</button>
</form>
<details>
<summary>The figure as one picture</summary>
${png(r.compositePng) ? `<img class="composite" src="${png(r.compositePng)}" alt="${e(`Occlusion of ${state.image.name}: image, probability map, class map and activity map`)}">` : ""}
</details>`,
    state,
  );
}
