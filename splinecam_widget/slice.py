"""Slice: a 2D plane through the input space, and the convex domain drawn on it.

A point ``(u, v)`` of the plane is the input ``origin + u * basis[:, 0] + v * basis[:, 1]``
(reshaped to the model's input shape).  The basis is orthonormal, so distances
and areas in plane coordinates are distances and areas in input space.
"""

from __future__ import annotations

import numpy as np
import torch

from .errors import SplineCamError
from .numbers import is_real

DOMAIN_KINDS = ("square", "triangle")


def as_float64_array(value, name: str) -> np.ndarray:
    """Copy a tensor or array-like into a new float64 numpy array, rejecting complex values and NaN/inf."""
    if isinstance(value, torch.Tensor):
        if value.is_complex():
            raise SplineCamError(f"{name} must be real numbers, got a complex tensor ({value.dtype})")
        if value.device.type == "meta":
            raise SplineCamError(f"{name} is on the meta device: it holds no values")
        array = value.detach().to("cpu", torch.float64).numpy().copy()
    else:
        try:
            raw = np.asarray(value)
            if np.iscomplexobj(raw):
                raise SplineCamError(f"{name} must be real numbers, got complex values ({raw.dtype})")
            array = np.array(raw, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, SplineCamError):
                raise
            raise SplineCamError(f"{name} must be numeric (a tensor or array), got {type(value).__name__}") from exc
    if not np.all(np.isfinite(array)):
        raise SplineCamError(f"{name} contains NaN or infinite values")
    return array


def square_domain(half_width: float, center=(0.0, 0.0)) -> np.ndarray:
    """Return the CCW square ``center ± half_width`` as a (4, 2) polygon.

    Parameters
    ----------
    half_width : float
        Half the side of the square: a positive finite number.
    center : array-like, shape (2,)
        The square's centre ``(u, v)`` in plane coordinates.

    Returns
    -------
    numpy.ndarray, shape (4, 2)

    Raises
    ------
    SplineCamError
        If ``half_width`` is not a positive finite number or ``center`` not two finite numbers.
    """
    if not (is_real(half_width) and np.isfinite(half_width) and half_width > 0):
        raise SplineCamError(f"half_width must be a positive finite number, got {half_width!r}")
    try:
        centre = as_float64_array(center, "center")
    except SplineCamError:
        centre = None
    if centre is None or centre.shape != (2,):
        raise SplineCamError(f"center must be two finite numbers (u, v), got {center!r}")
    cu, cv = (float(c) for c in centre)
    h = float(half_width)
    return np.array([[cu - h, cv - h], [cu + h, cv - h], [cu + h, cv + h], [cu - h, cv + h]])


def named_domain(anchors_2d, kind: str, margin: float) -> np.ndarray:
    """The ``"square"`` or ``"triangle"`` domain around three plane points.

    ``"square"``: centred on the points' centroid, half-width ``(1 + margin)`` times the
    largest coordinate offset from it.  ``"triangle"``: the points' triangle scaled by
    ``1 + margin`` about its centroid.  Used by :meth:`Slice.from_anchors`, and by the
    widget when an anchor is dragged within a fixed plane frame.
    """
    points = np.asarray(anchors_2d, dtype=np.float64)
    centre = points.mean(axis=0)
    if kind == "square":
        return square_domain((1.0 + margin) * np.abs(points - centre).max(), centre)
    if kind == "triangle":
        return centre + (points - centre) * (1.0 + margin)
    raise SplineCamError(f"domain must be one of {DOMAIN_KINDS} or an (n, 2) convex polygon, got {kind!r}")


MAX_COORDINATE = 1e150
"""Largest plane coordinate: squares of larger ones (areas, the engine's products) overflow float64."""


def _following(a: np.ndarray) -> np.ndarray:
    """``a`` shifted so that row ``i`` holds row ``i + 1`` (cyclically): ``np.roll(a, -1, axis=0)``, cheaper."""
    return np.concatenate([a[1:], a[:1]])


