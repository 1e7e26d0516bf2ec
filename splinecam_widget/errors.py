"""Errors raised by splinecam-widget.

Every error the library raises on purpose derives from :class:`SplineCamError`
(itself a ``ValueError``), so callers can catch one class.  Messages name what
the caller passed, what was wrong with it, and what would be accepted.

It is also a ``traitlets.TraitError``: when a widget's validation refuses a value
(set from Python or sent by a front end), traitlets then rolls the trait back
instead of keeping the bad value.
"""

from traitlets import TraitError


class SplineCamError(ValueError, TraitError):
    """Base class of every error splinecam-widget raises on purpose."""


class UnsupportedModelError(SplineCamError):
    """The model contains a module or operation the exact engine cannot handle."""


class RegionBudgetExceeded(SplineCamError):
    """The partition would have more regions than ``max_regions``.

    The engine stops as soon as it knows the budget is exceeded, so the partition's true
    number of regions is never counted; ``n_regions`` is how many it had already found.

    Attributes
    ----------
    limit : int
        The budget that was exceeded.
    layer : int
        Index of the activation layer being processed when the budget ran out (0-based).
    n_regions : int
        A lower bound on the number of regions (of the slice that went over), more than ``limit``.
    """

    def __init__(self, limit: int, layer: int, n_regions: int):
        self.limit = limit
        self.layer = layer
        self.n_regions = n_regions
        super().__init__(
            f"the partition has more than max_regions={limit:,} regions: it had at least {n_regions:,} "
            f"when the engine stopped, at activation layer {layer} (0-based); shrink the domain (zoom in) "
            "or pass a larger max_regions"
        )

    def __reduce__(self):  # picklable with its attributes: errors travel back from Dask workers
        return type(self), (self.limit, self.layer, self.n_regions)


class FileWriteError(SplineCamError, OSError):
    """A file could not be written: the message names the file, why, and what would help.

    Also an ``OSError`` (with ``errno``, ``strerror`` and ``filename``, the path as the
    caller gave it), so code catching ``OSError`` still catches it.
    """

    def __init__(self, message: str, filename: str, errno: int | None = None, strerror: str | None = None):
        super().__init__(message)
        self.errno, self.strerror, self.filename = errno, strerror, filename

    def __str__(self) -> str:  # OSError's own would print "[Errno n] strerror: filename"
        return self.args[0]

    def __reduce__(self):
        return type(self), (self.args[0], self.filename, self.errno, self.strerror)


class VerificationError(SplineCamError):
    """``verify=True`` found a region whose affine map disagrees with the model."""
