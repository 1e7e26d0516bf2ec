"""Files users give us (models, checkpoints, arrays), loaded without running code from them; files we write.

A pickled file can name any Python function to call while it is read, so
``torch.load(..., weights_only=False)`` runs whatever a crafted file asks.  Here every
file is read with ``weights_only=True``: tensors, state dicts and containers, plus the
``torch.nn`` layer classes (and :class:`~splinecam_widget.PiecewiseLinear`) needed to
rebuild an honest ``torch.save(model)`` of standard layers.  Anything else is refused
with an error that names what the file asks for, unless the caller explicitly trusts the
file (``trust=True``; on the command line ``--trust-model-file``).  TorchScript files
hold code that torch runs while loading them, so they too need trust.  Arrays come from
``.npy`` files read with ``allow_pickle=False``.

Every file the library writes (pictures, pages, data, tables) goes through
:func:`atomic_path`: it is written beside its destination and renamed over it only once
complete, so a failed export never empties or truncates the user's file.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import pickle
import pickletools
import secrets
import shutil
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .errors import FileWriteError, SplineCamError
from .network.piecewise import PiecewiseLinear

TRUST_HINT = "if you trust this file, load it with trust=True (command line: --trust-model-file)"
TORCH_ARCHIVE = "a torch.save file"
SAVED = "a module, a state dict or tensors saved with torch.save"


@functools.cache
def safe_classes() -> tuple[type, ...]:
    """The classes a model file may name: torch.nn's layers and containers, and PiecewiseLinear."""
    layers = {c for c in vars(nn).values() if isinstance(c, type) and issubclass(c, nn.Module)}
    return (*sorted(layers, key=lambda c: c.__name__), PiecewiseLinear)


def _check_readable(path, what: str) -> Path:
    path = Path(os.fspath(path))
    if path.is_dir():
        raise SplineCamError(f"{what} {str(path)!r} is a folder: give a file")
    if not path.is_file():
        raise SplineCamError(f"{what} {str(path)!r}: no such file")
    if not os.access(path, os.R_OK):
        raise SplineCamError(f"{what} {str(path)!r}: no permission to read it")
    return path


def first_line(exc: BaseException, limit: int = 160) -> str:
    """``type: message`` of an exception, cut to its first line and ``limit`` characters (for one-line errors)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _unreadable(path: Path, what: str, expected: str) -> SplineCamError:
    """A file torch cannot read, in one line (torch's own text advises ``weights_only=False``: never repeated)."""
    kind = _archive_kind(path) or ("a damaged zip archive" if _starts_with(path, b"PK") else None)
    detail = "" if kind is None else " (damaged)" if kind == TORCH_ARCHIVE else f" ({kind})"
    return SplineCamError(f"{what} {str(path)!r}: not a file saved by torch.save{detail}; expected {expected}")


def _archive_kind(path: Path) -> str | None:
    """What a zip file is (a torch.save file, an .npz archive, another zip); None for a file that is no zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return None
    if any(name.endswith("data.pkl") for name in names):
        return TORCH_ARCHIVE
    if names and all(name.endswith(".npy") for name in names):
        return "an .npz archive of several arrays"
    return "a zip archive"


def _starts_with(path: Path, prefix: bytes) -> bool:
    with open(path, "rb") as f:
        return f.read(len(prefix)) == prefix


def is_torchscript(path) -> bool:
    """True for a TorchScript archive (a zip holding compiled code)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith("/constants.pkl") or "/code/" in name for name in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


LEGACY = "torch.save's legacy format (a pickle, not a zip archive)"
"""How messages name what torch.save wrote before torch 1.6 (and with ``_use_new_zipfile_serialization=False``)."""

LEGACY_PICKLES = 5
"""Pickles at the start of a legacy torch.save file: magic number, protocol, system info, the object, storage keys."""

_STRING_PUSHES = {"STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8"}
_PY2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}  # how protocol 2 spells them


