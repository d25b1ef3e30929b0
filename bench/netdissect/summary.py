#!/usr/bin/python3
"""Prints bench/versus-netdissect's table from the runs' timed.py records, and how far the two tools'
labels agree (each unit's best concept over all categories, whatever its IoU).

    summary.py RUNS_DIR IMAGES UNITSCOPE_REPORT_DIR NETDISSECT_OUTPUT_DIR
"""
import csv
import glob
import json
import os
import statistics
import sys


def runs(folder, tool):
    return [json.load(open(p)) for p in sorted(glob.glob(os.path.join(folder, f"{tool}-*.json")))]


def describe(name, records, images):
    walls = [r["wall"] for r in records]
    cpus = [r["cpu"] for r in records]
    rss = [r["peak_rss_mib"] for r in records]
    failed = sum(r["exit"] != 0 for r in records)
    print(f"| {name} | {min(walls):.1f}–{max(walls):.1f} s | {statistics.median(cpus):.1f} s | "
          f"{images / statistics.median(walls):.1f} | {min(rss):.0f}–{max(rss):.0f} MiB |" + (f" {failed} failed" if failed else ""))
    return statistics.median(walls), statistics.median(cpus)


def unitscope_labels(report):
    layers = json.load(open(os.path.join(report, "dissection.json")))
    units = layers[0]["units"]
    return {u["unit"]: (u["best"]["concept"], u["best"]["category"], u["best"]["iou"]) for u in units if u.get("best")}


def netdissect_labels(output):
    with open(os.path.join(output, "tally.csv")) as f:
        return {int(r["unit"]) - 1: (r["label"], r["category"], float(r["score"])) for r in csv.DictReader(f)}


def main():
    folder, images, report, output = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    print(f"| {images} images | wall (min–max) | CPU (median) | images/s (median wall) | peak RSS |")
    print("|---|---|---|---|---|")
    ours = describe("UnitScope `dissect` (uncached, report included)", runs(folder, "unitscope"), images)
    theirs = describe("NetDissect-Lite (patched, report included)", runs(folder, "netdissect"), images)
    print()
    print(f"NetDissect-Lite / UnitScope: {theirs[0] / ours[0]:.2f}x in wall time (medians), {theirs[1] / ours[1]:.2f}x in CPU seconds")
    a, b = unitscope_labels(report), netdissect_labels(output)
    common = sorted(set(a) & set(b))
    same = sum(a[u][0] == b[u][0] for u in common)
    same_category = sum(a[u][1] == b[u][1] for u in common)
    labelled = [u for u in common if a[u][2] >= 0.04 or b[u][2] >= 0.04]
    print(f"best concept agrees on {same}/{len(common)} units, best category on {same_category}/{len(common)}; "
          f"units over IoU 0.04 in either tool: {len(labelled)}, agreeing {sum(a[u][0] == b[u][0] for u in labelled)}")


if __name__ == "__main__":
    main()
