"""The built-in demo: a small MLP trained in seconds on two moons, and its exact partition.

Run ``python -m splinecam_widget.demo`` to train it, partition the slice through three
training points, and print the region count and timings.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

from .engine.compute import LayerProgress, partition
from .slice import Slice


def two_moons(n_samples: int = 400, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: points ``(n, 2)`` float32 and labels ``(n,)`` in {0, 1}."""
    rng = np.random.default_rng(seed)
    half = n_samples // 2
    angle_top = rng.uniform(0, np.pi, n_samples - half)
    angle_bottom = rng.uniform(0, np.pi, half)
    top = np.stack([np.cos(angle_top), np.sin(angle_top)], axis=1)
    bottom = np.stack([1 - np.cos(angle_bottom), 0.5 - np.sin(angle_bottom)], axis=1)
    points = np.concatenate([top, bottom]) + rng.normal(scale=noise, size=(n_samples, 2))
    labels = np.concatenate([np.zeros(len(top), np.int64), np.ones(half, np.int64)])
    return points.astype(np.float32), labels


def two_moons_mlp(hidden=(32, 32), steps: int = 400, seed: int = 0) -> tuple[nn.Sequential, np.ndarray, np.ndarray]:
    """Train a ReLU MLP with one logit on two moons; returns the model in eval mode and its data."""
    torch.manual_seed(seed)
    points, labels = two_moons(seed=seed)
    widths = (2, *hidden)
    layers: list[nn.Module] = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(widths[-1], 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    x, y = torch.from_numpy(points), torch.from_numpy(labels).float()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(x)[:, 0], y)
        loss.backward()
        optimizer.step()
    return model.eval(), points, labels


def demo_anchors(points: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Three training points for the slice: two from one moon, one from the other."""
    first = np.flatnonzero(labels == 0)
    second = np.flatnonzero(labels == 1)
    return points[[first[0], first[1], second[0]]]


def main(argv=None) -> None:
    """``python -m splinecam_widget.demo``: train the demo and print its partition."""
    parser = argparse.ArgumentParser(description="Train a two-moons MLP and print its exact partition.")
    parser.add_argument("--hidden", type=int, nargs="+", default=[32, 32], help="hidden layer widths")
    parser.add_argument("--steps", type=int, default=400, help="training steps")
    parser.add_argument("--margin", type=float, default=1.0, help="domain margin around the anchors")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    model, points, labels = two_moons_mlp(tuple(args.hidden), args.steps)
    accuracy = ((model(torch.from_numpy(points))[:, 0] > 0).numpy() == labels).mean()
    print(
        f"trained MLP 2-{'-'.join(map(str, args.hidden))}-1 on two moons in "
        f"{time.perf_counter() - start:.2f} s (training accuracy {accuracy:.1%})"
    )

    plane = Slice.from_anchors(demo_anchors(points, labels), margin=args.margin)

    def report(event: LayerProgress) -> None:
        print(f"  layer {event.layer + 1}/{event.n_layers}: {event.n_regions} regions")

    start = time.perf_counter()
    result = partition(model, plane, progress=report)
    elapsed = time.perf_counter() - start
    print(
        f"{result.n_regions} linear regions, {len(result.boundary)} decision-boundary segments, "
        f"computed in {elapsed * 1000:.1f} ms"
    )
    start = time.perf_counter()
    partition(model, plane, verify=True)
    print(f"verified against the torch model at every region in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
