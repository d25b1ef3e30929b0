// The GAN panel's HTML: a generator layer's dissection (the labelled units per category, a grid of
// generated samples with their segmentation, the concepts grouped by category with their units and IoU),
// the intervention controls (a concept, how many of its top units, a rectangle dragged on a sample) and
// the last intervention's result: the concept's pixel share with its top units ablated against as many
// random units, and with them forced on in the region, inside against outside, with before/after samples.
// Pure (no `vscode` import).

import { escapeHtml, panelPage, type PageResources } from "../panelHtml";
import type { GanDissectResult, GanEditExample, GanEditResult } from "../protocol.generated";
import { conceptsByCategory, type GanPanelState } from "./ganMessages";

export interface GanHtmlInput extends PageResources {
  state: GanPanelState;
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const png = (b64: string) => `data:image/png;base64,${b64}`;
/** A path's last part (the full path goes in the tooltip: a temporary folder's name says nothing). */
const fileName = (p: string) => p.split(/[\\/]/).pop() || p;

/** How much larger samples are drawn than the generator makes them (pixelated): about 96 px. */
export function sampleScale(d: Pick<GanDissectResult, "imageWidth" | "imageHeight">): number {
  return Math.max(1, Math.round(96 / Math.max(d.imageWidth, d.imageHeight)));
}

function grid(state: GanPanelState): string {
  const d = state.dissection;
  const s = sampleScale(d);
  const e = escapeHtml;
  return d.samples
    .map(
      (x, i) =>
        `<button type="button" class="gan-sample${i === state.ui.sample ? " selected" : ""}" data-sample="${i}" aria-pressed="${i === state.ui.sample}" aria-label="${e(`Sample ${x.index}: paint on it`)}">` +
        `<img src="${png(x.imagePng)}" alt="" width="${d.imageWidth * s}" height="${d.imageHeight * s}">` +
        `<img class="gan-segmentation" src="${png(x.segmentationPng)}" alt="" width="${d.imageWidth * s}" height="${d.imageHeight * s}"></button>`,
    )
    .join("");
}

function concepts(state: GanPanelState): string {
  const e = escapeHtml;
  const groups = [...conceptsByCategory(state.dissection)];
  if (groups.length === 0) return `<p class="muted">No unit overlaps any concept: nothing to intervene on.</p>`;
  return groups
    .map(
      ([category, list]) =>
        `<h3>${e(category)} <span class="muted">${list.length} concepts</span></h3><table class="gan-concepts"><tbody>` +
        list
          .map(
            (c) =>
              `<tr class="gan-concept${c.concept === state.ui.concept ? " selected" : ""}" data-concept="${e(c.concept)}" tabindex="0" aria-selected="${c.concept === state.ui.concept}">` +
              `<th scope="row">${e(c.concept)}</th><td>${c.units.length} units</td><td class="muted">${c.units
                .slice(0, 8)
                .map((u, i) => `${u} (${c.ious[i]!.toFixed(3)})`)
                .join(", ")}${c.units.length > 8 ? ", …" : ""}</td></tr>`,
          )
          .join("") +
        `</tbody></table>`,
    )
    .join("");
}

function examples(list: readonly GanEditExample[], what: string, d: GanDissectResult): string {
  const s = sampleScale(d);
  const size = `width="${d.imageWidth * s}" height="${d.imageHeight * s}"`;
  return `<div class="gan-examples">${list
    .map(
      (x) =>
        `<figure class="gan-example"><img src="${png(x.originalPng)}" alt="${escapeHtml(`sample ${x.sample} as generated`)}" ${size}><img src="${png(x.editedPng)}" alt="${escapeHtml(`sample ${x.sample} ${what}`)}" ${size}><figcaption class="muted">${x.sample}: before · after</figcaption></figure>`,
    )
    .join("")}</div>`;
}

/** The last intervention: ablation always, insertion when a region was given. */
export function editHtml(edit: GanEditResult, d: GanDissectResult): string {
  const e = escapeHtml;
  const a = edit.ablation;
  const randomMean = a.areaRandomAblated.length ? a.areaRandomAblated.reduce((x, y) => x + y, 0) / a.areaRandomAblated.length : a.areaBefore;
  const i = edit.insertion;
  const insertion = i
    ? `<h3>Forced on in columns ${i.region.x0}–${i.region.x1 - 1}, rows ${i.region.y0}–${i.region.y1 - 1} <span class="muted">(the layer's cells ${i.layerRegion.x0}–${i.layerRegion.x1 - 1} × ${i.layerRegion.y0}–${i.layerRegion.y1 - 1})</span></h3>
<table class="gan-measures"><thead><tr><th scope="col">${e(edit.concept)} share</th><th scope="col">Before</th><th scope="col">After</th><th scope="col">Change</th></tr></thead><tbody>
<tr data-measure="inside"><th scope="row">Inside the region</th><td>${pct(i.insideBefore)}</td><td>${pct(i.insideAfter)}</td><td>${pct(i.insideAfter - i.insideBefore)}</td></tr>
<tr data-measure="outside"><th scope="row">Outside</th><td>${pct(i.outsideBefore)}</td><td>${pct(i.outsideAfter)}</td><td>${pct(i.outsideAfter - i.outsideBefore)}</td></tr>
</tbody></table>
<p class="muted">${i.samplesGaining} of ${edit.sampleCount} samples gained ${e(edit.concept)} inside the region.</p>
${examples(i.examples, `with ${edit.concept} forced on`, d)}`
    : `<p class="muted">Drag a rectangle on a sample and choose "Insert in region" to force the units on there.</p>`;
  return `<section id="gan-edit" class="gan-edit" aria-live="polite">
<h2>Intervention on ${e(edit.concept)} <span class="muted">(${e(edit.category)}) over ${edit.sampleCount} held-out samples</span></h2>
<h3>Ablated: its top ${a.topUnits.length} units <span class="muted">(${e(a.topUnits.join(", "))})</span> against ${a.topUnits.length} random units</h3>
<table class="gan-measures"><thead><tr><th scope="col">Units zeroed</th><th scope="col">${e(edit.concept)} share of pixels</th><th scope="col">Drop <span class="muted">(of that share)</span></th></tr></thead><tbody>
<tr data-measure="before"><th scope="row">None</th><td>${pct(a.areaBefore)}</td><td></td></tr>
<tr data-measure="top"><th scope="row">Top ${a.topUnits.length}</th><td>${pct(a.areaTopAblated)}</td><td>${pct(a.topDrop)}</td></tr>
<tr data-measure="random"><th scope="row">Random ${a.topUnits.length} <span class="muted">(mean of ${a.areaRandomAblated.length})</span></th><td>${pct(randomMean)}</td><td>${pct(a.randomDrop)}</td></tr>
</tbody></table>
${examples(a.examples, `with ${edit.concept}'s units ablated`, d)}
${insertion}
</section>`;
}

export function buildGanHtml(input: GanHtmlInput): string {
  const e = escapeHtml;
  const { state } = input;
  const d = state.dissection;
  const s = sampleScale(d);
  const labelled = d.units.filter((u) => u.concept).length;
  const byCategory = Object.entries(d.labelledByCategory)
    .filter(([, n]) => n > 0)
    .map(([c, n]) => `${n} ${e(c)}`)
    .join(" · ");
  const painted = d.samples[state.ui.sample] ?? d.samples[0];
  const r = state.ui.region;
  const conceptOptions = d.concepts
    .map(
      (c) =>
        `<option value="${e(c.concept)}"${c.concept === state.ui.concept ? " selected" : ""}>${e(c.concept)} (${e(c.category)}, ${c.units.length} units)</option>`,
    )
    .join("");
  const regionInput = (name: "x0" | "y0" | "x1" | "y1", max: number) =>
    `<label>${name} <input type="number" id="gan-${name}" min="0" max="${max}" step="1" value="${r ? r[name] : ""}"></label>`;
  return panelPage(
    input,
    `GAN dissection · ${d.layer}`,
    `<header class="head">
<h1>GAN dissection <span class="model">${e(d.layer)} · ${e(state.model.modelLabel)}</span></h1>
<p class="meta">${d.sampleCount} generated samples (seed ${d.seed}), each ${d.imageWidth} × ${d.imageHeight}, segmented${state.request.segmenterPath ? ` by <span title="${e(state.request.segmenterPath)}">${e(fileName(state.request.segmenterPath))}</span>` : " by the demo segmenter"}${d.cached ? " · from the cache" : ""}. ${labelled} of ${d.units.length} units labelled${byCategory ? `: ${byCategory}` : ""}.</p>
</header>
<img class="gan-summary" src="${png(d.summaryPng)}" alt="${e(`Labelled units of ${d.layer} per category`)}">
<h2>Samples <span class="muted">(below each: its ${e(d.segmentedCategory)} segmentation; click one to paint on it)</span></h2>
<div class="gan-grid" role="group" aria-label="Generated samples">${grid(state)}</div>
<h2>Concepts and their units <span class="muted">(unit (IoU), best first)</span></h2>
${concepts(state)}
<h2>Intervene</h2>
<div class="toolbar">
<label>Concept <select id="gan-concept"><option value="">—</option>${conceptOptions}</select></label>
<label>Top units <input type="number" id="gan-units" min="1" max="32" step="1" value="${state.ui.units}"></label>
<button type="button" id="gan-ablate">Ablate</button>
<button type="button" id="gan-insert"${r ? "" : " disabled"}>Insert in region</button>
<button type="button" id="gan-clear"${r ? "" : " disabled"}>Clear region</button>
</div>
<div class="gan-paint-row">
<div id="gan-canvas" class="gan-canvas" data-width="${d.imageWidth}" data-height="${d.imageHeight}" data-scale="${s * 2}">
${painted ? `<img id="gan-paint" src="${png(painted.imagePng)}" alt="${e(`Sample ${painted.index}: drag a rectangle on it`)}" draggable="false">` : ""}
<div id="gan-rect" class="gan-rect"${r ? "" : " hidden"}></div>
</div>
<div class="gan-region-inputs"><p class="muted">Drag on the sample, or type the region in the generator's pixels (columns x0 to x1, rows y0 to y1, ends excluded).</p>
${regionInput("x0", d.imageWidth - 1)} ${regionInput("y0", d.imageHeight - 1)} ${regionInput("x1", d.imageWidth)} ${regionInput("y1", d.imageHeight)}</div>
</div>
<p id="gan-status" class="status" role="status"></p>
${state.edit ? editHtml(state.edit, d) : `<section id="gan-edit" class="gan-edit" aria-live="polite"><p class="muted">Choose a concept and "Ablate" to remove it, or drag a region and "Insert in region".</p></section>`}`,
    state,
  );
}
