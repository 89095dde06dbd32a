"""Sweeps: many what-ifs of one scenario as one command, with what is stable across them:
the plan of runs, the worker, the runners (local processes, Dask), the resumable store,
the summary. `sweeper.sweep` is the entry point (`pairing_opt.sweep`); docs/sweeps.md is
the manual.
"""
