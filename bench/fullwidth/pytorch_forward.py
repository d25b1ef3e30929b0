#!/usr/bin/python3
"""PyTorch's forward passes over a Broden-format folder's first images, for `bench/dissect --versus-pytorch`.

    /usr/bin/python3 bench/fullwidth/pytorch_forward.py CHECKPOINT ARCH BRODEN_DIR IMAGES BATCH THREADS

Decodes the images and normalises them as torchvision's ImageNet transforms do (the images are already at the
model's input size), then, with autograd off and `torch.set_num_threads(THREADS)`, times one warm-up batch and then
the forward passes of every batch from tensors already in memory. Prints one JSON line: wall and CPU seconds of
the passes (CPU: this process, every thread), the torch version and thread counts.
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torchvision
from PIL import Image

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def main():
    checkpoint, arch, broden, images, batch, threads = sys.argv[1:7]
    images, batch, threads = int(images), int(batch), int(threads)
    torch.set_num_threads(threads)
    model = getattr(torchvision.models, arch)()
    model.load_state_dict(torch.load(checkpoint, map_location="cpu"))
    model.eval()
    with open(os.path.join(broden, "index.csv")) as f:
        names = [line.split(",")[0] for line in f.read().splitlines()[1:images + 1]]
    pixels = np.stack([np.asarray(Image.open(os.path.join(broden, "images", n)).convert("RGB"), dtype=np.float32) / 255
                       for n in names])
    x = (torch.from_numpy(pixels).permute(0, 3, 1, 2) - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    batches = [x[s:s + batch].contiguous() for s in range(0, len(names), batch)]
    with torch.no_grad():
        model(batches[0])
        cpu, wall = time.process_time(), time.perf_counter()
        for b in batches:
            model(b)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"wall": wall, "cpu": cpu, "images": len(names), "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "interop": torch.get_num_interop_threads()}))


if __name__ == "__main__":
    main()
