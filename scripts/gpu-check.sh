#!/usr/bin/env bash
# The GPU check, for a machine with an NVIDIA GPU, PyTorch 2.x, CMake, ninja and a compiler, but no
# package registry: builds the lean configuration (no downloads, no SVHN) against that machine's own
# LibTorch (torch.utils.cmake_prefix_path), runs the GPU tests, benches VGG8B on the GPU and trains
# a short Fashion-MNIST VGG8B DCL run. What the build needs comes from gpu-carry/ (scripts/gpu-carry.sh,
# run on a machine with the packages). Writes every figure to $OUT/gpu-check.txt (OUT defaults to
# gpu-check-out) and says where the time went; about 6 minutes on one H100.
# Environment: OUT, CARRY (default gpu-carry), EPOCHS (default 2) of the Fashion-MNIST run.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu-check-out}
CARRY=$(realpath "${CARRY:-gpu-carry}")
EPOCHS=${EPOCHS:-2}
mkdir -p "$OUT"
report="$OUT/gpu-check.txt"
: >"$report"
say() { echo "$*" | tee -a "$report"; }
start=$SECONDS
phase_start=$SECONDS
phase() {
  say "--- $1 (previous phase took $((SECONDS - phase_start)) s; $((SECONDS - start)) s so far)"
  phase_start=$SECONDS
}

[ -d "$CARRY/include/CLI" ] || { echo "gpu-check: $CARRY is missing: run scripts/gpu-carry.sh and carry gpu-carry/" >&2; exit 2; }
phase "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | tee -a "$report" || true
prefix=$(python3 -W ignore -c 'import torch; print(torch.utils.cmake_prefix_path)')
say "torch $(python3 -W ignore -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)')"

# zlib: the system's headers if present, else the carried ones with the system's runtime library.
zlib_args=()
if ! echo '#include <zlib.h>' | c++ -E -x c++ - >/dev/null 2>&1; then
  libz=$(ldconfig -p | awk '/libz\.so\.1 .*x86-64/ {print $NF; exit}')
  mkdir -p "$CARRY/zlib/lib"
  ln -sf "$libz" "$CARRY/zlib/lib/libz.so"
  zlib_args=(-DZLIB_ROOT="$CARRY/zlib")
fi

phase "configure + build (lean: DCL_WITH_DOWNLOADS=OFF DCL_WITH_MATIO=OFF)"
arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n 1 || true)
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
  -DDCL_WITH_DOWNLOADS=OFF -DDCL_WITH_MATIO=OFF -DDCL_WITH_PLOTS=OFF -DDCL_WITH_IMAGES=OFF -DDCL_VENDOR_HEADERS="$CARRY/include" \
  -DDCL_GTEST_SOURCE_DIR="$CARRY/googletest" ${arch:+-DTORCH_CUDA_ARCH_LIST="$arch"} \
  ${zlib_args[@]+"${zlib_args[@]}"} >"$OUT/configure.log" 2>&1 || { tail -n 30 "$OUT/configure.log"; exit 1; }
cmake --build build-gpu -j "$(nproc)" --target dcl dcl_device_tests >"$OUT/build.log" 2>&1 ||
  { tail -n 40 "$OUT/build.log"; exit 1; }

phase "GPU tests (dcl_device_tests)"
build-gpu/tests/dcl_device_tests 2>&1 | tee "$OUT/tests.log" | grep -E "^\[ +(OK|FAILED|SKIPPED|PASSED) " | tee -a "$report"

phase "dcl bench --device cuda (VGG8B, 3x32x32, batch 128)"
build-gpu/dcl bench --device cuda --arch vgg8b --input 3x32x32 --batch-size 128 --methods bp,dcl,dcl-s,ll-predsim \
  --steps 10 --warmup 3 2>&1 | tee -a "$report"
# bf16 against float32 in one invocation: the fused conv blocks convolve in bfloat16 on CUDA.
build-gpu/dcl bench --device cuda --arch vgg8b --input 3x32x32 --batch-size 128 \
  --methods bp,bp:amp=bf16,dcl,dcl:amp=bf16 --steps 10 --warmup 3 2>&1 | tee -a "$report"

phase "Fashion-MNIST VGG8B DCL, $EPOCHS epochs"
build-gpu/dcl train --device cuda --data fmnist --data-dir "$CARRY/fashion-mnist" --arch vgg8b --method dcl \
  --epochs "$EPOCHS" --batch-size 128 --lr 5e-4 --out "$OUT/fmnist-vgg8b-dcl" 2>&1 | tail -n 6 | tee -a "$report"
cp "$OUT/fmnist-vgg8b-dcl/summary.json" "$OUT/summary.json" 2>/dev/null || true

phase "done"
say "total $((SECONDS - start)) s"
