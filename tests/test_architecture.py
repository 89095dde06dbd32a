"""The one-way flow of imports that docs/architecture.md describes, enforced.

Each layer may import only from the layers before it (and itself):
errors <- scenario <- io <- checks <- engine <- report <- api <- sweeps <- cli. A module that
imports upward would make the pipeline circular and the layout a lie.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pairing_opt"
LAYERS = ("errors", "scenario", "io", "checks", "engine", "report", "api", "sweeps", "cli")
# Not layers: the package's front door and `python -m pairing_opt`.
ENTRY_POINTS = {"__init__", "__main__"}


def _layer(module: str) -> str:
    """'pairing_opt.engine.model' -> 'engine' ('' for names of the package itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every pairing_opt module this file imports, resolved to absolute names."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            targets = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            found += [(node.lineno, t) for t in targets]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
    return [(line, t) for line, t in found if t.startswith("pairing_opt.")]


MODULES = sorted(
    p for p in PACKAGE.rglob("*.py") if p.stem not in ENTRY_POINTS or p.parent != PACKAGE
)


def test_every_module_belongs_to_a_layer() -> None:
    stray = [str(p) for p in MODULES if _layer(_module_name(p)) not in LAYERS]
    assert not stray, f"modules outside the layers of docs/architecture.md: {stray}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_flow_one_way(path: Path) -> None:
    own = LAYERS.index(_layer(_module_name(path)))
    upward = [
        f"line {line}: {target}"
        for line, target in _imports(path)
        if _layer(target) in LAYERS and LAYERS.index(_layer(target)) > own
    ]
    assert not upward, f"{path.name} imports from a later layer: {upward}"


def test_package_init_files_only_describe() -> None:
    """Subpackage __init__ files hold a docstring only, so importing one stage does not
    drag in another."""
    for init in PACKAGE.glob("*/__init__.py"):
        body = ast.parse(init.read_text(encoding="utf-8")).body
        assert len(body) == 1 and isinstance(body[0], ast.Expr), init
