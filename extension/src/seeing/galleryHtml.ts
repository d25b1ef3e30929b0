// The unit-gallery webview's HTML, laid out like figure 2 of Zeiler and Fergus for one unit: per
// strongest activation, the image with the receptive field outlined, the patch under it and its
// projection back to the pixels, with the method used and why; a form to show another unit of the
// layer (the top-k pass is cached, so it comes at once), another method or k. Pure (no `vscode`
// import): a fresh nonce per load, every name escaped, images only as base64 from the daemon.

import { escapeHtml, formatStat, panelPage, type PageResources } from "../panelHtml";
import type { GalleryActivation } from "../protocol.generated";
import { MAX_K, METHODS, type GalleryPanelState } from "./galleryMessages";

export interface GalleryHtmlInput extends PageResources {
  state: GalleryPanelState;
}

/** Tiles are drawn this many CSS pixels on their longer side (patches are small: pixels kept sharp by the stylesheet). */
export const TILE = 112;

const BASE64 = /^[A-Za-z0-9+/]+=*$/;

function png(base64: string): string | undefined {
  return BASE64.test(base64) ? `data:image/png;base64,${base64}` : undefined;
}

/** Width and height attributes fitting a w×h picture into the tile, aspect kept. */
function fit(w: number, h: number): string {
  const scale = TILE / Math.max(1, w, h);
  return `width="${Math.max(1, Math.round(w * scale))}" height="${Math.max(1, Math.round(h * scale))}"`;
}

const METHOD_NAMES: Record<string, string> = {
  auto: "auto (deconvnet where it applies)",
  deconvnet: "deconvnet",
  guided: "guided backpropagation",
  gradient: "gradient",
};

function activationHtml(a: GalleryActivation, rank: number, state: GalleryPanelState): string {
  const e = escapeHtml;
  const r = state.result;
  const name = a.imagePath.split(/[\\/]/).pop() ?? a.imagePath;
  const img = (src: string, cls: string, size: string, alt: string) => {
    const data = png(src);
    return data ? `<img class="${cls}" src="${data}" ${size} alt="${e(alt)}">` : "";
  };
  return `<figure class="activation">
<div class="tiles">
${img(a.imagePng, "whole", fit(r.inputWidth, r.inputHeight), `${name} with the receptive field of the activation outlined`)}
${img(a.patchPng, "patch", fit(a.box.width, a.box.height), `The patch of ${name} under the receptive field`)}
${img(a.projectionPng, "projection", fit(a.box.width, a.box.height), `The activation projected back to the pixels of the patch`)}
</div>
<figcaption><strong>#${rank}</strong> ${e(formatStat(a.value))} <span class="muted" title="${e(a.imagePath)}">${e(name)} · at (${a.y}, ${a.x})</span></figcaption>
</figure>`;
}

export function buildGalleryHtml(input: GalleryHtmlInput): string {
  const e = escapeHtml;
  const { state } = input;
  const r = state.result;
  const q = state.request;
  const methodOptions = METHODS.map((m) => `<option value="${m}"${q.method === m ? " selected" : ""}>${e(METHOD_NAMES[m] ?? m)}</option>`).join("");
  const field = r.receptiveField ? `receptive field ${e(r.receptiveField)}` : "receptive field: the whole input";
  const body = r.activations.length
    ? `<div class="gallery" aria-label="Strongest activations, strongest first">${r.activations.map((a, i) => activationHtml(a, i + 1, state)).join("\n")}</div>`
    : `<p class="muted">No activations: the dataset has no images.</p>`;
  const figure = png(r.figurePng);
  return panelPage(
    input,
    `Gallery · ${r.layer} unit ${r.unit}`,
    `<header class="head">
<h1>${e(r.layer)} · unit ${r.unit} <span class="model">${e(state.model.modelLabel)}</span></h1>
<p class="meta">Top ${r.activations.length} of ${r.images} images of ${e(r.dataset)} · ${field}${r.cached ? " · strongest activations from the cache" : ""}</p>
<p class="method"><strong>${e(METHOD_NAMES[r.method] ?? r.method)}</strong>: ${e(r.methodReason)}</p>
</header>
<form id="options" class="options" aria-label="Show another unit, method or number of images" novalidate>
<label>Unit <input id="unit" type="number" min="0" max="${state.model.units - 1}" step="1" value="${q.unit}" required></label>
<button id="previous" type="button" title="Previous unit" aria-label="Previous unit">‹</button>
<button id="next" type="button" title="Next unit" aria-label="Next unit">›</button>
<label>Projection <select id="method">${methodOptions}</select></label>
<label>Images <input id="k" type="number" min="1" max="${MAX_K}" step="1" value="${q.k}" required></label>
<button id="run" type="submit" class="primary">Show</button>
</form>
<p id="status" class="status" role="status" aria-live="polite"></p>
<p class="legend muted">Each activation: the image as the model saw it with the receptive field outlined, the patch under it, and the activation projected back to those pixels (grey is zero).</p>
${body}
<details>
<summary>The gallery as one picture</summary>
${figure ? `<img class="figure" src="${figure}" alt="${e(`${r.layer} unit ${r.unit}: strongest activations, patches and projections`)}">` : ""}
</details>`,
    state,
  );
}
