"""benchmarks/ measures pairopt through its public names only. Code that imports or patches
private names of pairing_opt (names starting with _) is research and lives in research/,
whose tests are outside the default suite: otherwise those privates silently become API."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(source: str) -> list[str]:
    """Where `source` imports a private name of pairing_opt, reads or sets one through a
    module it imported from pairing_opt, or names one to setattr/getattr/delattr."""
    tree = ast.parse(source)
    modules: set[str] = set()  # local names bound to pairing_opt modules or objects
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pairing_opt"):
            for alias in node.names:
                if _is_private(alias.name):
                    found.append(f"line {node.lineno}: imports {node.module}.{alias.name}")
                modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("pairing_opt"):
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in modules:
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("setattr", "getattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _is_private(node.args[1].value)
        ):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return sorted(set(found))


@pytest.mark.parametrize("path", sorted((ROOT / "benchmarks").glob("*.py")), ids=lambda p: p.name)
def test_benchmarks_use_public_names_only(path: Path) -> None:
    uses = private_uses(path.read_text(encoding="utf-8"))
    assert not uses, f"{path.name} reaches into pairopt's internals (move it to research/): {uses}"


def test_the_check_sees_private_uses() -> None:
    """The check itself: it finds each way research/search_variants.py reaches in."""
    source = """
from pairing_opt.engine import search as lns
from pairing_opt.engine.strategy import _Clock
import pairing_opt.engine.backends
setattr(lns, "_better", None)
step = lns._Pieces.step
pairing_opt.engine.backends._new_highs
obj._private_but_not_pairopt
"""
    uses = private_uses(source)
    assert len(uses) == 4, uses
    assert not private_uses("from pairing_opt.engine.search import improve\nimprove.__name__\n")
    assert private_uses((ROOT / "research" / "search_variants.py").read_text(encoding="utf-8"))
