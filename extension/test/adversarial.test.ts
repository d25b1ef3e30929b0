// The adversarial panel's pure parts: the state it persists and the messages its page sends checked
// (a unit the page does not show is refused), the page drawn from an attack (images, probabilities,
// units with their labels, overlaps with shared units marked), the dissection labels picked for the
// result's units, and the command's ε parsing and model/layer checks.

import * as assert from "node:assert/strict";
import { buildAttackHtml, epsilonText, UNIT_ROWS } from "../src/adversarial/attackHtml";
import { labelsOf, parseAttackMessage, parseAttackPanelState, type AttackPanelState } from "../src/adversarial/attackMessages";
import { attackLayers, attackRefusal, parseEpsilon } from "../src/adversarial/attackPickers";
import type { AttackResult } from "../src/protocol.generated";

const PNG = "iVBORw0KGgo=";

function attack(): AttackResult {
  return {
    layer: "conv3",
    method: "pgd",
    epsilon: 8 / 255,
    epsilonLevels: 8,
    steps: 10,
    stepSize: 2 / 255,
    sourceClass: 1,
    cleanPrediction: { index: 1, name: "forest", probability: 0.9 },
    attackedPrediction: { index: 4, name: "beach", probability: 0.7 },
    cleanSourceProbability: 0.9,
    attackedSourceProbability: 0.05,
    succeeded: true,
    maxChange: 8,
    cleanPng: PNG,
    attackedPng: PNG,
    perturbationPng: PNG,
    width: 37,
    height: 29,
    units: [
      { unit: 7, cleanMean: 1.5, attackedMean: 0.25, change: -1.25, meanAbsoluteChange: 1.25, cleanMapPng: PNG, attackedMapPng: PNG },
      { unit: 2, cleanMean: 0.1, attackedMean: 0.9, change: 0.8, meanAbsoluteChange: 0.8 },
    ],
    overlaps: [{ role: "source", classIndex: 1, className: "forest", k: 2, changedUnits: [7, 2], importantUnits: [7, 11], shared: [7], expectedByChance: 0.2 }],
  };
}

function state(): AttackPanelState {
  return {
    version: 1,
    model: { modelId: "m1", checkpointHash: "abc", modelLabel: "demo.safetensors (vgg11_bn)" },
    request: { image: "forest.png", evaluationSet: "probe" },
    result: attack(),
    labels: [{ unit: 7, concept: "tree", category: "object", iou: 0.21 }],
  };
}

const resources = { cspSource: "vscode-resource:", scriptUri: "attack.js", baseStyleUri: "base.css", styleUri: "attack.css" };

