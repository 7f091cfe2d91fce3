"""`complaints local up`: the local stack in the foreground (complaints/local/stack.py)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from complaints.cli.errors import EXIT_UNAVAILABLE


def _local(args: argparse.Namespace) -> int:
    from complaints.local.stack import StackError, up

    data_dir = args.data_dir or Path(os.environ.get("COMPLAINTS_DATA_DIR") or ".local")
    try:
        return up(data_dir, args.smtp_port, args.http_port, args.db_port)
    except StackError as exc:  # a port in use, DynamoDB Local missing: what to do, no `ready`
        print(f"complaints: error: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE


# the command names main() dispatches to this module
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "local": _local,
}
