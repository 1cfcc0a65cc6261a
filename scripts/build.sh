#!/usr/bin/env bash
# Installs dependencies (idempotent) and builds into build/ (ccache + a precompiled torch header).
# Extra CMake arguments pass through, e.g. -DCMAKE_PREFIX_PATH=/path/to/libtorch for a CUDA LibTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if command -v ccache >/dev/null; then
  ccache --set-config=sloppiness=pch_defines,time_macros,include_file_mtime,include_file_ctime >/dev/null
fi
cmake -S . -B build -G Ninja "$@" >/dev/null
cmake --build build -j "$(nproc)"
