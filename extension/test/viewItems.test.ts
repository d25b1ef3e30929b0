import * as assert from "node:assert/strict";
import type { ModelInfo } from "../src/protocol.generated";
import { ago, checkpointDescription, dissectedCounts, layerItem, layerNodes, modelItem } from "../src/viewItems";

const model: ModelInfo = {
  modelId: "ab12cd34",
  path: "/work/samples/smallcnn.pth",
  checkpointHash: "ab".repeat(32),
  architecture: "smallcnn",
  input: { channels: 3, height: 64, width: 64, mean: [0, 0, 0], std: [1, 1, 1] },
  classCount: 4,
  device: "cpu",
  layers: [
    { name: "conv1", kind: "Conv2d", units: 16, outputShape: [16, 64, 64] },
    { name: "relu", kind: "ReLU", units: 64, outputShape: [64, 8, 8] },
    { name: "flatten", kind: "Flatten", units: 0, outputShape: [] },
    { name: "fc", kind: "Linear", units: 4, outputShape: [4] },
  ],
  generator: false,
};

describe("UnitScope view items", () => {
  it("a model: file name, architecture and device; the active one says so", () => {
    const v = modelItem({ kind: "model", modelId: model.modelId, info: model, active: true });
    assert.equal(v.label, "smallcnn.pth");
    assert.equal(v.description, "smallcnn · cpu · active");
    assert.equal(v.contextValue, "model.active");
    assert.equal(modelItem({ kind: "model", modelId: model.modelId, info: model, active: false }).contextValue, "model");
    const twin = modelItem({ kind: "model", modelId: model.modelId, info: model, active: true, sameBytesAs: ["/work/samples/best.pth"] });
    assert.equal(twin.label, "smallcnn.pth");
    assert.equal(twin.description, "smallcnn · cpu · active · = best.pth");
    assert.match(twin.tooltip, /Identical to best\.pth \(the same bytes\): one model in memory\./);
  });

  it("layers: kind · units · shape, dissected ones with n/m labelled, and a context value the menus key on", () => {
    const counts = dissectedCounts([
      {
        layer: "conv1",
        datasetHash: "h",
        options: { quantile: 0.005, iouThreshold: 0.04, topImages: 8, batchSize: 16 },
        units: 16,
        labelledUnits: 11,
        isDefault: true,
      },
      {
        layer: "relu",
        datasetHash: "h2",
        options: { quantile: 0.01, iouThreshold: 0.04, topImages: 8, batchSize: 16 },
        units: 64,
        labelledUnits: 3,
        isDefault: false,
      },
    ]);
    const nodes = layerNodes(model, counts);
    assert.deepEqual(
      nodes.map((n) => n.layer),
      ["conv1", "relu", "fc"],
      "layers without units are left out",
    );
    const [conv1, relu, fc] = nodes.map(layerItem);
    assert.equal(conv1!.description, "Conv2d · 16 units · 16×64×64 · 11/16 labelled");
    assert.equal(conv1!.contextValue, "layer.spatial.dissected");
    assert.equal(relu!.description, "ReLU · 64 units · 64×8×8", "only the default dissection counts");
    assert.equal(relu!.contextValue, "layer.spatial");
    assert.equal(fc!.contextValue, "layer.flat");
    // The node is the command argument: { modelId, layer }.
    assert.equal(nodes[0]!.modelId, "ab12cd34");
    // A generator's maps take GAN dissection, not the classifier analyses the other context values offer.
    const generated = layerNodes({ ...model, generator: true }, counts).map(layerItem);
    assert.deepEqual(
      generated.map((g) => g.contextValue),
      ["layer.generator", "layer.generator", "layer.flat"],
    );
  });

  it("checkpoints: size, age, and whether it is loaded", () => {
    const now = Date.UTC(2025, 0, 1, 12);
    assert.equal(checkpointDescription(3.5 * 1024 * 1024, now - 5 * 60_000, now, true), "3.5 MB · 5 min ago · loaded");
    assert.equal(checkpointDescription(300, now - 10_000, now, false), "1 KB · just now");
    assert.equal(ago(3 * 3600_000), "3 h ago");
    assert.equal(ago(5 * 86400_000), "5 days ago");
  });
});
