import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildDissectionHtml } from "../src/dissectionHtml";
import { mergeLayers, type DissectionPanelState } from "../src/dissectionMessages";
import { EXTENSION_ROOT, pageStyles } from "./support/fixtures";
import { layer, panelState } from "./support/dissectionFixtures";
import { CSP_SOURCE, MEDIA, readPage, resources } from "./support/pageHtml";

function render(state: DissectionPanelState = panelState()) {
  return readPage(buildDissectionHtml({ ...resources("dissection.js", "dissection.css"), state }));
}

function checkSafe(r: ReturnType<typeof render>): void {
  assert.ok(r.nonce.length >= 16, `nonce in CSP: ${r.policy}`);
  const scripts = r.tags.filter((t) => t.name === "script");
  assert.equal(scripts.length, 2, "the state JSON and the panel script");
  for (const s of scripts) assert.equal(s.attrs.get("nonce"), r.nonce);
  assert.equal((r.html.match(/<\/script/gi) ?? []).length, scripts.length, "nothing closes a script early");
  for (const t of r.tags) {
    for (const name of t.attrs.keys()) assert.ok(!name.startsWith("on"), `inline handler ${name} on <${t.name}>`);
    assert.ok(!t.attrs.has("style"), `inline style on <${t.name}>`);
    for (const a of ["src", "href"]) {
      const v = t.attrs.get(a);
      if (v !== undefined) assert.ok(v.startsWith(`${MEDIA}/`), `<${t.name} ${a}="${v}">`);
    }
  }
}

describe("dissection webview HTML", () => {
  it("sets a CSP with default-src 'none', nonce-only scripts and styles, images from data: only", () => {
    const r = render();
    checkSafe(r);
    assert.equal(r.policy, `default-src 'none'; img-src ${CSP_SOURCE} data:; style-src ${CSP_SOURCE} 'nonce-${r.nonce}'; script-src 'nonce-${r.nonce}'`);
    assert.ok(r.html.indexOf("Content-Security-Policy") < r.html.indexOf("<link"));
    assert.equal(r.tags.find((t) => t.name === "link")?.attrs.get("nonce"), r.nonce);
  });

  it("uses a fresh nonce on every load", () => {
    assert.equal(new Set(Array.from({ length: 20 }, () => render().nonce)).size, 20);
  });

  it("has the controls, the chart, and a table whose column headers sort", () => {
    const r = render();
    for (const id of ["layer", "filter", "category", "dissect-more", "chart", "rows", "status"])
      assert.ok(
        r.tags.some((t) => t.attrs.get("id") === id),
        id,
      );
    const sorts = r.tags.filter((t) => t.name === "button" && t.attrs.get("class") === "sort").map((t) => t.attrs.get("data-sort"));
    assert.deepEqual(sorts, ["unit", "label", "category", "iou"]);
    assert.ok(r.tags.filter((t) => t.name === "th").every((t) => t.attrs.get("scope") === "col"));
    assert.ok(r.tags.some((t) => t.attrs.get("role") === "status" && t.attrs.get("aria-live") === "polite"));
  });

  it("escapes the model label and embeds the state as JSON that cannot close its script", () => {
    const evil = '</title><script>alert(1)</script>"><img src=x onerror=alert(2)>';
    const s = panelState({ model: { modelId: "m", checkpointHash: "h", modelLabel: evil }, layers: [layer({ layer: "</script><script>alert(3)</script>" })] });
    const r = render(s);
    checkSafe(r);
    assert.ok(!r.html.includes("<img src=x"));
    assert.ok(r.html.includes("&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    const json = /<script id="unitscope-state" type="application\/json" nonce="[^"]+">([^<]*)<\/script>/.exec(r.html)?.[1];
    assert.ok(json);
    assert.equal(JSON.parse(json).layers[0].layer, "</script><script>alert(3)</script>");
  });
});

describe("dissection panel styles and script", () => {
  it("styles take colours from the theme and hard-code none", () => {
    const css = pageStyles("dissection.css");
    for (const v of [
      "--vscode-foreground",
      "--vscode-editor-background",
      "--vscode-focusBorder",
      "--vscode-input-background",
      "--vscode-list-activeSelectionBackground",
    ])
      assert.ok(css.includes(`var(${v}`), v);
    const code = css.replace(/\/\*[\s\S]*?\*\//g, "");
    assert.equal(code.match(/#[0-9a-fA-F]{3,8}\b|\b(rgb|rgba|hsl|hsla)\(|(?<![\w-])(white|black|red|blue|green|gray|grey)(?![\w-])/g), null);
  });

  it("the bundled script loads nothing from the network, never parses HTML and never sets style attributes", () => {
    const js = fs.readFileSync(path.join(EXTENSION_ROOT, "media/dissection.js"), "utf8");
    assert.equal(js.match(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/g), null);
    assert.equal(js.match(/\beval\(|new Function\(|innerHTML|outerHTML|insertAdjacentHTML|document\.write|setAttribute\("style"/g), null);
  });
});

describe("merging layers into a panel", () => {
  it("replaces layers of the same name and orders by the model's layers", () => {
    const a = layer({ layer: "conv4", labelledUnits: 1 });
    const b = layer({ layer: "conv2" });
    const a2 = layer({ layer: "conv4", labelledUnits: 3 });
    const merged = mergeLayers([a, b], [a2, layer({ layer: "conv3" })], ["conv1", "conv2", "conv3", "conv4"]);
    assert.deepEqual(
      merged.map((l) => [l.layer, l.labelledUnits]),
      [
        ["conv2", 4],
        ["conv3", 4],
        ["conv4", 3],
      ],
    );
    assert.deepEqual(
      mergeLayers([a], [b]).map((l) => l.layer),
      ["conv4", "conv2"],
    );
  });
});
