#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan, the data library only: no torch) and runs
# each from its generated seeds for FUZZ_SECONDS (default 20); a crash, leak or sanitizer report
# fails the script and leaves the input under build-fuzz/artifacts/<target>/. See fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-20}
CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DDCL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=(idx cifar10 cifar100 stl10 svhn gzip image)
ninja -C "$BUILD_DIR" fuzz_make_seeds "${targets[@]/#/fuzz_}"
"$BUILD_DIR/fuzz/fuzz_make_seeds" "$BUILD_DIR/seeds"
for t in "${targets[@]}"; do
  mkdir -p "$BUILD_DIR/corpus/$t" "$BUILD_DIR/artifacts/$t"
  echo "fuzz_$t: ${SECONDS_EACH} s"
  "$BUILD_DIR/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -artifact_prefix="$BUILD_DIR/artifacts/$t/" \
    "$BUILD_DIR/corpus/$t" "$BUILD_DIR/seeds/$t" 2>&1 | grep -E "^stat::number_of_executed_units|ERROR|SUMMARY|crash" || true
  if compgen -G "$BUILD_DIR/artifacts/$t/*" >/dev/null; then
    echo "fuzz_$t found an input that fails: $(ls "$BUILD_DIR/artifacts/$t")" >&2
    exit 1
  fi
done
