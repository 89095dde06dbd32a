"""Exit codes and the exceptions that carry them to the CLI boundary.

Every failure a user can act on is one of these; the CLI turns them into a
message on stderr and the documented exit code, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """The documented exit codes (README, "Exit codes")."""

    OPTIMAL = 0
    INFEASIBLE = 1  # also: `evaluate` found broken rules, `compare` found differences
    BAD_INPUT = 2
    SOLVER_FAILED = 3
    LIMIT_REACHED = 4
    INTERNAL_ERROR = 70  # a bug in pairopt: please report it with --debug output
    INTERRUPTED = 130  # Ctrl-C
    TERMINATED = 143  # SIGTERM


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, with where it is and how to fix it."""

    where: str  # e.g. "cities.csv, row 5, column 'need'" or "scenario.yaml, line 3 (rules.reserve)"
    what: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.where}: {self.what}"
        if self.fix:
            text += f" Fix: {self.fix}"
        return text


class PairoptError(Exception):
    """Base of all errors that end a run with a documented exit code."""

    exit_code: ExitCode = ExitCode.INTERNAL_ERROR

    def lines(self) -> list[str]:
        return [str(self)]


class InputError(PairoptError):
    """The scenario or a table is wrong; carries every problem found, not only the first."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the input:"
        return [head, *(f"  - {p}" for p in self.problems)]


class InfeasibleError(PairoptError):
    """No pairing satisfies the rules; `reasons` names the recipients, donors and rules."""

    exit_code = ExitCode.INFEASIBLE

    def __init__(self, reasons: list[str], hint: str = ""):
        self.reasons = list(reasons)
        self.hint = hint
        super().__init__("no pairing satisfies the rules")

    def lines(self) -> list[str]:
        out = ["infeasible: no pairing satisfies the rules.", *(f"  - {r}" for r in self.reasons)]
        if self.hint:
            out.append(self.hint)
        return out


class SolverError(PairoptError):
    """The solver is missing, broken, or returned something that failed verification."""

    exit_code = ExitCode.SOLVER_FAILED


class Collector:
    """Collects problems so a run reports all of them at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, what: str, fix: str = "") -> None:
        self.problems.append(Problem(where, what, fix))

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(self.problems)
