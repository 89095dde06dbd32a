"""pairopt: optimal, verified pairing of donors to recipients (pairing assistance, 对口支援)."""

from .engine import SolveResult, solve
from .loader import load
from .verify import Assignment, evaluate

__version__ = "0.1.0"
__all__ = ["Assignment", "SolveResult", "__version__", "evaluate", "load", "solve"]
