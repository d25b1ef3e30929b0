import * as assert from "node:assert/strict";
import {
  ablatableLayers,
  classItems,
  classNamesOf,
  defaultOcclusionGeometry,
  evaluationSetItems,
  fillValue,
  layerItems,
  parseAnalysisArgs,
  positions,
  rememberFolder,
  showAllItem,
  spatialLayers,
  splitLayers,
  unitItems,
} from "../src/ablatePickers";
import type { LayerInfo } from "../src/protocol.generated";
import { layer } from "./support/dissectionFixtures";

const LAYERS: LayerInfo[] = [
  { name: "conv1", kind: "Conv2d", units: 8, outputShape: [8, 16, 16] },
  { name: "flatten", kind: "Flatten", units: 0, outputShape: [] },
  { name: "fc1", kind: "Linear", units: 32, outputShape: [32] },
  { name: "seq", kind: "Sequential", units: 4, outputShape: [4, 2, 2, 2] },
];

describe("arguments of the analysis commands", () => {
  it("takes nothing, a layer name, or {modelId, layer, units, class} from links and panels", () => {
    assert.deepEqual(parseAnalysisArgs(undefined), {});
    assert.deepEqual(parseAnalysisArgs("conv3"), { layer: "conv3" });
    assert.deepEqual(parseAnalysisArgs({ modelId: "abc", layer: "conv3" }), { modelId: "abc", layer: "conv3" });
    assert.deepEqual(parseAnalysisArgs({ layer: "conv3", units: [5, 2, 5], class: 1 }), { layer: "conv3", units: [2, 5], class: 1 });
  });

  it("refuses malformed arguments", () => {
    for (const bad of [{ units: [-1] }, { units: "3" }, { class: 1.5 }, { layer: "" }, { modelId: 7 }, [1, 2], 42])
      assert.equal(parseAnalysisArgs(bad), undefined, JSON.stringify(bad));
  });
});

