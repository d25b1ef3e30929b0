import * as assert from "node:assert/strict";
import { afterOf, curveGeometry, formatDrop, formatMetric, mergeRanked, rankUnits, topUnits } from "../src/rankCurve";
import type { RankedUnit } from "../src/protocol.generated";
import { rankResult } from "./support/analysisFixtures";

const unit = (n: number, drop: number): RankedUnit => ({ unit: n, drop, accuracyDrop: drop, logProbabilityDrop: drop });

describe("ranking units", () => {
  it("ranks by drop, largest first, ties by unit", () => {
    assert.deepEqual(
      rankUnits([unit(4, 0.1), unit(2, 0.3), unit(1, 0.1), unit(0, -0.2)]).map((u) => u.unit),
      [2, 1, 4, 0],
    );
  });

  it("merges partial results as they come, a unit measured again replacing the old value", () => {
    let known: RankedUnit[] = [];
    known = mergeRanked(known, [unit(0, 0.1), unit(1, 0.4)]);
    known = mergeRanked(known, [unit(2, 0.2), unit(0, 0.5)]);
    assert.deepEqual(
      known.map((u) => [u.unit, u.drop]),
      [
        [0, 0.5],
        [1, 0.4],
        [2, 0.2],
      ],
    );
    assert.deepEqual(topUnits(known, 2), [0, 1]);
    assert.deepEqual(topUnits(known, 10), [0, 1, 2]);
  });

  it("knows a unit's metric after zeroing it once the metric before is known", () => {
    assert.equal(afterOf({ ...unit(0, 0.25), after: 0.5 }, undefined), 0.5);
    assert.equal(afterOf(unit(0, 0.25), undefined), undefined);
    assert.equal(afterOf(unit(0, 0.25), 0.75), 0.5);
  });
});

describe("top-k vs random-k curve", () => {
  it("puts k on x from 0 and accuracy on y from 0 to 100 %, with a band of ±1 sd around the random line", () => {
    const g = curveGeometry(rankResult().curve!, "accuracy", { width: 330, height: 130, margin: { left: 30, right: 0, top: 10, bottom: 20 } });
    assert.deepEqual([g.left, g.right, g.top, g.bottom], [30, 330, 10, 110]);
    assert.deepEqual(
      g.points.map((p) => [p.k, p.x, p.topY, p.randomY]),
      [
        [1, 130, 80, 32],
        [2, 230, 100, 35],
        [3, 330, 110, 40],
      ],
    );
    assert.equal(g.topPath, "M130 80 L230 100 L330 110");
    assert.equal(g.randomPath, "M130 32 L230 35 L330 40");
    assert.equal(g.bandPath, "M130 30 L230 30 L330 35 L330 45 L230 40 L130 34 Z");
    assert.deepEqual(
      g.yTicks.map((t) => t.value),
      [0, 0.25, 0.5, 0.75, 1],
    );
  });

  it("spans the values' range for log-probabilities", () => {
    const curve = [
      { k: 1, topK: -2, randomK: -0.5, randomStd: 0.1 },
      { k: 2, topK: -4, randomK: -0.6, randomStd: 0.1 },
    ];
    const g = curveGeometry(curve, "logProbability");
    assert.ok(g.yMin < -4 && g.yMin > -4.5, String(g.yMin));
    assert.ok(g.yMax > -0.4 && g.yMax < 0, String(g.yMax));
    assert.equal(g.points[1]!.topY > g.points[0]!.topY, true, "lower values lower on the chart");
  });

  it("draws nothing from an empty or non-finite curve", () => {
    const g = curveGeometry([{ k: 1, topK: Number.NaN, randomK: 0, randomStd: 0 }], "accuracy");
    assert.equal(g.topPath, "");
    assert.equal(g.bandPath, "");
  });

  it("writes accuracy as percentages and log-probabilities as numbers", () => {
    assert.equal(formatMetric(0.8, "accuracy"), "80.0%");
    assert.equal(formatMetric(-1.2345, "logProbability"), "-1.23");
    assert.equal(formatDrop(0.125, "accuracy"), "12.5 pts");
    assert.equal(formatDrop(-0.05, "accuracy"), "−5.0 pts");
    assert.equal(formatDrop(0.5, "logProbability"), "0.500");
    assert.equal(formatDrop(-1e-9, "logProbability"), "0.000", "no minus sign on a zero");
    assert.equal(formatMetric(-0.001, "logProbability"), "0.00");
    assert.equal(formatMetric(-0.5, "logProbability"), "-0.50");
  });
});
