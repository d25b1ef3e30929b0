// The Evolution and Compare panels' pure parts: their states checked (a restored panel with a
// malformed state is refused), the run gathered from partial results, the pages drawn from a run
// and a comparison (a row per checkpoint, every unit's concept per checkpoint, label changes
// counted, the layers by change), the page's requests limited to the run's own files, and the
// Checkpoints view's grouping of a folder's checkpoints into a run.

import * as assert from "node:assert/strict";
import { buildCompareHtml } from "../src/evolution/compareHtml";
import { buildEvolutionHtml, labelChanges, unitTimeline } from "../src/evolution/evolutionHtml";
import {
  checkpointName,
  gatherCheckpoints,
  isEvolveResult,
  parseComparePanelState,
  parseEvolutionPanelState,
  parseEvolutionToHost,
  type ComparePanelState,
  type EvolutionPanelState,
} from "../src/evolution/evolutionMessages";
import { checkpointPathOf, defaultRunLayers, groupRuns, runFolderOf } from "../src/evolution/runGroups";
import type { CheckpointSummary, CompareCheckpointsResult, EvolveResult } from "../src/protocol.generated";

const PNG = "iVBORw0KGgo=";

function checkpoint(index: number, epoch: number | undefined, concepts: [number, string, number, boolean][], change?: number): CheckpointSummary {
  return {
    index,
    checkpointHash: `h${index}`,
    paths: [`/runs/exp1/epoch_${epoch ?? "last"}.pth`],
    ...(epoch !== undefined ? { epoch } : {}),
    cached: index === 0,
    layers: [
      {
        layer: "features.8",
        units: 7,
        meanActivation: 0.25 + index,
        deadFraction: 0.5 - 0.1 * index,
        saturatedFraction: 0.6,
        weightLayer: "features.8",
        weightNorm: 3.5,
        ...(change !== undefined ? { weightChange: change } : {}),
        labelled: concepts.filter((c) => c[3]).length,
        labelledByCategory: [{ category: "color", units: concepts.filter((c) => c[3]).length }],
        unitConcepts: concepts.map(([unit, concept, iou, labelled]) => ({ unit, concept, category: "color", iou, labelled })),
      },
    ],
  };
}

function run(): EvolveResult {
  return {
    run: "/runs/exp1",
    dataset: "probe",
    images: 64,
    layers: ["features.8"],
    checkpointCount: 3,
    checkpoints: [
      checkpoint(0, 1, [[2, "red", 0.01, false]]),
      checkpoint(
        1,
        5,
        [
          [2, "red", 0.08, true],
          [5, "blue", 0.05, true],
        ],
        0.4,
      ),
      checkpoint(2, undefined, [[2, "green", 0.09, true]], 0.1),
    ],
    charts: [{ layer: "features.8", png: PNG, width: 720, height: 340 }],
  };
}

const model = { modelId: "m1", checkpointHash: "h2", modelLabel: "epoch_last.pth (vgg16)" };
const evolution = (): EvolutionPanelState => ({ version: 1, model, run: "/runs/exp1", result: run() });

function comparison(): CompareCheckpointsResult {
  return {
    checkpointA: "a",
    checkpointB: "b",
    dataset: "probe",
    images: 32,
    layers: [
      {
        layer: "conv1",
        unitsA: 3,
        unitsB: 3,
        matchedToSameIndex: 3,
        matches: [0, 1, 2].map((u) => ({ unitA: u, unitB: u, correlation: 1 })),
        cka: 1,
        meanMatchedCorrelation: 1,
      },
      {
        layer: "conv2",
        unitsA: 3,
        unitsB: 3,
        matchedToSameIndex: 1,
        matches: [
          { unitA: 0, unitB: 2, correlation: 0.5, labelA: "red", labelB: "blue", labelChanged: true },
          { unitA: 1, unitB: 1, correlation: 0.9, labelA: "red", labelB: "red", labelChanged: false },
          { unitA: 2, unitB: 0, correlation: 0.2 },
        ],
        cka: 0.61,
        meanMatchedCorrelation: 0.53,
        labelChanges: 1,
      },
    ],
    rankedByChange: ["conv2", "conv1"],
    chartPng: PNG,
    chartWidth: 720,
    chartHeight: 360,
    cached: false,
  };
}

