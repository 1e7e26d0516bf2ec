"""numba's disk cache of the compiled kernels never stops them (``engine/compiled/jit.py``).

A cache folder nobody can write, garbage in a cache file and a full disk each used to
surface as a raw error of the first kernel call.  Each case runs in a fresh Python process
(a process compiles or loads each kernel once), on the package this session imports, and
compiles one small kernel unless it needs them all.  Where the case needs a read-only or a
full file system it mounts one in a private mount namespace (``unshare --mount``), which
disappears with the process.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import splinecam_widget

PACKAGE = Path(splinecam_widget.__file__).parent
WARNING = "KernelCacheWarning"

ONE_KERNEL = """
import numpy as np
from splinecam_widget.engine.compiled import geometry
assert geometry.crosses(np.array([1.0, -1.0]), 2)
assert not geometry.crosses(np.array([1.0, 0.0]), 2)
print("folder", geometry.crosses.stats.cache_path)
print("hits", sum(geometry.crosses.stats.cache_hits.values()))
"""

PARTITIONS = """
import warnings
import numpy as np
import torch
from splinecam_widget import Slice, partition, square_domain
from splinecam_widget.engine import backends

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1)).eval()
plane = Slice(np.zeros(2), np.eye(2), square_domain(2.0))
reference = partition(model, plane, backend="torch").n_regions
"""


def run(code: str, env: dict | None = None, mounts: str = "", cwd: Path = PACKAGE.parent):
    """Run ``code`` in a fresh Python, after the shell commands ``mounts`` in a private mount namespace.

    ``cwd`` comes first on the process's path: by default the folder of the package under test.
    """
    environ = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    for name, value in (env or {}).items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    command = [sys.executable, "-W", "always::RuntimeWarning", "-c", code]
    if mounts:
        command = [*NAMESPACE, "sh", "-ec", f'{mounts}\nexec "$@"', "sh", *command]
    return subprocess.run(command, env=environ, cwd=cwd, capture_output=True, text=True, timeout=300)


def succeeded(result) -> str:
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def value(stdout: str, name: str) -> str:
    return next(line.split(" ", 1)[1] for line in stdout.splitlines() if line.startswith(name + " "))


def _namespace() -> list[str] | None:
    """How to start a process in a mount namespace of its own where it may mount tmpfs, if any."""
    if shutil.which("unshare") is None:
        return None
    for command in (["unshare", "--mount"], ["unshare", "--map-root-user", "--mount"]):
        probe = subprocess.run([*command, "sh", "-c", "mount -t tmpfs -o size=16k tmpfs /mnt"], capture_output=True)
        if probe.returncode == 0:
            return command
    return None


NAMESPACE = _namespace()
needs_mounts = pytest.mark.skipif(NAMESPACE is None, reason="cannot mount in a private mount namespace here")


def package_copy(root: Path) -> Path:
    """A copy of the package under ``root`` (its importable parent), without any cache."""
    shutil.copytree(PACKAGE, root / "splinecam_widget", ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
    return root


@pytest.mark.parametrize("how", ["files in the way", "read-only file system"])
def test_kernels_compile_without_a_writable_cache_folder(tmp_path, how):
    # numba tries $NUMBA_CACHE_DIR, then __pycache__ beside the kernels, then the user's cache
    # folder, and gives up on caching (with an error, before) when it can write to none of them
    root = package_copy(tmp_path / "install")
    if how == "files in the way":  # root writes anywhere, but cannot make a folder inside a file
        blocker = tmp_path / "a_file"
        blocker.write_text("")
        (root / "splinecam_widget/engine/compiled/__pycache__").write_text("")
        env = {"NUMBA_CACHE_DIR": str(blocker / "numba"), "XDG_CACHE_HOME": str(blocker / "home")}
        mounts = ""
        places = [blocker / "numba", root / "splinecam_widget/engine/compiled/__pycache__", blocker / "home"]
    else:  # a read-only install and a read-only home, as in some containers
        if NAMESPACE is None:
            pytest.skip("cannot mount in a private mount namespace here")
        env = {"NUMBA_CACHE_DIR": None, "XDG_CACHE_HOME": str(root / "home")}
        mounts = f"mount --bind {root} {root}\nmount -o remount,bind,ro {root}"
        places = [root / "splinecam_widget/engine/compiled/__pycache__", root / "home"]
    result = run(ONE_KERNEL, {**env, "PYTHONPATH": str(root)}, mounts, cwd=tmp_path)
    stdout = succeeded(result)
    assert value(stdout, "folder") == "None"  # compiled, not cached
    assert result.stderr.count(WARNING) == 1  # one warning for all the kernels
    for place in places:
        assert str(place) in result.stderr
    assert "NUMBA_CACHE_DIR" in result.stderr
    assert not list(root.rglob("*.nb[ic]"))


def test_a_corrupt_cache_is_removed_and_rebuilt(tmp_path):
    cache = tmp_path / "cache"
    box = "np.array([[0.0, 0.0, 1.0, 1.0]])"  # centred on 0, half-widths 1: the line u = 0.5 enters it
    two_kernels = ONE_KERNEL + f"print('box', geometry.enters_box({box}, 0, 1.0, 0.0, -0.5))\n"
    env = {"NUMBA_CACHE_DIR": str(cache)}
    succeeded(run(two_kernels, env))
    folder = next(cache.iterdir())
    index = next(folder.glob("geometry.crosses-*.nbi"))
    data = next(folder.glob("geometry.enters_box-*.nbc"))
    index.write_bytes(b"\x80\x05garbage")  # UnpicklingError
    data.write_bytes(b"not a pickle at all")  # a sound index pointing at garbage
    foreign = {folder / "other.kernel-1.py311.nbi": b"not ours", cache / "elsewhere.nbc": b"not ours either"}
    for path, content in foreign.items():
        path.write_bytes(content)

    result = run(two_kernels, env)
    stdout = succeeded(result)
    assert value(stdout, "box") == "True"
    assert result.stderr.count(WARNING) == 1
    assert "removed" in result.stderr and str(folder) in result.stderr
    for path, content in foreign.items():  # only the kernels' own files are removed
        assert path.read_bytes() == content

    again = run(two_kernels, env)  # the rebuilt files load
    assert value(succeeded(again), "hits") == "1"
    assert WARNING not in again.stderr


def test_a_cache_file_that_cannot_be_removed_is_bypassed(tmp_path):
    cache = tmp_path / "cache"
    env = {"NUMBA_CACHE_DIR": str(cache)}
    succeeded(run(ONE_KERNEL, env))
    index = next(cache.glob("*/geometry.crosses-*.nbi"))
    index.unlink()
    (index / "inside").mkdir(parents=True)  # a folder where the index was: unreadable, and not a file to remove
    result = run(ONE_KERNEL, env)
    stdout = succeeded(result)
    assert value(stdout, "hits") == "0"
    assert result.stderr.count(WARNING) == 1
    assert "Delete that folder" in result.stderr and str(index.parent) in result.stderr
    assert (index / "inside").is_dir()


@needs_mounts
def test_a_full_disk_leaves_the_kernels_uncached_until_there_is_room(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    script = tmp_path / "one_kernel.py"
    script.write_text(ONE_KERNEL)
    python = f"{sys.executable} -W always::RuntimeWarning {script}"
    mounts = (
        f"mount -t tmpfs -o size=64k tmpfs {disk}\n"
        f"dd if=/dev/zero of={disk}/filler bs=4k 2>/dev/null || true\n"
        f"{python}\n"  # the disk is full
        f"echo leftovers $(find {disk} -type f ! -name filler)\n"
        f"rm {disk}/filler\n"
        f"{python}\n"  # compiles and caches
        f"{python}"  # loads
    )
    result = run("pass", {"NUMBA_CACHE_DIR": str(disk)}, mounts)
    stdout = succeeded(result)
    hits = [line.split()[1] for line in stdout.splitlines() if line.startswith("hits ")]
    assert hits == ["0", "0", "1"]  # a later process caches the kernel once there is room
    assert stdout.splitlines()[2] == "leftovers", stdout  # no half-written files
    assert result.stderr.count(WARNING) == 1
    assert "No space left on device" in result.stderr and str(disk) in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def unimportable_numba(tmp_path) -> Path:
    """A folder whose ``numba`` fails to import, as numba does beside a NumPy it does not support."""
    (tmp_path / "numba").mkdir()
    (tmp_path / "numba/__init__.py").write_text('raise ImportError("Numba needs NumPy 2.2 or less. Got NumPy 9.9.")\n')
    return tmp_path


def test_without_kernels_compiled_raises_how_to_recover_and_auto_runs_torch(unimportable_numba):
    code = (
        PARTITIONS
        + """
