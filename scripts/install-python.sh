#!/usr/bin/env bash
# Installs the Python package `dcl` (pyproject.toml, python/) into a virtual environment, compiled
# against that environment's torch, and prints the environment's python on the last line.
#   TORCH=pypi (default): VENV .venv-torch2/, PyPI's torch 2.x (scripts/setup-torch2.sh)
#   TORCH=debian:         VENV .venv-debian/, Debian's python3-torch 1.13 (system site packages)
# Extra arguments go to pip. BUILD_DIR (default: pyproject.toml's build-python/<wheel tag>) is
# the CMake build directory, kept between installs; giving scripts/build.sh's (build-torch2 or
# build) reuses what it compiled, so that only the extension itself is compiled.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${TORCH:-pypi}" in
  pypi)
    VENV=${VENV:-.venv-torch2}
    VENV=$VENV bash scripts/setup-torch2.sh >/dev/null  # also installs the system packages dcl builds with
    "$VENV/bin/pip" install --quiet --progress-bar off scikit-build-core pytest numpy >&2
    ;;
  debian)
    VENV=${VENV:-.venv-debian}
    bash scripts/install-deps.sh >&2  # python3-torch, libtorch-dev, pybind11-dev, pytest, numpy
    [ -x "$VENV/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$VENV"
    "$VENV/bin/pip" install --quiet --progress-bar off scikit-build-core >&2
    ;;
  *) echo "install-python: TORCH must be pypi or debian, not '$TORCH'" >&2; exit 2 ;;
esac
if command -v ccache >/dev/null; then  # as scripts/build.sh
  export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:+$CCACHE_SLOPPINESS,}pch_defines,time_macros,include_file_mtime,include_file_ctime"
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
fi
settings=()
[ -z "${BUILD_DIR:-}" ] || settings+=("--config-settings=build-dir=$BUILD_DIR")
# No build isolation: the extension must be compiled against the torch installed here, not a
# fresh download of another; no dependencies: torch is already there.
"$VENV/bin/pip" install --no-build-isolation --no-deps --force-reinstall ${settings[@]+"${settings[@]}"} "$@" . >&2
echo "$PWD/$VENV/bin/python"
