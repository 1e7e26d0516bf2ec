"""local_density: exact region counts on documented random planes, the same for any batch, per checkpoint."""

import copy
import pickle

import numpy as np
import pytest
import torch
from engine_checks import mlp

from splinecam_widget import RegionBudgetExceeded, Slice, SplineCamError, local_density, partition
from splinecam_widget.checkpoints import Checkpoints
from splinecam_widget.local.density import MAX_SIDES, check_sides, density_planes, disk
from splinecam_widget.slice import convex_polygon

POINTS = np.random.default_rng(0).normal(size=(7, 6))


@pytest.fixture(scope="module")
def model():
    return mlp((6, 16, 16, 3), seed=2)


def test_counts_are_exact_partitions_of_a_disk_on_the_planes_of_seed_point_and_slice(model):
    density = local_density(model, POINTS, radius=0.8, n_slices=2, seed=11, sides=32)
    expected = [
        np.mean(
            [
                partition(model, Slice(point, basis, disk(0.8, 32))).n_regions
                for basis in density_planes(11, i, POINTS.shape[1], 2)
            ]
        )
        for i, point in enumerate(POINTS)
    ]
    assert density.tolist() == expected
    assert density.min() > 1, "the disk meets several regions"


def test_the_same_numbers_for_any_batch_size(model):
    reference = local_density(model, POINTS, radius=0.8, n_slices=2, seed=4)
    for batch_size in (1, 2, 3, 7, 100):
        assert np.array_equal(local_density(model, POINTS, 0.8, 2, seed=4, batch_size=batch_size), reference)


def test_a_point_s_planes_depend_on_its_index_not_on_the_other_points(model):
    full = local_density(model, POINTS, radius=0.8, n_slices=2, seed=4)
    planes = density_planes(4, 3, POINTS.shape[1], 2)
    assert full[3] == np.mean([partition(model, Slice(POINTS[3], b, disk(0.8))).n_regions for b in planes])


def test_a_seed_repeats_and_no_seed_draws_fresh_planes(model):
    a = local_density(model, POINTS, radius=1.5, n_slices=3, seed=1)
    assert np.array_equal(a, local_density(model, POINTS, radius=1.5, n_slices=3, seed=1))
    assert not np.array_equal(local_density(model, POINTS, 1.5, 3), local_density(model, POINTS, 1.5, 3))


def test_checkpoints_give_one_row_each_on_the_same_planes(model):
    other = mlp((6, 16, 16, 3), seed=5)
    states = [copy.deepcopy(model.state_dict()), copy.deepcopy(other.state_dict())]
    rows = local_density(model, POINTS, 0.8, 2, seed=3, checkpoints=states)
    assert rows.shape == (2, len(POINTS))
    assert np.array_equal(rows[0], local_density(model, POINTS, 0.8, 2, seed=3))
    assert np.array_equal(rows[1], local_density(other, POINTS, 0.8, 2, seed=3))
    modules = local_density(None, POINTS, 0.8, 2, seed=3, checkpoints=[model, other], batch_size=2)
    assert np.array_equal(modules, rows)


def test_the_widget_s_checkpoints_object_is_accepted_with_its_labels(model):
    states = [model.state_dict(), mlp((6, 16, 16, 3), seed=5).state_dict()]
    checkpoints = Checkpoints(states, model, labels=["early", "late"])
    table = local_density(None, POINTS, 0.8, seed=3, checkpoints=checkpoints, as_frame=True)
    assert table.checkpoint_label.unique().tolist() == ["early", "late"]
    assert (
        table.local_density.tolist() == local_density(model, POINTS, 0.8, seed=3, checkpoints=states).ravel().tolist()
    )


def test_inputs_keep_their_shape(model):
    images = torch.rand(3, 1, 4, 4)
    conv = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(8, 2))
    density = local_density(conv.eval(), images, radius=0.5, seed=0)
    assert density.shape == (3,) and (density >= 1).all()


def test_a_tidy_table_when_asked(model):
    labels, split = np.array([3, 1, 4, 1, 5, 9, 2]), np.arange(7) < 4
    states = [model.state_dict(), mlp((6, 16, 16, 3), seed=5).state_dict()]
    values = local_density(model, POINTS, 0.8, seed=3, checkpoints=states)
    table = local_density(
        model,
        POINTS,
        0.8,
        seed=3,
        checkpoints=states,
        checkpoint_labels=["epoch 1", "epoch 2"],
        as_frame=True,
        labels=labels,
        split=split,
    )
    assert list(table.columns) == ["checkpoint", "checkpoint_label", "point", "split", "label", "local_density"]
    assert len(table) == 14 and table["local_density"].tolist() == values.reshape(-1).tolist()
    second = table[table.checkpoint == 1]
    assert set(second.checkpoint_label) == {"epoch 2"} and second.point.tolist() == list(range(7))
    assert second.split.tolist() == ["train"] * 4 + ["test"] * 3 and second.label.tolist() == labels.tolist()


