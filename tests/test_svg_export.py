"""SVG export: valid XML, one path per region in its colour, boundary and anchors."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch
from engine_checks import mlp

from splinecam_widget import Slice, SplineCamWidget, partition, partition_to_svg
from splinecam_widget.colors import class_palette, region_colors, rgb_to_hex

SVG = "{http://www.w3.org/2000/svg}"
ANCHORS = np.array([[-1.0, -1.0], [1.0, -1.0], [0.0, 1.0]])


@pytest.fixture(scope="module")
def part():
    return partition(mlp((2, 12, 12, 3), seed=0), Slice.from_anchors(ANCHORS, margin=1.0))


@pytest.mark.parametrize("mode", ["slope", "pattern"])
def test_one_path_per_region_grouped_by_its_colour(part, mode):
    root = ET.fromstring(partition_to_svg(part, color_by=mode))
    regions = root.find(f"{SVG}g[@id='regions']")
    found = {}
    for group in regions.findall(f"{SVG}g"):
        for path in group.findall(f"{SVG}path"):
            found[int(path.get("data-region"))] = group.get("fill")
    assert sorted(found) == list(range(part.n_regions))
    fills = region_colors(part, mode).fill
    assert all(found[r] == rgb_to_hex(fills[r, :3]) for r in range(part.n_regions))
    assert len(regions.findall(f"{SVG}g")) == len(np.unique(fills.view(np.uint32)))


def test_class_mode_draws_boundary_regions_as_their_exact_class_cells(part):
    root = ET.fromstring(partition_to_svg(part, color_by="class", width=500))
    paths = [
        (group.get("fill"), path)
        for group in root.find(f"{SVG}g[@id='regions']").findall(f"{SVG}g")
        for path in group.findall(f"{SVG}path")
    ]
    cells, palette = part.class_cells, class_palette()
    assert len(cells.regions) > 0
    whole = {int(p.get("data-region")): fill for fill, p in paths if p.get("data-class") is None}
    pieces = [(int(p.get("data-region")), int(p.get("data-class")), fill) for fill, p in paths if p.get("data-class")]
    assert set(whole) | {r for r, _, _ in pieces} == set(range(part.n_regions))
    assert not set(whole) & set(cells.regions.tolist())  # a crossed region is drawn only as its cells
    assert sorted((r, k) for r, k, _ in pieces) == sorted(zip(cells.regions.tolist(), cells.classes.tolist()))
    assert all(fill == rgb_to_hex(palette[k]) for _, k, fill in pieces)
    fills = region_colors(part, "class").fill
    assert all(fill == rgb_to_hex(fills[r, :3]) for r, fill in whole.items())


def test_boundary_and_labelled_anchors_are_drawn(part):
    root = ET.fromstring(partition_to_svg(part, anchor_labels=("cat", "dog", "<bird>")))
    assert len(part.boundary) and root.find(f"{SVG}path[@id='boundary']").get("d").count("M") == len(part.boundary)
    labels = [t.text for t in root.find(f"{SVG}g[@id='anchors']").findall(f"{SVG}text")]
    assert labels == ["cat", "dog", "<bird>"]


def test_picture_coordinates_flip_v_and_fill_the_width(part):
    root = ET.fromstring(partition_to_svg(part, width=400, legend=False))
    assert root.get("width") == "400"
    domain = part.slice.domain
    expected_height = round(400 * np.ptp(domain[:, 1]) / np.ptp(domain[:, 0]))
    assert int(root.get("height")) == expected_height == int(root.get("data-plot-height"))


def test_widget_saves_its_current_view(tmp_path):
    w = SplineCamWidget(mlp((2, 8, 8, 2), seed=1), torch.tensor(ANCHORS), color_by="class")
    w.save_svg(tmp_path / "w.svg")
    root = ET.parse(tmp_path / "w.svg").getroot()
    drawn = {int(p.get("data-region")) for p in root.findall(f".//{SVG}path[@data-region]")}
    assert drawn == set(range(w.partition.n_regions))
