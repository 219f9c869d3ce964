"""Hypothesis profiles for the whole repository (tests/ and the verify/ checklist).

``ci`` (the default): derandomized — the same examples on every run — and bounded, so the suite's time is
predictable. ``dev``: random and ten times longer; choose it with ``--hypothesis-profile=dev`` or
``HYPOTHESIS_PROFILE=dev``.
"""

import os

if os.environ.get("PYTEST_XDIST_WORKER"):  # one thread per worker: -n auto already uses every core, and
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # oversubscribed BLAS
        os.environ.setdefault(var, "1")  # threads spin-wait (measured: 5–20× slower claims)

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, max_examples=25, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=250, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

pytest_plugins = ("verify.plugin", "pytester")
