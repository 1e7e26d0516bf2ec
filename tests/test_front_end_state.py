"""Bad values from a front end are refused and rolled back, requests with bad fields are answered
with an error, and no error leaves the traits describing something other than the picture."""

from __future__ import annotations

import math

import numpy as np
import pytest
import traitlets
from engine_checks import mlp

from splinecam_widget import Slice, SplineCamError, SplineCamWidget, partition

ANCHORS = np.array([[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]])


@pytest.fixture
def w():
    widget = SplineCamWidget(mlp((2, 12, 3)), ANCHORS, color_by="class")
    widget.wait(30)
    yield widget
    widget.close()


BAD_STATES = {
    "anchors with NaN": {"anchors_2d": [[math.nan, 0.0], [1.0, 0.0], [0.0, 1.0]]},
    "two anchors": {"anchors_2d": [[0.0, 0.0], [1.0, 0.0]]},
    "ragged anchors": {"anchors_2d": [[0.0, 0.0], [1.0], [0.0, 1.0]]},
    "three-number view": {"view": [0.0, 0.0, 1.0]},
    "degenerate view": {"view": [0.0, 0.0, 1e-300, 1e-300]},
    "inverted view": {"view": [1.0, 1.0, 0.0, 0.0]},
    "infinite view": {"view": [0.0, 0.0, math.inf, 1.0]},
    "negative height": {"height": -1},
    "zero height": {"height": 0},
    "huge height": {"height": 10**6},
}


def test_validation_errors_are_trait_errors_so_traitlets_rolls_back():
    assert issubclass(SplineCamError, traitlets.TraitError) and issubclass(SplineCamError, ValueError)


@pytest.mark.parametrize("name", sorted(BAD_STATES))
def test_bad_state_from_the_front_end_is_rolled_back_and_shown(w, name):
    state = BAD_STATES[name]
    before = {key: getattr(w, key) for key in state}
    sent = []
    w.send_state = lambda key=None: sent.append(key)  # what goes back to the front end
    w.set_state(state)  # as ipywidgets applies a front end's update: nothing may escape
    assert {key: getattr(w, key) for key in state} == before, "the bad value was kept"
    assert w.error and w.status["state"] == "error"
    assert list(state) in sent, "the front end must be told the restored value"


@pytest.mark.parametrize("name", sorted(BAD_STATES))
def test_bad_values_from_python_raise_and_leave_the_trait_unchanged(w, name):
    ((key, value),) = BAD_STATES[name].items()
    before = getattr(w, key)
    with pytest.raises(SplineCamError):
        setattr(w, key, value)
    assert getattr(w, key) == before


def test_after_a_refused_view_every_later_change_computes_the_right_picture(w):
    w.set_state({"view": [0.0, 0.0, 1e-300, 1e-300]})
    other = mlp((2, 12, 3), seed=9)
    w.model = other
    w.max_regions = 100_000
    assert w.wait(30) is not None and w.error is None
    want = partition(other, Slice.from_anchors(ANCHORS))
    assert w.model is other and w.partition.n_regions == want.n_regions
    np.testing.assert_allclose(w.partition.areas, want.areas)


def test_an_error_while_scheduling_work_reaches_w_error_not_the_setter(w, monkeypatch):
    def broken():
        raise RuntimeError("cannot build the slice")

    monkeypatch.setattr(w, "_computed_slice", broken)
    w.max_regions = 1234  # must not raise
    assert w.max_regions == 1234
    assert w.error == "RuntimeError: cannot build the slice" and w.status["state"] == "error"


@pytest.mark.parametrize(
    "msg, message",
    [
        ({"region": "3"}, "region must be an integer, got '3'"),
        ({"region": math.nan}, "region must be an integer, got nan"),
        ({"region": 1.9}, "region must be an integer, got 1.9"),
        ({"region": 2.0}, "region must be an integer, got 2.0"),
        ({"region": True}, "region must be an integer, got True"),
        ({}, "the request has no 'region' field"),
        ({"region": 10_000}, "region must be in 0.."),
        ({"region": 0, "seq": "x"}, "seq must be an integer"),
    ],
)
def test_slope_requests_with_bad_fields_get_an_error_answer(w, msg, message):
    msg = {"seq": w.geometry["seq"], **msg}
    answer, buffers = w._input_slope(msg, [])
    assert message in answer["error"] and buffers == []


def test_a_float_row_is_refused_not_truncated(w):
    w.show_data(np.random.default_rng(0).normal(size=(5, 2)))
    anchors = w.anchors.copy()
    answer, _ = w._use_as_anchor({"row": 1.9, "anchor": 0}, [])
    assert answer == {"error": "row must be an integer, got 1.9"}
    assert np.array_equal(w.anchors, anchors)
    assert w._use_as_anchor({"row": 1}, [])[0] == {"error": "the request has no 'anchor' field"}
    assert w._data_image({"row": "0"}, [])[0] == {"error": "row must be an integer, got '0'"}
    assert w._data_image(["not", "a", "dict"], [])[0] == {"error": "a request must be an object, got list"}


def test_unexpected_failures_in_a_request_are_answered_too(w, monkeypatch):
    def boom(self, region):
        raise RuntimeError("no jacobian today")

    monkeypatch.setattr(type(w._shown.partition), "input_slope", boom)
    answer, _ = w._input_slope({"region": 0, "seq": w.geometry["seq"]}, [])
    assert answer == {"error": "RuntimeError: no jacobian today"}