def _legacy_globals(path: Path) -> list[tuple[str, int]]:
    """``(module.name, byte offset)`` of each global the pickles of a legacy torch.save file name, unread.

    The opcodes are only listed (:mod:`pickletools`), never run.  ``STACK_GLOBAL`` takes its
    names from the strings pushed or fetched from the memo just before it.
    """
    found = []
    with open(path, "rb") as f:
        for _ in range(LEGACY_PICKLES):
            memo: dict = {}
            recent: list = []  # the value each opcode pushed: a string, or None for anything else
            try:
                for op, arg, position in pickletools.genops(f):
                    pushed = None
                    if op.name == "GLOBAL":
                        module, _, name = arg.partition(" ")
                        found.append((f"{_PY2_MODULES.get(module, module)}.{name}", position))
                    elif op.name == "STACK_GLOBAL" and len(recent) >= 2 and None not in recent[-2:]:
                        found.append((f"{recent[-2]}.{recent[-1]}", position))
                    elif op.name in _STRING_PUSHES:
                        pushed = arg if isinstance(arg, str) else arg.decode("latin-1")
                    elif op.name in ("GET", "BINGET", "LONG_BINGET"):
                        pushed = memo.get(arg)
                    elif op.name in ("PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"):
                        memo[len(memo) if arg is None else arg] = recent[-1] if recent else None
                        continue  # stores the top of the stack, pushes nothing
                    recent.append(pushed)
            except (ValueError, EOFError, UnicodeDecodeError):  # the raw storage bytes after the pickles
                break
    return found


def _unsafe_globals(path: Path) -> tuple[list[str], str]:
    """The functions and classes outside the allowlist that ``path`` names, and where (for messages only).

    A zip archive is listed by torch; a file in the legacy format by :func:`_legacy_globals`.
    """
    allowed = {f"{c.__module__}.{c.__qualname__}" for c in safe_classes()}
    try:
        asked = torch.serialization.get_unsafe_globals_in_checkpoint(str(path))
        return [name for name in asked if name not in allowed], "it"
    except ValueError:  # not a zip archive: the legacy format, listed below
        pass
    except Exception:  # noqa: BLE001 - a damaged archive: nothing to name
        return [], "it"
    try:  # torch's own allowlist (tensors, storages, OrderedDict)
        allowed |= set(torch._weights_only_unpickler._get_allowed_globals())
    except AttributeError:
        pass
    try:
        found = [(name, at) for name, at in _legacy_globals(path) if name not in allowed]
    except OSError:
        found = []
    where = f"it is in {LEGACY}, and its pickle" + (f" (from byte {found[0][1]})" if found else "")
    return list(dict.fromkeys(name for name, _ in found)), where


def _refusal(path: Path, what: str, asked: list[str], where: str) -> SplineCamError:
    """The refusal of a file that names functions or classes outside the allowlist (``asked``, found ``where``)."""
    if asked:
        listed = ", ".join(asked[:4]) + (", ..." if len(asked) > 4 else "")
        verb = "is not a torch.nn layer" if len(asked) == 1 else "are not torch.nn layers"
        named = f"{where} asks to call or build {listed}, which {verb}"
    else:
        named = f"{where} names a function or class that is not a torch.nn layer"
    return SplineCamError(
        f"{what} {str(path)!r}: refused: {named}; reading it would run code the file chooses; {TRUST_HINT}"
    )


def _legacy_module(path: Path, what: str) -> SplineCamError:
    """The refusal of a whole module saved in the legacy format: it can only be read with trust."""
    return SplineCamError(
        f"{what} {str(path)!r}: refused: a whole module saved in {LEGACY} is read by unpickling its classes, "
        f"which may run code; {TRUST_HINT}; its state dict, or a module saved by torch 1.6 or newer, needs none"
    )


