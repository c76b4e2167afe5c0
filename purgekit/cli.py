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


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; a PurgekitError becomes one line on stderr and its exit code."""
    try:
        app(args=argv, standalone_mode=False)
    except PurgekitError as error:
        print(f"purgekit: {error}", file=sys.stderr)
        return error.exit_code
    except typer.Exit as exit_:
        return exit_.exit_code
    except (typer.Abort, KeyboardInterrupt):
        print("purgekit: interrupted", file=sys.stderr)
        return 1
    except Exception as error:  # click's usage errors and the like
        from click.exceptions import ClickException

        if isinstance(error, ClickException):
            error.show()
            return 2
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
