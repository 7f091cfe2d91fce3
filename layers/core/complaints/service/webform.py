"""The web form: a complaint by form becomes the same `Open` command as one by email.

A post is counted against its address's hourly limit, checked for the honeypot and the form
token (CSRF), refused if its token was used before, then validated field by field. Only a
valid post writes anything: the submission as received (JSON, in the raw store, create-only)
and then the case, in the one transaction that also writes the token's INBOUND marker, so a
form sent twice (a double click, a replay) is one case. Files follow on the confirmation page:
the browser posts them straight to the raw store (an S3 presigned POST; locally, the data
directory), then comes back here to have each one checked and put on the case.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import secrets
import struct
import urllib.parse
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from complaints.domain.case import RESIDENT, Complaint, utc_text
from complaints.domain.commands import Open
from complaints.domain.nation import NationPolicies, choose_for_property
from complaints.service.clock import StatutoryClock
from complaints.service.intake import Intake
from complaints.service.ports import RawMail, WebFormStore
from complaints.service.records import DuplicateDelivery, MessageRecord, RawMailError
from complaints.service.unit_of_work import Change, change_case
from complaints.web import form, pages
from complaints.web.tokens import (
    TokenError,
    check_form_token,
    is_browser_id,
    new_browser_id,
    new_form_token,
    seal,
    unseal,
)

ACCEPT = (".jpg,.jpeg,.png,.gif,.webp,.heic,.heif,.pdf,.doc,.docx,.odt,.txt,"
          "image/jpeg,image/png,image/gif,image/webp,image/heic,application/pdf,text/plain")
MAX_UNPACKED = 100 * 2**20  # a Word or OpenDocument file's parts, all together, unpacked
_ZIP_DOCUMENTS = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                  "odt": "application/vnd.oasis.opendocument.text"}


@dataclass(frozen=True)
class FormConfig:
    landlord: str
    complaints_address: str
    own_addresses: frozenset[str]  # the landlord's mailboxes: never a resident's address
    policies: NationPolicies  # nation -> preset, shared with the mailroom
    posts_per_hour: int = 10  # from one address, valid or not
    token_max_age: timedelta = timedelta(hours=4)  # time to fill the form in
    confirmation_for: timedelta = timedelta(hours=2)  # the confirmation page, and adding files
    max_upload_bytes: int = 10 * 1024 * 1024
    uploads_per_case: int = 10
    # COMPLAINTS_STAFF_DOMAINS (domains and single addresses): never a resident's address
    own_domains: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Page:
    """What the handler sends back: a page, or a redirect; and a new form cookie to set."""

    status: int
    html: str = ""
    location: str = ""
    cookie: str = ""
    upload_url: str = ""  # the page posts files here: the policy must allow it
    retry_after: int = 0


class WebForm:
    def __init__(self, intake: Intake, store: WebFormStore, raw_mail: RawMail, clock: StatutoryClock,
                 config: FormConfig, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the web form's secret must be at least 16 bytes")
        self.intake, self.store, self.raw_mail, self.clock = intake, store, raw_mail, clock
        self.config, self.secret = config, secret

    # --- the form -----------------------------------------------------------------------------

    def blank(self, now: datetime, cookie: str = "") -> Page:
        browser = cookie if is_browser_id(cookie) else new_browser_id()  # tabs share it
        token = new_form_token(self.secret, browser, now)
        return Page(200, self._form(token, {}, {}), cookie=browser)

    def _form(self, token: str, values: dict[str, str], errors: dict[str, str]) -> str:
        return pages.form(self.config.landlord, self.config.complaints_address, token, values,
                          errors, self._anonymous_allowed())

    def _anonymous_allowed(self, policy: str | None = None) -> bool:
        ids = [policy] if policy else self.config.policies.presets(self._default_nation())
        return any(self.clock.presets.get(p).anonymous.accepted for p in ids)

    def _default_nation(self) -> str:
        return self.clock.presets.get(self.config.policies.default).nation

    def problem(self, status: int, title: str, message: str, confirmation: str = "",
                retry_after: int = 0) -> Page:
        return Page(status, pages.problem(self.config.landlord, self.config.complaints_address,
                                          title, message, confirmation), retry_after=retry_after)

    def _check(self, fields: dict[str, str], anonymous_allowed: bool = True) -> form.Checked:
        return form.check(fields, anonymous_allowed, self.config.own_addresses,
                          self.config.own_domains)

    def submit(self, body: bytes, cookie: str, client: str, now: datetime) -> Page:
        """Only complaints about to be opened count against the address's hourly limit, each
        counted atomically before it is stored (concurrent posts cannot slip past it). Refused
        posts cost nothing kept, and counting them would let any web page lock a shared
        address out by making its visitors' browsers post junk."""
        client_key = "form-post#" + hashlib.sha256(client.encode()).hexdigest()[:24]

        try:
            fields, token, honeypot = form.parse_body(body)
        except form.BadPost as exc:
            return self.problem(400, "We could not read the form", (
                f"Your complaint has not been sent: {exc}. Go back to the form and try again."))
        if honeypot:
            return self.problem(400, "We could not accept the form", (
                "Your complaint has not been sent: the form had a field filled in that people "
                "leave empty. If you are a person, go back to the form and try again."))
        try:
            nonce = check_form_token(self.secret, token, cookie, now, self.config.token_max_age)
        except TokenError as exc:
            if "expired" in str(exc):  # ours, for this browser, just old: keep what they typed
                checked = self._check(fields)
                return Page(400, self._form(new_form_token(self.secret, cookie, now),
                                            checked.values, {"form": (
                                                "The form expired for your security. Check your "
                                                "answers and send it again.")}), cookie=cookie)
            return self.problem(403, "Your complaint has not been sent", (
                f"For your security the form could not be checked: {exc}. Go back to the form, "
                "reload it and send it again. Your browser must accept this site's cookie."))
        key = f"form-{nonce}"
        if self.store.inbound(key) is not None:
            return self._already_sent(key, now)
        checked = self._check(fields, self._anonymous_allowed())
        submission = checked.submission
        choice = None
        if submission is not None:
            choice = choose_for_property(submission.postcode, self.config.policies,
                                         self._default_nation())
            if submission.anonymous and not self._anonymous_allowed(choice.policy):
                checked.errors["anonymous"] = (
                    "We cannot take anonymous complaints about a home in this area: give your "
                    "name and a way to contact you")
        if submission is None or choice is None or checked.errors:
            return Page(400, self._form(token, checked.values, checked.errors))
        if self.store.count_recent_attempt(client_key, now) > self.config.posts_per_hour:
            self.store.uncount_attempt(client_key, now)  # the limit counts complaints opened
            # the form again, with what they typed: nothing is lost
            return Page(429, self._form(token, checked.values, {"form": (
                f"{self.config.posts_per_hour} complaints have been sent from your connection "
                "in the last hour, which is our limit. Your complaint has not been sent yet: "
                "keep this page open and send it again in an hour, or email it to "
                f"{self.config.complaints_address}.")}), retry_after=3600)
        received = json.dumps({"received_at": utc_text(now), "fields": checked.values},
                              ensure_ascii=False, indent=2).encode()
        # named by its content too: of two posts of one token at once, each keeps its own
        # copy, and the case points at the one that won
        raw_key = f"webform/{nonce}-{hashlib.sha256(received).hexdigest()[:16]}.json"
        self.raw_mail.put(raw_key, received, "application/json")
        command = _command(submission, key, now, choice.policy, choice.reason, choice.to_confirm)
        record = MessageRecord("in", key, now, submission.email,
                               (self.config.complaints_address,), command.subject, raw_key, "",
                               "web form", (), _written(submission))
        try:
            case = self.intake.open(command, key, record, now, raw_key=raw_key)
        except DuplicateDelivery:  # the same form sent twice at once: the other one won
            return self._already_sent(key, now)
        return Page(303, location=self._confirmation_url(case.reference, now))

    def _already_sent(self, key: str, now: datetime) -> Page:
        earlier = self.store.inbound(key) or {}
        reference = str(earlier.get("reference") or "")
        case = self.store.load(reference) if reference else None
        # the post carried this browser's cookie and our signed token: it is the same browser,
        # shown its confirmation for what is left of the time it was given then (a replay
        # does not make the link last longer)
        link = ""
        if case is not None and case.received_at + self.config.confirmation_for > now:
            link = self._confirmation_url(reference, case.received_at)
        return self.problem(409, "This form has already been sent", (
            "We received this form before and opened a complaint for it, so we have not opened "
            "another. To make a new complaint, start the form again."), confirmation=link)

    def _confirmation_url(self, reference: str, now: datetime) -> str:
        token = seal(self.secret, "sent", reference, now + self.config.confirmation_for)
        return "/complaint/sent?c=" + urllib.parse.quote(token)

    # --- the confirmation, and files ------------------------------------------------------------

    def confirmation(self, token: str, now: datetime, base_url: str, error: str = "") -> Page:
        try:
            reference = unseal(self.secret, "sent", token, now)
            until = datetime.fromtimestamp(int(token.split(".")[1]), UTC)
        except TokenError as exc:
            return self.problem(403, "This page is no longer available", (
                f"{exc}. Your complaint is safe: we emailed you its reference if you gave us "
                "an address."))
        case = self.store.load(reference)
        if case is None or case.deadlines is None:
            return self.problem(404, "Complaint not found", "We cannot find this complaint.")
        files = self._files(reference)
        upload: dict[str, Any] | None = None
        if len(files) < self.config.uploads_per_case and until - now > timedelta(minutes=5):
            prefix = f"uploads/{reference}/{secrets.token_hex(8)}/"
            redirect = f"{base_url}/complaint/files?c={urllib.parse.quote(token)}"
            try:  # the upload may not outlive the page's link
                post = self.raw_mail.upload_form(prefix, redirect, self.config.max_upload_bytes,
                                                 min(timedelta(hours=1), until - now), now)
                upload = {"url": post.url, "fields": post.fields, "accept": ACCEPT,
                          "max_bytes": self.config.max_upload_bytes,
                          "limit": self.config.uploads_per_case}
            except RawMailError:
                upload = None  # the page says to send files by email instead
        receipt = next((x for x in case.letters.values() if x.kind == "receipt"), None)
        d = case.deadlines
        html = pages.confirmation(
            self.config.landlord, self.config.complaints_address, reference=reference,
            email=case.resident, receipt=receipt.status.value if receipt else "",
            received_on=case.received_on, acknowledge_by=d.acknowledge_by,
            respond_by=case.extended_to or d.respond_by, provisional=d.provisional,
            anonymous=case.anonymous, files=files, upload=upload, upload_error=error)
        return Page(400 if error else 200, html, upload_url=str(upload["url"]) if upload else "")

    def _files(self, reference: str) -> list[dict[str, Any]]:
        return [a for m in self.store.messages(reference) if m.get("verdict") == "web form file"
                for a in m.get("attachments", [])]

    def attach(self, token: str, key: str, now: datetime, base_url: str, etag: str) -> Page:
        """The browser is back from the raw store with a file's key and ETag: check it, keep
        it. The ETag (the file's MD5 for a single-part upload) must be the bytes found there:
        a second file uploaded under the same name would otherwise stand in for the first."""
        try:
            reference = unseal(self.secret, "sent", token, now)
        except TokenError as exc:
            return self.problem(403, "Your file was not added", (
                f"{exc}. To send photos or documents, reply to our email or write to "
                f"{self.config.complaints_address} quoting your reference."))
        parts = key.split("/")
        if (len(key) > 400 or len(parts) != 4 or parts[:2] != ["uploads", reference]
                or any(p in ("", ".", "..") for p in parts) or not key.isprintable()):
            return self.problem(400, "Your file was not added", (
                "The upload could not be found: go back to the confirmation page and upload it "
                "again."), confirmation=f"/complaint/sent?c={urllib.parse.quote(token)}")
        if len(self._files(reference)) >= self.config.uploads_per_case:  # before reading it
            self._discard(key)
            return self.confirmation(token, now, base_url, (
                f"You have already added {self.config.uploads_per_case} files"))
        try:
            data = self.raw_mail.get(key)
        except RawMailError:
            return self.confirmation(token, now, base_url, "The selected file could not be found: "
                                     "upload it again")
        if etag.strip('"') != hashlib.md5(data, usedforsecurity=False).hexdigest():
            return self.confirmation(token, now, base_url, (
                "Another file was uploaded with the same name after the selected file: upload "
                "the selected file again"))
        filename = parts[3]
        try:  # the check boundary: whatever the bytes do to a check, they are refused, not kept
            content_type, problem = check_file(data, filename)
        except Exception:
            content_type, problem = None, UNREADABLE
        if len(data) > self.config.max_upload_bytes or content_type is None:
            self._discard(key)
            return self.confirmation(token, now, base_url, (
                f"The selected file must be smaller than {self.config.max_upload_bytes // 2**20} MB"
                if content_type else problem))
        digest = hashlib.sha256(data).hexdigest()
        safe = typed_name(safe_filename(filename), content_type)
        kept = f"webform/{reference}/files/{digest[:16]}-{safe}"
        self.raw_mail.put(kept, data, content_type)  # evidence: create-only, out of uploads/
        try:  # create-only keeps what was there first: it must be these very bytes
            same = hashlib.sha256(self.raw_mail.get(kept)).hexdigest() == digest
        except RawMailError:
            same = False
        if not same:
            return self.confirmation(token, now, base_url, (
                "The selected file could not be kept: upload it again, or email it to "
                f"{self.config.complaints_address} quoting your reference"))
        entry = {"filename": safe, "content_type": content_type, "size": len(data),
                 "sha256": digest, "key": kept, "note": ""}

        cap = self.config.uploads_per_case

        def apply(case: Complaint) -> Change | None:
            # counted again on the case as loaded for this save: its version check makes two
            # uploads at once take turns, so together they cannot pass the cap
            if sum(t.event == "file added" for t in case.timeline) >= cap:
                return None
            case.record(now, RESIDENT, "file added", (
                f"by the web form: {safe} ({content_type}, {len(data):,} bytes, sha256 "
                f"{digest[:16]}...)"))
            return Change(messages=(MessageRecord(
                "in", f"file-{digest[:32]}", now, case.resident, (), "a file added on the web form",
                kept, "", "web form file", (entry,)),),
                inbound_key=f"file-{reference}-{digest[:40]}-{hashlib.sha256(safe.encode()).hexdigest()[:16]}")

        with contextlib.suppress(DuplicateDelivery):  # this same file, added before: once
            _, change = change_case(self.store, reference, apply)
            if change is None:  # another upload took the last place meanwhile
                self._discard(key)
                return self.confirmation(token, now, base_url, (
                    f"You have already added {cap} files"))
        self._discard(key)
        return Page(303, location=f"/complaint/sent?c={urllib.parse.quote(token)}#files")

    def _discard(self, key: str) -> None:
        with contextlib.suppress(RawMailError):  # uploads/ expires by itself (lifecycle rule)
            self.raw_mail.delete(key)


