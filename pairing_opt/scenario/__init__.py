"""What a scenario is in memory: the file format's schema, tables of cells, the validated
Scenario. No file I/O.
"""
