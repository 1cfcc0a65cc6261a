#!/usr/bin/env python3
"""Times training steps of the authors' own PyTorch DCL code (github.com/schoi828/DCL) on VGG8B.

Nothing of theirs is copied here: --repo names a checkout of their repository, which goes on
sys.path, and the model, the dictionary loss, the per-block optimisers and the training step are
their classes and methods (option.Config, trainer.Trainer_Layerwise / Trainer_BP, model.modules.VGG).
The model is built as their train.sh builds it (--arch vgg8b --pre_config --linear --cuda_setting:
lr 5e-4, dropout 0.05 for CIFAR-10, AdamW with PyTorch's defaults otherwise, one AdamW per block
over the block's parameters + the label dictionary for DCL/DCL-S, one AdamW over everything for BP),
on one synthetic batch (torch.randn images, random labels, fixed seed) that every step reuses.
A timed step is one call of their Trainer.forward_model(images, labels), the whole body of their
training loop's step: the block-by-block forward on detached inputs, each block's local loss,
backward and optimizer.step (BP: forward, cross-entropy, backward, step). Their per-batch accuracy
bookkeeping runs after the timer, as in their loop.

Needs: torch, numpy, einops (their model code imports them). trainer.py also imports tqdm,
torchmetrics, matplotlib, seaborn and pandas for progress bars, confusion matrices and plots that a
training step never touches; any of those that is not installed is replaced by an empty stand-in
module (reported on stderr).

stdout: one line per step, then one JSON line, e.g.
  {"impl": "reference", "method": "dcl", "median_step_seconds": 1.9, "images_per_second": 67.3, ...}
The median is the middle element of the sorted measured times (the upper one of the two middle
elements for an even count), as `dcl bench` computes it.
"""
import argparse
import contextlib
import io
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
import types

METHODS = {"dcl": "DCL", "dcl-s": "DCL-S", "bp": "BP"}
# Their datasets whose VGG8B preset exists (option.py, --pre_config), with class count and shape.
DATASETS = {
    "CIFAR10": (10, (3, 32, 32)),
    "CIFAR100": (100, (3, 32, 32)),
    "SVHN": (10, (3, 32, 32)),
    "STL10": (10, (3, 96, 96)),
    "MNIST": (10, (1, 28, 28)),
    "fMNIST": (10, (1, 28, 28)),
}
DEFAULT_DATA = {(3, 32, 32): "CIFAR10", (3, 96, 96): "STL10", (1, 28, 28): "MNIST"}
# The files of their checkout that the driver uses; a checkout lacking one is refused.
REQUIRED_FILES = ["trainer.py", "option.py", "utils.py", "model/modules.py", "model/criterion.py", "model/hook.py"]
# trainer.py's imports that serve only logging, plots and confusion matrices.
OPTIONAL_MODULES = ["tqdm", "torchmetrics", "torchmetrics.classification", "matplotlib", "matplotlib.pyplot",
                    "seaborn", "pandas"]


def fail(msg, code=2):
    print(f"dcl_vgg8b_step.py: error: {msg}", file=sys.stderr)
    sys.exit(code)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", required=True, help="checkout (work tree) of github.com/schoi828/DCL")
    p.add_argument("--method", choices=sorted(METHODS), default="dcl")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=3, help="measured steps (median reported)")
    p.add_argument("--warmup", type=int, default=1, help="unmeasured steps first")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--input", default="3x32x32", help="CxHxW: 3x32x32 (CIFAR), 3x96x96 (STL-10), 1x28x28 (MNIST)")
    p.add_argument("--data", choices=sorted(DATASETS), default=None,
                   help="their dataset preset (default: CIFAR10 for 3x32x32, STL10 for 3x96x96, MNIST for 1x28x28)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N")
    p.add_argument("--cudnn", action="store_true",
                   help="re-enable cuDNN after their _backend_setting (their train.sh passes --cuda_setting, "
                        "which sets torch.backends.cudnn.enabled = False); matters on CUDA only")
    p.add_argument("--verbose", action="store_true", help="show their build-time prints (exp name, the net) on stderr")
    a = p.parse_args()
    if a.batch_size < 1 or a.steps < 1 or a.warmup < 0 or a.threads < 1:
        fail("--batch-size, --steps and --threads must be positive, --warmup non-negative")
    try:
        shape = tuple(int(v) for v in a.input.lower().split("x"))
        if len(shape) != 3 or min(shape) < 1:
            raise ValueError
    except ValueError:
        fail(f"--input '{a.input}' is not CxHxW with positive sizes (e.g. 3x32x32)")
    if a.data is None:
        if shape not in DEFAULT_DATA:
            fail(f"--input {a.input}: their VGG8B (model/modules.py, class VGG) is defined only for "
                 "3x32x32 (CIFAR-10/100, SVHN), 3x96x96 (STL-10) and 1x28x28 (MNIST, F-MNIST) inputs")
        a.data = DEFAULT_DATA[shape]
    elif DATASETS[a.data][1] != shape:
        fail(f"--data {a.data} has {'x'.join(map(str, DATASETS[a.data][1]))} images, not {a.input}")
    a.shape = shape
    return a


