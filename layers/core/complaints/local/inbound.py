"""Inbound SMTP (aiosmtpd): mail for our domain stored like the SES S3 action, with SES's
headers, and handed to the inbound handler with Lambda's retries. A message is answered 250
only once it is handled or held: when every attempt failed, Lambda's invocation record for it
goes to <data>/dead-letters/ (the stand-in for the on-failure queue), which `complaints
redrive` hands to the handler again. When it cannot be stored or held, the answer is 451 and
the sending server tries again later."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from complaints.local.context import LocalContext
from complaints.local.ses import local_dmarc, ses_event, ses_headers

MAX_MESSAGE = 40 * 1024 * 1024  # SES's limit for received mail, headers included
# Waits between attempts at one message (the first try, then one after each): about 15 s in
# all, well within the 10 minutes a sending server waits for the reply to DATA (RFC 5321
# 4.5.3.2.6). Lambda waits 1 and 2 minutes; an SMTP session cannot.
RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


class InboundSmtp:
    """aiosmtpd handler: accept mail for our domain, store it like SES, invoke the handler."""

    def __init__(self, mail_dir: Path, domain: str, prefix: str,
                 invoke: Callable[[dict[str, Any]], Any], log: Callable[[str], None],
                 dead_letters: Path | None = None,
                 delays: tuple[float, ...] = RETRY_DELAYS) -> None:
        self.mail_dir, self.domain, self.prefix = mail_dir, domain, prefix
        self.invoke, self.log, self.delays = invoke, log, delays
        self.dead_letters = dead_letters or mail_dir.parent / "dead-letters"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if not address.lower().endswith("@" + self.domain):
            return f"550 5.1.1 {address}: this server only receives mail for {self.domain}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """250 only when the message is handled, or held as a dead letter for `complaints
        redrive`; 451 (the sender tries again later) when it could be neither."""
        from complaints.handlers.redrive import invocation_record, write_dead_letter

        raw = envelope.original_content or b""
        at = datetime.now(UTC)
        message_id = secrets.token_hex(16)
        peer = session.peer[0] if session.peer else "unknown"
        stored = ses_headers(raw, envelope.mail_from or "", peer, at) + raw
        path = self.mail_dir / self.prefix / message_id
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, _write_durably, path, stored)
        except OSError as exc:
            self.log(f"inbound {message_id}: not stored, answered 451: {exc!r}")
            return "451 4.3.0 the message could not be stored; please try again later"
        event = ses_event(message_id, stored, envelope.mail_from or "", list(envelope.rcpt_tos), at,
                          local_dmarc(raw, envelope.mail_from or ""))
        error: BaseException | None = None
        for attempt, delay in enumerate((*self.delays, None), start=1):
            try:  # Lambda's asynchronous invocation: retried after a failure, with backoff
                result = await loop.run_in_executor(None, self.invoke, event)
                self.log(f"inbound {message_id}: {json.dumps(result)}")
                return f"250 2.0.0 Ok: queued as {message_id}"
            except Exception as exc:
                error = exc
                self.log(f"inbound {message_id}: attempt {attempt} failed: {exc!r}")
            if delay is not None:
                await asyncio.sleep(delay)
        assert error is not None
        record = invocation_record(event, error, len(self.delays) + 1, message_id,
                                   LocalContext.invoked_function_arn)
        try:  # the stand-in for Lambda's on-failure destination
            held = await loop.run_in_executor(None, write_dead_letter, self.dead_letters,
                                              message_id, record)
        except OSError as exc:
            self.log(f"inbound {message_id}: no dead letter written, answered 451: {exc!r}")
            return "451 4.3.0 the message could not be processed; please try again later"
        self.log(f"inbound {message_id}: every attempt failed; held as {held} for "
                 "`complaints redrive`")
        return f"250 2.0.0 Ok: queued as {message_id} (held for redrive)"


def _write_durably(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
