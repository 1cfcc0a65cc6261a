"""Shared fixtures: a tiny dataset in Fashion-MNIST's own files, written by the tests (class k is
noise plus a bright bar at rows 2k..2k+1, so a network learns it within an epoch)."""
import gzip
import struct

import numpy as np
import pytest


def write_split(directory, prefix, count, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count).astype(np.uint8)
    images = rng.integers(0, 60, (count, 28, 28)).astype(np.uint8)
    for i, k in enumerate(labels):
        images[i, 2 * k : 2 * k + 2, :] = rng.integers(200, 256, (2, 28))
    with gzip.open(directory / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, count, 28, 28) + images.tobytes())
    with gzip.open(directory / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">II", 0x801, count) + labels.tobytes())
    return images, labels


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    """(directory, (train images, labels), (test images, labels)) as uint8 numpy arrays."""
    directory = tmp_path_factory.mktemp("tiny-fmnist")
    train = write_split(directory, "train", 512, 1)
    test = write_split(directory, "t10k", 128, 2)
    return directory, train, test
