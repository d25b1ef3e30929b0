// The Evolution and Compare panels as a person sees them: the real pages and webview scripts,
// filled with a run the real daemon summarised (two checkpoints of the sample SmallCNN, one with
// noise in conv3, dissected) and the daemon's comparison of the two, in headless Chromium under
// VS Code's light, dark and high-contrast variables. Checked: no script or CSP errors, the daemon's
// charts decode, layer tabs by click and arrow keys, a unit followed across the run, a file name
// asking to load that checkpoint, a layer's matched units listed, and the choices kept across a
// reload. Skipped where Chromium, the daemon build or PyTorch is missing.

import * as assert from "node:assert/strict";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { buildCompareHtml } from "../src/evolution/compareHtml";
import { buildEvolutionHtml } from "../src/evolution/evolutionHtml";
import { gatherCheckpoints, type ComparePanelState, type EvolutionPanelState } from "../src/evolution/evolutionMessages";
import type { CheckpointSummary, CompareCheckpointsResult, EvolveResult } from "../src/protocol.generated";
import { withTimeout } from "./support/daemon";
import { withDaemonPages } from "./support/daemonPages";
import { makeTrainingRun } from "./support/trainingRun";
import { MEDIA, openPanel, pageErrors, saveShot, SHOWN_THEMES, until } from "./support/webviewPage";

