"""compare(): several networks on one slice, anchors moved together, one colour scale, statistics."""

from __future__ import annotations

import numpy as np
import pytest
from engine_checks import mlp
from PIL import Image

from splinecam_widget import Comparison, Slice, SplineCamError, SplineCamWidget, compare, named_domain, partition
from splinecam_widget.colors import color_range, region_colors, shared_color_range

ANCHORS = np.array([[-1.0, -1.0, 0.2], [1.0, -1.0, 0.0], [0.0, 1.0, -0.3]])


@pytest.fixture(scope="module")
def models():
    return [mlp((3, 8, 8, 8, 8, 2), seed=1), mlp((3, 48, 2), seed=2)]


@pytest.fixture
def cmp(models):
    c = compare(models, ANCHORS, names=["narrow-deep", "wide-shallow"], color_by="slope")
    c.wait(60)
    return c


def test_each_view_shows_its_own_network_on_the_shared_slice(cmp, models):
    assert isinstance(cmp, Comparison) and len(cmp.widgets) == 2
    plane = Slice.from_anchors(ANCHORS)
    for w, m in zip(cmp.widgets, models):
        assert w.partition.n_regions == partition(m, plane).n_regions
        np.testing.assert_allclose(w.anchors_2d, plane.anchors_2d)
    groups = {w.link_group for w in cmp.widgets}
    assert len(groups) == 1 and groups != {""}
    other = compare(models, ANCHORS)
    assert other.widgets[0].link_group not in groups  # two comparisons do not drive each other
    assert other.names == ["Sequential", "Sequential"]


def test_the_slope_colour_bar_spans_every_view(cmp):
    ranges = [color_range(w.partition, "slope") for w in cmp.widgets]
    shared = (min(r[0] for r in ranges), max(r[1] for r in ranges))
    for w in cmp.widgets:
        assert w.color_range == pytest.approx(shared)
        assert w.coloring["legend"]["min"] == pytest.approx(shared[0])
        assert w.coloring["legend"]["max"] == pytest.approx(shared[1])
    cmp.color_by = "class"
    assert [w.color_by for w in cmp.widgets] == ["class", "class"]
    assert [w.color_range for w in cmp.widgets] == [None, None]
    cmp.widgets[1].color_by = "output"  # a change in one view reaches all
    assert cmp.widgets[0].color_by == "output" and cmp.widgets[0].color_range is not None


def test_setting_the_view_zooms_every_view(cmp, models):
    cmp.view = [-0.5, -0.25, 0.5, 0.25]
    cmp.wait(60)
    window = Slice.from_anchors(ANCHORS).with_domain([[-0.5, -0.25], [0.5, -0.25], [0.5, 0.25], [-0.5, 0.25]])
    for w, m in zip(cmp.widgets, models):
        assert w.view == [-0.5, -0.25, 0.5, 0.25] and w.partition.n_regions == partition(m, window).n_regions
    assert cmp.view == [-0.5, -0.25, 0.5, 0.25]


def test_an_anchor_dragged_in_one_view_moves_in_all(cmp, models):
    moved = [list(p) for p in cmp.widgets[0].anchors_2d]
    moved[1] = [moved[1][0] + 0.3, moved[1][1] - 0.2]
    cmp.widgets[0].anchors_2d = moved  # as the front end does
    cmp.wait(60)
    want = cmp.widgets[0].anchors
    first = Slice.from_anchors(ANCHORS)  # a drag keeps the plane's frame; the square domain follows the anchors
    dragged = Slice(first.origin, first.basis, named_domain(np.array(moved), "square", 0.25))
    for w, m in zip(cmp.widgets, models):
        np.testing.assert_allclose(w.anchors_2d, moved)
        np.testing.assert_allclose(w.anchors, want, atol=1e-12)
        assert w.partition.n_regions == partition(m, dragged).n_regions


def test_a_data_point_used_as_anchor_in_one_view_moves_every_view(cmp):
    X = np.random.default_rng(0).normal(size=(20, 3))
    cmp.show_data(X, np.arange(20) % 2, max_distance=10.0)
    assert all(w.data["n"] == 20 for w in cmp.widgets)
    assert cmp.widgets[1]._use_as_anchor({"row": 4, "anchor": 0}, [])[0] == {"ok": True}
    cmp.wait(60)
    for w in cmp.widgets:
        np.testing.assert_array_equal(w.anchors[0], X[4])
        assert w.data["frame"] == w.geometry["frame"]
    cmp.anchors = ANCHORS
    cmp.wait(60)
    assert all(np.array_equal(w.anchors, ANCHORS) for w in cmp.widgets)


def test_statistics_per_network_in_the_rows_and_the_table(cmp, models):
    stats = cmp.stats()
    assert list(stats) == ["narrow-deep", "wide-shallow"]
    plane = Slice.from_anchors(ANCHORS)
    for s, m, row in zip(stats.values(), models, cmp._stats_rows):
        want = partition(m, plane).stats()
        assert s.n_regions == want.n_regions and s.boundary_length == pytest.approx(want.boundary_length)
        assert f"{want.n_regions:,} regions" in row.value
    table = cmp.stats_table()
    lines = table.splitlines()
    assert "narrow-deep" in lines[0] and "wide-shallow" in lines[0]
    assert lines[1].split()[0] == "n_regions" and lines[1].split()[1:] == [f"{s.n_regions:,}" for s in stats.values()]
    with pytest.raises(SplineCamError, match="unknown statistics"):
        cmp.stats_table(rows=["wiggliness"])


def test_the_comparison_saves_as_one_picture_on_one_colour_scale(cmp, tmp_path):
    path = cmp.save_png(tmp_path / "cmp.png", width=150, scale=1.0)
    with Image.open(path) as image:
        picture = np.asarray(image.convert("RGB"))
    assert picture.shape[1:] == (150 * 2 + 8, 3) and picture.shape[0] > 150  # 150-pixel plots, legend below
    # each half is its view, rendered on the shared slope scale
    for i, w in enumerate(cmp.widgets):
        centre = picture[75, 75 + i * 158]
        region = w.partition.region_at(np.array([w.partition.slice.domain.mean(axis=0)]))[0]
        want = region_colors(w.partition, "slope", value_range=w.color_range).fill[region, :3]
        assert np.abs(centre.astype(int) - want.astype(int)).max() <= 1


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {}, "at least two models"),
        ((), {"names": ["a"]}, "1 entries for 2 models"),
        ((), {"columns": 0}, "columns"),
    ],
)
def test_bad_comparisons_get_a_clear_error(models, args, kwargs, message):
    chosen = models[:1] if message == "at least two models" else models
    with pytest.raises(SplineCamError, match=message):
        compare(chosen, ANCHORS, *args, **kwargs)


def test_views_drawn_before_the_comparison_listens_get_their_statistics_and_shared_scale(models, monkeypatch):
    listen = SplineCamWidget.on_partition

    def late(widget, callback):  # each view draws its first partition before the comparison listens
        widget.wait(30)
        listen(widget, callback)

    monkeypatch.setattr(SplineCamWidget, "on_partition", late)
    c = compare(models, ANCHORS, names=["narrow-deep", "wide-shallow"], color_by="slope")
    c.wait(60)
    for w, row in zip(c.widgets, c._stats_rows):
        assert f"{w.partition.n_regions:,} regions" in row.value
    shared = shared_color_range([w.partition for w in c.widgets], "slope")
    assert all(w.color_range == shared for w in c.widgets)
    c.close()
