// The "Visualize unit", invariance and correspondence panels' pure parts: their pages (CSP with a
// nonce, nothing inline, names escaped, what they state), the checks of what a webview sends and what
// it persisted, and the visualize request's partial results.

import * as assert from "node:assert/strict";
import { runAnalysis } from "../src/analysisRun";
import type { ProgressClient } from "../src/dissectRun";
import { buildCorrespondenceHtml } from "../src/correspondence/correspondenceHtml";
import { isCorrespondenceResult, parseCorrespondencePanelState, type CorrespondencePanelState } from "../src/correspondence/correspondenceMessages";
import { buildInvarianceHtml } from "../src/invariance/invarianceHtml";
import { invarianceSummary, isInvarianceResult, parseInvariancePanelState, type InvariancePanelState } from "../src/invariance/invarianceMessages";
import type { CorrespondenceResult, HypothesisTestResult, InvarianceResult, VisualizePreview, VisualizeResult } from "../src/protocol.generated";
import { buildVisualizeHtml } from "../src/visualize/visualizeHtml";
import {
  checkVisualizeRequest,
  displayScale,
  parseVisualizeMessage,
  parseVisualizePanelState,
  type VisualizeModel,
  type VisualizePanelState,
} from "../src/visualize/visualizeMessages";
import { TINY_PNG } from "./support/fixtures";
import { CSP_SOURCE, MEDIA, readPage, resources } from "./support/pageHtml";

const EVIL = '</script><script>alert(1)</script>"><img src=x onerror=alert(2)>';
const MODEL_REF = { modelId: "m1", checkpointHash: "cd".repeat(32), modelLabel: "smallcnn.pth (smallcnn)" };

const model = (): VisualizeModel => ({
  ...MODEL_REF,
  layers: [
    { name: "conv3", units: 6, spatial: true },
    { name: "fc1", units: 10, spatial: false },
  ],
});

function hypothesis(overrides: Partial<HypothesisTestResult> = {}): HypothesisTestResult {
  return {
    layer: "conv3",
    unit: 2,
    meanActivations: [0.1, 0.9, 0.5, 0, 0.2, 0.3],
    rank: 2,
    strongestUnit: 1,
    chartPng: TINY_PNG,
    chartWidth: 40,
    chartHeight: 20,
    ...overrides,
  };
}

function visualizeResult(overrides: Partial<VisualizeResult> = {}): VisualizeResult {
  return {
    layer: "conv3",
    unit: 2,
    objective: "channel",
    seed: 3,
    rounds: 3,
    steps: 4,
    width: 48,
    height: 40,
    imagePng: TINY_PNG,
    roundActivations: [0.1, 0.3, 0.5],
    finalActivation: 0.5,
    hypothesis: hypothesis(),
    cached: false,
    ...overrides,
  } as VisualizeResult;
}

const visualizeState = (overrides: Partial<VisualizePanelState> = {}): VisualizePanelState => ({
  version: 1,
  model: model(),
  request: { layer: "conv3", unit: 2, objective: "channel", seed: 3, rounds: 3, steps: 4 },
  result: visualizeResult(),
  tests: [],
  ...overrides,
});

function invarianceResult(): InvarianceResult {
  // Two images, two layers, a translation sweep of three values.
  return {
    layers: ["conv1", "conv3"],
    featureSizes: [100, 20],
    images: ["a.png", "b.png"],
    trueClasses: [0, 2],
    trueLabels: ["circle", "triangle"],
    baseProbabilities: [0.9, 0.8],
    sweeps: [
      {
        transform: "translation",
        values: [-4, 0, 4],
        distances: [
          [
            [2, 0, 4],
            [1, 0, 1],
          ],
          [
            [6, 0, 2],
            [3, 0, 1],
          ],
        ],
        relativeDistances: [
          [
            [0.2, 0, 0.4],
            [0.1, 0, 0.1],
          ],
          [
            [0.4, 0, 0.2],
            [0.3, 0, 0.1],
          ],
        ],
        probabilities: [
          [0.5, 0.9, 0.7],
          [0.3, 0.8, 0.6],
        ],
      },
    ],
    chartPng: TINY_PNG,
    chartWidth: 300,
    chartHeight: 200,
    cached: false,
  } as InvarianceResult;
}

function correspondenceResult(): CorrespondenceResult {
  return {
    layers: ["conv3", "fc1"],
    featureSizes: [20, 10],
    randomDraws: 5,
    parts: [
      {
        part: "eye",
        images: ["a.png", "b.png", "c.png"],
        layers: [
          { layer: "conv3", delta: 0.1, deltaStd: 0.01, deltaSum: 12, randomDelta: 0.3, randomStd: 0.02 },
          { layer: "fc1", delta: 0.4, deltaStd: 0.02, deltaSum: 24, randomDelta: 0.35, randomStd: 0.03 },
        ],
      },
    ],
    chartPng: TINY_PNG,
    chartWidth: 200,
    chartHeight: 100,
    cached: true,
  } as CorrespondenceResult;
}

