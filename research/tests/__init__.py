"""Tests of the research tools: not collected by the default `python -m pytest -q` (testpaths
is tests/); run them with `python -m pytest -q research/tests`. They import shared helpers
from tests/, which also loads the hypothesis profile (PAIROPT_HYPOTHESIS)."""

import tests  # noqa: F401  (registers and loads the hypothesis profile first)
