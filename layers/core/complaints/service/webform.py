"""The web form: a complaint by form becomes the same `Open` command as one by email.

A post is counted against its address's hourly limit, checked for the honeypot and the form
token (CSRF), refused if its token was used before, then validated field by field. Only a
valid post writes anything: the submission as received (JSON, in the raw store, create-only)
and then the case, in the one transaction that also writes the token's INBOUND marker, so a
form sent twice (a double click, a replay) is one case. Files follow on the confirmation page:
the browser posts them straight to the raw store (an S3 presigned POST; locally, the data
directory), then comes back here to have each one checked (service/files.py: which files are
taken, and the name each is kept under) and put on the case.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from complaints.domain.case import RESIDENT, Complaint, utc_text
from complaints.domain.commands import Open
from complaints.domain.nation import NationPolicies, choose_for_property
from complaints.service.clock import StatutoryClock
from complaints.service.files import (
    ACCEPT,
    UNREADABLE,
    check_file,
    safe_filename,
    sniff,
    typed_name,
)
from complaints.service.intake import Intake
from complaints.service.ports import RawMail, WebFormStore
from complaints.service.records import DuplicateDelivery, MessageRecord, RawMailError
from complaints.service.unit_of_work import Change, attempts
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
        return any(self.clock.policy(p).anonymous.accepted for p in ids)

    def _default_nation(self) -> str:
        return self.clock.policy(self.config.policies.default).nation

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
        if self.store.count_attempt(client_key, now) > self.config.posts_per_hour:
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
            for attempt in attempts(self.store, reference):
                if attempt.save(apply(attempt.case)):
                    break
            change = attempt.change
            if change is None:  # another upload took the last place meanwhile
                self._discard(key)
                return self.confirmation(token, now, base_url, (
                    f"You have already added {cap} files"))
        self._discard(key)
        return Page(303, location=f"/complaint/sent?c={urllib.parse.quote(token)}#files")

    def _discard(self, key: str) -> None:
        with contextlib.suppress(RawMailError):  # uploads/ expires by itself (lifecycle rule)
            self.raw_mail.delete(key)


def _written(s: form.Submission) -> str:
    """The message as kept with the case: what went wrong, and what they would like."""
    return s.what_happened + (
        f"\n\nWhat I would like to happen:\n{s.outcome_sought}" if s.outcome_sought else "")


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


__all__ = ["FormConfig", "Page", "WebForm", "check_file", "sniff"]
