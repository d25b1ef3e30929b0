// The occlusion, ablation and ranking panels as a person sees them: the real panel HTML and webview
// scripts, filled with what the real daemon computed for the sample model (occlusion of a sample
// image, an ablation, a ranking and a unit's statistics on an image folder made of the samples),
// in headless Chromium under VS Code's light, dark and high-contrast variables. Checked: no script
// or CSP errors, the theme's colours (and its chart colours in the bars), real heatmaps, what the
// controls post, keyboard use, and state that survives a reload. Skipped where Chromium or the
// daemon build is missing.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { buildAblationHtml } from "../src/ablationHtml";
import type { AblationPanelState } from "../src/ablationMessages";
import { buildOcclusionHtml } from "../src/occlusionHtml";
import type { OcclusionPanelState } from "../src/occlusionMessages";
import type { AblateResult, ModelInfo, OccludeResult, RankUnitsResult, UnitClassStatsResult } from "../src/protocol.generated";
import { buildRankHtml } from "../src/rankHtml";
import type { RankPanelState } from "../src/rankMessages";
import { withTimeout } from "./support/daemon";
import { withDaemonPages } from "./support/daemonPages";
import { REPO_ROOT } from "./support/fixtures";
import { hexOf, MEDIA, openPanel, pageErrors, pixelStats, SHOWN_THEMES, tabOrder, themedShot, THEMES, until, type ThemeName } from "./support/webviewPage";

const CHECKPOINT = path.join(REPO_ROOT, "samples/smallcnn.pth");
const CLASSES = ["circle", "square", "triangle", "cross"];

