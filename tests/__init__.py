"""Settings shared by every test module: the hypothesis profiles and the slow switch.

Two environment variables choose how long the property tests run:

- PAIROPT_HYPOTHESIS picks a hypothesis profile, i.e. the example budget of every property
  test (a test whose examples cost more draws a share of it, `examples(share)`):
    default  120 examples (the everyday `python -m pytest -q -n auto`, under two minutes on
             two cores; pytest-xdist spreads the tests over the cores);
    ci       600 examples (CI's bounded slow sample, with PAIROPT_SLOW=1; .ci/run);
    slow     2,000 examples (the long run, and the 10,000-example property variant).
- PAIROPT_SLOW=1 also runs the tests marked `slow` (the long variants; skipped otherwise).
  With PAIROPT_SLOW=1 and no PAIROPT_HYPOTHESIS, the profile is `slow`.

    PAIROPT_SLOW=1 python -m pytest -q -n auto          # everything, long budgets
    PAIROPT_SLOW=1 PAIROPT_HYPOTHESIS=ci python -m pytest -q -n auto -m "slow or hypothesis"

Every profile prints a failing example's reproduction blob (@reproduce_failure) and has
no deadline: solver calls vary too much in time on a loaded machine for one.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

SLOW = os.environ.get("PAIROPT_SLOW") == "1"
"""Run the tests marked `slow` (PAIROPT_SLOW=1)."""

PROFILES = {"default": 120, "ci": 600, "slow": 2_000}  # name: max_examples
PROFILE = os.environ.get("PAIROPT_HYPOTHESIS") or ("slow" if SLOW else "default")
if PROFILE not in PROFILES:
    raise ValueError(
        f"PAIROPT_HYPOTHESIS={PROFILE!r}: unknown hypothesis profile (one of {', '.join(PROFILES)})"
    )

for _name, _examples in PROFILES.items():
    settings.register_profile(
        _name,
        max_examples=_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        print_blob=True,  # a rare failure must be reproducible from its report alone
    )
settings.load_profile(PROFILE)


def examples(share: float = 1.0) -> int:
    """The loaded profile's example budget times `share` (at least 10): for property tests
    whose examples cost more, or less, than the brute-force comparison's."""
    return max(10, round(settings().max_examples * share))  # settings(): the loaded profile
