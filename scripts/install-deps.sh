#!/usr/bin/env bash
# Installs the Debian packages the project needs. Idempotent; uses sudo only when not root.
# DCL_DEPS=build installs what building and running `dcl` needs (scripts/quickstart.sh); the
# default, DCL_DEPS=all, adds what the tests need (GoogleTest, clang for the fuzz targets,
# Chromium for the report's render test, ip for the two-namespace test, Debian's torch for Python
# and what the Python package builds and tests with); DCL_DEPS=bench adds the
# folder-loader benchmark's anchor (torchvision, PIL).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev                 # LibTorch 1.13 (CPU)
  libgloo-dev                  # Gloo's headers: c10d's ProcessGroupGloo (data-parallel jobs)
  libopenblas0-pthread         # optimised BLAS: ~10x faster than the reference libblas3
  libcli11-dev nlohmann-json3-dev libfmt-dev
  libturbojpeg0-dev libjpeg62-turbo-dev   # JPEG folder datasets (libpng-dev below decodes PNG)
  zlib1g-dev libmatio-dev libcurl4-openssl-dev libssl-dev libarchive-dev
  libplplot-dev plplot-driver-cairo fonts-dejavu-core libpng-dev   # dcl analyze's figures (PNG)
  libjs-chart.js               # dcl report's charts, inlined into the page
  dataset-fashion-mnist        # the default real dataset
)
case "${DCL_DEPS:-all}" in
  build) ;;
  all)
    packages+=(
      libgtest-dev
      clang libclang-rt-14-dev   # clang + libFuzzer for the parser fuzz targets
      python3                    # local HTTP server used by the download tests
      chromium                   # the report's render test (headless)
      iproute2                   # ip netns: the two-namespace data-parallel test
      python3-dev python3-venv python3-torch pybind11-dev python3-pytest python3-numpy  # the Python package against Debian's torch
    )
    ;;
  bench)  # bench/folder_loader: the torchvision anchor and the synthetic photos
    packages+=(python3-torchvision python3-pil)
    ;;
  *) echo "install-deps: DCL_DEPS must be build, all or bench, not '$DCL_DEPS'" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi

# Debian selects libblas.so.3 through alternatives; make sure OpenBLAS wins over the reference BLAS.
arch_dir="/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"
openblas="$arch_dir/openblas-pthread/libblas.so.3"
if [ -e "$openblas" ]; then
  current=$(readlink -f "$arch_dir/libblas.so.3" || true)
  if [ "$current" != "$(readlink -f "$openblas")" ]; then
    $SUDO update-alternatives --set "libblas.so.3-$(basename "$arch_dir")" "$openblas" >/dev/null
    echo "install-deps: libblas.so.3 -> OpenBLAS"
  fi
fi
