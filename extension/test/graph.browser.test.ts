// The explanatory graph panel as a person sees it: the real panel HTML and webview script, filled
// with a graph the real daemon mined for the sample model over one class folder, in headless
// Chromium under VS Code's light, dark and high-contrast variables. Checked: no script or CSP
// errors, every node drawn, a click (and Enter) asking for that node, the daemon's patches shown
// with the node's position, and the chosen node kept across a reload. Skipped where Chromium or the
// daemon build is missing.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { buildGraphHtml } from "../src/graph/graphHtml";
import type { GraphPanelState } from "../src/graph/graphMessages";
import type { ExplanatoryGraphParams, ExplanatoryGraphResult, GraphNodeResult, ModelInfo } from "../src/protocol.generated";
import { withTimeout } from "./support/daemon";
import { withDaemonPages } from "./support/daemonPages";
import { REPO_ROOT } from "./support/fixtures";
import { MEDIA, openPanel, pageErrors, saveShot, SHOWN_THEMES, until } from "./support/webviewPage";

const CHECKPOINT = path.join(REPO_ROOT, "samples/smallcnn.pth");
const IMAGES = path.join(REPO_ROOT, "samples/images");

describe("explanatory graph panel in Chromium, from the real daemon's output", function () {
  this.timeout(240_000);
  let model: ModelInfo;
  let request: ExplanatoryGraphParams;
  let graph: ExplanatoryGraphResult;
  let node: GraphNodeResult;

  const pages = withDaemonPages({}, async (d, { folder }) => {
    fs.mkdirSync(path.join(folder, "shapes"));
    for (const copy of [0, 1])
      for (const name of fs.readdirSync(IMAGES)) fs.copyFileSync(path.join(IMAGES, name), path.join(folder, "shapes", `${copy}-${name}`));
    model = await withTimeout(d.request("unitscope/loadModel", { path: CHECKPOINT }), 120_000, "loadModel");
    request = { modelId: model.modelId, layers: ["conv4", "conv3"], evaluationSet: folder, className: "shapes", iterations: 4 };
    graph = await withTimeout(d.request("unitscope/explanatoryGraph", request), 120_000, "explanatoryGraph");
    const chosen = graph.layers[1]!.nodes.reduce((a, b) => (b.frequency > a.frequency ? b : a));
    node = await withTimeout(d.request("unitscope/graphNode", { graph: request, nodeId: chosen.id }), 60_000, "graphNode");
  });

  const state = (): GraphPanelState => ({
    version: 1,
    model: { modelId: model.modelId, checkpointHash: model.checkpointHash, modelLabel: "smallcnn.pth (smallcnn)" },
    request,
    result: graph,
  });
  const resources = { cspSource: "file:", scriptUri: `${MEDIA}/graph.js`, baseStyleUri: `${MEDIA}/base.css`, styleUri: `${MEDIA}/graph.css` };
  const answer = () => `if (m.type === "node") reply(${JSON.stringify({ type: "node", result: node })})`;
  const posted = async (page: Page) => (await page.evaluate("window.__posted")) as { type: string; nodeId?: number }[];

  for (const theme of SHOWN_THEMES) {
    it(`${theme}: every node drawn, a click shows the node's patches, the choice survives a reload`, async () => {
      const page = await openPanel(pages.browser, buildGraphHtml({ ...resources, state: state() }), theme, { onPost: answer() }, { width: 1000, height: 900 });
      try {
        const total = graph.layers.reduce((n, l) => n + l.nodes.length, 0);
        assert.equal(await page.locator("circle.graph-node").count(), total);
        await page.locator(`circle.graph-node[data-node="${node.node.id}"]`).dispatchEvent("click");
        await until(page, `document.querySelectorAll("#graph-node .graph-patch img").length === ${node.patches.length}`);
        assert.deepEqual((await posted(page)).at(-1), { type: "node", nodeId: node.node.id });
        const text = await page.locator("#graph-node").innerText();
        assert.match(text, new RegExp(`Node ${node.node.id} of conv3`));
        assert.match(text, /mean position \(\d+%, \d+%\)/);
        const widths = (await page.evaluate(`[...document.querySelectorAll("#graph-node .graph-patch img")].map((i) => i.naturalWidth)`)) as number[];
        assert.ok(
          widths.every((w) => w > 0),
          "the patches decode",
        );
        const other = graph.layers[0]!.nodes[0]!.id;
        await page.locator(`circle.graph-node[data-node="${other}"]`).press("Enter");
        assert.deepEqual((await posted(page)).at(-1), { type: "node", nodeId: other });
        const saved = (await page.evaluate("window.__state")) as GraphPanelState;
        assert.equal(saved.selected, other);
        await saveShot(page, "graph", theme);
        assert.deepEqual(pageErrors(page), []);

        const reloaded = await openPanel(pages.browser, buildGraphHtml({ ...resources, state: state() }), theme, { onPost: answer(), state: saved });
        try {
          assert.deepEqual((await posted(reloaded)).at(-1), { type: "node", nodeId: other }, "the chosen node is asked for again");
          assert.equal(await reloaded.locator(`circle.graph-node.selected`).getAttribute("data-node"), String(other));
          assert.deepEqual(pageErrors(reloaded), []);
        } finally {
          await reloaded.close();
        }
      } finally {
        await page.close();
      }
    });
  }
});
