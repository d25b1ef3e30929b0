// The GAN panel's pure parts: the state it persists and the intervention requests its page sends checked
// against the dissection shown (a concept it lists, no more units than the concept has, a region inside
// the image), a page reloaded after an edit keeping the user's choices, a dragged rectangle turned into
// pixels, the page drawn (grid, concepts by category, the edit's measures), and the command's checks.

import * as assert from "node:assert/strict";
import { buildGanHtml, editHtml, sampleScale } from "../src/gan/ganHtml";
import { ganLayers, ganRefusal } from "../src/gan/ganLayers";
import {
  conceptsByCategory,
  mergeGanStates,
  parseGanEditRequest,
  parseGanPanelState,
  parseGanToWebview,
  regionFromDrag,
  type GanPanelState,
} from "../src/gan/ganMessages";
import { ganEditParams } from "../src/gan/ganEditParams";
import type { GanDissectResult, GanEditResult } from "../src/protocol.generated";

const PNG = "iVBORw0KGgo=";

function dissection(): GanDissectResult {
  return {
    layer: "main.5",
    sampleCount: 40,
    seed: 1,
    imageWidth: 16,
    imageHeight: 12,
    units: [
      { unit: 0, iou: 0.2, bestIou: 0.2, concept: "tree", category: "object", bestConcept: "tree" },
      { unit: 1, iou: 0, bestIou: 0.01, bestConcept: "sky" },
      { unit: 2, iou: 0.1, bestIou: 0.1, concept: "red", category: "color", bestConcept: "red" },
    ],
    labelledByCategory: { object: 1, color: 1, part: 0 },
    concepts: [
      { concept: "tree", category: "object", units: [0, 2, 1], ious: [0.2, 0.05, 0.01] },
      { concept: "red", category: "color", units: [2], ious: [0.1] },
      { concept: "sky", category: "object", units: [1], ious: [0.01] },
    ],
    segmentedCategory: "object",
    samples: [0, 1, 2].map((index) => ({ index, imagePng: PNG, segmentationPng: PNG })),
    summaryPng: PNG,
    cached: false,
  };
}

function edit(withRegion: boolean): GanEditResult {
  return {
    layer: "main.5",
    concept: "tree",
    category: "object",
    sampleCount: 20,
    ablation: {
      topUnits: [0, 2],
      areaBefore: 0.3,
      areaTopAblated: 0.05,
      areaRandomAblated: [0.28, 0.3],
      topDrop: 1 - 0.05 / 0.3,
      randomDrop: 1 - 0.29 / 0.3,
      examples: [{ sample: 0, originalPng: PNG, editedPng: PNG }],
    },
    ...(withRegion
      ? {
          insertion: {
            region: { x0: 2, y0: 3, x1: 10, y1: 9 },
            layerRegion: { x0: 0, y0: 0, x1: 3, y1: 2 },
            values: [1.5, 2],
            insideBefore: 0.1,
            insideAfter: 0.4,
            outsideBefore: 0.3,
            outsideAfter: 0.32,
            samplesGaining: 15,
            examples: [{ sample: 0, originalPng: PNG, editedPng: PNG }],
          },
        }
      : {}),
  };
}

function state(): GanPanelState {
  return {
    version: 1,
    model: { modelId: "g1", checkpointHash: "abc", modelLabel: "dcgan_odd.pth (dcgan)" },
    request: { layer: "main.5", samples: 40, segmenterPath: "/m/seg.pth" },
    dissection: dissection(),
    ui: { concept: "tree", units: 2, sample: 1, region: { x0: 2, y0: 3, x1: 10, y1: 9 } },
  };
}

const resources = { cspSource: "vscode-resource:", scriptUri: "gan.js", baseStyleUri: "base.css", styleUri: "gan.css" };