def test_progress_draws_a_bar_on_stderr_or_calls_back(model, capsys):
    local_density(model, POINTS, 0.8, seed=0, batch_size=3, progress=True)
    err = capsys.readouterr().err
    assert "local density [" in err and "3/3 tasks" in err and err.endswith("\n")
    calls = []
    local_density(model, POINTS, 0.8, seed=0, batch_size=3, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    local_density(model, POINTS, 0.8, seed=0)
    assert capsys.readouterr().err == "", "silent by default"


def test_engine_errors_come_through_and_travel_between_processes(model):
    with pytest.raises(RegionBudgetExceeded) as info:
        local_density(model, POINTS, 0.8, seed=0, max_regions=2)
    copied = pickle.loads(pickle.dumps(info.value))
    assert type(copied) is RegionBudgetExceeded and str(copied) == str(info.value) and copied.limit == 2


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((POINTS, 0), {}, "radius must be a positive number"),
        ((POINTS, float("nan")), {}, "radius must be a positive number"),
        ((POINTS, 1.0, 0), {}, "n_slices must be a positive integer"),
        ((POINTS, 1.0), {"sides": 2}, "sides must be a whole number of polygon vertices from 3 to 4,096, got 2"),
        ((POINTS, 1.0), {"sides": 4097}, "sides must be a whole number of polygon vertices from 3 to 4,096"),
        ((POINTS, 1.0), {"sides": 10**5}, "sides must be a whole number of polygon vertices from 3 to 4,096"),
        ((POINTS, 1.0), {"sides": 10**9}, "sides must be a whole number of polygon vertices from 3 to 4,096"),
        ((POINTS, 1.0), {"sides": 64.0}, "sides must be a whole number of polygon vertices"),
        ((POINTS, 1.0), {"batch_size": 0}, "batch_size must be a positive integer"),
        ((POINTS[0], 1.0), {}, r"points must have shape \(M, \*input_shape\)"),
        ((POINTS[:, :1], 1.0), {}, "a plane through a point needs at least 2"),
        ((POINTS, 1.0), {"levels": [0.0]}, "unknown option levels: the engine options accepted here are device"),
        ((POINTS, 1.0), {"labels": np.zeros(7)}, "labels and split are columns of the table: pass as_frame=True"),
        ((POINTS, 1.0), {"as_frame": True, "split": np.zeros(3, bool)}, r"split must hold one value per point"),
        ((POINTS, 1.0), {"as_frame": True, "split": np.zeros(7)}, "split must hold booleans"),
        ((POINTS, 1.0), {"seed": -1}, "seed must be None, a non-negative integer"),
        ((POINTS, 1.0), {"checkpoint_labels": ["a"]}, "checkpoint_labels label checkpoints: pass checkpoints too"),
        ((POINTS, 1.0), {"client": "tcp://localhost:8786"}, "client must be a dask.distributed.Client"),
        ((POINTS, 1.0), {"progress": "yes"}, "progress must be True, False or a callable"),
    ],
)
def test_bad_arguments_are_refused_with_what_was_expected(model, args, kwargs, message):
    with pytest.raises(SplineCamError, match=message):
        local_density(model, *args, **kwargs)


def test_a_model_is_needed_unless_every_checkpoint_is_a_module(model):
    with pytest.raises(SplineCamError, match="model must be a torch.nn.Module"):
        local_density(None, POINTS, 1.0)
    with pytest.raises(SplineCamError, match="checkpoint 0 is a state dict: pass the model"):
        local_density(None, POINTS, 1.0, checkpoints=[model.state_dict()])


def test_sides_is_checked_by_one_function_before_any_file_is_read(model, tmp_path):
    assert check_sides(np.int64(5)) == 5
    with pytest.raises(SplineCamError, match="--sides must be a whole number of polygon vertices from 3 to 4,096"):
        check_sides(0, "--sides")
    with pytest.raises(SplineCamError, match="sides must be"):
        disk(1.0, 10**9)  # no array of 10**9 angles is made
    missing = [tmp_path / "missing.pt"]
    with pytest.raises(SplineCamError, match="sides must be"):
        local_density(model, POINTS, 1.0, sides=10**9, checkpoints=missing)


def test_the_domain_check_of_a_disk_is_linear_in_its_sides():
    import tracemalloc

    polygon = disk(1.0, MAX_SIDES)
    tracemalloc.start()
    try:
        checked = convex_polygon(polygon)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(checked) == MAX_SIDES, "every vertex of the largest disk is a corner"
    assert peak < 64 * polygon.nbytes, f"{peak:,} bytes: the check must not compare every pair of vertices"
