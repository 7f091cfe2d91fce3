"""The web form over HTTP on the local stack: the same handler and HTTP API v2 events as in AWS.

Given `complaints local up`, when a resident (or an attacker) talks HTTP to its address, then
the case, the outbox and the raw store say exactly what happened: a valid form is one case with
its receipt letter, and every hostile or broken post is a clear 4xx page with nothing stored.
"""

from __future__ import annotations

import email
import email.policy
import html
import http.client
import json
import re
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests import bad_documents
from tests.e2e.test_local_stack import Stack, started

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
       b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92"
       b"\xef\x00\x00\x00\x00IEND\xaeB`\x82")
SCRIPT = "<script>alert('x')</script>"
_sources = iter(range(2, 250))


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def cookie(self) -> str:
        for value in self.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            if name == "complaints_form":
                return rest.split(";")[0]
        return ""


class Browserless:
    """An HTTP client with its own cookie and source address (the rate limit is per address)."""

    def __init__(self, port: int, source: str | None = None) -> None:
        self.port = port
        self.source = source or f"127.0.{next(_sources)}.1"
        self.cookie = ""

    def request(self, method: str, path: str, body: bytes = b"",
                headers: dict[str, str] | None = None) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60,
                                          source_address=(self.source, 0))
        sent = dict(headers or {})
        if self.cookie and "Cookie" not in sent:
            sent["Cookie"] = f"complaints_form={self.cookie}"
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        reply = Reply(response.status, response.headers, response.read())
        conn.close()
        if reply.cookie():
            self.cookie = reply.cookie()
        return reply

    def form(self) -> str:
        page = self.request("GET", "/complaint")
        assert page.status == 200
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found
        return found.group(1)

    def post(self, fields: dict[str, str], token: str | None = None,
             content_type: str = "application/x-www-form-urlencoded") -> Reply:
        token = self.form() if token is None else token
        body = urllib.parse.urlencode({**fields, "csrf": token} if token else fields).encode()
        return self.request("POST", "/complaint", body, {"Content-Type": content_type})


_residents = iter(range(1, 10_000))


def valid(**changes: str) -> dict[str, str]:
    """A complete form from a resident of their own (letters to one address are limited)."""
    fields = {"full-name": "Jo Bloggs", "email": f"jo.bloggs{next(_residents)}@example.org",
              "phone": "",
              "postal-address": "", "contact-preference": "email",
              "property-address": "Flat 2, 1 High Street, Leeds", "property-postcode": "LS1 4AP",
              "what-happened": "The bathroom ceiling has leaked since 2 October. Three repair "
                               "appointments were missed.",
              "outcome-sought": "Fix the leak and repaint the ceiling.", "on-behalf": "myself",
              "support-needs": "", "website": ""}
    fields.update(changes)
    return fields


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = started(tmp_path_factory, "webform", COMPLAINTS_FORM_POSTS_PER_HOUR="12")
    yield running
    running.stop()


def cases(stack: Stack) -> list[dict[str, Any]]:
    return list(stack.cli("list", "--json"))


def submissions(stack: Stack) -> list[Path]:
    return sorted((stack.data_dir / "mail" / "webform").glob("*.json"))


def sent(stack: Stack, client: Browserless, fields: dict[str, str]) -> tuple[str, str]:
    """Post a valid form; (reference, confirmation path)."""
    reply = client.post(fields)
    assert reply.status == 303, reply.text
    location = reply.headers["Location"]
    assert location.startswith("/complaint/sent?c=")
    page = client.request("GET", location)
    assert page.status == 200
    found = re.search(r'class="reference">(CMP-\d{4}-\d{6})<', page.text)
    assert found, page.text
    return found.group(1), location


