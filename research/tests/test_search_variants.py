"""Smoke test of research/search_variants.py: every variant runs on one GAP instance and
pairopt's own search is put back afterwards. Needs ../shared/benchmarks/gap (skipped
without it). The harness patches private names of pairing_opt.engine; when one of them
is renamed, this test is the one that fails, and the research tool must follow."""

from __future__ import annotations

import pytest

from benchmarks import gap_data
from pairing_opt.engine import backends as solver
from pairing_opt.engine import search as lns
from pairing_opt.engine import strategy
from research import search_variants

GAP_FOLDER = gap_data.DEFAULT_FOLDER.resolve()


@pytest.fixture(scope="module")
def gap_folder() -> None:
    if not (GAP_FOLDER / "best_known.csv").exists():
        pytest.skip(f"GAP instances not present ({GAP_FOLDER}); a clone has no ../shared")


def _search_state() -> tuple[object, ...]:
    """Everything search_variants patches while a variant runs."""
    return (
        lns.SEED,
        lns.GAP_CUT_POOL,
        lns.PIECE_SECONDS,
        lns._core,
        lns._Pieces.step,
        lns._better,
        vars(strategy)["improve"],  # imported there from search
        strategy.SEARCH_AFTER,
        solver._new_highs,
        solver._run_interruptibly,
        strategy._solve_then_search,
    )


@pytest.mark.usefixtures("gap_folder")
@pytest.mark.parametrize("variant", search_variants.VARIANTS)
def test_search_variants_run_and_put_the_search_back(
    variant: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The research harness for the GAP search runs the variant and leaves pairopt's own
    search untouched afterwards (it patches it while it runs)."""
    before = _search_state()
    code = search_variants.main(
        [str(GAP_FOLDER), "--names", "d05100", "--variant", variant, "--time-limit", "1.5"]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert f"variant {variant}" in out
    assert "d05100:" in out
    assert "handover at" in out  # 1.5 s is too short for a proof: the search ran
    assert _search_state() == before
