"""The records commands: import (cases from a previous system), report (TSM, the Scottish
indicators, the annual report) and bundle (a case's evidence for the Ombudsman)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from complaints.cli.errors import CliError


def _import(args: argparse.Namespace) -> int:
    """{"imported": N, "errors": []}, or exit 1 with every bad row and nothing stored, or exit 1
    with "not_overwritten": the cases that changed while the import ran, left as they were."""
    from complaints import bootstrap

    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CliError(f"{args.file} is not UTF-8 text: {exc}") from None
    history = bootstrap.history()
    result = history.import_csv(text, Path(args.file).name, datetime.now(UTC), args.dry_run)
    if args.json:
        print(json.dumps(result))
    else:
        for e in result["errors"]:
            print(f"line {e['line']}: {e['error']}", file=sys.stderr)
        for e in result.get("not_overwritten", []):
            print(f"line {e['line']}: {e['reason']}", file=sys.stderr)
        if not result["errors"]:
            print(f"{result['imported']} case(s) {'checked' if args.dry_run else 'imported'}")
    return 1 if result["errors"] or result.get("not_overwritten") else 0


def _period(args: argparse.Namespace) -> Any:
    from complaints.domain.measures import Period

    if args.year is not None:
        if args.start or args.end:
            raise CliError("give --year, or --from and --to, not both")
        if not 1900 <= args.year <= 2099:
            raise CliError(f"--year {args.year}: expected 1900 to 2099")
        return Period.year(args.year)
    if not (args.start and args.end):
        raise CliError("give --year YEAR (1 April to 31 March) or --from DATE --to DATE")
    if args.end < args.start:
        raise CliError(f"--to {args.end} is before --from {args.start}")
    return Period(args.start, args.end)


def _report(args: argparse.Namespace) -> int:
    from complaints import bootstrap
    period = _period(args)
    if args.homes is not None and args.homes <= 0:
        raise CliError(f"--homes {args.homes}: expected the number of homes, more than 0")
    reports = bootstrap.reports()
    result = {"tsm": lambda: reports.tsm(period, args.homes),
              "scotland": lambda: reports.scotland(period),
              "annual": lambda: reports.annual(period, args.homes, args.out)}[args.report]()
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


def _bundle(args: argparse.Namespace) -> int:
    from complaints.service.bundle import bundle_command

    result = bundle_command(args.reference, args.out)
    if args.json:
        print(json.dumps(result))
    else:
        missing = (f"; {result['missing']} not available, see manifest.json"
                   if result["missing"] else "")
        print(f"{result['out']}: {result['files']} files, {result['bytes']:,} bytes{missing}")
    return 0


# the command names main() dispatches to this module
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "import": _import,
    "report": _report,
    "bundle": _bundle,
}
