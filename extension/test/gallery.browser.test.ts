// The unit-gallery panel as a person sees it: the real panel HTML and webview script, filled with what
// the real daemon computed (the sample model's conv3 over the tiny Broden fixture), in headless
// Chromium under VS Code's light, dark and high-contrast variables. Checked: no script or CSP
// errors, every picture decoded, the theme's background, what the form and the ‹ › buttons post,
// a bad unit refused in the page, and the state the page persists for a reload. Skipped where
// Chromium or the daemon build is missing.

import * as assert from "node:assert/strict";
import * as path from "node:path";
import type { Page } from "playwright-core";
import type { UnitGalleryResult } from "../src/protocol.generated";
import { buildGalleryHtml } from "../src/seeing/galleryHtml";
import type { GalleryPanelState } from "../src/seeing/galleryMessages";
import { withTimeout } from "./support/daemon";
import { withDaemonPages } from "./support/daemonPages";
import { REPO_ROOT } from "./support/fixtures";
import { MEDIA, openPanel, pageErrors, SHOWN_THEMES, type ThemeName } from "./support/webviewPage";

const CHECKPOINT = path.join(REPO_ROOT, "samples/smallcnn.pth");
const BRODEN = path.join(REPO_ROOT, "tests/fixtures/broden_mini");

describe("unit gallery panel in Chromium, from the real daemon's output", function () {
  this.timeout(240_000);
  let state: GalleryPanelState;

  const pages = withDaemonPages({}, async (daemon) => {
    const model = await withTimeout(daemon.request("unitscope/loadModel", { path: CHECKPOINT }), 120_000, "loadModel");
    const result = (await withTimeout(
      daemon.request("unitscope/unitGallery", { modelId: model.modelId, layer: "conv3", unit: 5, dataset: BRODEN, k: 9 }),
      180_000,
      "unitGallery",
    )) as UnitGalleryResult;
    state = {
      version: 1,
      model: { modelId: model.modelId, checkpointHash: model.checkpointHash, modelLabel: "smallcnn.pth (smallcnn)", units: result.units },
      layer: "conv3",
      dataset: BRODEN,
      request: { unit: 5, method: "auto", k: 9 },
      result,
    };
  });

  function galleryPage(theme: ThemeName): Promise<Page> {
    const html = buildGalleryHtml({
      cspSource: "file:",
      scriptUri: `${MEDIA}/gallery.js`,
      baseStyleUri: `${MEDIA}/base.css`,
      styleUri: `${MEDIA}/gallery.css`,
      state,
    });
    return openPanel(pages.browser, html, theme);
  }

  const posted = async (page: Page) => (await page.evaluate("window.__posted")) as { type: string; request?: unknown }[];

  for (const theme of SHOWN_THEMES) {
    it(`${theme}: every activation's picture, patch and projection decoded; the theme's background`, async () => {
      const page = await galleryPage(theme);
      try {
        const count = state.result.activations.length;
        assert.ok(count > 0);
        assert.equal(await page.locator("figure.activation").count(), count);
        const decoded = (await page.evaluate("[...document.querySelectorAll('figure.activation img')].map((i) => i.naturalWidth)")) as number[];
        assert.equal(decoded.length, 3 * count);
        assert.ok(
          decoded.every((w) => w > 0),
          `every PNG decodes (${decoded.join(",")})`,
        );
        const background = await page.evaluate("getComputedStyle(document.body).backgroundColor");
        assert.ok(typeof background === "string" && background.length > 0);
        assert.match((await page.locator(".method").textContent()) ?? "", /deconvnet/i);
        assert.deepEqual(pageErrors(page), []);
      } finally {
        await page.close();
      }
    });
  }

  it("the next-unit button and the form post a checked rerun; a bad unit is refused in the page; the state is persisted", async () => {
    const page = await galleryPage("dark");
    try {
      await page.locator("#next").click();
      assert.deepEqual((await posted(page)).at(-1), { type: "rerun", request: { unit: 6, method: "auto", k: 9 } });
      await page.evaluate("window.postMessage({ type: 'idle' }, '*')");
      await page.waitForTimeout(50);
      await page.locator("#unit").fill("64");
      await page.locator("#unit").press("Enter");
      assert.equal((await posted(page)).length, 1, "nothing posted for unit 64 of 64");
      assert.match((await page.locator("#status").textContent()) ?? "", /0 to 63/);
      await page.locator("#unit").fill("12");
      await page.locator("#method").selectOption("guided");
      await page.locator("#k").fill("4");
      await page.locator("#k").press("Enter");
      assert.deepEqual((await posted(page)).at(-1), { type: "rerun", request: { unit: 12, method: "guided", k: 4 } });
      const saved = (await page.evaluate("window.__state")) as GalleryPanelState;
      assert.equal(saved.result.unit, state.result.unit);
      assert.equal(saved.layer, "conv3");
      assert.deepEqual(pageErrors(page), []);
    } finally {
      await page.close();
    }
  });
});
