"""Your own PyTorch network, trained with DCL: every block learns from its own dictionary loss on
its own detached input (no gradient crosses blocks), all blocks against one shared, learned
dictionary of label embeddings. Two networks: a small residual CNN cut into 4 blocks, and an MLP.

    python examples/own_model.py --model cnn --epochs 2     # Fashion-MNIST from its Debian package
"""
import argparse
import gzip
import os

import numpy as np
import torch
from torch import nn

import dcl


class Residual(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                                  nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.skip = nn.Identity() if stride == 1 and cin == cout else nn.Conv2d(cin, cout, 1, stride, bias=False)

    def forward(self, x):
        return torch.relu(self.body(x) + self.skip(x))


def residual_cnn_blocks(channels=1):
    """A ResNet-style network as 4 local blocks (the split a local method trains)."""
    return [nn.Sequential(nn.Conv2d(channels, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), Residual(32, 32, 1)),
            Residual(32, 64, 2), Residual(64, 128, 2), Residual(128, 256, 2)]


def mlp_blocks(inputs=784, width=512):
    return [nn.Sequential(nn.Flatten(), nn.Linear(inputs, width), nn.ReLU()),
            nn.Sequential(nn.Linear(width, width), nn.ReLU()),
            nn.Sequential(nn.Linear(width, width), nn.ReLU())]


def train_with_dcl(blocks, train, test, classes=10, epochs=1, batch_size=128, lr=1e-3, patches=0, seed=0):
    """Trains `blocks` with one DictionaryLoss each; returns the last block's test accuracy."""
    torch.manual_seed(seed)
    blocks = nn.ModuleList(blocks)
    dictionary = dcl.Dictionary(classes, 256)  # shared by every block's loss, learned (DCL)
    losses = nn.ModuleList(dcl.DictionaryLoss(dictionary, patches=patches) for _ in blocks)
    optimizer = torch.optim.Adam(list(blocks.parameters()) + list(losses.parameters()), lr=lr)
    x_train, y_train = train
    for _ in range(epochs):
        blocks.train()
        for i in torch.randperm(len(y_train)).split(batch_size):
            x, y = x_train[i], y_train[i]
            optimizer.zero_grad()
            for block, loss in zip(blocks, losses):
                x = block(x.detach())  # detached: this block learns from its own loss only
                loss(x, y).backward()
            optimizer.step()
    blocks.eval()
    with torch.no_grad():
        x = test[0]
        for block in blocks:
            x = block(x)
        return (losses[-1].scores(x).argmax(1) == test[1]).float().mean().item()


def read_idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def fashion_mnist(directory, prefix, limit=None):
    images = read_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz"))[:limit]
    labels = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz"))[:limit]
    x = (torch.from_numpy(images.copy()).float().unsqueeze(1) / 255 - 0.286) / 0.353
    return x, torch.from_numpy(labels.copy()).long()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=["cnn", "mlp"], default="mlp")
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N training images")
    args = parser.parse_args()
    train = fashion_mnist(args.data_dir, "train", args.limit)
    test = fashion_mnist(args.data_dir, "t10k")
    blocks = residual_cnn_blocks() if args.model == "cnn" else mlp_blocks()
    accuracy = train_with_dcl(blocks, train, test, epochs=args.epochs, patches=0 if args.model == "cnn" else 2)
    print(f"{args.model}: test accuracy of the last block's dictionary scores {100 * accuracy:.2f}%")


if __name__ == "__main__":
    main()
