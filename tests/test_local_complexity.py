"""local_complexity: neurons whose sign changes over a cross-polytope frame, as in the grokking papers."""

import numpy as np
import pytest
import torch
from engine_checks import mlp, model_outputs_and_preactivations
from torch import nn

from splinecam_widget import SplineCamError, local_complexity
from splinecam_widget.local.complexity import cutting_layer_names, frame_directions, frame_vertices

POINTS = np.random.default_rng(1).normal(size=(9, 5))


def test_a_hand_made_layer_counts_the_units_whose_hyperplane_passes_near_the_point():
    layer = nn.Linear(2, 4)
    # Units 0 and 2 vanish at the point (1, 1); unit 1 at distance 0.05 from it; unit 3 far away.
    layer.weight.data = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    layer.bias.data = torch.tensor([-1.0, -1.05, 0.0, 10.0])
    model = nn.Sequential(layer, nn.ReLU(), nn.Linear(4, 1)).eval()
    point = np.array([[1.0, 1.0]])
    assert local_complexity(model, point, radius=0.01, seed=0).tolist() == [2]
    assert local_complexity(model, point, radius=0.2, seed=0).tolist() == [3]
    assert local_complexity(model, point, radius=0.01, seed=0, per_layer=True).tolist() == [[2]]


def test_counts_match_sign_changes_of_the_pre_activations_at_the_frame_vertices():
    model = mlp((5, 12, 12, 12, 2), activation="leaky", seed=3)
    counts = local_complexity(model, POINTS, radius=0.3, n_directions=4, seed=7, per_layer=True)
    for i, point in enumerate(POINTS):
        vertices = frame_vertices(point, frame_directions(7, i, 5, 4), 0.3)
        _, pre = model_outputs_and_preactivations(model, torch.from_numpy(vertices))
        expected = [int(((layer > 0).any(axis=0) & (layer <= 0).any(axis=0)).sum()) for layer in pre]
        assert counts[i].tolist() == expected
    assert counts.sum() > 0


def test_frames_are_orthonormal_and_symmetric():
    directions = frame_directions(3, 5, 10, 4)
    assert np.allclose(directions.T @ directions, np.eye(4))
    vertices = frame_vertices(np.ones(10), directions, 0.5)
    assert vertices.shape == (8, 10) and np.allclose(vertices.mean(axis=0), 1.0)
    assert np.allclose(np.linalg.norm(vertices - 1.0, axis=1), 0.5)


def test_the_same_numbers_for_any_batch_size_and_one_row_per_checkpoint():
    model, other = mlp((5, 16, 16, 3), seed=1), mlp((5, 16, 16, 3), seed=2)
    reference = local_complexity(model, POINTS, 0.5, seed=2, per_layer=True)
    for batch_size in (1, 4, 9):
        assert np.array_equal(
            local_complexity(model, POINTS, 0.5, seed=2, per_layer=True, batch_size=batch_size), reference
        )
    rows = local_complexity(model, POINTS, 0.5, seed=2, checkpoints=[model.state_dict(), other.state_dict()])
    assert rows.shape == (2, 9) and np.array_equal(rows[0], reference.sum(axis=1))
    assert np.array_equal(rows[1], local_complexity(other, POINTS, 0.5, seed=2))


def test_per_layer_table_names_the_layers():
    model = mlp((5, 8, 8, 2), seed=0)
    table = local_complexity(model, POINTS, 0.5, seed=0, per_layer=True, as_frame=True, split=np.arange(9) < 5)
    assert list(table.columns) == ["checkpoint", "checkpoint_label", "point", "split", "layer", "local_complexity"]
    assert table.layer.unique().tolist() == ["model[1] (ReLU)", "model[3] (ReLU)"] == cutting_layer_names(model, (5,))
    assert len(table) == 18 and table.checkpoint_label.unique().tolist() == ["model"]


def test_convolutions_and_max_pooling_count_channels_positions_and_windows():
    model = nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(12, 2)
    ).eval()
    images = torch.rand(4, 1, 4, 4)
    counts = local_complexity(model, images, radius=0.3, seed=0, per_layer=True)
    assert counts.shape == (4, 2)
    assert (counts[:, 0] <= 48).all() and (counts[:, 1] <= 12).all() and counts.sum() > 0
    assert local_complexity(model, images, radius=0.3, seed=0).shape == (4,)


def test_the_default_frame_has_25_directions_or_the_input_dimension():
    model = mlp((5, 8, 2), seed=0)
    assert np.array_equal(
        local_complexity(model, POINTS, 0.5, seed=1), local_complexity(model, POINTS, 0.5, n_directions=5, seed=1)
    )
    with pytest.raises(SplineCamError, match="n_directions=6 orthonormal directions do not fit in 5 input dimensions"):
        local_complexity(model, POINTS, 0.5, n_directions=6)
    with pytest.raises(SplineCamError, match="radius must be a positive number"):
        local_complexity(model, POINTS, -1.0)
