"""The `complaints` command. Other tools call it: keep the contract (docs/cli.md) stable.

Pure commands (policies, deadlines, workdays) import neither boto3 nor anything they do not use,
so they start fast. Bad input exits 2 with one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from complaints.domain.calendar import (
    LONDON,
    NATIONS,
    CalendarError,
    CalendarRules,
    parse_iso_date,
)
from complaints.domain.policy import PolicyError

EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3  # the store did not answer: try again once it is up


_LEEWAY = timedelta(minutes=5)  # clocks differ a little; an hour ahead is a mistake


class CliError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


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

    p = sub.add_parser("show", help="one complaint with its timeline")
    p.add_argument("reference")
    p.add_argument("--json", action="store_true")
    p.add_argument("--data-dir", type=Path)

    p = sub.add_parser("list", help="complaints, optionally due before a date or by status")
    p.add_argument("--due-before", type=_date, metavar="DATE")
    p.add_argument("--status", choices=[s.value for s in _statuses()])
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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    data_dir = getattr(args, "data_dir", None)
    if data_dir is not None:  # before anything reads the settings
        os.environ["COMPLAINTS_DATA_DIR"] = str(data_dir)
    commands = {"policies": _policies, "deadlines": _deadlines, "workdays": _workdays,
                "parse": _parse, "ingest": _ingest, "show": _show, "list": _list,
                "quarantine": _quarantine, "residents": _residents, "check-letter": _check_letter,
                "act": _act, "sweep": _sweep, "import": _import, "report": _report, "bundle": _bundle,
                "local": _local, "redrive": _redrive}
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


def _policies(args: argparse.Namespace) -> int:
    from complaints.bootstrap import presets

    policies = presets().all()
    if args.json:
        print(json.dumps([p.summary() for p in policies], indent=2))
        return 0
    print(f"{'id':<22} {'nation':<10} landlord")
    for p in policies:
        print(f"{p.id:<22} {p.nation:<10} {p.landlord}")
    return 0


def _deadlines(args: argparse.Namespace) -> int:
    from complaints.bootstrap import clock
    from complaints.domain.deadlines import DeadlineError

    statutory = clock()
    if args.batch:
        if (args.policy or args.stage is not None or args.received or args.acknowledged
                or args.responded):
            raise CliError("--batch reads every case from stdin; drop --policy/--stage/--received")
        # bytes in, whole blocks out: the text layer costs more than the arithmetic
        results = statutory.deadlines_jsonl(sys.stdin.buffer)
        write = sys.stdout.write
        pending: list[str] = []
        for line in results:
            pending.append(line)
            if len(pending) >= 8192:
                write("\n".join(pending) + "\n")
                pending = []
        if pending:
            write("\n".join(pending) + "\n")
        return 0
    missing = [flag for flag, value in (("--policy", args.policy), ("--stage", args.stage),
                                        ("--received", args.received)) if value is None]
    if missing:
        raise CliError(f"missing {', '.join(missing)}")
    try:
        result = statutory.deadlines(args.policy, args.stage, args.received, args.acknowledged,
                                     args.responded)
    except DeadlineError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        _print_deadlines(args, result)
    return 0


def _print_deadlines(args: argparse.Namespace, result: object) -> None:
    from complaints.bootstrap import clock
    from complaints.domain.deadlines import StageDeadlines

    assert isinstance(result, StageDeadlines)
    statutory = clock()
    policy = statutory.presets.get(result.policy)
    stage = policy.stage(result.stage)
    cal = statutory.calendar_for(policy)

    def counted(start: date, due: date) -> int:
        n = cal.working_days_between(start, due)
        return n + 1 if stage.day_one.rule == "same-day" and cal.is_working_day(start) else n

    event = "escalation request" if result.stage > 1 else "receipt"
    rows: list[tuple[str, date | None, str]] = [("day one", result.day_one, "first day counted")]
    if result.acknowledge_by and stage.acknowledge:
        rows.append(("acknowledge by", result.acknowledge_by,
                     f"{counted(result.received, result.acknowledge_by)} from {event}"))
    if stage.respond.counts_from == "acknowledgement":
        start = result.acknowledged or result.acknowledge_by
        assert start is not None
        anchor = "acknowledgement" if result.acknowledged else "acknowledge-by date"
    else:
        start, anchor = result.received, event
    label = "respond by (provisional)" if result.provisional else "respond by"
    rows.append((label, result.respond_by, f"{counted(start, result.respond_by)} from {anchor}"))
    if result.respond_by_extended:
        ext = stage.extension
        rows.append(("respond by, extended", result.respond_by_extended,
                     f"{counted(start, result.respond_by_extended)} from {anchor} "
                     f"({ext.agreement.replace('-', ' ')})"))
    else:
        rows.append(("respond by, extended", None,
                     f"no fixed cap ({stage.extension.agreement.replace('-', ' ')})"))

    print(f"{policy.id}: {policy.name} ({policy.nation}), {stage.name}")
    print(f"received {result.received:%a %d %b %Y}"
          + (f", acknowledged {result.acknowledged:%a %d %b %Y}" if result.acknowledged else ""))
    print()
    print(f"{'stage':<6} {'step':<26} {'due date':<11} {'weekday':<10} working days counted")
    for step, due, note in rows:
        day, weekday = (due.isoformat(), f"{due:%A}") if due else ("-", "-")
        print(f"{result.stage:<6} {step:<26} {day:<11} {weekday:<10} {note}")
    for step, due, done, late in result.breaches:
        print(f"LATE: the {step} on {done:%a %d %b %Y} was {late} working day"
              f"{'s' if late != 1 else ''} after its date, {due:%a %d %b %Y}")
    skipped = cal.holidays_in(result.received, max(due for _, due, _ in rows if due))
    if skipped:
        print()
        print("not counted: " + "; ".join(f"{d:%a %d %b} {why}" for d, why in skipped.items()))


def _workdays(args: argparse.Namespace) -> int:
    from complaints.bootstrap import clock

    cal = clock().calendar(CalendarRules(args.nation))
    try:
        result = cal.add_working_days(args.start, args.add)
    except (OverflowError, ValueError) as exc:
        raise CliError(f"--add {args.add} from {args.start} leaves the calendar ({exc})") from None
    if args.json:
        print(json.dumps({"nation": args.nation, "from": args.start.isoformat(),
                          "add": args.add, "date": result.isoformat()}))
    else:
        print(result.isoformat())
    return 0


def _parse(args: argparse.Namespace) -> int:
    from complaints.mail.inbound import parse

    status = 0
    for name in args.files:
        try:
            raw = Path(name).read_bytes()
        except OSError as exc:
            print(f"complaints: error: {name}: {exc.strerror or exc}", file=sys.stderr)
            status = EXIT_USAGE
            continue
        mail = parse(raw)
        if args.json:
            print(json.dumps(mail.to_json(name)))
        else:
            print(f"{name}: {mail.verdict} ({mail.reason}) from {mail.sender or '-'}: "
                  f"{mail.subject[:60]!r}, {len(mail.attachments)} attachment(s)")
    return status


def _ingest(args: argparse.Namespace) -> int:
    """Treat FILE like a message the SES S3 action stored, then run the pipeline on it."""
    import hashlib
    from datetime import UTC

    from complaints.bootstrap import mailroom
    from complaints.service.mailroom import Delivery

    raw = Path(args.file).read_bytes()
    room = mailroom()
    # This delivery's own id is a hash of the bytes; the mailroom keys idempotency on the
    # message's Message-ID and sender where it has them, as for mail from SES.
    key = "ingest-" + hashlib.sha256(raw).hexdigest()[:32]
    raw_key = room.raw_mail.key_for(key)
    room.raw_mail.put(raw_key, raw)
    received = args.received or datetime.now(UTC)
    outcome = room.receive(Delivery(key, raw_key, received, back_dated=args.received is not None))
    if args.json:
        print(json.dumps(outcome.to_json()))
    else:
        print(f"{outcome.outcome} {outcome.reference or ''} ({outcome.reason})")
    return 0


def _show(args: argparse.Namespace) -> int:
    from complaints.bootstrap import store

    case = store().load(args.reference)
    if case is None:
        raise CliError(f"no complaint {args.reference}")
    data = case.to_json()
    data["messages"] = store().messages(args.reference)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(f"{case.reference}  {case.status}  stage {case.stage}  {case.policy} ({case.nation})")
    print(f"from {case.resident}: {case.subject!r}, received {case.received_on}")
    for key, value in data["deadlines"].items():
        if key.endswith("_by") or key.endswith("_extended"):
            print(f"  {key:<22} {value}")
    for event in data["timeline"]:
        print(f"{event['at']}  {event['actor']:<24} {event['event']}: {event['detail']}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from complaints.bootstrap import store
    from complaints.config import settings

    s = store()
    if args.due_before:
        references = s.due_before(settings().landlord, args.due_before)
    else:
        references = list(s.all_references())
    cases = [c for c in (s.load(r) for r in references) if c is not None]
    if args.status:
        cases = [c for c in cases if c.status == args.status]
    cases.sort(key=lambda c: c.reference)
    if args.json:
        print(json.dumps([c.to_json(with_timeline=False) for c in cases], indent=2))
    else:
        for c in cases:
            due = c.deadlines.respond_by if c.deadlines else "-"
            flags = f"  [{', '.join(sorted(c.flags))}]" if c.flags else ""
            print(f"{c.reference}  {c.status:<12} stage {c.stage}  respond by {due}  {c.resident}"
                  f"{flags}")
    return 0


def _act(args: argparse.Namespace) -> int:
    """The CLI issues the same commands as a staff reply (staff acting on the landlord's side:
    whoever can run this has the landlord's credentials, so no DMARC check applies)."""
    import uuid
    from datetime import UTC

    from complaints.bootstrap import mailroom
    from complaints.domain.calendar import london_date
    from complaints.domain.commands import Note
    from complaints.mail.identity import usable_address
    from complaints.mail.staff_reply import parse_reply

    real = datetime.now(UTC)
    at = args.at or real
    if at > real + _LEEWAY:
        raise CliError(f"--at {at.isoformat()} is in the future: an action is recorded when it "
                       "was taken, never ahead")
    local, _, domain = args.actor.rpartition("@")
    actor = usable_address(local, domain)
    room = mailroom()
    if actor is None or not room.staff.covers(actor):
        raise CliError(f"{args.actor} is not a staff address (COMPLAINTS_STAFF_DOMAINS)")
    if room.store.load(args.reference) is None:
        raise CliError(f"no complaint {args.reference}")
    reply = parse_reply(args.text if args.text is not None else sys.stdin.read(), london_date(at))
    case, results = room.casework.run(args.reference, reply.to_run, actor,
                                      f"cli-{uuid.uuid4().hex[:16]}", at)
    if args.at is not None and any(r.done for r in results):  # the record says when it was made
        case, _ = room.casework.run(args.reference, (Note(
            text=f"back-dated: the commands above were recorded on {real:%Y-%m-%d %H:%M}Z as "
                 f"taken at {at.isoformat()}"),), actor, f"cli-{uuid.uuid4().hex[:16]}", real,
            staff=False)
    if args.json:
        print(json.dumps({"reference": case.reference, "status": case.status.value,
                          "results": [r.to_json() for r in results]}))
    else:
        for r in results:
            print(f"{r.command}: {'done' if r.done else 'REFUSED'}: {r.detail}")
    return 0 if all(r.done for r in results) else 1


def _sweep(args: argparse.Namespace) -> int:
    from datetime import UTC

    from complaints.bootstrap import sweep

    real = datetime.now(UTC)
    now = (args.now or real).astimezone(UTC)
    if now > real + _LEEWAY and not args.allow_future:
        raise CliError(f"--now {now.isoformat()} is in the future: a sweep then would send "
                       "reminders and alerts early, record breaches that have not happened and "
                       "close cases, for good. --allow-future is for test data only")
    report = sweep().run(now).to_json()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"swept {report['cases_read']} case(s) as of {report['now']}: "
              f"{len(report['actions'])} action(s), {report['letters_sent']} letter(s) sent")
        for a in report["actions"]:
            print(f"  {a['reference']}  {a['task']:<8} {a['detail']}")
        for e in report["errors"]:
            print(f"  {e['reference']}  ERROR {e['error']}")
    return 1 if report["errors"] else 0


