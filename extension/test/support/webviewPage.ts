// A panel's real HTML in headless Chromium (Debian's, driven by playwright-core), the way a VS Code
// webview shows it: the theme's --vscode-* variables on <html> and its class on <body> (captured
// from code-server, vscodeThemes.json), media from the extension's folder, and a stand-in for the
// webview API that records what the page posts, answers with what the test gives it, and keeps
// the state the page saves (so a reload can be tested). Pixel checks decode the screenshot in
// the browser.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { PAGE_READY } from "../../src/pageReady";
import { EXTENSION_ROOT } from "./fixtures";

export const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => fs.existsSync(p));

export type ThemeName = "light" | "dark" | "highContrast" | "highContrastLight";

interface ThemeFile {
  themes: Record<ThemeName, { bodyClass: string; themeKind: string; vars: Record<string, string> }>;
}

export const THEMES: ThemeFile["themes"] = (JSON.parse(fs.readFileSync(path.join(EXTENSION_ROOT, "test/support/vscodeThemes.json"), "utf8")) as ThemeFile)
  .themes;

/** The themes every panel is shown under. */
export const SHOWN_THEMES: ThemeName[] = ["light", "dark", "highContrast"];

/** Screenshots go here (out/ is not committed); docs/screenshots holds the ones from the real editor. */
export const SHOTS = process.env.UNITSCOPE_PANEL_SHOTS ?? path.join(EXTENSION_ROOT, "out/screenshots");

/** Saves the whole page as SHOTS/NAME-THEME.png and returns the PNG. */
export async function saveShot(page: Page, name: string, theme: ThemeName): Promise<Buffer> {
  const png = await page.screenshot({ fullPage: true });
  fs.writeFileSync(path.join(SHOTS, `${name}-${theme}.png`), png);
  return png;
}

/** `saveShot`, measured for the theme's background and text colours and `colors`. */
export async function themedShot(browser: Browser, page: Page, name: string, theme: ThemeName, colors: Record<string, string> = {}): Promise<PixelStats> {
  const vars = THEMES[theme].vars;
  const png = await saveShot(page, name, theme);
  return pixelStats(browser, png, { background: hexOf(vars["--vscode-editor-background"]!), foreground: hexOf(vars["--vscode-foreground"]!), ...colors });
}

export async function launch(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM!, args: ["--no-sandbox", "--disable-gpu"] });
}

/** The media folder as the panels reference it (cspSource "file:"). */
export const MEDIA = pathToFileURL(path.join(EXTENSION_ROOT, "media")).href;

export interface Stub {
  /**
   * JavaScript run in the page for each message it posts (`m`); it may answer with
   * `reply(message)`. E.g. `if (m.type === "card") reply({...})`.
   */
  onPost?: string;
  /** What getState() returns (a reload). The page's "I listen" reports (pageReady.ts) go to window.__ready, not window.__posted. */
  state?: unknown;
}

/** Writes the page with the theme and the stub in, and opens it; the page's scripts have run when this returns. */
export async function openPanel(browser: Browser, html: string, theme: ThemeName, stub: Stub = {}, size = { width: 1000, height: 760 }): Promise<Page> {
  const nonce = /'nonce-([^']+)'/.exec(html)?.[1];
  if (!nonce) throw new Error("the panel has no CSP nonce");
  const t = THEMES[theme];
  const style = Object.entries(t.vars)
    .map(([k, v]) => `${k}: ${v}`)
    .join("; ");
  const api = `<script nonce="${nonce}">
window.__posted = [];
window.__ready = [];
window.__state = ${JSON.stringify(stub.state ?? null)};
const reply = (message) => setTimeout(() => window.postMessage(message, "*"), 5);
window.acquireVsCodeApi = () => ({
  postMessage: (m) => {
    if (m && m.type === "${PAGE_READY}") { window.__ready.push(m); return; }
    window.__posted.push(m); ${stub.onPost ?? ""}
  },
  getState: () => window.__state ?? undefined,
  setState: (s) => { window.__state = JSON.parse(JSON.stringify(s)); },
});
</script>`;
  let page = html.replace(/<html lang="en">/, `<html lang="en" style="${style.replace(/"/g, "&quot;")}">`);
  page = page.replace("<body>", `<body class="${t.bodyClass}" data-vscode-theme-kind="${t.themeKind}">`);
  page = page.replace(`<script nonce="${nonce}" src=`, `${api}<script nonce="${nonce}" src=`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "unitscope-panel-"));
  const file = path.join(dir, "panel.html");
  fs.writeFileSync(file, page);
  const p = await browser.newPage({ viewport: size });
  const errors: string[] = [];
  p.on("pageerror", (e) => errors.push(e.message));
  p.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await p.goto(pathToFileURL(file).href);
  await p.waitForLoadState("load");
  (p as Page & { __errors?: string[] }).__errors = errors;
  p.once("close", () => fs.rmSync(dir, { recursive: true, force: true }));
  return p;
}

