"""Hypothesis profiles for the whole repository (tests/ and the verify/ checklist).

``ci`` (the default): derandomized — the same examples on every run — and bounded, so the suite's time is
predictable. ``dev``: random and ten times longer; choose it with ``--hypothesis-profile=dev`` or
``HYPOTHESIS_PROFILE=dev``.
"""

import os

# One BLAS/torch thread per process by default unless the caller sets one: -n auto already uses every core, and most
# of the suite's problems are too small for intra-op threads, which only spin-wait once another process is busy
# (measured: 5–20× slower claims under xdist; a fast-margin claim 189 s against 7–12 s single-threaded beside one
# busy process). Training raises it by problem size where that pays (`numerics.train.threads`; IBS_THREADS overrides).
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, max_examples=25, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=250, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

pytest_plugins = ("verify.plugin", "pytester")
