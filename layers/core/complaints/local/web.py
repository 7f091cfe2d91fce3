"""HTTP on 127.0.0.1:8080: the web form's handler with HTTP API v2 events (as API Gateway builds
them), /status, and /_local/upload: the stand-in for S3's browser POST (a presigned POST's
policy checked as S3 would, the file kept in the data dir)."""

from __future__ import annotations

import base64
import email.policy
import html
import json
import secrets
import threading
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from email.parser import BytesParser
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

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
