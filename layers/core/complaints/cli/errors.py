"""How a command fails: a user-facing error and the exit statuses of the contract (docs/cli.md)."""

from __future__ import annotations

EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3  # the store did not answer: try again once it is up


class CliError(Exception):
    """A user-facing error: printed as one line, exit status 2."""