const compare = (): ComparePanelState => ({
  version: 1,
  modelA: { ...model, modelLabel: "epoch_1.pth" },
  modelB: { ...model, modelLabel: "epoch_5.pth" },
  result: comparison(),
});
const resources = { cspSource: "vscode-resource:", scriptUri: "evolution.js", baseStyleUri: "base.css", styleUri: "evolution.css" };

describe("evolution panels", () => {
  it("revive saved states with their choices and refuse malformed ones", () => {
    const saved = { ...evolution(), layer: "features.8", unit: 2 };
    assert.deepEqual(parseEvolutionPanelState(JSON.parse(JSON.stringify(saved))), saved);
    assert.deepEqual(parseEvolutionPanelState({ ...saved, layer: "fc" }), { ...evolution(), unit: 2 }, "a layer the run does not follow is dropped");
    const nulls = JSON.parse(JSON.stringify(evolution()).replace('"cached":true', '"cached":true,"step":null'));
    assert.ok(parseEvolutionPanelState(nulls), "the daemon's nulls are absent values");
    const badShare = evolution();
    badShare.result.checkpoints[1]!.layers[0]!.deadFraction = 1.5;
    assert.equal(parseEvolutionPanelState(badShare), undefined, "a dead fraction is a share");
    const badChart = evolution();
    badChart.result.charts![0]!.png = "<svg onload=x>";
    assert.equal(parseEvolutionPanelState(badChart), undefined, "a chart is base64 only");
    assert.equal(parseEvolutionPanelState({ ...evolution(), version: 2 }), undefined);
    assert.equal(isEvolveResult({ ...run(), checkpoints: [{ ...run().checkpoints[0], paths: [] }] }), false, "a checkpoint names its files");

    const savedCompare = { ...compare(), layer: "conv1" };
    assert.deepEqual(parseComparePanelState(JSON.parse(JSON.stringify(savedCompare))), savedCompare);
    const badMatch = compare();
    (badMatch.result.layers[1]!.matches[0] as unknown as Record<string, unknown>).unitB = -1;
    assert.equal(parseComparePanelState(badMatch), undefined);
  });

  it("gathers partial results into the run in training order, one per checkpoint", () => {
    const [a, b, c] = run().checkpoints;
    assert.deepEqual(
      gatherCheckpoints([c!, a!, b!, a!]).map((x) => x.index),
      [0, 1, 2],
    );
    assert.deepEqual(run().checkpoints.map(checkpointName), ["epoch 1", "epoch 5", "#3"]);
  });

  it("lets the page load only the run's own checkpoint files", () => {
    const state = evolution();
    assert.deepEqual(parseEvolutionToHost({ type: "openCheckpoint", path: "/runs/exp1/epoch_5.pth" }, state), {
      type: "openCheckpoint",
      path: "/runs/exp1/epoch_5.pth",
    });
    assert.equal(parseEvolutionToHost({ type: "openCheckpoint", path: "/etc/passwd" }, state), undefined);
    assert.equal(parseEvolutionToHost({ type: "load" }, state), undefined);
  });

  it("draws a row per checkpoint and every unit's concept per checkpoint, with its label changes", () => {
    const html = buildEvolutionHtml({ ...resources, state: { ...evolution(), unit: 2 } });
    assert.match(html, /<img class="evo-chart" src="data:image\/png;base64,iVBORw0KGgo=" width="720" height="340"/);
    const rows = [...html.matchAll(/<tr><th scope="row">([^<]+)/g)].map((m) => m[1]!.trim());
    assert.deepEqual(rows, ["epoch 1", "epoch 5", "#3"]);
    assert.match(
      html,
      /<td>50\.0%<\/td><td>60\.0%<\/td><td>3\.5<\/td><td>–<\/td><td>0 \(0\.0%\)<\/td>/,
      "the first checkpoint: no weight change, nothing labelled",
    );
    assert.match(html, /<td>0\.4<\/td><td>2 \(28\.6%\)<\/td>/);
    const units = [...html.matchAll(/<tr class="evo-unit( selected)?" data-unit="(\d+)"/g)].map((m) => [Number(m[2]), m[1] === " selected"]);
    assert.deepEqual(units, [
      [2, true],
      [5, false],
    ]);
    const timeline = unitTimeline(evolution(), "features.8");
    assert.deepEqual(
      timeline.map((t) => [t.unit, t.cells.map((c) => c?.concept ?? "-")]),
      [
        [2, ["red", "red", "green"]],
        [5, ["-", "blue", "-"]],
      ],
    );
    // Unit 2: unlabelled → red → green; unit 5: none → blue → none.
    assert.deepEqual(
      timeline.map((t) => labelChanges(t.cells)),
      [2, 2],
    );
    assert.match(html, /<td class="evo-labelled" title="green \(color\) IoU 0\.090, its label">/);
  });

  it("says when a run was not dissected instead of an empty unit table", () => {
    const plain = evolution();
    for (const c of plain.result.checkpoints) for (const l of c.layers) delete l.unitConcepts;
    const html = buildEvolutionHtml({ ...resources, state: plain });
    assert.match(html, /Not dissected/);
    assert.doesNotMatch(html, /<tr class="evo-unit/);
  });

  it("lists the layers by how much they changed, the most changed chosen first", () => {
    const html = buildCompareHtml({ ...resources, state: compare() });
    const rows = [
      ...html.matchAll(
        /<tr class="cmp-layer( selected)?" data-layer="([^"]+)"[^>]*><td>(\d+)<\/td><th scope="row">[^<]+<\/th><td>(\d+)<\/td><td>([^<]+)<\/td>/g,
      ),
    ];
    assert.deepEqual(
      rows.map((r) => [r[2], r[1] === " selected", Number(r[3]), r[5]]),
      [
        ["conv2", true, 1, "0.610"],
        ["conv1", false, 2, "1.000"],
      ],
    );
    assert.match(html, /<td>1 of 3<\/td><td>1<\/td><\/tr>/, "conv2: one unit kept its index, one label changed");
    assert.match(html, /<td>3 of 3<\/td><td>–<\/td><\/tr>/, "conv1: labels unknown");
  });

  it("groups a folder's checkpoints into a run, newest first, and finds what a command was given", () => {
    const items = groupRuns([
      { path: "/w/runs/exp1/epoch_1.pth", size: 10, mtime: 100 },
      { path: "/w/model.pth", size: 10, mtime: 250 },
      { path: "/w/runs/exp1/epoch_2.pth", size: 10, mtime: 300 },
      { path: "/w/runs/exp2/a.pt", size: 10, mtime: 200 },
      { path: "/w/runs/exp2/b.pt", size: 10, mtime: 150 },
    ]);
    assert.deepEqual(
      items.map((i) => (i.kind === "run" ? [i.folder, i.files.map((f) => f.path.split("/").pop())] : i.path)),
      [["/w/runs/exp1", ["epoch_2.pth", "epoch_1.pth"]], "/w/model.pth", ["/w/runs/exp2", ["a.pt", "b.pt"]]],
    );
    const isDir = (p: string) => !p.endsWith(".pth");
    assert.equal(runFolderOf(items[0], isDir), "/w/runs/exp1");
    assert.equal(runFolderOf({ fsPath: "/w/runs/exp1/epoch_1.pth" }, isDir), "/w/runs/exp1");
    assert.equal(runFolderOf("/w/runs/exp2", isDir), "/w/runs/exp2");
    assert.equal(runFolderOf(undefined, isDir), undefined);
    assert.equal(checkpointPathOf(items[1]), "/w/model.pth");
    assert.equal(checkpointPathOf({ fsPath: "/a/b.pth" }), "/a/b.pth");
    assert.equal(checkpointPathOf(items[0]), undefined, "a run is not a checkpoint");
    const layers = ["conv1", "relu1", "conv2", "conv3", "fc"].map((name) => ({
      name,
      kind: name.startsWith("conv") ? "Conv2d" : name === "fc" ? "Linear" : "ReLU",
    }));
    assert.deepEqual(defaultRunLayers(layers), ["conv2", "conv3"]);
  });
});
