// The UI test: the installed .vsix in a real VS Code, used as a person would — the status bar, the
// UnitScope view, code lenses, hovers, "Dissect layer" from the palette, the dissection panel, a
// unit's card, its unit map, "Ablate units", "Occlusion heatmap" on an image, "Which units matter
// for a class" and "Ablate the top k" from its panel — asserting on what the workbench and the
// panels show, then screenshots of the editor and each panel in the light and dark themes; last,
// "Import model from training code" from the code action on the training script's model class, run
// by a real PyTorch (pending, saying why, without one).

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Frame } from "playwright-core";
import { poll, STATUS, Workbench } from "./workbench";

export interface StepResult {
  title: string;
  status: "passed" | "failed" | "pending";
  error?: string;
  ms: number;
}

export interface UiOptions {
  url: string;
  workspace: string;
  /** The user data folder (its settings hold the theme the run starts with). */
  userDataDir: string;
  /** Where the theme screenshots go (docs/screenshots when updating the docs). */
  screenshots: string;
  /** Where a failing step's screenshot goes. */
  debugDir: string;
  /** The interpreter with PyTorch that the workspace's unitscope.pythonPath names, or why there is none. */
  python: { python: string } | { reason: string };
  /** Run only the steps whose titles match (the others are pending). */
  only?: RegExp;
}

/** Name for the files, the theme's label in "Preferences: Color Theme", the webview body's class. */
const THEMES = [
  ["light", "Light Modern", "vscode-light"],
  ["dark", "Dark Modern", "vscode-dark"],
] as const;

class Pending extends Error {}

