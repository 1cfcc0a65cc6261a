#!/usr/bin/env bash
# Sets everything up and trains DCL on Fashion-MNIST (fc network, quick preset: a few minutes on
# 2 cores), then prints the final test error. The run directory is runs/quickstart-<time>.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
./build/dcl train --data fmnist --arch fc --method dcl --preset quick --out "runs/quickstart-$(date +%Y%m%d-%H%M%S)"
