import * as assert from "node:assert/strict";
import { isBase64 } from "../src/guards";
import { parseUnitMapMessage, parseUnitMapPanelState, validateUnitInput } from "../src/unitMapMessages";
import { state, TINY_PNG } from "./support/fixtures";

describe("webview → host message validation", () => {
  const check = (raw: unknown, expected: unknown) => assert.deepEqual(parseUnitMapMessage(raw), expected, JSON.stringify(raw));

  it("accepts each known message", () => {
    check({ type: "showUnit", unit: 4 }, { type: "showUnit", unit: 4 });
    check({ type: "pickUnit" }, { type: "pickUnit" });
    check({ type: "openImage" }, { type: "openImage" });
  });

  it("drops extra fields", () => check({ type: "openImage", path: "/etc/passwd" }, { type: "openImage" }));

  it("rejects unknown types and malformed units", () => {
    for (const raw of [
      null,
      "showUnit",
      [],
      {},
      { type: "eval", code: "x" },
      { type: "showUnit" },
      { type: "showUnit", unit: -1 },
      { type: "showUnit", unit: 1.5 },
      { type: "showUnit", unit: "3" },
      { type: "showUnit", unit: Number.NaN },
    ])
      check(raw, undefined);
  });
});

describe("persisted panel state validation", () => {
  const check = (raw: unknown, ok: boolean) => assert.equal(parseUnitMapPanelState(raw) !== undefined, ok, JSON.stringify(raw)?.slice(0, 120));

  it("accepts a state the panel wrote", () => {
    const s = state();
    assert.deepEqual(parseUnitMapPanelState(JSON.parse(JSON.stringify(s))), s);
  });

  it("defaults a missing or out-of-range opacity", () => {
    assert.equal(parseUnitMapPanelState({ ...state(), opacity: 7 })?.opacity, 1);
    assert.equal(parseUnitMapPanelState({ ...state(), opacity: undefined })?.opacity, 1);
  });

  it("rejects missing, old or malformed states", () => {
    check(undefined, false);
    check({ version: 2, view: state().view, opacity: 1 }, false);
    check({ ...state(), view: { ...state().view, layer: 5 } }, false);
    check({ ...state(), view: { ...state().view, unit: 16 } }, false);
    check({ ...state(), view: { ...state().view, mapWidth: -1 } }, false);
    check({ ...state(), view: { ...state().view, overlayPng: '"><script>alert(1)</script>' } }, false);
  });
});

describe("unit input validation", () => {
  const check = (text: string, units: number, error: RegExp | undefined) => {
    const got = validateUnitInput(text, units);
    if (error) assert.match(got ?? "(valid)", error, text);
    else assert.equal(got, undefined, text);
  };

  it("accepts 0..units-1", () => {
    check("0", 16, undefined);
    check("15", 16, undefined);
    check(" 7 ", 16, undefined);
  });

  it("rejects out-of-range and non-integer input", () => {
    check("16", 16, /out of range.*16 units \(0 to 15\)/);
    check("-1", 16, /from 0 to 15/);
    check("1.5", 16, /from 0 to 15/);
    check("", 16, /from 0 to 15/);
    check("abc", 16, /from 0 to 15/);
    check("0", 0, /no units/);
  });
});

describe("base64 check", () => {
  it("tells base64 from anything that could break out of a data: URI", () => {
    assert.equal(isBase64(TINY_PNG), true);
    for (const bad of ["", "abc", 'AAAA"', "AA AA", "AAAA<", 5, null]) assert.equal(isBase64(bad), false, String(bad));
  });
});
