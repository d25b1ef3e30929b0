import * as assert from "node:assert/strict";
import { parseAblationMessage, parseAblationPanelState, parseAblationUi } from "../src/ablationMessages";
import { checkOcclusionRequest, limitsOf, occludeParams, occlusionDefaults, parseOcclusionMessage, parseOcclusionPanelState } from "../src/occlusionMessages";
import { parseRankMessage, parseRankPanelState, rankMetricSetting } from "../src/rankMessages";
import { ablationState, occlusionState, rankResult, rankState, statsResult } from "./support/analysisFixtures";

describe("ablation panel messages and state", () => {
  it("accepts the two messages the webview sends and nothing else", () => {
    assert.deepEqual(parseAblationMessage({ type: "ablateAgain" }), { type: "ablateAgain" });
    assert.deepEqual(parseAblationMessage({ type: "rankUnits", class: 2 }), { type: "rankUnits", class: 2 });
    for (const bad of [{ type: "rankUnits", class: -1 }, { type: "rankUnits" }, { type: "eval" }, null, "ablateAgain"])
      assert.equal(parseAblationMessage(bad), undefined, JSON.stringify(bad));
  });

  it("revives a saved state and refuses one that is malformed", () => {
    const s = ablationState();
    assert.deepEqual(parseAblationPanelState(JSON.parse(JSON.stringify(s))), s);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test breaks a parsed copy at will
    const broken = (f: (x: any) => void) => {
      const x = JSON.parse(JSON.stringify(s));
      f(x);
      return parseAblationPanelState(x);
    };
    assert.equal(
      broken((x) => (x.version = 2)),
      undefined,
    );
    assert.equal(
      broken((x) => (x.result.classes[0].before = 1.5)),
      undefined,
    );
    assert.equal(
      broken((x) => (x.result.control.unitSets = [[-1]])),
      undefined,
    );
    assert.equal(
      broken((x) => (x.units = [{ unit: "2" }])),
      undefined,
    );
    assert.equal(
      broken((x) => delete x.model.modelId),
      undefined,
    );
  });

  it("keeps what a result says about unreadable images, and refuses it malformed", () => {
    const s = ablationState();
    const skipped = { count: 3, problems: ["Cannot decode image '/eval/cat/1.png': the file is truncated."] };
    const withSkipped = { ...s, result: { ...s.result, skipped } };
    assert.deepEqual(parseAblationPanelState(JSON.parse(JSON.stringify(withSkipped)))?.result.skipped, skipped);
    for (const bad of [{ count: -1, problems: [] }, { count: 1, problems: ["a", "b"] }, { count: 1, problems: [1] }, { problems: [] }])
      assert.equal(parseAblationPanelState({ ...s, result: { ...s.result, skipped: bad } }), undefined, JSON.stringify(bad));
    assert.equal(parseRankPanelState({ ...rankState(), result: rankResult({ skipped: { count: 0.5, problems: [] } }) }), undefined);
    assert.ok(parseRankPanelState({ ...rankState(), result: rankResult({ skipped }) }));
    assert.equal(parseRankPanelState({ ...rankState({ selected: 3, stats: { ...statsResult(3), skipped: { count: 1 } as never } }) })?.stats, undefined);
  });

  it("falls back to the default view for unknown controls", () => {
    assert.deepEqual(parseAblationUi({ sort: "random", reversed: "yes", showControl: false }), { sort: "change", reversed: false, showControl: false });
    assert.deepEqual(parseAblationUi(undefined), { sort: "change", reversed: false, showControl: true });
  });
});

describe("ranking panel messages and state", () => {
  it("accepts stats and ablate messages", () => {
    assert.deepEqual(parseRankMessage({ type: "stats", unit: 3 }), { type: "stats", unit: 3 });
    assert.deepEqual(parseRankMessage({ type: "ablate", units: [3, 1, 3] }), { type: "ablate", units: [3, 1] });
    for (const bad of [{ type: "stats", unit: 1.5 }, { type: "ablate", units: [] }, { type: "ablate", units: ["1"] }, { type: "x" }])
      assert.equal(parseRankMessage(bad), undefined, JSON.stringify(bad));
  });

  it("revives a state, keeping the statistics only for the selected unit", () => {
    const s = rankState({ selected: 3, stats: statsResult(3) });
    assert.deepEqual(parseRankPanelState(JSON.parse(JSON.stringify(s))), s);
    const other = parseRankPanelState(JSON.parse(JSON.stringify(rankState({ selected: 1, stats: statsResult(3) }))));
    assert.equal(other?.stats, undefined);
    assert.equal(other?.selected, 1);
  });

  it("accepts partial rankings (units without `after`, no curve) and refuses malformed ones", () => {
    const partial = rankResult({ units: [{ unit: 0, drop: 0.1, accuracyDrop: 0.1, logProbabilityDrop: 0.2 }] });
    delete partial.curve;
    assert.ok(parseRankPanelState({ ...rankState(), result: partial, complete: false }));
    assert.equal(parseRankPanelState({ ...rankState(), result: { ...rankResult(), metric: "entropy" } }), undefined);
    assert.equal(parseRankPanelState({ ...rankState(), result: rankResult({ curve: [{ k: 1, topK: 0, randomK: 0, randomStd: -1 }] }) }), undefined);
    assert.equal(parseRankPanelState({ ...rankState(), complete: "yes" }), undefined);
  });

  it("reads the ranking metric setting", () => {
    assert.equal(rankMetricSetting("logProbability"), "logProbability");
    assert.equal(rankMetricSetting("accuracy"), "accuracy");
    assert.equal(rankMetricSetting(3), "accuracy");
  });
});

