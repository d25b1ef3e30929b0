// The extension's own tests, run by VS Code's extension host (code-server, `extensionTestsPath`):
// mocha over the *.test.js files next to this one. The results go to a JSON file the driver waits
// for (UNITSCOPE_EDITOR_RESULTS), since the host's console stays in the browser.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Mocha from "mocha";

export interface HostResults {
  passes: string[];
  failures: { title: string; error: string }[];
  pending: string[];
  durationMs: number;
}

export const RESULTS_FILE = process.env.UNITSCOPE_EDITOR_RESULTS ?? path.join(os.tmpdir(), "unitscope-host-results.json");

export async function run(): Promise<void> {
  const started = Date.now();
  const mocha = new Mocha({ ui: "bdd", timeout: 180_000, color: false, reporter: "spec" });
  for (const f of fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith(".test.js"))
    .sort())
    mocha.addFile(path.join(__dirname, f));
  const results: HostResults = { passes: [], failures: [], pending: [], durationMs: 0 };
  try {
    await new Promise<void>((resolve) => {
      const runner = mocha.run(() => resolve());
      runner.on("pass", (t) => results.passes.push(t.fullTitle()));
      runner.on("pending", (t) => results.pending.push(t.fullTitle()));
      runner.on("fail", (t, err: Error) => results.failures.push({ title: t.fullTitle(), error: String(err?.stack ?? err) }));
    });
  } catch (e) {
    results.failures.push({ title: "running the suite", error: String((e as Error)?.stack ?? e) });
  }
  results.durationMs = Date.now() - started;
  fs.writeFileSync(RESULTS_FILE, JSON.stringify(results, null, 1));
}
