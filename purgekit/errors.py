"""purgekit's errors: each carries one line for the user and the process exit code it maps to."""


class PurgekitError(Exception):
    exit_code = 1


class ConfigurationError(PurgekitError):
    """A setting is missing or malformed."""

    exit_code = 2


class BadInputError(PurgekitError):
    """Input that breaks a rule: rejected before any database work."""

    exit_code = 2