# the extensions a file of each type may keep (the first is given where it has none of them)
EXTENSIONS = {"image/jpeg": ("jpg", "jpeg"), "image/png": ("png",), "image/gif": ("gif",),
              "image/webp": ("webp",), "image/heic": ("heic", "heif"),
              "application/pdf": ("pdf",), "text/plain": ("txt",), "application/msword": ("doc",),
              **{t: (e,) for e, t in _ZIP_DOCUMENTS.items()}}


def typed_name(name: str, content_type: str) -> str:
    """The kept copy is named by what its bytes are: a GIF named poly.html (a polyglot that a
    browser or mshta would run) is kept as poly_html.gif."""
    allowed = EXTENSIONS[content_type]
    _, dot, ext = name.rpartition(".")
    if dot and ext.lower() in allowed:
        return name
    return f"{name.replace('.', '_')}.{allowed[0]}"


def _written(s: form.Submission) -> str:
    """The message as kept with the case: what went wrong, and what they would like."""
    return s.what_happened + (
        f"\n\nWhat I would like to happen:\n{s.outcome_sought}" if s.outcome_sought else "")


def safe_filename(name: str) -> str:
    """Letters (any script), digits, dot, dash and underscore; at most 100 characters, keeping
    the extension."""
    safe = re.sub(r"[^\w.-]+", "_", name).strip("._") or "file"
    stem, dot, ext = safe.rpartition(".")
    if not dot or len(ext) > 10:
        return safe[:100]
    return f"{stem[:100 - len(ext) - 1]}.{ext}"