def _check_letter(args: argparse.Namespace) -> int:
    """Exit 0 when the letter has what its type and regime require, else 1 listing what not."""
    from complaints.bootstrap import presets
    from complaints.mail import lint

    library = presets()
    policy = library.get(args.policy)
    try:
        policy.stage(args.stage)
    except PolicyError as exc:
        raise CliError(str(exc)) from None
    findings = lint.check(args.type, Path(args.file).read_bytes(), policy,
                          library.regime_for(policy.nation), args.stage)
    if args.json:
        print(json.dumps({"file": args.file, "type": args.type, "policy": policy.id,
                          "regime": policy.regime, "ok": not findings,
                          "findings": [f.__dict__ for f in findings]}))
    else:
        for f in findings:
            print(f"{args.file}: {f.line()}")
        if not findings:
            print(f"{args.file}: a {args.type} letter fit for {policy.id} ({policy.regime})")
    return 1 if findings else 0


def _residents(args: argparse.Namespace) -> int:
    """Validate every row first: any bad row is reported by line and nothing is loaded."""
    from complaints.service.residents import RegisterError, parse_register

    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
        residents = parse_register(text)
    except RegisterError as exc:
        if args.json:
            print(json.dumps({"imported": 0, "errors": exc.errors}))
        else:
            for e in exc.errors:
                print(f"line {e['line']}: {e['error']}", file=sys.stderr)
        return 1
    except UnicodeDecodeError as exc:
        raise CliError(f"{args.file} is not UTF-8 text: {exc}") from None
    from complaints.bootstrap import store

    count = store().put_residents([r.to_json() for r in residents])
    print(json.dumps({"imported": count, "errors": []}) if args.json else f"{count} residents loaded")
    return 0


