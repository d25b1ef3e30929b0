"""Train the sample SmallCNN on synthetic shapes: the training script UnitScope's samples ship with.

Open this file in VS Code with the UnitScope extension, load samples/smallcnn.pth, and hover
`self.conv1`, `self.bn2` or `model.conv4` below to see what the daemon knows of each layer.

Run (Debian: apt install python3-torch):  /usr/bin/python3 samples/train_smallcnn.py
It writes samples/smallcnn.pth, samples/smallcnn.classes.txt and samples/images/*.png.
"""
import math
import os
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CLASSES = ["circle", "square", "triangle", "cross"]
IMAGE_SIZE = 64
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)


class SmallCNN(nn.Module):
    """Four conv blocks and a linear classifier; widths double every other block."""

    def __init__(self, in_channels=3, num_classes=10, width=16):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width * 2, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(width * 2)
        self.conv3 = nn.Conv2d(width * 2, width * 4, 3, padding=1)
        self.bn3 = nn.BatchNorm2d(width * 4)
        self.conv4 = nn.Conv2d(width * 4, width * 4, 3, padding=1)
        self.bn4 = nn.BatchNorm2d(width * 4)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width * 4, num_classes)

    def forward(self, x):
        x = self.pool(self.relu(self.bn1(self.conv1(x))))
        x = self.pool(self.relu(self.bn2(self.conv2(x))))
        x = self.pool(self.relu(self.bn3(self.conv3(x))))
        x = self.relu(self.bn4(self.conv4(x)))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def draw_shape(rng, label):
    """One RGB image in [0,1] (H, W, 3): a coloured shape on a noisy coloured background."""
    size = IMAGE_SIZE
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    background = rng.uniform(0, 1, 3)
    image = np.ones((size, size, 3), np.float32) * background
    image += rng.normal(0, 0.08, (size, size, 3))
    colour = rng.uniform(0, 1, 3)
    while np.abs(colour - background).sum() < 0.9:
        colour = rng.uniform(0, 1, 3)
    r = rng.uniform(9, 18)
    cx, cy = rng.uniform(r + 2, size - r - 2, 2)
    dx, dy = xx - cx, yy - cy
    if label == "circle":
        mask = dx * dx + dy * dy <= r * r
    elif label == "square":
        mask = (np.abs(dx) <= r * 0.85) & (np.abs(dy) <= r * 0.85)
    elif label == "triangle":
        mask = (dy <= r * 0.8) & (dy >= -r) & (np.abs(dx) <= (dy + r) * 0.6)
    else:  # cross
        arm = r * 0.3
        mask = ((np.abs(dx) <= arm) & (np.abs(dy) <= r)) | ((np.abs(dy) <= arm) & (np.abs(dx) <= r))
    image[mask] = colour
    return np.clip(image, 0, 1)


def make_dataset(count, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(CLASSES), count)
    images = np.stack([draw_shape(rng, CLASSES[k]) for k in labels])
    x = (torch.from_numpy(images.astype(np.float32)).permute(0, 3, 1, 2) - MEAN) / STD
    return x, torch.from_numpy(labels).long()


def save_png(path, image):
    """Minimal PNG writer (zlib + struct) so the script needs nothing beyond numpy and torch."""
    import struct
    import zlib
    data = (np.clip(image, 0, 1) * 255).round().astype(np.uint8)
    raw = b"".join(b"\x00" + row.tobytes() for row in data)
    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    h, w = data.shape[:2]
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    torch.manual_seed(0)
    random.seed(0)
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    model = SmallCNN(in_channels=3, num_classes=len(CLASSES), width=16)
    train_x, train_y = make_dataset(4000, seed=1)
    test_x, test_y = make_dataset(400, seed=2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    epochs = 6
    for epoch in range(epochs):
        model.train()
        permutation = torch.randperm(len(train_x))
        for start in range(0, len(train_x), 64):
            batch = permutation[start:start + 64]
            loss = F.cross_entropy(model(train_x[batch]), train_y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            accuracy = (model(test_x).argmax(1) == test_y).float().mean().item()
        print(f"epoch {epoch + 1}/{epochs}: loss {loss.item():.3f}, test accuracy {accuracy:.3f}")
    conv4_units = model.conv4.out_channels
    print(f"conv4 has {conv4_units} units; fc sees {model.fc.in_features} features")

    torch.save({"epoch": epochs, "best_acc": accuracy, "arch": "smallcnn",
                "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict()},
               os.path.join(here, "smallcnn.pth"))
    with open(os.path.join(here, "smallcnn.classes.txt"), "w") as f:
        f.write("\n".join(CLASSES) + "\n")

    os.makedirs(os.path.join(here, "images"), exist_ok=True)
    rng = np.random.default_rng(7)
    for name in CLASSES:
        save_png(os.path.join(here, "images", f"{name}.png"), draw_shape(rng, name))
    print("wrote smallcnn.pth, smallcnn.classes.txt and images/")


if __name__ == "__main__":
    main()