describe("occlusion, ablation and ranking panels in Chromium, from the real daemon's output", function () {
  this.timeout(240_000);
  let model: ModelInfo;
  let occlusion: OccludeResult;
  let ablation: AblateResult;
  let ranking: RankUnitsResult;
  let stats: UnitClassStatsResult;

  const pages = withDaemonPages({}, async (d, { folder }) => {
    for (const name of CLASSES) {
      fs.mkdirSync(path.join(folder, name));
      for (const copy of ["a", "b"]) fs.copyFileSync(path.join(REPO_ROOT, "samples/images", `${name}.png`), path.join(folder, name, `${copy}.png`));
    }
    model = await withTimeout(d.request("unitscope/loadModel", { path: CHECKPOINT }), 120_000, "loadModel");
    const side = model.input.width;
    occlusion = await withTimeout(
      d.request("unitscope/occlude", {
        modelId: model.modelId,
        imagePath: path.join(REPO_ROOT, "samples/images/circle.png"),
        size: side / 4,
        stride: side / 16,
      }),
      120_000,
      "occlude",
    );
    ablation = await withTimeout(
      d.request("unitscope/ablate", { modelId: model.modelId, layer: "conv3", units: [0, 1, 2, 3], evaluationSet: pages.folder }),
      120_000,
      "ablate",
    );
    ranking = await withTimeout(
      d.request("unitscope/rankUnits", {
        modelId: model.modelId,
        layer: "conv3",
        class: 0,
        metric: "logProbability",
        top: 6,
        randomDraws: 3,
        evaluationSet: pages.folder,
      }),
      120_000,
      "rankUnits",
    );
    stats = await withTimeout(
      d.request("unitscope/unitClassStats", { modelId: model.modelId, layer: "conv3", unit: ranking.units[0]!.unit, class: 0, evaluationSet: pages.folder }),
      120_000,
      "unitClassStats",
    );
  });

  const modelRef = () => ({ modelId: model.modelId, checkpointHash: model.checkpointHash, modelLabel: "smallcnn.pth (smallcnn)" });

  function ablationPage(theme: ThemeName, state?: unknown, result: AblateResult = ablation, size?: { width: number; height: number }): Promise<Page> {
    const s: AblationPanelState = {
      version: 1,
      model: modelRef(),
      result,
      units: [{ unit: 0, label: "red", category: "color" }],
      ui: { sort: "change", reversed: false, showControl: true },
    };
    return openPanel(
      pages.browser,
      buildAblationHtml({
        cspSource: "file:",
        scriptUri: `${MEDIA}/ablation.js`,
        baseStyleUri: `${MEDIA}/base.css`,
        styleUri: `${MEDIA}/analysis.css`,
        state: s,
      }),
      theme,
      { state },
      size,
    );
  }

  function rankPage(theme: ThemeName, state?: unknown, s?: RankPanelState): Promise<Page> {
    const initial = s ?? { version: 1, model: modelRef(), result: ranking, complete: true };
    const html = buildRankHtml({
      cspSource: "file:",
      scriptUri: `${MEDIA}/ranking.js`,
      baseStyleUri: `${MEDIA}/base.css`,
      styleUri: `${MEDIA}/analysis.css`,
      state: initial,
    });
    return openPanel(pages.browser, html, theme, {
      state,
      onPost: `if (m.type === "stats") reply({ type: "stats", unit: m.unit, stats: { ...${JSON.stringify(stats)}, unit: m.unit } });`,
    });
  }

  function occlusionPage(theme: ThemeName, state?: unknown): Promise<Page> {
    const s: OcclusionPanelState = {
      version: 1,
      model: {
        ...modelRef(),
        inputWidth: model.input.width,
        inputHeight: model.input.height,
        layers: model.layers.filter((l) => l.outputShape.length === 3).map((l) => ({ name: l.name, units: l.units })),
      },
      image: { uri: "file:///samples/images/circle.png", name: "circle.png" },
      request: { size: occlusion.size, stride: occlusion.stride, fill: "mean" },
      result: occlusion,
      opacity: 0.6,
    };
    return openPanel(
      pages.browser,
      buildOcclusionHtml({
        cspSource: "file:",
        scriptUri: `${MEDIA}/occlusion.js`,
        baseStyleUri: `${MEDIA}/base.css`,
        styleUri: `${MEDIA}/analysis.css`,
        state: s,
      }),
      theme,
      { state },
    );
  }

  const shoot = (page: Page, name: string, theme: ThemeName, colors: Record<string, string> = {}) => themedShot(pages.browser, page, name, theme, colors);

  function chartColors(theme: ThemeName): Record<string, string> {
    const vars = THEMES[theme].vars;
    return { blue: hexOf(vars["--vscode-charts-blue"]!), red: hexOf(vars["--vscode-charts-red"]!), yellow: hexOf(vars["--vscode-charts-yellow"]!) };
  }

  const posted = async (page: Page) => (await page.evaluate("window.__posted")) as { type: string; [k: string]: unknown }[];

  for (const theme of SHOWN_THEMES) {
    it(`ablation panel, ${theme}: bars in the theme's chart colours, classes by change, overall and control side by side`, async () => {
      const page = await ablationPage(theme);
      try {
        const stats = await shoot(page, "ablation", theme, chartColors(theme));
        const area = stats.width * stats.height;
        assert.ok(stats.matches.background! > area * 0.3, `the theme's background (${stats.matches.background} of ${area} px)`);
        assert.ok(stats.matches.foreground! > 300, "text in the theme's colour");
        assert.ok(stats.matches.blue! > 100, `"before" bars in --vscode-charts-blue (${stats.matches.blue} px)`);
        assert.ok(stats.matches.yellow! > 100, `control bars in --vscode-charts-yellow (${stats.matches.yellow} px)`);
        const rows = await page.locator("#rows tr td.class").allTextContents();
        const order = [...ablation.classes].sort((a, b) => a.after - a.before - (b.after - b.before) || a.class - b.class).map((c) => c.label);
        assert.deepEqual(rows, order);
        assert.equal(await page.locator("svg.bars rect.bar.before").count(), ablation.classes.length);
        assert.equal(await page.locator("svg.bars rect.bar.control").count(), ablation.classes.length);
        const overall = await page.locator("#overall").textContent();
        assert.match(overall ?? "", /Before.*Units zeroed.*Random control \(3 sets of 4 units\)/);
        assert.deepEqual(pageErrors(page), []);
      } finally {
        await page.close();
      }
    });
  }

  it("ablation panel in a narrow editor: the chart fits the panel, every tick and class label whole, and follows a resize", async () => {
    const long = "a class name far longer than the label column of a narrow chart";
    const result = { ...ablation, classes: ablation.classes.map((c, i) => (i === 0 ? { ...c, label: long } : c)) };
    const page = await ablationPage("dark", undefined, result, { width: 420, height: 760 });
    try {
      type Box = { text: string; left: number; right: number };
      type Fit = { scrollWidth: number; clientWidth: number; width: number; ticks: Box[]; labels: Box[]; titles: string[] };
      // In the page (a string: these tests compile without the DOM's types).
      const fit = async () =>
        (await page.evaluate(`(() => {
          const host = document.getElementById("chart");
          const svg = host.querySelector("svg.bars");
          const box = (t) => { const b = t.getBBox(); return { text: t.textContent ?? "", left: b.x, right: b.x + b.width }; };
          return {
            scrollWidth: host.scrollWidth,
            clientWidth: host.clientWidth,
            width: Number(svg.getAttribute("width")),
            ticks: [...svg.querySelectorAll("text.tick")].map(box),
            labels: [...svg.querySelectorAll("text.class-label")].map(box),
            titles: [...svg.querySelectorAll("g.row > title")].map((t) => t.textContent ?? ""),
          };
        })()`)) as Fit;
      const narrow = await fit();
      assert.ok(narrow.scrollWidth <= narrow.clientWidth, `the chart scrolls sideways: ${narrow.scrollWidth} px in ${narrow.clientWidth}`);
      assert.deepEqual(
        narrow.ticks.map((t) => t.text),
        ["0%", "25%", "50%", "75%", "100%"],
      );
      for (const t of [...narrow.ticks, ...narrow.labels])
        assert.ok(t.left >= 0 && t.right <= narrow.width, `${t.text} at ${t.left}–${t.right} in ${narrow.width}`);
      const cut = narrow.labels.find((l) => l.text.endsWith("…"));
      assert.ok(cut && long.startsWith(cut.text.slice(0, -1)), `the long label is shortened: ${narrow.labels.map((l) => l.text).join(" / ")}`);
      assert.ok(
        narrow.titles.some((t) => t.startsWith(`${long}:`)),
        "its full name stays in the row's tooltip",
      );

      await page.setViewportSize({ width: 1000, height: 760 });
      await page.waitForFunction(`Number(document.querySelector("svg.bars")?.getAttribute("width")) > ${narrow.width}`);
      const wide = await fit();
      assert.ok(wide.scrollWidth <= wide.clientWidth);
      assert.ok(wide.ticks[4]!.right <= wide.width);
      assert.deepEqual(pageErrors(page), []);
    } finally {
      await page.close();
    }
  });

  it("ablation panel: keyboard order, sort by a header, hide the control, rank from a class; the view survives a reload", async () => {
    const page = await ablationPage("dark");
    let saved: unknown;
    try {
      const order = await tabOrder(page, 4);
      assert.match(order[0]!, /^input#show-control "Random control"/);
      assert.match(order[1]!, /^button#ablate-again "Ablate other units…"/);
      assert.match(order[2]!, /^button\.sort "Class"/);
      await page.locator('button.sort[data-sort="class"]').click();
      assert.deepEqual(await page.locator("#rows tr td.class").allTextContents(), [...ablation.classes.map((c) => c.label)].sort());
      await page.locator("#show-control").uncheck();
      assert.equal(await page.locator("svg.bars rect.bar.control").count(), 0);
      await page.locator("#rows button.link", { hasText: "square" }).click();
      assert.deepEqual((await posted(page)).at(-1), { type: "rankUnits", class: 1 });
      saved = await page.evaluate("window.__state");
    } finally {
      await page.close();
    }
    const again = await ablationPage("light", saved);
    try {
      assert.equal(await again.locator('th[data-sort="class"]').getAttribute("aria-sort"), "ascending");
      assert.equal(await again.locator("#show-control").isChecked(), false);
    } finally {
      await again.close();
    }
  });

  for (const theme of SHOWN_THEMES) {
    it(`ranking panel, ${theme}: the curve in the theme's colours, units ranked with labels, a unit's jitter plot on a click`, async () => {
      const page = await rankPage(theme);
      try {
        assert.equal(await page.locator("#rows tr").count(), ranking.units.length);
        assert.equal(await page.locator("svg.curve circle.point.top").count(), ranking.curve!.length);
        const first = await page.locator("#rows tr").first().locator("td").nth(1).textContent();
        assert.equal(Number(first), ranking.units[0]!.unit);
        await page.locator("#rows tr").first().click();
        await until(page, `(() => { const i = document.querySelector("#stats-body img"); return i && i.complete && i.naturalWidth > 0; })()`);
        const stats = await shoot(page, "ranking", theme, chartColors(theme));
        assert.ok(stats.matches.blue! > 50, `the top-k line in --vscode-charts-blue (${stats.matches.blue} px)`);
        assert.match((await page.locator("#stats-body").textContent()) ?? "", /AUC as a classifier for circle/);
        assert.deepEqual(pageErrors(page), []);
      } finally {
        await page.close();
      }
    });
  }

  it("ablation and ranking panels: images the daemon could not read are counted, and named on a click", async () => {
    const truncated = path.join(pages.folder, "circle", "c.png");
    fs.writeFileSync(truncated, fs.readFileSync(path.join(REPO_ROOT, "samples/images/circle.png")).subarray(0, 300));
    try {
      const d = pages.daemon;
      const skipping: AblateResult = await withTimeout(
        d.request("unitscope/ablate", { modelId: model.modelId, layer: "conv3", units: [0, 1, 2, 3], evaluationSet: pages.folder }),
        120_000,
        "ablate",
      );
      const ranked: RankUnitsResult = await withTimeout(
        d.request("unitscope/rankUnits", { modelId: model.modelId, layer: "conv3", class: 0, top: 2, randomDraws: 1, evaluationSet: pages.folder }),
        120_000,
        "rankUnits",
      );
      assert.deepEqual([skipping.imageCount, skipping.skipped?.count, ranked.imageCount, ranked.skipped?.count], [8, 1, 2, 1]);
      for (const page of [
        await ablationPage("light", undefined, skipping),
        await rankPage("dark", undefined, { version: 1, model: modelRef(), result: ranked, complete: true }),
      ]) {
        try {
          const note = page.locator("#skipped details.skipped");
          assert.equal(await note.locator("summary").textContent(), "1 image could not be read and was left out");
          assert.equal(await note.locator("li").isVisible(), false, "the files are listed on demand");
          await note.locator("summary").click();
          assert.match((await note.locator("li").first().textContent()) ?? "", /circle\/c\.png': the file is truncated/);
          assert.deepEqual(pageErrors(page), []);
        } finally {
          await page.close();
        }
      }
      const clean = await ablationPage("light");
      try {
        assert.equal(await clean.locator("#skipped").innerHTML(), "", "nothing is said when every image was read");
      } finally {
        await clean.close();
      }
    } finally {
      fs.rmSync(truncated, { force: true });
    }
  });

  it("ranking panel: rows by keyboard, ablate the top k, units arriving as partial results, state after a reload", async () => {
    const header = { ...ranking, units: [], imageCount: 0, before: 0 };
    delete (header as Partial<RankUnitsResult>).curve;
    const page = await rankPage("dark", undefined, { version: 1, model: modelRef(), result: header, complete: false });
    let saved: unknown;
    try {
      assert.match((await page.locator("#rows").textContent()) ?? "", /Measuring units/);
      await page.evaluate(
        `window.postMessage(${JSON.stringify({ type: "result", result: { ...header, units: ranking.units.slice(3, 6) }, complete: false })}, "*")`,
      );
      await page.evaluate(
        `window.postMessage(${JSON.stringify({ type: "result", result: { ...header, units: ranking.units.slice(0, 3) }, complete: false })}, "*")`,
      );
      await until(page, `document.querySelectorAll("#rows tr.provisional").length === 6`);
      assert.deepEqual(
        await page.locator("#rows tr").evaluateAll((rows) => rows.map((r) => Number((r as unknown as { dataset: { unit: string } }).dataset.unit))),
        ranking.units.slice(0, 6).map((u) => u.unit),
      );
      await page.evaluate(`window.postMessage(${JSON.stringify({ type: "result", result: ranking, complete: true })}, "*")`);
      await until(page, `document.querySelectorAll("#rows tr.provisional").length === 0 && document.querySelector("svg.curve") !== null`);
      await page.locator("#rows tr").nth(1).focus();
      await page.keyboard.press("Enter");
      assert.deepEqual((await posted(page)).at(-1), { type: "stats", unit: ranking.units[1]!.unit });
      await page.locator("#top-k").fill("3");
      await page.locator("#ablate-top").click();
      assert.deepEqual((await posted(page)).at(-1), { type: "ablate", units: ranking.units.slice(0, 3).map((u) => u.unit) });
      await page.locator("#stats-body img").waitFor();
      saved = await page.evaluate("window.__state");
    } finally {
      await page.close();
    }
    const again = await rankPage("light", saved, { version: 1, model: modelRef(), result: header, complete: false });
    try {
      assert.equal(await again.locator("#rows tr").count(), ranking.units.length, "what arrived after the panel was made survives");
      assert.equal(await again.locator("#rows tr.selected").getAttribute("data-unit"), String(ranking.units[1]!.unit));
      await until(again, `(() => { const i = document.querySelector("#stats-body img"); return i && i.complete && i.naturalWidth > 0; })()`);
    } finally {
      await again.close();
    }
  });

  for (const theme of SHOWN_THEMES) {
    it(`occlusion panel, ${theme}: the image and three heatmaps over it, the class legend, no errors`, async () => {
      const page = await occlusionPage(theme);
      try {
        await until(page, `[...document.querySelectorAll(".frame img")].every((i) => i.complete && i.naturalWidth > 0)`);
        assert.equal(await page.locator("img.overlay").count(), 3);
        await shoot(page, "occlusion", theme);
        const heat = await pixelStats(pages.browser, await page.locator("#map-probability").screenshot());
        assert.ok(heat.distinctColors > 5, `the probability map has structure (${heat.distinctColors} colours)`);
        assert.equal(await page.locator(".class-legend li").count(), occlusion.mostProbable.legend.length);
        assert.match((await page.locator("header .meta").textContent()) ?? "", new RegExp(`Target ${occlusion.targetLabel}`));
        assert.deepEqual(pageErrors(page), []);
      } finally {
        await page.close();
      }
    });
  }

  it("occlusion panel: the opacity slider sets every overlay and survives a reload; the form checks and sends a re-run", async () => {
    const page = await occlusionPage("dark");
    let saved: unknown;
    try {
      await page.locator("#opacity").fill("25");
      assert.deepEqual(
        await page.locator("img.overlay").evaluateAll((imgs) => imgs.map((i) => (i as unknown as { style: { opacity: string } }).style.opacity)),
        ["0.25", "0.25", "0.25"],
      );
      saved = await page.evaluate("window.__state");
      await page.locator("#size").fill("999");
      await page.locator("#run").click();
      assert.match((await page.locator("#status").textContent()) ?? "", /size must be a whole number/);
      assert.deepEqual(await posted(page), []);
      await page.locator("#size").fill("6");
      await page.locator("#fill").selectOption("gray");
      await page.locator("#target").selectOption("1");
      await page.locator("#layer").selectOption("conv3");
      await page.locator("#unit").fill("5");
      await page.locator("#unit").press("Enter");
      assert.deepEqual(await posted(page), [
        { type: "rerun", request: { size: 6, stride: occlusion.stride, fill: "gray", targetClass: 1, layer: "conv3", unit: 5 } },
      ]);
      assert.equal(await page.locator("#run").getAttribute("aria-disabled"), "true");
      await page.evaluate(`window.postMessage({ type: "error", message: "The daemon is not running." }, "*")`);
      await until(page, `document.getElementById("status").textContent === "The daemon is not running."`);
      assert.equal(await page.locator("#run").getAttribute("aria-disabled"), null);
    } finally {
      await page.close();
    }
    const again = await occlusionPage("light", saved);
    try {
      assert.equal(await again.locator("#opacity").inputValue(), "25");
      assert.deepEqual(
        await again.locator("img.overlay").evaluateAll((imgs) => imgs.map((i) => (i as unknown as { style: { opacity: string } }).style.opacity)),
        ["0.25", "0.25", "0.25"],
      );
    } finally {
      await again.close();
    }
  });
});
