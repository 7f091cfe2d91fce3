"""The statutory clock's commands: policies, deadlines and workdays. Pure: no store, no
network, and nothing imported that they do not use, so they start fast."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date

from complaints.cli.errors import CliError
from complaints.domain.calendar import CalendarRules


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


# the command names main() dispatches to this module
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "policies": _policies,
    "deadlines": _deadlines,
    "workdays": _workdays,
}