def _command(s: form.Submission, key: str, now: datetime, policy: str, reason: str,
             to_confirm: bool) -> Open:
    first_line = " ".join(s.what_happened.split())
    subject = first_line if len(first_line) <= 80 else first_line[:80].rsplit(" ", 1)[0] + " ..."
    contact = {k: v for k, v in (("email", s.email), ("phone", s.phone),
                                 ("postal_address", s.postal_address),
                                 ("preferred", s.preferred)) if v}
    home = {k: v for k, v in (("address", s.property_address),
                              ("postcode", s.postcode.text if s.postcode else "")) if v}
    representative = {}
    if s.for_someone_else:
        representative = {
            "complaining for": s.resident_name,
            "relationship": s.relationship or "(not given)",
            "consent": f"the representative confirmed on the web form at {utc_text(now)} that "
                       f"{s.resident_name} agreed to them complaining and to information being "
                       "shared with them",
        }
    who = s.email or ("an anonymous resident" if s.anonymous else "a resident who gave no email")
    return Open(
        channel="web form", key=key, received_at=now, resident=s.email, resident_name=s.name,
        subject=subject, text=s.what_happened, policy=policy, policy_reason=reason,
        nation_to_confirm=to_confirm, how=f"by the web form from {who}", contact=contact,
        home=home, outcome_sought=s.outcome_sought, representative=representative,
        support_needs=s.support_needs, anonymous=s.anonymous)


