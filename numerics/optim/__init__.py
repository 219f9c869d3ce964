"""Optimizers (`torch.optim.Optimizer` subclasses) and step-size schedules. Adam and SGD with momentum come
from torch itself."""

from numerics.optim.noisy import NoisySGD
from numerics.optim.schedules import Schedule, constant, inverse_sqrt, loss_adaptive
from numerics.optim.steepest import SteepestDescent

__all__ = ["NoisySGD", "Schedule", "SteepestDescent", "constant", "inverse_sqrt", "loss_adaptive"]
