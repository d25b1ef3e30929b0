// The adversarial and GAN panels as a person sees them: the real panel HTML and webview scripts, filled
// with what the real daemon returned (an attack on a sample image; a dissection of the odd test DCGAN and
// an intervention on it), in headless Chromium under VS Code's light, dark and high-contrast variables.
// Checked: no script or CSP errors, the images decode, rows chosen by click and keyboard, the unit card
// and intervention requests the pages post, a rectangle dragged on a sample, the intervention's result and
// error shown, and choices kept across a reload. Skipped where Chromium or the daemon build is missing.

import * as assert from "node:assert/strict";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { buildAttackHtml, UNIT_ROWS } from "../src/adversarial/attackHtml";
import type { AttackPanelState } from "../src/adversarial/attackMessages";
import { buildGanHtml } from "../src/gan/ganHtml";
import type { GanPanelState } from "../src/gan/ganMessages";
import type { AttackResult, GanDissectResult, GanEditResult, ModelInfo } from "../src/protocol.generated";
import { withTimeout } from "./support/daemon";
import { withDaemonPages } from "./support/daemonPages";
import { REPO_ROOT } from "./support/fixtures";
import { ODD_GENERATOR, oddSegmenter } from "./support/ganFixtures";
import { MEDIA, openPanel, pageErrors, saveShot, SHOWN_THEMES, until } from "./support/webviewPage";

