// The dissection webview's script, run for real in headless Chromium (Debian's) against the HTML
// the panel builds, with a stand-in for the VS Code webview API: it draws the chart and the table,
// asks for cards as rows come into view, shows the cards it gets, sorts from the column headers,
// and keeps dataset text as text. Skipped where Chromium is not installed.

import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { buildDissectionHtml } from "../src/dissectionHtml";
import type { DissectionPanelState } from "../src/dissectionMessages";
import { PAGE_READY } from "../src/pageReady";
import { EXTENSION_ROOT, TINY_PNG } from "./support/fixtures";
import { concept, layer, panelState, unit } from "./support/dissectionFixtures";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => fs.existsSync(p));

/** The page's DOM after its scripts ran (3 s of virtual time), with `after` run 300 ms after load. */
function run(state: DissectionPanelState, after: string): string {
  const media = pathToFileURL(path.join(EXTENSION_ROOT, "media")).href;
  let html = buildDissectionHtml({
    cspSource: "file:",
    scriptUri: `${media}/dissection.js`,
    baseStyleUri: `${media}/base.css`,
    styleUri: `${media}/dissection.css`,
    state,
  });
  const nonce = /'nonce-([^']+)'/.exec(html)![1]!;
  const api = `<script nonce="${nonce}">
window.__posted = [];
window.acquireVsCodeApi = () => ({
  postMessage: (m) => {
    if (m && m.type === "${PAGE_READY}") return;
    window.__posted.push(m);
    if (m.type === "card") setTimeout(() => window.postMessage({ type: "card", layer: m.layer, unit: m.unit, png: "${TINY_PNG}", width: 8, height: 4 }, "*"), 5);
  },
  getState: () => undefined,
  setState: (s) => { window.__state = s; },
});
</script>`;
  const probe = `<script nonce="${nonce}">
setTimeout(() => { ${after} }, 300);
// Written again and again until the DOM is dumped (the virtual-time budget): on a loaded machine the
// rows' intersection callbacks can come late, and the last snapshot is the one read.
setInterval(() => {
  document.body.dataset.posted = JSON.stringify(window.__posted);
  document.body.dataset.ui = JSON.stringify(window.__state && window.__state.ui);
}, 100);
</script>`;
  html = html.replace(`<script nonce="${nonce}" src=`, `${api}<script nonce="${nonce}" src=`).replace("</body>", `${probe}</body>`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "unitscope-webview-"));
  try {
    const page = path.join(dir, "page.html");
    fs.writeFileSync(page, html);
    return execFileSync(
      CHROMIUM!,
      [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--allow-file-access-from-files",
        "--virtual-time-budget=3000",
        "--dump-dom",
        pathToFileURL(page).href,
      ],
      { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "ignore"] },
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const unescape = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
const data = (dom: string, name: string) => JSON.parse(unescape(new RegExp(`data-${name}="([^"]*)"`).exec(dom)?.[1] ?? "null"));
const rowUnits = (dom: string) =>
  [
    ...(/<tbody id="rows">([\s\S]*?)<\/tbody>/.exec(dom)?.[1] ?? "").matchAll(
      /<tr[^>]*><td class="num"><button class="unit-link" type="button" aria-label="Unit \d+: open its card">(\d+)<\/button><\/td>/g,
    ),
  ].map((m) => Number(m[1]));

describe("dissection webview in Chromium", function () {
  this.timeout(120_000);
  before(function () {
    if (!CHROMIUM) {
      console.log("      SKIPPED: no Chromium at /usr/bin/chromium.");
      this.skip();
    }
  });

  it("draws the chart and the table (best IoU first), requests every visible card and shows them", () => {
    const dom = run(panelState(), "");
    assert.deepEqual(rowUnits(dom), [0, 1, 3, 4, 2]);
    const bars = [...dom.matchAll(/<button class="bar-row"[^>]*data-category="([^"]+)"[\s\S]*?<rect[^>]*width="([^"]+)"([^>]*)>/g)].map((m) => [
      m[1],
      m[2],
      m[3]!.trim(),
    ]);
    assert.deepEqual(bars, [
      ["color", "100.0%", 'fill="#e15759"'],
      ["object", "50.0%", 'fill="#4e79a7"'],
      ["shape", "50.0%", 'fill="#edc948"'],
      ["(unlabelled)", "50.0%", 'class="none"'],
    ]);
    const posted = data(dom, "posted") as { type: string; unit: number }[];
    assert.deepEqual(posted.map((m) => m.unit).sort(), [0, 1, 2, 3, 4]);
    assert.equal((dom.match(new RegExp(`<img src="data:image/png;base64,${TINY_PNG.replace(/[+/]/g, "\\$&")}"`, "g")) ?? []).length, 5);
    assert.match(dom, /<p id="count"[^>]*>5 units<\/p>/);
    assert.match(dom, /<th scope="col" data-sort="iou" aria-sort="descending">/);
  });

  it("sorts from a column header and filters by category from the chart, remembering both", () => {
    const dom = run(
      panelState(),
      `document.querySelector('button.sort[data-sort="label"]').click();
       document.querySelector('button.bar-row[data-category="color"]').click();`,
    );
    assert.deepEqual(rowUnits(dom), [1, 4]);
    assert.deepEqual(data(dom, "ui"), { layer: "conv4", sort: "label", descending: false, text: "", category: "color" });
    assert.match(dom, /<p id="count"[^>]*>2 of 5 units<\/p>/);
  });

  it("filters by concept text and switches layers", () => {
    const conv3 = layer({
      layer: "conv3",
      labelledUnits: 1,
      units: [unit(7, concept("grass", "object", 0.2))],
      labelledByCategory: [{ category: "object", units: 1 }],
    });
    const dom = run(
      panelState({ layers: [conv3, layer()] }),
      `const f = document.getElementById("filter"); f.value = "RED"; f.dispatchEvent(new Event("input"));
       const s = document.getElementById("layer"); s.value = "conv4"; s.dispatchEvent(new Event("change"));`,
    );
    assert.deepEqual(rowUnits(dom), [1, 4]);
    assert.deepEqual(data(dom, "ui"), { layer: "conv4", sort: "iou", descending: true, text: "RED", category: "" });
  });

  it("says which probe images could not be read, and nothing when all were", () => {
    const dom = run(panelState({ layers: [layer({ skipped: { count: 2, problems: ["a.png: truncated", "<b>b.jpg</b>: not an image"] } })] }), "");
    const note = /<div id="skipped">([\s\S]*?)<\/div>/.exec(dom)?.[1] ?? "";
    assert.match(note, /<summary>2 images could not be read and were left out<\/summary>/);
    assert.ok(note.includes("<li>a.png: truncated</li>") && note.includes("<li>&lt;b&gt;b.jpg&lt;/b&gt;: not an image</li>"), note);
    assert.match(run(panelState(), ""), /<div id="skipped"><\/div>/);
  });

  it("shows names from the dataset as text", () => {
    const evil = layer();
    evil.units[1]!.label!.concept = "<img src=x onerror=alert(1)>";
    const dom = run(panelState({ layers: [evil] }), "");
    assert.ok(dom.includes("<em>&lt;img src=x onerror=alert(1)&gt;</em>"));
    assert.ok(!dom.includes("<img src=x"));
  });
});
