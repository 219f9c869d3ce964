"""The thread policy (`numerics.train.threads`): one thread below the threshold, the process's share of the cores from
it on, `IBS_THREADS` over both, and the previous settings back after every sized block."""

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from numerics.train import threads
from numerics.models import Linear
from numerics.optim import SteepestDescent
from numerics.train import run


@pytest.fixture
def policy(monkeypatch):
    """No override, two cores, no xdist workers: the policy alone decides."""
    monkeypatch.delenv(threads.OVERRIDE, raising=False)
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    return monkeypatch


def test_one_thread_below_the_threshold_all_cores_from_it(policy):
    assert threads.choose(threads.THRESHOLD - 1) == 1
    assert threads.choose(threads.THRESHOLD) == 2


def test_xdist_workers_share_the_cores(policy):
    policy.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    assert threads.available() == 1
    assert threads.choose(10 * threads.THRESHOLD) == 1


def test_override_wins_at_every_size(policy):
    policy.setenv(threads.OVERRIDE, "3")
    assert threads.choose(1) == threads.choose(10 * threads.THRESHOLD) == threads.default() == 3


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_override_names_the_variable(policy, value):
    policy.setenv(threads.OVERRIDE, value)
    with pytest.raises(ValueError, match=threads.OVERRIDE):
        threads.choose(1)


def test_work_counts_samples_times_every_configurations_parameters():
    params = [torch.zeros(8, 5, 50), torch.zeros(8, 5)]
    assert threads.work(params, 200) == 200 * 8 * (5 * 50 + 5)


def _blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def test_for_size_sets_torch_and_blas_and_restores_them(policy):
    previous = torch.get_num_threads()
    policy.setenv(threads.OVERRIDE, "2" if previous != 2 else "3")
    with threads.for_size(1) as count:
        assert count == int(threads.os.environ[threads.OVERRIDE]) == torch.get_num_threads()
    assert torch.get_num_threads() == previous
    with pytest.raises(RuntimeError), threads.for_size(1):
        raise RuntimeError("inside")
    assert torch.get_num_threads() == previous


def test_for_size_limits_blas_and_restores_it(policy):
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        assert 2 in before
        with threads.for_size(1):  # below the threshold: one thread
            assert _blas_threads() == {1}
        assert _blas_threads() == before


def test_the_eager_path_trains_under_the_policy_for_its_size(policy):
    previous = torch.get_num_threads()
    policy.setenv(threads.OVERRIDE, "2" if previous != 2 else "3")
    seen = []

    def spy(params, X, y):
        seen.append(torch.get_num_threads())
        return torch.zeros(len(params[0]))

    X, y = np.eye(3), np.array([1.0, -1.0, 1.0])
    run(Linear(3), X, y, "logistic", lambda ps: SteepestDescent(ps, 0.1, "l2", batch_dims=1), steps=4,
        record_every=2, metrics={"threads": spy}, backend="torch")
    assert set(seen) == {int(threads.os.environ[threads.OVERRIDE])}
    assert torch.get_num_threads() == previous