export async function runUiTest(o: UiOptions): Promise<StepResult[]> {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const results: StepResult[] = [];
  // Steps build on each other (a model loaded, a layer dissected, a card open), so each names the steps
  // it needs: one that failed marks only its dependants "not run", and the unrelated steps still run.
  const passed = new Set<string>();
  const step = async (deps: { id: string; after: string[] }, title: string, fn: () => Promise<void>) => {
    const missing = deps.after.filter((id) => !passed.has(id));
    if (missing.length > 0) {
      results.push({ title, status: "failed", error: `not run: it needs the step(s) ${missing.join(", ")}, which did not pass`, ms: 0 });
      return;
    }
    if (o.only && !o.only.test(title)) {
      results.push({ title, status: "pending", error: "not selected by UNITSCOPE_UI_STEPS", ms: 0 });
      passed.add(deps.id); // an unselected step's dependants are assumed to find what they need
      return;
    }
    const t0 = Date.now();
    try {
      await fn();
      passed.add(deps.id);
      results.push({ title, status: "passed", ms: Date.now() - t0 });
    } catch (e) {
      if (e instanceof Pending) {
        results.push({ title, status: "pending", error: e.message, ms: Date.now() - t0 });
        return;
      }
      const shot = path.join(o.debugDir, `failed-${results.length + 1}.png`);
      await page.screenshot({ path: shot }).catch(() => undefined);
      results.push({ title, status: "failed", error: `${(e as Error).stack ?? e}\n(screenshot: ${shot})`, ms: Date.now() - t0 });
      // Leave no quick input, hover or dialog of the failed step in the next one's way.
      for (let i = 0; i < 3; i++) await page.keyboard.press("Escape").catch(() => undefined);
    }
  };

  const ui = new Workbench(page);
  const script = fs.readFileSync(path.join(o.workspace, "train_smallcnn.py"), "utf8").split("\n");
  const defLine = (name: string) => script.findIndex((l) => new RegExp(`\\bself\\.${name}\\s*=`).test(l));
  let unit = -1;

  try {
    await step({ id: "open", after: [] }, "opens the sample training script; the status bar shows the daemon, no model yet", async () => {
      await page.goto(`${o.url}/?folder=${encodeURIComponent(o.workspace)}`);
      await page.waitForSelector(".monaco-workbench", { timeout: 90_000 });
      await ui.quickOpen("train_smallcnn.py");
      await page.locator(".monaco-editor .view-lines").first().waitFor();
      await ui.waitForText(STATUS, /UnitScope: no model/, 90_000);
    });

    await step(
      { id: "load", after: ["open"] },
      "loads smallcnn.pth by clicking it in the UnitScope view; the status bar and the Models tree show it",
      async () => {
        await page.locator(".activitybar a[aria-label='UnitScope']").click();
        const checkpoint = page.locator(".sidebar .monaco-list-row", { hasText: "smallcnn.pth" }).filter({ hasText: "KB" });
        await checkpoint.first().waitFor({ timeout: 30_000 });
        await checkpoint.first().click();
        await ui.waitForText(STATUS, /smallcnn\.pth/, 60_000);
        await page.locator(".sidebar .monaco-list-row", { hasText: "Conv2d · 32 units · 32×32×32" }).first().waitFor({ timeout: 30_000 });
        await page.locator(".sidebar .monaco-list-row", { hasText: "smallcnn · cpu · active" }).first().waitFor();
      },
    );

    await step({ id: "menu", after: ["load"] }, "the status bar item's menu offers the model, loading, restarting and the log", async () => {
      await page.locator(STATUS).click();
      const rows = page.locator(".quick-input-list .monaco-list-row");
      await rows.first().waitFor({ timeout: 15_000 });
      const items = await rows.allInnerTexts();
      for (const want of [/smallcnn\.pth/, /Load checkpoint…/, /Restart daemon/, /Show log/])
        assert.ok(
          items.some((i) => want.test(i)),
          `${want} in ${items.join(" / ")}`,
        );
      await page.keyboard.press("Escape");
    });

    await step({ id: "checkpoint", after: ["open"] }, "a checkpoint written while training appears in the UnitScope view", async () => {
      fs.copyFileSync(path.join(o.workspace, "smallcnn.pth"), path.join(o.workspace, "epoch_7.pth"));
      await page.locator(".sidebar .monaco-list-row", { hasText: "epoch_7.pth" }).first().waitFor({ timeout: 30_000 });
    });

    await step({ id: "lenses", after: ["load"] }, "shows code lenses above the layer definitions: units, dissect, ablate", async () => {
      await page.locator(".codelens-decoration", { hasText: "32 units · not dissected" }).first().waitFor({ timeout: 30_000 });
      const lenses = await page.locator(".codelens-decoration").allInnerTexts();
      assert.ok(
        lenses.some((l) => /16 units · not dissected\s*\|\s*dissect\s*\|\s*ablate/.test(l)),
        lenses.join(" / "),
      );
    });

    await step({ id: "hover", after: ["load"] }, "hovers self.conv2: kind, units, output shape and a Dissect link", async () => {
      const text = await ui.hover(defLine("conv2") + 1, script[defLine("conv2")]!.indexOf("conv2") + 2);
      assert.match(text, /conv2\s*— Conv2d, 32 units, output 32×32×32/);
      assert.match(text, /Not dissected yet — Dissect conv2/);
      await page.keyboard.press("Escape");
    });

    await step(
      { id: "dissect", after: ["load"] },
      "the hover's 'Dissect conv2' link closes the stale hover and opens the dissection panel: chart, unit table, top images",
      async () => {
        await ui.focusEditor("train_smallcnn.py");
        await ui.hover(defLine("conv2") + 1, script[defLine("conv2")]!.indexOf("conv2") + 2);
        const stale = page.locator(".monaco-hover-content", { hasText: "Not dissected yet" }).first();
        await stale.locator("a", { hasText: "Dissect conv2" }).first().click();
        // An open hover is never asked for again: left open, it would say "Not dissected yet" all through the run.
        await stale.waitFor({ state: "hidden", timeout: 15_000 });
        const panel = await ui.frame(/^Dissection · smallcnn\.pth/, 120_000);
        await panel.locator("#rows tr").first().waitFor({ timeout: 60_000 });
        assert.equal(await panel.locator("#count").innerText(), "32 units");
        assert.match(await panel.locator("#meta").innerText(), /conv2 · \d+\/32 units labelled · \d+ images of .*broden_mini/);
        const bars = await panel.locator(".bar-row").allInnerTexts();
        assert.ok(bars.length >= 2 && bars.some((b) => /unlabelled/.test(b)), bars.join(" / "));
        await poll(panel, () => [...document.querySelectorAll("#rows img")].some((i) => (i as HTMLImageElement).naturalWidth > 100), undefined, 60_000);
      },
    );

    await step(
      { id: "lensCounts", after: ["dissect"] },
      "the lens above conv2 counts its labelled units and the hover shows the top units' images",
      async () => {
        await page
          .locator(".codelens-decoration", { hasText: /\d+\/32 units labelled/ })
          .first()
          .waitFor({ timeout: 30_000 });
        await ui.focusEditor("train_smallcnn.py");
        await ui.hover(defLine("conv2") + 1, script[defLine("conv2")]!.indexOf("conv2") + 2);
        const hover = page.locator(".monaco-hover-content").first();
        assert.match(await hover.innerText(), /Dissection \(\d+ images of broden_mini\): \d+\/32 units labelled/);
        await poll(
          page,
          () =>
            [...document.querySelectorAll(".monaco-hover-content img")].filter(
              (i) => (i as HTMLImageElement).src.startsWith("data:image/png") && (i as HTMLImageElement).naturalWidth === 82,
            ).length > 0,
          undefined,
          15_000,
        );
        await page.keyboard.press("Escape");
      },
    );

    await step({ id: "card", after: ["dissect"] }, "a unit in the dissection table opens its card: label, scores per category, top images", async () => {
      const panel = await ui.frame(/^Dissection · smallcnn\.pth/);
      unit = Number(await panel.locator("button.unit-link").first().innerText());
      await panel.locator("button.unit-link").first().click();
      const card = await ui.frame(new RegExp(`^Card · conv2 · unit ${unit}$`), 30_000);
      await card.locator(".label strong").waitFor();
      assert.ok((await card.locator(".scores tbody tr").count()) >= 1);
      await poll(card, () => ((document.getElementById("card") as HTMLImageElement | null)?.naturalWidth ?? 0) > 100, undefined, 60_000);
      await page.locator(".tab", { hasText: `Unit ${unit} · conv2` }).waitFor();
    });

    await step({ id: "map", after: ["card"] }, "'Map over an image…' on the card opens the unit's map over a picked image", async () => {
      const card = await ui.frame(new RegExp(`^Card · conv2 · unit ${unit}$`));
      await card.locator("#unit-map").click();
      await ui.pickFile(path.join(o.workspace, "circle.png"));
      const map = await ui.frame(new RegExp(`^Map · conv2 · unit ${unit}$`), 30_000);
      await page.locator(".tab", { hasText: `Map · unit ${unit} · conv2` }).waitFor();
      await poll(map, () => ((document.getElementById("overlay") as HTMLImageElement | null)?.naturalWidth ?? 0) > 0, undefined, 30_000);
      assert.match(await map.locator(".stats").innerText(), /max/);
    });

    await step({ id: "ablateUnit", after: ["card"] }, "'Ablate this unit…' on the card runs the ablation on an image folder and opens its panel", async () => {
      if (!(await ui.hasCommand("UnitScope: Ablate units"))) throw new Pending("pending: the Ablate units command is not in this build");
      await page
        .locator(".tab", { hasText: `Unit ${unit} · conv2` })
        .first()
        .click();
      const card = await ui.frame(new RegExp(`^Card · conv2 · unit ${unit}$`), 15_000);
      await card.locator("#ablate").click();
      await page.locator(".quick-input-list .monaco-list-row", { hasText: "Image folder" }).first().waitFor({ timeout: 30_000 });
      await ui.quickInput.fill("Image folder");
      await page.keyboard.press("Enter");
      await ui.pickFile(path.join(o.workspace, "eval"));
      const ablation = await ui.frame(/^Ablation/, 120_000);
      await ablation.locator("h1").waitFor();
      assert.match(await ablation.locator("h1").innerText(), /Ablation conv2/);
      // The card shows the effect it measured.
      await page
        .locator(".tab", { hasText: `Unit ${unit} · conv2` })
        .first()
        .click();
      const after = await ui.frame(new RegExp(`^Card · conv2 · unit ${unit}$`), 15_000);
      await after.getByText(/Zeroing this unit alone: accuracy/).waitFor({ timeout: 15_000 });
    });

    await step(
      { id: "occlusion", after: ["load"] },
      "'UnitScope: Occlusion heatmap' on cross.png: the probability, most-probable-class and strongest unit's maps, the legend, the opacity slider",
      async () => {
        await ui.command("UnitScope: Occlusion heatmap");
        await ui.pickFile(path.join(o.workspace, "eval/cross/cross.png"));
        await ui.pick(/^Occlusion of cross\.png: target class$/, "Predicted class");
        await ui.pick(/strongest unit of which layer/, "relu"); // the last convolution's (rectified) maps
        const panel = await ui.frame(/^Occlusion · cross\.png$/, 120_000);
        await page.locator(".tab", { hasText: "Occlusion · cross.png" }).waitFor();
        assert.match(await panel.locator("h1").innerText(), /Occlusion\s+cross\.png · smallcnn\.pth/);
        assert.match(
          await panel.locator(".meta").innerText(),
          /Target cross \(p = 0\.\d+ unoccluded; predicted cross\) · square \d+ px every \d+ px, \d+×\d+ positions/,
        );
        for (const id of ["map-probability", "map-class", "map-activity"])
          await poll(panel, (id) => ((document.getElementById(id) as HTMLImageElement | null)?.naturalWidth ?? 0) > 0, id, 30_000);
        // The class probability and the unit's activity vary with the square's position; the class map's legend names the classes it shows.
        for (const id of ["map-probability", "map-activity"]) assert.ok((await distinctColours(panel, `#${id}`)) >= 16, `${id} is not one flat colour`);
        const legend = await panel.locator(".class-legend li").allInnerTexts();
        assert.ok(legend.length >= 2 && legend.some((l) => /^cross\s+\d+ positions?$/.test(l.trim())), legend.join(" / "));
        const ranges = await panel.locator(".range").allInnerTexts();
        assert.equal(ranges.length, 2, ranges.join(" / "));
        for (const r of ranges) {
          const [min, max] = r.split(" · ")[0]!.split(" – ").map(Number);
          assert.ok(min! < max!, `a range with min < max: ${r}`);
        }
        assert.match(await panel.locator("figcaption", { hasText: "strongest on the unoccluded image" }).innerText(), /Unit \d+ of relu/);
        // The slider sets every heatmap's opacity (then back where it was).
        const opacity = await panel.locator("#opacity").inputValue();
        await panel.locator("#opacity").fill("30");
        await poll(panel, () => [...document.querySelectorAll("img.overlay")].every((i) => (i as HTMLElement).style.opacity === "0.3"), undefined, 5_000);
        await panel.locator("#opacity").fill(opacity);
        assert.equal(await panel.locator("#status").innerText(), "");
        assert.equal(await panel.locator(".error").count(), 0);
      },
    );

    await step(
      { id: "rank", after: ["dissect"] },
      "'Which units matter for a class' on conv2 and cross: units ranked by drop with their labels, the top-k vs random-k curve, a unit's jitter plot",
      async () => {
        await ui.command("UnitScope: Which units matter for a class");
        await ui.pick(/^Which units matter for a class \(smallcnn\.pth.*\): layer$/, "conv2");
        await ui.pick(/^Which units of conv2 matter for which class\?$/, "cross");
        await ui.pickEvaluationSet(/^Rank the units of conv2 for cross: evaluation set$/, path.join(o.workspace, "eval"));
        // The curve comes once every unit is measured (found again each time: a panel drawn anew is a new frame).
        const panel = await ui.frame(/^Units for cross · conv2$/, 150_000, async (f) => (await f.locator("#curve svg.curve").count()) > 0);
        assert.match(await panel.locator("#meta").innerText(), /^accuracy of cross: 100\.0% with every unit · 1 image of .*eval · 32 units ranked$/);
        const rows = panel.locator("#rows tr");
        assert.equal(await rows.count(), 32);
        // Best first: the top unit alone costs cross its image; some units carry conv2's dissected labels.
        const top = await rows.first().locator("td").allInnerTexts();
        assert.equal(top[0], "1");
        assert.equal(top[2], "100.0 pts", top.join(" | "));
        assert.equal(top[3], "0.0%", top.join(" | "));
        const labels = await panel.locator("#rows td.label em").allInnerTexts();
        assert.ok(labels.length >= 1 && labels.every((l) => l.trim().length > 0), `labelled rows: ${labels.join(", ")}`);
        for (const line of ["top", "random"])
          assert.match((await panel.locator(`#curve path.line.${line}`).getAttribute("d")) ?? "", /^M[\d.]+[ ,][\d.]+( ?L[\d.]+[ ,][\d.]+)+/);
        assert.ok((await panel.locator("#curve circle.point.top").count()) >= 2);
        // A unit picked in the table: its activations on cross vs the rest.
        const unit = top[1]!;
        await rows.first().click();
        const stats = panel.locator("#stats-body");
        await stats.locator("img").waitFor({ timeout: 60_000 });
        await poll(panel, () => ((document.querySelector("#stats-body img") as HTMLImageElement | null)?.naturalWidth ?? 0) > 100, undefined, 15_000);
        const text = await stats.innerText();
        assert.match(text, new RegExp(`Unit ${unit}\\b[^\\n]* on cross vs the rest`));
        assert.match(text, /AUC as a classifier for cross: [01]\.\d{3} \(0\.5 is chance\)/);
        assert.equal(await panel.locator("#status").innerText(), "");
        assert.equal(await panel.locator(".error").count(), 0);
      },
    );

    await step(
      { id: "ablateTop", after: ["rank"] },
      "'Ablate the top 4' in the ranking panel: zeroing them drops cross (and the overall accuracy) on the image folder",
      async () => {
        const ranking = await ui.frame(/^Units for cross · conv2$/);
        const top4 = (await ranking.locator("#rows tr").evaluateAll((rows) => rows.slice(0, 4).map((r) => Number((r as HTMLElement).dataset.unit)))).sort(
          (a, b) => a - b,
        );
        assert.equal(await ranking.locator("#top-k").inputValue(), "4");
        await ranking.locator("#ablate-top").click();
        await ui.pickEvaluationSet(new RegExp(`^Ablate units ${top4.join(", ")} of conv2: evaluation set$`), path.join(o.workspace, "eval"));
        const ablation = await ui.frame(/^Ablation/, 120_000, async (f) => /4 units zeroed/.test(await f.locator("#units").innerText()));
        assert.match(await ablation.locator("#units").innerText(), new RegExp(`^4 units zeroed: ${top4.map((u) => `${u}\\b[^,]*`).join(", ")}$`));
        const overall = await ablation.locator("#overall dd").allInnerTexts();
        const [before, after] = overall.map((d) => Number(/^([\d.]+)%/.exec(d)?.[1]));
        assert.ok(after! < before!, `overall accuracy drops: ${overall.join(" / ")}`);
        const cross = await ablation.locator("#rows tr", { hasText: "cross" }).locator("td").allInnerTexts();
        assert.deepEqual(cross.slice(1, 4), ["1", "100.0%", "0.0%"], cross.join(" | "));
        assert.ok((await ablation.locator("#rows td.drop").count()) >= 1);
        // The ranking's screenshot shows its picked unit, not the button.
        await ranking.locator("#rows tr.selected").focus();
      },
    );

    await step({ id: "themes", after: ["load"] }, "follows the light and dark themes; screenshots of the editor and each panel", async () => {
      for (const [name, theme, bodyClass] of THEMES) {
        await ui.command("Preferences: Color Theme");
        await ui.quickInput.fill(theme);
        const row = page
          .locator(".quick-input-list .monaco-list-row")
          .filter({ has: page.locator(".label-name", { hasText: new RegExp(`^(Default )?${theme}$`) }) });
        await row.first().waitFor({ timeout: 15_000 });
        await row.first().click();
        await poll(page, (dark) => document.querySelector(".monaco-workbench")?.classList.contains("vs-dark") === dark, name === "dark", 30_000);
        await page.waitForTimeout(500);
        await ui.focusEditor("train_smallcnn.py");
        await ui.command("View: Toggle Maximize Editor Group");
        await ui.hover(defLine("conv2") + 1, script[defLine("conv2")]!.indexOf("conv2") + 2);
        await page.waitForTimeout(400);
        await page.screenshot({ path: path.join(o.screenshots, `editor-${name}.png`) });
        await page.keyboard.press("Escape");
        await ui.command("View: Toggle Maximize Editor Group");
        const panels: [string, RegExp, string][] = [
          ["Dissection · smallcnn.pth", /^Dissection · smallcnn\.pth/, "dissection"],
          [`Unit ${unit} · conv2`, new RegExp(`^Card · conv2 · unit ${unit}$`), "unit-card"],
          [`Map · unit ${unit} · conv2`, new RegExp(`^Map · conv2 · unit ${unit}$`), "unit-map"],
          ["Ablation · conv2", /^Ablation/, "ablation"],
          ["Occlusion · cross.png", /^Occlusion · cross\.png$/, "occlusion"],
          ["Units for cross · conv2", /^Units for cross · conv2$/, "ranking"],
        ];
        for (const [tab, title, file] of panels) {
          const t = page.locator(".tab", { hasText: tab });
          if ((await t.count()) === 0) continue;
          await t.first().click();
          const frame = await ui.frame(title, 20_000);
          await poll(frame, (c) => document.body.classList.contains(c), bodyClass, 30_000);
          await ui.command("View: Toggle Maximize Editor Group");
          // The palette's row was clicked where a tab now is: off the tabs (their tooltips), over the activity bar's blank part.
          await page.mouse.move(24, 680);
          await page.waitForTimeout(800);
          await page.screenshot({ path: path.join(o.screenshots, `${file}-${name}.png`) });
          await ui.command("View: Toggle Maximize Editor Group");
        }
      }
    });

    await step(
      { id: "import", after: ["open"] },
      "'Import model from training code' on class SmallCNN exports it with PyTorch and loads it: .onnx and description written, shown in the status bar and the view",
      async () => {
        if ("reason" in o.python) throw new Pending(`skipped: ${o.python.reason}`);
        // The checkpoint that training saved, in a folder of its own (the import writes beside it).
        const folder = path.join(o.workspace, "imported");
        fs.mkdirSync(folder, { recursive: true });
        fs.copyFileSync(path.join(o.workspace, "smallcnn.pth"), path.join(folder, "shapes.pth"));
        fs.copyFileSync(path.join(o.workspace, "smallcnn.classes.txt"), path.join(folder, "shapes.classes.txt"));

        // The panels of the earlier steps closed, so that the keyboard goes to the script's editor.
        await ui.command("View: Close All Editors");
        await ui.quickOpen("train_smallcnn.py");
        await page.locator(".monaco-editor .view-lines").first().waitFor();
        const classLine = script.findIndex((l) => /^class SmallCNN\(nn\.Module\)/.test(l));
        assert.ok(classLine >= 0, "class SmallCNN(nn.Module) in the training script");
        await ui.goTo(classLine + 1, 8);
        await ui.waitForText("[id='status.editor.selection']", new RegExp(`Ln ${classLine + 1}, Col 8`));
        await ui.command("Refactor...");
        const action = page.locator(".action-widget .monaco-list-row", { hasText: "UnitScope: Import model from training code (SmallCNN)" });
        await action.first().waitFor({ timeout: 15_000 });
        await action.first().click();

        // The checkpoint (VS Code's simple file dialog), the constructor's arguments as training built it, the input size.
        await ui.waitForQuickInputTitle(/the checkpoint your training saved/);
        // The dialog fills in its folder a moment after it shows, and on a busy machine may do so again
        // after the path was typed: type it once the folder is there, again until it stays.
        for (let i = 0; !(await ui.quickInput.inputValue()).startsWith("/") && i < 100; i++) await page.waitForTimeout(100);
        const checkpoint = path.join(folder, "shapes.pth");
        for (let i = 0; i < 10; i++) {
          await ui.quickInput.fill(checkpoint);
          await page.waitForTimeout(500);
          if ((await ui.quickInput.inputValue()) === checkpoint) break;
        }
        assert.equal(await ui.quickInput.inputValue(), checkpoint);
        await page.keyboard.press("Enter");
        await ui.waitForQuickInputTitle(/Arguments for SmallCNN/);
        assert.match(await ui.quickInput.inputValue(), /"num_classes": 10/, "the defaults from the signature");
        await ui.quickInput.fill('{"in_channels": 3, "num_classes": 4, "width": 16}');
        await page.keyboard.press("Enter");
        await ui.waitForQuickInputTitle(/Input size of SmallCNN/);
        await ui.quickInput.fill("3×64×64");
        await page.keyboard.press("Enter");

        // Exported by the exporter with the workspace's Python, loaded by the daemon, described.
        await ui.waitForText(STATUS, /shapes\.onnx/, 180_000);
        await ui.command("Notifications: Show Notifications");
        const notes = page.locator(".notifications-center .monaco-list-row");
        await notes.first().waitFor({ timeout: 15_000 });
        const texts = await notes.allInnerTexts();
        assert.ok(
          texts.some((t) => /UnitScope imported SmallCNN: \d+ layers, 4 classes \(shapes\.onnx\)/.test(t)),
          texts.join(" / "),
        );
        await page.keyboard.press("Escape");
        await ui.command("View: Show UnitScope"); // (clicking its icon would hide the side bar when it shows already)
        // The first model's layers fill the Models view: collapse them to see the new one.
        const models = page.locator(".sidebar .pane-header", { hasText: "Models" });
        await models.hover();
        await models.locator(".action-label[aria-label='Collapse All']").click();
        await page
          .locator(".sidebar .monaco-list-row", { hasText: "shapes.onnx" })
          .filter({ hasText: /onnx.* · active/ })
          .first()
          .waitFor({ timeout: 30_000 });
        const onnx = path.join(folder, "shapes.onnx");
        assert.ok(fs.statSync(onnx).size > 10_000, `${onnx} written`);
        const description = JSON.parse(fs.readFileSync(path.join(folder, "shapes.unitscope.json"), "utf8")) as Record<string, unknown>;
        assert.equal(description.architecture, "onnx");
        assert.deepEqual(description.inputSize, [64, 64]);
        assert.equal(description.classNamesFile, "shapes.classes.txt");
      },
    );
  } finally {
    await browser.close();
  }
  return results;
}

/** How many distinct colours (4 bits a channel) an image in the frame has: 1 for a flat one. */
async function distinctColours(frame: Frame, selector: string): Promise<number> {
  return frame.evaluate((selector) => {
    const img = document.querySelector(selector) as HTMLImageElement | null;
    if (!img || img.naturalWidth === 0) return 0;
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const g = canvas.getContext("2d")!;
    g.drawImage(img, 0, 0);
    const data = g.getImageData(0, 0, canvas.width, canvas.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < data.length; i += 4) seen.add(((data[i]! >> 4) << 8) | ((data[i + 1]! >> 4) << 4) | (data[i + 2]! >> 4));
    return seen.size;
  }, selector);
}
