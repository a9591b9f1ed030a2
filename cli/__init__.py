"""The `flowlogic` command line (Typer): parse, call the core, print with Rich or JSON."""
