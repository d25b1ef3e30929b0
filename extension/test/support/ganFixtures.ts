// The odd test generator and segmenter of tests/fixtures/gan (made by make_gan_fixtures.py), as the GAN
// tests give them to the daemon: the segmenter copied into a folder with its NAME.segments.txt beside it.

import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "./fixtures";

export const GAN_FIXTURES = path.join(REPO_ROOT, "tests/fixtures/gan");
export const ODD_GENERATOR = path.join(GAN_FIXTURES, "dcgan_odd.pth");

/** The odd segmenter's classes: two categories, index 0 of each is "none". */
const SEGMENTS = ["shade\t-", "shade\ts1", "shade\ts2", "shade\ts3", "shade\ts4", "part\t-", "part\tp1", "part\tp2", "part\tp3"];

/** The odd segmenter in `folder` with its segments file; returns its path. */
export function oddSegmenter(folder: string): string {
  const segmenter = path.join(folder, "seg.pth");
  fs.copyFileSync(path.join(GAN_FIXTURES, "segmenter_odd.pth"), segmenter);
  fs.writeFileSync(path.join(folder, "seg.segments.txt"), SEGMENTS.join("\n") + "\n");
  return segmenter;
}