def load_torch_file(path, what: str = "file", trust: bool = False, expected: str = SAVED):
    """The object saved in ``path`` by ``torch.save``: a module, a state dict or tensors.

    Parameters
    ----------
    path : str or os.PathLike
    what : str
        How error messages name the file (``"--model"``, ``"checkpoint 3"``).
    trust : bool
        Read the file with ``weights_only=False`` (and TorchScript files with
        ``torch.jit.load``): only for files whose author you trust.
    expected : str
        What the file should hold, as the error for an unreadable file says it.

    Raises
    ------
    SplineCamError
        If the file is missing, unreadable, or would need trust that was not given.
    """
    path = _check_readable(path, what)
    if is_torchscript(path):
        if not trust:
            raise SplineCamError(
                f"{what} {str(path)!r}: refused: a TorchScript file holds code that torch runs while loading it; "
                f"{TRUST_HINT}, or save the model with torch.save(model, path)"
            )
        try:
            return torch.jit.load(str(path), map_location="cpu")
        except Exception as exc:  # noqa: BLE001 - torch.jit.load raises many kinds, with pages of text
            raise SplineCamError(f"{what} {str(path)!r}: not a readable TorchScript file ({first_line(exc)})") from None
    try:
        if trust:
            return torch.load(path, map_location="cpu", weights_only=False)
        with torch.serialization.safe_globals(list(safe_classes())):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if not trust:
            asked, where = _unsafe_globals(path)
            if asked or "GLOBAL" in str(exc):  # the file names a function or class outside the allowlist
                raise _refusal(path, what, asked, where) from None
            if "persistent_load" in str(exc) and not _starts_with(path, b"PK"):
                raise _legacy_module(path, what) from None  # a module, as the legacy format keeps it
        raise _unreadable(path, what, expected) from None
    except Exception:  # noqa: BLE001 - torch.load raises many kinds for a file it cannot read
        raise _unreadable(path, what, expected) from None


def load_model_file(path, what: str = "--model", trust: bool = False) -> nn.Module:
    """A module saved with ``torch.save(model, path)`` (or, trusted, a TorchScript file).

    TorchScript modules made of ``torch.nn`` layers are rebuilt as those layers.

    Raises
    ------
    SplineCamError
        As :func:`load_torch_file`, and when the file holds no module.
    """
    model = load_torch_file(path, what, trust, "a module saved with torch.save(model, path)")
    if isinstance(model, torch.jit.ScriptModule):
        from .network.unscript import unscript

        return unscript(model)
    if not isinstance(model, nn.Module):
        kind = "a state dict" if isinstance(model, Mapping) else f"a {type(model).__name__}"
        raise SplineCamError(
            f"{what} {str(path)!r} holds {kind}, not a module; save the module with torch.save(model, path)"
        )
    return model


def load_checkpoint_file(path, what: str, trust: bool = False):
    """A checkpoint from a file: a module, or a state dict (also inside ``{"state_dict": ...}``)."""
    item = load_torch_file(path, what, trust, "a module or a state dict saved with torch.save")
    if isinstance(item, Mapping) and "state_dict" in item and isinstance(item["state_dict"], Mapping):
        item = item["state_dict"]
    if isinstance(item, torch.jit.ScriptModule):
        from .network.unscript import unscript

        item = unscript(item)
    if not isinstance(item, (nn.Module, Mapping)):
        raise SplineCamError(f"{what} {str(path)!r} holds a {type(item).__name__}, not a module or a state dict")
    return item


def load_array(path, what: str = "file") -> np.ndarray:
    """An array from an ``.npy`` file, never unpickled.

    Parameters
    ----------
    path : str or os.PathLike
    what : str
        How error messages name the file (``"--anchors"``).

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    SplineCamError
        If the file is missing, is not an ``.npy`` file (an ``.npz`` archive, a
        ``torch.save`` file, other bytes), is damaged, or holds Python objects.
    """
    path = _check_readable(path, what)

    def refused(reason: str) -> SplineCamError:
        return SplineCamError(
            f"{what} {str(path)!r}: not an .npy array ({reason}); save one numeric array with np.save(path, array)"
        )

    if not _starts_with(path, np.lib.format.MAGIC_PREFIX):
        raise refused(_archive_kind(path) or "the file does not start as np.save writes")
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise refused("it holds Python objects, which are never unpickled") from None
        raise refused(f"damaged: {first_line(exc)}") from None
    except (OSError, EOFError) as exc:
        raise refused(f"damaged: {first_line(exc)}") from None


