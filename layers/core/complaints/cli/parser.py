"""The command line the contract promises (docs/cli.md): every command, its options and their
types. Bad input exits 2 with one line, not usage and a message."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

from complaints.cli.errors import EXIT_USAGE
from complaints.domain.calendar import LONDON, NATIONS, CalendarError, parse_iso_date


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one clear line, not usage + message
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _date(text: str) -> date:
    try:
        return parse_iso_date(text)
    except CalendarError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date or date-time") from None
    if not 1900 <= value.year <= 2100:  # the working calendars' range, and no overflow in UTC
        raise argparse.ArgumentTypeError(f"{text!r}: the year must be 1900 to 2100")
    if value.tzinfo is None:  # a bare date or local time: London's
        value = value.replace(tzinfo=LONDON)
    return value


def _morning(text: str) -> datetime:
    """An instant; a bare date is that day's 08:00 in London (the working-day morning run)."""
    value = _instant(text)
    return value.replace(hour=8) if len(text.strip()) == 10 else value


def _statuses() -> list[Any]:
    from complaints.domain.case import Status

    return list(Status)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="complaints",
        description="Complaints handling for UK social landlords: the statutory clock, to the day.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("policies", help="list the policy presets")
    p.add_argument("--json", action="store_true", help="JSON list with every rule")

    p = sub.add_parser(
        "deadlines",
        help="stage deadlines for a complaint",
        description="Stage deadlines. For stage 2, --received is when the escalation request "
        "was received. --batch reads JSON lines {policy, stage, received, acknowledged?} "
        "from stdin and writes one JSON result line per input line.",
    )
    p.add_argument("--policy", help="preset id (see `complaints policies`)")
    p.add_argument("--stage", type=int, help="1 or 2")
    p.add_argument("--received", type=_date, help="YYYY-MM-DD (London date)")
    p.add_argument("--acknowledged", type=_date, help="YYYY-MM-DD, once acknowledged")
    p.add_argument("--responded", type=_date,
                   help="YYYY-MM-DD, the stage response's date: says whether it was late")
    p.add_argument("--json", action="store_true")
    p.add_argument("--batch", action="store_true", help="JSON lines on stdin")

    p = sub.add_parser("parse", help="classify raw messages (pure: no store, no network)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="one JSON line per file")

    p = sub.add_parser("ingest", help="hand a raw message to the pipeline, as SES would")
    p.add_argument("file", metavar="FILE.eml")
    p.add_argument("--received", type=_instant, metavar="ISO",
                   help="back-date receipt (mail that reached the landlord another way)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--data-dir", type=Path, help="the local stack's directory (default .local)")

    p = sub.add_parser("show", help="one complaint with its timeline and its messages' text")
    p.add_argument("reference")
    p.add_argument("--json", action="store_true")
    p.add_argument("--data-dir", type=Path)

    p = sub.add_parser("list", help="complaints with their handler and next step, optionally "
                       "due before a date, by status or handler, or overdue")
    p.add_argument("--due-before", type=_date, metavar="DATE")
    p.add_argument("--status", choices=[s.value for s in _statuses()])
    p.add_argument("--handler", metavar="ADDRESS",
                   help="only the cases this member of staff is dealing with")
    p.add_argument("--overdue", action="store_true",
                   help="only open cases whose next step's date has passed")
    p.add_argument("--json", action="store_true")
    p.add_argument("--data-dir", type=Path)

    p = sub.add_parser("act", help="run staff commands on a case, as a staff reply would",
                       description="Reads a staff reply from stdin (or --text): #-lines at the "
                       "top are commands (#acknowledge, #extend N reason, #respond outcome, ...), "
                       "the text below is their body; no #-lines sends the text to the resident.")
    p.add_argument("reference")
    p.add_argument("--as", dest="actor", required=True, metavar="STAFF-ADDRESS")
    p.add_argument("--text", help="the reply (default: stdin)")
    p.add_argument("--at", type=_instant, metavar="ISO",
                   help="back-date the action (taken on another channel, e.g. by phone); "
                   "recorded on the timeline as such")
    p.add_argument("--json", action="store_true")
    p.add_argument("--data-dir", type=Path)

    p = sub.add_parser("sweep", help="run the deadline sweep once",
                       description="Reminders before each due date, overdue alerts and breaches, "
                       "the policies' automatic steps and letters to retry, for the cases due "
                       "by --now (default: now). Safe to run at any time, and twice.")
    p.add_argument("--now", type=_morning, metavar="ISO",
                   help="the instant to sweep as (a bare date is 08:00 London); not later "
                   "than now")
    p.add_argument("--allow-future", action="store_true",
                   help="allow --now in the future (test data only: what it does is permanent)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--data-dir", type=Path)

    p = sub.add_parser("check-letter", help="what a letter lacks for its type and regime")
    p.add_argument("type", metavar="TYPE", help="the letter kind, e.g. receipt")
    p.add_argument("file", metavar="FILE.eml")
    p.add_argument("--policy", required=True, help="the case's preset id")
    p.add_argument("--stage", type=int, default=1)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("residents", help="the resident register (the tenancy export)")
    residents = p.add_subparsers(dest="residents_command", required=True, parser_class=_Parser)
    p = residents.add_parser("import", help="load or update the register from a CSV file")
    p.add_argument("file", metavar="FILE.csv")
    p.add_argument("--json", action="store_true")
    p.add_argument("--data-dir", type=Path)

    p = sub.add_parser("import", help="load cases from a previous system (CSV; all rows checked "
                                      "first; a re-import updates, never duplicates)")
    p.add_argument("file", metavar="FILE.csv")
    p.add_argument("--dry-run", action="store_true", help="check every row, store nothing")
    p.add_argument("--json", action="store_true")
    p.add_argument("--data-dir", type=Path)

    p = sub.add_parser("report", help="TSM CH01/CH02, the Scottish indicators, the annual report")
    reports = p.add_subparsers(dest="report", required=True, parser_class=_Parser)
    for name, what in (("tsm", "Tenant Satisfaction Measures CH01 and CH02 (English cases)"),
                       ("scotland", "the Scottish regulators' indicators (Scottish cases)"),
                       ("annual", "the annual complaints performance report (HTML, PDF, PNG)")):
        p = reports.add_parser(name, help=what)
        p.add_argument("--year", type=int, help="1 April YEAR to 31 March YEAR+1")
        p.add_argument("--from", dest="start", type=_date, metavar="DATE")
        p.add_argument("--to", dest="end", type=_date, metavar="DATE")
        p.add_argument("--homes", type=int, required=name == "tsm",
                       help="homes owned (the CH01 denominator)")
        if name == "annual":
            p.add_argument("--out", type=Path, required=True, metavar="DIR")
        p.add_argument("--json", action="store_true")
        p.add_argument("--data-dir", type=Path)

    p = sub.add_parser("bundle", help="a case's evidence bundle for the Ombudsman (a zip)",
                       description="The case's timeline (HTML and JSON), every message as "
                       "received, every letter as sent, the attachments, and manifest.json "
                       "(each file's size and SHA-256). The same case gives the same bytes.")
    p.add_argument("reference")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.zip")
    p.add_argument("--json", action="store_true")
    p.add_argument("--data-dir", type=Path)

    p = sub.add_parser("quarantine", help="messages that are not a case, with the reason")
    p.add_argument("--json", action="store_true")
    p.add_argument("--data-dir", type=Path)

    p = sub.add_parser("redrive", help="inbound mail whose handling failed, handled again",
                       description="Hands every failed inbound delivery to the handler again: "
                       "the local stack's dead letters (<data-dir>/dead-letters/) and, with "
                       "--queue or COMPLAINTS_INBOUND_FAILURES_QUEUE, the inbound function's "
                       "on-failure queue in AWS. Each is removed only once handled; a message "
                       "handled before is a duplicate (one case, one letter). Exit 1 if any "
                       "failed again (it stays held).")
    p.add_argument("--queue", metavar="URL", help="the InboundFailuresQueue output's URL")
    p.add_argument("--json", action="store_true")
    p.add_argument("--data-dir", type=Path)

    p = sub.add_parser("local", help="the local stack")
    local = p.add_subparsers(dest="local_command", required=True, parser_class=_Parser)
    p = local.add_parser("up", help="start DynamoDB Local, SMTP in, the outbox and HTTP")
    p.add_argument("--data-dir", type=Path)
    p.add_argument("--smtp-port", type=int, default=2525)
    p.add_argument("--http-port", type=int, default=8080)
    p.add_argument("--db-port", type=int, default=8000)

    p = sub.add_parser("workdays", help="the K-th working day strictly after a date")
    p.add_argument("--nation", required=True, choices=NATIONS)
    p.add_argument("--from", dest="start", required=True, type=_date, metavar="DATE")
    p.add_argument("--add", required=True, type=int, metavar="K",
                   help="K > 0 counts forward, K < 0 back, 0 gives DATE")
    p.add_argument("--json", action="store_true")
    return parser
