#!/usr/bin/env bash
# Gathers what scripts/gpu-check.sh needs on a GPU machine that reaches no package registry, into
# gpu-carry/ (git-ignored, about 36 MiB): the header-only CLI11 and nlohmann-json, GoogleTest's
# sources, zlib's headers, and Fashion-MNIST's four files. Run it here (it installs the Debian
# packages it copies from), then carry gpu-carry/ along with the working tree.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >&2
dest=gpu-carry
rm -rf "$dest"
mkdir -p "$dest/include" "$dest/zlib/include" "$dest/fashion-mnist"
cp -r /usr/include/CLI /usr/include/nlohmann /usr/include/gloo "$dest/include/"  # gloo: c10d's ProcessGroupGloo
cp -r /usr/src/googletest "$dest/googletest"
cp /usr/include/zlib.h /usr/include/zconf.h "$dest/zlib/include/"
cp /usr/share/datasets/fashion-mnist/*-ubyte.gz "$dest/fashion-mnist/"
du -sh "$dest"
