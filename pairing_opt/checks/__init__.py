"""Independent checks of a scenario or a pairing: conflicts found before solving, every rule
verified after, differences between pairings.
"""
