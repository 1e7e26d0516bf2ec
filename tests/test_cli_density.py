"""``splinecam-widget density`` end to end: tables, plots, checkpoints, clusters and clear errors."""

import os
import re

import numpy as np
import pandas as pd
import pytest
import torch
from engine_checks import mlp
from PIL import Image
from test_cli import cli
from test_files import Payload

from splinecam_widget import local_complexity, local_density

pytestmark = pytest.mark.cli

POINTS = np.random.default_rng(0).normal(size=(12, 6))


@pytest.fixture
def files(tmp_path):
    models = [mlp((6, 16, 16, 3), seed=s) for s in range(3)]
    torch.save(models[-1], tmp_path / "model.pt")
    for step, model in enumerate(models):
        torch.save(model.state_dict(), tmp_path / f"step{step}.pt")
    np.save(tmp_path / "X.npy", POINTS)
    np.save(tmp_path / "y.npy", np.arange(12) % 3)
    np.save(tmp_path / "train.npy", np.arange(12) < 8)
    return models, tmp_path


def checkpoint_args(tmp_path):
    return ["--model", tmp_path / "model.pt", "--checkpoints", *(tmp_path / f"step{s}.pt" for s in range(3))]


def test_a_csv_table_per_checkpoint_and_point_equal_to_the_library(files):
    models, tmp_path = files
    common = ["--data", tmp_path / "X.npy", "--labels", tmp_path / "y.npy", "--split", tmp_path / "train.npy"]
    run = cli(
        "density",
        *checkpoint_args(tmp_path),
        *common,
        "--radius",
        0.7,
        "--slices",
        2,
        "--seed",
        5,
        "-o",
        tmp_path / "d.csv",
    )
    assert run.returncode == 0, run.stderr
    assert "6/6 tasks" in run.stderr and "local density at 12 points x 3 checkpoints" in run.stderr
    table = pd.read_csv(tmp_path / "d.csv")
    assert list(table.columns) == ["checkpoint", "checkpoint_label", "point", "split", "label", "local_density"]
    expected = local_density(None, POINTS, 0.7, 2, seed=5, checkpoints=models)
    assert table["local_density"].tolist() == expected.reshape(-1).tolist()
    assert table.checkpoint_label.unique().tolist() == ["step0", "step1", "step2"]
    assert table.split.tolist()[:12] == ["train"] * 8 + ["test"] * 4


def test_parquet_and_local_complexity(files):
    models, tmp_path = files
    run = cli(
        "density",
        "--model",
        tmp_path / "model.pt",
        "--data",
        tmp_path / "X.npy",
        "--radius",
        0.4,
        "--measure",
        "complexity",
        "--directions",
        3,
        "-o",
        tmp_path / "c.parquet",
    )
    assert run.returncode == 0, run.stderr
    table = pd.read_parquet(tmp_path / "c.parquet")
    assert table["local_complexity"].tolist() == local_complexity(models[-1], POINTS, 0.4, 3, seed=0).tolist()
    assert table.checkpoint_label.unique().tolist() == ["model"]


def test_a_png_plot_of_the_mean_per_checkpoint(files):
    _, tmp_path = files
    run = cli(
        "density",
        *checkpoint_args(tmp_path),
        "--data",
        tmp_path / "X.npy",
        "--split",
        tmp_path / "train.npy",
        "--radius",
        0.7,
        "-o",
        tmp_path / "d.png",
    )
    assert run.returncode == 0, run.stderr
    image = np.asarray(Image.open(tmp_path / "d.png").convert("RGB"))
    assert image.shape == (480, 800, 3)
    for color in [(31, 119, 180), (255, 127, 14)]:  # the train and test lines
        assert (np.abs(image.astype(int) - color).sum(axis=2) < 30).sum() > 200


@pytest.mark.dask
@pytest.mark.slow
def test_a_scheduler_address_runs_the_same_command_on_that_cluster(files):
    distributed = pytest.importorskip("distributed")
    _, tmp_path = files
    args = [*checkpoint_args(tmp_path), "--data", tmp_path / "X.npy", "--radius", 0.7, "--slices", 2]
    here = cli("density", *args, "-o", tmp_path / "here.csv")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", dashboard_address=None
    ) as cluster:
        there = cli("density", *args, "--scheduler", cluster.scheduler_address, "-o", tmp_path / "there.csv")
    assert here.returncode == 0 and there.returncode == 0, there.stderr
    assert "6/6 tasks" in here.stderr and "9/9 tasks" in there.stderr, "two worker threads: four tasks each"
    assert (tmp_path / "here.csv").read_text() == (tmp_path / "there.csv").read_text()


