// A Python with PyTorch for the exporter's tests: UNITSCOPE_TEST_PYTHON, else Debian's /usr/bin/python3
// (apt-get install python3-torch); the `python3` first on PATH may be another interpreter.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { DLL } from "./daemon";
import { REPO_ROOT } from "./fixtures";

/** The interpreter, or why there is none (for the skip message). */
export function findTorchPython(): { python: string } | { reason: string } {
  const candidates = [process.env.UNITSCOPE_TEST_PYTHON, "/usr/bin/python3"].filter((p): p is string => !!p);
  for (const python of candidates) {
    const r = spawnSync(python, ["-c", "import torch"], { encoding: "utf8", timeout: 60_000 });
    if (r.status === 0) return { python };
  }
  return {
    reason:
      `no Python with PyTorch (tried ${candidates.join(", ")}); on Debian: apt-get install python3-torch, ` +
      "or set UNITSCOPE_TEST_PYTHON to an interpreter that has torch",
  };
}

/** For a suite that exports with real PyTorch and loads into the built daemon: the interpreter, else the suite is
 * skipped with a line saying what is missing (call in `before`). */
export function torchPythonAndDaemon(context: Mocha.Context): string {
  const found = findTorchPython();
  if ("reason" in found) {
    console.log(`      SKIPPED: ${found.reason}.`);
    context.skip();
  }
  if (!fs.existsSync(DLL)) {
    console.log(`      SKIPPED: the daemon is not built (${path.relative(REPO_ROOT, DLL)} is missing); run \`dotnet build server/UnitScope.Cli\`.`);
    context.skip();
  }
  return (found as { python: string }).python;
}
