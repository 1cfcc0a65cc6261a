#!/usr/bin/env bash
# Installs a current LibTorch 2.x from PyPI's `torch` wheel into the project-local virtual
# environment .venv-torch2/ (idempotent) and prints its CMake prefix path on the last line.
# The wheel ships LibTorch's headers, libraries and CMake config (torch.utils.cmake_prefix_path);
# its CUDA libraries come with it as wheels too, so the same LibTorch serves the CPU and the CUDA
# builds. pip's cache (~/.cache/pip) keeps the downloaded wheels for the next run and for CI.
# Environment: TORCH_VERSION (default below) pins the version; VENV (default .venv-torch2).
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_VERSION=${TORCH_VERSION:-2.15.0}
VENV=${VENV:-.venv-torch2}

bash scripts/install-deps.sh >&2
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >&2
fi
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
have=$("$VENV/bin/python" -c 'import torch; print(torch.__version__.split("+")[0])' 2>/dev/null || true)
if [ "$have" != "$TORCH_VERSION" ]; then
  # The wheel and its CUDA wheels take about 5 GB installed and as much again while pip downloads
  # and caches them: say so plainly rather than fail in the middle of pip with ENOSPC.
  need_kb=$((10 * 1024 * 1024))
  for dir in "$VENV" "${TMPDIR:-/tmp}" "$HOME"; do
    free_kb=$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')
    if [ "${free_kb:-0}" -lt "$need_kb" ]; then
      echo "setup-torch2: installing torch==$TORCH_VERSION needs about 10 GB free; $dir has $((free_kb / 1024)) MB" >&2
      exit 1
    fi
  done
  echo "setup-torch2: installing torch==$TORCH_VERSION into $VENV (about 5 GB with its CUDA libraries)" >&2
  "$VENV/bin/pip" install --quiet --progress-bar off "torch==$TORCH_VERSION" >&2
fi
"$VENV/bin/python" -W ignore -c 'import torch; print(torch.utils.cmake_prefix_path)'
