import * as assert from "node:assert/strict";
import { isLayerDissection, parseDissectionMessage, parseDissectionPanelState, parseLayerCommandArgs, parseUi } from "../src/dissectionMessages";
import { layer, panelState } from "./support/dissectionFixtures";

describe("dissection webview → host messages", () => {
  const check = (raw: unknown, expected: unknown) => assert.deepEqual(parseDissectionMessage(raw), expected, JSON.stringify(raw));

  it("accepts card requests and dissectMore, dropping extra fields", () => {
    check({ type: "card", layer: "layer4.1.conv2", unit: 7 }, { type: "card", layer: "layer4.1.conv2", unit: 7 });
    check({ type: "card", layer: "conv1", unit: 0, path: "/etc/passwd" }, { type: "card", layer: "conv1", unit: 0 });
    check({ type: "dissectMore", layers: ["x"] }, { type: "dissectMore" });
    check({ type: "openUnit", layer: "conv2", unit: 19, command: "x" }, { type: "openUnit", layer: "conv2", unit: 19 });
    check({ type: "openUnit", layer: "conv2", unit: -1 }, undefined);
  });

  it("rejects unknown types and malformed fields", () => {
    for (const raw of [
      null,
      "card",
      [],
      { type: "eval", code: "x" },
      { type: "card", layer: "conv1" },
      { type: "card", layer: "", unit: 1 },
      { type: "card", layer: "x".repeat(1001), unit: 1 },
      { type: "card", layer: 3, unit: 1 },
      { type: "card", layer: "conv1", unit: -1 },
      { type: "card", layer: "conv1", unit: 1.5 },
      { type: "card", layer: "conv1", unit: "2" },
    ])
      check(raw, undefined);
  });
});

describe("dissection command arguments", () => {
  const check = (raw: unknown, expected: unknown) => assert.deepEqual(parseLayerCommandArgs(raw), expected, JSON.stringify(raw));

  it("takes nothing, a layer name, {modelId, layer} from hover links, or {layers}", () => {
    check(undefined, { layers: [] });
    check("conv4", { layers: ["conv4"] });
    check({ modelId: "a1b2c3d4", layer: "conv4" }, { modelId: "a1b2c3d4", layers: ["conv4"] });
    check({ layers: ["conv3", "conv4", "conv3"] }, { layers: ["conv3", "conv4"] });
    check({ modelId: "m" }, { modelId: "m", layers: [] });
  });

  it("refuses malformed arguments", () => {
    for (const raw of [42, { layer: 3 }, { layers: "conv4" }, { layers: [1] }, { modelId: 7, layer: "conv4" }, { layer: "" }]) check(raw, undefined);
  });
});

describe("dissection panel state", () => {
  it("accepts a state the panel wrote", () => {
    const s = panelState();
    assert.deepEqual(parseDissectionPanelState(JSON.parse(JSON.stringify(s))), s);
  });

  it("repairs UI fields that do not fit the layers", () => {
    const s = parseDissectionPanelState({ ...panelState(), ui: { layer: "gone", sort: "evil", descending: "yes", text: 5 } });
    assert.deepEqual(s?.ui, { layer: "conv4", sort: "iou", descending: true, text: "", category: "" });
    assert.deepEqual(parseUi(undefined, [layer()]), { layer: "conv4", sort: "iou", descending: true, text: "", category: "" });
  });

  it("rejects missing or malformed states", () => {
    const bad: unknown[] = [
      undefined,
      null,
      { ...panelState(), version: 2 },
      { ...panelState(), layers: [] },
      { ...panelState(), model: { modelId: "m" } },
      { ...panelState(), layers: [{ ...layer(), units: "many" }] },
      { ...panelState(), layers: [{ ...layer(), categories: [{ name: "color", color: "red;x" }] }] },
      { ...panelState(), layers: [{ ...layer(), units: [{ ...layer().units[0], label: { concept: "x" } }] }] },
    ];
    for (const raw of bad) assert.equal(parseDissectionPanelState(raw), undefined, JSON.stringify(raw)?.slice(0, 100));
  });

  it("checks layers from the daemon the same way", () => {
    assert.ok(isLayerDissection(layer()));
    assert.ok(!isLayerDissection({ ...layer(), imageCount: -1 }));
    assert.ok(!isLayerDissection({ ...layer(), units: [{ ...layer().units[0], topImages: [{ imageIndex: "0" }] }] }));
    assert.ok(isLayerDissection(layer({ skipped: { count: 1, problems: ["b.jpg is truncated"] } })));
    assert.ok(!isLayerDissection({ ...layer(), skipped: { count: "1", problems: [] } }));
  });
});