/** Script errors and CSP violations the page reported (a CSP block shows up as a console error). */
export function pageErrors(p: Page): string[] {
  return (p as Page & { __errors?: string[] }).__errors ?? [];
}

export interface PixelStats {
  width: number;
  height: number;
  /** Mean luminance 0–255. */
  meanLuma: number;
  /** Pixels within `tolerance` of each colour asked for. */
  matches: Record<string, number>;
  /** Distinct colours (quantised to 4 bits per channel). */
  distinctColors: number;
  /** Standard deviation of the luminance. */
  lumaStdDev: number;
}

/** Decodes a PNG (a screenshot) in the browser and measures it, optionally only inside `clip`. */
export async function pixelStats(browser: Browser, png: Buffer, colors: Record<string, string> = {}, tolerance = 24): Promise<PixelStats> {
  const page = await browser.newPage();
  try {
    return (await page.evaluate(
      `(async ({ b64, colors, tolerance }) => {
        const blob = await (await fetch("data:image/png;base64," + b64)).blob();
        const bmp = await createImageBitmap(blob);
        const c = new OffscreenCanvas(bmp.width, bmp.height);
        const g = c.getContext("2d");
        g.drawImage(bmp, 0, 0);
        const d = g.getImageData(0, 0, bmp.width, bmp.height).data;
        const want = Object.entries(colors).map(([k, hex]) => [k, parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)]);
        const matches = Object.fromEntries(want.map(([k]) => [k, 0]));
        const seen = new Set();
        let sum = 0, sum2 = 0;
        const n = bmp.width * bmp.height;
        for (let i = 0; i < d.length; i += 4) {
          const r = d[i], gg = d[i + 1], b = d[i + 2];
          const y = 0.2126 * r + 0.7152 * gg + 0.0722 * b;
          sum += y; sum2 += y * y;
          seen.add((r >> 4) << 8 | (gg >> 4) << 4 | (b >> 4));
          for (const [k, wr, wg, wb] of want) if (Math.abs(r - wr) <= tolerance && Math.abs(gg - wg) <= tolerance && Math.abs(b - wb) <= tolerance) matches[k]++;
        }
        const mean = sum / n;
        return { width: bmp.width, height: bmp.height, meanLuma: mean, matches, distinctColors: seen.size, lumaStdDev: Math.sqrt(Math.max(0, sum2 / n - mean * mean)) };
      })(${JSON.stringify({ b64: png.toString("base64"), colors, tolerance })})`,
    )) as PixelStats;
  } finally {
    await page.close();
  }
}

/** "#rrggbb" of a CSS colour the theme gives (hex or rgb()/rgba(), alpha ignored). */
export function hexOf(cssColor: string): string {
  const c = cssColor.trim();
  if (/^#[0-9a-f]{6}/i.test(c)) return c.slice(0, 7).toLowerCase();
  if (/^#[0-9a-f]{3}$/i.test(c)) return `#${[...c.slice(1)].map((x) => x + x).join("")}`.toLowerCase();
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(c);
  if (!m) throw new Error(`not a colour: ${cssColor}`);
  return `#${[m[1], m[2], m[3]].map((x) => Number(x).toString(16).padStart(2, "0")).join("")}`;
}

/** Tabs through the page `count` times and describes each focused element: tag, id/class, accessible name. */
export async function tabOrder(page: Page, count: number): Promise<string[]> {
  const order: string[] = [];
  for (let i = 0; i < count; i++) {
    await page.keyboard.press("Tab");
    order.push(
      (await page.evaluate(`(() => {
        const e = document.activeElement;
        if (!e || e === document.body) return "body";
        const label = e.getAttribute("aria-label") || (e.labels && e.labels[0] && e.labels[0].textContent.trim()) || e.textContent.trim() || e.getAttribute("title") || "";
        return e.tagName.toLowerCase() + (e.id ? "#" + e.id : e.className ? "." + String(e.className).split(" ")[0] : "") + " " + JSON.stringify(label.replace(/\\s+/g, " ").slice(0, 60));
      })()`)) as string,
    );
  }
  return order;
}

/**
 * Polls `expression` in the page until it is truthy. (Playwright's waitForFunction re-evaluates
 * its predicate with eval, which the panels' CSP forbids; evaluate goes through the debugger.)
 */
export async function until(page: Page, expression: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