NOT_ON_THE_LIST = ("The selected file must be a JPG, PNG, GIF, WebP or HEIC photo, or a PDF, "
                   "Word, OpenDocument or plain text document")
UNREADABLE = ("The selected file could not be read: it may be damaged or protected by a "
              "password. Save it again, or as a PDF, and upload it")
MARKUP_IN_TEXT = ("The selected text file has web page code in it (a tag such as <p> or <img "
                  "src=...>): save it as a PDF and upload that")
TOO_BIG_UNPACKED = (f"The selected document unpacks to more than {MAX_UNPACKED // 2**20} MB: "
                    "save it as a PDF and upload that")


def sniff(data: bytes, filename: str) -> str | None:
    """The file's type from its first bytes (never from what the browser claimed); None for
    anything not on the list (HTML and SVG can carry scripts, executables are refused)."""
    return check_file(data, filename)[0]


def check_file(data: bytes, filename: str) -> tuple[str | None, str]:
    """(the file's type, "") or (None, why it is refused, in the resident's words)."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ""
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif", ""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ""
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heif"):
        return "image/heic", ""
    if data.startswith(b"%PDF-"):
        return "application/pdf", ""
    if data.startswith(b"PK\x03\x04") and ext in _ZIP_DOCUMENTS:
        problem = _zip_document_problem(data, ext)
        return (None, problem) if problem else (_ZIP_DOCUMENTS[ext], "")
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") and ext == "doc":
        return "application/msword", ""
    if ext == "txt":
        text = _as_text(data)
        # a page or a picture in words is still a page or a picture (scripts and all)
        if text is not None and not _looks_like_html(text):
            return "text/plain", ""
        if text is not None:
            return None, MARKUP_IN_TEXT
    return None, NOT_ON_THE_LIST


# Text a browser could take for a page, by shape, never by a list of known tags (an unknown
# <xss onpointerover=...> runs its handler as well as any): a comment, doctype or XML
# declaration ("<!", "<?"), UTF-7's "<" ("+ADw"), a closing tag ("</" and a letter), a tag with
# nothing after its name ("<p>", "<br/>", "<svg/onload=...>"), a tag with a value after its name
# ("<img src=x>", "<marquee onstart=...>"; a name of letters, digits and "-", as every
# element's is, known or not), an event handler after any "<" and a letter (on+letters=, even
# on a tag named "<jo@x" or "<a:b"), or a script or style tag (their content is code). Still
# text: "<" before anything but a letter ("3 < 5", "<3", "<£50>"), words in brackets ("<John
# Smith>"), an address or link quoted in them ("<jo@example.com>", "<https://example.org/?a=1>").
# One word alone in brackets ("<Tenant>") is a tag with nothing after its name: refused.
_MARKUP = re.compile(
    r"<[!?]|\+ADw|</[A-Za-z]|<[A-Za-z][A-Za-z0-9-]*+(?:[/>]|\s[^<>]*?=)"
    r"|<(?:script|style)(?![^\s/>])", re.IGNORECASE)
_TAG_START = re.compile(r"<[A-Za-z]")
_HANDLER = re.compile(r"(?<![\w-])on[a-z]+\s*=", re.IGNORECASE)
# A bare attribute ("<p title>", "<base href>") has the shape of "<John Smith>", so there the
# name decides: an element HTML or SVG defines is markup, any other word is text.
_BARE_ATTRIBUTE = re.compile(r"<([A-Za-z][A-Za-z0-9]*+)\s[^<>=]*>")
_ELEMENTS = frozenset({
    "a", "abbr", "address", "area", "article", "aside", "audio", "b", "base", "bdi", "bdo",
    "blockquote", "body", "br", "button", "canvas", "caption", "center", "cite", "code", "col",
    "colgroup", "data", "datalist", "dd", "del", "details", "dfn", "dialog", "dir", "div", "dl",
    "dt", "em", "embed", "fieldset", "figcaption", "figure", "font", "footer", "form", "frame",
    "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html", "i",
    "iframe", "img", "input", "ins", "kbd", "label", "legend", "li", "link", "main", "map", "mark",
    "marquee", "math", "menu", "meta", "meter", "nav", "noembed", "noframes", "noscript", "object",
    "ol", "optgroup", "option", "output", "p", "param", "picture", "plaintext", "pre", "progress",
    "q", "rp", "rt", "ruby", "s", "samp", "script", "search", "section", "select", "slot", "small",
    "source", "span", "strike", "strong", "style", "sub", "summary", "sup", "svg", "table", "tbody",
    "td", "template", "textarea", "tfoot", "th", "thead", "time", "title", "tr", "track", "tt", "u",
    "ul", "var", "video", "wbr", "xmp", "animate", "circle", "defs", "ellipse", "foreignobject",
    "g", "image", "line", "lineargradient", "marker", "mask", "path", "pattern", "polygon",
    "polyline", "radialgradient", "rect", "set", "stop", "switch", "symbol", "text", "textpath",
    "tspan", "use", "view"})


def _looks_like_html(text: str) -> bool:
    if _MARKUP.search(text):
        return True
    if any(m.group(1).lower() in _ELEMENTS for m in _BARE_ATTRIBUTE.finditer(text)):
        return True
    tag = _TAG_START.search(text)
    return tag is not None and _HANDLER.search(text, tag.start()) is not None


# Controls other than line breaks and tabs, and the bidirectional overrides and isolates that
# make text read other than it is; other invisible marks (RLM, soft hyphen) are ordinary text.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _as_text(data: bytes) -> str | None:
    """Text as Windows and phones save it: UTF-8, UTF-16 with its byte order mark, or
    Windows-1252 ("Rent \xa3500" from Notepad); none of the characters in _NOT_TEXT."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) and not data.startswith(b"\xff\xfe\x00\x00"):
        encodings: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in data:
        return None
    else:
        encodings = ("utf-8", "cp1252")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return None if _NOT_TEXT.search(text) else text
    return None


