"""Files from users are read without running code from them, unless the user trusts the file."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from engine_checks import mlp
from torch import nn

from splinecam_widget import PiecewiseLinear, SplineCamError, SplineCamWidget
from splinecam_widget.cli import main
from splinecam_widget.files import load_checkpoint_file, load_model_file

ANCHORS = np.array([[-1.0, -0.5], [1.0, -0.5], [0.0, 1.0]])


class Payload:
    """A pickle that writes a marker file when unpickled: what a crafted model file does."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


class Custom(nn.Module):  # an honest model whose class is not a torch.nn layer
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(2, 3)

    def forward(self, x):
        return torch.relu(self.layer(x))


@pytest.fixture
def files(tmp_path):
    np.save(tmp_path / "anchors.npy", ANCHORS)
    torch.save(Payload(tmp_path / "pwned"), tmp_path / "evil.pt")
    return tmp_path


def render(tmp_path, *args):
    return main(["render", "--anchors", str(tmp_path / "anchors.npy"), "-o", str(tmp_path / "out.png"), *args])


def test_a_crafted_model_file_is_refused_and_runs_nothing(files, capsys):
    assert render(files, "--model", str(files / "evil.pt")) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0, "one line"
    assert "refused" in error and "pathlib" in error.lower() and "--trust-model-file" in error
    assert not (files / "pwned").exists(), "the payload must not run"
    assert not (files / "out.png").exists()


def test_honest_torch_save_of_standard_layers_loads_without_trust(files):
    model = nn.Sequential(
        nn.Conv1d(1, 2, 1),
        nn.Flatten(),
        nn.Linear(4, 6),
        nn.BatchNorm1d(6),
        nn.LeakyReLU(0.1),
        PiecewiseLinear([0.0, 1.0], [0.0, 1.0, 0.5]),
        nn.Linear(6, 2),
    ).eval()
    torch.save(model, files / "model.pt")
    loaded = load_model_file(files / "model.pt")
    x = torch.randn(5, 1, 2)
    torch.testing.assert_close(loaded(x), model(x))


def test_other_classes_need_trust_and_then_load(files, capsys):
    torch.save(Custom().eval(), files / "custom.pt")
    with pytest.raises(SplineCamError, match=r"refused: it asks to call or build .*Custom.*trust=True"):
        load_model_file(files / "custom.pt")
    assert isinstance(load_model_file(files / "custom.pt", trust=True), Custom)


def test_torchscript_files_need_trust(files, capsys):
    torch.jit.script(mlp((2, 4, 2))).save(str(files / "scripted.pt"))
    assert render(files, "--model", str(files / "scripted.pt")) == 2
    assert "TorchScript file holds code" in capsys.readouterr().err
    assert render(files, "--model", str(files / "scripted.pt"), "--trust-model-file") == 0


def test_checkpoint_paths_load_state_dicts_and_refuse_payloads(files):
    model = mlp((2, 5, 2), seed=1)
    torch.save(model.state_dict(), files / "step.pt")
    torch.save({"state_dict": model.state_dict(), "epoch": 3}, files / "wrapped.pt")
    assert set(load_checkpoint_file(files / "wrapped.pt", "checkpoint 0")) == set(model.state_dict())
    w = SplineCamWidget(mlp((2, 5, 2), seed=2), ANCHORS, checkpoints=[files / "step.pt", str(files / "wrapped.pt")])
    w.wait(30)
    torch.testing.assert_close(w.model[0].weight, model[0].weight)
    with pytest.raises(SplineCamError, match="checkpoint 1 .*refused"):
        SplineCamWidget(model, ANCHORS, checkpoints=[files / "step.pt", files / "evil.pt"])
    assert not (files / "pwned").exists()


def test_anchor_files_are_never_unpickled(files, capsys):
    np.save(files / "objects.npy", np.array([Payload(files / "pwned")], dtype=object), allow_pickle=True)
    assert render(files, "--anchors", str(files / "objects.npy")) == 2
    assert "it holds Python objects, which are never unpickled" in capsys.readouterr().err
    assert not (files / "pwned").exists()


def test_output_in_a_missing_folder_is_one_line_before_any_work(files, capsys):
    assert main(["render", "-o", str(files / "no" / "such" / "dir.png")]) == 2
    error = capsys.readouterr().err
    assert "does not exist" in error and "Traceback" not in error and "training" not in error


def test_unknown_suffix_is_refused_before_any_work(files, capsys):
    assert main(["render", "-o", str(files / "picture.bmp")]) == 2
    error = capsys.readouterr().err
    assert "the suffix must be one of" in error and "training the built-in demo" not in error


@pytest.mark.parametrize(
    "args, message",
    [
        (["--scale", "1e6"], "pixels wide is more than a picture can hold"),
        (["--scale", "60", "--width", "800"], "the limit is 40 million pixels"),
        (["--width", "0"], "--width must be between 1 and"),
        (["--width", "-5"], "--width must be between 1 and"),
        (["--scale", "0"], "--scale must be a positive number"),
        (["--scale", "nan"], "--scale must be a positive number"),
    ],
)
def test_picture_sizes_are_checked_with_the_reason(files, capsys, args, message):
    assert main(["render", "-o", str(files / "x.png"), *args]) == 2
    assert message in capsys.readouterr().err


def test_write_errors_are_one_line(files, capsys, monkeypatch):
    import splinecam_widget.cli.render as cli

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli, "write", full_disk)
    assert main(["render", "-o", str(files / "x.png")]) == 2
    assert capsys.readouterr().err.strip().endswith("No space left on device")


def test_module_attribute_is_found_in_the_current_directory(files):
    (files / "mynets_here.py").write_text(
        "import torch\n"
        "def net():\n"
        "    torch.manual_seed(0)\n"
        "    return torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1)).eval()\n"
    )
    command = shutil.which("splinecam-widget", path=os.path.dirname(sys.executable))
    run = subprocess.run(
        [command, "render", "--model", "mynets_here:net", "--anchors", "anchors.npy", "-o", "o.svg"],
        cwd=files,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert (files / "o.svg").exists()


def test_pictures_carry_their_legend_unless_told_not_to(files):
    from PIL import Image

    assert main(["render", "--width", "200", "-o", str(files / "with.png")]) == 0
    assert main(["render", "--width", "200", "--no-legend", "-o", str(files / "without.png")]) == 0
    with Image.open(files / "with.png") as a, Image.open(files / "without.png") as b:
        assert a.width == b.width == 200 and a.height > b.height
