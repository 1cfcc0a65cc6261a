"""The extension is compiled against one torch: another one would crash on import (its C++ ABI
differs), so it is refused first, by name."""
import re

import torch


def _release(version):
    """'2.15.0+cu132' -> '2.15.0'; Debian's '1.13.0a0' -> '1.13.0'."""
    match = re.match(r"\d+\.\d+\.\d+", version)
    return match.group(0) if match else version


def check_torch():
    try:
        from ._build_info import TORCH_VERSION
    except ImportError as e:  # a source tree, not an installed package
        raise ImportError(
            "dcl's extension is not built: install the package with "
            "`pip install --no-build-isolation .` in the repository (see python/README.md)"
        ) from e
    have = _release(torch.__version__)
    if TORCH_VERSION and have != TORCH_VERSION:
        raise ImportError(
            f"dcl was built against torch {TORCH_VERSION} but torch {have} is imported; "
            "reinstall dcl in this environment (`pip install --no-build-isolation --force-reinstall .`)"
        )