describe("occlusion panel messages and state", () => {
  const limits = limitsOf(occlusionState());

  it("checks a re-run's parameters against the model", () => {
    assert.deepEqual(checkOcclusionRequest({ size: 4, stride: 2, fill: "gray", targetClass: 1, layer: "conv4", unit: 15 }, limits), {
      request: { size: 4, stride: 2, fill: "gray", targetClass: 1, layer: "conv4", unit: 15 },
    });
    assert.deepEqual(checkOcclusionRequest({ size: 4, stride: 2, fill: "mean", layer: "" }, limits), { request: { size: 4, stride: 2, fill: "mean" } });
    const error = (raw: unknown) => {
      const r = checkOcclusionRequest(raw, limits);
      return "error" in r ? r.error : "ok";
    };
    assert.match(error({ size: 33, stride: 2, fill: "mean" }), /size must be a whole number from 1 to 32/);
    assert.match(error({ size: 4, stride: 0, fill: "mean" }), /stride/);
    assert.match(error({ size: 4, stride: 2, fill: "pink" }), /fill/);
    assert.match(error({ size: 4, stride: 2, fill: "mean", targetClass: 3 }), /target class/);
    assert.match(error({ size: 4, stride: 2, fill: "mean", layer: "conv9" }), /Unknown layer/);
    assert.match(error({ size: 4, stride: 2, fill: "mean", layer: "conv1", unit: 8 }), /from 0 to 7/);
    assert.match(error({ size: 4, stride: 2, fill: "mean", unit: 1 }), /Choose a layer/);
  });

  it("turns webview messages into checked requests and says what is wrong with bad ones", () => {
    assert.deepEqual(parseOcclusionMessage({ type: "openImage" }, limits), { type: "openImage" });
    assert.deepEqual(parseOcclusionMessage({ type: "rerun", request: { size: 4, stride: 4, fill: "black" } }, limits), {
      type: "rerun",
      request: { size: 4, stride: 4, fill: "black" },
    });
    assert.equal(parseOcclusionMessage({ type: "rerun", request: { size: "4" } }, limits)?.type, "invalid");
    assert.equal(parseOcclusionMessage({ type: "run" }, limits), undefined);
  });

  it("sends only what differs from the daemon's defaults", () => {
    assert.deepEqual(occludeParams("m1", { size: 8, stride: 4, fill: "mean" }), { modelId: "m1", size: 8, stride: 4 });
    assert.deepEqual(occludeParams("m1", { size: 8, stride: 4, fill: "gray", targetClass: 0, layer: "conv4", unit: 2 }), {
      modelId: "m1",
      size: 8,
      stride: 4,
      fill: [0.5],
      targetClass: 0,
      layer: "conv4",
      unit: 2,
    });
  });

  it("takes the settings' size, stride and fill, else the input's defaults", () => {
    const model = { input: { width: 224, height: 224 } };
    assert.deepEqual(
      occlusionDefaults(() => undefined, model),
      { size: 37, stride: 12, fill: "mean" },
    );
    const settings: Record<string, unknown> = { "occlusion.size": 50, "occlusion.stride": 0, "occlusion.fill": "gray" };
    assert.deepEqual(
      occlusionDefaults((k) => settings[k], model),
      { size: 50, stride: 12, fill: "gray" },
    );
    assert.deepEqual(
      occlusionDefaults((k) => ({ "occlusion.size": 500, "occlusion.fill": "pink" })[k], model),
      { size: 37, stride: 12, fill: "mean" },
    );
  });

  it("revives a saved state (opacity kept) and refuses results whose pictures are not base64 or whose maps do not fit the grid", () => {
    const s = occlusionState({ opacity: 0.25 });
    assert.deepEqual(parseOcclusionPanelState(JSON.parse(JSON.stringify(s))), s);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test breaks a parsed copy at will
    const broken = (f: (x: any) => void) => {
      const x = JSON.parse(JSON.stringify(s));
      f(x);
      return parseOcclusionPanelState(x);
    };
    assert.equal(
      broken((x) => (x.result.imagePng = '"><script>')),
      undefined,
    );
    assert.equal(
      broken((x) => x.result.probability.values.pop()),
      undefined,
    );
    assert.equal(
      broken((x) => (x.result.activity.map.heatmapPng = "javascript:alert(1)")),
      undefined,
    );
    assert.equal(
      broken((x) => (x.request.size = 99)),
      undefined,
    );
    assert.equal(broken((x) => (x.opacity = 7))?.opacity, 0.6);
  });
});
