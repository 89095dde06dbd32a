"""A study's rows as CSV, the same way for every study (one header, Unix line ends)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def write_rows(path: Path, fields: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, list(fields), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
