// Every panel as a person sees it: the real panel HTML and webview scripts, filled with what the
// real daemon computed for the sample model (a dissection of conv2 and conv3 on the tiny Broden
// fixture, the unit cards, a unit map), rendered in headless Chromium under VS Code's light, dark
// and high-contrast themes (their variables captured from code-server). The screenshots are checked
// for content — the theme's background and text, the category colours of the chart, real images
// in the cards and the map — and the pages for keyboard focus order, accessible names, and state
// that survives a reload. Skipped only where Chromium or the daemon build is missing.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { buildDissectionHtml } from "../src/dissectionHtml";
import { defaultUi, type DissectionPanelState } from "../src/dissectionMessages";
import type { UnitMapPanelState } from "../src/unitMapMessages";
import { buildUnitMapHtml } from "../src/panelHtml";
import type { LayerDissection, ModelInfo, UnitCardResult, UnitGalleryResult, UnitMapResult } from "../src/protocol.generated";
import { buildUnitCardHtml } from "../src/unitCardHtml";
import type { UnitCardPanelState } from "../src/unitCardMessages";
import { PAGE_READY, withPageNumber } from "../src/pageReady";
import { withTimeout } from "./support/daemon";
import { withDaemonPages } from "./support/daemonPages";
import { REPO_ROOT } from "./support/fixtures";
import { hexOf, MEDIA, openPanel, pageErrors, pixelStats, SHOTS, SHOWN_THEMES, tabOrder, THEMES, until, type ThemeName } from "./support/webviewPage";

const BRODEN_MINI = path.join(REPO_ROOT, "tests/fixtures/broden_mini");
const CHECKPOINT = path.join(REPO_ROOT, "samples/smallcnn.pth");
const IMAGE = path.join(REPO_ROOT, "samples/images/circle.png");

