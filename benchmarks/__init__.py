"""pairopt's benchmark harness (not part of the package; see benchmarks/README.md).

Run each benchmark from the repository root as a module, e.g. `python -m benchmarks.gap`.
The benchmarks use pairopt's public names only; research tools that patch or import its
private names live in research/ (they may import helpers from here, e.g. `machine`).
"""
