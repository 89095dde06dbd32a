"""pairopt: optimal, verified pairing of donors to recipients (pairing assistance, 对口支援)."""

from .checks.verify import Assignment, evaluate
from .engine.pipeline import SolveResult, solve
from .io.loader import load

__version__ = "0.1.0"
__all__ = ["Assignment", "SolveResult", "__version__", "evaluate", "load", "solve"]
