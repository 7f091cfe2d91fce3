"""The mail commands: parse, ingest, quarantine, redrive and check-letter."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from complaints.cli.errors import EXIT_USAGE, CliError
from complaints.domain.policy import PolicyError


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


# the command names main() dispatches to this module
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "parse": _parse,
    "ingest": _ingest,
    "quarantine": _quarantine,
    "redrive": _redrive,
    "check-letter": _check_letter,
}
