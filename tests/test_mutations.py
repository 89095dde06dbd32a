"""Property test: mutated scenarios never crash pairopt.

hypothesis takes the shipped example scenario and breaks it at random: YAML keys removed,
renamed, retyped or given junk; CSV cells, columns and rows corrupted; files truncated or
filled with bytes. Whatever the mutation, pairopt answers with a documented exit code and
a message, never a traceback or an internal error. Mutations that are surely invalid
(the ones that do not merely change data) must give exit 2.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pairing_opt.cli import main

from .conftest import EXAMPLE

EXAMPLES = int(os.environ.get("PAIROPT_MUTATIONS", "150"))
CSV_FILES = ("donors.csv", "recipients.csv", "pairs.csv")


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = []
    if isinstance(data, dict):
        for key, value in data.items():
            out.append((*prefix, key))
            out += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out.append((*prefix, i))
            out += _paths(value, (*prefix, i))
    return out


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, Any]:
    kind = draw(
        st.sampled_from(
            [
                "yaml_delete",
                "yaml_junk",
                "yaml_rename",
                "csv_cell",
                "csv_drop_column",
                "csv_truncate",
                "file_bytes",
                "yaml_text",
            ]
        )
    )
    return kind, draw(st.randoms(use_true_random=False))


def _apply(folder: Path, kind: str, rnd: Any) -> bool:
    """Mutate the scenario in `folder`; True if the result is surely invalid."""
    path = folder / "scenario.yaml"
    data = yaml.safe_load(path.read_text())
    paths = _paths(data)
    if kind.startswith("yaml_") and kind != "yaml_text":
        target = rnd.choice(paths)
        parent = data
        for part in target[:-1]:
            parent = parent[part]
        last = target[-1]
        if kind == "yaml_delete":
            del parent[last]
            surely = False  # many keys are optional
        elif kind == "yaml_junk":
            parent[last] = rnd.choice(
                [None, True, -3, 1.5e300, "??", [1, 2], {"x": 1}, "", float("nan")]
            )
            surely = False
        else:  # rename a key: unknown keys are always an error
            if isinstance(parent, dict):
                parent[f"{last}_typo"] = parent.pop(last)
                surely = True
            else:
                surely = False
        path.write_text(yaml.safe_dump(data, allow_unicode=True))
        return surely
    if kind == "yaml_text":
        text = path.read_text()
        cut = rnd.randrange(len(text))
        path.write_text(
            text[:cut] + rnd.choice(["[", "{", ":", "\t", "- ", "'", "&a", "*b"]) + text[cut:]
        )
        return False
    table = folder / rnd.choice(CSV_FILES)
    lines = table.read_text(encoding="utf-8").splitlines()
    if kind == "csv_cell":
        row = rnd.randrange(1, len(lines))
        cells = lines[row].split(",")
        col = rnd.randrange(len(cells))
        cells[col] = rnd.choice(["", "abc", "-1", "nan", "inf", "1e999", "=SUM(A1)", "１０"])
        lines[row] = ",".join(cells)
        table.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return False
    if kind == "csv_drop_column":
        header = lines[0].split(",")
        col = rnd.randrange(len(header))
        table.write_text(
            "\n".join(
                ",".join(c for i, c in enumerate(line.split(",")) if i != col) for line in lines
            )
            + "\n"
        )
        return False
    if kind == "csv_truncate":
        raw = table.read_bytes()
        table.write_bytes(raw[: rnd.randrange(len(raw))])
        return False
    table.write_bytes(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 200))))
    return False


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mutation=mutations(), command=st.sampled_from(["solve", "check"]))
def test_mutated_scenarios_never_crash(
    tmp_path_factory: Any, mutation: tuple[str, Any], command: str
) -> None:
    folder = tmp_path_factory.mktemp("mutant") / "s"
    shutil.copytree(EXAMPLE.parent, folder)
    kind, rnd = mutation
    surely_invalid = _apply(folder, kind, rnd)
    result = CliRunner().invoke(main, [command, str(folder / "scenario.yaml")])
    assert "Traceback" not in result.stderr, result.stderr
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.stderr)
    if result.exit_code == 2:
        assert result.stderr.startswith("pairopt: ") and "Fix:" in result.stderr, result.stderr
    if surely_invalid:
        assert result.exit_code == 2, result.stderr