describe("evolution and compare panels in Chromium, from the real daemon's output", function () {
  this.timeout(300_000);
  let evolution: EvolutionPanelState;
  let comparison: ComparePanelState;

  const pages = withDaemonPages({ torch: true }, async (d, { folder, python }) => {
    const run = makeTrainingRun(python!, folder);
    const last = await withTimeout(d.request("unitscope/loadModel", { path: path.join(run, "last.pth") }), 120_000, "loadModel");
    const first = await withTimeout(d.request("unitscope/loadModel", { path: path.join(run, "epoch_3.pth") }), 120_000, "loadModel");
    const result: EvolveResult = await withTimeout(
      d.request("unitscope/evolve", { modelId: last.modelId, run, layers: ["conv2", "conv3"], dissect: true, maxImages: 12 }),
      180_000,
      "evolve",
    );
    const compared: CompareCheckpointsResult = await withTimeout(
      d.request("unitscope/compareCheckpoints", { modelIdA: first.modelId, modelIdB: last.modelId, maxImages: 12 }),
      120_000,
      "compareCheckpoints",
    );
    const ref = (m: typeof last, label: string) => ({ modelId: m.modelId, checkpointHash: m.checkpointHash, modelLabel: label });
    evolution = {
      version: 1,
      model: ref(last, "last.pth (smallcnn)"),
      run: result.run,
      result: { ...result, checkpoints: gatherCheckpoints(result.checkpoints) },
    };
    comparison = { version: 1, modelA: ref(first, "epoch_3.pth"), modelB: ref(last, "last.pth"), result: compared };
  });

  const resources = (script: string) => ({
    cspSource: "file:",
    scriptUri: `${MEDIA}/${script}`,
    baseStyleUri: `${MEDIA}/base.css`,
    styleUri: `${MEDIA}/evolution.css`,
  });
  const posted = async (page: Page) => (await page.evaluate("window.__posted")) as { type: string; path?: string }[];
  const visibleLayers = (page: Page) =>
    page.evaluate(`[...document.querySelectorAll("section.evo-layer")].filter((s) => !s.hidden).map((s) => s.dataset.layer)`);

  for (const theme of SHOWN_THEMES) {
    it(`${theme}: the run's charts and tables, tabs, a unit followed, a checkpoint asked for, kept across a reload`, async () => {
      const page = await openPanel(
        pages.browser,
        buildEvolutionHtml({ ...resources("evolution.js"), state: evolution }),
        theme,
        {},
        { width: 1100, height: 900 },
      );
      try {
        const widths = (await page.evaluate(`[...document.querySelectorAll("img.evo-chart")].map((i) => i.naturalWidth)`)) as number[];
        assert.deepEqual(
          widths,
          evolution.result.charts!.map((c) => c.width),
          "the daemon's charts decode",
        );
        assert.deepEqual(await visibleLayers(page), ["conv2"]);
        await page.locator('button.evo-tab[data-layer="conv3"]').click();
        assert.deepEqual(await visibleLayers(page), ["conv3"]);
        await page.locator('button.evo-tab[data-layer="conv3"]').press("ArrowLeft");
        assert.deepEqual(await visibleLayers(page), ["conv2"], "arrow keys move between the tabs");
        await page.locator('button.evo-tab[data-layer="conv2"]').press("ArrowRight");

        const rows = page.locator('section[data-layer="conv3"] tr.evo-unit');
        const count = await rows.count();
        assert.ok(count > 0, "units with a concept");
        const unit = Number(await rows.nth(count - 1).getAttribute("data-unit"));
        await rows.nth(count - 1).press("Enter");
        await until(page, `document.querySelectorAll("#evo-unit li").length === 2`);
        assert.match(await page.locator("#evo-unit h2").innerText(), new RegExp(`Unit ${unit} of conv3 across the run`));
        const saved = (await page.evaluate("window.__state")) as EvolutionPanelState;
        assert.equal(saved.layer, "conv3");
        assert.equal(saved.unit, unit);

        const file = evolution.result.checkpoints[0]!.paths[0]!;
        await page.locator(`section[data-layer="conv3"] button.evo-open[data-path="${file}"]`).click();
        assert.deepEqual((await posted(page)).at(-1), { type: "openCheckpoint", path: file });
        await saveShot(page, "evolution", theme);
        assert.deepEqual(pageErrors(page), []);

        const reloaded = await openPanel(pages.browser, buildEvolutionHtml({ ...resources("evolution.js"), state: evolution }), theme, { state: saved });
        try {
          assert.deepEqual(await visibleLayers(reloaded), ["conv3"]);
          assert.equal(await reloaded.locator("tr.evo-unit.selected").getAttribute("data-unit"), String(unit));
          assert.equal(await reloaded.locator("#evo-unit li").count(), 2);
          assert.deepEqual(pageErrors(reloaded), []);
        } finally {
          await reloaded.close();
        }
      } finally {
        await page.close();
      }
    });

    it(`${theme}: the comparison's chart, layers by change, a layer's matched units, kept across a reload`, async () => {
      const page = await openPanel(pages.browser, buildCompareHtml({ ...resources("compare.js"), state: comparison }), theme, {}, { width: 1100, height: 900 });
      try {
        const r = comparison.result;
        assert.equal(await page.evaluate(`document.querySelector("img.cmp-chart").naturalWidth`), r.chartWidth);
        assert.equal(await page.locator("tr.cmp-layer").count(), r.layers.length);
        const top = r.layers.find((l) => l.layer === r.rankedByChange[0])!;
        await until(page, `document.querySelectorAll("#cmp-matches tbody tr").length === ${top.matches.length}`);
        await page.locator('tr.cmp-layer[data-layer="conv1"]').click();
        const conv1 = r.layers.find((l) => l.layer === "conv1")!;
        await until(page, `document.querySelectorAll("#cmp-matches tbody tr").length === ${conv1.matches.length}`);
        assert.equal(await page.locator("#cmp-matches tr.cmp-moved").count(), 0, "conv1 did not change: every unit matched to itself");
        await page.locator('tr.cmp-layer[data-layer="conv2"]').press("Enter");
        assert.match(await page.locator("#cmp-matches h2").innerText(), /^conv2: \d+ units matched/);
        const saved = (await page.evaluate("window.__state")) as ComparePanelState;
        assert.equal(saved.layer, "conv2");
        await saveShot(page, "compare", theme);
        assert.deepEqual(pageErrors(page), []);

        const reloaded = await openPanel(pages.browser, buildCompareHtml({ ...resources("compare.js"), state: comparison }), theme, { state: saved });
        try {
          assert.equal(await reloaded.locator("tr.cmp-layer.selected").getAttribute("data-layer"), "conv2");
          assert.deepEqual(pageErrors(reloaded), []);
        } finally {
          await reloaded.close();
        }
      } finally {
        await page.close();
      }
    });
  }

  it("keeps the run's checkpoints in training order", () => {
    assert.deepEqual(
      evolution.result.checkpoints.map((c: CheckpointSummary) => c.epoch),
      [3, 6],
    );
  });
});
