#!/usr/bin/env bash
# Sets everything up and runs the whole test suite (GoogleTest through ctest, then the Python
# package's pytest suite).
# In CI (the CI environment variable set and not "false"/"0") compiler warnings are errors.
# Extra arguments are CMake arguments, passed on to scripts/build.sh; BUILD_DIR and TORCH work as
# there (TORCH=pypi: against LibTorch 2.x from PyPI's wheel, in build-torch2/).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${TORCH:-debian}" = pypi ]; then BUILD_DIR=${BUILD_DIR:-build-torch2}; else BUILD_DIR=${BUILD_DIR:-build}; fi
cmake_args=(-DDCL_BUILD_TESTS=ON)  # on again after scripts/quickstart.sh
case "${CI:-}" in
  "" | 0 | false) ;;
  *) cmake_args+=(-DDCL_WERROR=ON) ;;
esac
# The real tensorboard package reads back what dcl train --tensorboard writes.
tools_python=$(bash scripts/setup-python-tools.sh | tail -n 1)
cmake_args+=(-DDCL_TOOLS_PYTHON="$tools_python")
BUILD_DIR=$BUILD_DIR bash scripts/build.sh ${cmake_args[@]+"${cmake_args[@]}"} "$@"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j 2
# The Python package, installed by pip against this leg's torch (reusing this build: only the
# extension is compiled), and its tests. pytest fails when it collects no test (exit status 5).
python=$(TORCH=${TORCH:-debian} BUILD_DIR=$BUILD_DIR bash scripts/install-python.sh --quiet | tail -n 1)
(cd python/tests && "$python" -m pytest -q -p no:cacheprovider .)
