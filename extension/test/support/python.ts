// A Python with PyTorch for the exporter's tests: UNITSCOPE_TEST_PYTHON, else Debian's /usr/bin/python3
// (apt-get install python3-torch); the `python3` first on PATH may be another interpreter.

import { spawnSync } from "node:child_process";

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