# What reading a zip can raise on hostile bytes: a bad directory (BadZipFile, struct.error,
# EOFError, ValueError, OverflowError), a member that is not deflate data (zlib.error), a
# method zipfile lacks (NotImplementedError), a password (RuntimeError), a bad CRC (BadZipFile).
_DAMAGED: tuple[type[Exception], ...] = (
    zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error, EOFError, ValueError,
    OverflowError, NotImplementedError, RuntimeError, OSError, KeyError, IndexError)
# A Word or OpenDocument file has tens of parts and unpacks to a few times its size; a zip bomb
# has thousands, or claims gigabytes. zipfile stops a member at its declared size (and then
# checks its CRC), so the declared sizes bound the work.
MAX_MEMBERS = 5_000
_READ_CHUNK = 1 << 20


def _zip_document_problem(data: bytes, ext: str) -> str:
    """A Word or OpenDocument file is a zip with its own parts, every one of them readable
    (stored or deflated, no password, its CRC right), within the bounds above; any other zip
    is refused. "" if it is one, else why not."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if not members or len(members) > MAX_MEMBERS:
                return NOT_ON_THE_LIST
            if sum(m.file_size for m in members) > MAX_UNPACKED:
                return TOO_BIG_UNPACKED
            if any(m.flag_bits & 0x1 or m.compress_type not in (zipfile.ZIP_STORED,
                                                                 zipfile.ZIP_DEFLATED)
                   for m in members):
                return UNREADABLE  # encrypted, or packed in a way Word and LibreOffice never use
            if ext == "docx":
                if not {"[Content_Types].xml", "word/document.xml"} <= {m.filename for m in members}:
                    return NOT_ON_THE_LIST
            elif (members[0].filename != "mimetype" or members[0].file_size >= 100
                  or archive.read(members[0]).strip() != b"application/vnd.oasis.opendocument.text"):
                return NOT_ON_THE_LIST
            if _local_headers_disagree(data, members):
                return UNREADABLE  # one reader would see another file than the next
            for member in members:  # every part unpacks, to its declared size, with its CRC
                with archive.open(member) as part:
                    while part.read(_READ_CHUNK):
                        pass
    except _DAMAGED:
        return UNREADABLE
    return ""


_LOCAL_HEADER = struct.Struct("<4sHHH")  # signature, version needed, flags, method


def _local_headers_disagree(data: bytes, members: list[zipfile.ZipInfo]) -> bool:
    """Whether a part's own (local) header says other than the directory about encryption or
    packing: zipfile reads the directory, other programs the local headers, so such a file is
    two files (an outside attack set the encrypted bit in a local header only)."""
    for member in members:
        at = member.header_offset
        if at < 0 or at + _LOCAL_HEADER.size > len(data):
            return True
        signature, _, flags, method = _LOCAL_HEADER.unpack_from(data, at)
        if signature != b"PK\x03\x04" or (flags & 0x1) != (member.flag_bits & 0x1) or (
                method != member.compress_type):
            return True
    return False


__all__ = ["FormConfig", "Page", "WebForm", "check_file", "sniff"]
