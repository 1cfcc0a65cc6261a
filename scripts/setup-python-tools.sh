#!/usr/bin/env bash
# Installs the Python tools that tests use to check dcl's output against the real readers
# (today: the `tensorboard` package, which reads the event files of `dcl train --tensorboard`)
# into the project-local virtual environment .venv-tools/ (idempotent) and prints the venv's
# python on the last line; everything else goes to stderr.
# Pinned so that a test result does not change with a new upload to PyPI.
# Environment: TENSORBOARD_VERSION (default below) pins the version; VENV (default .venv-tools).
set -euo pipefail
cd "$(dirname "$0")/.."
TENSORBOARD_VERSION=${TENSORBOARD_VERSION:-2.21.0}
VENV=${VENV:-.venv-tools}

# Debian splits venv and ensurepip into python3-venv.
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup-python-tools: installing python3-venv" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >&2
fi
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" >&2
have=$("$VENV/bin/python" -c 'from importlib.metadata import version; print(version("tensorboard"))' 2>/dev/null || true)
if [ "$have" != "$TENSORBOARD_VERSION" ]; then
  echo "setup-python-tools: installing tensorboard==$TENSORBOARD_VERSION into $VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --progress-bar off "tensorboard==$TENSORBOARD_VERSION" >&2
fi
echo "$PWD/$VENV/bin/python"
