"""One check per size: a width, a height or a scale gets the same verdict and the same message in
every export, in the widget (from Python or a front end) and on the command line."""

import math

import numpy as np
import pytest
import torch
from engine_checks import mlp

from splinecam_widget import Slice, SplineCamError, SplineCamWidget, partition
from splinecam_widget.cli import main
from splinecam_widget.export import partition_to_bokeh, save_svg
from splinecam_widget.export.frames import render_frames
from splinecam_widget.export.png import save_png
from splinecam_widget.export.sizes import check_picture, check_pixels, check_scale
from splinecam_widget.local.plot import save_measure_plot
from splinecam_widget.local.tables import measure_table

ANCHORS = np.array([[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]])
BAD_WIDTHS = [0, -10, 2.5, 100.0, True, "800", None, 20_001]
BAD_SCALES = [0, -1, math.nan, math.inf, "2", True, None]


@pytest.fixture(scope="module")
def p():
    return partition(mlp((2, 8, 8, 3), seed=2), Slice.from_anchors(ANCHORS, margin=0.5))


@pytest.fixture(scope="module")
def w():
    widget = SplineCamWidget(mlp((2, 8, 8, 3), seed=2), torch.tensor(ANCHORS), color_by="class")
    widget.wait(30)
    yield widget
    widget.close()


WIDTH_USERS = {
    "save_png": lambda p, w, path, width: save_png(p, path, width=width),
    "save_svg": lambda p, w, path, width: save_svg(p, path, width=width),
    "partition_to_bokeh": lambda p, w, path, width: partition_to_bokeh(p, width=width),
    "render_frames": lambda p, w, path, width: render_frames([p], ["a"], width=width),
    "widget.save_png": lambda p, w, path, width: w.save_png(path, width=width),
    "widget.save_svg": lambda p, w, path, width: w.save_svg(path, width=width),
    "widget.save_html": lambda p, w, path, width: w.save_html(path, width=width),
    "widget.to_bokeh": lambda p, w, path, width: w.to_bokeh(width=width),
}


@pytest.mark.parametrize("width", BAD_WIDTHS, ids=repr)
@pytest.mark.parametrize("name", sorted(WIDTH_USERS))
def test_every_export_refuses_a_bad_width_with_the_same_line_and_writes_nothing(p, w, tmp_path, name, width):
    path = tmp_path / "out"
    with pytest.raises(SplineCamError) as info:
        WIDTH_USERS[name](p, w, path, width)
    assert str(info.value) == f"width must be between 1 and 20,000 pixels (a whole number), got {width!r}"
    assert not path.exists()


SCALE_USERS = {
    "save_png": lambda p, w, path, scale: save_png(p, path, scale=scale),
    "render_frames": lambda p, w, path, scale: render_frames([p], ["a"], width=40, scale=scale),
    "widget.save_png": lambda p, w, path, scale: w.save_png(path, scale=scale),
}


@pytest.mark.parametrize("scale", BAD_SCALES, ids=repr)
@pytest.mark.parametrize("name", sorted(SCALE_USERS))
def test_every_picture_refuses_a_bad_scale_with_the_same_line(p, w, tmp_path, name, scale):
    path = tmp_path / "out.png"
    with pytest.raises(SplineCamError) as info:
        SCALE_USERS[name](p, w, path, scale)
    assert str(info.value) == f"scale must be a positive number, got {scale!r}"
    assert not path.exists()


def test_good_sizes_pass_as_python_numbers():
    assert check_pixels(np.int32(7)) == 7 and type(check_pixels(np.int32(7))) is int
    assert check_scale(np.float32(0.5)) == 0.5 and type(check_scale(2)) is float
    assert check_picture(800, 0.00125) == (800, 0.00125)
    with pytest.raises(SplineCamError, match=r"^--width x --scale = 0\.8 pixels: a picture needs at least one pixel"):
        check_picture(800, 0.001, ("--width", "--scale"))


@pytest.mark.parametrize("height", [-1, 0, 20_001])
def test_the_widget_height_is_a_picture_size_from_the_constructor_and_from_python(w, height):
    with pytest.raises(SplineCamError, match=r"^height must be between 1 and 20,000 pixels \(a whole number\)"):
        SplineCamWidget(mlp((2, 4, 2), seed=0), torch.tensor(ANCHORS), height=height)
    before = w.height
    with pytest.raises(SplineCamError, match="height must be between 1 and 20,000 pixels"):
        w.height = height
    assert w.height == before


@pytest.mark.parametrize("width", [0, 15, 4097])
def test_a_front_end_download_of_a_bad_width_gets_the_same_kind_of_line(w, width):
    answer, buffers = w._export({"width": width, "format": "svg"}, [])
    assert answer == {"error": f"width must be between 16 and 4,096 pixels (a whole number), got {width}"}
    assert buffers == []


def test_the_measure_plot_checks_its_size_with_the_same_check(tmp_path):
    table = measure_table(np.array([[1.0, 2.0]]), "local_density", checkpoint_labels=["model"])
    with pytest.raises(
        SplineCamError, match=r"^width must be between 200 and 20,000 pixels \(a whole number\), got 50"
    ):
        save_measure_plot(table, tmp_path / "plot.png", "local_density", width=50)
    with pytest.raises(SplineCamError, match=r"^height must be between 160 and 20,000 pixels"):
        save_measure_plot(table, tmp_path / "plot.png", "local_density", height=-1)
    assert not (tmp_path / "plot.png").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--width", "20001"], "--width must be between 1 and 20,000 pixels (a whole number), got 20001"),
        (["--scale", "-1"], "--scale must be a positive number, got -1.0"),
        (
            ["--width", "10", "--scale", "0.05"],
            "--width x --scale = 0.5 pixels: a picture needs at least one pixel; raise --width or --scale",
        ),
    ],
)
def test_the_command_line_says_the_same_with_its_option_names(tmp_path, capsys, args, message):
    assert main(["render", "-o", str(tmp_path / "x.svg"), *args]) == 2
    assert capsys.readouterr().err.strip() == f"splinecam-widget: error: {message}"


@pytest.mark.parametrize("bad", [2.5, 3.0, "300", None])
def test_a_widget_height_that_is_not_a_whole_number_gets_the_one_message(bad):
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1)).eval()
    w = SplineCamWidget(model, np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    try:
        with pytest.raises(SplineCamError, match=r"height must be between 1 and 20,000 pixels \(a whole number\)"):
            w.height = bad
        assert w.height == 480
    finally:
        w.close()