def file_path(path, what: str = "path") -> str:
    """``path`` (a str or os.PathLike, bytes decoded) as a str, or a SplineCamError naming what was passed."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise SplineCamError(f"{what} must be a file path (a str or pathlib.Path), got {type(path).__name__} {path!r}")
    return os.fsdecode(path)


@contextlib.contextmanager
def atomic_path(path) -> Iterator[Path]:
    """A temporary file beside ``path`` that replaces ``path`` only if the block succeeds.

    The caller writes the whole file to the yielded path; when the block ends without an
    exception it is renamed over ``path`` (one atomic step: same folder, same file
    system), and when it raises the temporary file is removed and ``path`` is untouched.
    The temporary name ends with ``path``'s suffix, for writers that choose their format
    by name.  A new file gets the usual permissions (the umask's), a replaced one keeps
    its own; a symbolic link stays a link and the file it points to is replaced.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.

    Yields
    ------
    Path
        Where to write it.

    Raises
    ------
    SplineCamError
        If ``path`` is not a path or is a folder.
    FileWriteError
        If the file cannot be written (no such folder, no permission, a full disk): a
        SplineCamError and an OSError whose message and ``filename`` name ``path``, not
        the temporary file.
    """
    path = file_path(path)
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise SplineCamError(f"{path!r} is a folder: give the path of a file to write, such as {str(target / 'out')!r}")
    while True:  # O_EXCL: never reuse a file someone else made; mode 0o666 lets the umask decide
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial{target.suffix}")
        try:
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
        except OSError as exc:  # no such folder, no permission: name the user's file, not ours
            raise write_error(exc, path, target.parent) from None
    try:
        yield temporary
        if target.exists():
            shutil.copymode(target, temporary)
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if _while_writing(exc, temporary, target):
            raise write_error(exc, path, target.parent) from None
        raise


def _while_writing(exc: BaseException, temporary: Path, target: Path) -> bool:
    """True for the system's OSError about the file being written, or about no file (a full disk)."""
    if not isinstance(exc, OSError) or isinstance(exc, SplineCamError) or exc.errno is None:
        return False  # errno None: a writer's own complaint (PIL's "cannot write mode ..."), passed on as it is
    name = None if exc.filename is None else os.fsdecode(exc.filename)
    return name in (None, os.fspath(temporary), os.fspath(target))  # not a file the writer happened to read


_WHY = {
    errno.ENOENT: ("the folder {folder!r} does not exist", "give a path in an existing folder"),
    errno.ENOTDIR: ("a part of the path {folder!r} is a file, not a folder", "give a path in an existing folder"),
    errno.EACCES: ("no permission to write in the folder {folder!r}", "choose a folder you can write to"),
    errno.EPERM: ("no permission to write in the folder {folder!r}", "choose a folder you can write to"),
    errno.EROFS: ("the folder {folder!r} is on a read-only file system", "choose a folder you can write to"),
    errno.ENOSPC: ("no space left on the device", "free some space or write elsewhere"),
    errno.EDQUOT: ("the disk quota is exceeded", "free some space or write elsewhere"),
    errno.ENAMETOOLONG: ("the file name is too long", "give a shorter name"),
}


def write_error(exc: OSError, path, folder) -> FileWriteError:
    """``exc``, an OSError met while writing ``path`` (in ``folder``), as one clear error naming ``path``."""
    path = os.fspath(path)
    why, advice = _WHY.get(exc.errno, (exc.strerror or first_line(exc), "check the path and try again"))
    return FileWriteError(
        f"cannot write {path!r}: {why.format(folder=os.fspath(folder))}; {advice}", path, exc.errno, exc.strerror
    )


def write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (:func:`atomic_path`); return the path."""
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)
    return Path(path)


def write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically as UTF-8 (:func:`atomic_path`); return the path."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return Path(path)
