#!/usr/bin/env python3
"""Trains the authors' own network (github.com/schoi828/DCL) with their own code on Fashion-MNIST.

A training run of their FCNet, SimpleNet (simple256) or VGG (vgg8b) with DCL, DCL-S or BP, so that
its test accuracy can be put next to `dcl train --data fmnist --arch A --method M`. Nothing of
theirs is copied here: --repo names a checkout of their repository, which goes on sys.path, and the
model, the dictionary loss, the per-block optimisers, the lr schedule, the per-batch training step
and the evaluation are their classes and methods (option.Config, trainer.Trainer_Layerwise /
Trainer_BP, model.modules.FCNet / SimpleNet / VGG):

- the model, optimisers and schedule are built as their train.sh builds them
  (--arch A --pre_config --linear --cuda_setting). Their fc and simple presets (option.py) exist
  only for MNIST / CIFAR-10 / CIFAR-100 and raise AssertionError for fMNIST, and their _build_model
  gives fc an input of 32*32*3 for anything but --data MNIST; so for fc and simple256 the Config is
  made with --data MNIST (fc: lr 5e-4, batch 512, W 1024, P 8, 3 layers, dropout 0, milestones
  50/100/125; simple256: lr 0.0075, batch 512, dropout 0, milestones 50/75/100/125; AdamW, gamma
  0.5) and trained on the Fashion-MNIST images below. vgg8b has an fMNIST preset (lr 5e-4, batch
  128, dropout 0.1, milestones 100/150/175/188, gamma 0.25), used as it is. --epochs replaces the
  preset's epochs (the milestones stay: none is reached in the few epochs run here);
- one batch step is one call of their Trainer.forward_model(images, labels), the body of their
  _train_one_epoch loop (DCL/DCL-S: block by block on the detached input, local loss, backward,
  optimizer.step, zero_grad, then the classifier the same way with cross-entropy; BP: zero_grad,
  forward, cross-entropy, backward, step);
- after each epoch their own Trainer._validate runs on the test set (it takes any iterable of
  [images, labels] lists; model.eval(), no_grad): 'ACCURACY' is the classifier head's argmax,
  'LAYER ACCURACY' the argmax of the last dictionary block's scores (DCL/DCL-S only); then their
  global_schedule steps the MultiStepLR schedulers, as their train_task does. Their train_task
  itself is not called: it also writes checkpoints, confusion matrices and tensorboard logs;
- the data pipeline is theirs for fMNIST (dataset/modules/fashion.py, base.py), done with numpy and
  torch instead of torchvision: RandomCrop(28) on a 28x28 image (a no-op), ToTensor (x/255),
  RandomHorizontalFlip(p=0.5) per training image, Normalize(0.286, 0.353); the test set only
  ToTensor + Normalize. DataLoader(shuffle=True, drop_last=False): a new permutation every epoch
  and a short last batch (60000 = 117 x 512 + 96); the test loader is unshuffled, batch 512.
  Random draws come from torch's global generator, seeded as their train.py seeds it (before the
  model is built, and again after the trainer is built).

Timing: each epoch's shuffled, flipped and normalised images are assembled before the epoch's timer
starts (their DataLoader's 4 worker processes do that work alongside training); the timer covers
the batch loop: slicing, forward_model and the per-batch accuracy count. images/s = training images
/ those seconds.

Their trainer.py imports tqdm, torchmetrics, matplotlib, seaborn and pandas for progress bars,
confusion matrices and plots; any that is not installed is replaced by an empty stand-in (the
helper of dcl_vgg8b_step.py). For BP, forward_model returns no loss: the driver wraps their
CrossEntropyLoss object in a module that calls it unchanged and keeps the value for the epoch mean.

stdout: one line per epoch, then one JSON line (also written to --out):
  {"impl": "reference", "method": "dcl", "seed": 1, "epochs": 5, "test_accuracy": ...,
   "best_test_accuracy": ..., "layer_accuracy": ..., "images_per_second": ..., "seconds_per_epoch": ...}
"""
import argparse
import contextlib
import gzip
import io
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
METHODS = {"dcl": "DCL", "dcl-s": "DCL-S", "bp": "BP"}
# Their --data for each architecture: the preset that exists (option.py pre_config) and, for fc, the
# 28x28 input size (_build_model sizes it for 'MNIST' only).
PRESET_DATA = {"fc": "MNIST", "simple256": "MNIST", "vgg8b": "fMNIST"}
MODEL_CLASS = {"fc": "FCNet", "simple256": "SimpleNet", "vgg8b": "VGG"}
REQUIRED_FILES = ["trainer.py", "option.py", "utils.py", "model/modules.py", "model/criterion.py", "model/hook.py"]
# Their fMNIST pipeline (dataset/modules/fashion.py, fashion_transform): Normalize((0.286,), (0.353,)).
FMNIST_MEAN, FMNIST_STD = 0.286, 0.353
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def fail(msg, code=2):
    print(f"dcl_parity.py: error: {msg}", file=sys.stderr)
    sys.exit(code)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", required=True, help="checkout (work tree) of github.com/schoi828/DCL")
    p.add_argument("--method", choices=sorted(METHODS), default="dcl")
    p.add_argument("--arch", choices=sorted(PRESET_DATA), default="fc")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=0, help="their --seed (train.sh uses 0)")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist",
                   help="Fashion-MNIST IDX files (train-images-idx3-ubyte[.gz], ...)")
    p.add_argument("--limit-train", type=int, default=0, help="use only the first N training images (0 = all)")
    p.add_argument("--limit-test", type=int, default=0, help="use only the first N test images (0 = all)")
    p.add_argument("--out", default=None, help="write the final JSON here too")
    p.add_argument("--verbose", action="store_true", help="show their prints (exp name, print(net), lr) on stderr")
    a = p.parse_args()
    if a.epochs < 1 or a.threads < 1 or a.limit_train < 0 or a.limit_test < 0:
        fail("--epochs and --threads must be positive, --limit-train/--limit-test non-negative")
    return a


