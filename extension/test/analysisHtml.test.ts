// The occlusion, ablation and ranking webviews' HTML: CSP with a fresh nonce, nothing inline but the
// nonce'd scripts, resources only from the extension's media or as base64 PNGs from the daemon, and
// names from the model or the dataset escaped; the stylesheet takes its colours from the theme.

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildAblationHtml } from "../src/ablationHtml";
import { buildOcclusionHtml } from "../src/occlusionHtml";
import { buildUnitMapHtml } from "../src/panelHtml";
import { buildRankHtml } from "../src/rankHtml";
import { ablateResult, ablationState, occludeResult, occlusionState, rankResult, rankState } from "./support/analysisFixtures";
import { EXTENSION_ROOT, pageStyles, state as unitMapState, TINY_PNG } from "./support/fixtures";
import { CSP_SOURCE, MEDIA, readPage, resources, tags, type Tag } from "./support/pageHtml";

const EVIL = '</script><script>alert(1)</script>"><img src=x onerror=alert(2)>';

const panels = {
  ablation: (state = ablationState()) => buildAblationHtml({ ...resources("ablation.js", "analysis.css"), state }),
  ranking: (state = rankState()) => buildRankHtml({ ...resources("ranking.js", "analysis.css"), state }),
  occlusion: (state = occlusionState()) => buildOcclusionHtml({ ...resources("occlusion.js", "analysis.css"), state }),
};

function check(html: string): { nonce: string; tags: Tag[] } {
  const { policy, nonce, tags: all } = readPage(html);
  assert.ok(nonce.length >= 16, policy);
  assert.equal(policy, `default-src 'none'; img-src ${CSP_SOURCE} data:; style-src ${CSP_SOURCE} 'nonce-${nonce}'; script-src 'nonce-${nonce}'`);
  assert.ok(html.indexOf("Content-Security-Policy") < html.indexOf("<link"));
  const scripts = all.filter((t) => t.name === "script");
  assert.equal(scripts.length, 2, "the state JSON and the panel script");
  for (const s of scripts) assert.equal(s.attrs.get("nonce"), nonce);
  assert.equal((html.match(/<\/script/gi) ?? []).length, 2, "nothing closes a script early");
  for (const t of all) {
    for (const name of t.attrs.keys()) assert.ok(!name.startsWith("on"), `inline handler ${name} on <${t.name}>`);
    assert.ok(!t.attrs.has("style"), `inline style on <${t.name}>`);
    for (const a of ["src", "href"]) {
      const v = t.attrs.get(a);
      if (v !== undefined) assert.ok(v.startsWith(`${MEDIA}/`) || /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/.test(v), `<${t.name} ${a}="${v}">`);
    }
  }
  return { nonce, tags: all };
}