describe("GAN panel", () => {
  it("revives a saved state with its choices and edit, keeping only choices that still fit", () => {
    const saved = { ...state(), edit: edit(true) };
    assert.deepEqual(parseGanPanelState(JSON.parse(JSON.stringify(saved))), saved);
    const stale = parseGanPanelState({ ...state(), ui: { concept: "unicorn", units: 99, sample: 7, region: { x0: 0, y0: 0, x1: 17, y1: 4 } } });
    assert.deepEqual(stale?.ui, { units: 4, sample: 0 }, "an unknown concept, too many units, a sample not shown and a region outside the image are dropped");
    assert.equal(parseGanPanelState({ ...state(), version: 2 }), undefined);
    const badIou = state();
    badIou.dissection.concepts[0]!.ious = [0.2, 0.05];
    assert.equal(parseGanPanelState(badIou), undefined, "one IoU per unit");
    const badPng = state();
    badPng.dissection.samples[0]!.imagePng = "javascript:alert(1)";
    assert.equal(parseGanPanelState(badPng), undefined);
    const badEdit = { ...state(), edit: { ...edit(true), ablation: { ...edit(true).ablation, areaBefore: 2 } } };
    assert.equal(parseGanPanelState(badEdit)?.edit, undefined, "a share is at most 1");
    assert.equal(parseGanPanelState({ ...state(), request: { layer: "main.5" } }), undefined);
  });

  it("takes an intervention request only for a listed concept, its units and a region inside the image", () => {
    const d = dissection();
    const ok = { type: "edit", concept: "tree", units: 3, sample: 2, region: { x0: 0, y0: 0, x1: 16, y1: 12 } };
    assert.deepEqual(parseGanEditRequest(ok, d), ok);
    assert.deepEqual(parseGanEditRequest({ type: "edit", concept: "red", units: 1, sample: 0 }, d), { type: "edit", concept: "red", units: 1, sample: 0 });
    assert.equal(parseGanEditRequest({ ...ok, units: 4 }, d), undefined, "tree has 3 units");
    assert.equal(parseGanEditRequest({ ...ok, units: 0 }, d), undefined);
    assert.equal(parseGanEditRequest({ ...ok, concept: "door" }, d), undefined);
    assert.equal(parseGanEditRequest({ ...ok, sample: 3 }, d), undefined, "3 samples shown");
    assert.equal(parseGanEditRequest({ ...ok, region: { x0: 0, y0: 0, x1: 17, y1: 12 } }, d), undefined, "beyond the width");
    assert.equal(parseGanEditRequest({ ...ok, region: { x0: 5, y0: 0, x1: 5, y1: 12 } }, d), undefined, "empty");
    assert.equal(parseGanEditRequest({ ...ok, region: { x0: 0.5, y0: 0, x1: 5, y1: 12 } }, d), undefined);
    assert.equal(parseGanEditRequest({ type: "run" }, d), undefined);
    assert.deepEqual(parseGanToWebview({ type: "editError", message: "cancelled" }), { type: "editError", message: "cancelled" });
    assert.equal(parseGanToWebview({ type: "edited" }), undefined);
  });

  it("asks the daemon for the edit with the dissection's own settings, so it comes from the cache", () => {
    const params = ganEditParams(state(), "g2", { type: "edit", concept: "tree", units: 2, sample: 1, region: { x0: 2, y0: 3, x1: 10, y1: 9 } });
    assert.equal(params.modelId, "g2");
    assert.equal(params.layer, "main.5");
    assert.equal(params.dissectSamples, 40);
    assert.equal(params.segmenterPath, "/m/seg.pth");
    assert.deepEqual(params.region, { x0: 2, y0: 3, x1: 10, y1: 9 });
    assert.equal(ganEditParams(state(), "g2", { type: "edit", concept: "tree", units: 2, sample: 1 }).region, undefined);
  });

  it("a re-rendered page keeps what the user chose on it for the same dissection, and the host's newest edit", () => {
    const embedded = { ...state(), edit: edit(false) };
    const saved = { ...state(), ui: { concept: "red", units: 1, sample: 2 } };
    assert.deepEqual(mergeGanStates(embedded, saved), { ...embedded, ui: saved.ui });
    const otherLayer = { ...saved, dissection: { ...saved.dissection, layer: "main.2" } };
    assert.deepEqual(mergeGanStates(embedded, otherLayer), embedded, "another dissection's choices do not carry over");
    assert.deepEqual(mergeGanStates(undefined, saved), saved);
  });

  it("turns a drag between two points into the pixels it covers, in either direction, clamped", () => {
    assert.deepEqual(regionFromDrag({ x: 2.5, y: 3.2 }, { x: 9.9, y: 8.1 }, 16, 12), { x0: 2, y0: 3, x1: 10, y1: 9 });
    assert.deepEqual(regionFromDrag({ x: 9.9, y: 8.1 }, { x: 2.5, y: 3.2 }, 16, 12), { x0: 2, y0: 3, x1: 10, y1: 9 });
    assert.deepEqual(regionFromDrag({ x: 4.2, y: 4.2 }, { x: 4.7, y: 4.9 }, 16, 12), { x0: 4, y0: 4, x1: 5, y1: 5 }, "a click is one pixel");
    assert.deepEqual(regionFromDrag({ x: -3, y: -1 }, { x: 40, y: 30 }, 16, 12), { x0: 0, y0: 0, x1: 16, y1: 12 });
  });

  it("draws the grid, the concepts by category and the intervention controls", () => {
    const html = buildGanHtml({ ...resources, state: state() });
    const samples = [...html.matchAll(/<button type="button" class="gan-sample( selected)?" data-sample="(\d)"/g)].map((m) => [
      Number(m[2]),
      m[1] === " selected",
    ]);
    assert.deepEqual(samples, [
      [0, false],
      [1, true],
      [2, false],
    ]);
    const s = sampleScale(dissection());
    assert.equal(s, 6);
    assert.match(html, new RegExp(`width="${16 * s}" height="${12 * s}"`));
    assert.deepEqual([...conceptsByCategory(dissection()).keys()], ["object", "color"]);
    assert.match(html, /<h3>object <span class="muted">2 concepts<\/span><\/h3>/);
    assert.match(
      html,
      /<tr class="gan-concept selected" data-concept="tree"[^>]*><th scope="row">tree<\/th><td>3 units<\/td><td class="muted">0 \(0\.200\), 2 \(0\.050\), 1 \(0\.010\)<\/td>/,
    );
    assert.match(html, /2 of 3 units labelled: 1 object · 1 color/);
    assert.match(html, /segmented by <span title="\/m\/seg\.pth">seg\.pth<\/span>/, "the segmenter by its file name, the path in the tooltip");
    assert.match(html, /<option value="tree" selected>tree \(object, 3 units\)<\/option>/);
    assert.match(html, /id="gan-x1" min="0" max="16" step="1" value="10"/);
    assert.match(html, /<button type="button" id="gan-insert">Insert in region<\/button>/, "enabled: a region is chosen");
    assert.doesNotMatch(html, / style="/, "no inline styles: the CSP forbids them");
    const none = buildGanHtml({ ...resources, state: { ...state(), ui: { units: 2, sample: 0 } } });
    assert.match(none, /id="gan-insert" disabled/);
  });

  it("shows the ablation against random units and the insertion inside against outside", () => {
    const html = editHtml(edit(true), dissection());
    assert.match(html, /Drop <span class="muted">\(of that share\)<\/span>/);
    assert.match(
      html,
      /<tr data-measure="top"><th scope="row">Top 2<\/th><td>5\.00%<\/td><td>83\.33%<\/td>/,
      "the drop is relative: (before − after) / before",
    );
    assert.match(html, /<tr data-measure="random"><th scope="row">Random 2 <span class="muted">\(mean of 2\)<\/span><\/th><td>29\.00%<\/td><td>3\.33%<\/td>/);
    assert.match(html, /<tr data-measure="inside"><th scope="row">Inside the region<\/th><td>10\.00%<\/td><td>40\.00%<\/td><td>30\.00%<\/td>/);
    assert.match(html, /<tr data-measure="outside"><th scope="row">Outside<\/th><td>30\.00%<\/td><td>32\.00%<\/td><td>2\.00%<\/td>/);
    assert.match(html, /columns 2–9, rows 3–8/);
    assert.match(html, /15 of 20 samples gained tree/);
    assert.doesNotMatch(editHtml(edit(false), dissection()), /data-measure="inside"/);
  });

  it("escapes concept names from the segmenter's label file", () => {
    const s = state();
    s.dissection.concepts[0]!.concept = '<img src=x onerror="alert(1)">';
    s.ui.concept = s.dissection.concepts[0]!.concept;
    const html = buildGanHtml({ ...resources, state: s });
    assert.doesNotMatch(html, /<img src=x/);
  });

  it("takes generators only, and their layers with maps", () => {
    assert.equal(ganRefusal({ generator: true, path: "/g.pth", architecture: "dcgan" }), undefined);
    assert.match(ganRefusal({ generator: false, path: "/c.pth", architecture: "vgg11_bn" }) ?? "", /not an image generator/);
    const layers = [
      { name: "main.0", kind: "ConvTranspose2d", units: 32, outputShape: [32, 4, 4] },
      { name: "main", kind: "Sequential", units: 3, outputShape: [3, 16, 16] },
      { name: "fc", kind: "Linear", units: 3, outputShape: [3] },
    ];
    assert.deepEqual(
      ganLayers({ layers }).map((l) => l.name),
      ["main.0", "main"],
    );
  });
});
