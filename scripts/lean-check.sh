#!/usr/bin/env bash
# Checks the lean configuration's plumbing (CI): downloads, matio and image folders off, CLI11/nlohmann-json
# copied from a directory (DCL_VENDOR_HEADERS), GoogleTest built from its sources; builds the data
# library and its tests (no torch: quick) into build-lean/ and runs them. The full lean build, with
# torch and the GPU tests, is what scripts/gpu-check.sh does on a GPU machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build-lean}
vendor="$BUILD_DIR/headers"
mkdir -p "$vendor"
cp -r /usr/include/CLI /usr/include/nlohmann "$vendor/"
werror=()
case "${CI:-}" in "" | 0 | false) ;; *) werror=(-DDCL_WERROR=ON) ;; esac
cmake -S . -B "$BUILD_DIR" -G Ninja -DDCL_WITH_DOWNLOADS=OFF -DDCL_WITH_MATIO=OFF -DDCL_WITH_IMAGES=OFF \
  -DDCL_VENDOR_HEADERS="$PWD/$vendor" -DDCL_GTEST_SOURCE_DIR=/usr/src/googletest ${werror[@]+"${werror[@]}"} >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" --target dcl_data_tests
"$BUILD_DIR/tests/dcl_data_tests" --gtest_brief=1
