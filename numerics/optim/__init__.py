"""Optimizers (`torch.optim.Optimizer` subclasses whose steps are update rules, `numerics.optim.rules`, shared with
the compiled training path), step-size schedules, and how an optimizer's steps scale with the gradient."""

from numerics.optim.adam import Adam
from numerics.optim.composite import Composite
from numerics.optim.fast import PRGD, DualAcceleration
from numerics.optim.homogeneity import homogeneity, measured_homogeneity
from numerics.optim.mixed import Mixed
from numerics.optim.noisy import NoisySGD
from numerics.optim.optimizer import RuleOptimizer
from numerics.optim.schedules import Schedule, constant, inverse_sqrt, loss_adaptive
from numerics.optim.steepest import SteepestDescent
from numerics.optim.unit_steps import RelativeSteps, UnitSteps

__all__ = ["Adam", "Composite", "DualAcceleration", "Mixed", "NoisySGD", "PRGD", "RelativeSteps", "RuleOptimizer",
           "Schedule", "SteepestDescent", "UnitSteps", "constant", "homogeneity", "inverse_sqrt",
           "measured_homogeneity", "loss_adaptive"]
