#!/usr/bin/env python3
"""The anchor of `dcl data bench`: torchvision's ImageFolder + DataLoader (PIL decoding) on the same
folder, with the recipe dcl uses at that size, the same batch size and the same number of workers.

    torchvision_loader.py ROOT --image-size S --workers W [--batch-size B] [--batches N]

Prints images/s (after one warm-up batch, which pays for starting the workers) and images/s per
worker.
"""
import argparse
import time

import torch
from torchvision import datasets, transforms


def recipe(size):
    normalise = [transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.25] * 3)]
    if size > 64:  # dcl: RandomResizedCrop + flip
        return transforms.Compose([transforms.RandomResizedCrop(size), transforms.RandomHorizontalFlip()] + normalise)
    # dcl: the centred square resized to S, then pad-and-crop + flip (as for CIFAR)
    return transforms.Compose([transforms.Resize(size), transforms.CenterCrop(size),
                               transforms.RandomCrop(size, padding=max(1, size // 8)),
                               transforms.RandomHorizontalFlip()] + normalise)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("root")
    p.add_argument("--image-size", type=int, required=True)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--batches", type=int, default=20)
    a = p.parse_args()
    torch.set_num_threads(1)
    data = datasets.ImageFolder(a.root + "/train", transform=recipe(a.image_size))
    loader = torch.utils.data.DataLoader(data, batch_size=a.batch_size, shuffle=True, num_workers=a.workers,
                                         drop_last=True, persistent_workers=True)
    it = iter(loader)
    next(it)  # warm-up: the workers start and fill their prefetch
    images, start = 0, time.perf_counter()
    for _ in range(a.batches):
        try:
            x, _ = next(it)
        except StopIteration:
            it = iter(loader)
            x, _ = next(it)
        images += x.shape[0]
    secs = time.perf_counter() - start
    print(f"torchvision {torch.__version__} ImageFolder+DataLoader: {images} images in {secs:.2f} s = "
          f"{images / secs:.0f} images/s, {images / secs / a.workers:.0f} per worker "
          f"(batch {a.batch_size}, {a.workers} workers, input {a.image_size} px)")


if __name__ == "__main__":
    main()
