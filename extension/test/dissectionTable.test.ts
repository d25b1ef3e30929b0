import * as assert from "node:assert/strict";
import { categoryBars, filterRows, formatIou, labelledSummary, rowsOf, sortRows, type SortKey } from "../src/dissectionTable";
import { UNLABELLED } from "../src/dissectionMessages";
import { concept, layer, unit } from "./support/dissectionFixtures";

const rows = rowsOf(layer());
const units = (r: { unit: number }[]) => r.map((x) => x.unit);

describe("dissection table: rows", () => {
  it("has one row per unit with its label, category and IoU (the best concept's when unlabelled)", () => {
    assert.deepEqual(
      rows.map((r) => [r.unit, r.label, r.category, r.iou]),
      [
        [0, "circle", "shape", 0.31],
        [1, "red", "color", 0.27],
        [2, undefined, undefined, 0.02],
        [3, "house", "object", 0.12],
        [4, "red", "color", 0.05],
      ],
    );
    assert.equal(rows[2]!.best, "stripes");
    assert.deepEqual(rows[2]!.concepts, ["stripes", "sky"]);
  });
});

describe("dissection table: sorting", () => {
  const check = (key: SortKey, descending: boolean, expected: number[]) =>
    assert.deepEqual(units(sortRows(rows, key, descending)), expected, `${key} ${descending ? "desc" : "asc"}`);

  it("by IoU, best first or last, ties by unit", () => {
    check("iou", true, [0, 1, 3, 4, 2]);
    check("iou", false, [2, 4, 3, 1, 0]);
  });

  it("by unit number", () => {
    check("unit", false, [0, 1, 2, 3, 4]);
    check("unit", true, [4, 3, 2, 1, 0]);
  });

  it("by label, equal labels by IoU, unlabelled units last either way", () => {
    check("label", false, [0, 3, 1, 4, 2]);
    check("label", true, [1, 4, 3, 0, 2]);
  });

  it("by category, unlabelled last either way", () => {
    check("category", false, [1, 4, 3, 0, 2]);
    check("category", true, [0, 3, 1, 4, 2]);
  });

  it("does not change its input", () => {
    const before = units(rows);
    sortRows(rows, "iou", false);
    assert.deepEqual(units(rows), before);
  });
});

describe("dissection table: filtering", () => {
  const check = (text: string, category: string, expected: number[]) =>
    assert.deepEqual(units(filterRows(rows, { text, category }, UNLABELLED)), expected, `${JSON.stringify(text)} in ${JSON.stringify(category)}`);

  it("matches the start of a concept name or of a word in it, in any case", () => {
    check("RE", "", [1, 4]);
    check("  circ ", "", [0]);
    check("ouse", "", []); // not inside a word: "red" must not find "chequered"
    check("", "", [0, 1, 2, 3, 4]);
  });

  it("matches words inside multi-word concepts", () => {
    const windows = rowsOf(layer({ units: [unit(0, concept("car-window", "part", 0.1)), unit(1, concept("stained glass", "material", 0.1))] }));
    assert.deepEqual(units(filterRows(windows, { text: "win", category: "" }, UNLABELLED)), [0]);
    assert.deepEqual(units(filterRows(windows, { text: "glass", category: "" }, UNLABELLED)), [1]);
    assert.deepEqual(units(filterRows(windows, { text: "car-w", category: "" }, UNLABELLED)), [0]);
  });

  it("matches an unlabelled unit's best concepts too", () => {
    check("sky", "", [2]);
    check("stripes", "", [2]);
  });

  it("matches unit numbers as 3 or #3", () => {
    check("3", "", [3]);
    check("#4", "", [4]);
  });

  it("filters by the label's category, or to unlabelled units", () => {
    check("", "color", [1, 4]);
    check("", "texture", []);
    check("", UNLABELLED, [2]);
    check("red", "object", []);
  });
});

describe("dissection table: summary", () => {
  it("gives a bar per category with units, most first, ties in the reports' order, with the daemon's colours", () => {
    assert.deepEqual(categoryBars(layer()), [
      { category: "color", color: "#e15759", units: 2 },
      { category: "object", color: "#4e79a7", units: 1 },
      { category: "shape", color: "#edc948", units: 1 },
    ]);
  });

  it("says how many units are labelled and formats IoU", () => {
    assert.equal(labelledSummary(layer()), "4/5 units labelled");
    assert.equal(formatIou(0.3141), "0.31");
    assert.equal(formatIou(Number.NaN), "–");
  });
});
