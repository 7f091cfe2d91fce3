"""The casework commands: show, list, act, sweep, and residents (the resident register)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from complaints.cli.errors import CliError

_LEEWAY = timedelta(minutes=5)  # clocks differ a little; an hour ahead is a mistake


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
    print(f"from {printable(case.resident)}: {printable(repr(case.subject))}, "
          f"received {case.received_on}")
    print(f"handler: {case.handler or '(none assigned)'}")
    for key, value in data["deadlines"].items():
        if key.endswith("_by") or key.endswith("_extended"):
            print(f"  {key:<22} {value}")
    for event in data["timeline"]:
        print(f"{event['at']}  {printable(str(event['actor'])):<24} "
              f"{printable(str(event['event']))}: {printable(str(event['detail']))}")
    print(f"\nmessages ({len(data['messages'])}):")
    for message in data["messages"]:
        print(f"\n--- {message.get('at', '')}  {message.get('direction', '')}  "
              f"from {message.get('from') or '(unknown)'} to "
              f"{', '.join(message.get('to') or []) or '(unknown)'}"
              + (f"  [{message['verdict']}]" if message.get("verdict") else ""))
        print(f"    subject: {printable(message.get('subject') or '(no subject)')}")
        for a in message.get("attachments") or []:
            print(f"    attached: {printable(str(a.get('filename') or '(unnamed)'))} "
                  f"({a.get('content_type', '')}, {a.get('size', '?')} bytes)")
        body = message_text(message)
        print("\n".join(f"    {line}" for line in body.splitlines()) or "    (no text)")
    return 0


def message_text(message: dict[str, Any]) -> str:
    """A message's text as a person reads it: an inbound message's as parsed; a letter's from
    the copy kept as sent (the record of a letter keeps no text of its own)."""
    if message.get("direction") != "out" or message.get("text"):
        return printable(str(message.get("text") or ""))
    key = str(message.get("raw_key") or "")
    if not key:
        return "(no copy of this letter was kept)"
    import email
    import email.policy

    from complaints.bootstrap import raw_mail

    try:
        sent = email.message_from_bytes(raw_mail().get(key), policy=email.policy.default)
        body = sent.get_body(preferencelist=("plain",))
        text = str(body.get_content()) if body is not None else ""
    except Exception as exc:  # a copy missing or unreadable: say so, show the rest
        return f"(the copy as sent, {key}, could not be read: {type(exc).__name__})"
    return printable(text) or "(the letter has no text part)"


# C0 and C1 controls but tab and newline, and the bidirectional overrides: a resident's text
# must not move the cursor, recolour the terminal or reorder what staff read
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    return _UNPRINTABLE.sub("\ufffd", text.replace("\r\n", "\n"))


def _list(args: argparse.Namespace) -> int:
    from datetime import UTC

    from complaints.bootstrap import clock, store
    from complaints.config import settings
    from complaints.domain.calendar import london_date
    from complaints.domain.digest import DueStep, next_due

    s = store()
    if args.due_before:
        references = s.due_before(settings().landlord, args.due_before)
    else:
        references = list(s.all_references())
    cases = [c for c in (s.load(r) for r in references) if c is not None]
    if args.status:
        cases = [c for c in cases if c.status == args.status]
    if args.handler:
        cases = [c for c in cases if c.handler == args.handler.strip().lower()]
    today = london_date(datetime.now(UTC))
    steps: dict[str, DueStep | None] = {}
    for c in cases:
        try:
            policy = clock().policy(c.policy)
            steps[c.reference] = next_due(c, policy, clock().calendar_for(policy), today)
        except ValueError:  # a preset since removed: listed, with no next step to show
            steps[c.reference] = None
    if args.overdue:
        cases = [c for c in cases if (step := steps[c.reference]) is not None and step.overdue]
    cases.sort(key=lambda c: c.reference)
    if args.json:
        out = []
        for c in cases:
            step = steps[c.reference]
            out.append({**c.to_json(with_timeline=False),
                        "next_step": step.to_json() if step is not None else None,
                        "overdue": step is not None and step.overdue})
        print(json.dumps(out, indent=2))
    else:
        for c in cases:
            step = steps[c.reference]
            if step is None:
                due = "no step due"
            else:
                due = (f"{step.step} by {step.due}{' (extended)' if step.extended else ''}  "
                       + (f"OVERDUE {step.working_days_late}wd" if step.overdue
                          else f"{step.working_days_left}wd left"))
            flags = f"  [{', '.join(sorted(c.flags))}]" if c.flags else ""
            print(f"{c.reference}  {c.status:<12} stage {c.stage}  {due}  "
                  f"{c.handler or '(unassigned)'}  {c.resident}{flags}")
    return 0


def _act(args: argparse.Namespace) -> int:
    """The CLI issues the same commands as a staff reply (staff acting on the landlord's side:
    whoever can run this has the landlord's credentials, so no DMARC check applies)."""
    import uuid
    from datetime import UTC

    from complaints.bootstrap import mailroom
    from complaints.domain.calendar import london_date
    from complaints.domain.commands import Note, Preview
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
    previewed = any(isinstance(x, Preview) for x in reply.to_run)  # nothing was recorded
    if args.at is not None and not previewed and any(r.done for r in results):
        # the record says when it was made
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
        digest = report.get("digest")
        if digest:
            went = [r["to"] for r in digest.get("recipients", []) if r.get("status") == "sent"]
            print(f"  digest for {digest['day']}: {digest['status']}"
                  + (f" to {', '.join(went)}" if went else ""))
        for e in report["errors"]:
            print(f"  {e.get('reference') or 'digest to ' + str(e.get('digest') or '')}  "
                  f"ERROR {e['error']}")
    return 1 if report["errors"] else 0


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


# the command names main() dispatches to this module
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "show": _show,
    "list": _list,
    "act": _act,
    "sweep": _sweep,
    "residents": _residents,
}