def _import(args: argparse.Namespace) -> int:
    """{"imported": N, "errors": []}, or exit 1 with every bad row and nothing stored, or exit 1
    with "not_overwritten": the cases that changed while the import ran, left as they were."""
    from complaints import bootstrap
    from complaints.service.history import History

    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CliError(f"{args.file} is not UTF-8 text: {exc}") from None
    history = History(bootstrap.store(), bootstrap.clock(), settings_landlord(),
                      bootstrap.agenda_rules())
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
    from complaints.service.reports import Reports

    period = _period(args)
    if args.homes is not None and args.homes <= 0:
        raise CliError(f"--homes {args.homes}: expected the number of homes, more than 0")
    reports = Reports(bootstrap.store(), bootstrap.clock(), settings_landlord())
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


def settings_landlord() -> str:
    from complaints.config import settings

    return settings().landlord


def _quarantine(args: argparse.Namespace) -> int:
    from complaints.bootstrap import store

    entries = store().quarantined()
    if args.json:
        print(json.dumps(entries, indent=2))
        return 0
    for e in entries:
        mark = "REVIEW " if e.get("review") else ""
        print(f"{e['at']}  {mark}{e['from'] or '-'}: {e['subject'][:60]!r}\n    {e['reason']}"
              f"\n    raw: {e['raw_key']}")
    return 0


