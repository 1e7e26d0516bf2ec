"""Checkpoints in the widget: the slider's model switch, validation, and GIF / PNG-sequence frames."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from engine_checks import mlp
from PIL import Image

from splinecam_widget import Slice, SplineCamError, SplineCamWidget, partition
from splinecam_widget.colors import color_range, region_colors, shared_color_range

ANCHORS = np.array([[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]])


@pytest.fixture(scope="module")
def states():
    """Three 'training stages': the same architecture with different weights."""
    return [copy.deepcopy(mlp((2, 12, 12, 3), seed=s).state_dict()) for s in range(3)]


@pytest.fixture
def w(states):
    widget = SplineCamWidget(
        mlp((2, 12, 12, 3)),
        ANCHORS,
        color_by="pattern",
        checkpoints=states,
        checkpoint_labels=["epoch 0", "epoch 5", "epoch 10"],
    )
    widget.wait(30)
    return widget


def test_each_checkpoint_shows_the_partition_of_its_weights(w, states):
    assert w.checkpoint == 0 and w.checkpoint_labels == ["epoch 0", "epoch 5", "epoch 10"]
    for i in (2, 1, 0):
        w.checkpoint = i  # what the slider does
        w.wait(30)
        want = partition(mlp((2, 12, 12, 3), seed=i), Slice.from_anchors(ANCHORS))
        assert w.partition.n_regions == want.n_regions
        np.testing.assert_allclose(np.sort(w.partition.areas), np.sort(want.areas), atol=1e-12)


def test_nothing_the_user_passed_is_modified(states):
    model = mlp((2, 12, 12, 3), seed=7)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    saved = [{k: v.clone() for k, v in s.items()} for s in states]
    w = SplineCamWidget(model, ANCHORS, checkpoints=states, checkpoint=-1)
    w.wait(30)
    assert w.checkpoint == 2 and w.checkpoint_labels == ["checkpoint 0", "checkpoint 1", "checkpoint 2"]
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(torch.equal(a[k], b[k]) for a, b in zip(saved, states) for k in a)


def test_modules_as_checkpoints_need_no_model():
    nets = [mlp((2, 10, 3), seed=s) for s in range(2)]
    w = SplineCamWidget(None, ANCHORS, checkpoints=nets, checkpoint=1)
    w.wait(30)
    assert w.model is nets[1]
    w.checkpoint = 0
    w.wait(30)
    assert w.model is nets[0] and w.partition.n_regions == partition(nets[0], Slice.from_anchors(ANCHORS)).n_regions


def test_pattern_colours_follow_the_pattern_not_the_checkpoint():
    base = mlp((2, 12, 12, 3))
    torch.manual_seed(1)
    step = {k: 0.05 * torch.randn_like(v) for k, v in base.state_dict().items()}
    stages = [{k: v + i * step[k] for k, v in base.state_dict().items()} for i in range(2)]  # small training steps
    w = SplineCamWidget(base, ANCHORS, color_by="pattern", checkpoints=stages)
    before = w.wait(30)
    w.checkpoint = 1
    after = w.wait(30)
    colors_before = region_colors(before, "pattern").fill
    colors_after = region_colors(after, "pattern").fill
    shared = np.intersect1d(before.pattern_ids, after.pattern_ids)
    assert len(shared) > 0  # some activation patterns survive from one checkpoint to the next...
    for pid in shared:  # ...and keep their colour
        assert np.array_equal(colors_before[before.pattern_ids == pid][0], colors_after[after.pattern_ids == pid][0])
    assert np.array_equal(w.coloring["fill"], memoryview(np.ascontiguousarray(colors_after).reshape(-1)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"checkpoints": []}, "empty"),
        ({"checkpoints": "abc"}, "list of modules or state dicts"),
        ({"checkpoints": [42]}, "checkpoint 0 must be a torch.nn.Module or a state dict, got int"),
        ({"checkpoints": [{"0.weight": torch.zeros(12, 2)}]}, "checkpoint 0 does not fit the model"),
        ({"checkpoints": [{}], "checkpoint_labels": ["a", "b"]}, "checkpoint 0 does not fit"),
        ({"checkpoint_labels": ["a"]}, "checkpoint_labels needs checkpoints"),
        ({"checkpoints": [mlp((2, 4, 3))] * 2, "checkpoint_labels": ["a"]}, "1 labels for 2 checkpoints"),
        ({"checkpoints": [mlp((2, 4, 3))] * 2, "checkpoint": 2}, r"integer index in 0..1, got 2"),
    ],
)
def test_bad_checkpoints_get_a_clear_error(kwargs, message):
    with pytest.raises(SplineCamError, match=message):
        SplineCamWidget(mlp((2, 12, 12, 3)), ANCHORS, **kwargs)


def test_state_dicts_without_a_model_are_refused(states):
    with pytest.raises(SplineCamError, match="state dict: pass the model"):
        SplineCamWidget(None, ANCHORS, checkpoints=states)


def test_checkpoint_out_of_range_and_without_checkpoints(w):
    with pytest.raises(SplineCamError, match="0..2"):
        w.checkpoint = 3
    plain = SplineCamWidget(mlp((2, 4, 3)), ANCHORS)
    with pytest.raises(SplineCamError, match="no checkpoints"):
        plain.checkpoint = 1
    with pytest.raises(SplineCamError, match="no checkpoints"):
        plain.save_frames("x.gif")


def test_frames_as_an_animated_gif(w, tmp_path):
    w.view = [-0.5, -0.5, 0.5, 0.5]
    paths = w.save_frames(tmp_path / "evolution.gif", duration=0.25, width=200)
    assert paths == [tmp_path / "evolution.gif"]
    with Image.open(paths[0]) as gif:
        assert gif.n_frames == 3 and gif.size == (200, 200)
        assert gif.info["duration"] == 250 and gif.info.get("loop") == 0
        gif.seek(1)
        frame1 = np.asarray(gif.convert("RGB"))
    # frame 1 shows checkpoint 1 on the viewport: the pattern colour of the region at the centre
    p1 = partition(
        mlp((2, 12, 12, 3), seed=1),
        Slice.from_anchors(ANCHORS).with_domain([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]]),
    )
    region = p1.region_at(np.array([[0.01, 0.013]]))[0]
    want = region_colors(p1, "pattern").fill[region, :3]
    assert np.abs(frame1[100, 100].astype(int) - want.astype(int)).max() <= 12  # GIF palette rounding


def test_frames_as_a_png_sequence_on_one_colour_scale(w, tmp_path):
    paths = w.save_frames(tmp_path / "frame.png", color_by="slope", width=120)
    assert [p.name for p in paths] == ["frame_000.png", "frame_001.png", "frame_002.png"]
    sizes = {Image.open(p).size for p in paths}
    assert len(sizes) == 1 and next(iter(sizes))[0] == 120  # 120 x 120 plots, each with the colour bar below
    assert next(iter(sizes))[1] > 120
    parts = [partition(mlp((2, 12, 12, 3), seed=s), Slice.from_anchors(ANCHORS)) for s in range(3)]
    lo, hi = shared_color_range(parts, "slope")
    ranges = [color_range(p, "slope") for p in parts]
    assert lo == min(r[0] for r in ranges) and hi == max(r[1] for r in ranges)
    with pytest.raises(SplineCamError, match=".gif or .png"):
        w.save_frames(tmp_path / "frames.mp4")
