"""The operators against the spec's formulas written out in PyTorch, and gradcheck in double."""
import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck

import dcl


def reference_scores(h, dictionary, patches, similarity, temperature, map_weight):
    """Spec section 1: s_nz = (1/K) sum_k <v_nk, map(t_z)> (cos: unit v and t, / T)."""
    cos = similarity == "cos"
    t = F.normalize(dictionary, dim=1) if cos else dictionary
    if h.dim() == 4:
        v = h.flatten(2).transpose(1, 2)  # [N, K, C]
    else:
        v = h.reshape(h.shape[0], patches, -1)
    c = v.shape[2]
    if map_weight is not None:
        mapped = t @ map_weight.t()
    else:  # PyTorch's adaptive pooling bins [floor(iL/C), ceil((i+1)L/C))
        width = t.shape[1]
        mapped = torch.stack([t[:, (i * width) // c : -((-(i + 1) * width) // c)].mean(1) for i in range(c)], 1)
    if cos:
        v = F.normalize(v, dim=2)
    s = torch.einsum("nkc,zc->nz", v, mapped) / v.shape[1]
    return s / temperature if cos else s


CASES = [  # (h shape, patches, similarity, linear map)
    ((6, 8, 3, 3), 0, "dot", False),
    ((6, 8, 3, 3), 0, "cos", False),
    ((6, 8, 3, 3), 0, "dot", True),
    ((6, 8, 3, 3), 0, "cos", True),
    ((6, 4 * 5), 4, "dot", False),
    ((6, 4 * 5), 4, "cos", True),
]


@pytest.mark.parametrize("shape,patches,similarity,linear", CASES)
def test_dictionary_loss_matches_the_formula(shape, patches, similarity, linear):
    torch.manual_seed(0)
    h = torch.randn(*shape, requires_grad=True)
    dictionary = torch.randn(10, 12, requires_grad=True)
    channels = shape[1] if len(shape) == 4 else shape[1] // patches
    weight = torch.randn(channels, 12, requires_grad=True) if linear else None
    labels = torch.randint(0, 10, (shape[0],))
    got = dcl.dictionary_loss(h, labels, dictionary, patches, similarity, 0.5, weight)
    want = F.cross_entropy(reference_scores(h, dictionary, patches, similarity, 0.5, weight), labels)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    inputs = [h, dictionary] + ([weight] if linear else [])
    got_grads = torch.autograd.grad(got, inputs)
    want_grads = torch.autograd.grad(want, inputs)
    for g, w in zip(got_grads, want_grads):
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape,patches,similarity,linear", CASES)
def test_dictionary_loss_gradcheck(shape, patches, similarity, linear):
    torch.manual_seed(1)
    h = torch.randn(*shape, dtype=torch.double, requires_grad=True)
    dictionary = torch.randn(10, 12, dtype=torch.double, requires_grad=True)
    channels = shape[1] if len(shape) == 4 else shape[1] // patches
    weight = torch.randn(channels, 12, dtype=torch.double, requires_grad=True) if linear else None
    labels = torch.randint(0, 10, (shape[0],))

    def loss(h, dictionary, *weight):
        return dcl.dictionary_loss(h, labels, dictionary, patches, similarity, 0.5, weight[0] if weight else None)

    assert gradcheck(loss, (h, dictionary) + ((weight,) if linear else ()), eps=1e-6, atol=1e-6)


def test_module_shares_one_dictionary_and_dcl_s_has_no_parameters():
    shared = dcl.Dictionary(10, 16)
    blocks = torch.nn.ModuleList([dcl.DictionaryLoss(shared), dcl.DictionaryLoss(shared, map="linear", channels=4)])
    assert sum(p.numel() for p in blocks.parameters()) == 10 * 16 + 4 * 16  # D once, plus the linear map
    static = dcl.DictionaryLoss(classes=10, dim=16, adaptive=False)
    assert list(static.parameters()) == []
    h = torch.randn(5, 4, 2, 2)
    y = torch.randint(0, 10, (5,))
    torch.testing.assert_close(blocks[0](h, y), F.cross_entropy(blocks[0].scores(h), y))


def test_orthogonal_dictionary_rows_are_orthonormal():
    d = dcl.Dictionary(10, 32, init="orthogonal")
    torch.testing.assert_close(d.embeddings @ d.embeddings.t(), torch.eye(10), atol=1e-5, rtol=0)


def test_bad_arguments_name_what_is_wrong():
    h = torch.randn(4, 10)
    y = torch.zeros(4, dtype=torch.long)
    with pytest.raises(ValueError, match="unknown similarity 'euclid'"):
        dcl.dictionary_loss(h, y, torch.randn(10, 8), 2, "euclid")
    with pytest.raises(ValueError, match=r"neither \[N, C, H, W\] nor \[N, P\*C\]"):
        dcl.dictionary_loss(h, y, torch.randn(10, 8), 3)
    with pytest.raises(ValueError, match="map must be one of"):
        dcl.DictionaryLoss(classes=10, dim=8, map="conv")


def reference_supcon(features, labels, temperature):
    z = F.normalize(features, dim=1)
    s = z @ z.t() / temperature
    n = len(labels)
    eye = torch.eye(n, dtype=torch.bool)
    log_prob = s - torch.logsumexp(s.masked_fill(eye, float("-inf")), 1, keepdim=True)
    positives = (labels[:, None] == labels[None, :]) & ~eye
    per_anchor = -(log_prob * positives).sum(1) / positives.sum(1).clamp(min=1)
    return per_anchor.mean()


def test_supcon_matches_the_formula_and_gradcheck():
    torch.manual_seed(2)
    f = torch.randn(8, 6, dtype=torch.double, requires_grad=True)
    y = torch.tensor([0, 1, 0, 2, 1, 3, 0, 1])  # class 2 and 3: anchors without positives
    torch.testing.assert_close(dcl.supcon_loss(f, y, 0.1), reference_supcon(f, y, 0.1))
    assert gradcheck(lambda f: dcl.supcon_loss(f, y, 0.1), (f,), eps=1e-6, atol=1e-6)


def reference_similarity(x):
    x = x.flatten(1)
    x = x - x.mean(1, keepdim=True)
    x = x / (1e-8 + x.norm(dim=1, keepdim=True))
    return (x @ x.t()).clamp(-1, 1)


def test_similarity_matching_matches_the_formula_and_gradcheck():
    torch.manual_seed(3)
    h = torch.randn(6, 20, dtype=torch.double, requires_grad=True)
    y = torch.randint(0, 4, (6,))
    want = ((reference_similarity(h) - reference_similarity(F.one_hot(y, 4).double())) ** 2).mean()
    torch.testing.assert_close(dcl.similarity_matching_loss(h, y, 4), want)
    assert gradcheck(lambda h: dcl.similarity_matching_loss(h, y, 4), (h,), eps=1e-6, atol=1e-6)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_operators_on_cuda_equal_cpu():
    torch.manual_seed(4)
    h = torch.randn(6, 8, 3, 3)
    d = torch.randn(10, 12)
    y = torch.randint(0, 10, (6,))
    for similarity in ("dot", "cos"):
        cpu = dcl.dictionary_loss(h, y, d, 0, similarity)
        gpu = dcl.dictionary_loss(h.cuda(), y.cuda(), d.cuda(), 0, similarity)
        torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(dcl.supcon_loss(h.cuda().flatten(1), y.cuda()).cpu(), dcl.supcon_loss(h.flatten(1), y),
                               rtol=1e-4, atol=1e-5)


def test_another_torch_version_is_refused_on_import_by_name(monkeypatch):
    from dcl import _build_info, _version_check

    monkeypatch.setattr(torch, "__version__", "0.9.1+cpu")
    with pytest.raises(ImportError, match=f"built against torch {_build_info.TORCH_VERSION} but torch 0.9.1"):
        _version_check.check_torch()
    monkeypatch.setattr(torch, "__version__", _build_info.TORCH_VERSION + "+anything")
    _version_check.check_torch()  # the same release with another build tag is the same ABI
