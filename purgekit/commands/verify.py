"""`purgekit verify`: to be written."""
from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add `purgekit verify` to the CLI."""
