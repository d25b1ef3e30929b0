// The "Visualize unit", invariance and correspondence panels as a person sees them: the real panel
// HTML and webview scripts, filled with what the real daemon computed for the sample model, in
// headless Chromium under VS Code's light, dark and high-contrast variables. Checked: no script or
// CSP errors, the theme's colours, the optimised image drawn with sharp pixels, each round's preview
// swapped in while a run goes on, the form's checks and what it posts, and state that survives a
// reload. Skipped where Chromium or the daemon build is missing.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { buildCorrespondenceHtml } from "../src/correspondence/correspondenceHtml";
import { buildInvarianceHtml } from "../src/invariance/invarianceHtml";
import type { CorrespondenceResult, InvarianceResult, ModelInfo, VisualizePreview, VisualizeResult } from "../src/protocol.generated";
import { buildVisualizeHtml } from "../src/visualize/visualizeHtml";
import type { VisualizePanelState } from "../src/visualize/visualizeMessages";
import { visualizeModel } from "../src/visualize/visualizeModel";
import { withTimeout } from "./support/daemon";
import { withDaemonPages } from "./support/daemonPages";
import { REPO_ROOT } from "./support/fixtures";
import { MEDIA, openPanel, pageErrors, SHOWN_THEMES, themedShot, until, type ThemeName } from "./support/webviewPage";

const CHECKPOINT = path.join(REPO_ROOT, "samples/smallcnn.pth");
const IMAGES = path.join(REPO_ROOT, "samples/images");

