"""pairopt's benchmark harness (not part of the package; see benchmarks/README.md).

Run each benchmark from the repository root as a module, e.g. `python -m benchmarks.gap`.
"""