def convex_polygon(points, name: str = "domain") -> np.ndarray:
    """Validate a simple convex polygon and return it as a CCW (n, 2) float64 array.

    A repeated closing vertex and vertices lying on a straight edge are dropped.

    Raises
    ------
    SplineCamError
        If the polygon has the wrong shape, coordinates too large for float64 arithmetic,
        a repeated vertex, no area, a reflex corner, a spike, or winds around more than
        once (a shape traced twice, a star).
    """
    poly = as_float64_array(points, name)
    if poly.ndim != 2 or poly.shape[1] != 2 or poly.shape[0] < 3:
        raise SplineCamError(f"{name} must be an (n, 2) array of n >= 3 polygon vertices, got shape {poly.shape}")
    largest = float(np.abs(poly).max())
    if largest > MAX_COORDINATE:
        raise SplineCamError(
            f"{name} has coordinates up to {largest:.3g}: beyond {MAX_COORDINATE:.0e} their squares overflow "
            "float64 (areas, the engine's products); use a smaller domain or margin"
        )
    scale = np.ptp(poly, axis=0).max()
    if np.abs(poly[0] - poly[-1]).max() <= 1e-12 * scale:  # a repeated closing vertex (relative to the size)
        poly = poly[:-1]
    # Consecutive vertices only (linear in n): a repeat of a vertex further away makes a reflex
    # corner or a second winding, both refused below.
    gaps = np.abs(_following(poly) - poly).max(axis=1)
    twins = np.flatnonzero(gaps <= 1e-12 * scale)
    if len(twins) and scale > 0:
        i, j = sorted((int(twins[0]), (int(twins[0]) + 1) % len(poly)))
        raise SplineCamError(f"{name} is not a simple polygon: vertex {j} repeats vertex {i}")
    local = poly - poly[0]
    ahead_of = _following(local)
    area2 = np.sum(local[:, 0] * ahead_of[:, 1] - ahead_of[:, 0] * local[:, 1])
    if not abs(area2) > 1e-12 * scale * scale:
        raise SplineCamError(f"{name} is degenerate: its vertices enclose no area")
    if area2 < 0:
        poly = poly[::-1].copy()
    edges = _following(poly) - poly
    following = _following(edges)
    turn = edges[:, 0] * following[:, 1] - edges[:, 1] * following[:, 0]
    ahead = (edges * following).sum(axis=1)
    tol = 1e-12 * scale * scale
    if np.any(turn < -tol):
        raise SplineCamError(f"{name} is not a convex polygon: give its vertices in order around a convex shape")
    if np.any((np.abs(turn) <= tol) & (ahead < 0)):
        raise SplineCamError(f"{name} is not a simple polygon: it folds back on itself along an edge")
    windings = np.arctan2(turn, ahead).sum() / (2 * np.pi)  # exterior angles of a simple convex polygon sum to 2 pi
    if windings > 1.5:
        raise SplineCamError(
            f"{name} is not a simple convex polygon: it winds around {round(windings)} times (a shape traced "
            "twice, or a star); give each vertex once, in order around a convex shape"
        )
    corner = np.abs(turn) > tol
    keep = np.concatenate([corner[-1:], corner[:-1]])  # vertex i is a real corner when the turn into it is non-zero
    poly = poly[keep]
    if len(poly) < 3:
        raise SplineCamError(f"{name} is degenerate: its vertices enclose no area")
    return np.ascontiguousarray(poly)


ANCHOR_ROUNDING = 8
"""Anchors are identical or collinear when they are within this many units of rounding of it.

A unit of rounding is the machine epsilon of the anchors' own dtype (float32 tensors:
``2**-23``; integers and Python floats: float64's) times the largest anchor's norm: storing
the anchors moves each of them by up to half of one unit, and three exactly collinear
points rounded to float32 lie up to about one unit off their line.
"""

