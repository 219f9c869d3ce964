"""What a result must carry to be reproduced: versions of the numerical stack and the device."""

from __future__ import annotations

import platform
from importlib import metadata

import torch

PACKAGES = ("numpy", "scipy", "sympy", "torch", "jax", "jaxlib", "array-api-compat", "cvxpy", "clarabel", "scs",
            "hypothesis")


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


def usable(requested) -> torch.device:
    """The device `requested` (None: `device()`), or a ValueError that says why it cannot be used here."""
    if requested is None:
        return device()
    try:
        d = torch.device(requested)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"device {requested!r} is not a torch device: {error}") from None
    if d.type == "cuda" and not torch.cuda.is_available():
        why = ("this torch build has no CUDA" if torch.version.cuda is None else
               "torch was built with CUDA but sees no GPU")
        raise ValueError(f"device {requested!r} requested, but {why} (torch {torch.__version__}): use device='cpu', "
                         "or leave device unset to use a GPU where there is one")
    return d


def describe_device() -> str:
    d = device()
    if d.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(d)})"
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
