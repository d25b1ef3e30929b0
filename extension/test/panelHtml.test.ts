import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildUnitMapHtml, escapeHtml, formatStat, scriptJson } from "../src/panelHtml";
import type { UnitMapView } from "../src/unitMapMessages";
import { EXTENSION_ROOT, pageStyles, state, TINY_PNG } from "./support/fixtures";
import { CSP_SOURCE, MEDIA, readPage, resources } from "./support/pageHtml";

function render(overrides: Partial<UnitMapView> = {}, baseImage?: { mime: string; base64: string }) {
  return readPage(buildUnitMapHtml({ ...resources("unitMap.js", "unitMap.css"), state: state(overrides), baseImage }));
}

/** What the HTML must never contain, whatever the model data: checked for every render below. */
function checkSafe(r: ReturnType<typeof render>): void {
  assert.ok(r.nonce.length >= 16, `nonce in CSP: ${r.policy}`);
  const scripts = r.tags.filter((t) => t.name === "script");
  assert.equal(scripts.length, 2, "the state JSON and the panel script");
  for (const s of scripts) assert.equal(s.attrs.get("nonce"), r.nonce, "every script carries the nonce");
  assert.equal((r.html.match(/<\/script/gi) ?? []).length, scripts.length, "nothing closes a script early");
  for (const t of r.tags) {
    for (const name of t.attrs.keys()) assert.ok(!name.startsWith("on"), `inline handler ${name} on <${t.name}>`);
    assert.ok(!t.attrs.has("style"), `inline style on <${t.name}>`);
    for (const a of ["src", "href"]) {
      const v = t.attrs.get(a);
      if (v === undefined) continue;
      assert.ok(v.startsWith(`${MEDIA}/`) || /^data:image\/(png|jpeg|bmp|gif|webp);base64,[A-Za-z0-9+/=]+$/.test(v), `<${t.name} ${a}="${v.slice(0, 60)}">`);
    }
  }
  const allowedTags = new Set([
    "html",
    "head",
    "meta",
    "link",
    "title",
    "body",
    "header",
    "h1",
    "span",
    "p",
    "nav",
    "button",
    "label",
    "input",
    "figure",
    "div",
    "img",
    "figcaption",
    "dl",
    "dt",
    "dd",
    "script",
  ]);
  for (const t of r.tags) assert.ok(allowedTags.has(t.name), `unexpected <${t.name}>`);
}