/** The page's CSP, its scripts with the nonce, no inline handlers or styles, resources only from media or base64 PNGs. */
function checkPage(html: string): void {
  const { policy, nonce, tags: all } = readPage(html);
  assert.ok(nonce.length >= 16, policy);
  assert.equal(policy, `default-src 'none'; img-src ${CSP_SOURCE} data:; style-src ${CSP_SOURCE} 'nonce-${nonce}'; script-src 'nonce-${nonce}'`);
  for (const s of all.filter((t) => t.name === "script")) assert.equal(s.attrs.get("nonce"), nonce);
  assert.equal((html.match(/<\/script/gi) ?? []).length, 2, "nothing closes a script early");
  for (const t of all) {
    for (const name of t.attrs.keys()) assert.ok(!name.startsWith("on"), `inline handler ${name} on <${t.name}>`);
    assert.ok(!t.attrs.has("style"), `inline style on <${t.name}>`);
    for (const a of ["src", "href"]) {
      const v = t.attrs.get(a);
      if (v !== undefined) assert.ok(v.startsWith(`${MEDIA}/`) || /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/.test(v), `<${t.name} ${a}="${v}">`);
    }
  }
}

describe("visualize panel", () => {
  const page = (state = visualizeState(), running = false) => buildVisualizeHtml({ ...resources("visualize.js", "analysis.css"), state, running });

  it("shows the optimised image enlarged by a whole factor, the rounds and the hypothesis test's rank", () => {
    const html = page();
    checkPage(html);
    const img = readPage(html).tags.find((t) => t.attrs.get("id") === "optimised")!;
    assert.equal(displayScale(48, 40), 5);
    assert.equal(img.attrs.get("width"), "240");
    assert.equal(img.attrs.get("height"), "200");
    assert.match(html, /rounds: 0\.1(0+)? → 0\.3(0+)? → 0\.5/);
    assert.match(html, /unit 2 ranks <strong>#2<\/strong> of 6, outranked by 1 unit \(strongest: unit 1\)/);
    assert.match(html, /<button id="cancel" type="button" class="hidden">/, "no Cancel when nothing runs");
    assert.ok(!html.includes('class="warning"'));
  });

  it("while running shows Cancel and a placeholder; a unit that stayed at 0 gets a warning", () => {
    const running = page(visualizeState({ result: undefined }), true);
    checkPage(running);
    assert.match(running, /<button id="cancel" type="button">/);
    assert.match(running, /Optimising: each round's image appears here\./);
    assert.match(running, /<img id="optimised" class="hidden"/);
    const dead = page(visualizeState({ result: visualizeResult({ finalActivation: 0, roundActivations: [0, 0, 0] }) }));
    assert.match(dead, /class="warning">The unit stayed at 0/);
  });

  it("escapes names from the model and the user's images", () => {
    const evil = visualizeState({ model: { ...model(), modelLabel: EVIL }, tests: [{ image: EVIL, result: hypothesis() }] });
    const html = page(evil);
    checkPage(html);
    assert.ok(!html.includes("<img src=x"));
    assert.ok(html.includes("&lt;img src=x onerror=alert(2)&gt;"));
  });

  it("checks a request against the model: units, objective, seed, rounds and steps within the daemon's limits", () => {
    const ok = { layer: "conv3", unit: 5, objective: "neuron", seed: 0, rounds: 50, steps: 1000 };
    assert.deepEqual(checkVisualizeRequest(ok, model()), { request: ok });
    const error = (change: Record<string, unknown>) => {
      const r = checkVisualizeRequest({ ...ok, ...change }, model());
      return "error" in r ? r.error : "accepted";
    };
    assert.equal(error({ unit: 6 }), "The unit must be a whole number from 0 to 5.");
    assert.equal(error({ layer: "nope" }), "Unknown layer.");
    assert.equal(error({ layer: "fc1", objective: "neuron" }), "The neuron objective needs a layer with spatial maps; fc1 has none.");
    assert.equal(error({ rounds: 51 }), "Rounds must be a whole number from 1 to 50.");
    assert.equal(error({ steps: 0 }), "Steps must be a whole number from 1 to 1000.");
    assert.equal(error({ seed: -1 }), "The seed must be a whole number from 0.");
    assert.equal(error({ objective: "mean" }), "The objective must be channel or neuron.");
  });

  it("validates what the webview sends and what it persisted", () => {
    assert.deepEqual(parseVisualizeMessage({ type: "cancel" }, model()), { type: "cancel" });
    assert.deepEqual(parseVisualizeMessage({ type: "run", request: { layer: "fc1", unit: 12 } }, model())?.type, "invalid");
    assert.equal(parseVisualizeMessage({ type: "runCommand", id: "x" }, model()), undefined);
    const state = visualizeState({ tests: [{ image: "cat.png", result: hypothesis() }] });
    assert.deepEqual(parseVisualizePanelState(JSON.parse(JSON.stringify(state))), state);
    assert.equal(parseVisualizePanelState({ ...state, version: 2 }), undefined);
    assert.equal(parseVisualizePanelState({ ...state, result: { ...state.result, imagePng: "not base64!" } }), undefined);
    assert.equal(parseVisualizePanelState({ ...state, request: { ...state.request, unit: 6 } }), undefined);
    assert.deepEqual(parseVisualizePanelState({ ...state, tests: [{ image: "x", result: { ...hypothesis(), rank: 0 } }] })?.tests, [], "a bad test is dropped");
  });

  it("asks unitscope/visualize for partial results and passes each round's preview on", async () => {
    const handlers = new Map<string, (value: unknown) => void>();
    const sent: Record<string, unknown>[] = [];
    const client: ProgressClient = {
      request: (async (_method: string, params: Record<string, unknown>) => {
        sent.push(params);
        for (const round of [1, 2]) handlers.get(String(params.partialResultToken))?.({ round, rounds: 2, activation: round / 10, imagePng: TINY_PNG });
        return visualizeResult();
      }) as ProgressClient["request"],
      onProgress: (token, handler) => {
        handlers.set(token, handler);
        return { dispose: () => handlers.delete(token) };
      },
    };
    const previews: VisualizePreview[] = [];
    await runAnalysis(client, "unitscope/visualize", { modelId: "m", layer: "conv3", unit: 2 }, { report: () => undefined, partial: (p) => previews.push(p) });
    assert.match(String(sent[0]!.partialResultToken), /^unitscope-visualize-partial-/);
    assert.deepEqual(
      previews.map((p) => p.round),
      [1, 2],
    );
    assert.equal(handlers.size, 0);
  });
});

describe("invariance panel", () => {
  const state = (): InvariancePanelState => ({ version: 1, model: MODEL_REF, result: invarianceResult() });

  it("summarises each sweep: mean relative distance per layer, the true class's lowest mean probability", () => {
    const [translation] = invarianceSummary(invarianceResult());
    assert.equal(translation!.transform, "translation");
    // conv1: the mean of (0.2, 0, 0.4) and (0.4, 0, 0.2) is 0.2; conv3: of (0.1, 0, 0.1) and (0.3, 0, 0.1), 0.1.
    assert.ok(Math.abs(translation!.relative[0]! - 0.2) < 1e-12);
    assert.ok(Math.abs(translation!.relative[1]! - 0.1) < 1e-12);
    assert.ok(Math.abs(translation!.lowestProbability - 0.4) < 1e-12, "values -4: (0.5 + 0.3) / 2");
    const html = buildInvarianceHtml({ ...resources("invariance.js", "analysis.css"), state: state() });
    checkPage(html);
    assert.match(html, /<tr><th scope="row">translation<\/th><td>0\.200<\/td><td>0\.100<\/td><td>40%<\/td><\/tr>/);
    assert.match(html, /a\.png: circle \(p = 0\.90\)/);
  });

  it("refuses results whose arrays do not fit the images, layers and values", () => {
    assert.ok(isInvarianceResult(invarianceResult()));
    assert.deepEqual(parseInvariancePanelState(JSON.parse(JSON.stringify(state()))), state());
    const short = invarianceResult();
    short.sweeps[0]!.distances[1]![0] = [1, 2];
    assert.equal(isInvarianceResult(short), false);
    const labels = invarianceResult();
    labels.trueLabels = ["circle"];
    assert.equal(isInvarianceResult(labels), false);
    const transform = invarianceResult();
    (transform.sweeps[0] as { transform: string }).transform = "shear";
    assert.equal(isInvarianceResult(transform), false);
  });
});

describe("correspondence panel", () => {
  const state = (result = correspondenceResult()): CorrespondencePanelState => ({ version: 1, model: MODEL_REF, boxesFile: "parts.json", result });

  it("shows Δ of each part beside random boxes, saying which is more consistent; escapes part names", () => {
    const html = buildCorrespondenceHtml({ ...resources("correspondence.js", "analysis.css"), state: state() });
    checkPage(html);
    assert.match(html, /<td>conv3<\/td><td>0\.1000 ± 0\.0100<\/td><td>0\.3000 ± 0\.0200<\/td><td>more consistent<\/td>/);
    assert.match(html, /<td>fc1<\/td><td>0\.4000 ± 0\.0200<\/td><td>0\.3500 ± 0\.0300<\/td><td>not more consistent<\/td>/);
    const evil = correspondenceResult();
    evil.parts[0]!.part = EVIL;
    const page = buildCorrespondenceHtml({ ...resources("correspondence.js", "analysis.css"), state: state(evil) });
    checkPage(page);
    assert.ok(!page.includes("<img src=x"));
  });

  it("refuses malformed results and states", () => {
    assert.ok(isCorrespondenceResult(correspondenceResult()));
    assert.deepEqual(parseCorrespondencePanelState(JSON.parse(JSON.stringify(state()))), state());
    const nan = correspondenceResult();
    nan.parts[0]!.layers[0]!.delta = Number.NaN;
    assert.equal(isCorrespondenceResult(nan), false);
    assert.equal(parseCorrespondencePanelState({ ...state(), boxesFile: 3 }), undefined);
  });
});
