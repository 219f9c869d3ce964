"""The numbers: norms, data sets, exact references (cvxpy), optimizers and metrics (torch)."""
