"""dcl from PyTorch: Dictionary Contrastive Learning's losses as torch operators and modules,
and dcl's C++ trainer, comparisons and saved runs in this process.

    import dcl
    loss = dcl.DictionaryLoss(classes=10, dim=512, channels=128)   # one per block
    summary = dcl.train(data="fmnist", arch="fc", method="dcl", out="runs/fc", epochs=1)
    model = dcl.load("runs/fc")                                     # a torch.nn.Module
"""
import torch

from ._version_check import check_torch

check_torch()

from . import _C  # noqa: E402  (registers torch.ops.dcl.*)
from .losses import (  # noqa: E402
    Dictionary,
    DictionaryLoss,
    SimilarityMatchingLoss,
    SupConLoss,
    dictionary_loss,
    dictionary_scores,
    similarity_matching_loss,
    supcon_loss,
)
from .runs import DclError, LoadedRun, compare, evaluate, export, load, run, train  # noqa: E402

__all__ = [
    "Dictionary",
    "DictionaryLoss",
    "SupConLoss",
    "SimilarityMatchingLoss",
    "dictionary_loss",
    "dictionary_scores",
    "supcon_loss",
    "similarity_matching_loss",
    "DclError",
    "LoadedRun",
    "train",
    "compare",
    "evaluate",
    "export",
    "load",
    "run",
]
