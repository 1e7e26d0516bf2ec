"""Odd input gets one clear SplineCamError that names what was passed and what is accepted.

Each of these used to surface as a raw TypeError or ValueError from numpy, traitlets' own
text, a bare OSError, or a message that named nothing.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from engine_checks import mlp
from torch import nn

from splinecam_widget import RegionBudgetExceeded, Slice, SplineCamError, partition, square_domain
from splinecam_widget.checkpoints import Checkpoints
from splinecam_widget.export import save_bokeh_html, save_geojson, save_svg
from splinecam_widget.export.png import save_png
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


# --- the region budget ----------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["compiled", "torch"])
@pytest.mark.parametrize("share", [0.05, 0.5, 0.999])
def test_the_region_budget_error_reports_a_true_lower_bound_on_the_regions(backend, share):
    model = mlp([2, 32, 32, 1], "relu", seed=6)
    plane = Slice(np.zeros(2), np.eye(2), square_domain(2.0))
    total = partition(model, plane, backend="torch").n_regions
    limit = int(total * share)
    with pytest.raises(RegionBudgetExceeded) as info:
        partition(model, plane, max_regions=limit, backend=backend)
    found = info.value.n_regions
    assert limit < found <= total, "a count the partition really reached, past the budget"
    assert str(info.value).startswith(
        f"the partition has more than max_regions={limit:,} regions: it had at least {found:,} when the engine "
        f"stopped, at activation layer {info.value.layer} (0-based)"
    )


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


# --- files we write -------------------------------------------------------------------------

WRITERS = {
    "png": ("a.png", lambda p, path: save_png(p, path, width=40)),
    "svg": ("a.svg", save_svg),
    "npz": ("a.npz", lambda p, path: p.to_npz(path)),
    "geojson": ("a.geojson", save_geojson),
    "bokeh page": ("a.html", save_bokeh_html),
}


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_writing_into_a_missing_folder_names_the_file_and_the_folder(p, tmp_path, name):
    file_name, write = WRITERS[name]
    target = tmp_path / "no" / "such" / file_name
    with pytest.raises(SplineCamError) as info:
        write(p, target)
    assert str(info.value) == (
        f"cannot write {str(target)!r}: the folder {str(target.parent)!r} does not exist; "
        "give a path in an existing folder"
    )
    assert isinstance(info.value, OSError) and info.value.filename == str(target)


@pytest.fixture
def read_only(tmp_path, monkeypatch):
    """A folder whose files cannot be created, as a read-only folder refuses them (tests may run as root)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    real_open = os.open

    def refusing(path, *args, **kwargs):
        if os.path.dirname(os.fspath(path)) == str(folder):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing)
    return folder


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_writing_into_a_read_only_folder_names_the_file_and_the_folder(p, read_only, name):
    file_name, write = WRITERS[name]
    target = read_only / file_name
    with pytest.raises(SplineCamError, match=r"cannot write .*: no permission to write in the folder .*locked") as info:
        write(p, target)
    assert str(target) in str(info.value) and os.listdir(read_only) == []


def test_the_widget_names_the_file_it_cannot_write(w, tmp_path, read_only):
    for save, file_name in [(w.save_png, "a.png"), (w.save_svg, "a.svg")]:
        missing = tmp_path / "gone" / file_name
        with pytest.raises(SplineCamError, match=rf"cannot write {str(missing)!r}: the folder .* does not exist"):
            save(missing)
        with pytest.raises(SplineCamError, match=rf"cannot write {str(read_only / file_name)!r}: no permission"):
            save(read_only / file_name)


def test_a_full_disk_names_the_file(w, tmp_path, monkeypatch):
    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    target = tmp_path / "a.png"
    with pytest.raises(SplineCamError) as info:
        w.save_png(target, width=40)
    expected = f"cannot write {str(target)!r}: no space left on the device; free some space or write elsewhere"
    assert str(info.value) == expected
    assert isinstance(info.value, OSError) and info.value.errno == errno.ENOSPC
    assert info.value.filename == str(target) and os.listdir(tmp_path) == []


def test_a_writers_own_complaint_is_passed_on_as_it_is(p, tmp_path, monkeypatch):
    def picky(*args, **kwargs):
        raise OSError("cannot write mode P as JPEG")  # what PIL says: no errno, nothing about the disk

    monkeypatch.setattr("splinecam_widget.export.png.encode_png", picky)
    with pytest.raises(OSError, match="cannot write mode P as JPEG") as info:
        save_png(p, tmp_path / "a.png", width=40)
    assert not isinstance(info.value, SplineCamError)


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_path_that_is_no_path_is_named(p, name):
    _, write = WRITERS[name]
    with pytest.raises(SplineCamError, match=r"path must be a file path \(a str or pathlib.Path\), got int 5"):
        write(p, 5)


def test_an_npz_archive_is_never_written_beside_a_folder_given_as_its_path(p, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    for given in (folder, f"{folder}{os.sep}"):
        with pytest.raises(SplineCamError, match=r"is a folder: give the path of a file to write, such as .*\.npz"):
            p.to_npz(given)
    assert sorted(os.listdir(tmp_path)) == ["out"] and os.listdir(folder) == []
    p.to_npz(folder / "partition")
    assert os.listdir(folder) == ["partition.npz"]


# --- the partition's own queries, partition()'s progress and the widget's margin ---


@pytest.mark.parametrize("region", [10**6, -1, 2.5, True, "0"])
def test_a_region_index_out_of_range_or_not_an_integer_is_refused(p, region):
    with pytest.raises(SplineCamError, match="region must be"):
        p.polygon(region)


def test_outputs_at_refuses_regions_out_of_range_and_shapes_that_do_not_match(p):
    with pytest.raises(SplineCamError, match=r"regions must be in 0\.\.\d+ .* got 1000000"):
        p.outputs_at(np.zeros((1, 2)), regions=[10**6])
    with pytest.raises(SplineCamError, match="one region per point"):
        p.outputs_at(np.zeros((3, 2)), regions=[0])
    with pytest.raises(SplineCamError, match=r"uv must be plane points of shape \(M, 2\), got shape \(3, 3\)"):
        p.outputs_at(np.zeros((3, 3)))


def test_a_boundary_sample_too_large_to_hold_is_refused_before_allocating(p):
    with pytest.raises(SplineCamError, match=r"n=1000000000000 boundary samples .* GiB; ask for at most"):
        p.sample_boundary(10**12)


@pytest.mark.parametrize("progress", [5, "print", [print]])
def test_progress_must_be_a_function(progress):
    with pytest.raises(SplineCamError, match="progress must be a function taking a LayerProgress"):
        partition(mlp((2, 8, 3), seed=0), Slice.from_anchors(ANCHORS), progress=progress)


@pytest.mark.parametrize("margin", ["1", None, -1.0, float("nan")])
def test_the_widget_refuses_a_margin_that_is_no_non_negative_number_in_its_own_words(w, margin):
    with pytest.raises(SplineCamError, match="margin must be a non-negative number such as 0.25"):
        w.margin = margin
    assert w.margin == 0.25