MIN_EXTENT = 1e-150
"""Smallest distance of the farthest anchor from the anchors' centroid: squares of smaller plane
coordinates (areas, the engine's products) underflow float64."""


def _rounding(anchors) -> tuple[float, str]:
    """The machine epsilon of the anchors' own dtype and the dtype's name (float64 for non-floats)."""
    if isinstance(anchors, torch.Tensor):
        if anchors.dtype.is_floating_point:
            return float(torch.finfo(anchors.dtype).eps), str(anchors.dtype).removeprefix("torch.")
    else:
        dtype = np.asarray(anchors).dtype
        if np.issubdtype(dtype, np.floating):
            return float(np.finfo(dtype).eps), dtype.name
    return float(np.finfo(np.float64).eps), "float64"


def _plane_through(flat: np.ndarray, eps: float, dtype: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Origin, orthonormal basis and plane coordinates of three finite float64 points ``flat`` (3, D).

    The points are scaled by a power of two (exactly) to a largest value in [0.5, 1), so
    the tests and the basis are the same at any scale, without overflow or underflow.
    Two points are identical, or the three collinear, when they are within
    ``ANCHOR_ROUNDING * eps`` of it relative to the largest point's norm.
    """
    largest = float(np.abs(flat).max())
    if largest == 0.0:
        raise SplineCamError("anchors 0 and 1 are identical (all anchors are zero); three distinct points are needed")
    exponent = int(np.frexp(largest)[1])
    unit = np.ldexp(flat, -exponent)
    size = float(np.linalg.norm(unit, axis=1).max())
    noise = ANCHOR_ROUNDING * eps * size
    sides = {(i, j): float(np.linalg.norm(unit[i] - unit[j])) for i, j in ((0, 1), (0, 2), (1, 2))}
    for (i, j), length in sides.items():
        if length <= noise:
            exact = (
                "" if length == 0.0 else f" up to {dtype} rounding (they differ by {length / size:.2g} of their norm)"
            )
            raise SplineCamError(f"anchors {i} and {j} are identical{exact}; three distinct points are needed")
    d1, d2 = unit[1] - unit[0], unit[2] - unit[0]
    e1 = d1 / sides[0, 1]
    w = d2 - (d2 @ e1) * e1
    w -= (w @ e1) * e1  # Gram-Schmidt twice: w stays perpendicular to e1 however small it is
    height = sides[0, 1] * float(np.linalg.norm(w)) / max(sides.values())  # third point to the longest side
    if height <= noise:
        off = (
            "" if height == 0.0 else f" up to {dtype} rounding (one is {height / size:.2g} of their norm off the line)"
        )
        raise SplineCamError(f"anchors are collinear{off}: they lie on one line and do not span a plane")
    basis = np.stack([e1, w / np.linalg.norm(w)], axis=1)
    centre = unit.mean(axis=0)
    with np.errstate(over="ignore", under="ignore"):  # out-of-range coordinates are refused just below
        origin = np.ldexp(centre, exponent)
        anchors_2d = np.ldexp((unit - centre) @ basis, exponent)
    extent = float(np.abs(anchors_2d).max())
    if extent > MAX_COORDINATE:
        raise SplineCamError(
            f"anchors are too far apart: they lie up to {extent:.3g} from their centroid, beyond "
            f"{MAX_COORDINATE:.0e}, where squares of plane coordinates overflow float64; scale them down"
        )
    if extent < MIN_EXTENT:
        raise SplineCamError(
            f"anchors are too close together: they lie within {extent:.3g} of their centroid, below "
            f"{MIN_EXTENT:.0e}, where squares of plane coordinates underflow float64; scale them up"
        )
    return origin, basis, anchors_2d


def _ends_with_size(shape: tuple[int, ...], size: int) -> bool:
    """True when some trailing axes of ``shape`` hold exactly ``size`` values (the rest count the items)."""
    held = 1
    for n in reversed(shape):
        held *= n
        if held == size:
            return True
        if held > size or held == 0:
            return False
    return False


class Slice:
    """A 2D plane in input space with a convex domain on it.

    Parameters
    ----------
    origin : array-like or torch.Tensor
        A point of the plane, shaped like one model input (or flat, ``(D,)``).
    basis : array-like or torch.Tensor, shape (D, 2)
        Orthonormal columns spanning the plane.
    domain : array-like, shape (n, 2)
        Convex polygon in plane coordinates; the partition is computed inside it.
    input_shape : tuple of int, optional
        Shape of one model input; defaults to ``origin``'s shape.
    anchors_2d : array-like, shape (3, 2), optional
        Plane coordinates of the data points the plane was built from.

    Examples
    --------
    >>> s = Slice.from_anchors(torch.randn(3, 784))
    >>> x = s.to_input(np.zeros((1, 2)))   # the anchors' centroid, shape (1, 784)
    """

    def __init__(self, origin, basis, domain, input_shape=None, anchors_2d=None):
        origin = as_float64_array(origin, "origin")
        self.input_shape = tuple(int(n) for n in (input_shape if input_shape is not None else origin.shape))
        self.dim = int(np.prod(self.input_shape)) if self.input_shape else 1
        if origin.size != self.dim:
            raise SplineCamError(f"origin has {origin.size} values but input_shape {self.input_shape} needs {self.dim}")
        if self.dim < 2:
            raise SplineCamError("the input space must have at least 2 dimensions to hold a plane")
        basis = as_float64_array(basis, "basis")
        if basis.shape != (self.dim, 2):
            raise SplineCamError(f"basis must have shape (D, 2) = ({self.dim}, 2), got {basis.shape}")
        gram = basis.T @ basis  # the identity, to np.allclose's tolerances (spelled out: it is called per drag)
        if not (abs(gram[0, 1]) <= 1e-8 and abs(gram[1, 0]) <= 1e-8 and abs(gram.diagonal() - 1).max() <= 1e-8 + 1e-5):
            raise SplineCamError("basis columns must be orthonormal (unit length and perpendicular)")
        self.origin = origin.reshape(-1)
        self.basis = basis
        if isinstance(domain, str):
            raise SplineCamError(
                f"domain={domain!r} needs anchors; use Slice.from_anchors, or pass an (n, 2) convex polygon"
            )
        self.domain = convex_polygon(domain)
        self.anchors_2d = None if anchors_2d is None else as_float64_array(anchors_2d, "anchors_2d").reshape(3, 2)

    @classmethod
    def from_anchors(cls, anchors, domain="square", margin: float = 0.25) -> Slice:
        """Build the plane through three inputs.

        Parameters
        ----------
        anchors : array-like or torch.Tensor, shape (3, *input_shape)
            Three distinct, non-collinear model inputs.
        domain : {"square", "triangle"} or array-like (n, 2)
            A named domain around the anchors (see :func:`named_domain`), or any convex
            polygon in plane coordinates.
        margin : float
            Relative margin around the anchors for the named domains: a non-negative
            finite number (0.25 widens them by a quarter).

        Returns
        -------
        Slice
            Origin at the anchors' centroid, basis from Gram-Schmidt on
            ``(x1 - x0, x2 - x0)``, ``anchors_2d`` holding the anchors' coordinates.

        Raises
        ------
        SplineCamError
            If the anchors are not finite, two of them are identical or all three
            collinear (up to the rounding of their own dtype, relative to their size: see
            :data:`ANCHOR_ROUNDING`), or their plane coordinates are out of float64's
            range (see :data:`MIN_EXTENT` and :data:`MAX_COORDINATE`).
        """
        points = as_float64_array(anchors, "anchors")
        if points.ndim < 2 or points.shape[0] != 3:
            raise SplineCamError(
                f"anchors must have shape (3, *input_shape): three model inputs, got shape {points.shape}"
            )
        if not (is_real(margin) and np.isfinite(margin) and margin >= 0):
            raise SplineCamError(f"margin must be a non-negative finite number such as 0.25, got {margin!r}")
        flat = points.reshape(3, -1)
        if flat.shape[1] < 2:
            raise SplineCamError("anchors must live in an input space of at least 2 dimensions")
        origin, basis, anchors_2d = _plane_through(flat, *_rounding(anchors))
        polygon = named_domain(anchors_2d, domain, margin) if isinstance(domain, str) else domain
        return cls(origin, basis, polygon, input_shape=points.shape[1:], anchors_2d=anchors_2d)

    def with_domain(self, domain) -> Slice:
        """Return the same plane with another convex domain (e.g. the visible viewport)."""
        return Slice(self.origin, self.basis, domain, input_shape=self.input_shape, anchors_2d=self.anchors_2d)

    @property
    def domain_area(self) -> float:
        """Area of the domain polygon."""
        local = self.domain - self.domain[0]  # shoelace about a vertex: exact at any zoom
        u, v = local[:, 0], local[:, 1]
        return 0.5 * float(np.sum(u * np.roll(v, -1) - np.roll(u, -1) * v))

    def to_input(self, uv):
        """Map plane points (M, 2) to model inputs (M, *input_shape).

        Parameters
        ----------
        uv : array-like or torch.Tensor, shape (M, 2) or (2,)
            Points ``(u, v)`` of the plane; one point may be given as ``(2,)``, and
            any leading axes (a grid ``(H, W, 2)``) are flattened into M.

        Returns
        -------
        numpy.ndarray or torch.Tensor, shape (M, *input_shape)
            A float64 torch tensor for tensor input, a numpy array otherwise.

        Raises
        ------
        SplineCamError
            If ``uv`` is not numeric and finite, or its last axis does not hold 2 coordinates.
        """
        as_tensor = isinstance(uv, torch.Tensor)
        points = as_float64_array(uv, "uv")
        if points.ndim == 0 or points.shape[-1] != 2:
            raise SplineCamError(
                f"uv must be plane points of shape (M, 2), or (2,) for one point, got shape {points.shape}"
            )
        x = (self.origin + points.reshape(-1, 2) @ self.basis.T).reshape(-1, *self.input_shape)
        return torch.from_numpy(x) if as_tensor else x

    def to_plane(self, x):
        """Project model inputs orthogonally onto the plane.

        Parameters
        ----------
        x : array-like or torch.Tensor, shape (M, *input_shape) or (M, D)
            Model inputs, whole or flattened to ``D = prod(input_shape)`` values; one
            input may be given without the M axis.

        Returns
        -------
        numpy.ndarray or torch.Tensor, shape (M, 2)
            A float64 torch tensor for tensor input, a numpy array otherwise.

        Raises
        ------
        SplineCamError
            If ``x`` is not numeric and finite, or its trailing axes do not hold one input
            of D values.
        """
        as_tensor = isinstance(x, torch.Tensor)
        points = as_float64_array(x, "x")
        if not _ends_with_size(points.shape, self.dim):
            whole = "" if len(self.input_shape) == 1 else f"(M, {', '.join(map(str, self.input_shape))}) or flattened "
            raise SplineCamError(
                f"x must be model inputs of shape {whole}(M, {self.dim}), or one input without the M axis, "
                f"got shape {points.shape}: its trailing axes do not hold {self.dim} values"
            )
        uv = (points.reshape(-1, self.dim) - self.origin) @ self.basis
        return torch.from_numpy(uv) if as_tensor else uv

    def __repr__(self) -> str:
        corners, area = len(self.domain), self.domain_area
        return f"Slice(input_shape={self.input_shape}, domain with {corners} vertices, area {area:.4g})"
