import * as assert from "node:assert/strict";
import { HeldMessages, isPageReady, PAGE_NUMBER_META, PAGE_READY, withPageNumber } from "../src/pageReady";

describe("messages to a webview page held until it listens", () => {
  function channel(limit?: number) {
    const sent: string[] = [];
    return { sent, messages: new HeldMessages<string>((m) => sent.push(m), limit) };
  }

  it("holds what is posted before the page listens and sends it in order once it does", () => {
    const { sent, messages } = channel();
    const page = messages.newPage();
    messages.post("a");
    messages.post("b");
    assert.deepEqual(sent, []);
    assert.equal(messages.waiting, 2);
    messages.ready(page);
    assert.deepEqual(sent, ["a", "b"]);
    messages.post("c");
    assert.deepEqual(sent, ["a", "b", "c"]);
    assert.equal(messages.waiting, 0);
  });

  it("a new page drops what was held for the old one and waits for the new page's own report", () => {
    const { sent, messages } = channel();
    const first = messages.newPage();
    messages.ready(first);
    messages.post("to the first page");
    const second = messages.newPage();
    assert.notEqual(second, first);
    messages.post("x");
    // The first page's report, late, must not release messages to the second before it listens.
    messages.ready(first);
    assert.deepEqual(sent, ["to the first page"]);
    messages.ready(second);
    assert.deepEqual(sent, ["to the first page", "x"]);
  });

  it("a hidden page (unloaded, same HTML) gets what was posted meanwhile when it reports again", () => {
    const { sent, messages } = channel();
    const page = messages.newPage();
    messages.ready(page);
    messages.pageGone();
    messages.post("result while hidden");
    assert.deepEqual(sent, []);
    messages.ready(page);
    assert.deepEqual(sent, ["result while hidden"]);
  });

  it("keeps at most its limit, dropping the oldest", () => {
    const { sent, messages } = channel(3);
    const page = messages.newPage();
    for (const m of ["1", "2", "3", "4", "5"]) messages.post(m);
    messages.ready(page);
    assert.deepEqual(sent, ["3", "4", "5"]);
  });

  it("numbers a page in a <meta> at the top of its head, and knows a ready report by shape", () => {
    const html = withPageNumber('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="UTF-8">\n</head><body></body></html>', 7);
    assert.match(html, new RegExp(`<head>\\n<meta name="${PAGE_NUMBER_META}" content="7">\\n<meta charset`));
    assert.ok(isPageReady({ type: PAGE_READY, page: 7 }));
    assert.ok(!isPageReady({ type: PAGE_READY, page: "7" }));
    assert.ok(!isPageReady({ type: "ready", page: 7 }));
    assert.ok(!isPageReady(null));
  });
});