def check_repo(repo):
    if not os.path.isdir(repo):
        fail(f"--repo {repo}: no such directory (make a checkout of their repository, "
             "e.g. git clone https://github.com/schoi828/DCL.git /tmp/dcl-ref)")
    for rel in REQUIRED_FILES:
        path = os.path.join(repo, rel)
        if not os.path.isfile(path):
            hint = ""
            if os.path.isfile(os.path.join(repo, "HEAD")) and os.path.isdir(os.path.join(repo, "objects")):
                hint = " (this is a bare git repository: clone it to get a work tree)"
            fail(f"--repo {repo} does not look like a checkout of schoi828/DCL: expected the file {path}{hint}")
    with open(os.path.join(repo, "model", "modules.py"), encoding="utf-8", errors="replace") as f:
        src = f.read()
    for name in ("class VGG", "class SelfLocalLayer", "class LocalClfLayer"):
        if name not in src:
            fail(f"--repo {repo} does not look like a checkout of schoi828/DCL: "
                 f"{os.path.join(repo, 'model', 'modules.py')} has no '{name}'")


def stub_missing_optional_modules():
    stubbed = []
    for name in OPTIONAL_MODULES:
        if name in sys.modules:
            continue
        parent = name.rpartition(".")[0]
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if found and not (parent and parent in stubbed):
            continue
        mod = types.ModuleType(name)
        sys.modules[name] = mod
        if parent:
            setattr(sys.modules[parent], name.rpartition(".")[2], mod)
        stubbed.append(name)
    if "tqdm" in stubbed:
        sys.modules["tqdm"].tqdm = lambda iterable, *a, **k: iterable

    class MulticlassConfusionMatrix:  # used by their validation only
        def __init__(self, *a, **k):
            pass

    if "torchmetrics.classification" in stubbed:
        sys.modules["torchmetrics.classification"].MulticlassConfusionMatrix = MulticlassConfusionMatrix
    return stubbed


def import_their_code(repo, fail=fail):
    """Their option, trainer and utils modules, imported from the checkout `repo` (stand-ins for the
    logging and plotting packages trainer.py imports but a training step does not use); `fail`
    reports an error under the calling driver's name."""
    sys.dont_write_bytecode = True  # leave their checkout as it is
    sys.path.insert(0, repo)
    stubbed = stub_missing_optional_modules()
    if stubbed:
        print(f"[ref] not installed, stand-ins used (trainer.py imports them for logging/plots only): "
              f"{', '.join(stubbed)}", file=sys.stderr)
    try:
        import option as ref_option
        import trainer as ref_trainer
        import utils as ref_utils
    except ImportError as e:
        fail(f"importing their code from {repo} failed: {e} (their model code needs numpy and einops: "
             f"{sys.executable} -m pip install numpy einops)")
    finally:
        # trainer.py holds its references now; out of sys.modules the stand-ins can't mislead
        # anything that probes for the real packages later (torch._dynamo's find_spec does).
        for name in stubbed:
            sys.modules.pop(name, None)
    for mod in (ref_option, ref_trainer, ref_utils):
        if not os.path.abspath(mod.__file__).startswith(repo + os.sep):
            fail(f"module '{mod.__name__}' was imported from {mod.__file__}, not from {repo}")
    return ref_option, ref_trainer, ref_utils


