"""dcl's commands from Python: training, comparisons, evaluation, export, and saved runs as
torch.nn.Modules. Each runs the C++ code in this process; flags are the command line's, given as
keyword arguments (``batch_size=128`` is ``--batch-size 128``, ``nesterov=True`` is
``--nesterov``), and an invalid one raises DclError with the command line's one-line message."""
import csv
import json
import os

import torch
from torch import nn

from . import _C


class DclError(RuntimeError):
    """A dcl command failed; the message is dcl's one-line error, ``exit_code`` its exit code
    (2: an invalid flag or value, 1: anything else)."""

    def __init__(self, message, exit_code):
        super().__init__(message)
        self.exit_code = exit_code


def _flag_args(flags):
    args = []
    for key, value in flags.items():
        if value is None:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            args.append(flag)
        elif value is False:
            args.append(flag + "=false")
        elif isinstance(value, (list, tuple)):
            args += [flag, ",".join(str(v) for v in value)]
        else:
            args += [flag, str(value)]
    return args


def run(command, *args, **flags):
    """Runs ``dcl COMMAND ARGS... --FLAGS`` in this process (the GIL released, progress on the
    terminal). Ctrl-C stops a training at the end of its step with a checkpoint written, then
    raises KeyboardInterrupt."""
    argv = [str(command), *(str(a) for a in args), *_flag_args(flags)]
    code, error, stopped = _C.run_command(argv)
    if stopped:
        raise KeyboardInterrupt(f"dcl {command} stopped by a signal; what it trained is checkpointed")
    if code != 0:
        raise DclError(error or f"dcl {command} exited with status {code}", code)


def _read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def train(data=None, arch=None, method=None, out=None, *, resume=False, **flags):
    """Trains ``arch`` with ``method`` on ``data`` into the run directory ``out`` and returns its
    summary (summary.json) as a dict. ``resume=True`` continues the run saved in ``out`` (then only
    epochs, threads, ... may be given, as with ``dcl train --resume``). Ctrl-C writes a checkpoint
    and raises KeyboardInterrupt; ``train(out=..., resume=True)`` goes on from there."""
    if out is None:
        raise ValueError("dcl.train needs out=: the run directory its summary is read from")
    if int(flags.get("nproc", 1) or 1) > 1:
        raise ValueError("nproc > 1 starts worker processes: run `dcl train --nproc N` or torchrun from a shell")
    given = {"data": data, "arch": arch, "method": method}
    if resume:
        run("train", "--resume", out, **given, **flags)
    else:
        run("train", **given, out=out, **flags)
    return _read_json(os.path.join(out, "summary.json"))


def compare(methods, out, **flags):
    """Trains every method in ``methods`` (names, or METHOD:KEY=VALUE rows) x ``seeds`` alike and
    returns compare.csv's rows as dicts (also written: OUT/compare.md)."""
    if isinstance(methods, str):
        methods = [methods]
    run("compare", methods=",".join(methods), out=out, **flags)
    with open(os.path.join(out, "compare.csv"), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def evaluate(run_dir, data_dir="", threads=0):
    """``dcl eval --run RUN_DIR``: the test-set result of a saved run, as a dict."""
    return json.loads(_C.evaluate_run(str(run_dir), str(data_dir), int(threads)))


def export(run_dir, out, data_dir=None):
    """``dcl export``: the run's tensors to OUT (torch.load reads it) and the architecture to
    OUT.json; returns the architecture."""
    run("export", run=run_dir, out=out, data_dir=data_dir)
    return _read_json(str(out) + ".json")


class LoadedRun(nn.Module):
    """A trained dcl model as a torch.nn.Module: ``forward`` takes the dataset's images (uint8
    [N, C, H, W], normalised as dcl's test batches are, or already-normalised float) and returns
    the class scores dcl's test accuracy is computed from. Its buffers are the model's tensors by
    dcl's names (network, head, dictionary, ...), shared with the C++ model, which runs on the CPU."""

    def __init__(self, path, data_dir=""):
        super().__init__()
        self._model = _C.LoadedModel(str(path), str(data_dir or ""))
        self.architecture = json.loads(self._model.architecture())
        self.config = self.architecture["config"]
        self.class_names = list(self._model.class_names)
        self.mean = list(self._model.mean)
        self.std = list(self._model.std)
        self.epochs_trained = self._model.epochs_trained
        for name, tensor in self._model.named_tensors():
            *path_parts, leaf = name.split(".")
            owner = self
            for part in path_parts:
                if not hasattr(owner, part):
                    owner.add_module(part, nn.Module())
                owner = getattr(owner, part)
            owner.register_buffer(leaf, tensor)

    def normalise(self, images):
        """uint8 images [N, C, H, W] -> the network's float input (the run's mean and std)."""
        return self._model.normalise(images)

    def forward(self, x):
        if x.dtype == torch.uint8:
            x = self.normalise(x)
        return self._model.predict(x.to(torch.float32).cpu().contiguous())

    def predict(self, x):
        """Class indices [N]."""
        return self.forward(x).argmax(1)


def load(path, data_dir=None):
    """A run directory (dcl train's --out) or an export file (dcl export's --out) as a LoadedRun."""
    return LoadedRun(path, data_dir or "")