describe("the pickers' items", () => {
  it("offers layers with units whose output is [C, H, W] or [F] (occlusion: only spatial ones), dissected ones saying so", () => {
    assert.deepEqual(
      ablatableLayers({ layers: LAYERS }).map((l) => l.name),
      ["conv1", "fc1"],
    );
    assert.deepEqual(
      spatialLayers({ layers: LAYERS }).map((l) => l.name),
      ["conv1"],
    );
    const items = layerItems(ablatableLayers({ layers: LAYERS }), new Map([["conv1", { labelledUnits: 5, units: 8 }]]));
    assert.deepEqual(items[0], { label: "conv1", description: "Conv2d · 8 units · 8×16×16", layer: "conv1", detail: "dissected: 5/8 units labelled" });
    assert.equal(items[1]!.detail, undefined);
  });

  it("shows convolutions, linear layers and blocks first; normalisation, activations, pooling behind 'show all'", () => {
    const resnet: LayerInfo[] = [
      { name: "conv1", kind: "Conv2d", units: 64, outputShape: [64, 112, 112] },
      { name: "bn1", kind: "BatchNorm2d", units: 64, outputShape: [64, 112, 112] },
      { name: "relu", kind: "ReLU", units: 64, outputShape: [64, 112, 112] },
      { name: "maxpool", kind: "MaxPool2d", units: 64, outputShape: [64, 56, 56] },
      { name: "layer1.0", kind: "BasicBlock", units: 64, outputShape: [64, 56, 56] },
      { name: "layer1.0.conv1", kind: "Conv2d", units: 64, outputShape: [64, 56, 56] },
      { name: "avgpool", kind: "AdaptiveAvgPool2d", units: 512, outputShape: [512, 1, 1] },
      { name: "fc", kind: "Linear", units: 1000, outputShape: [1000] },
      { name: "/features/Relu_3", kind: "Relu", units: 32, outputShape: [32, 8, 8] },
      { name: "/features/BatchNormalization_2", kind: "BatchNormalization", units: 32, outputShape: [32, 8, 8] },
      { name: "/classifier/Gemm", kind: "Gemm", units: 10, outputShape: [10] },
    ];
    const { main, more } = splitLayers(resnet);
    assert.deepEqual(
      main.map((l) => l.name),
      ["conv1", "layer1.0", "layer1.0.conv1", "fc", "/classifier/Gemm"],
    );
    assert.deepEqual(
      more.map((l) => l.name),
      ["bn1", "relu", "maxpool", "avgpool", "/features/Relu_3", "/features/BatchNormalization_2"],
    );
    assert.deepEqual(showAllItem(more), {
      label: "Show all layers (6 more)",
      description: "BatchNorm2d, ReLU, MaxPool2d, AdaptiveAvgPool2d, …",
      showAll: true,
    });
    // A model of nothing but such layers still lists them.
    assert.deepEqual(
      splitLayers(resnet.slice(1, 3)).main.map((l) => l.name),
      ["bn1", "relu"],
    );
  });

  it("lists labelled units first by IoU, then unlabelled ones by their best concept, each with its label", () => {
    const items = unitItems(6, layer(), [3]);
    assert.deepEqual(
      items.map((i) => [i.unit, i.description, i.picked]),
      [
        [0, "circle (shape) · IoU 0.31", false],
        [1, "red (color) · IoU 0.27", false],
        [3, "house (object) · IoU 0.12", true],
        [4, "red (color) · IoU 0.05", false],
        [2, "unlabelled · best stripes (texture) 0.02", false],
        [5, undefined, false],
      ],
    );
    assert.equal(items[0]!.label, "unit 0");
  });

  it("lists units in order without a dissection", () => {
    assert.deepEqual(
      unitItems(3, undefined, [1]).map((i) => [i.unit, i.picked, i.description]),
      [
        [0, false, undefined],
        [1, true, undefined],
        [2, false, undefined],
      ],
    );
  });

  it("offers the model's classes, the predicted one first for occlusion, and placeholders without names", () => {
    assert.deepEqual(
      classItems(["cat", "dog"], true).map((c) => [c.label, c.index]),
      [
        ["Predicted class", undefined],
        ["cat", 0],
        ["dog", 1],
      ],
    );
    assert.deepEqual(classItems(["cat"], false), [{ label: "cat", description: "class 0", index: 0 }]);
    assert.deepEqual(classNamesOf({ classCount: 2 }), ["class 0", "class 1"]);
    assert.deepEqual(classNamesOf({ classCount: 2, classNames: ["a", "b"] }), ["a", "b"]);
    assert.deepEqual(classNamesOf({ classCount: 3, classNames: ["a", "b"] }), ["class 0", "class 1", "class 2"]);
  });

  it("offers the probe set, recent folders (most recent first, five at most) and a folder dialog", () => {
    assert.deepEqual(
      evaluationSetItems(["/data/b", "/data/a"]).map((i) => [i.label, i.set]),
      [
        ["Probe set", "probe"],
        ["b", "/data/b"],
        ["a", "/data/a"],
        ["Image folder…", "browse"],
      ],
    );
    let recent: string[] = [];
    for (const f of ["/1", "/2", "/3", "/4", "/5", "/6", "/2", "probe"]) recent = rememberFolder(recent, f);
    assert.deepEqual(recent, ["/2", "/6", "/5", "/4", "/3"]);
  });
});

describe("occlusion defaults", () => {
  it("takes a square a sixth of the smaller side, moved a third of itself", () => {
    assert.deepEqual(defaultOcclusionGeometry(224, 224), { size: 37, stride: 12 });
    assert.deepEqual(defaultOcclusionGeometry(32, 40), { size: 5, stride: 2 });
    assert.deepEqual(defaultOcclusionGeometry(4, 4), { size: 1, stride: 1 });
  });

  it("sends no fill for the dataset mean, and one value for gray or black", () => {
    assert.equal(fillValue("mean"), undefined);
    assert.deepEqual(fillValue("gray"), [0.5]);
    assert.deepEqual(fillValue("black"), [0]);
  });

  it("counts positions as the daemon does: the last square touches the edge", () => {
    assert.equal(positions(32, 8, 4), 7);
    assert.equal(positions(32, 8, 5), 6);
    assert.equal(positions(8, 8, 3), 1);
  });
});