def check_repo(repo):
    if not os.path.isdir(repo):
        fail(f"--repo {repo}: no such directory (git clone https://github.com/schoi828/DCL /tmp/dcl-ref)")
    for rel in REQUIRED_FILES:
        if not os.path.isfile(os.path.join(repo, rel)):
            hint = " (a bare git repository: clone it to get a work tree)" if os.path.isdir(
                os.path.join(repo, "objects")) else ""
            fail(f"--repo {repo} does not look like a checkout of schoi828/DCL: no {rel}{hint}")
    with open(os.path.join(repo, "model", "modules.py"), encoding="utf-8", errors="replace") as f:
        src = f.read()
    for name in ("class FCNet", "class SimpleNet", "class VGG", "class SelfLocalLayer", "class LocalClfLayer"):
        if name not in src:
            fail(f"--repo {repo}: model/modules.py has no '{name}'")


def read_idx(data_dir, stem):
    """An IDX file as a numpy array (raw or gzipped, as torchvision's MNIST reader accepts)."""
    import numpy as np
    for name, opener in ((stem, open), (stem + ".gz", gzip.open)):
        path = os.path.join(data_dir, name)
        if os.path.isfile(path):
            with opener(path, "rb") as f:
                raw = f.read()
            break
    else:
        fail(f"--data-dir {data_dir}: neither {stem} nor {stem}.gz is there")
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        fail(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        fail(f"{path}: {data.size} bytes of data for dimensions {dims}")
    return data.reshape(dims)


def load_fmnist(data_dir, limit_train, limit_test):
    import torch
    arrays = {k: read_idx(data_dir, v) for k, v in IDX_FILES.items()}
    for split in ("train", "test"):
        x, y = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if x.ndim != 3 or x.shape[1:] != (28, 28) or y.shape != (x.shape[0],):
            fail(f"{data_dir}: {split} images {x.shape} / labels {y.shape} are not N x 28 x 28 / N")
    def take(x, y, limit):
        n = min(limit, len(y)) if limit > 0 else len(y)  # the first n, as `dcl train --limit-*`
        # [N, 1, 28, 28] uint8 (their ToTensor makes C x H x W) and int64 labels (torchvision's targets)
        return torch.from_numpy(x[:n].copy()).unsqueeze(1), torch.from_numpy(y[:n].astype("int64"))
    return (take(arrays["train_images"], arrays["train_labels"], limit_train),
            take(arrays["test_images"], arrays["test_labels"], limit_test))


def normalise(images_u8):
    # ToTensor: uint8 / 255 in float32; Normalize: (x - mean) / std
    return (images_u8.float().div_(255.0) - FMNIST_MEAN) / FMNIST_STD


def train_epoch_batches(images_u8, labels, batch_size):
    """One epoch of their training loader: DataLoader(shuffle=True, drop_last=False) over
    FashionMNIST with fashion_transform(flip=True, random_crop=28)."""
    import torch
    n = labels.shape[0]
    order = torch.randperm(n)  # RandomSampler: a new permutation of the whole set every epoch
    x = images_u8[order]
    # RandomCrop(28) of a 28x28 image without padding is the whole image: nothing to do.
    flip = torch.rand(n) < 0.5  # RandomHorizontalFlip(p=0.5), drawn per image
    x[flip] = x[flip].flip(-1)
    x = normalise(x)
    y = labels[order]
    return [[x[i:i + batch_size], y[i:i + batch_size]] for i in range(0, n, batch_size)]


def test_batches(images_u8, labels, batch_size):
    # Their val_dataloader: unshuffled, the same batch size, ToTensor + Normalize only.
    x = normalise(images_u8)
    return [[x[i:i + batch_size], labels[i:i + batch_size]] for i in range(0, labels.shape[0], batch_size)]


def main():
    a = parse_args()
    repo = os.path.abspath(a.repo)
    check_repo(repo)

    import numpy as np  # noqa: F401  (their model code needs it; fail early if absent)
    import torch
    torch.set_num_threads(a.threads)  # before the model is built, as `dcl train --threads` does
    device = torch.device("cpu")

    (train_x, train_y), (test_x, test_y) = load_fmnist(a.data_dir, a.limit_train, a.limit_test)

    sys.path.insert(0, HERE)
    from dcl_vgg8b_step import import_their_code
    ref_option, ref_trainer, ref_utils = import_their_code(repo, fail)

    method = METHODS[a.method]
    save_dir = tempfile.mkdtemp(prefix=f"dcl-ref-{a.arch}-")
    t = None
    their_out = sys.stderr if a.verbose else io.StringIO()
    try:
        # Their train.sh: python -O train.py --exp_name name --method M --num_workers 4 --data D --gpu 0
        #   --seed S --arch A --linear --cuda_setting --save_dir ../exps --pre_config --print_memory
        # D = PRESET_DATA[A]: their fc and simple presets assert on fMNIST (option.py), and
        # _build_model sizes the fc input 28*28 only for 'MNIST'; their MNIST preset is used with the
        # Fashion-MNIST data.
        argv = ["--exp_name", "name", "--method", method, "--num_workers", "4", "--data", PRESET_DATA[a.arch],
                "--gpu", "0", "--seed", str(a.seed), "--arch", a.arch, "--linear", "--cuda_setting",
                "--save_dir", save_dir, "--pre_config", "--print_memory"]
        with contextlib.redirect_stdout(their_out):
            cfg = ref_option.Config(ref_option.parser.parse_args(argv))
            cfg._backend_setting()  # train.py __main__: seeds random, numpy, torch
            preset_epochs = cfg.epoch
            cfg.epoch = a.epochs
            cfg.classes = 10  # train.py: option.classes = dataset.num_classes
            cfg.img_shape = (1, 28, 28)  # train.py: option.img_shape = dataset.image_shape

            # train.py: Trainer_Layerwise for DCL/DCL-S/FEAT, Trainer_BP otherwise. Their __init__
            # hard-codes a CUDA device (and tensorboard), so the object is made without it and the
            # parts of __init__ that build the model and the optimisers run in its order.
            cls = ref_trainer.Trainer_Layerwise if method in ("DCL", "FEAT", "DCL-S") else ref_trainer.Trainer_BP
            t = cls.__new__(cls)
            t.global_step, t.resume_epoch, t.best_acc, t.best_acc_layer = 0, 0, 0, 0
            t.device = device
            t.option = cfg
            t.logger = ref_utils.logger_setting(cfg.exp_name, cfg.save_dir)
            t._build_model()
            t.save_path = os.path.join(cfg.save_dir, cfg.exp_name)
            t._set_cuda()
            t._print_net()
            t.prev_path = None
            t.str_classes = ref_utils.get_str_labels(cfg.data)
            t.best_zeroshot = 0
            if cls is ref_trainer.Trainer_BP:
                t.loss = torch.nn.CrossEntropyLoss()
                t._set_optimizer()
            else:
                t.net = t.net.to(t.device)
            cfg._backend_setting(cfg.gpu)  # train.py main(): reseeded after the trainer is built
        torch.backends.cudnn.enabled = True  # --cuda_setting turned it off; irrelevant on the CPU

        if cls is ref_trainer.Trainer_BP:
            optimizers = [t.optimizer]
            ce = t.loss
            bp_losses = []

            class RecordingLoss(torch.nn.Module):  # their CrossEntropyLoss, unchanged; keeps the value
                def forward(self, logits, labels):
                    loss = ce(logits, labels)
                    bp_losses.append(loss.item())
                    return loss

            t.loss = RecordingLoss()
        else:
            optimizers = [m.optimizer for m in t.net.modules() if hasattr(m, "optimizer")]
        opt0 = optimizers[0]
        hp = {k: v for k, v in opt0.defaults.items() if k in ("lr", "betas", "eps", "weight_decay", "amsgrad")}
        emb = getattr(t.net, "embedding", None)
        with_dict = sum(any(p is emb.weight for g in o.param_groups for p in g["params"]) for o in optimizers) if emb else 0
        shape = f"W {cfg.max_dim}, P {t.net.patch}, {cfg.num_layers} layers, " if a.arch == "fc" else ""
        print(f"[ref] {repo} method {method} {a.arch} {type(t.net).__name__} (their {PRESET_DATA[a.arch]} preset: "
              f"lr {cfg.lr}, batch {cfg.batch_size}, {shape}dropout {cfg.dropout}, milestones {cfg.milestones} "
              f"gamma {cfg.MS_gamma}, {preset_epochs} epochs -> {cfg.epoch}) on Fashion-MNIST "
              f"{train_y.shape[0]} train / {test_y.shape[0]} test; threads {torch.get_num_threads()}; "
              f"{len(optimizers)} x {type(opt0).__name__} {hp}"
              + (f" ({with_dict} of them also hold the dictionary {tuple(emb.weight.shape)}"
                 + (", which DCL-S detaches)" if method == "DCL-S" else ")") if emb is not None else "")
              + f"; {sum(p.numel() for p in t.net.parameters())} parameters", file=sys.stderr)
        if a.verbose:
            print(t.net, file=sys.stderr)

        emb_before = emb.weight.detach().clone() if emb is not None else None
        test = test_batches(test_x, test_y, cfg.batch_size)
        history = []
        best = 0.0
        for epoch in range(1, cfg.epoch + 1):
            t0 = time.perf_counter()
            batches = train_epoch_batches(train_x, train_y, cfg.batch_size)
            data_seconds = time.perf_counter() - t0
            lr = opt0.param_groups[0]["lr"]
            loss_sums, iters, correct, layer_correct, seen = {}, 0, 0, 0, 0
            bp_losses = [] if cls is ref_trainer.Trainer_BP else None
            t.net.train()  # their _train_one_epoch
            t1 = time.perf_counter()
            for images, labels in batches:
                x, y = images.to(t.device), labels.to(t.device)
                pred_label, pred_layer, loss_dict = t.forward_model(x, y)
                for k, v in loss_dict.items():
                    loss_sums[k] = loss_sums.get(k, 0.0) + v
                iters += 1
                seen += y.shape[0]
                correct += int((pred_label == y).sum())
                if "DCL" in method:
                    layer_correct += int((pred_layer == y).sum())
            train_seconds = time.perf_counter() - t1
            if bp_losses is not None:
                loss_sums["final"] = sum(bp_losses)
            train_losses = {k: v / iters for k, v in loss_sums.items()}

            with contextlib.redirect_stdout(their_out):
                # Their evaluation (logs '[EVALUATION][  n], ACCURACY : ... LAYER ACCURACY : ...' on stderr)
                test_acc, logs, _ = t._validate(test, step=epoch, msg="[TEST]")
                t.global_schedule(test_acc)  # their train_task: the MultiStepLR schedulers step here
            test_acc = float(test_acc)
            layer_acc = float(logs["test_acc_layer"]) if "test_acc_layer" in logs else None
            best = max(best, test_acc)  # their train_task keeps best_acc (the checkpoint it saves)
            row = {"epoch": epoch, "lr": lr, "train_loss": train_losses.get("final"),
                   "train_block_losses": [train_losses[k] for k in sorted(train_losses) if k.endswith("_dict_loss")],
                   "train_accuracy": correct / seen,
                   "train_layer_accuracy": layer_correct / seen if "DCL" in method else None,
                   "test_accuracy": test_acc, "layer_accuracy": layer_acc,
                   "epoch_seconds": train_seconds, "data_seconds": data_seconds,
                   "images_per_second": seen / train_seconds}
            history.append(row)
            blocks = " ".join(f"{v:.4f}" for v in row["train_block_losses"])
            print(f"epoch {epoch}/{cfg.epoch}: lr {lr:g} train loss {row['train_loss']:.4f}"
                  + (f" (blocks {blocks})" if blocks else "")
                  + f" acc {100 * row['train_accuracy']:.2f}% | test head {100 * test_acc:.2f}%"
                  + (f" layer {100 * layer_acc:.2f}%" if layer_acc is not None else "")
                  + f" | {train_seconds:.1f} s, {row['images_per_second']:.0f} img/s"
                  + f" (+{data_seconds:.1f} s data)", flush=True)

        if emb is not None:
            changed = not torch.equal(emb_before, emb.weight.detach())
            print(f"[ref] dictionary changed by training: {'yes' if changed else 'no'}", file=sys.stderr)
        last = history[-1]
        if type(t.net).__name__ != MODEL_CLASS[a.arch]:
            fail(f"their trainer built a {type(t.net).__name__} for --arch {a.arch}, not a {MODEL_CLASS[a.arch]}")
        result = {"impl": "reference", "method": a.method, "arch": a.arch, "seed": a.seed, "epochs": cfg.epoch,
                  "test_accuracy": last["test_accuracy"], "best_test_accuracy": best,
                  "layer_accuracy": last["layer_accuracy"],
                  "images_per_second": sum(r["images_per_second"] for r in history) / len(history),
                  "seconds_per_epoch": sum(r["epoch_seconds"] for r in history) / len(history),
                  "threads": torch.get_num_threads(), "batch_size": cfg.batch_size, "lr": cfg.lr,
                  "train_images": int(train_y.shape[0]), "test_images": int(test_y.shape[0]),
                  "their_preset": f"{PRESET_DATA[a.arch]} {a.arch} (option.py pre_config) on Fashion-MNIST data",
                  "history": history}
        line = json.dumps(result)
        print(line, flush=True)
        if a.out:
            os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
            with open(a.out, "w") as f:
                f.write(line + "\n")
    finally:
        for h in list(getattr(getattr(t, "logger", None), "handlers", [])):
            h.close()
        shutil.rmtree(save_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
