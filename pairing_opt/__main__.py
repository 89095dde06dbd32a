"""`python -m pairing_opt` runs the CLI."""

from .cli import main

main()