def parsed(raw: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def body(message: email.message.EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None, f"no {kind} part"
    return str(part.get_content())


def letter_for(stack: Stack, kind: str, reference: str) -> email.message.EmailMessage:
    found = [m for m in map(parsed, stack.letters(kind)) if reference in str(m["Subject"])]
    assert len(found) == 1, f"{len(found)} {kind} letters for {reference}"
    return found[0]


# --- what a resident sees -----------------------------------------------------------------------


def test_the_form_is_served_with_a_strict_policy_and_a_form_cookie(stack: Stack) -> None:
    client = Browserless(stack.http_port)
    page = client.request("GET", "/complaint")
    assert page.status == 200
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "unsafe" not in csp
    assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-store"
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/;" in cookie
    assert "Max-Age=86400" in cookie  # longer than a form may be open: an old form is known
    assert "<script" not in page.text.lower()
    for name in ("full-name", "email", "phone", "postal-address", "contact-preference",
                 "property-address", "property-postcode", "what-happened", "outcome-sought",
                 "on-behalf", "resident-name", "relationship", "consent", "support-needs"):
        assert f'name="{name}"' in page.text, name
        assert f'for="{name}"' in page.text, f"{name} has no label"
    assert client.request("GET", "/").headers["Location"] == "/complaint"
    css = client.request("GET", "/assets/form.css")
    assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")


def test_a_valid_form_opens_one_case_with_its_clock_and_letters(stack: Stack) -> None:
    client = Browserless(stack.http_port)
    before = len(stack.letters("receipt"))
    reference, location = sent(stack, client, valid(**{"phone": "0113 496 0000"}))
    case = stack.cli("show", reference, "--json")
    assert case["channel"] == "web form" and case["policy"] == "hos-2024"
    assert "nation-to-confirm" not in case["flags"]  # the property postcode decided
    assert case["contact"] == {"email": case["resident"], "phone": "0113 496 0000",
                               "preferred": "email"}
    assert case["resident"].startswith("jo.bloggs")
    assert case["home"] == {"address": "Flat 2, 1 High Street, Leeds", "postcode": "LS1 4AP"}
    assert case["outcome_sought"] == "Fix the leak and repaint the ceiling."
    page = client.request("GET", location).text
    for day in (case["deadlines"]["acknowledge_by"], case["deadlines"]["respond_by"]):
        from datetime import date

        d = date.fromisoformat(day)
        assert f"{d:%A} {d.day} {d:%B %Y}" in page  # the clock's dates, on the page
    receipt = letter_for(stack, "receipt", reference)
    assert receipt["To"].addresses[0].addr_spec == case["resident"]
    assert "Fix the leak and repaint the ceiling." in body(receipt, "plain")
    assert len(stack.letters("receipt")) == before + 1
    notice = letter_for(stack, "staff_new_case", reference)
    text = body(notice, "plain")
    assert "web form" in text and "0113 496 0000" in text and "LS1 4AP" in text
    attached = [p for p in notice.iter_attachments() if p.get_filename() == "web-form.json"]
    assert attached and json.loads(attached[0].get_content())["fields"]["full-name"] == "Jo Bloggs"


def test_a_resident_naming_the_ombudsman_still_gets_their_receipt(stack: Stack) -> None:
    """The letter rules judge our words, not the resident's: a Scottish stage 1 letter must not
    signpost the SPSO, but a resident who writes about the SPSO gets their receipt."""
    reference, location = sent(stack, Browserless(stack.http_port), valid(**{
        "property-postcode": "G72 8PG", "full-name": "Ombudsman SPSO",
        "what-happened": "I will go to the Scottish Public Services Ombudsman (SPSO), "
                         "www.spso.org.uk, if this is not fixed not later than Friday.",
        "outcome-sought": "Tell the SPSO. Fix it not later than Friday."}))
    case = stack.cli("show", reference, "--json")
    receipt = next(x for x in case["letters"] if x["kind"] == "receipt")
    assert (case["policy"], receipt["status"]) == ("spso-mchp", "sent"), receipt
    text = body(letter_for(stack, "receipt", reference), "plain")
    assert "www.spso.org.uk" in text and text.count("Tell the SPSO.") == 1
    assert "We have sent a copy of this to" in Browserless(stack.http_port).request(
        "GET", location).text


def test_two_tabs_are_two_complaints(stack: Stack) -> None:
    client = Browserless(stack.http_port)
    first, second = client.form(), client.form()  # one browser cookie, two forms
    before = len(cases(stack))
    assert client.post(valid(), token=first).status == 303
    assert client.post(valid(**{"what-happened": "A second matter."}), token=second).status == 303
    assert len(cases(stack)) == before + 2


def test_the_property_postcode_decides_the_nation(stack: Stack) -> None:
    client = Browserless(stack.http_port)
    scottish, _ = sent(stack, client, valid(**{"property-postcode": "eh1 1yz"}))
    case = stack.cli("show", scottish, "--json")
    assert (case["policy"], case["nation"]) == ("spso-mchp", "scotland")
    assert "nation-to-confirm" not in case["flags"]
    welsh, _ = sent(stack, Browserless(stack.http_port), valid(**{"property-postcode": "CF10 1AA"}))
    case = stack.cli("show", welsh, "--json")
    assert case["policy"] == "hos-2024" and "nation-to-confirm" in case["flags"]
    assert any("wales" in e["detail"] for e in case["timeline"] if e["event"] == "flagged")


def test_a_representative_complaint_records_the_consent(stack: Stack) -> None:
    reference, _ = sent(stack, Browserless(stack.http_port), valid(**{
        "on-behalf": "someone-else", "resident-name": "Pat Bloggs", "relationship": "son",
        "consent": "yes"}))
    case = stack.cli("show", reference, "--json")
    assert case["representative"]["complaining for"] == "Pat Bloggs"
    assert "agreed" in case["representative"]["consent"]
    assert any(e["event"] == "representative" for e in case["timeline"])


def test_without_an_email_the_receipt_is_kept_for_post_and_the_page_says_so(stack: Stack) -> None:
    client = Browserless(stack.http_port)
    reference, location = sent(stack, client, valid(**{
        "email": "", "contact-preference": "post", "postal-address": "1 High Street\nLeeds"}))
    case = stack.cli("show", reference, "--json")
    receipt = next(x for x in case["letters"] if x["kind"] == "receipt")
    assert receipt["status"] == "held" and "by post" in receipt["error"]
    assert not [m for m in map(parsed, stack.letters("receipt")) if reference in str(m["Subject"])]
    assert "write down your reference" in client.request("GET", location).text


# --- errors a resident makes --------------------------------------------------------------------


def test_errors_are_summarised_at_the_top_linked_to_fields_and_keep_what_was_typed(
        stack: Stack) -> None:
    client = Browserless(stack.http_port)
    before = (len(cases(stack)), len(submissions(stack)))
    reply = client.post(valid(**{"full-name": "", "email": "not-an-email", "what-happened": "",
                                 "outcome-sought": f"Keep this {SCRIPT}"}))
    assert reply.status == 400
    page = reply.text
    assert page.index("There is a problem") < page.index("<h1")
    for field, message in (("full-name", "Enter your full name"),
                           ("email", "Enter an email address in the correct format"),
                           ("what-happened", "Enter what went wrong")):
        assert f'<a href="#{field}">{message}' in page
        assert f'id="{field}-error"' in page
        assert re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error', page) or \
            f'aria-describedby="{field}-error"' in page
    assert "<title>Error: " in page
    assert 'value="not-an-email"' in page
    assert "Keep this &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert SCRIPT not in page
    assert (len(cases(stack)), len(submissions(stack))) == before


# --- hostile posts: a clear 4xx, nothing stored ------------------------------------------------


def test_a_script_in_every_field_is_text_in_every_page_and_letter(stack: Stack) -> None:
    client = Browserless(stack.http_port)
    fields = valid(**{name: f"{name} {SCRIPT}" for name in (
        "full-name", "property-address", "what-happened", "outcome-sought", "support-needs")})
    reference, location = sent(stack, client, fields)
    page = client.request("GET", location).text
    assert "<script" not in page.lower()
    for kind in ("receipt", "staff_new_case"):
        letter = letter_for(stack, kind, reference)
        html = body(letter, "html")
        assert "<script" not in html.lower(), kind
        assert "&lt;script&gt;" in html, kind
    case = stack.cli("show", reference, "--json")
    assert case["outcome_sought"] == f"outcome-sought {SCRIPT}"  # kept exactly as typed


@pytest.mark.parametrize("change, status, words", [
    ({"what-happened": "x" * 10_001}, 400, "What went wrong must be 10,000 characters or fewer"),
    ({"full-name": "n" * 201}, 400, "Full name must be 200 characters or fewer"),
    ({"website": "http://spam.example"}, 400, "people leave empty"),
    ({"surprise": "field"}, 400, "a field we did not ask for"),
])
def test_bad_fields_are_refused_and_nothing_is_stored(stack: Stack, change: dict[str, str],
                                                      status: int, words: str) -> None:
    before = (len(cases(stack)), len(submissions(stack)))
    reply = Browserless(stack.http_port).post(valid(**change))
    assert reply.status == status and words in reply.text
    assert "Traceback" not in reply.text
    assert (len(cases(stack)), len(submissions(stack))) == before


def test_broken_bodies_and_wrong_types_get_a_clear_4xx(stack: Stack) -> None:
    client = Browserless(stack.http_port)
    before = (len(cases(stack)), len(submissions(stack)))
    token = client.form()
    good = urllib.parse.urlencode({**valid(), "csrf": token}).encode()
    for raw, content_type, status in (
            (good, "application/json", 415),
            (good, "multipart/form-data; boundary=x", 415),
            (good, "text/plain", 415),
            (good + b"&what-happened=again", "application/x-www-form-urlencoded", 400),
            (good.replace(b"Jo+Bloggs", b"Jo%FF%FEBloggs"), "application/x-www-form-urlencoded", 400),
            (good.replace(b"Jo+Bloggs", "Jö Bloggs".encode()), "application/x-www-form-urlencoded",
             400),
            (good + b"&website=" + b"x" * 70_000, "application/x-www-form-urlencoded", 400)):
        reply = client.request("POST", "/complaint", raw, {"Content-Type": content_type})
        assert reply.status == status, (content_type, raw[-40:], reply.text[:300])
        assert reply.headers["Content-Type"].startswith("text/html")
        assert "has not been sent" in reply.text and "Traceback" not in reply.text
    # 11 MB announced: refused from the headers, the body never read (a client sending it all
    # would find the connection closed, so this one sends the headers and reads the answer)
    with socket.create_connection(("127.0.0.1", stack.http_port), timeout=30) as sock:
        sock.sendall(b"POST /complaint HTTP/1.1\r\nHost: x\r\nContent-Type: application/"
                     b"x-www-form-urlencoded\r\nContent-Length: 11534336\r\n\r\na=b")
        assert sock.recv(4096).startswith(b"HTTP/1.1 413 ")
    assert (len(cases(stack)), len(submissions(stack))) == before


def test_posts_without_a_good_token_are_forbidden(stack: Stack) -> None:
    before = (len(cases(stack)), len(submissions(stack)))
    attacker, victim = Browserless(stack.http_port), Browserless(stack.http_port)
    theirs = attacker.form()
    victim.form()
    forged = theirs.rsplit(".", 1)[0] + ".0123456789abcdef0123456789abcdef01234567"
    for client, token in ((Browserless(stack.http_port), ""),  # no token, no cookie
                          (victim, ""),  # the cookie but no token
                          (victim, theirs),  # another browser's token (cross-site)
                          (attacker, forged)):  # a token we never signed
        reply = client.post(valid(), token=token)
        assert reply.status == 403, reply.text[:300]
        assert "has not been sent" in reply.text
    cookieless = Browserless(stack.http_port)
    token = cookieless.form()
    cookieless.cookie = ""
    reply = cookieless.request("POST", "/complaint", urllib.parse.urlencode(
        {**valid(), "csrf": token}).encode(), {"Content-Type": "application/x-www-form-urlencoded",
                                               "Cookie": "other=1"})
    assert reply.status == 403 and "cookie" in reply.text
    assert (len(cases(stack)), len(submissions(stack))) == before


def test_a_replayed_form_is_refused_and_makes_no_second_case(stack: Stack) -> None:
    client = Browserless(stack.http_port)
    token = client.form()
    first = client.post(valid(), token=token)
    assert first.status == 303
    before = (len(cases(stack)), len(stack.letters("receipt")))
    again = client.post(valid(**{"what-happened": "Something else entirely"}), token=token)
    assert again.status == 409 and "already been sent" in again.text
    assert first.headers["Location"].split("?")[0] in again.text  # back to their confirmation
    assert (len(cases(stack)), len(stack.letters("receipt"))) == before


def test_a_double_click_sends_one_complaint(stack: Stack) -> None:
    """Three posts of one form at once, each a little different (a resident who edits and
    clicks again): one case, and the submission kept with it is the one that made it."""
    client = Browserless(stack.http_port)
    token = client.form()
    before = {c["reference"] for c in cases(stack)}
    replies: list[Reply] = []

    def go(n: int) -> None:
        replies.append(client.post(valid(**{"what-happened": f"Attempt {n}: the roof leaks."}),
                                   token=token))

    threads = [threading.Thread(target=go, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in replies) == [303, 409, 409], [r.text[:200] for r in replies]
    (reference,) = {c["reference"] for c in cases(stack)} - before
    subject = stack.cli("show", reference, "--json")["subject"]
    notice = letter_for(stack, "staff_new_case", reference)
    kept = next(p for p in notice.iter_attachments() if p.get_filename() == "web-form.json")
    assert json.loads(kept.get_content())["fields"]["what-happened"] == subject


def test_one_address_is_limited_per_hour_and_keeps_what_was_typed(stack: Stack) -> None:
    """Complaints opened count (12 an hour here); slips and refused posts do not, so no web
    page can lock a shared address out by making its visitors post junk."""
    client = Browserless(stack.http_port)  # its own source address
    assert [client.post(valid(**{"what-happened": ""})).status for _ in range(15)] == [400] * 15
    assert [client.post(valid(website="x")).status for _ in range(6)] == [400] * 6
    assert [client.post(valid(), token="").status for _ in range(6)] == [403] * 6
    assert [client.post(valid()).status for _ in range(12)] == [303] * 12
    before = len(cases(stack))
    limited = client.post(valid(**{"what-happened": "My thirteenth complaint, kept."}))
    assert limited.status == 429 and limited.headers["Retry-After"] == "3600"
    assert "has not been sent yet" in limited.text
    assert "My thirteenth complaint, kept." in limited.text
    assert len(cases(stack)) == before
    assert Browserless(stack.http_port).post(valid()).status == 303  # others are not held up


def test_concurrent_posts_cannot_race_past_the_limit(stack: Stack) -> None:
    client = Browserless(stack.http_port)
    tokens = [client.form() for _ in range(20)]
    replies: list[Reply] = []

    def go(token: str) -> None:
        replies.append(client.post(valid(), token=token))

    threads = [threading.Thread(target=go, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in replies) == [303] * 12 + [429] * 8


def test_unknown_pages_are_html_404s(stack: Stack) -> None:
    client = Browserless(stack.http_port)
    for method, path, status in (("GET", "/admin", 404),
                                 ("GET", "/complaint/../../etc/passwd", 404),
                                 ("DELETE", "/complaint", 405), ("PUT", "/complaint", 405),
                                 ("TRACE", "/complaint", 405), ("POST", "/complaint/sent", 405)):
        reply = client.request(method, path)
        assert reply.status == status, (method, path, reply.status)
        assert "Traceback" not in reply.text and reply.headers["Content-Security-Policy"]
        if status == 405:
            assert reply.headers["Allow"] in ("GET", "GET, POST")
    expired = client.request("GET", "/complaint/sent?c=CMP-2026-000001.1.abc")
    assert expired.status == 403 and "no longer available" in expired.text


# --- files ----------------------------------------------------------------------------------


def upload_form(page: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'<form method="post" action="([^"]+)" enctype="multipart/form-data">', page)
    assert action, "no upload form"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    import html

    return html.unescape(action.group(1)), {k: html.unescape(v) for k, v in fields.items()}


def multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "----complaints-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{filename}"\r\nContent-Type: image/png\r\n\r\n'.encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(client: Browserless, location: str, filename: str, data: bytes,
           tamper: dict[str, str] | None = None) -> Reply:
    url, fields = upload_form(client.request("GET", location).text)
    body, content_type = multipart({**fields, **(tamper or {})}, filename, data)
    path = urllib.parse.urlsplit(url).path
    reply = client.request("POST", path, body, {"Content-Type": content_type})
    if reply.status != 303:
        return reply
    back = urllib.parse.urlsplit(reply.headers["Location"])
    return client.request("GET", f"{back.path}?{back.query}")


def test_a_photo_is_uploaded_to_the_data_dir_and_put_on_the_case(stack: Stack) -> None:
    client = Browserless(stack.http_port)
    reference, location = sent(stack, client, valid())
    done = upload(client, location, "ceiling photo.png", PNG)
    assert done.status == 303 and "#files" in done.headers["Location"]
    page = client.request("GET", done.headers["Location"].split("#")[0]).text
    assert "ceiling_photo.png" in page
    case = stack.cli("show", reference, "--json")
    assert any(e["event"] == "file added" and "image/png" in e["detail"] for e in case["timeline"])
    kept = list((stack.data_dir / "mail" / "webform" / reference / "files").iterdir())
    assert [p.read_bytes() for p in kept] == [PNG]
    assert not list((stack.data_dir / "mail" / "uploads" / reference).rglob("*.png"))
    again = client.request("GET", done.headers["Location"].split("#")[0])
    assert again.text.count("ceiling_photo.png") == 1
    for name in ("mould...png", "Foto Küche.png", "ceiling copy.png"):  # the same bytes too
        assert upload(client, location, name, PNG).status == 303, name
    page = client.request("GET", location).text
    for shown in ("mould...png", "Foto_Küche.png", "ceiling_copy.png"):
        assert shown in page, shown
    assert upload(client, location, "poly.html", b"GIF89a<script>alert(1)</script>").status == 303
    kept_names = {p.name.split("-", 1)[1] for p in (
        stack.data_dir / "mail" / "webform" / reference / "files").iterdir()}
    assert "poly_html.gif" in kept_names and "poly.html" not in kept_names  # named by its bytes
    empty = upload(client, location, "empty.png", b"")
    assert empty.status == 400 and "the file is empty" in empty.text
    assert "/complaint/sent?c=" in empty.text  # a way back to the complaint


def test_disguised_oversized_and_misdirected_uploads_are_refused(stack: Stack) -> None:
    client = Browserless(stack.http_port)
    reference, location = sent(stack, client, valid())
    other, _ = sent(stack, Browserless(stack.http_port), valid())
    disguised = upload(client, location, "photo.png", b"<html><script>alert(1)</script></html>")
    assert disguised.status == 400 and "must be a JPG, PNG" in disguised.text
    too_big = upload(client, location, "big.png", PNG + b"\0" * (10 * 1024 * 1024))
    assert too_big.status == 400 and "EntityTooLarge" in too_big.text
    elsewhere = upload(client, location, "photo.png", PNG,
                       tamper={"key": f"uploads/{other}/x/${{filename}}"})
    assert elsewhere.status == 403
    token = location.split("c=", 1)[1]
    stolen = client.request("GET", f"/complaint/files?c={token}&key=uploads/{other}/x/photo.png")
    assert stolen.status == 400
    # a signed prefix then a walk out of it: an S3 key is a name, so here it is refused
    url, fields = upload_form(client.request("GET", location).text)
    prefix = fields["key"].replace("${filename}", "")
    walk = f"{prefix}../../../webform/{reference}/files/${{filename}}"
    body, content_type = multipart({**fields, "key": walk}, "planted.png", PNG)
    walked = client.request("POST", urllib.parse.urlsplit(url).path, body,
                            {"Content-Type": content_type})
    assert walked.status == 400 and "'..' part" in html.unescape(walked.text)
    assert str(stack.data_dir) not in walked.text  # no path of this machine is shown
    # a key with a NUL in it is a 400 that says what to do, not a 500
    nul = client.request("GET", f"/complaint/files?c={token}&key=uploads/{reference}/x/%00")
    assert nul.status == 400 and "upload it again" in nul.text
    for ref in (reference, other):
        case = stack.cli("show", ref, "--json")
        assert not [e for e in case["timeline"] if e["event"] == "file added"]
    assert not list((stack.data_dir / "mail" / "uploads").rglob("*.*"))
    assert not (stack.data_dir / "mail" / "webform" / reference).exists()


def test_damaged_documents_and_html_as_text_are_refused_and_not_left_behind(stack: Stack) -> None:
    """Issue 18: a zip whose part is not deflate data was a 500 (zlib.error) with the upload
    left in the store; an unknown tag with a handler passed as .txt. Each is a 400 that says
    why, and nothing of it stays."""
    client = Browserless(stack.http_port)
    reference, location = sent(stack, client, valid())
    for name, data in (("letter.odt", bad_documents.bad_deflate("odt")),
                       ("letter.docx", bad_documents.bad_deflate("docx")),
                       ("letter.docx", bad_documents.bad_later_part("docx"))):
        refused = upload(client, location, name, data)
        assert refused.status == 400 and "could not be read" in refused.text, (name, refused.text)
        assert upload_form(refused.text)  # the confirmation page again, to upload another
    for text in (b"<marquee onstart=alert(1)>", b"<select autofocus onfocus=alert(1)>",
                 b"<xss onpointerover=alert(1)>hover"):
        refused = upload(client, location, "notes.txt", b"Dear sir,\n" + text)
        assert refused.status == 400 and "web page code" in refused.text, text
        assert "<p>" not in refused.text.split("web page code", 1)[1][:80]  # shown as text
    kept = upload(client, location, "notes.txt", b"From <Jo Bloggs> <jo@example.org>: "
                  b"I paid <\xc2\xa350> and 3 < 5")
    assert kept.status == 303
    case = stack.cli("show", reference, "--json")
    assert [e["detail"].split(":", 1)[1].split(" (")[0].strip()
            for e in case["timeline"] if e["event"] == "file added"] == ["notes.txt"]
    assert not list((stack.data_dir / "mail" / "uploads" / reference).rglob("*.*"))
    kept_files = list((stack.data_dir / "mail" / "webform" / reference / "files").iterdir())
    assert [p.name.split("-", 1)[1] for p in kept_files] == ["notes.txt"]


def test_a_second_file_under_one_name_replaces_the_first_as_s3_does(stack: Stack) -> None:
    """Two files named alike through one upload form: the store keeps the second (as S3
    does); going back with the first's link adds nothing, the second's adds the second."""
    client = Browserless(stack.http_port)
    reference, location = sent(stack, client, valid())
    url, fields = upload_form(client.request("GET", location).text)
    backs = []
    for data in (PNG + b"first", PNG + b"second"):
        body, content_type = multipart(fields, "same.png", data)
        reply = client.request("POST", urllib.parse.urlsplit(url).path, body,
                               {"Content-Type": content_type})
        assert reply.status == 303
        backs.append(urllib.parse.urlsplit(reply.headers["Location"]))
    first = client.request("GET", f"{backs[0].path}?{backs[0].query}")
    assert first.status == 400 and "Another file was uploaded with the same name" in first.text
    second = client.request("GET", f"{backs[1].path}?{backs[1].query}")
    assert second.status == 303
    kept = list((stack.data_dir / "mail" / "webform" / reference / "files").iterdir())
    assert [p.read_bytes() for p in kept] == [PNG + b"second"]