describe("analysis webviews' HTML", () => {
  for (const [name, build] of Object.entries(panels)) {
    it(`${name}: CSP with a fresh nonce per load, nonce'd scripts, resources from media or base64 only`, () => {
      const nonces = new Set(Array.from({ length: 10 }, () => check(build()).nonce));
      assert.equal(nonces.size, 10);
    });
  }

  it("escapes names from the model and the dataset and embeds the state as JSON that cannot close its script", () => {
    const ablation = panels.ablation(ablationState({ model: { modelId: "m", checkpointHash: "h", modelLabel: EVIL }, result: ablateResult({ layer: EVIL }) }));
    const ranking = panels.ranking(rankState({ result: rankResult({ classLabel: EVIL, layer: EVIL }) }));
    const occlusion = panels.occlusion(
      occlusionState({
        image: { uri: "file:///x.png", name: EVIL },
        result: occludeResult({
          classNames: [EVIL, "square", "triangle"],
          targetLabel: EVIL,
          mostProbable: { ...occludeResult().mostProbable, legend: [{ index: 0, label: EVIL, color: "red;x" as string, cells: 6 }] },
        }),
      }),
    );
    for (const html of [ablation, ranking]) {
      check(html);
      assert.ok(!html.includes("<img src=x"));
      assert.ok(html.includes("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
      const json = /<script id="unitscope-state" type="application\/json" nonce="[^"]+">([^<]*)<\/script>/.exec(html)?.[1];
      assert.ok(json, "the state is there");
      assert.ok(JSON.stringify(JSON.parse(json)).includes(JSON.stringify(EVIL).slice(1, -1)));
    }
    const parsed = tags(occlusion);
    assert.ok(!occlusion.includes("<img src=x"));
    assert.ok(
      parsed.filter((t) => t.name === "rect").every((t) => !t.attrs.has("fill")),
      "a colour that is not #rrggbb is not used",
    );
  });

  it("ablation and ranking: sortable headers, controls with labels, a live status", () => {
    const a = tags(panels.ablation());
    assert.deepEqual(
      a.filter((t) => t.name === "button" && t.attrs.get("class") === "sort").map((t) => t.attrs.get("data-sort")),
      ["class", "before", "after", "change"],
    );
    for (const id of ["show-control", "ablate-again", "overall", "chart", "rows", "status"])
      assert.ok(
        a.some((t) => t.attrs.get("id") === id),
        id,
      );
    assert.ok(a.filter((t) => t.name === "th").every((t) => t.attrs.get("scope") === "col"));
    const r = tags(panels.ranking());
    for (const id of ["top-k", "ablate-top", "curve", "rows", "stats-body", "status"])
      assert.ok(
        r.some((t) => t.attrs.get("id") === id),
        id,
      );
    for (const t of [a, r]) assert.ok(t.some((x) => x.attrs.get("role") === "status" && x.attrs.get("aria-live") === "polite"));
  });

  it("occlusion: figure 7's four pictures over the image, each overlay described, an opacity slider and the re-run form", () => {
    const html = panels.occlusion();
    const t = tags(html);
    const overlays = t.filter((x) => x.name === "img" && x.attrs.get("class") === "overlay");
    assert.deepEqual(
      overlays.map((x) => x.attrs.get("id")),
      ["map-probability", "map-class", "map-activity"],
    );
    assert.ok(overlays.every((x) => (x.attrs.get("alt") ?? "").length > 10));
    assert.equal(t.filter((x) => x.name === "img" && x.attrs.get("class") === "base").length, 4);
    const slider = t.find((x) => x.attrs.get("id") === "opacity")!;
    assert.equal(slider.attrs.get("type"), "range");
    assert.equal(slider.attrs.get("value"), "60");
    for (const id of ["target", "size", "stride", "fill", "layer", "unit", "run"])
      assert.ok(
        t.some((x) => x.attrs.get("id") === id),
        id,
      );
    assert.match(html, /<option value="" selected>Predicted \(triangle\)<\/option>/);
    assert.match(html, /<option value="conv4" selected>conv4 \(16 units\)<\/option>/, "the layer the daemon mapped by default");
    assert.match(html, /<option value="conv1">conv1 \(8 units\)<\/option>/);
    assert.match(html, /Unit 7 of conv4<\/strong> <span class="muted">\(strongest on the unoccluded image\)/);
    assert.match(html, /<rect width="12" height="12" fill="#4e79a7"><\/rect><\/svg><span>triangle<\/span> <span class="muted">3 positions/);
  });

  it("every analysis panel says how the images became input, warnings included, escaped; older results show nothing", () => {
    const preprocessing = {
      summary: `resize 36 then 32x32 (bilinear); mean 0.449 ${EVIL}`,
      mean: [0.449],
      std: [0.226],
      meanSource: "imagenetGray",
      stdSource: "imagenetGray",
      interpolation: "bilinear",
      warnings: [`classes matched by position ${EVIL}`, "grey default"],
    };
    const pages = [
      panels.ablation(ablationState({ result: ablateResult({ preprocessing }) })),
      panels.ranking(rankState({ result: rankResult({ preprocessing }) })),
      panels.occlusion(occlusionState({ result: occludeResult({ preprocessing }) })),
      buildUnitMapHtml({ ...resources("unitMap.js", "unitMap.css"), state: unitMapState({ preprocessing }) }),
    ];
    for (const html of pages) {
      check(html);
      assert.ok(!html.includes("<img src=x"));
      assert.match(
        html,
        /<section class="preprocessing" aria-label="Preprocessing"><p class="muted">Input: resize 36 then 32x32 \(bilinear\); mean 0.449 &lt;\/script&gt;/,
      );
      assert.equal(tags(html).filter((t) => t.attrs.get("class") === "warning").length, 2);
      assert.match(html, /⚠ classes matched by position &lt;\/script&gt;/);
    }
    for (const html of [panels.ablation(), panels.ranking(), panels.occlusion()]) assert.ok(!html.includes('class="preprocessing"'));
  });

  it("occlusion of a one-output model (a discriminator) shows its score, no p = and no class map", () => {
    const one = occludeResult({
      targetClass: 0,
      targetLabel: "real",
      targetProbability: 2.5,
      predictedClass: 0,
      classNames: ["real"],
      mostProbable: { classes: [0, 0, 0, 0, 0, 0], legend: [{ index: 0, label: "real", color: "#4e79a7", cells: 6 }], heatmapPng: TINY_PNG },
    });
    const html = panels.occlusion(occlusionState({ result: one }));
    check(html);
    assert.match(html, /The model's one output <strong>real<\/strong> \(a score, not a class probability\) = 2\.5 unoccluded/);
    assert.ok(!html.includes("p = ") && !html.includes("p(real)"), "no probability wording");
    const overlays = tags(html).filter((x) => x.name === "img" && x.attrs.get("class") === "overlay");
    assert.deepEqual(
      overlays.map((x) => x.attrs.get("id")),
      ["map-probability", "map-activity"],
    );
    assert.match(html, /<label hidden>Target class <select id="target">/, "one output: nothing to pick");
    assert.match(panels.occlusion(), /<label>Target class <select id="target">/);
  });

  it("occlusion without an activity map (a model without spatial layers) says why", () => {
    const s = occlusionState();
    delete s.result.activity;
    const html = panels.occlusion(s);
    check(html);
    assert.match(html, /no layer with spatial maps/);
    assert.ok(!html.includes('id="map-activity"'));
  });
});

describe("analysis panels' styles and scripts", () => {
  it("styles take colours from the theme (chart colours included) and hard-code none", () => {
    const css = pageStyles("analysis.css");
    for (const v of [
      "--vscode-foreground",
      "--vscode-editor-background",
      "--vscode-focusBorder",
      "--vscode-charts-blue",
      "--vscode-charts-red",
      "--vscode-charts-yellow",
      "--vscode-contrastBorder",
    ])
      assert.ok(css.includes(`var(${v}`), v);
    const code = css.replace(/\/\*[\s\S]*?\*\//g, "");
    assert.equal(code.match(/#[0-9a-fA-F]{3,8}\b|\b(rgb|rgba|hsl|hsla)\(|(?<![\w-])(white|black|red|blue|green|gray|grey)(?![\w-])/g), null);
  });

  for (const name of ["occlusion", "ablation", "ranking"]) {
    it(`media/${name}.js loads nothing from the network, never parses HTML and never sets style attributes`, () => {
      const js = fs.readFileSync(path.join(EXTENSION_ROOT, `media/${name}.js`), "utf8");
      assert.equal(js.match(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/g), null);
      assert.equal(js.match(/\beval\(|new Function\(|innerHTML|outerHTML|insertAdjacentHTML|document\.write|setAttribute\("style"/g), null);
    });
  }
});
