#!/usr/bin/python3
"""Makes a runnable copy of NetDissect-Lite for bench/versus-netdissect: the minimal patches today's
Python, NumPy and SciPy need, and a settings.py for the given data, checkpoint and layer.

    prepare.py SOURCE_CHECKOUT WORK_DIR --data BRODEN_DIR --checkpoint FILE --layer L [--arch resnet18]

The patches (each says why; nothing else of NetDissect-Lite's code is changed):
- `from scipy.misc import imread/imresize/imsave` -> compat.py (SciPy 1.2 removed them).
- `raise StopIteration` inside generators -> `return` (PEP 479 made it a RuntimeError in Python 3.7).
- visualize/bargraph.py: an empty bar graph when no unit reaches SCORE_THRESHOLD (a model with random
  weights has none) instead of `max()` of an empty list ending the run before the report.
- main.py turns autograd off: `Variable(x, volatile=True)` meant that until PyTorch 0.4, and is ignored
  (with a warning) since, so without this every forward pass would record a graph.
- settings.py is written anew (CPU, the given model and folder, every category of the folder).
"""
import argparse
import csv
import os
import re
import shutil
import sys


def patch_sources(work):
    count = 0
    for folder, _, files in os.walk(work):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            text = open(path).read()
            new = re.sub(r"^from scipy\.misc import ", "from unitscope_compat import ", text, flags=re.M)
            new = re.sub(r"^(\s+)raise StopIteration\s*$", r"\1return", new, flags=re.M)
            if new != text:
                open(path, "w").write(new)
                count += 1
    bargraph = os.path.join(work, "visualize", "bargraph.py")
    text = open(bargraph).read()
    open(bargraph, "w").write(text.replace("max(heights)", "max(heights + [1])"))
    main = os.path.join(work, "main.py")
    text = open(main).read()
    if "set_grad_enabled" not in text:
        open(main, "w").write("import torch\ntorch.set_grad_enabled(False)  # what volatile=True meant\n" + text)
    shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)), "compat.py"),
                os.path.join(work, "unitscope_compat.py"))
    return count


def write_settings(work, data, checkpoint, layer, arch, out, workers):
    with open(os.path.join(data, "category.csv")) as f:
        categories = [row["name"] for row in csv.DictReader(f)]
    with open(os.path.join(data, "index.csv")) as f:
        size = int(next(csv.DictReader(f))["ih"])
    settings = f"""# Written by UnitScope's bench/netdissect/prepare.py: CPU, one checkpoint, every category of the folder.
GPU = False
TEST_MODE = False
CLEAN = True
MODEL = {arch!r}
DATASET = 'imagenet'
QUANTILE = 0.005
SEG_THRESHOLD = 0.04
SCORE_THRESHOLD = 0.04
TOPN = 10
PARALLEL = 1
CATAGORIES = {categories!r}
OUTPUT_FOLDER = {out!r}
DATA_DIRECTORY = {data!r}
IMG_SIZE = {size}
NUM_CLASSES = 1000
FEATURE_NAMES = [{layer!r}]
MODEL_FILE = {checkpoint!r}
MODEL_PARALLEL = False
WORKERS = {workers}
BATCH_SIZE = 128
TALLY_BATCH_SIZE = 16
TALLY_AHEAD = 4
INDEX_FILE = 'index.csv'
"""
    open(os.path.join(work, "settings.py"), "w").write(settings)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("source")
    p.add_argument("work")
    p.add_argument("--data", required=True)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--layer", default="layer4")
    p.add_argument("--arch", default="resnet18")
    p.add_argument("--out", required=True, help="NetDissect-Lite's OUTPUT_FOLDER")
    p.add_argument("--workers", type=int, default=os.cpu_count())
    a = p.parse_args()
    if os.path.exists(a.work):
        shutil.rmtree(a.work)
    shutil.copytree(a.source, a.work, ignore=shutil.ignore_patterns(".git"))
    if not os.path.exists(os.path.join(a.work, "feature_operation.py")):
        sys.exit(f"{a.source} is not a NetDissect-Lite checkout (no feature_operation.py)")
    patched = patch_sources(a.work)
    write_settings(a.work, os.path.abspath(a.data), os.path.abspath(a.checkpoint), a.layer, a.arch,
                   os.path.abspath(a.out), a.workers)
    print(f"NetDissect-Lite in {a.work}: {patched} files patched (scipy.misc, StopIteration), autograd off, settings written")


if __name__ == "__main__":
    main()
