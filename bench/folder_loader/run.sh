#!/usr/bin/env bash
# dcl's folder loader against torchvision's ImageFolder + DataLoader on the same JPEG files, with
# the same recipe, batch size and number of workers, at 32 and 224 px; decoding every image every
# time (dcl: --image-loading stream). Then the time a VGG8B-sized step would wait for dcl's loader.
#   bench/folder_loader/run.sh [DCL_BINARY]     (ROOT=... to use your own ImageFolder tree)
set -euo pipefail
cd "$(dirname "$0")/../.."
DCL=${1:-build/dcl}
DCL_DEPS=bench bash scripts/install-deps.sh
# Debian's Python, where python3-torchvision and python3-pil are installed.
PY=${PYTHON:-/usr/bin/python3}
ROOT=${ROOT:-${TMPDIR:-/tmp}/dcl-bench-photos}
[ -d "$ROOT/train" ] || "$PY" bench/folder_loader/make_photos.py "$ROOT" --per-class 200 --classes 10
export DCL_CACHE_DIR=${DCL_CACHE_DIR:-${TMPDIR:-/tmp}/dcl-bench-cache}
BATCHES=${BATCHES:-20}
for size in 32 224; do
  for workers in 1 2; do
    echo "--- ${size} px, ${workers} worker(s)"
    "$DCL" data bench "folder:$ROOT" --image-size "$size" --image-loading stream --loader-threads "$workers" \
      --batch-size 64 --batches "$BATCHES"
    "$PY" bench/folder_loader/torchvision_loader.py "$ROOT" --image-size "$size" --workers "$workers" \
      --batch-size 64 --batches "$BATCHES"
  done
done
# A step of STEP_MS (the caller measures it with `dcl bench`): how long does it wait for data?
if [ -n "${STEP_MS:-}" ]; then
  echo "--- behind a ${STEP_MS} ms step, 224 px, 2 loader threads, batch 128"
  "$DCL" data bench "folder:$ROOT" --image-size 224 --image-loading stream --loader-threads 2 --batch-size 128 \
    --batches 10 --step-ms "$STEP_MS"
fi
