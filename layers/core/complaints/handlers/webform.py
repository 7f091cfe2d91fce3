"""HTTP API (payload v2) -> the web form. Locally, the same handler behind the local stack's
HTTP server, which builds the same events.

Routes: GET / and GET /complaint (the form), POST /complaint (a submission), GET
/complaint/sent (the confirmation), GET /complaint/files (back from a file upload), GET
/assets/form.css. Every response carries a strict Content-Security-Policy (no script at all)
and is never cached; anything unexpected is a plain error page, never a stack trace.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from complaints.bootstrap import parts, webform
from complaints.config import settings
from complaints.handlers.observability import (
    FORM_COMPLAINTS,
    FORM_REFUSED,
    count,
    count_letters,
    failure,
    logger,
    metrics,
)
from complaints.service.webform import Page
from complaints.web import pages

app = APIGatewayHttpResolver()
HTML = "text/html; charset=utf-8"
# what each path answers (anything else on these paths is a 405)
ROUTES = {"/": "GET", "/complaint": "GET, POST", "/complaint/sent": "GET",
          "/complaint/files": "GET", "/assets/form.css": "GET"}


def _cookie_name() -> str:
    # over https the __Host- prefix: a browser takes it only from this host, Secure, Path=/,
    # so no sibling subdomain can plant one (plain http locally cannot use it)
    return "__Host-complaints_form" if _https() else "complaints_form"


def _headers(upload_url: str = "") -> dict[str, str]:
    form_action = "'self'"
    if upload_url:
        parts = urlsplit(upload_url)
        form_action += f" {parts.scheme}://{parts.netloc}"
    return {
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'self'; img-src 'self'; "
            f"form-action {form_action}; base-uri 'none'; frame-ancestors 'none'"),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }


def _https() -> bool:
    return (app.current_event.headers.get("x-forwarded-proto") or "https") == "https"


def _respond(page: Page) -> Response[str]:
    headers = _headers(page.upload_url)
    if _https():
        headers["Strict-Transport-Security"] = "max-age=31536000"
    if page.location:
        headers["Location"] = page.location
    if page.retry_after:
        headers["Retry-After"] = str(page.retry_after)
    # a day: longer than a form may be open, so an expired form is recognised as this browser's
    cookies = [Cookie(_cookie_name(), page.cookie, path="/", secure=_https(), http_only=True,
                      max_age=24 * 3600, same_site=SameSite.STRICT_MODE)] if page.cookie else None
    return Response(page.status, HTML if page.html else None, page.html or "", headers, cookies)


def _cookie() -> str:
    for pair in app.current_event.cookies or []:
        name, _, value = pair.strip().partition("=")
        if name == _cookie_name():
            return value
    return ""


def _base_url() -> str:
    scheme = "https" if _https() else "http"
    return f"{scheme}://{app.current_event.request_context.domain_name}"


@app.get("/")
def home() -> Response[str]:
    return _respond(Page(303, location="/complaint"))


@app.get("/complaint")
def blank() -> Response[str]:
    return _respond(webform().blank(datetime.now(UTC), _cookie()))


@app.post("/complaint")
def submit() -> Response[str]:
    form = webform()
    content_type = (app.current_event.headers.get("content-type") or "").split(";")[0].strip()
    if content_type.lower() != "application/x-www-form-urlencoded":
        return _respond(form.problem(415, "We could not read the form", (
            "Your complaint has not been sent: the form arrived in a format we do not accept. "
            "Go back to the form and try again.")))
    event = app.current_event
    try:  # a urlencoded body is ASCII; anything else is refused by the form's parser
        raw = (base64.b64decode(event.body or "", validate=True) if event.is_base64_encoded
               else (event.body or "").encode("utf-8"))
    except ValueError:
        raw = b"\xff"
    page = form.submit(raw, _cookie(), event.request_context.http.source_ip, datetime.now(UTC))
    # a complaint opened is a redirect to its confirmation; a refusal is the form again
    count(FORM_COMPLAINTS if page.status == 303 else FORM_REFUSED)
    count_letters(parts().post.take_counts())
    logger.info("form post", extra={"status": page.status})
    return _respond(page)


@app.get("/complaint/sent")
def sent() -> Response[str]:
    token = app.current_event.get_query_string_value("c", "") or ""
    return _respond(webform().confirmation(token, datetime.now(UTC), _base_url()))


@app.get("/complaint/files")
def files() -> Response[str]:
    event = app.current_event
    return _respond(webform().attach(event.get_query_string_value("c", "") or "",
                                     event.get_query_string_value("key", "") or "",
                                     datetime.now(UTC), _base_url(),
                                     event.get_query_string_value("etag", "") or ""))


@app.get("/assets/form.css")
def stylesheet() -> Response[str]:
    headers = _headers()
    headers["Cache-Control"] = "public, max-age=3600"
    return Response(200, "text/css; charset=utf-8", pages.stylesheet().decode(), headers)


@app.not_found
def not_found(exc: Exception) -> Response[str]:
    allowed = ROUTES.get(app.current_event.path)
    if allowed:
        response = _respond(webform().problem(405, "This page cannot do that", (
            "This address only shows a page or takes the complaint form.")))
        response.headers["Allow"] = allowed
        return response
    return _respond(webform().problem(404, "Page not found", (
        "There is no page at this address. To make a complaint, go to the complaint form.")))


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def failed(exc: Exception) -> Response[str]:
    # the type, where it was raised and the message with any address replaced: a traceback's
    # text can quote what the resident typed
    logger.error("web form failed", extra=failure(exc))
    s = settings()
    posting = app.current_event.path == "/complaint" and app.current_event.http_method == "POST"
    html = pages.problem(s.landlord, s.complaints_address, "Sorry, there is a problem with the service", (
        "Your complaint may not have been sent. Try again later, or email us." if posting else
        "If you sent a complaint, it is safe: we emailed you its reference if you gave us an "
        "address. Try again later, or email us."))
    return Response(500, HTML, html, _headers())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP,
                              clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
