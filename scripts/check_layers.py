#!/usr/bin/env python3
"""The include graph between the project's layers: every include must run down (or stay within a
layer). Prints the layer-to-layer include counts and exits 1, naming each file and include, when an
include runs up. The layers, bottom to top, are the folders of include/dcl/ and src/."""
import re
import sys
from pathlib import Path

LAYERS = ["util", "data", "report", "optim", "nn", "losses", "stages", "methods", "runtime", "training",
          "experiments", "analysis", "cli"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"dcl/([a-z_]+)/')


def layer_of(path: Path, root: Path):
    parts = path.relative_to(root).parts
    folder = parts[2] if parts[0] == "include" else parts[1]
    return folder if folder in LAYERS else None


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
    counts, upward, unknown = {}, [], []
    files = sorted(p for d in ("include/dcl", "src") for p in (root / d).rglob("*") if p.suffix in (".h", ".cpp"))
    for path in files:
        source = layer_of(path, root)
        if source is None:
            unknown.append(str(path.relative_to(root)))
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            m = INCLUDE.match(line)
            if not m:
                continue
            target = m.group(1)
            if target not in LAYERS:
                unknown.append(f"{path.relative_to(root)}: {line.strip()}")
                continue
            counts[(source, target)] = counts.get((source, target), 0) + 1
            if LAYERS.index(target) > LAYERS.index(source):
                upward.append(f"{path.relative_to(root)}: {line.strip()} ({source} -> {target})")
    width = max(len(name) for name in LAYERS)
    print("includes from layer (row) to layer (column); layers bottom to top")
    print(" " * (width + 1) + " ".join(f"{name[:5]:>5}" for name in LAYERS))
    for source in LAYERS:
        cells = " ".join(f"{counts.get((source, target), 0) or '.':>5}" for target in LAYERS)
        print(f"{source:>{width}} {cells}")
    for problem in unknown:
        print(f"not in a layer: {problem}")
    for problem in upward:
        print(f"upward include: {problem}")
    print(f"{len(upward)} upward, {len(unknown)} outside the layers")
    return 1 if upward or unknown else 0


if __name__ == "__main__":
    sys.exit(main())
