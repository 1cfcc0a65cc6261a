"""examples/own_model.py: a user's own networks learn with dcl.DictionaryLoss (tiny data)."""
import importlib.util
import pathlib

import torch

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "own_model.py"


def load_example():
    spec = importlib.util.spec_from_file_location("own_model", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny(example, tiny_data):
    directory, _, _ = tiny_data
    return example.fashion_mnist(directory, "train"), example.fashion_mnist(directory, "t10k")


def test_the_mlp_learns_above_chance(tiny_data):
    example = load_example()
    train, test = tiny(example, tiny_data)
    accuracy = example.train_with_dcl(example.mlp_blocks(width=128), train, test, epochs=3, batch_size=64, patches=2)
    assert accuracy > 0.5  # chance: 0.1


def test_the_residual_cnn_learns_above_chance(tiny_data):
    example = load_example()
    torch.set_num_threads(2)
    train, test = tiny(example, tiny_data)
    accuracy = example.train_with_dcl(example.residual_cnn_blocks(), train, test, epochs=3, batch_size=64, lr=3e-3)
    assert accuracy > 0.5  # chance: 0.1
