"""Research tools around pairopt (not part of the package, not in the default test suite).

Unlike benchmarks/, which measures pairopt through what it offers, these tools reach into
its internals: search_variants patches private names of pairing_opt.engine (search,
backends, strategy) to try rejected variants of the GAP search, and relaxations builds
extended formulations next to pairopt's model. Private names may change with any commit;
when one does, these tools are what must follow.

Run each from the repository root as a module, e.g. `python -m research.relaxations`.
Their tests live in research/tests/, outside the default suite's testpaths:

    python -m pytest -q research/tests
"""