describe("adversarial and GAN panels in Chromium, from the real daemon's output", function () {
  this.timeout(300_000);
  let classifier: ModelInfo;
  let generator: ModelInfo;
  let attack: AttackResult;
  let dissection: GanDissectResult;
  let edit: GanEditResult;
  let segmenter: string;

  const pages = withDaemonPages({}, async (d, { folder }) => {
    segmenter = oddSegmenter(folder);
    classifier = await withTimeout(d.request("unitscope/loadModel", { path: path.join(REPO_ROOT, "samples/smallcnn.pth") }), 120_000, "loadModel");
    attack = await withTimeout(
      d.request("unitscope/attack", {
        modelId: classifier.modelId,
        layer: "conv4",
        imagePath: path.join(REPO_ROOT, "samples/images/square.png"),
        method: "fgsm",
        epsilon: 16 / 255,
        randomStart: false,
        mapUnits: 3,
      }),
      120_000,
      "attack",
    );
    generator = await withTimeout(d.request("unitscope/loadModel", { path: ODD_GENERATOR }), 120_000, "loadModel");
    dissection = await withTimeout(
      d.request("unitscope/ganDissect", { modelId: generator.modelId, layer: "main.5", segmenterPath: segmenter, samples: 32 }),
      120_000,
      "ganDissect",
    );
    const concept = [...dissection.concepts].sort((a, b) => b.units.length - a.units.length)[0]!;
    edit = await withTimeout(
      d.request("unitscope/ganEdit", {
        modelId: generator.modelId,
        layer: "main.5",
        concept: concept.concept,
        units: Math.min(2, concept.units.length),
        samples: 16,
        examples: 3,
        region: { x0: 4, y0: 4, x1: 12, y1: 12 },
        segmenterPath: segmenter,
        dissectSamples: 32,
      }),
      120_000,
      "ganEdit",
    );
  });

  const posted = async (page: Page) => (await page.evaluate("window.__posted")) as Record<string, unknown>[];
  const decoded = async (page: Page, selector: string) =>
    (await page.evaluate(`[...document.querySelectorAll(${JSON.stringify(selector)})].map((i) => i.naturalWidth)`)) as number[];

  const attackState = (): AttackPanelState => ({
    version: 1,
    model: { modelId: classifier.modelId, checkpointHash: classifier.checkpointHash, modelLabel: "smallcnn.pth (smallcnn)" },
    request: { image: "square.png" },
    result: attack,
    labels: [{ unit: attack.units[1]!.unit, concept: "stripes", category: "texture", iou: 0.12 }],
  });
  const attackResources = { cspSource: "file:", scriptUri: `${MEDIA}/attack.js`, baseStyleUri: `${MEDIA}/base.css`, styleUri: `${MEDIA}/attack.css` };

  for (const theme of SHOWN_THEMES) {
    it(`${theme}: the attack panel's images decode, rows are chosen by click and keyboard, units open their cards, the choice survives a reload`, async () => {
      const page = await openPanel(pages.browser, buildAttackHtml({ ...attackResources, state: attackState() }), theme, {}, { width: 1000, height: 900 });
      try {
        const images = await decoded(page, "img.attack-image");
        assert.equal(images.length, 3);
        assert.ok(
          images.every((w) => w === attack.width),
          `images at the model's input size: ${images}`,
        );
        assert.equal(await page.locator("tr.attack-unit").count(), Math.min(UNIT_ROWS, attack.units.length));
        assert.ok(
          (await decoded(page, "img.unit-map")).every((w) => w > 0),
          "the maps decode",
        );
        const second = attack.units[1]!.unit;
        await page.locator(`tr.attack-unit[data-unit="${second}"] td`).first().click();
        await until(page, `document.querySelectorAll("#attack-detail img.unit-map-large").length === 2`);
        assert.match(await page.locator("#attack-detail").innerText(), new RegExp(`Unit ${second} \\(stripes, IoU 0\\.12\\)`));
        assert.equal(((await page.evaluate("window.__state")) as AttackPanelState).selected, second);
        // Keyboard: ↓ from the second row focuses the third, Enter chooses it.
        await page.locator(`tr.attack-unit[data-unit="${second}"]`).focus();
        await page.keyboard.press("ArrowDown");
        await page.keyboard.press("Enter");
        const third = attack.units[2]!.unit;
        assert.equal(((await page.evaluate("window.__state")) as AttackPanelState).selected, third);
        await page.locator(`button.open-card[data-unit="${second}"]`).click();
        assert.deepEqual((await posted(page)).at(-1), { type: "openUnit", unit: second });
        assert.equal(await page.locator(`tr.attack-unit.selected`).getAttribute("data-unit"), String(third), "the Card button does not change the choice");
        await saveShot(page, "attack", theme);
        assert.deepEqual(pageErrors(page), []);

        const saved = await page.evaluate("window.__state");
        const reloaded = await openPanel(pages.browser, buildAttackHtml({ ...attackResources, state: attackState() }), theme, { state: saved });
        try {
          assert.equal(await reloaded.locator("tr.attack-unit.selected").getAttribute("data-unit"), String(third));
          assert.match(await reloaded.locator("#attack-detail").innerText(), new RegExp(`Unit ${third}`));
          assert.deepEqual(pageErrors(reloaded), []);
        } finally {
          await reloaded.close();
        }
      } finally {
        await page.close();
      }
    });
  }

  const ganState = (withEdit: boolean): GanPanelState => ({
    version: 1,
    model: { modelId: generator.modelId, checkpointHash: generator.checkpointHash, modelLabel: "dcgan_odd.pth (dcgan)" },
    request: { layer: "main.5", samples: 32, segmenterPath: segmenter },
    dissection,
    ui: { units: 1, sample: 0 },
    ...(withEdit ? { edit } : {}),
  });
  const ganResources = { cspSource: "file:", scriptUri: `${MEDIA}/gan.js`, baseStyleUri: `${MEDIA}/base.css`, styleUri: `${MEDIA}/gan.css` };

  for (const theme of SHOWN_THEMES) {
    it(`${theme}: the GAN panel's grid, a concept chosen, a region dragged on a sample, ablate and insert asked for, the result and an error shown`, async () => {
      const answer = `if (m.type === "edit" && !m.region) reply({ type: "editError", message: "The intervention was cancelled." })`;
      const page = await openPanel(
        pages.browser,
        buildGanHtml({ ...ganResources, state: ganState(false) }),
        theme,
        { onPost: answer },
        { width: 1000, height: 1100 },
      );
      try {
        assert.equal(await page.locator("button.gan-sample").count(), dissection.samples.length);
        assert.ok(
          (await decoded(page, "button.gan-sample img")).every((w) => w === dissection.imageWidth),
          "samples and segmentations decode at the generator's size",
        );
        await page.locator('button.gan-sample[data-sample="3"]').click();
        const concept = [...dissection.concepts].sort((a, b) => b.units.length - a.units.length)[0]!;
        await page.locator(`tr.gan-concept[data-concept="${concept.concept}"]`).focus();
        await page.keyboard.press("Enter");
        assert.equal(await page.locator("#gan-concept").inputValue(), concept.concept);
        assert.equal(await page.locator("#gan-insert").isDisabled(), true, "no region yet");

        // Drag from pixel (2, 3) to pixel (9, 10) of the 16 × 16 sample.
        const box = (await page.locator("#gan-canvas").boundingBox())!;
        const px = (x: number, y: number) =>
          [box.x + ((x + 0.5) / dissection.imageWidth) * box.width, box.y + ((y + 0.5) / dissection.imageHeight) * box.height] as const;
        await page.mouse.move(...px(2, 3));
        await page.mouse.down();
        await page.mouse.move(...px(6, 6), { steps: 3 });
        await page.mouse.move(...px(9, 10), { steps: 3 });
        await page.mouse.up();
        const region = { x0: 2, y0: 3, x1: 10, y1: 11 };
        assert.deepEqual(((await page.evaluate("window.__state")) as GanPanelState).ui.region, region);
        assert.equal(await page.locator("#gan-x1").inputValue(), "10");
        assert.equal(await page.locator("#gan-rect").isVisible(), true);
        await page.locator("#gan-insert").click();
        assert.deepEqual((await posted(page)).at(-1), { type: "edit", concept: concept.concept, units: 1, sample: 3, region });
        await page.locator("#gan-ablate").click();
        assert.deepEqual((await posted(page)).at(-1), { type: "edit", concept: concept.concept, units: 1, sample: 3 });
        await until(page, `document.getElementById("gan-status").classList.contains("error")`);
        assert.match(await page.locator("#gan-status").innerText(), /cancelled/);
        // The region typed instead: the rectangle follows.
        await page.locator("#gan-x0").fill("5");
        await page.locator("#gan-x0").dispatchEvent("change");
        assert.deepEqual(((await page.evaluate("window.__state")) as GanPanelState).ui.region, { ...region, x0: 5 });
        await saveShot(page, "gan", theme);
        assert.deepEqual(pageErrors(page), []);

        // The host re-renders with the edit; the page keeps the user's choices for this dissection.
        const saved = await page.evaluate("window.__state");
        const rerendered = await openPanel(
          pages.browser,
          buildGanHtml({ ...ganResources, state: ganState(true) }),
          theme,
          { state: saved },
          { width: 1000, height: 1400 },
        );
        try {
          assert.equal(await rerendered.locator("button.gan-sample.selected").getAttribute("data-sample"), "3");
          assert.equal(await rerendered.locator("#gan-concept").inputValue(), concept.concept);
          assert.equal(await rerendered.locator("#gan-rect").isVisible(), true);
          assert.equal(await rerendered.locator('table.gan-measures tr[data-measure="inside"]').count(), 1);
          assert.ok((await decoded(rerendered, ".gan-example img")).every((w) => w === dissection.imageWidth));
          await saveShot(rerendered, "gan-edit", theme);
          assert.deepEqual(pageErrors(rerendered), []);
        } finally {
          await rerendered.close();
        }
      } finally {
        await page.close();
      }
    });
  }
});
