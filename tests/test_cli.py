"""``splinecam-widget render`` end to end: the demo, saved models, and clear errors."""

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch
from engine_checks import mlp
from PIL import Image

from splinecam_widget import Slice, partition

pytestmark = pytest.mark.cli

ANCHORS = np.array([[-1.0, -0.5], [1.0, -0.5], [0.0, 1.0]])


def cli(*args, cwd=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "splinecam_widget.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def test_demo_renders_a_png_with_progress(tmp_path):
    run = cli("render", "-o", tmp_path / "demo.png", "--width", 300, "--scale", 2)
    assert run.returncode == 0, run.stderr
    assert "layer 2/2" in run.stderr and "regions" in run.stderr
    image = Image.open(tmp_path / "demo.png")
    assert image.size[0] == 600 and image.mode == "RGB"
    assert len(np.unique(np.asarray(image).reshape(-1, 3), axis=0)) > 3


@pytest.fixture
def saved(tmp_path):
    model = mlp((2, 10, 10, 3), seed=3)
    np.save(tmp_path / "anchors.npy", ANCHORS)
    return model, tmp_path


def test_pickled_model_to_svg_has_one_path_per_region(saved):
    model, tmp_path = saved
    torch.save(model, tmp_path / "model.pt")
    run = cli(
        "render", "--model", tmp_path / "model.pt", "--anchors", tmp_path / "anchors.npy", "-o", tmp_path / "out.svg"
    )
    assert run.returncode == 0, run.stderr
    expected = partition(model, Slice.from_anchors(ANCHORS)).n_regions
    root = ET.parse(tmp_path / "out.svg").getroot()
    assert len(root.findall(".//{http://www.w3.org/2000/svg}path[@data-region]")) == expected


def test_torchscript_model_to_geojson(saved):
    model, tmp_path = saved
    torch.jit.script(model).save(str(tmp_path / "scripted.pt"))
    run = cli(
        "render",
        "--trust-model-file",
        "--model",
        tmp_path / "scripted.pt",
        "--anchors",
        tmp_path / "anchors.npy",
        "-o",
        tmp_path / "out.geojson",
    )
    assert run.returncode == 0, run.stderr
    features = json.loads((tmp_path / "out.geojson").read_text())["features"]
    expected = partition(model, Slice.from_anchors(ANCHORS))
    assert sum(f["geometry"]["type"] == "Polygon" for f in features) == expected.n_regions


def test_model_from_a_python_module(saved):
    _, tmp_path = saved
    (tmp_path / "mynets.py").write_text(
        "import torch\n"
        "def classifier():\n"
        "    torch.manual_seed(0)\n"
        "    return torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1)).eval()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    run = cli(
        "render",
        "--model",
        "mynets:classifier",
        "--anchors",
        tmp_path / "anchors.npy",
        "--levels",
        -0.1,
        0.1,
        "-o",
        tmp_path / "out.npz",
        env=env,
    )
    assert run.returncode == 0, run.stderr
    assert np.load(tmp_path / "out.npz")["levels"].tolist() == [-0.1, 0.1]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--model", "missing.pt", "--anchors", "a.npy"], "no such file, and not of the form package.module:attribute"),
        (["--model", "math:pi", "--anchors", "{anchors}"], "is a float, not a torch.nn.Module"),
        (["--model", "no_such_package:net", "--anchors", "{anchors}"], "cannot import 'no_such_package'"),
        (["--model", "{garbage}", "--anchors", "{anchors}"], "not a file saved by torch.save; expected a module"),
        (["--anchors", "{garbage}"], "not an .npy array"),
        (["--anchors", "{bad_anchors}"], r"anchors must have shape \(3, \*input_shape\)"),
        (["-o", "out.bmp"], "the suffix must be one of"),
        (["--model", "{model}"], "--model needs --anchors"),
    ],
)
def test_bad_files_and_arguments_give_one_clear_line(saved, args, message):
    model, tmp_path = saved
    (tmp_path / "garbage.pt").write_bytes(b"not a model at all")
    np.save(tmp_path / "bad.npy", np.zeros((2, 2)))
    torch.save(model, tmp_path / "model.pt")
    names = {
        "anchors": tmp_path / "anchors.npy",
        "garbage": tmp_path / "garbage.pt",
        "bad_anchors": tmp_path / "bad.npy",
        "model": tmp_path / "model.pt",
    }
    run = cli("render", *[a.format(**names) for a in args], cwd=tmp_path)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "splinecam-widget: error:" in run.stderr
    assert re.search(message, run.stderr), run.stderr


def test_demo_renders_a_self_contained_bokeh_page(tmp_path):
    run = cli("render", "--color-by", "pattern", "-o", tmp_path / "demo.html")
    assert run.returncode == 0, run.stderr
    page = (tmp_path / "demo.html").read_text()
    assert "Bokeh" in page and "cdn.bokeh.org" not in page
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=[\"']https?:", page)
