// The "Visualize unit" webview's HTML: the optimised image (scaled up without smoothing, so its
// pixels stay visible), the hypothesis test on it (the layer's mean activation per unit, the unit's
// rank), the tests on real images, and a form to optimise again. While a run goes on, the script
// swaps in each round's image as the daemon sends it. Pure (no `vscode` import): a fresh nonce per
// load, every name escaped, images only as base64 from the daemon (checked).

import { isBase64 } from "../guards";
import { escapeHtml, formatStat, panelPage, type PageResources } from "../panelHtml";
import type { HypothesisTestResult } from "../protocol.generated";
import { displayScale, MAX_ROUNDS, MAX_STEPS, type VisualizePanelState } from "./visualizeMessages";

export interface VisualizeHtmlInput extends PageResources {
  state: VisualizePanelState;
  /** A run is going on (the page shows its previews and a Cancel button). */
  running: boolean;
}

function png(base64: string): string | undefined {
  return isBase64(base64) ? `data:image/png;base64,${base64}` : undefined;
}

function chart(test: HypothesisTestResult, caption: string): string {
  const e = escapeHtml;
  const src = png(test.chartPng);
  const stands =
    test.rank === 1 ? "the strongest of its layer" : `outranked by ${test.rank - 1} unit${test.rank === 2 ? "" : "s"} (strongest: unit ${test.strongestUnit})`;
  return `<figure class="hypothesis">
${src ? `<img class="chart" src="${src}" alt="${e(`Mean activation of each unit of ${test.layer}; unit ${test.unit} ranks ${test.rank} of ${test.meanActivations.length}`)}" width="${test.chartWidth}" height="${test.chartHeight}">` : ""}
<figcaption>${caption}: unit ${test.unit} ranks <strong>#${test.rank}</strong> of ${test.meanActivations.length}, ${e(stands)}; its mean activation ${e(formatStat(test.meanActivations[test.unit] ?? NaN))}</figcaption>
</figure>`;
}

export function buildVisualizeHtml(input: VisualizeHtmlInput): string {
  const e = escapeHtml;
  const { state, running } = input;
  const q = state.request;
  const r = state.result;
  const current = r && r.layer === q.layer && r.unit === q.unit ? r : undefined;
  const width = current?.width ?? 0;
  const height = current?.height ?? 0;
  const scale = displayScale(width, height);
  const image = current && png(current.imagePng);
  const objective = q.objective === "neuron" ? "the unit at the centre of its map" : "the mean of its whole map";

  const layerOptions = state.model.layers
    .map((l) => `<option value="${e(l.name)}"${l.name === q.layer ? " selected" : ""}>${e(l.name)} (${l.units} units)</option>`)
    .join("");
  const objectiveOptions = (["channel", "neuron"] as const)
    .map((o) => `<option value="${o}"${q.objective === o ? " selected" : ""}>${o === "channel" ? "whole map (channel)" : "centre neuron"}</option>`)
    .join("");
  const units = state.model.layers.find((l) => l.name === q.layer)?.units ?? 1;
  const dead = current !== undefined && current.finalActivation === 0;

  const figure = `<figure class="optimised">
<div class="frame pixelated" id="image-frame">${image ? `<img id="optimised" src="${image}" alt="${e(`Image optimised to excite unit ${q.unit} of ${q.layer}`)}" width="${width * scale}" height="${height * scale}">` : `<img id="optimised" class="hidden" alt="${e(`The image being optimised for unit ${q.unit} of ${q.layer}`)}">`}</div>
<figcaption id="image-caption">${
    current
      ? `Optimised from noise to excite ${e(objective)}: ${e(formatStat(current.finalActivation))} (rounds: ${current.roundActivations.map((a) => e(formatStat(a))).join(" → ")})${current.cached ? " · from the cache" : ""}`
      : running
        ? "Optimising: each round's image appears here."
        : "Not optimised yet: choose the parameters and Run."
  }</figcaption>
${dead ? `<p class="warning">The unit stayed at 0 on every image tried: nothing reached it. Try another seed, or the layer before its ReLU.</p>` : ""}
</figure>`;

  const tests = state.tests.filter((t) => t.result.layer === q.layer && t.result.unit === q.unit);
  return panelPage(
    input,
    `Visualize · ${q.layer} unit ${q.unit}`,
    `<header class="head">
<h1>Visualize <span class="model">${e(q.layer)} unit ${q.unit} · ${e(state.model.modelLabel)}</span></h1>
<p class="meta">Activation maximisation (seed 004's multi-scale recipe): ${q.rounds} rounds of ${q.steps} Adam steps on a growing image, blurred between rounds · seed ${q.seed}</p>
</header>
<p id="status" class="status" role="status" aria-live="polite"></p>
<div class="figures">
${figure}
${current ? chart(current.hypothesis, "On the optimised image") : ""}
</div>
<form id="options" class="options" aria-label="Optimise with other parameters" novalidate>
<label>Layer <select id="layer">${layerOptions}</select></label>
<label>Unit <input id="unit" type="number" min="0" max="${units - 1}" step="1" value="${q.unit}" required></label>
<label>Objective <select id="objective">${objectiveOptions}</select></label>
<label>Seed <input id="seed" type="number" min="0" step="1" value="${q.seed}" required></label>
<label>Rounds <input id="rounds" type="number" min="1" max="${MAX_ROUNDS}" step="1" value="${q.rounds}" required></label>
<label>Steps per round <input id="steps" type="number" min="1" max="${MAX_STEPS}" step="1" value="${q.steps}" required></label>
<button id="run" type="submit" class="primary"${running ? ' aria-disabled="true"' : ""}>Run</button>
<button id="cancel" type="button"${running ? "" : ' class="hidden"'}>Cancel</button>
</form>
<section aria-label="Hypothesis tests on real images">
<h2>Hypothesis test</h2>
<p class="meta">Does a real image you think of as this unit's pattern make it stand out in its layer? <button id="test-image" type="button" class="link">Test an image…</button>${current ? ` · <button id="save-image" type="button" class="link">Save the optimised image…</button>` : ""}</p>
${tests.map((t) => chart(t.result, `On ${e(t.image)}`)).join("\n")}
</section>`,
    state,
  );
}