describe("panels in Chromium, from the real daemon's output", function () {
  this.timeout(240_000);
  let model: ModelInfo;
  let conv2: LayerDissection;
  let conv3: LayerDissection;
  const cards = new Map<string, UnitCardResult>();
  let unitMap: UnitMapResult;
  let gallery: UnitGalleryResult;
  let top: number;

  const pages = withDaemonPages(
    { initialize: { processId: process.pid, capabilities: {}, initializationOptions: { dataset: BRODEN_MINI } } },
    async (daemon) => {
      model = await withTimeout(daemon.request("unitscope/loadModel", { path: CHECKPOINT }), 120_000, "loadModel");
      const result = await withTimeout(
        daemon.request("unitscope/dissect", { modelId: model.modelId, layers: ["conv2", "conv3"], dataset: BRODEN_MINI }),
        120_000,
        "dissect",
      );
      [conv2, conv3] = result.layers as [LayerDissection, LayerDissection];
      for (const layer of [conv2, conv3])
        for (const u of layer.units) {
          const card = await daemon.request("unitscope/unitCard", { modelId: model.modelId, layer: layer.layer, unit: u.unit, dataset: BRODEN_MINI });
          cards.set(`${layer.layer}#${u.unit}`, card);
        }
      top = [...conv2.units].filter((u) => u.label).sort((a, b) => b.label!.iou - a.label!.iou)[0]!.unit;
      unitMap = await daemon.request("unitscope/unitMap", { modelId: model.modelId, layer: "conv2", unit: top, imagePath: IMAGE });
      await daemon.request("unitscope/unitGallery", { modelId: model.modelId, layer: "conv2", unit: top, dataset: BRODEN_MINI });
      // What the unit card asks for: the cached pass, the unit's winners projected.
      const cached = await daemon.request("unitscope/unitGallery", {
        modelId: model.modelId,
        layer: "conv2",
        unit: top,
        dataset: BRODEN_MINI,
        cachedOnly: true,
      });
      assert.ok(cached, "the gallery's pass is cached for the card");
      gallery = cached;
    },
  );

  const modelRef = () => ({ modelId: model.modelId, checkpointHash: model.checkpointHash, modelLabel: "smallcnn.pth (smallcnn)" });
  const cardReply = () =>
    `if (m.type === "card") { const c = (${JSON.stringify(Object.fromEntries(cards))})[m.layer + "#" + m.unit]; if (c) reply({ type: "card", layer: m.layer, unit: m.unit, png: c.png, width: c.width, height: c.height }); }`;

  function dissectionState(): DissectionPanelState {
    return { version: 1, model: modelRef(), layers: [conv2, conv3], ui: defaultUi("conv2") };
  }

  function dissectionPage(theme: ThemeName, state?: unknown): Promise<Page> {
    const html = buildDissectionHtml({
      cspSource: "file:",
      scriptUri: `${MEDIA}/dissection.js`,
      baseStyleUri: `${MEDIA}/base.css`,
      styleUri: `${MEDIA}/dissection.css`,
      state: dissectionState(),
    });
    return openPanel(pages.browser, html, theme, { onPost: cardReply(), state });
  }

  function unitCardState(unit = top): UnitCardPanelState {
    const u = conv2.units.find((x) => x.unit === unit)!;
    return {
      version: 1,
      view: {
        model: modelRef(),
        layer: "conv2",
        units: conv2.units.length,
        unit: u,
        dataset: conv2.dataset,
        imageCount: conv2.imageCount,
        options: conv2.options,
        categories: conv2.categories,
      },
    };
  }

  async function waitForImages(page: Page, selector: string, count: number): Promise<void> {
    await until(page, `[...document.querySelectorAll(${JSON.stringify(selector)})].filter((i) => i.complete && i.naturalWidth > 0).length >= ${count}`);
  }

  /** Screenshot (saved under SHOTS) and its pixel statistics with the theme's colours and `colors`. */
  async function shoot(page: Page, name: string, theme: ThemeName, colors: Record<string, string> = {}) {
    const png = await page.screenshot();
    fs.writeFileSync(path.join(SHOTS, `${name}-${theme}.png`), png);
    const vars = THEMES[theme].vars;
    return pixelStats(pages.browser, png, {
      background: hexOf(vars["--vscode-editor-background"]!),
      foreground: hexOf(vars["--vscode-foreground"]!),
      ...colors,
    });
  }

  /** What every themed screenshot must show: mostly the theme's background, its text colour, light or dark overall. */
  function checkTheme(stats: Awaited<ReturnType<typeof shoot>>, theme: ThemeName, what: string): void {
    const area = stats.width * stats.height;
    assert.ok(stats.matches.background! > area * 0.3, `${what}: the theme's background covers ${((100 * stats.matches.background!) / area).toFixed(0)}%`);
    assert.ok(stats.matches.foreground! > 300, `${what}: text in the theme's foreground (${stats.matches.foreground} px)`);
    if (theme === "light") assert.ok(stats.meanLuma > 150, `${what}: light overall (${stats.meanLuma.toFixed(0)})`);
    else assert.ok(stats.meanLuma < 110, `${what}: dark overall (${stats.meanLuma.toFixed(0)})`);
  }

  /** Pixel statistics of one element's box. */
  async function elementStats(page: Page, selector: string) {
    const png = await page.locator(selector).first().screenshot();
    return pixelStats(pages.browser, png);
  }

  for (const theme of SHOWN_THEMES) {
    it(`dissection panel, ${theme}: the chart in the category colours, the unit table, real top images`, async () => {
      const page = await dissectionPage(theme);
      try {
        await waitForImages(page, "#rows img", 4);
        const counts = conv2.labelledByCategory.filter((c) => c.units > 0);
        const colors = Object.fromEntries(counts.map((c) => [c.category, conv2.categories.find((x) => x.name === c.category)!.color]));
        const stats = await shoot(page, "dissection", theme, colors);
        checkTheme(stats, theme, "dissection");
        for (const c of counts) assert.ok(stats.matches[c.category]! > 40, `a ${c.category} bar in ${colors[c.category]} (${stats.matches[c.category]} px)`);
        assert.equal(await page.locator("#count").textContent(), `${conv2.units.length} units`);
        assert.match((await page.locator("#meta").textContent()) ?? "", new RegExp(`conv2 · ${conv2.labelledUnits}/32 units labelled`));
        const card = await elementStats(page, "#rows img");
        assert.ok(
          card.lumaStdDev > 15 && card.distinctColors > 60,
          `the first card holds images (σ ${card.lumaStdDev.toFixed(1)}, ${card.distinctColors} colours)`,
        );
        assert.deepEqual(pageErrors(page), []);
      } finally {
        await page.close();
      }
    });

    it(`unit card panel, ${theme}: label, scores, and the top images once they arrive`, async () => {
      const page0 = buildUnitCardHtml({
        cspSource: "file:",
        scriptUri: `${MEDIA}/unitCard.js`,
        baseStyleUri: `${MEDIA}/base.css`,
        styleUri: `${MEDIA}/unitCard.css`,
        state: unitCardState(),
      });
      const loading = await openPanel(pages.browser, page0, theme);
      try {
        assert.equal(await loading.locator("#card-status").textContent(), "Loading the top images…");
      } finally {
        await loading.close();
      }
      // When the card arrives the host draws the page again with it (a posted message could arrive before the script listens).
      const c = cards.get(`conv2#${top}`)!;
      const withCard = unitCardState();
      const html = buildUnitCardHtml({
        cspSource: "file:",
        scriptUri: `${MEDIA}/unitCard.js`,
        baseStyleUri: `${MEDIA}/base.css`,
        styleUri: `${MEDIA}/unitCard.css`,
        state: { ...withCard, view: { ...withCard.view, card: { png: c.png, width: c.width, height: c.height } } },
      });
      const page = await openPanel(pages.browser, html, theme);
      try {
        await waitForImages(page, "#card", 1);
        const u = conv2.units.find((x) => x.unit === top)!;
        const label = u.label!;
        const stats = await shoot(page, "unit-card", theme, { label: conv2.categories.find((x) => x.name === label.category)!.color });
        checkTheme(stats, theme, "unit card");
        assert.ok(stats.matches.label! > 20, "the label's category colour (swatch, bar)");
        assert.equal(await page.locator(".label strong").textContent(), label.concept);
        assert.equal(await page.locator(".scores tbody tr").count(), u.bestPerCategory.length);
        const card = await elementStats(page, "#card");
        assert.ok(card.lumaStdDev > 15 && card.distinctColors > 60, `the card holds images (σ ${card.lumaStdDev.toFixed(1)})`);
        assert.deepEqual(pageErrors(page), []);
      } finally {
        await page.close();
      }
    });

    it(`unit map panel, ${theme}: the heatmap over the image, the statistics`, async () => {
      const state: UnitMapPanelState = {
        version: 1,
        opacity: 0.7,
        view: {
          modelId: model.modelId,
          checkpointHash: model.checkpointHash,
          modelLabel: "smallcnn.pth (smallcnn)",
          layer: "conv2",
          layerKind: "Conv2d",
          units: 32,
          unit: top,
          imagePath: IMAGE,
          mapWidth: unitMap.mapWidth,
          mapHeight: unitMap.mapHeight,
          min: unitMap.min,
          max: unitMap.max,
          mean: unitMap.mean,
          imageWidth: unitMap.imageWidth,
          imageHeight: unitMap.imageHeight,
          overlayPng: unitMap.overlayPng,
        },
      };
      const html = buildUnitMapHtml({
        cspSource: "file:",
        scriptUri: `${MEDIA}/unitMap.js`,
        baseStyleUri: `${MEDIA}/base.css`,
        styleUri: `${MEDIA}/unitMap.css`,
        state,
        baseImage: { mime: "image/png", base64: fs.readFileSync(IMAGE).toString("base64") },
      });
      const page = await openPanel(pages.browser, html, theme);
      try {
        await waitForImages(page, "#overlay", 1);
        checkTheme(await shoot(page, "unit-map", theme), theme, "unit map");
        const map = await elementStats(page, ".frame");
        assert.ok(map.lumaStdDev > 10 && map.distinctColors > 30, `the map is an image (σ ${map.lumaStdDev.toFixed(1)}, ${map.distinctColors} colours)`);
        assert.equal(await page.evaluate("getComputedStyle(document.getElementById('overlay')).opacity"), "0.7");
        assert.deepEqual(pageErrors(page), []);
      } finally {
        await page.close();
      }
    });
  }

  it("dissection panel from the keyboard: controls in order, each with a name; Enter on a unit asks for its card panel", async () => {
    const page = await dissectionPage("dark");
    try {
      await waitForImages(page, "#rows img", 1);
      const order = await tabOrder(page, 9);
      assert.match(order[0]!, /^select#layer "Layer/);
      assert.match(order[1]!, /^input#filter "Concept/);
      assert.match(order[2]!, /^select#category "Category/);
      assert.match(order[3]!, /^button#dissect-more "Dissect layers…"/);
      // Then the chart's bars (each says its category and count), then the column headers.
      assert.match(order[4]!, /^button\.bar-row "\w+: \d+ units?\. Show only/);
      const rest = order.slice(5);
      assert.ok(
        rest.every((o) => !/""$/.test(o)),
        `every control has a name: ${rest.join(" | ")}`,
      );
      // Focus a unit link and press Enter.
      await page.locator("button.unit-link").first().focus();
      await page.keyboard.press("Enter");
      const posted = (await page.evaluate("window.__posted")) as { type: string; layer?: string; unit?: number }[];
      const first = Number(await page.locator("button.unit-link").first().textContent());
      assert.deepEqual(
        posted.filter((m) => m.type === "openUnit"),
        [{ type: "openUnit", layer: "conv2", unit: first }],
      );
    } finally {
      await page.close();
    }
  });

  it("dissection panel state survives a reload: layer, filter, sort", async () => {
    const page = await dissectionPage("light");
    let saved: unknown;
    try {
      await page.locator("#layer").selectOption("conv3");
      await page.locator("#filter").fill("a");
      await page.locator('button.sort[data-sort="unit"]').click();
      saved = await page.evaluate("window.__state");
    } finally {
      await page.close();
    }
    const again = await dissectionPage("light", saved);
    try {
      assert.equal(await again.locator("#layer").inputValue(), "conv3");
      assert.equal(await again.locator("#filter").inputValue(), "a");
      assert.equal(await again.locator('th[data-sort="unit"]').getAttribute("aria-sort"), "ascending");
      const units = (await again.locator("button.unit-link").allTextContents()).map(Number);
      assert.deepEqual(
        units,
        [...units].sort((a, b) => a - b),
      );
    } finally {
      await again.close();
    }
  });

  it("unit card state survives a reload with its image; arrow keys move between units", async () => {
    const c = cards.get(`conv2#${top}`)!;
    const state = unitCardState();
    state.view.card = { png: c.png, width: c.width, height: c.height };
    const html = buildUnitCardHtml({
      cspSource: "file:",
      scriptUri: `${MEDIA}/unitCard.js`,
      baseStyleUri: `${MEDIA}/base.css`,
      styleUri: `${MEDIA}/unitCard.css`,
      state,
    });
    const page = await openPanel(pages.browser, html, "dark", { state });
    try {
      await waitForImages(page, "#card", 1);
      assert.deepEqual(await page.evaluate("window.__state.view.card.width"), c.width);
      await page.keyboard.press(top > 0 ? "ArrowLeft" : "ArrowRight");
      const posted = (await page.evaluate("window.__posted")) as { type: string; unit?: number }[];
      assert.deepEqual(posted, [{ type: "showUnit", unit: top > 0 ? top - 1 : top + 1 }]);
    } finally {
      await page.close();
    }
  });
  it("unit card shows the strongest activations' patches and projections when the host sends them", async () => {
    const page = await openPanel(
      pages.browser,
      buildUnitCardHtml({
        cspSource: "file:",
        scriptUri: `${MEDIA}/unitCard.js`,
        baseStyleUri: `${MEDIA}/base.css`,
        styleUri: `${MEDIA}/unitCard.css`,
        state: unitCardState(),
      }),
      "dark",
    );
    try {
      assert.match((await page.locator("#projections-frame").textContent()) ?? "", /Not searched yet/);
      const items = gallery.activations.map((a) => ({
        value: a.value,
        patchPng: a.patchPng,
        projectionPng: a.projectionPng,
        width: a.box.width,
        height: a.box.height,
      }));
      const message = { type: "projections", unit: top, method: gallery.method, images: gallery.images, items };
      await until(page, "window.__ready.length > 0");
      await page.evaluate(`window.postMessage(${JSON.stringify(message)}, "*")`);
      await waitForImages(page, ".projection-grid img", 2 * items.length);
      assert.equal(await page.locator(".projection-grid li").count(), items.length);
      const alts = await page.locator(".projection-grid img").evaluateAll((imgs) => imgs.map((i) => i.getAttribute("alt")));
      assert.match(alts[1] ?? "", new RegExp(`Activation 1 of unit ${top} of conv2 .*${gallery.method} projection`));
      const grid = await elementStats(page, ".projection-grid");
      assert.ok(grid.lumaStdDev > 10 && grid.distinctColors > 30, `the grid holds pictures (σ ${grid.lumaStdDev.toFixed(1)})`);
      // Another unit's projections are not this card's.
      await page.evaluate(`window.postMessage(${JSON.stringify({ ...message, unit: top + 1, items: [] })}, "*")`);
      await page.waitForTimeout(200);
      assert.equal(await page.locator(".projection-grid li").count(), items.length);
      assert.deepEqual(pageErrors(page), []);
    } finally {
      await page.close();
    }
  });

  it("a page reports that it listens with the number the host gave it, and then shows what the host posts", async () => {
    const html = withPageNumber(
      buildUnitCardHtml({
        cspSource: "file:",
        scriptUri: `${MEDIA}/unitCard.js`,
        baseStyleUri: `${MEDIA}/base.css`,
        styleUri: `${MEDIA}/unitCard.css`,
        state: unitCardState(),
      }),
      5,
    );
    const page = await openPanel(pages.browser, html, "light");
    try {
      await until(page, "window.__ready.length > 0");
      assert.deepEqual(await page.evaluate("window.__ready"), [{ type: PAGE_READY, page: 5 }]);
      await page.evaluate(`window.postMessage({ type: "busy", text: "Optimising unit ${top}…" }, "*")`);
      await until(page, `document.body.textContent.includes("Optimising unit ${top}…")`);
      assert.deepEqual(pageErrors(page), []);
    } finally {
      await page.close();
    }
  });
});