describe("visualize, invariance and correspondence panels in Chromium, from the real daemon's output", function () {
  this.timeout(240_000);
  let model: ModelInfo;
  let visualized: VisualizeResult;
  let invariance: InvarianceResult;
  let correspondence: CorrespondenceResult;

  const pages = withDaemonPages({}, async (d, { folder }) => {
    for (const name of ["circle", "square", "cross"]) fs.copyFileSync(path.join(IMAGES, `${name}.png`), path.join(folder, `${name}.png`));
    const boxes = path.join(folder, "parts.json");
    fs.writeFileSync(
      boxes,
      JSON.stringify({ images: ["circle", "square", "cross"].map((n, i) => ({ path: `${n}.png`, boxes: { centre: [20 + i, 22, 24, 20] } })) }),
    );
    model = await withTimeout(d.request("unitscope/loadModel", { path: CHECKPOINT }), 120_000, "loadModel");
    visualized = (await withTimeout(
      d.request("unitscope/visualize", { modelId: model.modelId, layer: "conv3", unit: 4, seed: 1, rounds: 3, steps: 5 }),
      120_000,
      "visualize",
    ))!;
    invariance = await withTimeout(
      d.request("unitscope/invariance", {
        modelId: model.modelId,
        imagePaths: [path.join(folder, "circle.png"), path.join(folder, "square.png")],
        translations: [-8, 0, 8],
        rotations: [0, 45],
        scales: [1, 1.4],
      }),
      120_000,
      "invariance",
    );
    correspondence = await withTimeout(
      d.request("unitscope/correspondence", { modelId: model.modelId, boxesPath: boxes, randomDraws: 3 }),
      120_000,
      "correspondence",
    );
  });

  const modelRef = () => ({ modelId: model.modelId, checkpointHash: model.checkpointHash, modelLabel: "smallcnn.pth (smallcnn)" });
  const resources = (script: string) => ({
    cspSource: "file:",
    scriptUri: `${MEDIA}/${script}`,
    baseStyleUri: `${MEDIA}/base.css`,
    styleUri: `${MEDIA}/analysis.css`,
  });

  function visualizeState(result: VisualizeResult | null = visualized): VisualizePanelState {
    return {
      version: 1,
      model: visualizeModel(model, "smallcnn.pth (smallcnn)"),
      request: { layer: "conv3", unit: 4, objective: "channel", seed: 1, rounds: 3, steps: 5 },
      ...(result ? { result } : {}),
      tests: [],
    };
  }

  function visualizePage(theme: ThemeName, state = visualizeState(), running = false, saved?: unknown): Promise<Page> {
    return openPanel(pages.browser, buildVisualizeHtml({ ...resources("visualize.js"), state, running }), theme, { state: saved });
  }

  const posted = async (page: Page) => (await page.evaluate("window.__posted")) as { type: string; [k: string]: unknown }[];

  const shoot = (page: Page, name: string, theme: ThemeName) => themedShot(pages.browser, page, name, theme);

  for (const theme of SHOWN_THEMES) {
    it(`visualize panel, ${theme}: the optimised image enlarged with sharp pixels, the hypothesis chart, the theme's colours`, async () => {
      const page = await visualizePage(theme);
      try {
        await until(page, `(() => { const i = document.getElementById("optimised"); return i && i.complete && i.naturalWidth > 0; })()`);
        const size = (await page.evaluate(
          `(() => { const i = document.getElementById("optimised"); return [i.naturalWidth, i.naturalHeight, Number(i.getAttribute("width")), getComputedStyle(i).imageRendering]; })()`,
        )) as [number, number, number, string];
        assert.deepEqual(size.slice(0, 2), [model.input.width, model.input.height]);
        assert.equal(size[2] % size[0], 0, "enlarged by a whole factor");
        assert.ok(size[2] >= 128, `enlarged (${size[2]} px wide)`);
        assert.equal(size[3], "pixelated");
        assert.equal(await page.locator("figure.hypothesis img.chart").count(), 1);
        assert.match(
          (await page.locator("figure.hypothesis figcaption").textContent()) ?? "",
          new RegExp(`unit 4 ranks #${visualized.hypothesis.rank} of ${visualized.hypothesis.meanActivations.length}`),
        );
        const stats = await shoot(page, "visualize", theme);
        const area = stats.width * stats.height;
        assert.ok(stats.matches.background! > area * 0.3, `the theme's background (${stats.matches.background} of ${area} px)`);
        assert.ok(stats.matches.foreground! > 300, "text in the theme's colour");
        assert.deepEqual(pageErrors(page), []);
      } finally {
        await page.close();
      }
    });
  }

  it("visualize panel: previews replace the image while a run goes on; Cancel, the form's checks and Run post what they should", async () => {
    const page = await visualizePage("dark", visualizeState(null), true);
    try {
      assert.equal(await page.locator("#cancel").isVisible(), true);
      assert.equal(await page.locator("#optimised").isVisible(), false, "nothing to show before the first round");
      const preview: VisualizePreview = { round: 2, rounds: 3, activation: 0.25, imagePng: visualized.imagePng };
      await page.evaluate(`window.postMessage(${JSON.stringify({ type: "preview", preview })}, "*")`);
      await until(
        page,
        `(() => { const i = document.getElementById("optimised"); return i && i.complete && i.naturalWidth > 0 && !i.classList.contains("hidden"); })()`,
      );
      assert.equal(await page.locator("#image-caption").textContent(), "Round 2 of 3: activation 0.2500");
      await page.locator("#cancel").click();
      assert.deepEqual((await posted(page)).at(-1), { type: "cancel" });
      await page.evaluate(`window.postMessage({ type: "idle" }, "*")`);
      await until(page, `document.getElementById("cancel").classList.contains("hidden")`);

      const units = model.layers.find((l) => l.name === "conv3")!.units;
      await page.locator("#unit").fill(String(units));
      await page.locator("#run").click();
      assert.match((await page.locator("#status").textContent()) ?? "", new RegExp(`from 0 to ${units - 1}`));
      assert.ok(!(await posted(page)).some((m) => m.type === "run"), "a bad form is not sent");
      await page.locator("#unit").fill("3");
      await page.locator("#seed").fill("11");
      await page.keyboard.press("Enter");
      assert.deepEqual((await posted(page)).at(-1), { type: "run", request: { layer: "conv3", unit: 3, objective: "channel", seed: 11, rounds: 3, steps: 5 } });
      assert.deepEqual(pageErrors(page), []);
    } finally {
      await page.close();
    }
  });

  it("visualize panel: its state survives a reload", async () => {
    const page = await visualizePage("light");
    let saved: unknown;
    try {
      saved = await page.evaluate("window.__state");
    } finally {
      await page.close();
    }
    assert.deepEqual(saved, JSON.parse(JSON.stringify(visualizeState())));
  });

  for (const theme of SHOWN_THEMES) {
    it(`invariance and correspondence panels, ${theme}: the daemon's charts and tables, no script errors, state kept`, async () => {
      const inv = await openPanel(
        pages.browser,
        buildInvarianceHtml({ ...resources("invariance.js"), state: { version: 1, model: modelRef(), result: invariance } }),
        theme,
      );
      try {
        await until(inv, `(() => { const i = document.querySelector("img.composite"); return i && i.complete && i.naturalWidth > 0; })()`);
        assert.equal(await inv.locator("table.summary tbody tr").count(), invariance.sweeps.length);
        assert.deepEqual(((await inv.evaluate("window.__state")) as { result: InvarianceResult }).result.layers, invariance.layers);
        await shoot(inv, "invariance", theme);
        assert.deepEqual(pageErrors(inv), []);
      } finally {
        await inv.close();
      }
      const cor = await openPanel(
        pages.browser,
        buildCorrespondenceHtml({
          ...resources("correspondence.js"),
          state: { version: 1, model: modelRef(), boxesFile: "parts.json", result: correspondence },
        }),
        theme,
      );
      try {
        await until(cor, `(() => { const i = document.querySelector("img.composite"); return i && i.complete && i.naturalWidth > 0; })()`);
        assert.equal(await cor.locator("table.summary tbody tr").count(), correspondence.layers.length);
        assert.equal(((await cor.evaluate("window.__state")) as { boxesFile: string }).boxesFile, "parts.json");
        await shoot(cor, "correspondence", theme);
        assert.deepEqual(pageErrors(cor), []);
      } finally {
        await cor.close();
      }
    });
  }
});
