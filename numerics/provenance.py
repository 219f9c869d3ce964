"""What a result must carry to be reproduced: versions of the numerical stack and the device."""

from __future__ import annotations

import platform
from importlib import metadata

import torch

PACKAGES = ("numpy", "scipy", "sympy", "torch", "cvxpy", "clarabel", "scs", "hypothesis")


def versions() -> dict[str, str]:
    """Python and the numerical packages' versions."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def device() -> torch.device:
    """CUDA when present, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def describe_device() -> str:
    d = device()
    if d.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(d)})"
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