describe("unit-map webview HTML", () => {
  it("sets a CSP with default-src 'none' and nonce-only scripts and styles", () => {
    const r = render();
    checkSafe(r);
    assert.equal(r.policy, `default-src 'none'; img-src ${CSP_SOURCE} data:; style-src ${CSP_SOURCE} 'nonce-${r.nonce}'; script-src 'nonce-${r.nonce}'`);
    assert.ok(r.html.indexOf("Content-Security-Policy") < r.html.indexOf("<link"), "CSP precedes every resource");
  });

  it("uses a fresh nonce on every load", () => {
    const nonces = new Set(Array.from({ length: 20 }, () => render().nonce));
    assert.equal(nonces.size, 20);
  });

  it("loads only the extension's media and data: images, never http(s) elsewhere", () => {
    const r = render();
    checkSafe(r);
    const urls = r.html.match(/https?:\/\/[^\s"'<>)]*/g) ?? [];
    for (const u of urls) assert.ok(u === CSP_SOURCE || u.startsWith(`${MEDIA}/`), u);
    const links = r.tags.filter((t) => t.name === "link");
    assert.deepEqual(
      links.map((l) => l.attrs.get("href")),
      [`${MEDIA}/base.css`, `${MEDIA}/unitMap.css`],
      "the shared styles first, then the page's",
    );
    for (const link of links) assert.equal(link.attrs.get("nonce"), r.nonce);
  });

  it("shows the overlay, the layer, the unit, the image name and the statistics", () => {
    const r = render();
    const overlay = r.tags.find((t) => t.attrs.get("id") === "overlay");
    assert.equal(overlay?.attrs.get("src"), `data:image/png;base64,${TINY_PNG}`);
    assert.match(r.html, /<span class="layer">conv1<\/span> <span class="unit">unit 3<\/span>/);
    assert.match(r.html, /Conv2d · 16 units · smallcnn\.pth \(smallcnn\)/);
    assert.match(r.html, />cat\.png<\/button>/);
    assert.match(r.html, /<dt>min<\/dt><dd>-0\.25<\/dd>/);
    assert.match(r.html, /<dt>max<\/dt><dd>3\.5<\/dd>/);
    assert.match(r.html, /<dt>mean<\/dt><dd>0\.4214<\/dd>/);
    assert.match(r.html, /<dt>map<\/dt><dd>30 × 30<\/dd>/);
    assert.match(r.html, /id="opacity"[^>]*value="70"/);
  });

  it("puts the source image under the overlay when there is one", () => {
    const r = render({}, { mime: "image/jpeg", base64: TINY_PNG });
    checkSafe(r);
    const imgs = r.tags.filter((t) => t.name === "img");
    assert.deepEqual(
      imgs.map((i) => i.attrs.get("class")),
      ["base", "overlay"],
    );
  });

  it("refuses a source image with an odd MIME type or non-base64 data", () => {
    for (const bad of [
      { mime: "text/html", base64: TINY_PNG },
      { mime: "image/png", base64: 'AA"onload="x' },
    ]) {
      const r = render({}, bad);
      checkSafe(r);
      assert.equal(r.tags.filter((t) => t.name === "img").length, 1);
    }
  });

  it("disables Previous on unit 0 and Next on the last unit", () => {
    const disabled = (r: ReturnType<typeof render>, id: string) => r.tags.find((t) => t.attrs.get("id") === id)?.attrs.has("disabled");
    const first = render({ unit: 0 });
    assert.equal(disabled(first, "prev"), true);
    assert.equal(disabled(first, "next"), false);
    const last = render({ unit: 15 });
    assert.equal(disabled(last, "prev"), false);
    assert.equal(disabled(last, "next"), true);
  });

  it("escapes layer names, kinds, labels and paths against HTML injection", () => {
    const evil = '"><img src=x onerror=alert(1)><script>alert(2)</script>';
    const r = render({
      layer: evil,
      layerKind: `<b onmouseover="x">Conv</b>`,
      modelLabel: "</title><script>alert(3)</script>",
      imagePath: `/tmp/${evil}.png`,
    });
    checkSafe(r);
    assert.ok(r.html.includes("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;"));
    assert.ok(!r.html.includes("<img src=x"));
    assert.ok(!r.html.includes("<b onmouseover"));
  });

  it("embeds the state as JSON that cannot close its script element", () => {
    const r = render({ layer: "</script><script>alert(1)</script>" });
    checkSafe(r);
    const json = /<script id="unitscope-state" type="application\/json" nonce="[^"]+">([^<]*)<\/script>/.exec(r.html)?.[1];
    assert.ok(json, "state script");
    assert.equal(JSON.parse(json).view.layer, "</script><script>alert(1)</script>");
  });

  it("drops an overlay that is not base64", () => {
    const r = render({ overlayPng: 'x" onerror="alert(1)' });
    checkSafe(r);
    assert.match(r.html, /no overlay image/);
  });
});

describe("unit-map panel styles and script", () => {
  const css = pageStyles("unitMap.css");

  it("takes colours from the theme", () => {
    for (const v of [
      "--vscode-foreground",
      "--vscode-editor-background",
      "--vscode-font-family",
      "--vscode-button-secondaryBackground",
      "--vscode-focusBorder",
      "--vscode-errorForeground",
    ])
      assert.ok(css.includes(`var(${v}`), v);
  });

  it("hard-codes no colours", () => {
    const code = css.replace(/\/\*[\s\S]*?\*\//g, "");
    assert.equal(code.match(/#[0-9a-fA-F]{3,8}\b|\b(rgb|rgba|hsl|hsla)\(|(?<![\w-])(white|black|red|blue|green|gray|grey)(?![\w-])/g), null);
  });

  it("the bundled webview script loads nothing from the network and never evaluates strings", () => {
    const js = fs.readFileSync(path.join(EXTENSION_ROOT, "media/unitMap.js"), "utf8");
    assert.equal(js.match(/https?:\/\//g), null);
    assert.equal(js.match(/\beval\(|new Function\(|innerHTML|outerHTML|insertAdjacentHTML|document\.write/g), null);
  });
});

describe("HTML helpers", () => {
  it("escapes the characters that matter in text and double-quoted attributes", () =>
    assert.equal(escapeHtml(`<a href="x">&</a>`), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"));

  it("writes script-safe JSON", () => {
    const s = scriptJson({ a: "</script>&\u2028" });
    assert.ok(!/[<>&\u2028]/.test(s));
    assert.deepEqual(JSON.parse(s), { a: "</script>&\u2028" });
  });

  it("formats statistics to 4 significant digits", () => {
    const check = (n: number, s: string) => assert.equal(formatStat(n), s, String(n));
    check(0, "0");
    check(1.23456, "1.235");
    check(-0.000123456, "-1.235e-4");
    check(12345678, "1.235e+7");
    check(Number.NaN, "NaN");
  });
});
