"""DCL's local losses as torch.nn.Modules over the torch.ops.dcl operators (spec section 1 and 5).

Shapes: h is a block's output, [N, C, H, W] (conv: K = H*W local vectors of C dims) or [N, P*C]
(fc: P patches of C dims, give ``patches=P``); labels are [N] int64; Z classes; CD the
dictionary's width.
"""
import torch
from torch import nn

_SIMILARITIES = ("dot", "cos")
_MAPS = ("pool", "linear")
_INITS = ("normal", "orthogonal")


def dictionary_scores(h, dictionary, patches=0, similarity="dot", temperature=0.07, map_weight=None):
    """s [N, Z]: s_nz = <mean_k v_nk, map(t_z)> (cos: unit-length v and t, divided by temperature)."""
    return torch.ops.dcl.dictionary_scores(h, dictionary, patches, similarity, temperature, map_weight)


def dictionary_loss(h, labels, dictionary, patches=0, similarity="dot", temperature=0.07, map_weight=None):
    """L_dict = CE(s, y), the batch mean of DCL's contrastive cross-entropy against the dictionary."""
    return torch.ops.dcl.dictionary_loss(h, labels, dictionary, patches, similarity, temperature, map_weight)


def supcon_loss(features, labels, temperature=0.07):
    """Supervised contrastive loss with one view (Khosla et al. 2020), as InfoPro uses it."""
    return torch.ops.dcl.supcon_loss(features, labels, temperature)


def similarity_matching_loss(h, labels, classes):
    """Nøkland & Eidnes' similarity matching: |S(h) - S(onehot(y))|^2 / N^2."""
    return torch.ops.dcl.similarity_matching_loss(h, labels, classes)


def _check_choice(what, value, choices):
    if value not in choices:
        raise ValueError(f"{what} must be one of {', '.join(choices)}, not {value!r}")


class Dictionary(nn.Module):
    """The label embeddings D = {t_1..t_Z}, [Z, CD], shared by every block's loss: learned (DCL,
    ``adaptive=True``: a parameter) or fixed (DCL-S: a buffer no optimiser touches)."""

    def __init__(self, classes, dim, adaptive=True, init="normal", orthogonal_scale=1.0):
        super().__init__()
        _check_choice("init", init, _INITS)
        if classes < 1 or dim < 1:
            raise ValueError(f"a dictionary needs classes >= 1 and dim >= 1 (got {classes}, {dim})")
        if init == "normal":
            t = torch.randn(classes, dim)
        else:
            if classes > dim:
                raise ValueError(f"init='orthogonal' needs classes <= dim (got {classes} > {dim})")
            t = nn.init.orthogonal_(torch.empty(classes, dim)) * orthogonal_scale
        self.adaptive = adaptive
        if adaptive:
            self.embeddings = nn.Parameter(t)
        else:
            self.register_buffer("embeddings", t)

    def forward(self):
        return self.embeddings


class DictionaryLoss(nn.Module):
    """One block's dictionary loss. Give a shared ``dictionary`` (one Dictionary for all blocks,
    as DCL does), or ``classes`` and ``dim`` for a dictionary of its own. ``map='pool'`` averages
    the CD dimensions down to the block's C; ``map='linear'`` learns a bias-free C x CD map
    (needs ``channels``). ``patches``: P for a flat [N, P*C] output."""

    def __init__(self, dictionary=None, *, classes=None, dim=None, channels=None, patches=0, map="pool",
                 similarity="dot", temperature=0.07, adaptive=True):
        super().__init__()
        _check_choice("similarity", similarity, _SIMILARITIES)
        _check_choice("map", map, _MAPS)
        if dictionary is None:
            if classes is None or dim is None:
                raise ValueError("DictionaryLoss needs a shared dictionary, or classes and dim for its own")
            dictionary = Dictionary(classes, dim, adaptive=adaptive)
        self.dictionary = dictionary
        self.patches = int(patches)
        self.similarity = similarity
        self.temperature = float(temperature)
        self.map = None
        if map == "linear":
            if channels is None:
                raise ValueError("map='linear' needs the block's channels C")
            self.map = nn.Linear(dictionary.embeddings.shape[1], channels, bias=False)

    def _map_weight(self):
        return None if self.map is None else self.map.weight

    def forward(self, h, labels):
        return dictionary_loss(h, labels, self.dictionary.embeddings, self.patches, self.similarity,
                               self.temperature, self._map_weight())

    def scores(self, h):
        """Layer-wise class scores s [N, Z]; their argmax is the block's prediction."""
        return dictionary_scores(h, self.dictionary.embeddings, self.patches, self.similarity, self.temperature,
                                 self._map_weight())


class SupConLoss(nn.Module):
    """Supervised contrastive loss of flattened features (InfoPro's contrastive local loss)."""

    def __init__(self, temperature=0.07):
        super().__init__()
        self.temperature = float(temperature)

    def forward(self, features, labels):
        return supcon_loss(features, labels, self.temperature)


class SimilarityMatchingLoss(nn.Module):
    """LL-sim's loss (Nøkland & Eidnes 2019); a conv output enters through its per-channel spatial
    standard deviation, as in their code."""

    def __init__(self, classes):
        super().__init__()
        self.classes = int(classes)

    def forward(self, h, labels):
        return similarity_matching_loss(h, labels, self.classes)
