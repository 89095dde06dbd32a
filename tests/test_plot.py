"""pairopt plot: the map is rendered and checked as an image (size, not blank, golden)."""

from __future__ import annotations

import builtins
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result

from pairing_opt.cli import main

from .conftest import EXAMPLE

pytest.importorskip("matplotlib")
GOLDEN = Path(__file__).parent / "golden" / "example.plot.png"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def image(path: Path) -> np.ndarray:
    from matplotlib.image import imread

    return np.asarray(imread(path))


def test_plot_solves_and_draws_a_map(tmp_path: Path) -> None:
    out = tmp_path / "map.png"
    result = run("plot", EXAMPLE, "-o", out)
    assert result.exit_code == 0, result.stderr
    pixels = image(out)
    assert pixels.shape[:2] == (800, 1000)
    assert pixels[..., :3].std() > 0.05  # not blank: markers, lines and text drawn
    blue = pixels[..., 2] - pixels[..., 0] > 0.2  # pair lines are blue (tab:blue, alpha 0.55)
    assert blue.mean() > 0.001
    if os.environ.get("PAIROPT_UPDATE_GOLDEN") == "1":
        GOLDEN.write_bytes(out.read_bytes())
    golden = image(GOLDEN)
    assert golden.shape == pixels.shape
    # Fonts and anti-aliasing differ a little between matplotlib versions: compare loosely.
    assert np.abs(golden[..., :3] - pixels[..., :3]).mean() < 0.02


def test_plot_a_given_pairing_as_svg(tmp_path: Path) -> None:
    out = tmp_path / "map.svg"
    result = run("plot", EXAMPLE, EXAMPLE.parent / "example_pairing.csv", "-o", out)
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert text.startswith("<?xml") and "<svg" in text and "Donor A" in text


def test_plot_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    assert run("plot", EXAMPLE, "-o", first).exit_code == 0
    assert run("plot", EXAMPLE, "-o", second).exit_code == 0
    assert first.read_bytes() == second.read_bytes()


def test_plot_rejects_other_image_types(tmp_path: Path) -> None:
    result = run("plot", EXAMPLE, "-o", tmp_path / "map.jpg")
    assert result.exit_code == 2 and "name a .png or .svg file" in result.stderr


def test_plot_without_matplotlib_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    result = run("plot", EXAMPLE, "-o", tmp_path / "map.png")
    assert result.exit_code == 3
    assert "pip install 'pairopt[plot]'" in result.stderr
    assert not (tmp_path / "map.png").exists()


def test_an_unsupported_image_type_is_refused_before_solving(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """-o map.gif is bad input found before any work: the solve is never started."""
    from pairing_opt import api

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("solved before checking -o")

    monkeypatch.setattr(api, "solve", never)
    result = CliRunner().invoke(main, ["plot", str(EXAMPLE), "-o", str(tmp_path / "map.gif")])
    assert result.exit_code == 2
    assert "unsupported image type '.gif'" in result.stderr
