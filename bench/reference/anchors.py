#!/usr/bin/env python3
"""The speed anchors: the authors' PyTorch DCL (github.com/schoi828/DCL) against dcl, alternating.

Rows (DCL, 2 threads unless --threads):
  fc step, simple256 step  training images/s over --step-images Fashion-MNIST images (their
                           presets' batch 512), read from each program's own epoch report
                           (theirs: dcl_parity.py's batch loop; ours: dcl train's metrics.jsonl)
  vgg8b step               median step time, 3x32x32, batch 128 (theirs: dcl_vgg8b_step.py;
                           ours: dcl bench --json)
  fc epoch end to end      wall time of a whole 1-epoch Fashion-MNIST fc run, batch 512: start,
                           data, training, test evaluation, exit (theirs: dcl_parity.py; ours:
                           dcl train)
Their code runs under each torch its users have, each at its best: PyPI's torch 2.x (MKL inside;
--pypi-python) and Debian's python3-torch 1.13 (--debian-python) with OMP_WAIT_POLICY=PASSIVE and
OpenBLAS's kernel set for this processor (OPENBLAS_CORETYPE as dcl reports it). dcl sets both
itself. Every round runs each row's two programs one after the other; the table gives medians over
rounds and the ratio theirs/ours (above 1: dcl is faster).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def fail(msg):
    print(f"anchors.py: error: {msg}", file=sys.stderr)
    sys.exit(2)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", required=True, help="checkout (work tree) of github.com/schoi828/DCL")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rows", default="fc,simple256,vgg8b,fc-epoch", help="comma-separated subset of the rows")
    p.add_argument("--step-images", type=int, default=5120, help="images of the fc/simple256 step rows")
    p.add_argument("--vgg-steps", type=int, default=3)
    p.add_argument("--dcl", default=os.path.join(ROOT, "build", "dcl"), help="the dcl binary")
    p.add_argument("--pypi-python", default=os.path.join(ROOT, ".venv-torch2", "bin", "python"),
                   help="a python with PyPI's torch, numpy and einops ('' to skip)")
    p.add_argument("--debian-python", default=os.path.join(ROOT, ".venv-debian", "bin", "python"),
                   help="a python with Debian's python3-torch, numpy and einops ('' to skip)")
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    a = p.parse_args()
    a.rows = [r for r in a.rows.split(",") if r]
    for r in a.rows:
        if r not in ("fc", "simple256", "vgg8b", "fc-epoch"):
            fail(f"--rows: unknown row '{r}' (fc, simple256, vgg8b, fc-epoch)")
    if a.rounds < 1 or a.threads < 1 or a.step_images < 512 or a.vgg_steps < 1:
        fail("--rounds, --threads, --vgg-steps must be positive and --step-images at least 512")
    if not os.access(a.dcl, os.X_OK):
        fail(f"--dcl {a.dcl}: not an executable (build it: scripts/build.sh)")
    return a


def run(cmd, env=None):
    """(stdout, wall seconds); the command's stderr is shown when it fails."""
    start = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if r.returncode != 0:
        fail(f"{' '.join(cmd)} failed (exit {r.returncode}):\n{r.stderr[-3000:]}{r.stdout[-2000:]}")
    return r.stdout, wall


def last_json(stdout):
    return json.loads(stdout.strip().splitlines()[-1])


def blas_core(dcl):
    """The OpenBLAS kernel dcl runs here (its bench header), for the reference's environment."""
    r = subprocess.run([dcl, "bench", "--arch", "fc", "--input", "1x28x28", "--batch-size", "8", "--methods", "dcl",
                        "--steps", "1", "--warmup", "0", "--threads", "1"], capture_output=True, text=True)
    m = re.search(r"OpenBLAS \(core (\w+)\)", r.stdout + r.stderr)
    return m.group(1) if m else None


