"""Checking a scenario's settings against the spec, with messages a user can act on.

Shared by the file loader (which locates keys by YAML line) and `Scenario.from_frames`
(which locates them by argument), so both report the same problems the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from pydantic import ValidationError

from ..errors import InputError, Problem
from .spec import (
    NAMED_OBJECTIVES,
    ColumnObjective,
    Objective,
    ScenarioSpec,
    column_objective_text,
)

Path_ = tuple[str | int, ...]
Locate = Callable[[Path_], str]


def validate_spec(data: Any, locate: Locate) -> ScenarioSpec:
    """The settings as a ScenarioSpec, or InputError listing every problem found."""
    try:
        return ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        raise InputError(spec_problems(exc, locate)) from exc


def model_fields(path: Path_) -> list[str]:
    """Valid keys at a path in the spec, for 'unknown key' messages."""
    model: Any = ScenarioSpec
    for part in path:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        model = next(
            (
                a
                for a in getattr(annotation, "__args__", (annotation,))
                if hasattr(a, "model_fields")
            ),
            annotation,
        )
    return list(getattr(model, "model_fields", {}))


def given(err: Any, lead: str = "") -> str:
    """The value the user wrote, quoted for the message (scalars only, cut to 60 characters):
    a message must say what was wrong, not only what is allowed."""
    value = err.get("input")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    text = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "...'"
    return f"{lead} {text}"


def spec_problems(exc: ValidationError, locate: Locate) -> list[Problem]:
    """Each pydantic error as a located problem with a fix, the objective's many alternatives
    reported once."""
    problems: list[Problem] = []
    objective_done = False
    for err in exc.errors():
        loc = tuple(
            p
            for p in err["loc"]
            if isinstance(p, int)
            or (
                not str(p)[:1].isupper() and not str(p).startswith(("literal[", "int", "function-"))
            )
        )
        kind = err["type"]
        if loc[:1] == ("objective",):
            if objective_done:
                continue
            objective_done = True
            names = ", ".join(NAMED_OBJECTIVES)
            problems.append(
                Problem(
                    locate(("objective",)),
                    f"not a valid objective{given(err)} ({err['msg']}).",
                    f"use one of {names}, or {{minimize: COLUMN}} / "
                    "{maximize: COLUMN} (also written minimize:COLUMN) with a pair-table column.",
                )
            )
            continue
        if kind == "extra_forbidden":
            valid = ", ".join(model_fields(loc[:-1]))
            problems.append(
                Problem(
                    locate(loc), f"unknown key '{loc[-1]}'.", f"remove it or use one of: {valid}."
                )
            )
        elif kind == "missing":
            problems.append(
                Problem(
                    locate(loc[:-1]),
                    f"required key '{loc[-1]}' is missing.",
                    "add it (see docs/scenario-format.md).",
                )
            )
        else:
            message = str(err["msg"]).removeprefix("Value error, ").rstrip(".")
            problems.append(
                Problem(
                    locate(loc),
                    f"{message}{given(err, ', given')}.",
                    "correct this value (see docs/scenario-format.md).",
                )
            )
    return problems


def parse_objective(text: str, where: str = "objective (argument)") -> Objective:
    """An objective written as text: a named one, or 'minimize:COLUMN' / 'maximize:COLUMN'
    (a pair-table column), the short form that a command line or a sweep key can carry."""
    if text in NAMED_OBJECTIVES:
        return cast(Objective, text)
    mapping = column_objective_text(text)
    if isinstance(mapping, dict):
        return ColumnObjective.model_validate(mapping)
    raise InputError(
        [
            Problem(
                where,
                f"unknown objective '{text}'.",
                f"use one of: {' | '.join(NAMED_OBJECTIVES)} | minimize:COLUMN | "
                "maximize:COLUMN (a pair-table column).",
            )
        ]
    )
