"""`purgekit erase`: to be written."""
from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add `purgekit erase` to the CLI."""
