import * as assert from "node:assert/strict";
import { buildUnitCardHtml } from "../src/unitCardHtml";
import { parseUnitArgs, parseUnitCardMessage, parseUnitCardPanelState, type UnitCardPanelState } from "../src/unitCardMessages";
import { TINY_PNG } from "./support/fixtures";
import { layer } from "./support/dissectionFixtures";

export function unitCardState(overrides: Partial<UnitCardPanelState["view"]> = {}): UnitCardPanelState {
  const l = layer();
  return {
    version: 1,
    view: {
      model: { modelId: "m1", checkpointHash: "ab".repeat(32), modelLabel: "smallcnn.pth (smallcnn)" },
      layer: l.layer,
      units: l.units.length,
      unit: l.units[1]!,
      dataset: l.dataset,
      imageCount: l.imageCount,
      options: l.options,
      categories: l.categories,
      ...overrides,
    },
  };
}

const html = (state: UnitCardPanelState) =>
  buildUnitCardHtml({
    cspSource: "vscode-resource:",
    scriptUri: "vscode-resource:/media/unitCard.js",
    baseStyleUri: "vscode-resource:/media/base.css",
    styleUri: "vscode-resource:/media/unitCard.css",
    state,
  });

describe("unit card panel", () => {
  it("states its CSP with a nonce and no inline styles", () => {
    const page = html(unitCardState());
    const nonce = /'nonce-([^']+)'/.exec(page)![1]!;
    assert.match(page, new RegExp(`<script nonce="${nonce}" src="vscode-resource:/media/unitCard.js">`));
    assert.match(page, /default-src 'none'/);
    assert.ok(!/style="/.test(page), "the CSP allows no style attributes");
  });

  it("shows the label, the best concept per category (best first) with bars, navigation and actions", () => {
    const state = unitCardState();
    const page = html(state);
    const u = state.view.unit;
    assert.match(page, new RegExp(`<h1><span class="layer">${state.view.layer}</span> <span class="unit">unit ${u.unit}</span></h1>`));
    assert.match(page, new RegExp(`<strong>${u.label!.concept}</strong>`));
    const rows = [...page.matchAll(/<tr><th scope="row">([^<]+)<\/th><td>([^<]+)<\/td><td class="num">([^<]+)<\/td>/g)].map((m) => Number(m[3]));
    assert.deepEqual(
      rows,
      [...rows].sort((a, b) => b - a),
    );
    assert.match(page, /<rect width="100\.0" height="8" fill="#[0-9a-f]{6}"\/>/i, "the best one's bar is full width");
    for (const id of ["prev", "next", "unit-map", "ablate", "open-dissection", "visualize", "gallery"])
      assert.match(page, new RegExp(`<button id="${id}" type="button"`));
    assert.match(page, /Loading the top images…/);
    assert.match(page, /<div id="projections-frame" class="projections"><p class="muted">Not searched yet \(Unit gallery…\)\.<\/p><\/div>/);
    assert.match(page, /Not measured yet\./);
  });

  it("shows the card and an ablation effect when known; escapes dataset text", () => {
    const evil = unitCardState();
    evil.view.unit = { ...evil.view.unit, label: { conceptId: 1, concept: "<img src=x onerror=alert(1)>", category: "color", iou: 0.3 } };
    const page = html({
      ...evil,
      view: {
        ...evil.view,
        card: { png: TINY_PNG, width: 1, height: 1 },
        ablation: { before: 0.9, after: 0.85, classes: [{ label: "circle", before: 0.95, after: 0.7 }] },
      },
    });
    assert.ok(!page.includes("<img src=x"));
    assert.ok(page.includes("&lt;img src=x onerror=alert(1)&gt;"));
    assert.match(page, new RegExp(`<img id="card" src="data:image/png;base64,${TINY_PNG.replace(/[+/]/g, "\\$&")}" width="1" height="1"`));
    assert.match(page, /accuracy 90\.0% → <strong>85\.0%<\/strong> \(-5\.0 points\)/);
    assert.match(page, /<li>circle: 95\.0% → 70\.0%<\/li>/);
  });

  it("disables previous on unit 0 and next on the last unit", () => {
    const first = unitCardState();
    first.view.unit = { ...first.view.unit, unit: 0 };
    assert.match(html(first), /<button id="prev" type="button" data-unit="-1" disabled/);
    const last = unitCardState();
    last.view.unit = { ...last.view.unit, unit: last.view.units - 1 };
    assert.match(html(last), /<button id="next" type="button" data-unit="\d+" disabled/);
  });

  it("validates what a webview sends and what it persisted", () => {
    assert.deepEqual(parseUnitCardMessage({ type: "showUnit", unit: 3 }), { type: "showUnit", unit: 3 });
    assert.equal(parseUnitCardMessage({ type: "showUnit", unit: -1 }), undefined);
    assert.equal(parseUnitCardMessage({ type: "runCommand", id: "x" }), undefined);
    assert.deepEqual(parseUnitCardMessage({ type: "ablate" }), { type: "ablate" });
    assert.deepEqual(parseUnitCardMessage({ type: "gallery", unit: 9 }), { type: "gallery" });
    const state = unitCardState({ card: { png: TINY_PNG, width: 1, height: 1 } });
    assert.deepEqual(parseUnitCardPanelState(JSON.parse(JSON.stringify(state))), state);
    assert.equal(parseUnitCardPanelState({ ...state, version: 2 }), undefined);
    assert.equal(parseUnitCardPanelState({ version: 1, view: { ...state.view, unit: { unit: "x" } } }), undefined);
    const bad = parseUnitCardPanelState({ version: 1, view: { ...state.view, card: { png: "not base64!", width: 1, height: 1 } } });
    assert.equal(bad?.view.card, undefined, "a card that is not base64 is dropped");
  });

  it("reads the command's arguments", () => {
    assert.deepEqual(parseUnitArgs({ modelId: "m", layer: "conv1", unit: 2 }), { modelId: "m", layer: "conv1", unit: 2 });
    assert.deepEqual(parseUnitArgs({ layer: "conv1", unit: 0 }), { layer: "conv1", unit: 0 });
    assert.equal(parseUnitArgs({ layer: "conv1", unit: 1.5 }), undefined);
    assert.equal(parseUnitArgs("conv1"), undefined);
  });
});