def main():
    a = parse_args()
    repo = os.path.abspath(a.repo)
    check_repo(repo)

    import torch
    torch.set_num_threads(a.threads)  # before the model is built, as `dcl bench` does
    device = torch.device(a.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        fail(f"--device {a.device}: CUDA is not available to this torch")

    ref_option, ref_trainer, ref_utils = import_their_code(repo)

    method = METHODS[a.method]
    save_dir = tempfile.mkdtemp(prefix="dcl-ref-bench-")
    t = None
    try:
        # Their train.sh: python -O train.py --exp_name name --method M --num_workers 4 --data D --gpu 0
        #   --seed S --arch vgg8b --linear --cuda_setting --save_dir ../exps --pre_config --print_memory
        argv = ["--exp_name", "name", "--method", method, "--num_workers", "4", "--data", a.data, "--gpu", "0",
                "--seed", str(a.seed), "--arch", "vgg8b", "--linear", "--cuda_setting", "--save_dir", save_dir,
                "--pre_config", "--print_memory"]
        their_prints = io.StringIO()
        with contextlib.redirect_stdout(sys.stderr if a.verbose else their_prints):  # exp name, print(net)
            cfg = ref_option.Config(ref_option.parser.parse_args(argv))
            cfg._backend_setting()  # train.py's __main__: seeds (+ cuDNN off with --cuda_setting)
            preset_batch = cfg.batch_size
            cfg.batch_size = a.batch_size  # used by their data loader only
            classes, shape = DATASETS[a.data]
            cfg.classes = classes  # train.py: option.classes = dataset.num_classes
            cfg.img_shape = shape  # train.py: option.img_shape = dataset.image_shape

            # train.py: Trainer_Layerwise for DCL/DCL-S/FEAT, Trainer_BP otherwise. Their __init__
            # hard-codes a CUDA device and sets up tensorboard/checkpoint paths, so the object is
            # made without it and the parts of __init__ that build the model and the optimisers run
            # in its order: logger, _build_model (per-block optimisers for local methods), _set_cuda,
            # then Trainer_BP's loss and _set_optimizer / Trainer_Layerwise's net.to(device).
            cls = ref_trainer.Trainer_Layerwise if method in ("DCL", "FEAT", "DCL-S") else ref_trainer.Trainer_BP
            t = cls.__new__(cls)
            t.global_step, t.resume_epoch, t.best_acc, t.best_acc_layer = 0, 0, 0, 0
            t.device = device
            t.option = cfg
            t.logger = ref_utils.logger_setting(cfg.exp_name, cfg.save_dir)
            if device.type == "cuda":
                torch.cuda.set_device(device)
            t._build_model()
            t._set_cuda()
            if cls is ref_trainer.Trainer_BP:
                t.loss = torch.nn.CrossEntropyLoss()
                t._set_optimizer()
            else:
                t.net = t.net.to(t.device)
            cfg._backend_setting(cfg.gpu)  # train.py main(): after the trainer is built
        if a.cudnn:
            torch.backends.cudnn.enabled = True

        optimizers = [m.optimizer for m in t.net.modules() if hasattr(m, "optimizer")]
        if cls is ref_trainer.Trainer_BP:
            optimizers = [t.optimizer]
        opt0 = optimizers[0]
        hp = {k: v for k, v in opt0.defaults.items() if k in ("lr", "betas", "eps", "weight_decay", "amsgrad")}
        params = sum(p.numel() for p in t.net.parameters())
        emb = getattr(t.net, "embedding", None)
        with_dict = sum(any(p is emb.weight for g in o.param_groups for p in g["params"]) for o in optimizers) if emb else 0
        print(f"[ref] {repo} method {method} data {a.data} input {a.input} batch {a.batch_size} "
              f"(their preset {preset_batch}) threads {torch.get_num_threads()} device {device}; "
              f"{len(optimizers)} x {type(opt0).__name__} {hp}"
              + (f" ({with_dict} of them also hold the dictionary {tuple(emb.weight.shape)}"
                 + (", which DCL-S detaches)" if method == "DCL-S" else ")") if emb else "")
              + f"; dropout {cfg.dropout}; {params} parameters; cudnn.enabled={torch.backends.cudnn.enabled}",
              file=sys.stderr)

        gen = torch.Generator().manual_seed(a.seed)
        images = torch.randn((a.batch_size,) + shape, generator=gen)
        labels = torch.randint(0, classes, (a.batch_size,), generator=gen)

        def sync():
            if device.type == "cuda":
                torch.cuda.synchronize(device)

        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        emb_before = emb.weight.detach().cpu().clone() if emb is not None else None
        t.net.train()  # their _train_one_epoch
        times = []
        total = a.warmup + a.steps
        for i in range(total):
            x, y = images.to(t.device), labels.to(t.device)  # their loop: batch[...].to(self.device)
            sync()
            t0 = time.perf_counter()
            pred_label, pred_layer, loss_dict = t.forward_model(x, y)
            sync()
            dt = time.perf_counter() - t0
            # their loop's bookkeeping, untimed
            correct = int(ref_trainer.get_correct(pred_label, y))
            if "DCL" in method:  # their: if 'DCL' in method or pred_layer != 0 (BP returns 0)
                ref_trainer.get_correct(pred_layer, y)
            warm = i < a.warmup
            if not warm:
                times.append(dt)
            losses = " ".join(f"{k} loss {loss_dict[k]:.4f}" for k in ("linear", "final") if k in loss_dict)
            print(f"step {i + 1}/{total}{' (warmup)' if warm else ''}: {dt:.4f} s, "
                  f"{a.batch_size / dt:.1f} img/s, train correct {correct}/{a.batch_size}"
                  + (f", {losses}" if losses else ""), flush=True)

        if emb is not None:
            changed = not torch.equal(emb_before, emb.weight.detach().cpu())
            print(f"[ref] dictionary changed by the steps: {'yes' if changed else 'no'}", file=sys.stderr)
        median = sorted(times)[len(times) // 2]
        result = {"impl": "reference", "method": a.method, "median_step_seconds": median,
                  "images_per_second": a.batch_size / median, "threads": torch.get_num_threads(),
                  "batch_size": a.batch_size, "input": a.input, "data": a.data, "device": str(device),
                  "steps": a.steps, "warmup": a.warmup, "step_seconds": times}
        if device.type == "cuda":
            result["peak_memory_bytes"] = torch.cuda.max_memory_allocated(device)
        print(json.dumps(result), flush=True)
    finally:
        for h in list(getattr(getattr(t, "logger", None), "handlers", [])):
            h.close()
        shutil.rmtree(save_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