@pytest.mark.dask
@pytest.mark.slow
def test_workers_start_a_local_cluster(files):
    pytest.importorskip("distributed")
    _, tmp_path = files
    args = ["--model", tmp_path / "model.pt", "--data", tmp_path / "X.npy", "--radius", 0.7]
    here = cli("density", *args, "-o", tmp_path / "here.csv")
    there = cli("density", *args, "--workers", 2, "-o", tmp_path / "there.csv")
    assert here.returncode == 0 and there.returncode == 0, there.stderr
    assert "starting a local Dask cluster of 2 workers" in there.stderr
    assert "4/4 tasks" in here.stderr and "6/6 tasks" in there.stderr, "two worker threads: four tasks each"
    assert (tmp_path / "here.csv").read_text() == (tmp_path / "there.csv").read_text()


def test_an_unreachable_scheduler_is_one_line(files):
    pytest.importorskip("distributed")
    _, tmp_path = files
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"}
    args = ["--model", tmp_path / "model.pt", "--data", tmp_path / "X.npy", "--radius", 1, "-o", tmp_path / "o.csv"]
    run = cli("density", *args, "--scheduler", "tcp://127.0.0.1:9", env=env)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "splinecam-widget: error: --scheduler 'tcp://127.0.0.1:9': cannot connect" in run.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--model", "{model}", "--data", "{garbage}", "--radius", "1", "-o", "o.csv"],
            "--data .*not an .npy array",
        ),
        (
            ["--model", "{model}", "--data", "{X}", "--labels", "{short}", "--radius", "1", "-o", "o.csv"],
            r"--labels .*shape \(12,\), got \(3,\)",
        ),
        (["--model", "{model}", "--data", "{X}", "--radius", "0", "-o", "o.csv"], "--radius must be a positive number"),
        (
            ["--model", "{model}", "--data", "{X}", "--radius", "1", "-o", "o.txt"],
            "the suffix must be one of .csv, .parquet, .png",
        ),
        (
            ["--model", "{model}", "--data", "{X}", "--radius", "1", "--directions", "3", "-o", "o.csv"],
            "--directions sets the frame of --measure complexity",
        ),
        (
            ["--checkpoints", "{step0}", "--data", "{X}", "--radius", "1", "-o", "o.csv"],
            "--checkpoints hold state dicts: give --model",
        ),
        (["--data", "{X}", "--radius", "1", "-o", "o.csv"], "give --model"),
        (
            ["--model", "{model}", "--checkpoints", "{evil}", "--data", "{X}", "--radius", "1", "-o", "o.csv"],
            "refused: .*--trust-model-file",
        ),
        (
            ["--model", "{model}", "--data", "{X}", "--split", "{y}", "--radius", "1", "-o", "o.csv"],
            "split must hold booleans",
        ),
    ],
)
def test_bad_files_and_arguments_give_one_clear_line(files, args, message):
    _, tmp_path = files
    (tmp_path / "garbage.npy").write_bytes(b"not an array")
    np.save(tmp_path / "short.npy", np.zeros(3))
    torch.save(Payload(tmp_path / "pwned"), tmp_path / "evil.pt")
    names = {
        "model": tmp_path / "model.pt",
        "garbage": tmp_path / "garbage.npy",
        "X": tmp_path / "X.npy",
        "y": tmp_path / "y.npy",
        "short": tmp_path / "short.npy",
        "step0": tmp_path / "step0.pt",
        "evil": tmp_path / "evil.pt",
    }
    run = cli("density", *[a.format(**names) for a in args], cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert "splinecam-widget: error:" in run.stderr
    assert re.search(message, run.stderr), run.stderr
    assert not (tmp_path / "pwned").exists(), "nothing from a checkpoint file runs"
    assert not list(tmp_path.glob("o.*"))
