"""A failed export leaves the user's file as it was: every file is written beside its destination
and renamed over it only once complete; tiny PNG scales either work or get one clear line."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from engine_checks import mlp
from PIL import Image

from splinecam_widget import Slice, SplineCamError, SplineCamWidget, partition
from splinecam_widget.cli import main
from splinecam_widget.export import save_bokeh_html, save_geojson, save_svg
from splinecam_widget.export.frames import render_frames, save_frames
from splinecam_widget.export.png import render_partition, save_png
from splinecam_widget.files import atomic_path, write_bytes
from splinecam_widget.local.plot import save_measure_plot
from splinecam_widget.local.tables import measure_table, write_table

ANCHORS = np.array([[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]])
OLD = b"the user's file, which no failed export may touch\n"


@pytest.fixture(scope="module")
def p():
    return partition(mlp((2, 8, 8, 3), seed=2), Slice.from_anchors(ANCHORS, margin=0.5))


def table():
    return measure_table(np.array([[1.0, 2.0, 3.0]]), "local_density", checkpoint_labels=["model"])


class DiskFull(OSError):
    def __init__(self):
        super().__init__(28, "No space left on device")


def half_written(target):
    """Write part of the file the writer was given, then fail as a full disk does."""
    with open(target, "wb") as f:
        f.write(b"half a file")
    raise DiskFull()


def fail(*args, **kwargs):
    raise RuntimeError("the renderer failed")


# name -> (file name, patch(monkeypatch) that breaks the writer, export(p, path))
EXPORTS = {
    "png, renderer fails": (
        "a.png",
        lambda mp: mp.setattr("splinecam_widget.export.png.encode_png", fail),
        lambda p, path: save_png(p, path, width=60),
    ),
    "svg, renderer fails": (
        "a.svg",
        lambda mp: mp.setattr("splinecam_widget.export.svg.partition_to_svg", fail),
        lambda p, path: save_svg(p, path),
    ),
    "geojson, renderer fails": (
        "a.geojson",
        lambda mp: mp.setattr("splinecam_widget.export.data.partition_to_geojson", fail),
        lambda p, path: save_geojson(p, path),
    ),
    "npz, disk full": (
        "a.npz",
        lambda mp: mp.setattr(np, "savez_compressed", lambda file, **arrays: half_written(file)),
        lambda p, path: p.to_npz(path),
    ),
    "bokeh page, disk full": (
        "a.html",
        lambda mp: mp.setattr(Path, "write_text", lambda self, *a, **k: half_written(self)),
        lambda p, path: save_bokeh_html(p, path),
    ),
    "csv table, disk full": (
        "a.csv",
        lambda mp: mp.setattr(pd.DataFrame, "to_csv", lambda self, target, **k: half_written(target)),
        lambda p, path: write_table(table(), path),
    ),
    "parquet table, disk full": (
        "a.parquet",
        lambda mp: mp.setattr(pd.DataFrame, "to_parquet", lambda self, target, **k: half_written(target)),
        lambda p, path: write_table(table(), path),
    ),
    "measure plot, disk full": (
        "a.png",
        lambda mp: mp.setattr(Image.Image, "save", lambda self, target, *a, **k: half_written(target)),
        lambda p, path: save_measure_plot(table(), path, "local_density"),
    ),
    "gif frames, disk full": (
        "a.gif",
        lambda mp: mp.setattr(Image.Image, "save", lambda self, target, *a, **k: half_written(target)),
        lambda p, path: save_frames(render_frames([p, p], ["a", "b"], width=40), path),
    ),
    "png frames, disk full": (
        "a_000.png",
        lambda mp: mp.setattr(Path, "write_bytes", lambda self, data: half_written(self)),
        lambda p, path: save_frames(render_frames([p], ["a"], width=40), path.with_name("a.png")),
    ),
}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_a_failed_export_leaves_the_users_file_and_no_temporary_file(p, tmp_path, monkeypatch, name):
    file_name, breaks, export = EXPORTS[name]
    target = tmp_path / file_name
    target.write_bytes(OLD)
    breaks(monkeypatch)
    with pytest.raises((RuntimeError, OSError)):
        export(p, target)
    monkeypatch.undo()
    assert target.read_bytes() == OLD, "the user's file was changed by a failed export"
    assert os.listdir(tmp_path) == [file_name], "a temporary file was left behind"


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_a_successful_export_replaces_the_file_and_keeps_its_permissions(p, tmp_path, name):
    file_name, _, export = EXPORTS[name]
    target = tmp_path / file_name
    target.write_bytes(OLD)
    target.chmod(0o640)
    export(p, target)
    assert target.read_bytes() != OLD and target.stat().st_size > 0
    assert target.stat().st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == [file_name]


def test_a_link_stays_a_link_and_its_file_is_replaced(p, tmp_path):
    real, link = tmp_path / "real.svg", tmp_path / "link.svg"
    real.write_bytes(OLD)
    link.symlink_to(real)
    save_svg(p, link)
    assert link.is_symlink() and real.read_text().startswith("<svg")


def test_a_new_file_gets_the_permissions_open_would_give(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    write_bytes(tmp_path / "new.bin", b"data")
    assert (tmp_path / "new.bin").stat().st_mode & 0o777 == 0o666 & ~umask


def test_unwritable_places_are_named_as_the_user_gave_them(tmp_path):
    with pytest.raises(SplineCamError, match="is a folder: give the path of a file to write"):
        write_bytes(tmp_path, b"data")
    missing = tmp_path / "no" / "such" / "folder.png"
    with pytest.raises(SplineCamError, match=f"cannot write {str(missing)!r}: the folder .* does not exist") as info:
        write_bytes(missing, b"data")
    assert isinstance(info.value, OSError) and info.value.filename == str(missing)


def test_an_exception_inside_the_block_keeps_the_file(tmp_path):
    target = tmp_path / "kept.txt"
    target.write_bytes(OLD)
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as temporary:
        temporary.write_bytes(b"half")
        raise KeyboardInterrupt
    assert target.read_bytes() == OLD and os.listdir(tmp_path) == ["kept.txt"]


@pytest.mark.parametrize("scale", [0.001, 0.0005])
def test_a_picture_under_one_pixel_is_one_line_and_keeps_the_file(tmp_path, capsys, scale):
    target = tmp_path / "out.png"
    target.write_bytes(OLD)
    assert main(["render", "--scale", str(scale), "--color-by", "class", "-o", str(target)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "--width x --scale = " in error and "at least one pixel" in error
    assert target.read_bytes() == OLD


@pytest.mark.parametrize("mode", ["class", "slope", "layer"])
@pytest.mark.parametrize("scale", [0.01, 0.05, 0.3])
def test_tiny_scales_draw_the_picture_and_its_legend(p, mode, scale):
    image = render_partition(p, color_by=mode, width=800, scale=scale)
    assert image.shape[1] == round(800 * scale) and image.dtype == np.uint8
    assert image.shape[0] > render_partition(p, color_by=mode, width=800, scale=scale, legend=False).shape[0]


def test_the_widget_refuses_a_tiny_class_picture_and_keeps_the_file(tmp_path):
    w = SplineCamWidget(mlp((2, 8, 8, 3), seed=2), torch.tensor(ANCHORS), color_by="class")
    try:
        target = tmp_path / "w.png"
        target.write_bytes(OLD)
        with pytest.raises(SplineCamError, match=r"width x scale = 0\.8 pixels: a picture needs at least one pixel"):
            w.save_png(target, scale=0.001)
        assert target.read_bytes() == OLD
        w.save_png(target, scale=0.01)
        with Image.open(target) as image:
            assert image.width == 8
    finally:
        w.close()
