// A followed run's background summaries in the editor: the short text beside a checkpoint in the
// Checkpoints view, a summary that lands merged into the open Evolution panel's run in training
// order (the same run and layers only; the same bytes replaced, not doubled), the page drawn with
// the new row and a note that the charts predate it, and the state with it accepted on restore.

import * as assert from "node:assert/strict";
import { buildEvolutionHtml } from "../src/evolution/evolutionHtml";
import { parseEvolutionPanelState, type EvolutionPanelState } from "../src/evolution/evolutionMessages";
import { mergeCheckpoint, sameFolder, summaryText, withLandedCheckpoint } from "../src/evolution/runSummaries";
import type { CheckpointSummary } from "../src/protocol.generated";

function checkpoint(index: number, epoch: number | undefined, hash: string, dead: number, change?: number): CheckpointSummary {
  return {
    index,
    checkpointHash: hash,
    paths: [`/runs/exp1/epoch_${epoch ?? "last"}.pth`],
    ...(epoch !== undefined ? { epoch } : {}),
    cached: false,
    layers: ["features.8", "features.27"].map((layer) => ({
      layer,
      units: 8,
      meanActivation: 0.5,
      deadFraction: dead,
      saturatedFraction: 0.6,
      weightLayer: layer,
      weightNorm: 3,
      ...(change !== undefined ? { weightChange: change } : {}),
    })),
  };
}

const resources = { cspSource: "vscode-resource:", scriptUri: "evolution.js", baseStyleUri: "base.css", styleUri: "evolution.css" };

const state = (): EvolutionPanelState => ({
  version: 1,
  model: { modelId: "m1", checkpointHash: "h5", modelLabel: "epoch_5.pth (vgg11_bn)" },
  run: "/runs/exp1",
  result: {
    run: "/runs/exp1",
    dataset: "probe",
    images: 64,
    layers: ["features.8", "features.27"],
    checkpointCount: 2,
    checkpoints: [checkpoint(0, 1, "h1", 0.5), checkpoint(1, 5, "h5", 0.25, 0.2)],
    charts: [{ layer: "features.8", png: "iVBORw0KGgo=", width: 720, height: 340 }],
  },
});

describe("background summaries of a followed run", () => {
  it("says the deepest layer's dead units and weight change in a few words", () => {
    assert.equal(summaryText(checkpoint(1, 5, "h5", 0.25, 0.034)), "features.27: 25% dead · Δw 3.4%");
    assert.equal(summaryText(checkpoint(0, 1, "h1", 0.5)), "features.27: 50% dead", "the first checkpoint has no weight change");
    assert.equal(summaryText(checkpoint(2, 9, "h9", 0, 0.25)), "features.27: 0% dead · Δw 25%");
  });

  it("names a run by its folder, with or without a name pattern", () => {
    assert.ok(sameFolder("/runs/exp1", "/runs/exp1/"));
    assert.ok(sameFolder("/runs/exp1/*.pth", "/runs/exp1"));
    assert.ok(!sameFolder("/runs/exp1", "/runs/exp2"));
  });

  it("merges a landed checkpoint in training order and replaces one with the same bytes", () => {
    const merged = mergeCheckpoint(state().result.checkpoints, checkpoint(2, 3, "h3", 0.3, 0.1));
    assert.deepEqual(
      merged.map((c) => c.epoch),
      [1, 3, 5],
      "epoch 3 lands between 1 and 5",
    );
    const again = mergeCheckpoint(merged, { ...checkpoint(2, 3, "h3", 0.3, 0.1), cached: true });
    assert.equal(again.length, 3);
    assert.equal(again[1]!.cached, true);
  });

  it("updates the open panel of the same run and layers only, and draws the new row", () => {
    const landed = { run: "/runs/exp1", layers: ["features.27", "features.8"], checkpoint: checkpoint(2, 9, "h9", 0.125, 0.05) };
    const next = withLandedCheckpoint(state(), landed);
    assert.ok(next);
    assert.deepEqual(
      next.result.checkpoints.map((c) => c.epoch),
      [1, 5, 9],
    );
    assert.equal(next.result.checkpointCount, 3);
    assert.equal(next.landed, 1);
    assert.equal(withLandedCheckpoint(next, landed)?.landed, 1, "the same checkpoint twice is one landing");
    assert.equal(withLandedCheckpoint(state(), { ...landed, run: "/runs/exp2" }), undefined, "another run");
    assert.equal(withLandedCheckpoint(state(), { ...landed, layers: ["features.8"] }), undefined, "other layers");

    const html = buildEvolutionHtml({ ...resources, state: next });
    assert.match(html, /epoch 9/);
    assert.match(html, /12\.5%/, "epoch 9's dead units");
    assert.match(html, /1 checkpoint summarised in the background since the charts were drawn/);
    assert.doesNotMatch(buildEvolutionHtml({ ...resources, state: state() }), /since the charts/);

    const restored = parseEvolutionPanelState(JSON.parse(JSON.stringify(next)));
    assert.equal(restored?.landed, 1);
    assert.equal(restored?.result.checkpoints.length, 3);
  });
});