def _local(args: argparse.Namespace) -> int:
    from complaints.local.stack import StackError, up

    data_dir = args.data_dir or Path(os.environ.get("COMPLAINTS_DATA_DIR") or ".local")
    try:
        return up(data_dir, args.smtp_port, args.http_port, args.db_port)
    except StackError as exc:  # a port in use, DynamoDB Local missing: what to do, no `ready`
        print(f"complaints: error: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE


def _redrive(args: argparse.Namespace) -> int:
    """Failed inbound deliveries through the handler again: the local stack's dead letters,
    and the AWS on-failure queue where one is set (handlers/redrive.py)."""
    import logging

    from complaints.config import settings
    from complaints.handlers import redrive
    from complaints.handlers.inbound_email import handler
    from complaints.local.stack import LocalContext

    for log_handler in logging.getLogger("complaints").handlers:  # the handler's log lines:
        if isinstance(log_handler, logging.StreamHandler):  # stderr, stdout is the report
            log_handler.stream = sys.stderr

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = handler(event, LocalContext())  # Powertools' decorators
        return result

    s = settings()
    results = list(redrive.from_dead_letters(s.data_dir / redrive.DEAD_LETTERS, invoke))
    queue = args.queue or s.inbound_failures_queue
    if queue:
        import boto3

        results += redrive.from_queue(boto3.client("sqs", region_name=s.region), queue, invoke)
    failed = [r for r in results if not r["ok"]]
    if args.json:
        print(json.dumps({"redriven": len(results) - len(failed), "failed": len(failed),
                          "results": results}, indent=2))
    else:
        for r in results:
            what = (", ".join(f"{o['outcome']} {o.get('reference') or ''}".strip()
                              for o in r["outcomes"]) if r["ok"] else f"FAILED: {r['error']}")
            print(f"{r['source']} {r['id']}: {what}")
        print(f"{len(results) - len(failed)} redriven, {len(failed)} failed"
              + (" (still held: run again once the cause is fixed)" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
