#!/usr/bin/env python3
"""Writes random data in the exact CIFAR-10 binary format (cifar-10-batches-bin/), for measuring
the data pipeline without the real dataset:  dcl data bench cifar10 --data-dir DIR"""
import os
import random
import sys

def main():
    if len(sys.argv) < 2:
        sys.exit("usage: make_cifar10_files.py DIR [IMAGES_PER_FILE]")
    root = os.path.join(sys.argv[1], "cifar-10-batches-bin")
    per_file = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    os.makedirs(root, exist_ok=True)
    rng = random.Random(0)
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    for name in names:
        with open(os.path.join(root, name), "wb") as f:
            for _ in range(per_file):
                f.write(bytes([rng.randrange(10)]))  # label byte
                f.write(rng.randbytes(3072))         # R, G, B planes of 32x32
    print(f"wrote {len(names)} files of {per_file} records to {root}")

if __name__ == "__main__":
    main()
