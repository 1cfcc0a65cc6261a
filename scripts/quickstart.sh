#!/usr/bin/env bash
# Sets everything up and trains DCL on Fashion-MNIST (fc network, quick preset: a few minutes on
# 2 cores), then prints the final test error. The run directory is runs/quickstart-<time>.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only what it runs: the dcl program, without the tests or their packages (scripts/test.sh adds
# them later and reuses everything built here).
DCL_DEPS=build BUILD_TARGETS=dcl bash scripts/build.sh -DDCL_BUILD_TESTS=OFF
./build/dcl train --data fmnist --arch fc --method dcl --preset quick --out "runs/quickstart-$(date +%Y%m%d-%H%M%S)"
