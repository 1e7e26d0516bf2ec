"""Tidy tables of per-point measures (pandas), and writing them as CSV or Parquet.

One row per checkpoint and point (and layer, for per-layer measures): the shape that
``groupby``, seaborn, bokeh and spreadsheets take as is.  pandas is imported here only.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import SplineCamError
from ..files import atomic_path

TABLE_FORMATS = (".csv", ".parquet")


def split_names(split, n_points: int) -> np.ndarray:
    """One split name per point: booleans become ``"train"`` (True) and ``"test"`` (False)."""
    values = np.asarray(split)
    if values.shape != (n_points,):
        raise SplineCamError(f"split must hold one value per point, shape ({n_points},), got {values.shape}")
    if values.dtype == bool:
        return np.where(values, "train", "test").astype(object)
    if values.dtype.kind in "US":
        return values.astype(str).astype(object)
    if values.dtype == object and all(isinstance(v, str) for v in values):
        return values
    raise SplineCamError(
        f"split must hold booleans (True: train, False: test) or names (strings), got dtype {values.dtype}"
    )


def point_labels(labels, n_points: int) -> np.ndarray:
    """One label per point, as given (numbers or strings)."""
    values = np.asarray(labels.detach().cpu().numpy() if hasattr(labels, "detach") else labels)
    if values.shape != (n_points,):
        raise SplineCamError(f"labels must hold one value per point, shape ({n_points},), got {values.shape}")
    return values


def measure_table(values, measure: str, *, checkpoint_labels, labels=None, split=None, layers=None):
    """A tidy :class:`pandas.DataFrame` of a measure per checkpoint and point.

    Parameters
    ----------
    values : ndarray (C, M) or (C, M, L)
        The measure per checkpoint, point (and layer).
    measure : str
        Name of the measure's column (``"local_density"``, ``"local_complexity"``).
    checkpoint_labels : sequence of str
        One per checkpoint.
    labels, split : array-like (M,), optional
        Added as the ``label`` and ``split`` columns (``split``: booleans, True for
        ``"train"``, or names).
    layers : sequence of str, optional
        Names of the L layers, for values with a last axis of layers.

    Returns
    -------
    pandas.DataFrame
        Columns ``checkpoint`` (index), ``checkpoint_label``, ``point`` (index into the
        points), then ``split``, ``label``, ``layer`` when given, then the measure.
    """
    import pandas as pd

    values = np.asarray(values)
    n_checkpoints, n_points = values.shape[:2]
    if len(checkpoint_labels) != n_checkpoints:
        raise SplineCamError(f"{len(checkpoint_labels)} checkpoint labels for {n_checkpoints} checkpoints")
    n_layers = 1
    if layers is not None:
        n_layers = len(layers)
        if values.shape[2:] != (n_layers,):
            raise SplineCamError(f"values of shape {values.shape} do not have one column per layer ({n_layers})")
    elif values.ndim != 2:
        raise SplineCamError(f"values must have shape (checkpoints, points), got {values.shape}")
    checkpoint = np.repeat(np.arange(n_checkpoints), n_points * n_layers)
    point = np.tile(np.repeat(np.arange(n_points), n_layers), n_checkpoints)
    columns = {
        "checkpoint": checkpoint,
        "checkpoint_label": np.asarray([str(label) for label in checkpoint_labels], dtype=object)[checkpoint],
        "point": point,
    }
    if split is not None:
        columns["split"] = split_names(split, n_points)[point]
    if labels is not None:
        columns["label"] = point_labels(labels, n_points)[point]
    if layers is not None:
        columns["layer"] = np.tile(np.asarray([str(name) for name in layers], dtype=object), n_checkpoints * n_points)
    columns[measure] = values.reshape(-1)
    return pd.DataFrame(columns)


def check_table_path(path) -> str:
    """The suffix of a table file (``.csv`` or ``.parquet``), after checking it."""
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix not in TABLE_FORMATS:
        raise SplineCamError(f"{os.fspath(path)!r}: a table is written as {' or '.join(TABLE_FORMATS)}")
    return suffix


def write_table(table, path) -> None:
    """Write ``table`` as CSV or Parquet, by the suffix of ``path`` (Parquet needs pyarrow), atomically."""
    if check_table_path(path) == ".csv":
        with atomic_path(path) as temporary:
            table.to_csv(temporary, index=False)
        return
    try:
        import pyarrow  # noqa: F401 - pandas' Parquet engine
    except ImportError:
        raise SplineCamError(
            f"{os.fspath(path)!r}: writing Parquet needs pyarrow (pip install pyarrow); or write a .csv"
        ) from None
    with atomic_path(path) as temporary:
        table.to_parquet(temporary, index=False)
