"""Every file or option the command line refuses is one line naming what is accepted: never torch's
pages of text (which advise ``weights_only=False`` for an untrusted file), never a traceback."""

import zipfile

import numpy as np
import pytest
import torch
from torch import nn

from splinecam_widget import SplineCamError
from splinecam_widget.checkpoints import Checkpoints
from splinecam_widget.cli import main
from splinecam_widget.files import load_array, load_model_file

ANCHORS = np.array([[-1.0, -0.5], [1.0, -0.5], [0.0, 1.0]])


class Payload:
    """A pickle that calls a function when read."""

    def __reduce__(self):
        return (print, ("the payload ran",))


def net(hidden=8):
    return nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 3))


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.save("anchors.npy", ANCHORS)
    np.save("X.npy", np.random.default_rng(0).normal(size=(4, 2)))
    np.savez("two.npz", a=ANCHORS, b=ANCHORS)
    np.save("objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    torch.save(net(), "model.pt")
    torch.save(net(5).state_dict(), "other.pt")
    torch.save(Payload(), "evil.pt")
    (tmp_path / "random.pt").write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    (tmp_path / "truncated.pt").write_bytes((tmp_path / "model.pt").read_bytes()[:300])
    with zipfile.ZipFile("other.zip", "w") as archive:
        archive.writestr("notes.txt", "not a model")
    (tmp_path / "folder").mkdir()
    (tmp_path / "factory_fails.py").write_text("def make():\n    raise RuntimeError('no GPU here\\nsecond line')\n")
    return tmp_path


RENDER = ["render", "-o", "out.png"]
DENSITY = ["density", "--data", "X.npy", "--radius", "0.5", "-o", "d.csv"]
MODEL_FORMS = (
    "--model takes a torch.save(model, path) file or package.module:attribute (a module, or a function returning one)"
)


@pytest.mark.parametrize(
    "args, line",
    [
        (
            [*RENDER, "--model", "random.pt", "--anchors", "anchors.npy"],
            "--model 'random.pt': not a file saved by torch.save; expected a module saved with torch.save(model, path)",
        ),
        (
            [*RENDER, "--model", "random.pt", "--anchors", "anchors.npy", "--trust-model-file"],
            "--model 'random.pt': not a file saved by torch.save; expected a module saved with torch.save(model, path)",
        ),
        (
            [*RENDER, "--model", "truncated.pt", "--anchors", "anchors.npy"],
            "--model 'truncated.pt': not a file saved by torch.save (a damaged zip archive); expected a module saved "
            "with torch.save(model, path)",
        ),
        (
            [*RENDER, "--model", "other.zip", "--anchors", "anchors.npy"],
            "--model 'other.zip': not a file saved by torch.save (a zip archive); expected a module saved with "
            "torch.save(model, path)",
        ),
        (
            [*RENDER, "--model", "json:loads", "--anchors", "anchors.npy"],
            f"--model 'json:loads': loads cannot be called without arguments; {MODEL_FORMS}",
        ),
        (
            [*RENDER, "--model", "torch.nn:Linear", "--anchors", "anchors.npy"],
            f"--model 'torch.nn:Linear': Linear cannot be called without arguments; {MODEL_FORMS}",
        ),
        (
            [*RENDER, "--model", "factory_fails:make", "--anchors", "anchors.npy"],
            "--model 'factory_fails:make': calling make() failed (RuntimeError: no GPU here)",
        ),
        (
            [*RENDER, "--model", "os:getcwd", "--anchors", "anchors.npy"],
            "--model 'os:getcwd': getcwd() returned a str, not a torch.nn.Module",
        ),
        (
            [*RENDER, "--model", ":net", "--anchors", "anchors.npy"],
            "--model ':net': no such file, and not of the form package.module:attribute",
        ),
        ([*RENDER, "--model", "folder", "--anchors", "anchors.npy"], f"--model 'folder' is a folder; {MODEL_FORMS}"),
        (
            [*RENDER, "--model", "model.pt", "--anchors", "model.pt"],
            "--anchors 'model.pt': not an .npy array (a torch.save file); save one numeric array with "
            "np.save(path, array)",
        ),
        (
            [*RENDER, "--model", "model.pt", "--anchors", "two.npz"],
            "--anchors 'two.npz': not an .npy array (an .npz archive of several arrays); save one numeric array "
            "with np.save(path, array)",
        ),
        (
            [*RENDER, "--model", "model.pt", "--anchors", "objects.npy"],
            "--anchors 'objects.npy': not an .npy array (it holds Python objects, which are never unpickled); "
            "save one numeric array with np.save(path, array)",
        ),
        ([*RENDER, "--model", "model.pt", "--anchors", "folder"], "--anchors 'folder' is a folder: give a file"),
        (
            [*DENSITY, "--model", "model.pt", "--checkpoints", "evil.pt"],
            "--checkpoints 'evil.pt': refused: it asks to call or build builtins.print, which is not a torch.nn "
            "layer; reading it would run code the file chooses; if you trust this file, load it with trust=True "
            "(command line: --trust-model-file)",
        ),
        (
            [*DENSITY, "--model", "model.pt", "--checkpoints", "other.pt"],
            "checkpoint 0 ('other') does not fit the model: '0.weight' has shape (5, 2) in the checkpoint but "
            "(8, 2) in the model (2 more tensors differ in shape); a state dict must come from the model's "
            "architecture",
        ),
        (
            [*DENSITY, "--model", "model.pt", "--sides", "100000"],
            "--sides must be a whole number of polygon vertices from 3 to 4,096, got 100000",
        ),
    ],
)
def test_each_refusal_is_one_line_naming_what_is_accepted(files, capsys, args, line):
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.err == f"splinecam-widget: error: {line}\n"
    assert "weights_only" not in captured.err and "the payload ran" not in captured.out
    assert not (files / "out.png").exists() and not (files / "d.csv").exists()


@pytest.mark.parametrize("command", ["render", "density"])
def test_help_shows_plain_text(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    assert f"Command line: splinecam-widget {command}" in text
    assert "``" not in text and "\\\\" not in text


def test_the_library_says_the_same(files):
    with pytest.raises(SplineCamError, match=r"^model 'random.pt': not a file saved by torch.save; expected"):
        load_model_file("random.pt", "model")
    with pytest.raises(SplineCamError, match=r"^anchors 'model.pt': not an .npy array \(a torch.save file\)"):
        load_array("model.pt", "anchors")
    with pytest.raises(SplineCamError, match=r"^checkpoint 0 does not fit the model: it lacks '2.bias'; it has 'x'"):
        state = net().state_dict()
        del state["2.bias"]
        Checkpoints([{**state, "x": torch.zeros(1)}], net())
