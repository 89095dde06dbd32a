"""Results turned into text, tables, workbooks and images for people and scripts.

render.py is the entry point: a report object per command (SolveReport, EvaluationReport,
ComparisonReport, CheckReport) and `render(report, fmt)`. The formats themselves live by
report: solution (`solve`), evaluation (`evaluate`), comparison (`compare`), check
(`check`), on top of common (rounding, names, shared rows, the rich/markdown/xlsx writers).
formats.py keeps the older import path; plot.py draws maps.
"""
