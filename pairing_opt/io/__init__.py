"""Files in and out: the scenario loader, pairing files, atomic output, the starter scenario."""
