import * as assert from "node:assert/strict";
import { chartGeometry, chartSizeFor, DEFAULT_CHART, formatChange, MIN_CHART_WIDTH, formatPercent, sortClasses } from "../src/ablationChart";
import { ablateResult } from "./support/analysisFixtures";

const classes = ablateResult().classes;

describe("ablation chart and table", () => {
  it("sorts classes by change (largest drop first), by name, or by accuracy before/after (highest first), and reverses", () => {
    const names = (sort: Parameters<typeof sortClasses>[1], reversed = false) => sortClasses(classes, sort, reversed).map((c) => c.label);
    assert.deepEqual(names("change"), ["square", "circle", "triangle"]);
    assert.deepEqual(names("change", true), ["triangle", "circle", "square"]);
    assert.deepEqual(names("class"), ["circle", "square", "triangle"]);
    assert.deepEqual(names("before"), ["triangle", "circle", "square"]);
    assert.deepEqual(names("after"), ["triangle", "circle", "square"]);
  });

  it("breaks ties by class index", () => {
    const tied = [
      { class: 4, label: "b", images: 1, before: 1, after: 0.5 },
      { class: 2, label: "a", images: 1, before: 0.5, after: 0 },
    ];
    assert.deepEqual(
      sortClasses(tied, "change").map((c) => c.class),
      [2, 4],
    );
  });

  it("lays out one band per class with before, after and control bars scaled to the plot", () => {
    const g = chartGeometry(classes, { width: 440, labelWidth: 140, barHeight: 10, barGap: 2, rowGap: 6, axisHeight: 20 });
    assert.equal(g.plotX, 140);
    assert.equal(g.plotWidth, 280);
    assert.equal(g.rows.length, 3);
    const square = g.rows[0]!;
    assert.deepEqual(
      square.bars.map((b) => [b.kind, b.x, b.y, b.width, b.height]),
      [
        ["before", 140, 0, 224, 10],
        ["after", 140, 12, 56, 10],
        ["control", 140, 24, 196, 10],
      ],
    );
    assert.equal(square.height, 34);
    assert.equal(g.rows[1]!.y, 40);
    assert.equal(g.height, 3 * 34 + 2 * 6 + 20);
    assert.deepEqual(
      g.ticks.map((t) => t.x),
      [140, 210, 280, 350, 420],
    );
  });

  it("takes the width of its container, so nothing scrolls sideways, with room right of 100% for its label", () => {
    assert.deepEqual(chartSizeFor(900), { width: 900, labelWidth: 140 });
    assert.deepEqual(chartSizeFor(333.7), { width: 333, labelWidth: 100 });
    assert.deepEqual(chartSizeFor(100), { width: MIN_CHART_WIDTH, labelWidth: 78 });
    assert.deepEqual(chartSizeFor(0), { width: DEFAULT_CHART.width, labelWidth: 140 }, "not laid out yet");
    assert.deepEqual(chartSizeFor(Number.NaN), { width: DEFAULT_CHART.width, labelWidth: 140 });
    for (const available of [MIN_CHART_WIDTH, 333, 480, 1200]) {
      const g = chartGeometry(classes, chartSizeFor(available));
      const last = g.ticks[g.ticks.length - 1]!;
      // "100%" in 11 px text is about 26 px wide, centred on its grid line.
      assert.ok(last.x + 13 <= g.width, `100% at ${last.x} in ${g.width}`);
      assert.ok(g.width <= Math.max(available, MIN_CHART_WIDTH));
    }
  });

  it("leaves out the control bars when hidden or unknown, and clamps values to 0–100%", () => {
    assert.deepEqual(
      chartGeometry(classes, { showControl: false }).rows[0]!.bars.map((b) => b.kind),
      ["before", "after"],
    );
    const noControl = classes.map(({ controlAfter: _c, ...c }) => c);
    assert.deepEqual(
      chartGeometry(noControl).rows[0]!.bars.map((b) => b.kind),
      ["before", "after"],
    );
    const odd = chartGeometry([{ class: 0, label: "x", images: 1, before: 1.5, after: -1 }], { width: 240, labelWidth: 40 });
    assert.deepEqual(
      odd.rows[0]!.bars.map((b) => b.width),
      [180, 0],
    );
    assert.equal(chartGeometry([]).rows.length, 0);
  });

  it("writes accuracies as percentages and changes as signed points", () => {
    assert.equal(formatPercent(0.6667), "66.7%");
    assert.equal(formatPercent(undefined), "–");
    assert.equal(formatChange(0.2 - 0.8), "−60.0 pts");
    assert.equal(formatChange(0.05), "+5.0 pts");
    assert.equal(formatChange(0), "0.0 pts");
    assert.equal(formatChange(Number.NaN), "–");
  });
});
