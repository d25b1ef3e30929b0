// A small training run for the Evolution and Compare panels' tests: the sample SmallCNN (its
// checkpoint says epoch 6) as `epoch_6.pth` and again as `last.pth` (the same bytes), and a copy
// whose conv3 weight has noise of its own spread added, saved by PyTorch as epoch 3
// (`epoch_3.pth`). Made with Debian's PyTorch (findTorchPython); removed by the caller
// (with its `parent`, when given).

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "./fixtures";

export const SAMPLE = path.join(REPO_ROOT, "samples/smallcnn.pth");

const NOISY = `
import sys, torch
d = torch.load(sys.argv[1])
w = d["model_state_dict"]["conv3.weight"]
g = torch.Generator().manual_seed(3)
d["model_state_dict"]["conv3.weight"] = w + torch.randn(w.shape, generator=g) * w.std()
d["epoch"] = 3
torch.save(d, sys.argv[2])
`;

/** The run's folder: a new one in the temp folder, or `run` under `parent`. */
export function makeTrainingRun(python: string, parent?: string): string {
  const folder = parent ? path.join(parent, "run") : fs.mkdtempSync(path.join(os.tmpdir(), "unitscope-run-"));
  fs.mkdirSync(folder, { recursive: true });
  fs.copyFileSync(SAMPLE, path.join(folder, "epoch_6.pth"));
  fs.copyFileSync(SAMPLE, path.join(folder, "last.pth"));
  const r = spawnSync(python, ["-c", NOISY, SAMPLE, path.join(folder, "epoch_3.pth")], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`making the run's noisy checkpoint failed: ${r.stderr}`);
  return folder;
}