from splinecam_widget.errors import SplineCamError
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    counts = [partition(model, plane).n_regions for _ in range(3)]
    try:
        backends.warm_up()  # waits for the attempt
    except SplineCamError as exc:
        print("error", exc)
    counts += [partition(model, plane).n_regions for _ in range(2)]
print("same", counts == [reference] * 5)
print("warnings", len(caught))
print("warning", caught[0].message)
for attempt in range(2):
    try:
        partition(model, plane, backend="compiled")
    except SplineCamError as exc:
        print("error", exc)
"""
    )
    path = os.pathsep.join(filter(None, [str(unimportable_numba), os.environ.get("PYTHONPATH")]))
    stdout = succeeded(run(code, {"PYTHONPATH": path}))
    assert value(stdout, "same") == "True"  # auto runs torch
    assert value(stdout, "warnings") == "1"  # and says so once
    assert "pip install" in value(stdout, "warning") and "new Python process" in value(stdout, "warning")
    errors = [line for line in stdout.splitlines() if line.startswith("error ")]
    assert len(errors) == 3  # every wait or try of backend="compiled" says so
    for error in errors:
        assert "Numba needs NumPy" in error and "pip install" in error and "backend='torch'" in error


@pytest.mark.slow
def test_both_backends_get_past_a_corrupt_cache_and_the_next_process_loads_it(tmp_path):
    # every kernel's cache files, as this session's run left them, filled with garbage
    from splinecam_widget.engine.compiled import geometry

    root = package_copy(tmp_path / "install")
    folder = root / "splinecam_widget/engine/compiled/__pycache__"
    folder.mkdir()
    assert geometry.crosses.stats.cache_path, "this session's kernels are not cached on disk"
    for path in Path(geometry.crosses.stats.cache_path).glob("*.nb[ic]"):
        (folder / path.name).write_bytes(b"\x80\x05garbage")
    env = {"PYTHONPATH": str(root), "NUMBA_CACHE_DIR": None}
    code = (
        PARTITIONS
        + """
print("auto", partition(model, plane).n_regions == reference)  # torch, while the kernels compile
print("ready", backends.warm_up())
print("compiled", partition(model, plane, backend="compiled").n_regions == reference)
import sys
from numba.core.dispatcher import Dispatcher
modules = [m for name, m in list(sys.modules.items()) if name.startswith("splinecam_widget.engine.compiled.")]
kernels = {id(k): k for m in modules for k in vars(m).values() if isinstance(k, Dispatcher)}.values()
print("kernels", len(kernels))
print("misses", sum(sum(k.stats.cache_misses.values()) for k in kernels))
"""
    )
    first = run(code, env, cwd=tmp_path)
    stdout = succeeded(first)
    assert value(stdout, "auto") == value(stdout, "ready") == value(stdout, "compiled") == "True"
    assert first.stderr.count(WARNING) == 1 and "removed" in first.stderr
    assert int(value(stdout, "kernels")) > 10 and value(stdout, "misses") != "0"
    assert "unavailable" not in first.stderr
    second = run(code, env, cwd=tmp_path)
    stdout = succeeded(second)
    assert value(stdout, "ready") == value(stdout, "compiled") == "True"
    assert value(stdout, "misses") == "0"
    assert "Warning" not in second.stderr
