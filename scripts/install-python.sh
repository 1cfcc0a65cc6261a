#!/usr/bin/env bash
# Installs the Python package `dcl` (pyproject.toml, python/) into the virtual environment VENV
# (default .venv-torch2/, where scripts/setup-torch2.sh puts PyPI's torch 2.x), compiled against
# that environment's torch. Extra arguments go to pip.
# Environment: VENV; BUILD_DIR (default: pyproject.toml's build-python/<wheel tag>) is the CMake
# build directory, kept between installs; BUILD_DIR=build-torch2 reuses what
# `TORCH=pypi scripts/build.sh` compiled, so only the extension itself is compiled.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv-torch2}
VENV=$VENV bash scripts/setup-torch2.sh >/dev/null  # also installs the system packages dcl builds with
"$VENV/bin/pip" install --quiet --progress-bar off scikit-build-core pytest numpy
if command -v ccache >/dev/null; then  # as scripts/build.sh
  export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:+$CCACHE_SLOPPINESS,}pch_defines,time_macros,include_file_mtime,include_file_ctime"
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
fi
settings=()
[ -z "${BUILD_DIR:-}" ] || settings+=("--config-settings=build-dir=$BUILD_DIR")
# No build isolation: the extension must be compiled against the torch installed here, not a
# fresh download of another; no dependencies: torch is already there.
"$VENV/bin/pip" install --no-build-isolation --no-deps --force-reinstall ${settings[@]+"${settings[@]}"} "$@" .