describe("adversarial panel", () => {
  it("revives a saved state with its chosen unit and refuses malformed ones", () => {
    const saved = { ...state(), selected: 2 };
    assert.deepEqual(parseAttackPanelState(JSON.parse(JSON.stringify(saved))), saved);
    assert.equal(parseAttackPanelState({ ...state(), selected: 99 })?.selected, undefined, "a unit the result does not show is not kept");
    assert.equal(parseAttackPanelState({ ...state(), version: 2 }), undefined);
    const badMethod = state();
    (badMethod.result as unknown as Record<string, unknown>).method = "cw";
    assert.equal(parseAttackPanelState(badMethod), undefined);
    const badPng = state();
    badPng.result.units[0]!.cleanMapPng = "<img onerror=x>";
    assert.equal(parseAttackPanelState(badPng), undefined, "maps are base64 PNGs");
    const badProbability = state();
    badProbability.result.cleanSourceProbability = 1.5;
    assert.equal(parseAttackPanelState(badProbability), undefined);
    const badRole = state();
    (badRole.result.overlaps[0] as unknown as Record<string, unknown>).role = "other";
    assert.equal(parseAttackPanelState(badRole), undefined);
    assert.equal(parseAttackPanelState({ ...state(), labels: [{ unit: 7, concept: "", category: "object", iou: 0.2 }] }), undefined);
    assert.equal(parseAttackPanelState({ ...state(), request: { image: 3 } }), undefined);
  });

  it("takes an open-unit message only for a unit the page shows", () => {
    const r = attack();
    assert.deepEqual(parseAttackMessage({ type: "openUnit", unit: 7 }, r), { type: "openUnit", unit: 7 });
    assert.deepEqual(parseAttackMessage({ type: "openUnit", unit: 11 }, r), { type: "openUnit", unit: 11 }, "an important unit from the overlap");
    assert.equal(parseAttackMessage({ type: "openUnit", unit: 5 }, r), undefined);
    assert.equal(parseAttackMessage({ type: "openUnit", unit: 1.5 }, r), undefined);
    assert.equal(parseAttackMessage({ type: "openUnit", unit: "7" }, r), undefined);
    assert.equal(parseAttackMessage({ type: "run", unit: 7 }, r), undefined);
  });

  it("draws the three images, the probabilities, the units with labels and the overlap", () => {
    const html = buildAttackHtml({ ...resources, state: { ...state(), selected: 7 } });
    assert.equal([...html.matchAll(/<img class="attack-image" src="data:image\/png;base64,[^"]+"[^>]* width="37" height="29">/g)].length, 3);
    assert.match(html, /Fooled: forest → beach/);
    assert.match(html, /Source class \(forest\)<\/th><td>90\.0%<\/td><td>5\.0%<\/td>/);
    assert.match(html, /PGD, 10 steps of 2\/255, ε = 8\/255 \(8 levels of 255\), untargeted/);
    const rows = [...html.matchAll(/<tr class="attack-unit( selected)?" data-unit="(\d+)"/g)].map((m) => [Number(m[2]), m[1] === " selected"]);
    assert.deepEqual(rows, [
      [7, true],
      [2, false],
    ]);
    assert.match(html, /tree \(object, IoU 0\.21\)/);
    assert.match(html, /top for source/);
    assert.equal([...html.matchAll(/class="unit-map"/g)].length, 2, "maps only where the daemon sent them");
    assert.match(html, /1 of 2 shared/);
    assert.match(html, /<button type="button" class="unit-chip shared" data-unit="7">7<\/button>/);
    assert.match(html, /<button type="button" class="unit-chip" data-unit="11">11<\/button>/);
  });

  it("lists the most changed units only, and says how many more changed less", () => {
    const s = state();
    const units = UNIT_ROWS + 13;
    s.result.units = Array.from({ length: units }, (_, i) => ({
      unit: i,
      cleanMean: 0,
      attackedMean: units - i,
      change: units - i,
      meanAbsoluteChange: units - i,
    }));
    const html = buildAttackHtml({ ...resources, state: s });
    const rows = [...html.matchAll(/<tr class="attack-unit[^"]*" data-unit="(\d+)"/g)].map((m) => Number(m[1]));
    assert.deepEqual(
      rows,
      Array.from({ length: UNIT_ROWS }, (_, i) => i),
    );
    assert.match(html, /13 more units of conv3 changed less \(\|change\| at most 13\)/);
    assert.doesNotMatch(buildAttackHtml({ ...resources, state: state() }), /more units of/);
  });

  it("escapes what the daemon and the user named", () => {
    const s = state();
    s.request.image = "<b>x</b>.png";
    s.result.cleanPrediction.name = "<script>alert(1)</script>";
    const html = buildAttackHtml({ ...resources, state: s });
    assert.doesNotMatch(html, /<b>x<\/b>/);
    assert.doesNotMatch(html, /<script>alert/);
  });

  it("says why there is no comparison or no label", () => {
    const s = { ...state(), labels: [], request: { image: "a.png" } };
    s.result.overlaps = [];
    const html = buildAttackHtml({ ...resources, state: s });
    assert.match(html, /No evaluation set was named/);
    assert.match(html, /conv3 has no dissection/);
    const held = state();
    held.result.succeeded = false;
    held.result.attackedPrediction = { ...held.result.cleanPrediction, probability: 0.6 };
    assert.match(buildAttackHtml({ ...resources, state: held }), /Not fooled: still forest/);
  });

  it("picks the dissection labels of the result's units only", () => {
    const dissection = {
      units: [
        { unit: 7, label: { conceptId: 3, concept: "tree", category: "object", iou: 0.21 } },
        { unit: 2 },
        { unit: 9, label: { conceptId: 4, concept: "sky", category: "object", iou: 0.3 } },
      ],
    };
    assert.deepEqual(labelsOf(dissection, [7, 2]), [{ unit: 7, concept: "tree", category: "object", iou: 0.21 }]);
    assert.deepEqual(labelsOf(undefined, [7]), []);
  });

  it("reads ε as levels, a ratio or a fraction, and refuses less than a level", () => {
    assert.equal(parseEpsilon("8/255"), 8 / 255);
    assert.equal(parseEpsilon(" 3 / 255 "), 3 / 255);
    assert.equal(parseEpsilon("16"), 16 / 255);
    assert.equal(parseEpsilon("0.03"), 0.03);
    assert.equal(parseEpsilon("0.001"), undefined, "below 1/255 vanishes in an 8-bit image");
    assert.equal(parseEpsilon("0"), undefined);
    assert.equal(parseEpsilon("2"), 2 / 255);
    assert.equal(parseEpsilon("1.5"), undefined);
    assert.equal(parseEpsilon("eight"), undefined);
    assert.equal(epsilonText(8 / 255), "8/255");
    assert.equal(epsilonText(0.03), "0.03");
  });

  it("offers layers with units and refuses generators and one-class models", () => {
    const layers = [
      { name: "conv1", kind: "Conv2d", units: 6, outputShape: [6, 13, 13] },
      { name: "flatten", kind: "Flatten", units: 0, outputShape: [507] },
      { name: "fc", kind: "Linear", units: 5, outputShape: [5] },
    ];
    assert.deepEqual(
      attackLayers({ layers }).map((l) => l.name),
      ["conv1", "fc"],
    );
    assert.match(attackRefusal({ generator: true, classCount: 0, path: "/m/g.pth" }) ?? "", /image generator/);
    assert.match(attackRefusal({ generator: false, classCount: 1, path: "/m/one.pth" }) ?? "", /at least two/);
    assert.equal(attackRefusal({ generator: false, classCount: 5, path: "/m/c.pth" }), undefined);
  });
});
