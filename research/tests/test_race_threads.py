"""Smoke test of research/race_threads.py: each setting solves to the same optimum and is
undone afterwards. It patches private names of pairing_opt.engine.strategy
(`_solve_whole_checked`, `_pair_set_lp`, `_alone_under_cap`) and engine.race's
CHECK_NICE; when one is renamed, this test fails."""

from __future__ import annotations

import pytest

from pairing_opt.engine import race, strategy
from research import race_threads


def test_settings_patch_and_restore() -> None:
    names = ("_solve_whole_checked", "_pair_set_lp", "_alone_under_cap")
    before = {n: getattr(strategy, n) for n in names}
    nice = race.CHECK_NICE
    for s in race_threads.SETTINGS:
        with race_threads.setting(s):
            assert (race.CHECK_NICE == 0) == (s == "checks not niced")
            changed = {n for n in names if getattr(strategy, n) is not before[n]}
            assert (
                changed
                == {
                    "own choice": set(),
                    "one thread each": {"_solve_whole_checked"},
                    "checks one thread": {"_pair_set_lp", "_alone_under_cap"},
                    "checks not niced": set(),
                }[s]
            )
        assert all(getattr(strategy, n) is before[n] for n in names)
        assert nice == race.CHECK_NICE
    with pytest.raises(ValueError, match="setting must be one of"), race_threads.setting("two"):
        pass


def test_every_setting_proves_the_same_optimum() -> None:
    rows = race_threads.run(["small-1"], repeat=1, time_limit=60.0)
    assert {r["setting"] for r in rows} == set(race_threads.SETTINGS)
    assert {r["status"] for r in rows} == {"optimal"}
    assert len({r["objective"] for r in rows}) == 1
    assert race_threads.summary(rows).startswith("1 cases proven in every run of every setting")


def test_cases_are_named_as_the_variants_benchmark_names_them(tmp_path) -> None:
    with pytest.raises(ValueError, match="random-S, small-S or fresh-S"):
        race_threads.scenario_path(tmp_path, "hubei-3")
