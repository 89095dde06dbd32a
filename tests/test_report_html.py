"""pairopt report: one self-contained HTML page, checked as markup (sections, the pairs,
escaping, no network, same bytes each run), by its exit codes, and as a person sees it in
headless Chromium (a screenshot with the map and tables drawn, the text in the DOM)."""

from __future__ import annotations

import builtins
import csv
import importlib.util
import io
import json
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result

from pairing_opt import api
from pairing_opt.cli import main
from pairing_opt.engine.backends import Status
from pairing_opt.errors import InputError

from . import SLOW
from .conftest import EXAMPLE, write_scenario

PAIRING = EXAMPLE.parent / "example_pairing.csv"  # breaks one rule (a forbidden pair)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
HEIGHT = 3000  # px of the screenshot: the summary, the map and the first tables


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def sections(page: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)"', page)


def table_pairs(page: str) -> set[tuple[str, str]]:
    """The (donor, recipient) of every row of the pairing table, unescaped."""
    import html

    rows = re.findall(r'<tr data-donor="([^"]*)" data-recipient="([^"]*)"', page)
    return {(html.unescape(d), html.unescape(r)) for d, r in rows}


def solved_pairs(scenario: Path) -> set[tuple[str, str]]:
    result = run("solve", scenario, "--format", "csv", "-q")
    assert result.exit_code == 0, result.stderr
    return {(r["donor"], r["recipient"]) for r in csv.DictReader(io.StringIO(result.stdout))}


