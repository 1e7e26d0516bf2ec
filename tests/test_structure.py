"""The package's shape: no import cycles, no bokeh on import, one version, the public types exported."""

import ast
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import splinecam_widget

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "splinecam_widget"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """Modules of the package that ``path`` imports anywhere (inside functions too)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = (f"{base}.{node.module}" if node.module else base) if node.level else node.module
            for alias in node.names:  # `from .engine import compute` imports the module engine.compute
                child = f"{target}.{alias.name}"
                found.add(child if child in modules else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in modules and m != name}


def test_no_import_cycles_even_through_imports_inside_functions():
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: imports_of(path, set(files)) for name, path in files.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_importing_the_package_does_not_import_bokeh():
    code = "import sys, splinecam_widget; print('bokeh' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_importing_the_package_does_not_import_dask_or_pandas():
    code = "import sys, splinecam_widget; print(sorted({'dask', 'distributed', 'pandas'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_one_version_read_from_the_installed_metadata():
    assert splinecam_widget.__version__ == importlib.metadata.version("splinecam-widget")
    assert "version" not in json.loads((ROOT / "package.json").read_text()), "the version lives in pyproject.toml"


def test_public_functions_return_exported_types():
    for name in ("Partition", "PartitionStats", "BoundarySamples", "ClassCells", "LayerProgress", "Comparison"):
        assert name in splinecam_widget.__all__ and hasattr(splinecam_widget, name)
