#!/usr/bin/env bash
# Installs dependencies (idempotent) and builds into build/, or $BUILD_DIR (ccache + a precompiled torch header).
# Extra CMake arguments pass through, e.g. -DCMAKE_PREFIX_PATH=/path/to/libtorch for a CUDA LibTorch,
# -DDCL_WERROR=ON (warnings as errors) or -DDCL_SANITIZE=address|thread.
# Environment: BUILD_DIR (default build) is the build directory; BUILD_TARGETS (default: all) is a
# space-separated list of targets to build instead of everything. TORCH=pypi builds against
# LibTorch 2.x from PyPI's torch wheel (scripts/setup-torch2.sh installs it into .venv-torch2/;
# default BUILD_DIR build-torch2; that LibTorch has CUDA, so the CUDA code paths are compiled too)
# instead of Debian's LibTorch 1.13 (TORCH=debian, the default).
set -euo pipefail
cd "$(dirname "$0")/.."
torch_args=()
case "${TORCH:-debian}" in
  debian) BUILD_DIR=${BUILD_DIR:-build} ;;
  pypi)
    BUILD_DIR=${BUILD_DIR:-build-torch2}
    prefix=$(bash scripts/setup-torch2.sh | tail -n 1)
    torch_args+=("-DCMAKE_PREFIX_PATH=$prefix")
    ;;
  *) echo "build.sh: TORCH must be debian or pypi, not '$TORCH'" >&2; exit 2 ;;
esac
bash scripts/install-deps.sh
# ccache may reuse results compiled with the precompiled torch header only with these sloppiness
# settings. They are exported for this build alone: the user's own ccache configuration is left as
# it is (`ccache --set-config` would rewrite it for every project).
if command -v ccache >/dev/null; then
  export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:+$CCACHE_SLOPPINESS,}pch_defines,time_macros,include_file_mtime,include_file_ctime"
  # Paths inside the checkout are hashed relative to it, so a fresh clone (CI) reuses the cache.
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
fi
cmake -S . -B "$BUILD_DIR" -G Ninja ${torch_args[@]+"${torch_args[@]}"} "$@" >/dev/null
targets=()
[ -z "${BUILD_TARGETS:-}" ] || read -r -a targets <<<"$BUILD_TARGETS"
cmake --build "$BUILD_DIR" -j "$(nproc)" ${targets[@]+--target "${targets[@]}"}
