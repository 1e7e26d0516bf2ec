"""The measures on a two-worker local Dask cluster: the same numbers, the model sent once, a killed worker survived."""

import os
import signal

import numpy as np
import pytest
import torch
from engine_checks import mlp

from splinecam_widget import RegionBudgetExceeded, local_cluster, local_complexity, local_density

pytest.importorskip("distributed")
pytestmark = [pytest.mark.dask, pytest.mark.slow]

POINTS = np.random.default_rng(0).normal(size=(16, 8))


class CountingSequential(torch.nn.Sequential):
    """A Sequential that counts how often it is pickled in this process."""

    pickled = 0

    def __getstate__(self):
        type(self).pickled += 1
        return super().__getstate__()


@pytest.fixture(scope="module")
def client():
    environ = dict(os.environ)  # Dask's nannies set OMP_NUM_THREADS=1 and more in the process that starts them
    with local_cluster(2) as client:
        yield client
    os.environ.clear()
    os.environ.update(environ)


@pytest.fixture(scope="module")
def checkpoints():
    return [mlp((8, 32, 32, 3), seed=s).state_dict() for s in range(3)]


def test_two_single_threaded_worker_processes(client):
    assert client.nthreads() and list(client.nthreads().values()) == [1, 1]
    assert os.getpid() not in client.run(os.getpid).values()


def test_workers_start_without_dask_s_malloc_trim_setting(client):
    # MALLOC_TRIM_THRESHOLD_ turns off glibc's adaptive mmap threshold: the engine ran 1.7x slower.
    assert set(client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")).values()) == {None}


def test_density_is_identical_in_process_and_on_the_cluster(client, checkpoints):
    model = mlp((8, 32, 32, 3), seed=9)
    here = local_density(model, POINTS, 1.0, n_slices=2, seed=3, checkpoints=checkpoints)
    there = local_density(model, POINTS, 1.0, n_slices=2, seed=3, checkpoints=checkpoints, client=client, batch_size=3)
    assert here.shape == (3, 16) and np.array_equal(here, there)


def test_complexity_is_identical_in_process_and_on_the_cluster(client, checkpoints):
    model = mlp((8, 32, 32, 3), seed=9)
    here = local_complexity(model, POINTS, 0.5, seed=3, per_layer=True, checkpoints=checkpoints)
    there = local_complexity(model, POINTS, 0.5, seed=3, per_layer=True, checkpoints=checkpoints, client=client)
    assert np.array_equal(here, there)


def test_the_model_travels_once_not_with_every_task(client):
    model = CountingSequential(*mlp((8, 16, 16, 3), seed=4)).eval()
    CountingSequential.pickled = 0
    calls = []
    local_density(model, POINTS, 1.0, seed=0, client=client, batch_size=1, progress=lambda d, t: calls.append(t))
    assert calls[-1] == 16 and len(calls) == 16
    assert CountingSequential.pickled <= len(client.nthreads())


def test_the_default_batch_gives_every_worker_thread_several_tasks(client):
    totals = []
    local_density(mlp((8, 16, 3)), POINTS, 1.0, seed=0, client=client, progress=lambda d, t: totals.append(t))
    assert totals[-1] == 8, "four tasks per worker thread: 16 points in blocks of 2"


def test_task_errors_come_back_with_their_type(client):
    with pytest.raises(RegionBudgetExceeded, match="max_regions=2"):
        local_density(mlp((8, 32, 32, 3)), POINTS, 1.0, seed=0, client=client, max_regions=2)


def test_a_worker_killed_mid_run_changes_nothing(client):
    model = mlp((8, 48, 48, 48, 3), seed=6)
    expected = local_density(model, POINTS, 2.0, n_slices=2, seed=8)
    pids = sorted(client.run(os.getpid).values())
    killed = []

    def kill_a_worker(done, total):
        if done == 3 and not killed:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    got = local_density(model, POINTS, 2.0, n_slices=2, seed=8, client=client, batch_size=1, progress=kill_a_worker)
    assert killed and np.array_equal(got, expected)
    client.wait_for_workers(2, timeout=60)
    assert pids[0] not in client.run(os.getpid).values(), "the killed worker was replaced"
