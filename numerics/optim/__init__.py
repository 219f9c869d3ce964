"""Optimizers (`torch.optim.Optimizer` subclasses), step-size schedules, and how an optimizer's steps scale with
the gradient. Adam and SGD with momentum come from torch itself."""

from numerics.optim.fast import PRGD, DualAcceleration
from numerics.optim.homogeneity import homogeneity, measured_homogeneity
from numerics.optim.noisy import NoisySGD
from numerics.optim.schedules import Schedule, constant, inverse_sqrt, loss_adaptive
from numerics.optim.steepest import SteepestDescent

__all__ = ["DualAcceleration", "NoisySGD", "PRGD", "Schedule", "SteepestDescent", "constant", "homogeneity",
           "inverse_sqrt", "measured_homogeneity", "loss_adaptive"]
