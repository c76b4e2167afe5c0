"""The `purgekit` command line. Each command lives in its own module under purgekit/commands/.

Exit codes, for every command: 0 done, 1 failed, 2 bad input, configuration or connection problem
(nothing changed in any database). A failure is one line per problem, `purgekit: <what> (<url>):
<reason>`, never a traceback (the hidden --debug shows one).
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from importlib.metadata import entry_points

import typer

from purgekit import __version__
from purgekit.commands import db, delete_chat, delete_message, doctor, erase, gc, serve, verify
from purgekit.commands.common import OUTPUT
from purgekit.errors import PurgekitError, reason

app = typer.Typer(
    name="purgekit",
    help="Erase WhatsApp Business On-Premises users, collect old messages, and check what is installed.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help: readable at 80 columns and through a pipe, types shown as metavars a person reads.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

for command in (erase, delete_message, delete_chat, doctor, verify, gc, db, serve):
    command.register(app)

# Commands another installed distribution adds (purgekit-lab: `purgekit sample-stores`).
COMMANDS_GROUP = "purgekit.commands"
for entry in sorted(entry_points(group=COMMANDS_GROUP), key=lambda entry: entry.name):
    entry.load()(app)


class _Options:
    debug = False


def _version(value: bool) -> None:
    if value:
        typer.echo(f"purgekit {__version__}")
        raise typer.Exit()


@app.callback()
def options(
    verbose: bool = typer.Option(
        False, "-v", "--verbose", help="Show the SQL statements run, on stderr (bound values never shown)."
    ),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Print only errors."),
    debug: bool = typer.Option(False, "--debug", hidden=True, help="Show a traceback on failure."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print purgekit's version and exit."
    ),
) -> None:
    """Erase WhatsApp Business On-Premises users, collect old messages, and check what is installed.

    Options go before the command: purgekit -v erase +13655559020.
    """
    _Options.debug = debug
    if verbose and not quiet:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        engine_log = logging.getLogger("sqlalchemy.engine")
        engine_log.addHandler(handler)
        engine_log.setLevel(logging.INFO)
    OUTPUT.verbose, OUTPUT.quiet = verbose and not quiet, quiet
    if quiet:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (for the whole process)


def _fail(message: str, exit_code: int) -> None:
    for line in message.splitlines():
        print(f"purgekit: {line}", file=sys.stderr)
    sys.exit(exit_code)


def main() -> None:
    """Run the CLI. Usage errors exit 2 (typer's own handling); a PurgekitError becomes its line(s) on
    stderr and its exit code; anything else one line and exit 1."""
    try:
        app(prog_name="purgekit")
    except PurgekitError as error:
        if _Options.debug:
            traceback.print_exc()
        _fail(str(error), error.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 1)
    except Exception as error:  # never a traceback for a DBA; --debug shows it
        if _Options.debug:
            traceback.print_exc()
        _fail(f"failed: {reason(error)}", 1)


if __name__ == "__main__":
    main()
