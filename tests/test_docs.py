"""docs/python-api.md runs: every python block, in order, from the repository's root."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

from .conftest import ROOT

API_DOC = ROOT / "docs" / "python-api.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_python_api_examples_run() -> None:
    blocks = BLOCK.findall(API_DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 8, "the API page lost its examples"
    namespace: dict[str, object] = {"__name__": "docs"}
    previous = Path.cwd()
    os.chdir(ROOT)  # the examples name the shipped scenarios by relative path
    try:
        for number, block in enumerate(blocks, start=1):
            with contextlib.redirect_stdout(io.StringIO()):
                try:
                    exec(compile(block, f"python-api.md block {number}", "exec"), namespace)
                except Exception as exc:  # name the block, not just the line
                    pytest.fail(f"block {number} of docs/python-api.md failed: {exc!r}\n{block}")
    finally:
        os.chdir(previous)
