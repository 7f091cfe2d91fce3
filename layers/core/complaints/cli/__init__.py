"""The `complaints` command. Other tools call it: keep the contract (docs/cli.md) stable.

Pure commands (policies, deadlines, workdays) import neither boto3 nor anything they do not use,
so they start fast. Bad input exits 2 with one line on stderr, never a traceback.

The parser is in parser.py, the commands in one module per group: clock.py (policies,
deadlines, workdays), mail.py (parse, ingest, quarantine, redrive, check-letter), cases.py
(show, list, act, sweep, residents), records.py (import, report, bundle), local.py (local up).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from complaints.cli import cases, clock, local, mail, records
from complaints.cli.errors import EXIT_UNAVAILABLE, EXIT_USAGE, CliError
from complaints.cli.parser import build_parser
from complaints.domain.calendar import CalendarError
from complaints.domain.policy import PolicyError

__all__ = ["EXIT_UNAVAILABLE", "EXIT_USAGE", "CliError", "build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    data_dir = getattr(args, "data_dir", None)
    if data_dir is not None:  # before anything reads the settings
        os.environ["COMPLAINTS_DATA_DIR"] = str(data_dir)
    commands = {**clock.COMMANDS, **mail.COMMANDS, **cases.COMMANDS, **records.COMMANDS,
                **local.COMMANDS}
    try:
        return commands[args.command](args)
    except (CliError, PolicyError, CalendarError, ValueError, OSError) as exc:
        print(f"complaints: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `complaints ... | head` is fine
        return 0
    except Exception as exc:  # the store unreachable or refusing: one line, not a traceback
        if type(exc).__module__.split(".")[0] not in ("pynamodb", "botocore") and \
                type(exc).__name__ not in ("StoreError", "Contention", "ConcurrentUpdate"):
            raise
        if type(exc).__module__.startswith("complaints"):  # our own words say what to do
            print(f"complaints: error: {str(exc)[:500]}", file=sys.stderr)
        else:
            print(f"complaints: error: the store did not answer ({type(exc).__name__}: "
                  f"{str(exc)[:200]}). Is the local stack running for this --data-dir "
                  "(`complaints local up`), or are COMPLAINTS_TABLE and AWS credentials set?",
                  file=sys.stderr)
        return EXIT_UNAVAILABLE
