// The unit card webview's HTML, rendered in full here (the script only persists state, wires the
// buttons and swaps in the card image when it arrives). Pure: no `vscode` import. Everything from
// the model or the dataset is escaped.

import { escapeHtml, panelPage, type PageResources } from "./panelHtml";
import { formatIou } from "./dissectionTable";
import { isHexColor } from "./dissectionMessages";
import { isBase64 } from "./guards";
import type { UnitCardPanelState } from "./unitCardMessages";

export interface UnitCardHtmlInput extends PageResources {
  state: UnitCardPanelState;
}

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

// Colours go into SVG attributes: the CSP allows no inline style attributes.
function swatch(color: string | undefined): string {
  return `<svg class="swatch" width="10" height="10" aria-hidden="true"><circle cx="5" cy="5" r="5"${color ? ` fill="${color}"` : ' class="none"'}/></svg> `;
}

function bar(fraction: number, color: string | undefined): string {
  const w = (Math.min(1, Math.max(0, fraction)) * 100).toFixed(1);
  return `<svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true"><rect width="${w}" height="8"${color ? ` fill="${color}"` : ' class="none"'}/></svg>`;
}

export function buildUnitCardHtml(input: UnitCardHtmlInput): string {
  const e = escapeHtml;
  const { view } = input.state;
  const u = view.unit;
  const colorOf = (category: string) => {
    const c = view.categories.find((x) => x.name === category)?.color;
    return c && isHexColor(c) ? c : undefined;
  };
  const label = u.label
    ? `<p class="label">${swatch(colorOf(u.label.category))}` +
      `<strong>${e(u.label.concept)}</strong> <span class="muted">(${e(u.label.category)})</span> · IoU ${formatIou(u.label.iou)}</p>`
    : `<p class="label muted">No label above IoU ${view.options.iouThreshold}${u.best ? ` — best: ${e(u.best.concept)} (${e(u.best.category)}) IoU ${formatIou(u.best.iou)}` : ""}</p>`;
  const maxIou = Math.max(0.001, ...u.bestPerCategory.map((c) => c.iou));
  const scores = [...u.bestPerCategory]
    .sort((a, b) => b.iou - a.iou)
    .map(
      (c) =>
        `<tr><th scope="row">${e(c.category)}</th><td>${e(c.concept)}</td><td class="num">${formatIou(c.iou)}</td>` +
        `<td class="barcell">${bar(c.iou / maxIou, colorOf(c.category))}</td></tr>`,
    )
    .join("\n");
  const card =
    view.card && isBase64(view.card.png)
      ? `<img id="card" src="data:image/png;base64,${view.card.png}" width="${view.card.width}" height="${view.card.height}" alt="${e(`Top ${u.topImages.length} images of unit ${u.unit} of ${view.layer}, the region where it is active outlined`)}">`
      : `<p id="card-status" class="muted" role="status">Loading the top images…</p>`;
  const ablation = view.ablation
    ? `<p>Zeroing this unit alone: accuracy ${percent(view.ablation.before)} → <strong>${percent(view.ablation.after)}</strong> (${((view.ablation.after - view.ablation.before) * 100).toFixed(1)} points).</p>` +
      (view.ablation.classes.length
        ? `<ul class="classes">${view.ablation.classes.map((c) => `<li>${e(c.label)}: ${percent(c.before)} → ${percent(c.after)}</li>`).join("")}</ul>`
        : "")
    : `<p class="muted">Not measured yet.</p>`;
  const datasetName = view.dataset === "probe" ? "the built-in probe set" : (view.dataset.split(/[\\/]/).filter(Boolean).pop() ?? view.dataset);

  return panelPage(
    input,
    `Card · ${view.layer} · unit ${u.unit}`,
    `<header class="head">
<h1><span class="layer">${e(view.layer)}</span> <span class="unit">unit ${u.unit}</span></h1>
<p class="meta">${e(view.model.modelLabel)} · dissected on ${e(datasetName)} (${view.imageCount} images) · threshold t = ${Number(u.threshold.toPrecision(4))}</p>
</header>
<nav class="toolbar" aria-label="Unit">
<button id="prev" type="button" data-unit="${u.unit - 1}"${u.unit <= 0 ? " disabled" : ""} aria-label="Previous unit">◀ Unit ${Math.max(0, u.unit - 1)}</button>
<button id="next" type="button" data-unit="${u.unit + 1}"${u.unit + 1 >= view.units ? " disabled" : ""} aria-label="Next unit">Unit ${Math.min(view.units - 1, u.unit + 1)} ▶</button>
<button id="unit-map" type="button">Map over an image…</button>
<button id="ablate" type="button">Ablate this unit…</button>
<button id="open-dissection" type="button">Open dissection</button>
<button id="visualize" type="button">Visualize this unit…</button>
<button id="gallery" type="button">Unit gallery…</button>
</nav>
<p id="status" class="status" role="status" aria-live="polite"></p>
<section aria-labelledby="label-title">
<h2 id="label-title">Dissection label</h2>
${label}
<table class="scores">
<caption class="visually-hidden">Best concept of each category and its IoU with the unit's active region</caption>
<thead><tr><th scope="col">Category</th><th scope="col">Best concept</th><th scope="col">IoU</th><th scope="col"><span class="visually-hidden">Relative IoU</span></th></tr></thead>
<tbody>
${scores}
</tbody>
</table>
</section>
<section aria-labelledby="images-title">
<h2 id="images-title">Top images</h2>
<div id="card-frame" class="card">${card}</div>
</section>
<section aria-labelledby="projections-title">
<h2 id="projections-title">Strongest activations</h2>
<div id="projections-frame" class="projections"><p class="muted">Not searched yet (Unit gallery…).</p></div>
</section>
<section aria-labelledby="optimised-title">
<h2 id="optimised-title">Optimised image</h2>
<div id="optimised-frame" class="pixelated"><p class="muted">Not computed yet (Visualize this unit…).</p></div>
</section>
<section aria-labelledby="ablation-title">
<h2 id="ablation-title">Ablation effect</h2>
${ablation}
</section>`,
    input.state,
  );
}
