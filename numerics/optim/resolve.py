"""An optimizer as its users name it — a class, a dotted path ("torch.optim.Muon") or a factory
params → Optimizer — made into the factory the engine calls, with one clear error for each way that fails.

    make, name = optimizer_factory("torch.optim.SGD", lr=0.1, momentum=0.9)
    make([W])                     # torch.optim.SGD([W], lr=0.1, momentum=0.9)
"""

from __future__ import annotations

import importlib
import inspect
from typing import Callable

import torch

from numerics.errors import OptimizerError

Factory = Callable[[list[torch.Tensor]], torch.optim.Optimizer]


def resolve(path: str) -> object:
    """The object named by a dotted path `package.module.Name` (the longest importable module prefix, then
    attributes)."""
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                raise OptimizerError(f"{path!r} does not resolve: module {'.'.join(parts[:cut])!r} has no "
                                     f"{'.'.join(parts[cut:])!r}")
            obj = getattr(obj, attr)
        return obj
    raise OptimizerError(f"{path!r} does not resolve: no importable module in it (is its package installed?)")


def optimizer_factory(spec, lr: float | None = None, **options) -> tuple[Factory, str]:
    """(params → Optimizer, a name) for `spec`: a `torch.optim.Optimizer` subclass or its dotted path (built
    as `cls(params, lr=lr, **options)`, lr left to the class's default when None), or a factory taking the
    parameters only (then no lr or options)."""
    label = spec if isinstance(spec, str) else None
    if isinstance(spec, str):
        spec = resolve(spec)
    if inspect.isclass(spec):
        if not issubclass(spec, torch.optim.Optimizer):
            raise OptimizerError(f"{spec.__module__}.{spec.__qualname__} is not a torch.optim.Optimizer")
        accepted = inspect.signature(spec.__init__).parameters
        if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
            unknown = sorted((set(options) | ({"lr"} if lr is not None else set())) - set(accepted))
            if unknown:
                raise OptimizerError(f"{spec.__qualname__} takes no option {', '.join(unknown)}; it takes "
                                     f"{', '.join(k for k in accepted if k not in ('self', 'params'))}")
        kwargs = {**({"lr": lr} if lr is not None else {}), **options}
        return (lambda params: spec(params, **kwargs)), label or f"{spec.__module__}.{spec.__qualname__}"
    if callable(spec):
        if lr is not None or options:
            raise OptimizerError("a factory params → Optimizer sets its own lr and options; pass them to it")
        return spec, label or getattr(spec, "__qualname__", type(spec).__name__)
    raise OptimizerError(f"{spec!r} is neither an optimizer class, a dotted path to one, nor a factory")


def build(make: Factory, params: list[torch.Tensor], name: str, what: str) -> torch.optim.Optimizer:
    """`make(params)`, checked: an error naming the cause when `name` rejects `what` (the parameters,
    described) or returns something else than an optimizer."""
    try:
        optimizer = make(params)
    except Exception as error:  # third-party code: whatever it raises, the cause is its own message
        raise OptimizerError(f"{name} rejects {what}: {type(error).__name__}: {error}") from error
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise OptimizerError(f"{name}(params) returned a {type(optimizer).__name__}, not a torch.optim.Optimizer: "
                             "name an optimizer class or a factory params → Optimizer")
    return optimizer


def readable_name(name: str, optimizer: torch.optim.Optimizer) -> str:
    """`name` where it is the reader's (a class path, a dotted path), else — a lambda or a function local to a test,
    whose qualified name says ``<locals>`` — the class the factory built, e.g. ``torch.optim.Muon``."""
    if "<" not in name:
        return name
    return f"{type(optimizer).__module__}.{type(optimizer).__qualname__}"
