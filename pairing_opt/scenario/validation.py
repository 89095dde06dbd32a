"""Checking a scenario's settings against the spec, with messages a user can act on.

Shared by the file loader (which locates keys by YAML line) and `Scenario.from_frames`
(which locates them by argument), so both report the same problems the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

from pydantic import ValidationError

from ..errors import InputError, Problem
from .spec import (
    NAMED_OBJECTIVES,
    ColumnObjective,
    Objective,
    OrderedObjective,
    ScenarioSpec,
    WeightedObjective,
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


# Errors that only say a value is not of one form of a key that takes several (a number or
# a mapping, 'full' or a mapping): a sibling error on the form the user meant says more.
_FORM_MISMATCH = frozenset(
    {
        "literal_error",
        "dict_type",
        "model_type",
        "model_attributes_type",
        "string_type",
        "float_type",
        "float_parsing",
        "int_type",
        "int_parsing",
        "list_type",
    }
)
_TYPE_TAGS = ("str", "float", "int", "bool", "dict", "list")
# A check across keys raised by the spec's model validators names its key first.
_KEY_FIRST = re.compile(r"^([a-z_]+(?:\.[a-z_0-9]+)*) ")


def _key_path(loc: tuple[Any, ...], kind: str = "") -> Path_:
    """The path of keys a user wrote, without pydantic's names for the forms of a key that
    takes several (Shortfall, constrained-float, dict[str,...], literal['full']). An
    unknown or missing key is the user's own word, whatever it looks like ('n[ame')."""
    if kind in ("extra_forbidden", "missing") and loc:
        return (*_key_path(loc[:-1]), loc[-1])
    return tuple(
        p
        for p in loc
        if isinstance(p, int)
        or not (
            str(p)[:1].isupper()
            or str(p).startswith(("literal[", "function-", "constrained-"))
            or "[" in str(p)
            or str(p) in _TYPE_TAGS
        )
    )


def _one_per_key(errors: list[Any]) -> list[Any]:
    """One error per key the user wrote: of a key that takes several forms, the error of
    the form it was written in (a negative price, not 'should be a valid dictionary'), or
    when none says more, the forms joined in one message."""
    paths = [_key_path(err["loc"], err["type"]) for err in errors]
    kept: list[Any] = []
    for i, err in enumerate(errors):
        if err["type"] in _FORM_MISMATCH and any(
            j != i
            and errors[j]["type"] not in _FORM_MISMATCH
            and paths[j][: len(paths[i])] == paths[i]
            and paths[j] != ()
            for j in range(len(errors))
        ):
            continue  # a sibling on another form of the same key says what is wrong
        kept.append(dict(err, loc=paths[i]))
    merged: list[Any] = []
    for err in kept:
        twin = next(
            (
                m
                for m in merged
                if m["loc"] == err["loc"]
                and m["type"] in _FORM_MISMATCH
                and err["type"] in _FORM_MISMATCH
            ),
            None,
        )
        if twin is None:
            merged.append(err)
        else:
            other = _plain(str(err["msg"])).removeprefix("Input should be ")
            twin["msg"] = f"{_plain(str(twin['msg']))} or {other}"
    return merged


_MODEL_FORMS = {"Shortfall": "a mapping {shortfall_penalty: P}", "Range": "{min: .., max: ..}"}


def _plain(message: str) -> str:
    """pydantic's wording for a nested model, in the scenario's terms."""
    return re.sub(
        r"a valid dictionary or instance of (\w+)",
        lambda m: _MODEL_FORMS.get(m.group(1), "a mapping"),
        message,
    )


def spec_problems(exc: ValidationError, locate: Locate) -> list[Problem]:
    """Each pydantic error as a located problem with a fix, the objective's many alternatives
    reported once, and a key that takes several forms reported once."""
    problems: list[Problem] = []
    objective_done = False
    errors = list(exc.errors())
    for err in _one_per_key(errors):
        loc = err["loc"]
        kind = err["type"]
        if loc[:1] == ("objective",):
            if objective_done:
                continue
            objective_done = True
            problems.append(_objective_problem(errors, locate))
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
            message = _plain(str(err["msg"]).removeprefix("Value error, ").rstrip("."))
            key = _KEY_FIRST.match(message) if not loc else None
            if key and key.group(1).split(".")[0] in ScenarioSpec.model_fields:
                # a check across keys: at its first key
                loc = tuple(int(p) if p.isdigit() else p for p in key.group(1).split("."))
            problems.append(
                Problem(
                    locate(loc),
                    f"{message}{given(err, ', given')}.",
                    "correct this value (see docs/scenario-format.md).",
                )
            )
    return problems


def _objective_problem(errors: list[Any], locate: Locate) -> Problem:
    """One problem for a bad objective. pydantic tries each form (a name, a column, a
    weighted sum, an order) and reports all of them; the useful one is the form the value
    was written in: our own checks' messages first, then errors inside a sum or an order."""
    mine = [e for e in errors if e["loc"][:1] == ("objective",)]
    composite = [
        e
        for e in mine
        if any("WeightedObjective" in str(x) or "OrderedObjective" in str(x) for x in e["loc"])
        and e["type"] not in ("missing", "extra_forbidden")
    ]
    chosen = next((e for e in mine if e["type"] == "value_error"), None)
    if chosen is None:
        # A bare word is a name that is not one: the list of names says more than a form.
        named = [e for e in mine if e["type"] == "literal_error" and isinstance(e["input"], str)]
        chosen = named[0] if named else composite[0] if composite else mine[0]
    names = ", ".join(NAMED_OBJECTIVES)
    message = _plain(str(chosen["msg"]).removeprefix("Value error, "))
    if chosen in composite or chosen["type"] == "value_error":
        return Problem(
            locate(("objective",)),
            f"not a valid objective: {message}{given(chosen, ', given')}.",
            "see docs/scenario-format.md for the terms and the forms an objective takes.",
        )
    return Problem(
        locate(("objective",)),
        f"not a valid objective{given(chosen)} ({chosen['msg']}).",
        f"use one of {names}, or {{minimize: COLUMN}} / {{maximize: COLUMN}} (also written "
        "minimize:COLUMN) with a pair-table column, a weighted sum {TERM: WEIGHT, ...} or "
        "an order [TERM, ...].",
    )


def parse_objective(text: object, where: str = "objective (argument)") -> Objective:
    """An objective written as text: a named one, 'minimize:COLUMN' / 'maximize:COLUMN'
    (a pair-table column), a weighted sum 'a=1,b=50' or an order 'a,b,c': the short forms
    that a command line or a sweep key can carry; or as the scenario file writes it (a
    mapping or a list)."""
    if isinstance(text, ColumnObjective | WeightedObjective | OrderedObjective):
        return text
    if isinstance(text, str) and text in NAMED_OBJECTIVES:
        return cast(Objective, text)
    try:
        form = column_objective_text(text)
    except ValueError as exc:  # a term named twice in 'a=1,b=2,a=3'
        fix = "name each term once."
        raise InputError([Problem(where, f"not a valid objective '{text}': {exc}.", fix)]) from exc
    if isinstance(form, dict):
        kind: type[ColumnObjective | WeightedObjective | OrderedObjective] = (
            WeightedObjective
            if "terms" in form
            else OrderedObjective
            if "order" in form
            else ColumnObjective
        )
        try:
            return kind.model_validate(form)
        except ValidationError as exc:
            detail = "; ".join(
                _plain(str(e["msg"]).removeprefix("Value error, ")) for e in exc.errors()
            )
            fix = "see docs/scenario-format.md for the terms and their forms."
            raise InputError(
                [Problem(where, f"not a valid objective '{text}': {detail}.", fix)]
            ) from exc
    raise InputError(
        [
            Problem(
                where,
                f"unknown objective '{text}'.",
                f"use one of: {' | '.join(NAMED_OBJECTIVES)} | minimize:COLUMN | "
                "maximize:COLUMN (a pair-table column) | a weighted sum TERM=W,TERM=W | "
                "an order TERM,TERM.",
            )
        ]
    )
