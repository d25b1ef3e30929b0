#!/usr/bin/python3
"""Full-width torchvision models for bench/dissect: ResNet-18 and VGG16 with seeded random weights.

No pretrained weights can be downloaded here, so the weights are torchvision's own initialisation
from a fixed seed; BatchNorm's running statistics are then set by forward passes over the probe
images given (train mode, cumulative averages), so activations have the scale a trained network's
have rather than the blank initial statistics. Deterministic for a given torch version and images.

    /usr/bin/python3 bench/fullwidth/make_models.py OUT_DIR [BRODEN_DIR]

Writes OUT_DIR/resnet18.pth and OUT_DIR/vgg16.pth (state_dicts, 45 and 528 MB: never committed).
"""
import os
import sys

import numpy as np
import torch
import torchvision
from PIL import Image

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def calibration_batches(broden, count=64, batch=16):
    """The first images of a Broden-format folder, normalised as ImageNet models expect."""
    with open(os.path.join(broden, "index.csv")) as f:
        names = [line.split(",")[0] for line in f.read().splitlines()[1:count + 1]]
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    for start in range(0, len(names), batch):
        pixels = [np.asarray(Image.open(os.path.join(broden, "images", n)).convert("RGB"), dtype=np.float32) / 255
                  for n in names[start:start + batch]]
        x = torch.from_numpy(np.stack(pixels)).permute(0, 3, 1, 2)
        yield (x - mean) / std


def calibrate(model, broden):
    """BatchNorm running statistics as the cumulative average over the calibration images."""
    if broden is None or not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules()):
        return
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    with torch.no_grad():
        for x in calibration_batches(broden):
            model(x)
    model.eval()


def main():
    out = sys.argv[1]
    broden = sys.argv[2] if len(sys.argv) > 2 else None
    os.makedirs(out, exist_ok=True)
    for name, seed in [("resnet18", 18), ("vgg16", 16)]:
        path = os.path.join(out, name + ".pth")
        if os.path.exists(path):
            continue
        torch.manual_seed(seed)
        model = getattr(torchvision.models, name)()
        calibrate(model, broden)
        torch.save(model.state_dict(), path + ".tmp")
        os.replace(path + ".tmp", path)
        print(f"wrote {path} ({os.path.getsize(path) / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
