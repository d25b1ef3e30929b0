// The explanatory graph panel's pure parts: its state and messages checked, the page drawn from a
// graph (nodes where the graph puts them, one line per node to its strongest parent, the explained
// table), and the command's layer helpers.

import * as assert from "node:assert/strict";
import { defaultGraphLayers, parseLayerList } from "../src/graph/graphLayers";
import { buildGraphHtml } from "../src/graph/graphHtml";
import { parseGraphNodeRequest, parseGraphPanelState, parseGraphToWebview, type GraphPanelState } from "../src/graph/graphMessages";
import type { ExplanatoryGraphResult } from "../src/protocol.generated";

const PNG = "iVBORw0KGgo=";

function graph(): ExplanatoryGraphResult {
  return {
    images: 8,
    dataset: "/data/shapes (class circle)",
    chartPng: PNG,
    chartWidth: 10,
    chartHeight: 10,
    cached: false,
    layers: [
      {
        name: "conv4",
        filters: 64,
        height: 8,
        width: 8,
        nodes: [{ id: 0, filter: 3, pattern: 0, x: 0.5, y: 0.25, spread: 0.1, frequency: 0.9, meanStrength: 2 }],
        edges: [],
        explained: 0.4,
        byGroup: [
          { group: "parts", share: 0.3 },
          { group: "texture", share: 0 },
          { group: "scene", share: 0 },
          { group: "unlabelled", share: 0.1 },
        ],
        labelSource: "dissection of conv4 over 24 probe images",
      },
      {
        name: "conv3",
        filters: 64,
        height: 16,
        width: 16,
        nodes: [
          { id: 1, filter: 5, pattern: 0, x: 0.4, y: 0.2, spread: 0.05, frequency: 0.8, meanStrength: 1 },
          { id: 2, filter: 12, pattern: 1, x: 0.7, y: 0.7, spread: 0.05, frequency: 0.2, meanStrength: 1 },
        ],
        edges: [
          { child: 1, parent: 0, weight: 0.6, dx: -0.1, dy: -0.05 },
          { child: 1, parent: 0, weight: 0.2, dx: 0.3, dy: 0.3 },
          { child: 2, parent: 0, weight: 0.1, dx: 0.2, dy: 0.45 },
        ],
        explained: 0.25,
        byGroup: [
          { group: "parts", share: 0 },
          { group: "texture", share: 0 },
          { group: "scene", share: 0 },
          { group: "unlabelled", share: 0.25 },
        ],
      },
    ],
  };
}

function state(): GraphPanelState {
  return {
    version: 1,
    model: { modelId: "m1", checkpointHash: "abc", modelLabel: "smallcnn.pth (smallcnn)" },
    request: { modelId: "m1", layers: ["conv4", "conv3"], evaluationSet: "/data/shapes", className: "circle" },
    result: graph(),
  };
}

const resources = { cspSource: "vscode-resource:", scriptUri: "graph.js", baseStyleUri: "base.css", styleUri: "graph.css" };

describe("explanatory graph panel", () => {
  it("revives a saved state with its chosen node and refuses malformed ones", () => {
    const saved = { ...state(), selected: 2 };
    assert.deepEqual(parseGraphPanelState(JSON.parse(JSON.stringify(saved))), saved);
    assert.equal(parseGraphPanelState({ ...state(), version: 2 }), undefined);
    const badEdge = state();
    badEdge.result.layers[1]!.edges[0]!.weight = 1.5;
    assert.equal(parseGraphPanelState(badEdge), undefined, "an edge weight is a share");
    const badNode = state();
    (badNode.result.layers[0]!.nodes[0] as unknown as Record<string, unknown>).x = "left";
    assert.equal(parseGraphPanelState(badNode), undefined);
    assert.equal(parseGraphPanelState({ ...state(), request: { modelId: "m1" } }), undefined);
  });

  it("accepts a node request and the daemon's answers, and nothing else", () => {
    assert.deepEqual(parseGraphNodeRequest({ type: "node", nodeId: 3 }), { type: "node", nodeId: 3 });
    assert.equal(parseGraphNodeRequest({ type: "node", nodeId: -1 }), undefined);
    assert.equal(parseGraphNodeRequest({ type: "run" }), undefined);
    const node = graph().layers[0]!.nodes[0]!;
    const answer = { type: "node", result: { layer: "conv4", node, patches: [{ image: "/a/b.png", x: 0.5, y: 0.5, strength: 2, patchPng: PNG }] } };
    assert.deepEqual(parseGraphToWebview(answer), answer);
    assert.equal(
      parseGraphToWebview({ ...answer, result: { ...answer.result, patches: [{ image: "/a/b.png", x: 0.5, y: 0.5, strength: 2, patchPng: "<svg>" }] } }),
      undefined,
    );
    assert.deepEqual(parseGraphToWebview({ type: "nodeError", nodeId: 1, message: "not cached" }), { type: "nodeError", nodeId: 1, message: "not cached" });
  });

  it("draws every node where the graph puts it, one line per node to its strongest parent, and the explained shares", () => {
    const html = buildGraphHtml({ ...resources, state: { ...state(), selected: 1 } });
    const circles = [...html.matchAll(/<circle class="graph-node( selected)?" data-node="(\d+)"[^>]* cx="([\d.-]+)" cy="([\d.-]+)"/g)];
    assert.deepEqual(
      circles.map((c) => [Number(c[2]), Number(c[3]), Number(c[4]), c[1] === " selected"]).sort((a, b) => Number(a[0]) - Number(b[0])),
      [
        [0, 50, 25, false],
        [1, 40, 20, true],
        [2, 70, 70, false],
      ],
    );
    const lines = [...html.matchAll(/<line x1="([\d.-]+)" y1="([\d.-]+)" x2="([\d.-]+)" y2="([\d.-]+)" stroke-opacity="([\d.]+)"/g)];
    assert.equal(lines.length, 2, "one line per node that has parents");
    // Node 1's strongest parent (weight 0.6) sits at its position minus (−0.1, −0.05).
    assert.deepEqual(lines[0]!.slice(1, 6).map(Number), [40, 20, 50, 25, 0.66]);
    assert.match(html, /<td>40\.0%<\/td><td>30\.0%<\/td>/);
    assert.match(html, /dissection of conv4 over 24 probe images/);
    assert.match(html, /not dissected/);
  });

  it("proposes the last three convolutions deepest first, and reads a typed list", () => {
    const layers = ["conv1", "bn1", "conv2", "conv3", "conv4", "fc"].map((name) => ({
      name,
      kind: name.startsWith("conv") ? "Conv2d" : name === "fc" ? "Linear" : "BatchNorm2d",
      units: 4,
      outputShape: name === "fc" ? [10] : [4, 8, 8],
    }));
    assert.deepEqual(defaultGraphLayers({ layers }), ["conv4", "conv3", "conv2"]);
    assert.deepEqual(parseLayerList(" conv4, conv3 ,,conv2 "), ["conv4", "conv3", "conv2"]);
  });
});
