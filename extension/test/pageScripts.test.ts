// Every webview script takes the host's messages through listenToHost (webview/page.ts), which tells
// the host that the page listens: a script with its own "message" listener never says so, and the
// host holds what it posts for that page (pageReady.ts).

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { EXTENSION_ROOT } from "./support/fixtures";

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith(".ts") ? [p] : [];
  });
}

describe("webview page scripts", () => {
  it("take the host's messages through listenToHost only", () => {
    const src = path.join(EXTENSION_ROOT, "src");
    const own = sources(src)
      .filter((f) => !f.endsWith(path.join("webview", "page.ts")))
      .filter((f) => /addEventListener\(\s*["']message["']/.test(fs.readFileSync(f, "utf8")))
      .map((f) => path.relative(src, f));
    assert.deepEqual(own, [], "scripts with their own message listener");
  });
});
