"""The `purgekit` command line. Each command lives in its own module under purgekit/commands/.

Exit codes, for every command: 0 done, 1 failed, 2 bad input (nothing changed in any database).
"""

from __future__ import annotations

import sys

import typer

from purgekit.commands import doctor, erase, gc, verify
from purgekit.errors import PurgekitError

app = typer.Typer(
    name="purgekit",
    help="Erase WhatsApp Business On-Premises users, collect old messages, and check what is installed.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for command in (erase, doctor, verify, gc):
    command.register(app)


def main() -> None:
    """Run the CLI. Usage errors exit 2 (typer's own handling); a PurgekitError becomes one line on
    stderr and its exit code (1 failed, 2 bad input)."""
    try:
        app()
    except PurgekitError as error:
        print(f"purgekit: {error}", file=sys.stderr)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        print("purgekit: interrupted", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