@pytest.fixture(scope="module")
def optimum_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "optimum.html"
    result = run("report", EXAMPLE, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and f"wrote {out}" in result.stderr
    return out


@pytest.fixture(scope="module")
def evaluation_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "evaluation.html"
    result = run("report", EXAMPLE, PAIRING, "-o", out, "--no-map")  # one map is enough
    assert result.exit_code == 1, result.stderr  # the pairing breaks a rule, as evaluate says
    assert result.stdout == "" and "breaks 1 rule(s)" in result.stderr
    return out


# --------------------------------------------------------------------------- structure


def test_report_of_the_optimum_has_its_sections_and_pairs(optimum_page: Path) -> None:
    page = optimum_page.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert sections(page) == ["summary", "map", "pairing", "loads", "coverage", "metrics"]
    assert "optimal (proven by the solver)" in page and "bound 187938.5185" in page
    assert "Verified</dt><dd>yes" in page and "highs" in page
    assert table_pairs(page) == solved_pairs(EXAMPLE)
    assert "City 1 一市" in page and "Donor A 甲省" in page  # Chinese labels, as UTF-8
    for metric in ("utilisation_spread", "utilisation_gini", "split_recipients", "shortfall"):
        assert f"<td>{metric}</td>" in page


def test_report_of_a_pairing_compares_it_with_the_optimum(evaluation_page: Path) -> None:
    page = evaluation_page.read_text(encoding="utf-8")
    assert sections(page) == [
        "summary",
        "comparison",
        "map",
        "rules",
        "pairing",
        "loads",
        "coverage",
        "metrics",
    ]
    given = {(r["donor"], r["recipient"]) for r in csv.DictReader(PAIRING.open())}
    assert table_pairs(page) == given
    rules = page.split('<section id="rules">')[1].split("</section>")[0]
    assert "forbidden" in rules and "Donor B -&gt; City 2 is a forbidden pair." in rules
    comparison = page.split('<section id="comparison">')[1].split("</section>")[0]
    assert "187938.5185" in comparison and "ranks below the optimum" in comparison
    assert comparison.count("<tr class=changed>") == 5  # City 6 keeps its donor
    assert '<p class="verdict bad">' in page


def test_a_pairing_that_keeps_every_rule_exits_0(tmp_path: Path) -> None:
    best = tmp_path / "best.csv"
    assert run("solve", EXAMPLE, "--format", "csv", "-q", "-o", best).exit_code == 0
    result = run("report", EXAMPLE, best, "--no-map")  # stdout without -o
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>") and "satisfies every rule" in result.stdout
    assert "None: the pairing satisfies every rule." in result.stdout


def test_a_proof_within_a_gap_says_so_in_the_headline_and_summary() -> None:
    result = run("report", EXAMPLE, "--no-map", "--set", "solver.mip_gap=0.01")
    assert result.exit_code == 0, result.stderr
    assert "Optimal pairing within mip_gap 0.01, proven by the solver" in result.stdout
    assert "optimal within mip_gap 0.01 (proven by the solver)" in result.stdout


def test_same_inputs_give_the_same_bytes(optimum_page: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.html"
    assert run("report", EXAMPLE, "-o", again).exit_code == 0
    assert again.read_bytes() == optimum_page.read_bytes()
    page = again.read_text(encoding="utf-8")
    assert not re.search(r"\d+\.\d+ s\b|seconds|20\d\d-\d\d-\d\d", page)  # no times, dates


# --------------------------------------------------------------------------- safety


def test_ids_from_the_inputs_are_escaped(tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script>"
    attribute = '"><img src=x onerror=alert(2)>'
    donors = io.StringIO()
    csv.writer(donors, lineterminator="\n").writerows(
        [["id", "cap", "lat", "lon"], [hostile, 10, 30, 110], [attribute, 8, 31, 115]]
    )
    path = write_scenario(tmp_path / "s", donors=donors.getvalue(), name="</title><b>x</b>")
    pairing = tmp_path / "pairing.csv"
    pairing.write_text(
        f'donor,recipient\n{hostile},X\n"""><img src=x onerror=alert(2)>",Y\n{hostile},Z\n'
    )
    result = run("report", path, pairing, "--no-map")
    assert result.exit_code == 0, result.stderr
    page = result.stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;/title&gt;" in page
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<b>" not in page
    assert table_pairs(page) == {(hostile, "X"), (attribute, "Y"), (hostile, "Z")}


@pytest.mark.parametrize("which", ["optimum_page", "evaluation_page"])
def test_the_page_fetches_nothing(which: str, request: pytest.FixtureRequest) -> None:
    page = request.getfixturevalue(which).read_text(encoding="utf-8")
    if which == "optimum_page" and MATPLOTLIB:
        assert page.count("<svg") == 1 and "<!--" not in page  # the map inline, no comments
    assert not re.search(r"<(script|link|iframe|object|embed|img)\b", page, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?\s*(https?:|//)", page, re.I)
    targets = re.findall(r"\b(?:src|href|srcset|action|poster)\s*=\s*[\"']?([^\"' >]*)", page)
    assert targets and all(t.startswith("#") for t in targets), targets  # in-page links only
    addresses = set(re.findall(r"https?://[^\s\"'<>]*", page))
    assert addresses <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


# --------------------------------------------------------------------------- exit codes


def test_infeasible_scenario_exit_1_with_a_report_saying_why(
    tmp_path: Path, scenario_dir: Any
) -> None:
    out = tmp_path / "report.html"
    result = run("report", scenario_dir(rules={"max_distance_km": 10}), "-o", out)
    assert result.exit_code == 1 and "infeasible" in result.stderr and result.stdout == ""
    page = out.read_text(encoding="utf-8")
    assert sections(page) == ["summary"] and "Infeasible: no pairing" in page
    assert "recipient X" in page


def test_not_proven_exit_4(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = api.solve

    def stopped(*args: Any, **kwargs: Any) -> api.Result:
        found = real(*args, **kwargs)
        first = replace(found.solutions[0], status=Status.LIMIT_FEASIBLE)
        return replace(found, status="time_limit", solutions=(first,))

    monkeypatch.setattr(api, "solve", stopped)
    out = tmp_path / "report.html"
    result = run("report", EXAMPLE, "-o", out, "--no-map")
    assert result.exit_code == 4 and "NOT proven optimal" in result.stderr
    assert "NOT proven optimal" in out.read_text(encoding="utf-8")


def test_output_problems_exit_2_before_any_work(tmp_path: Path) -> None:
    clash = run("report", EXAMPLE, PAIRING, "-o", PAIRING)
    assert clash.exit_code == 2 and "is an input of this run" in clash.stderr
    pdf = run("report", EXAMPLE, "-o", tmp_path / "report.pdf")
    assert pdf.exit_code == 2 and "print it to PDF" in pdf.stderr
    assert list(tmp_path.iterdir()) == []


def test_without_matplotlib_the_report_says_the_map_is_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    result = run("report", EXAMPLE)
    assert result.exit_code == 0, result.stderr
    assert "warning: the map is left out" in result.stderr and "pairopt[plot]" in result.stderr
    page = result.stdout
    assert "<svg" not in page and "the map is left out" in page and table_pairs(page)


def test_api_report_html() -> None:
    scenario = api.load(EXAMPLE)
    made = api.report_html(scenario, PAIRING, draw_map=False)
    assert made.evaluation is not None and not made.evaluation.ok
    assert made.optimum.proven_optimal and made.html.startswith("<!DOCTYPE html>")
    with pytest.raises(InputError, match="names"):
        api.report_html(scenario, names="labels")


# --------------------------------------------------------------------------- in a browser


def chromium(page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium on the page, offline: no name resolves, so a page that needed the
    network would show it."""
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
        page.resolve().as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.slow  # starts a browser twice on a page with a large map
@pytest.mark.skipif(not SLOW, reason="set PAIROPT_SLOW=1 to run")
@pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does)",
)
@pytest.mark.skipif(not MATPLOTLIB, reason="the map needs matplotlib (pip install 'pairopt[plot]')")
def test_report_in_headless_chromium(optimum_page: Path, tmp_path: Path) -> None:
    from matplotlib.image import imread

    shot = tmp_path / "report.png"
    size = f"--window-size=1200,{HEIGHT}"
    done = chromium(optimum_page, tmp_path, f"--screenshot={shot}", size)
    assert shot.exists(), done.stderr[-2000:]
    pixels = np.asarray(imread(shot))[..., :3]
    assert pixels.shape[:2] == (HEIGHT, 1200)
    rgb = (pixels * 255).round().astype(int)
    # The map: the page's own colours are greys and one green bar at the top, so a large
    # area of coloured pixels further down is the map (whatever its style).
    colour = rgb.max(axis=2) - rgb.min(axis=2) > 60
    colour[:250] = False  # the header's verdict bar
    rows = np.flatnonzero(colour.sum(axis=1) > 3)
    assert colour.sum() > 3000 and rows.max() - rows.min() > 300, colour.sum()
    # The tables: header rows on the light grey of <th>, several of them below the map.
    header = (np.abs(rgb - np.array([242, 244, 247])).sum(axis=2) < 6).mean(axis=1) > 0.5
    starts = np.flatnonzero(np.diff(header.astype(int)) == 1)
    assert (starts > rows.max()).sum() >= 2, starts
    # Not blank where the title and summary are.
    assert pixels[:400].std() > 0.05

    dom = chromium(optimum_page, tmp_path, "--dump-dom").stdout
    assert "<svg" in dom and 'id="pairs"' in dom and 'id="loads"' in dom
    for text in ("Example (synthetic)", "Donor load", "Recipient coverage", "City 1 一市"):
        assert text in dom
    assert len(re.findall(r"<tr data-donor=", dom)) == len(json.loads(solve_json())["pairs"])


def solve_json() -> str:
    result = run("solve", EXAMPLE, "--format", "json", "-q")
    assert result.exit_code == 0, result.stderr
    return result.stdout