class Anchors:
    def __init__(self, a, tmp):
        self.a, self.tmp = a, tmp

    def ours_train(self, arch, limit):
        out = tempfile.mkdtemp(dir=self.tmp)
        cmd = [self.a.dcl, "train", "--data", "fmnist", "--data-dir", self.a.data_dir, "--arch", arch, "--method", "dcl",
               "--epochs", "1", "--batch-size", "512", "--threads", str(self.a.threads), "--out", out]
        if limit:
            cmd += ["--limit-train", str(limit), "--limit-test", "512"]
        _, wall = run(cmd)
        with open(os.path.join(out, "metrics.jsonl")) as f:
            return json.loads(f.readline()), wall

    def theirs_parity(self, python, env, arch, limit):
        cmd = [python, os.path.join(HERE, "dcl_parity.py"), "--repo", self.a.repo, "--arch", arch, "--method", "dcl",
               "--epochs", "1", "--threads", str(self.a.threads), "--data-dir", self.a.data_dir]
        if limit:
            cmd += ["--limit-train", str(limit), "--limit-test", "512"]
        stdout, wall = run(cmd, env)
        return last_json(stdout), wall

    def measure(self, row, python, env):
        """(theirs, ours, unit) for one round of `row`."""
        a = self.a
        if row in ("fc", "simple256"):
            theirs, _ = self.theirs_parity(python, env, row, a.step_images)
            ours, _ = self.ours_train(row, a.step_images)
            return theirs["images_per_second"], ours["images_per_second"], "img/s"
        if row == "vgg8b":
            stdout, _ = run([python, os.path.join(HERE, "dcl_vgg8b_step.py"), "--repo", a.repo, "--method", "dcl",
                             "--batch-size", "128", "--steps", str(a.vgg_steps), "--warmup", "1", "--threads",
                             str(a.threads), "--input", "3x32x32"], env)
            theirs = last_json(stdout)["median_step_seconds"]
            stdout, _ = run([a.dcl, "bench", "--arch", "vgg8b", "--input", "3x32x32", "--batch-size", "128", "--methods",
                             "dcl", "--steps", str(a.vgg_steps), "--warmup", "1", "--threads", str(a.threads), "--json"])
            ours = next(m for m in json.loads(stdout)["methods"] if m["method"] == "dcl")["median_step_seconds"]
            return theirs, ours, "s/step"
        _, theirs = self.theirs_parity(python, env, "fc", 0)
        _, ours = self.ours_train("fc", 0)
        return theirs, ours, "s"


def main():
    a = parse_args()
    core = blas_core(a.dcl)
    envs = []
    if a.pypi_python:
        envs.append(("PyPI torch 2.x", a.pypi_python, dict(os.environ)))
    if a.debian_python:
        env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
        if core and "OPENBLAS_CORETYPE" not in os.environ:
            env["OPENBLAS_CORETYPE"] = core
        envs.append((f"Debian torch 1.13, OMP_WAIT_POLICY=PASSIVE, OPENBLAS_CORETYPE={env.get('OPENBLAS_CORETYPE', '-')}",
                     a.debian_python, env))
    for name, python, _ in envs:
        if not os.access(python, os.X_OK):
            fail(f"no python at {python} ({name}); give another, or '' to skip it")
    print(f"dcl: {a.dcl} (OpenBLAS core {core}); their code: {a.repo}; {a.threads} threads, {a.rounds} rounds",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="dcl-anchors-") as tmp:
        anchors = Anchors(a, tmp)
        results = {}
        for r in range(1, a.rounds + 1):
            for name, python, env in envs:
                for row in a.rows:
                    theirs, ours, unit = anchors.measure(row, python, env)
                    results.setdefault((name, row), []).append((theirs, ours, unit))
                    print(f"round {r}, {name}, {row}: theirs {theirs:.4g} {unit}, ours {ours:.4g} {unit}", flush=True)
        print()
        print("| their torch | row | theirs | ours | theirs/ours time |")
        print("|---|---|---|---|---|")
        for (name, row), values in results.items():
            unit = values[0][2]
            theirs = statistics.median(v[0] for v in values)
            ours = statistics.median(v[1] for v in values)
            speedup = ours / theirs if unit == "img/s" else theirs / ours  # above 1: ours is faster
            print(f"| {name} | {row} | {theirs:.4g} {unit} | {ours:.4g} {unit} | **{speedup:.2f}x** |")


if __name__ == "__main__":
    main()
