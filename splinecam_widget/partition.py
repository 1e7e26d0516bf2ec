"""Partition: the exact linear regions of a network on a slice, as plain arrays."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import shapely

from .errors import SplineCamError
from .frame import Frame
from .slice import Slice, as_float64_array


class Partition:
    """Every linear region of a network inside a slice's domain.

    Attributes
    ----------
    slice : Slice
        The plane and domain the partition was computed on.
    vertices : ndarray (N, 2) float64
        Polygon vertices in plane coordinates; region ``r`` owns
        ``vertices[offsets[r]:offsets[r+1]]``, counter-clockwise, not closed.
    local_vertices : ndarray (N, 2) float64
        The same vertices in the local coordinates of ``frame``, as the engine computed
        them: exact to float64 relative to the window, however deep the zoom and far
        the window from the plane's origin (``vertices`` are rounded to the precision
        of plane coordinates there).  Areas and centroids are computed from them.
    offsets : ndarray (R + 1,) int64
    areas : ndarray (R,) float64
    affine : ndarray (R, K, 3) float64 or None
        Output ``k`` on region ``r`` is ``affine[r,k,0]*u + affine[r,k,1]*v + affine[r,k,2]``.
        ``None`` for a partial partition (streamed while the engine still runs).
    frame : Frame
        The local coordinates the engine computed in, ``frame.to_local(uv)``: the window's
        centre and a power-of-two scale (see ``splinecam_widget/frame.py``).
    local_affine : ndarray (R, K, 3) float64 or None
        The same maps as functions of local coordinates.  They keep full precision however
        far the window lies from the plane's origin (``affine``'s offsets then cancel);
        :meth:`outputs_at` uses them.
    pattern_ids : ndarray (R,) uint64
        Hash of the region's activation pattern: equal patterns give equal ids,
        across recomputations, zooms and checkpoints of one architecture.
    edge_layer : ndarray (N,) int16
        The edge leaving vertex ``j`` (towards the next vertex of its polygon) was cut
        by activation layer ``edge_layer[j]``; -1 marks the domain boundary.
    boundary : ndarray (S, 2, 2) float64
        Decision-boundary segments (the argmax boundary for K >= 2 outputs, the
        level sets for one output).
    boundary_classes : ndarray (S, 2) int64
        The classes on either side of each segment (lower first); ``(0, 1)`` for a
        level set, meaning below / above the level.
    boundary_levels : ndarray (S,) int64
        Index into ``levels`` for one-output networks, -1 for argmax boundaries.
    boundary_regions : ndarray (S,) int64
        The region each segment lies in.
    levels : tuple of float
        The level values of a one-output network (empty for K >= 2).
    layer_names : list of str
        The activation layers, in order (indices used by ``edge_layer``).
    layer_region_counts : list of int
        Number of regions after each activation layer.
    """

    def __init__(
        self,
        *,
        slice: Slice,
        local_vertices,
        offsets,
        edge_layer,
        pattern_ids,
        frame=None,
        local_affine=None,
        boundary=None,
        boundary_classes=None,
        boundary_levels=None,
        boundary_regions=None,
        levels=(),
        layer_names=(),
        layer_region_counts=(),
        layer_records=(),
        network=None,
    ):
        self.slice = slice
        self.local_vertices = np.asarray(local_vertices, dtype=np.float64)
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.edge_layer = np.asarray(edge_layer, dtype=np.int16)
        self.pattern_ids = np.asarray(pattern_ids).view(np.uint64) if len(pattern_ids) else np.zeros(0, np.uint64)
        self.frame = Frame.identity() if frame is None else frame
        self.local_affine = None if local_affine is None else np.asarray(local_affine, dtype=np.float64)
        self.boundary = np.zeros((0, 2, 2)) if boundary is None else np.asarray(boundary, dtype=np.float64)
        self.boundary_classes = (
            np.zeros((0, 2), np.int64) if boundary_classes is None else np.asarray(boundary_classes, np.int64)
        )
        self.boundary_levels = (
            np.zeros(0, np.int64) if boundary_levels is None else np.asarray(boundary_levels, np.int64)
        )
        self.boundary_regions = (
            np.zeros(0, np.int64) if boundary_regions is None else np.asarray(boundary_regions, np.int64)
        )
        self.levels = tuple(float(x) for x in levels)
        self.layer_names = list(layer_names)
        self.layer_region_counts = list(layer_region_counts)
        self._layer_records = list(layer_records)
        self._network = network

    @cached_property
    def vertices(self) -> np.ndarray:
        """(N, 2) polygon vertices in plane coordinates (see the class docstring)."""
        return self.frame.to_plane(self.local_vertices)

    @cached_property
    def affine(self) -> np.ndarray | None:
        """(R, K, 3) output maps of plane coordinates (see the class docstring); None while partial."""
        return None if self.local_affine is None else self.frame.maps_to_plane(self.local_affine)

    @cached_property
    def areas(self) -> np.ndarray:
        """(R,) area of each region (computed on first use: a drag's partition may never need it)."""
        return self._shoelace()

    @property
    def n_regions(self) -> int:
        """Number of regions R."""
        return len(self.offsets) - 1

    @property
    def n_outputs(self) -> int:
        """Number of network outputs K (0 for a partial partition)."""
        return 0 if self.local_affine is None else self.local_affine.shape[1]

    @property
    def is_partial(self) -> bool:
        """True for the geometry streamed after an intermediate layer (no outputs yet)."""
        return self.local_affine is None

    @property
    def counts(self) -> np.ndarray:
        """(R,) number of vertices of each region."""
        return np.diff(self.offsets)

    def _region_of_vertex(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_regions), self.counts)

    def _next_vertex(self) -> np.ndarray:
        index = np.arange(len(self.local_vertices)) + 1
        last = self.offsets[1:] - 1
        index[last] = self.offsets[:-1]
        return index

    def _local_edges(self):
        """Local vertices relative to their region's first vertex, the next vertex's index, and the edge cross terms.

        Working relative to a vertex keeps tiny regions accurate.
        """
        vertices = self.local_vertices
        local = vertices - np.repeat(vertices[self.offsets[:-1]], self.counts, axis=0)
        following = self._next_vertex()
        cross = local[:, 0] * local[following, 1] - local[following, 0] * local[:, 1]
        return local, following, cross

    def _shoelace(self) -> np.ndarray:
        if self.n_regions == 0:
            return np.zeros(0)
        return 0.5 * self.frame.scale**2 * np.add.reduceat(self._local_edges()[2], self.offsets[:-1])

    @cached_property
    def centroids(self) -> np.ndarray:
        """(R, 2) area centroids of the regions."""
        local, following, cross = self._local_edges()
        moments = np.add.reduceat((local + local[following]) * cross[:, None], self.offsets[:-1])
        local_areas = 0.5 * np.add.reduceat(cross, self.offsets[:-1])
        return self.frame.to_plane(self.local_vertices[self.offsets[:-1]] + moments / (6.0 * local_areas[:, None]))

    def outputs_at(self, uv, regions=None) -> np.ndarray:
        """Network outputs ``(M, K)`` at plane points, from each region's affine map.

        ``regions`` gives the region of each point (default: :meth:`region_at`).
        """
        self._require_outputs()
        uv = plane_points(uv)
        if regions is None:
            regions = self.region_at(uv)
        else:
            regions = self.region_indices(regions, "regions")
            if regions.shape != (len(uv),):
                raise SplineCamError(f"regions must give one region per point ({len(uv)}), got shape {regions.shape}")
        if np.any(regions < 0):
            raise SplineCamError("some points lie outside the domain")
        maps = self.local_affine[regions]
        local = self.frame.to_local(uv)
        return maps[..., 0] * local[:, :1] + maps[..., 1] * local[:, 1:] + maps[..., 2]

    @cached_property
    def predicted_class(self) -> np.ndarray:
        """(R,) class (argmax output, or 1 where the single output is above ``levels[0]``) at each centroid."""
        out = self.outputs_at(self.centroids, np.arange(self.n_regions))
        if out.shape[1] == 1:
            return (out[:, 0] > (self.levels[0] if self.levels else 0.0)).astype(np.int64)
        return out.argmax(axis=1)

    @cached_property
    def class_cells(self):
        """The regions holding the decision boundary cut into one convex piece per class.

        A :class:`~splinecam_widget.engine.class_cells.ClassCells`; painting the cells
        makes a class picture exact.
        """
        from .engine.class_cells import class_cells

        self._require_outputs()
        return class_cells(self)

    def region_at(self, uv) -> np.ndarray:
        """Region index of each plane point ``(M, 2)``; -1 outside the domain.

        A point on an edge shared by several regions gets the lowest index.
        """
        points = shapely.points(plane_points(uv))
        point_index, region_index = self._tree.query(points, predicate="intersects")
        result = np.full(len(points), -1, dtype=np.int64)
        order = np.lexsort((-region_index, point_index))  # last write per point wins: the lowest region
        result[point_index[order]] = region_index[order]
        return result

    @cached_property
    def _tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.to_shapely())

    def to_shapely(self) -> np.ndarray:
        """(R,) array of shapely Polygons."""
        return shapely_polygons(self.vertices, self.offsets)

    def polygon(self, region: int) -> np.ndarray:
        """(n, 2) vertices of one region (``0 <= region < n_regions``)."""
        (region,) = self.region_indices([region], "region")
        return self.vertices[self.offsets[region] : self.offsets[region + 1]]

    def region_indices(self, regions, name: str) -> np.ndarray:
        """``regions`` as an int64 array of valid region indices, or a :class:`SplineCamError` naming ``name``."""
        index = np.asarray(regions)
        if index.dtype == bool or not (np.issubdtype(index.dtype, np.integer) or index.size == 0):
            raise SplineCamError(f"{name} must be region indices (integers), got {regions!r}")
        index = index.astype(np.int64).reshape(-1)
        bad = (index < 0) | (index >= self.n_regions)
        if bad.any():
            raise SplineCamError(
                f"{name} must be in 0..{self.n_regions - 1} (this partition has {self.n_regions} regions), "
                f"got {int(index[bad][0])}"
            )
        return index

    def activation_pattern(self, layer: int) -> np.ndarray:
        """(R, D_layer) uint8: which linear piece each unit of a cutting layer is on, per region.

        For ReLU-like layers 0 means inactive (below the breakpoint) and 1 active; for
        max-pooling and maxout layers, the winning member of each window.
        """
        if not 0 <= layer < len(self._layer_records):
            raise SplineCamError(f"layer must be in 0..{len(self._layer_records) - 1}, got {layer}")
        index = np.arange(self.n_regions)
        for record in self._layer_records[:layer:-1]:
            index = record.parent.cpu().numpy()[index]
        return self._layer_records[layer].pattern.cpu().numpy()[index]

    def input_slope(self, region: int) -> np.ndarray:
        """(K, *input_shape) gradient of each output with respect to the full input on ``region``."""
        self._require_outputs()
        (region,) = self.region_indices([region], "region")
        return self._network.input_jacobian(self.slice.to_input(self.centroids[region : region + 1])[0])

    def to_npz(self, path) -> None:
        """Write the partition's arrays to a compressed ``.npz`` file.

        See :func:`~splinecam_widget.export.partition_to_npz`.
        """
        from .export import partition_to_npz

        partition_to_npz(self, path)

    def to_geojson(self, include_boundary: bool = True) -> dict:
        """The regions (and boundary) as a GeoJSON FeatureCollection dict.

        See :func:`~splinecam_widget.export.partition_to_geojson`.
        """
        from .export import partition_to_geojson

        return partition_to_geojson(self, include_boundary)

    def to_bokeh(self, **options):
        """The regions, boundary and anchors as a bokeh figure.

        See :func:`~splinecam_widget.export.partition_to_bokeh`.
        """
        from .export import partition_to_bokeh

        return partition_to_bokeh(self, **options)

    def stats(self):
        """Statistics of the partition: a :class:`~splinecam_widget.stats.PartitionStats` table."""
        from .stats import partition_stats

        return partition_stats(self)

    def sample_boundary(self, n: int, seed=None, where: str = "all"):
        """``n`` points exactly on the decision boundary, uniform by length.

        ``where`` is ``"all"``, ``"inside"`` or ``"outside"`` the anchors' triangle.
        Returns a :class:`~splinecam_widget.sampling.BoundarySamples` (input-space points,
        slice coordinates and the two classes at each point).
        """
        from .sampling import sample_boundary

        self._require_outputs()
        return sample_boundary(self, n, seed, where)

    def _require_outputs(self) -> None:
        if self.local_affine is None:
            raise SplineCamError("this is a partial partition (streamed mid-computation): it has no outputs yet")

    def __repr__(self) -> str:
        kind = "partial " if self.is_partial else ""
        counts = f"{self.n_regions:,} regions, {self.n_outputs} outputs, {len(self.boundary):,} boundary segments"
        return f"<{kind}Partition: {counts}>"


def shapely_polygons(vertices: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """(R,) shapely Polygons of flat polygons: region ``r`` is ``vertices[offsets[r]:offsets[r + 1]]``."""
    n = len(offsets) - 1
    closing = np.insert(vertices, offsets[1:], vertices[offsets[:-1]], axis=0)
    ring_offsets = offsets + np.arange(n + 1)
    return shapely.from_ragged_array(shapely.GeometryType.POLYGON, closing, (ring_offsets, np.arange(n + 1)))


def plane_points(uv) -> np.ndarray:
    """Plane points as a float64 ``(M, 2)`` array (one point may be given as ``(2,)``), or a clear error."""
    points = as_float64_array(uv, "uv")
    if points.shape == (2,):
        points = points[None]
    if points.ndim != 2 or points.shape[1] != 2:
        raise SplineCamError(f"uv must be plane points of shape (M, 2), got shape {points.shape}")
    return points
