"""Partition statistics: how finely a network cuts a slice, and where the data points sit."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass
class PartitionStats:
    """Statistics of one partition (see :func:`partition_stats` for the definitions).

    ``as_dict()`` gives a flat dict (one row of a table); printing gives a readable table.
    """

    n_regions: int
    regions_per_unit_area: float
    area_mean: float
    area_median: float
    area_quantiles: dict
    vertices_mean: float
    vertices_max: int
    eccentricity_mean: float
    eccentricity_median: float
    regions_created_per_layer: list
    edge_length: float
    boundary_length: float
    anchor_edge_distance: list
    anchor_boundary_distance: list

    def as_dict(self) -> dict:
        """A flat dict: lists and quantiles become one key per item."""
        flat = {}
        for key, value in asdict(self).items():
            if isinstance(value, dict):
                flat.update({f"area_q{int(round(q * 100)):02d}": v for q, v in value.items()})
            elif isinstance(value, list):
                flat.update({f"{key}_{i}": v for i, v in enumerate(value)})
            else:
                flat[key] = value
        return flat

    def __str__(self) -> str:
        rows = [
            (key, f"{value:.6g}" if isinstance(value, float) else str(value)) for key, value in self.as_dict().items()
        ]
        width = max(len(key) for key, _ in rows)
        return "\n".join(f"{key:<{width}}  {value}" for key, value in rows)


def segment_distances(points: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Distance from each point ``(M, 2)`` to the nearest segment ``(S, 2)`` -> ``(M,)`` (inf if none)."""
    if len(starts) == 0:
        return np.full(len(points), np.inf)
    direction = ends - starts
    length2 = np.maximum((direction**2).sum(axis=1), 1e-300)
    offset = points[:, None, :] - starts[None]
    t = np.clip((offset * direction[None]).sum(axis=2) / length2, 0.0, 1.0)
    nearest = starts[None] + t[..., None] * direction[None]
    return np.sqrt(((points[:, None, :] - nearest) ** 2).sum(axis=2)).min(axis=1)


def eccentricities(partition) -> np.ndarray:
    """``(R,)`` eccentricity of each region's inertia ellipse: ``sqrt(1 - l_min / l_max)``.

    ``l_min <= l_max`` are the eigenvalues of the region's area covariance matrix (the
    second moments of the polygon about its centroid).  0 for regions as round as a
    square or a disc, approaching 1 for thin slivers.
    """
    local = partition.vertices - np.repeat(partition.centroids, partition.counts, axis=0)
    u, v = local[:, 0], local[:, 1]
    following = partition._next_vertex()
    un, vn = u[following], v[following]
    cross = u * vn - un * v
    starts = partition.offsets[:-1]
    # Polygon second moments about the centroid (standard shoelace formulas).
    uu = np.add.reduceat(cross * (u * u + u * un + un * un), starts) / 12
    vv = np.add.reduceat(cross * (v * v + v * vn + vn * vn), starts) / 12
    uv = np.add.reduceat(cross * (u * vn + 2 * u * v + 2 * un * vn + un * v), starts) / 24
    half_trace, det = (uu + vv) / 2, uu * vv - uv * uv
    spread = np.sqrt(np.maximum(half_trace**2 - det, 0.0))
    large, small = half_trace + spread, np.maximum(half_trace - spread, 0.0)
    return np.sqrt(np.clip(1.0 - small / np.maximum(large, 1e-300), 0.0, 1.0))


def partition_stats(partition) -> PartitionStats:
    """Compute :class:`PartitionStats`.

    Definitions: areas, vertex counts and eccentricities are per region (see
    :func:`eccentricities`); ``regions_created_per_layer[l]`` is how many regions
    cutting layer ``l`` added; ``edge_length`` is the total length of the edges
    between regions (each counted once, the domain's outline excluded);
    ``boundary_length`` the total length of the decision boundary (all levels for
    one-output networks); anchor distances are in plane units, to the nearest edge
    between regions and to the decision boundary (``inf`` when there is none).
    """
    areas = partition.areas
    start = partition.vertices
    end = start[partition._next_vertex()]
    inner = partition.edge_layer >= 0
    edge_lengths = np.linalg.norm(end - start, axis=1)
    segments = partition.boundary
    boundary_length = float(np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1).sum()) if len(segments) else 0.0
    counts = [1, *partition.layer_region_counts]
    anchors = partition.slice.anchors_2d if partition.slice.anchors_2d is not None else np.zeros((0, 2))
    eccentricity = eccentricities(partition)
    return PartitionStats(
        n_regions=partition.n_regions,
        regions_per_unit_area=partition.n_regions / partition.slice.domain_area,
        area_mean=float(areas.mean()),
        area_median=float(np.median(areas)),
        area_quantiles={q: float(np.quantile(areas, q)) for q in QUANTILES},
        vertices_mean=float(partition.counts.mean()),
        vertices_max=int(partition.counts.max()),
        eccentricity_mean=float(eccentricity.mean()),
        eccentricity_median=float(np.median(eccentricity)),
        regions_created_per_layer=[int(b - a) for a, b in zip(counts[:-1], counts[1:])],
        edge_length=float(edge_lengths[inner].sum() / 2),  # every inner edge belongs to two regions
        boundary_length=boundary_length,
        anchor_edge_distance=segment_distances(anchors, start[inner], end[inner]).tolist(),
        anchor_boundary_distance=segment_distances(anchors, segments[:, 0], segments[:, 1]).tolist(),
    )
