"""Odd input gets one clear SplineCamError that names what was passed and what is accepted.

Each of these used to surface as a raw TypeError or ValueError from numpy, traitlets' own
text, a bare OSError, or a message that named nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from engine_checks import mlp
from torch import nn

from splinecam_widget import Slice, SplineCamError, partition, square_domain
from splinecam_widget.checkpoints import Checkpoints
from splinecam_widget.files import load_checkpoint_file, load_model_file
from splinecam_widget.widget import SplineCamWidget

ANCHORS = np.array([[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]])
ANCHORS_3D = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


@pytest.fixture(scope="module")
def p():
    return partition(mlp((2, 8, 8, 3), seed=2), Slice.from_anchors(ANCHORS))


@pytest.fixture(scope="module")
def w():
    widget = SplineCamWidget(mlp((2, 8, 8, 3), seed=2), ANCHORS, color_by="class")
    widget.wait(30)
    yield widget
    widget.close()


# --- the plane ----------------------------------------------------------------------------


@pytest.mark.parametrize("margin", ["1", None, [0.5], True])
def test_a_margin_that_is_no_number_is_named_with_what_is_accepted(margin):
    with pytest.raises(SplineCamError, match=r"margin must be a non-negative finite number such as 0\.25, got "):
        Slice.from_anchors(ANCHORS_3D, margin=margin)


def test_a_half_width_that_is_no_number_is_named():
    with pytest.raises(SplineCamError, match=r"half_width must be a positive finite number, got 'a'"):
        square_domain("a")


@pytest.mark.parametrize("center", [(0,), (0, 1, 2), "ab", (0.0, float("nan"))])
def test_a_center_that_is_not_two_numbers_is_named(center):
    with pytest.raises(SplineCamError, match=r"center must be two finite numbers \(u, v\), got "):
        square_domain(1, center=center)


@pytest.mark.parametrize("shape", [(5, 3), (5,), (3,), ()])
def test_plane_points_of_a_wrong_shape_are_refused_naming_the_shape(shape):
    plane = Slice.from_anchors(ANCHORS_3D)
    expected = re.escape(f"uv must be plane points of shape (M, 2), or (2,) for one point, got shape {shape}")
    with pytest.raises(SplineCamError, match=expected):
        plane.to_input(np.zeros(shape))
    with pytest.raises(SplineCamError, match=expected):
        plane.to_input(torch.zeros(shape))


@pytest.mark.parametrize("shape", [(5, 2), (4,), (6,), (2, 3, 2)])
def test_inputs_of_a_wrong_shape_are_refused_naming_the_accepted_shapes(shape):
    plane = Slice.from_anchors(ANCHORS_3D)  # inputs of 3 values
    with pytest.raises(SplineCamError, match=r"x must be model inputs of shape \(M, 3\), or one input without the M"):
        plane.to_plane(np.zeros(shape))


def test_images_of_a_wrong_shape_name_both_the_whole_and_the_flat_shape():
    plane = Slice.from_anchors(torch.randn(3, 1, 4, 4, generator=torch.Generator().manual_seed(0)))
    with pytest.raises(SplineCamError, match=r"shape \(M, 1, 4, 4\) or flattened \(M, 16\).*got shape \(5, 3\)"):
        plane.to_plane(np.zeros((5, 3)))


def test_the_accepted_shapes_still_map_points_and_inputs():
    plane = Slice.from_anchors(torch.randn(3, 1, 4, 4, generator=torch.Generator().manual_seed(0)))
    assert plane.to_input(np.zeros(2)).shape == (1, 1, 4, 4)
    assert plane.to_input(np.zeros((3, 5, 2))).shape == (15, 1, 4, 4)
    for shape in [(7, 1, 4, 4), (7, 4, 4), (7, 16), (0, 16)]:
        assert plane.to_plane(np.zeros(shape)).shape == (shape[0], 2)
    assert plane.to_plane(np.zeros((1, 4, 4))).shape == plane.to_plane(np.zeros(16)).shape == (1, 2)


# --- the widget's colour mode -----------------------------------------------------------------


@pytest.mark.parametrize("mode", [5, None, 1.5, "rainbow"])
def test_a_colour_mode_that_is_none_of_the_modes_is_refused_in_our_words_and_rolled_back(w, mode):
    with pytest.raises(SplineCamError, match=r"color_by=.* is not a colour mode; use one of 'slope', 'class'"):
        w.color_by = mode
    assert w.color_by == "class"


# --- files torch.save wrote in its legacy format ---------------------------------------------


class Payload:
    """A pickle that writes a marker file when unpickled: what a crafted model file does."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol 4")
@pytest.mark.parametrize("protocol", [2, 4])
def test_a_crafted_legacy_format_file_is_refused_naming_what_it_asks_for_and_where(tmp_path, protocol):
    path = tmp_path / "evil.pt"
    crafted = {"weight": torch.zeros(2), "payload": Payload(tmp_path / "pwned")}
    torch.save(crafted, path, _use_new_zipfile_serialization=False, pickle_protocol=protocol)
    with pytest.raises(SplineCamError) as info:
        load_model_file(path)
    message = str(info.value)
    assert f"--model {str(path)!r}: refused: it is in torch.save's legacy format (a pickle" in message
    assert "its pickle (from byte " in message and "asks to call or build " in message and "pathlib." in message
    assert "torch._utils" not in message, "what torch allows is not named"
    assert "trust=True" in message
    assert not (tmp_path / "pwned").exists(), "the payload must not run"


def test_a_crafted_legacy_checkpoint_is_refused_naming_it(tmp_path):
    torch.save(Payload(tmp_path / "pwned"), tmp_path / "step.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(SplineCamError, match=r"checkpoint 0 .*step\.pt': refused: .*legacy.*pathlib\.Path"):
        Checkpoints([tmp_path / "step.pt"], mlp((2, 4, 2)))
    assert not (tmp_path / "pwned").exists()


def test_a_legacy_format_module_needs_trust_and_says_so(tmp_path):
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2)).eval()
    torch.save(model, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(SplineCamError, match=r"refused: a whole module saved in torch.save's legacy format .*trust"):
        load_model_file(tmp_path / "old.pt")
    x = torch.randn(4, 2)
    torch.testing.assert_close(load_model_file(tmp_path / "old.pt", trust=True)(x), model(x))


def test_a_legacy_format_state_dict_loads_without_trust(tmp_path):
    state = mlp((2, 4, 2), seed=1).state_dict()
    torch.save(state, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    loaded = load_checkpoint_file(tmp_path / "old.pt", "checkpoint 0")
    assert set(loaded) == set(state)
