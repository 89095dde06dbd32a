"""pairopt: optimal, verified pairing of donors to recipients (pairing assistance, 对口支援).

The library is the product; `pairopt` the command is a thin layer over it. See
docs/python-api.md:

    import pairing_opt as po
    scenario = po.load("scenarios/hubei-2020/scenario.yaml")
    result = po.solve(scenario)
    print(result.status, result.objective, result.bound)
"""

from .api import (
    Comparison,
    Evaluation,
    Front,
    Result,
    check,
    compare,
    configure,
    evaluate,
    load,
    pairing_rows,
    pareto,
    solve,
    solvers,
    use_threads,
)
from .checks.verify import Assignment
from .errors import InfeasibleError, InputError, PairoptError, Problem, SolverError
from .scenario.scenario import Scenario
from .sweeps.sweeper import SweepResult, sweep

__version__ = "0.1.0"
__all__ = [
    "Assignment",
    "Comparison",
    "Evaluation",
    "Front",
    "InfeasibleError",
    "InputError",
    "PairoptError",
    "Problem",
    "Result",
    "Scenario",
    "SolverError",
    "SweepResult",
    "__version__",
    "check",
    "compare",
    "configure",
    "evaluate",
    "load",
    "pairing_rows",
    "pareto",
    "solve",
    "solvers",
    "sweep",
    "use_threads",
]
