#!/usr/bin/env python3
"""Writes a synthetic ImageFolder tree of photo-sized JPEG files (sizes and content vary like
ImageNet's: 300-500 x 250-400 pixels, smooth shapes with texture), for the loader benchmark.

    make_photos.py ROOT [--per-class N] [--classes C] [--quality Q]
"""
import argparse
import os
import random

from PIL import Image, ImageDraw, ImageFilter


def photo(rng, label):
    w, h = rng.randint(300, 500), rng.randint(250, 400)
    base = tuple((label * 37 + 60 * c + rng.randint(0, 60)) % 256 for c in range(3))
    img = Image.new("RGB", (w, h), base)
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x0, y0 = rng.randint(0, w), rng.randint(0, h)
        x1, y1 = x0 + rng.randint(20, w // 2), y0 + rng.randint(20, h // 2)
        colour = tuple(rng.randint(0, 255) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)([x0, y0, x1, y1], fill=colour)
    noise = Image.effect_noise((w, h), 40).convert("RGB")
    return Image.blend(img.filter(ImageFilter.GaussianBlur(2)), noise, 0.15)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("root")
    p.add_argument("--per-class", type=int, default=200)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--quality", type=int, default=90)
    a = p.parse_args()
    rng = random.Random(1)
    for split, n in (("train", a.per_class), ("val", max(1, a.per_class // 10))):
        for k in range(a.classes):
            folder = os.path.join(a.root, split, f"class{k:02d}")
            os.makedirs(folder, exist_ok=True)
            for i in range(n):
                photo(rng, k).save(os.path.join(folder, f"{i:05d}.jpg"), quality=a.quality)
    print(f"wrote {a.classes * (a.per_class + max(1, a.per_class // 10))} JPEG files under {a.root}")


if __name__ == "__main__":
    main()
