// The unit gallery's messages and HTML (extension/src/seeing): requests and persisted states checked
// field by field, results checked structurally (base64 PNGs only), the page under the panels' CSP
// with every name from the daemon escaped, and the parameters sent to unitscope/unitGallery.

import * as assert from "node:assert/strict";
import { buildGalleryHtml } from "../src/seeing/galleryHtml";
import {
  checkGalleryRequest,
  galleryParams,
  isUnitGalleryResult,
  parseGalleryMessage,
  parseGalleryPanelState,
  type GalleryPanelState,
} from "../src/seeing/galleryMessages";
import type { UnitGalleryResult } from "../src/protocol.generated";
import { CSP_SOURCE, MEDIA, readPage, resources } from "./support/pageHtml";

const EVIL = '</script><script>alert(1)</script>"><img src=x onerror=alert(2)>';
const PNG = "iVBORw0KGgo=";

function result(overrides: Partial<UnitGalleryResult> = {}): UnitGalleryResult {
  return {
    layer: "conv3",
    unit: 5,
    units: 64,
    method: "deconvnet",
    methodReason: "Deconvnet (Zeiler & Fergus): a chain of 9 modules.",
    dataset: "probe",
    images: 60,
    inputWidth: 64,
    inputHeight: 64,
    receptiveField: "18×18, stride 4, start -7",
    activations: [0, 1, 2].map((i) => ({
      image: 10 + i,
      imagePath: `/data/images/${i}.png`,
      y: i,
      x: 2 * i,
      value: 9 - i,
      box: { top: 1, left: 2, height: 18, width: 17 },
      imagePng: PNG,
      patchPng: PNG,
      projectionPng: PNG,
    })),
    figurePng: PNG,
    cached: false,
    ...overrides,
  };
}

function state(overrides: Partial<GalleryPanelState> = {}): GalleryPanelState {
  return {
    version: 1,
    model: { modelId: "m1", checkpointHash: "abc", modelLabel: "smallcnn.pth (smallcnn)", units: 64 },
    layer: "conv3",
    dataset: "probe",
    request: { unit: 5, method: "auto", k: 9 },
    result: result(),
    ...overrides,
  };
}

describe("unit gallery", () => {
  it("checks a request field by field", () => {
    assert.deepEqual(checkGalleryRequest({ unit: 63, method: "guided", k: 100 }, 64), { request: { unit: 63, method: "guided", k: 100 } });
    assert.match((checkGalleryRequest({ unit: 64, method: "auto", k: 9 }, 64) as { error: string }).error, /0 to 63/);
    assert.match((checkGalleryRequest({ unit: 1, method: "sideways", k: 9 }, 64) as { error: string }).error, /method/);
    assert.match((checkGalleryRequest({ unit: 1, method: "auto", k: 0 }, 64) as { error: string }).error, /1 to 100/);
    assert.match((checkGalleryRequest({ unit: 1.5, method: "auto", k: 9 }, 64) as { error: string }).error, /unit/);
    assert.deepEqual(parseGalleryMessage({ type: "rerun", request: { unit: 70, method: "auto", k: 9 } }, 64)?.type, "invalid");
    assert.equal(parseGalleryMessage({ type: "other" }, 64), undefined);
  });

  it("restores a persisted state and refuses a damaged one", () => {
    const good = JSON.parse(JSON.stringify(state())) as unknown;
    assert.deepEqual(parseGalleryPanelState(good), state());
    assert.equal(parseGalleryPanelState({ ...state(), version: 2 }), undefined);
    assert.equal(parseGalleryPanelState({ ...state(), request: { unit: 99, method: "auto", k: 9 } }), undefined);
    const notBase64 = result();
    notBase64.activations[1]!.patchPng = "javascript:alert(1)";
    assert.equal(isUnitGalleryResult(notBase64), false);
    assert.equal(isUnitGalleryResult({ ...result(), activations: [{ ...result().activations[0], box: {} }] }), false);
    assert.equal(isUnitGalleryResult(result({ receptiveField: null as unknown as string })), true, "a layer whose field is the whole input");
  });

  it("sends the method only when one was chosen", () => {
    assert.deepEqual(galleryParams("m1", "conv3", "probe", { unit: 2, method: "auto", k: 9 }), {
      modelId: "m1",
      layer: "conv3",
      unit: 2,
      dataset: "probe",
      k: 9,
    });
    assert.equal(galleryParams("m1", "conv3", "/d", { unit: 2, method: "gradient", k: 4 }).method, "gradient");
  });

  it("draws every activation three ways under the CSP, names escaped", () => {
    const evil = state({ result: result({ layer: EVIL, methodReason: EVIL, dataset: EVIL }), model: { ...state().model, modelLabel: EVIL } });
    evil.result.activations[0]!.imagePath = `/x/${EVIL}`;
    const html = buildGalleryHtml({ ...resources("gallery.js", "gallery.css"), state: evil });
    const { policy, nonce, tags } = readPage(html);
    assert.equal(policy, `default-src 'none'; img-src ${CSP_SOURCE} data:; style-src ${CSP_SOURCE} 'nonce-${nonce}'; script-src 'nonce-${nonce}'`);
    assert.ok(!html.includes("<script>alert"), "nothing from the daemon is markup");
    assert.equal((html.match(/<\/script/gi) ?? []).length, 2);
    for (const t of tags) {
      for (const name of t.attrs.keys()) assert.ok(!name.startsWith("on"), `inline handler ${name} on <${t.name}>`);
      const src = t.attrs.get("src");
      if (src !== undefined) assert.ok(src.startsWith(`${MEDIA}/`) || src.startsWith("data:image/png;base64,"), src);
    }
    const images = tags.filter((t) => t.name === "img");
    assert.equal(images.filter((t) => t.attrs.get("class") === "patch").length, 3);
    assert.equal(images.filter((t) => t.attrs.get("class") === "projection").length, 3);
    assert.equal(images.filter((t) => t.attrs.get("class") === "whole").length, 3);
    // A 17×18 patch fitted into the tile keeps its aspect.
    const patch = images.find((t) => t.attrs.get("class") === "patch")!;
    assert.equal(patch.attrs.get("height"), "112");
    assert.equal(patch.attrs.get("width"), String(Math.round((17 * 112) / 18)));
    assert.match(html, /18×18, stride 4/);
  });
});
