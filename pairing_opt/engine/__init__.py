"""From a validated scenario to a verified result: the MILP, the solver backends, bounds, the
strategy and search, the pipeline.
"""
