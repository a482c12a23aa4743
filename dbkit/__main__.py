"""`python -m dbkit` runs the CLI."""

from .cli import main

main()
