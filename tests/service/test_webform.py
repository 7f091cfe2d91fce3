"""The web form's use case on the in-memory ports (service/webform.py).

Given the same Intake the mailroom uses, when a form is posted, then the case is the one an
email would make (same events, same clock), anonymity follows the policy, and an expired form
keeps what the resident typed.
"""

from __future__ import annotations

import re
import urllib.parse
from datetime import UTC, datetime, timedelta

import pytest

from complaints.adapters.memory import InMemoryRawMail, InMemoryStore
from complaints.domain.nation import NationPolicies
from complaints.service.clock import StatutoryClock
from complaints.service.mailroom import Mailroom
from complaints.service.records import RawMailError
from complaints.service.webform import FormConfig, Page, WebForm
from tests import bad_documents
from tests import mailfactory as mf
from tests.conftest import Outbox

SECRET = b"s" * 32
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def web(mailroom: Mailroom, store: InMemoryStore, raw_mail: InMemoryRawMail, clock: StatutoryClock,
        default: str = "hos-2024") -> WebForm:
    return WebForm(mailroom.intake, store, raw_mail, clock, FormConfig(
        landlord="Example Homes", complaints_address="complaints@landlord.example",
        own_addresses=frozenset({"complaints@landlord.example"}),
        policies=NationPolicies(default, fallback={"scotland": "spso-mchp"})), SECRET)


def post(form: WebForm, fields: dict[str, str], at: datetime = NOW, client: str = "192.0.2.1",
         taking: timedelta = timedelta(minutes=5)) -> Page:
    blank = form.blank(at)
    token = re.search(r'name="csrf" value="([^"]+)"', blank.html)
    assert token
    body = urllib.parse.urlencode({**fields, "csrf": token.group(1)}).encode()
    return form.submit(body, blank.cookie, client, at + taking)


def reference(page: Page) -> str:
    assert page.status == 303, page.html
    found = re.search(r"c=(CMP-\d{4}-\d{6})\.", page.location)
    assert found
    return found.group(1)


FIELDS = {"full-name": "Jo Bloggs", "email": "jo@example.org", "contact-preference": "email",
          "property-postcode": "LS1 4AP", "on-behalf": "myself",
          "what-happened": "Damp in the back bedroom since June; nobody has come."}


def test_a_form_and_an_email_make_the_same_case(mailroom: Mailroom, store: InMemoryStore,
                                                raw_mail: InMemoryRawMail, outbox: Outbox,
                                                clock: StatutoryClock, deliver: object) -> None:
    form = web(mailroom, store, raw_mail, clock)
    by_form = store.load(reference(post(form, FIELDS)))
    raw = mf.message(sender="jo@example.org", subject="Damp",
                   body="Damp in the back bedroom since June; nobody has come. LS1 4AP")
    outcome = deliver(raw, at=NOW + timedelta(minutes=5))  # type: ignore[operator]
    by_mail = store.load(outcome.reference)
    assert by_form is not None and by_mail is not None
    assert by_form.deadlines == by_mail.deadlines
    assert by_form.received_on == by_mail.received_on
    assert [e.event for e in by_form.timeline][:3] == ["received", "policy chosen",
                                                       "deadlines set"]
    assert {x.kind for x in by_form.letters.values()} == {x.kind for x in by_mail.letters.values()}
    assert (by_form.channel, by_mail.channel) == ("web form", "email")


def test_anonymous_complaints_follow_the_policy(mailroom: Mailroom, store: InMemoryStore,
                                                raw_mail: InMemoryRawMail, outbox: Outbox,
                                                clock: StatutoryClock) -> None:
    anonymous = {**FIELDS, "anonymous": "yes", "full-name": "", "email": "",
                 "contact-preference": ""}
    accepting = web(mailroom, store, raw_mail, clock, "hos-2024")
    assert 'name="anonymous"' in accepting.blank(NOW).html
    case = store.load(reference(post(accepting, anonymous)))
    assert case is not None and case.anonymous and "anonymous" in case.flags
    receipt = next(x for x in case.letters.values() if x.kind == "receipt")
    assert receipt.status.value == "held" and "anonymous" in receipt.error
    refusing = web(mailroom, store, raw_mail, clock, "connect-housing")
    page = refusing.blank(NOW).html
    assert 'name="anonymous"' in page  # spso-mchp (Scotland) accepts them
    refused = post(refusing, anonymous)  # an English home: connect-housing does not
    assert refused.status == 400 and "cannot take anonymous complaints" in refused.html
    scottish = post(refusing, {**anonymous, "property-postcode": "G1 1AA"})
    assert store.load(reference(scottish)) is not None


def test_an_expired_form_keeps_what_was_typed_with_a_new_token(
        mailroom: Mailroom, store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox,
        clock: StatutoryClock) -> None:
    form = web(mailroom, store, raw_mail, clock)
    page = post(form, FIELDS, at=NOW - timedelta(hours=5), taking=timedelta(hours=5))
    assert page.status == 400 and "The form expired for your security" in page.html
    assert "Damp in the back bedroom since June" in page.html and page.cookie
    fresh = re.search(r'name="csrf" value="([^"]+)"', page.html)
    assert fresh
    body = urllib.parse.urlencode({**FIELDS, "csrf": fresh.group(1)}).encode()
    assert list(store.all_references()) == []
    assert store.load(reference(form.submit(body, page.cookie, "192.0.2.1", NOW))) is not None


def test_the_residents_own_words_never_stop_their_receipt_by_email(
        mailroom: Mailroom, store: InMemoryStore, outbox: Outbox, deliver: object) -> None:
    """The letter rules judge our words: an SPSO stage 1 receipt may not signpost the SPSO
    (003 ¶108), but a resident who names it themselves gets their receipt."""
    raw = mf.message(sender="ann@example.org", to="scotland@landlord.example",
                     subject="Going to the SPSO: www.spso.org.uk",
                     body="Fix the damp not later than Friday or I go to the Scottish Public "
                          "Services Ombudsman (SPSO), www.spso.org.uk.")
    outcome = deliver(raw)  # type: ignore[operator]
    case = store.load(outcome.reference)
    assert case is not None and case.policy == "spso-mchp"
    receipt = next(x for x in case.letters.values() if x.kind == "receipt")
    assert receipt.status.value == "sent", receipt.error
    (letter,) = outbox.letters()  # the receipt (this mailroom has no team address)
    assert b"To: ann@example.org" in letter and b"www.spso.org.uk" in letter


def test_the_confirmation_says_when_the_copy_could_not_be_emailed(
        mailroom: Mailroom, store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox,
        clock: StatutoryClock) -> None:
    form = web(mailroom, store, raw_mail, clock)
    pages = [form.confirmation(
        urllib.parse.unquote(post(form, {**FIELDS, "email": f"advocate+{n}@example.org"},
                                  client=f"192.0.2.{n}").location.split("c=", 1)[1]),
        NOW + timedelta(minutes=6), "http://form.example") for n in range(6)]
    assert all("We have sent a copy of this to" in p.html for p in pages[:5])
    # the sixth receipt to one inbox in an hour, each differently +tagged, is held by the loop
    # guard: the page says so
    assert "We could not email a copy to" in pages[5].html
    assert "We have sent a copy" not in pages[5].html


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
       b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92"
       b"\xef\x00\x00\x00\x00IEND\xaeB`\x82")


def etag_of(data: bytes) -> str:
    """The ETag S3 (and the local stand-in) puts in the redirect: the file's MD5, quoted."""
    import hashlib

    return f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'


def test_uploads_at_once_cannot_pass_the_cap_of_files(mailroom: Mailroom, store: InMemoryStore,
                                                      raw_mail: InMemoryRawMail,
                                                      clock: StatutoryClock) -> None:
    """Twelve files claimed at once, ten allowed: each claim counts the files again on the
    case it saves, so the case's version check makes them take turns."""
    import threading

    form = web(mailroom, store, raw_mail, clock)
    token = urllib.parse.unquote(post(form, FIELDS).location.split("c=", 1)[1])
    ref = token.split(".", 1)[0]
    keys = [f"uploads/{ref}/{n:02d}/photo-{n}.png" for n in range(12)]
    for n, key in enumerate(keys):
        raw_mail.put(key, PNG + bytes([n]), "image/png")  # twelve different files
    pages: list[Page] = []
    start = threading.Barrier(len(keys))

    def claim(key: str) -> None:
        start.wait()
        pages.append(form.attach(token, key, NOW + timedelta(minutes=7), "http://form.example",
                                 etag_of(PNG + bytes([keys.index(key)]))))

    threads = [threading.Thread(target=claim, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    case = store.load(ref)
    assert case is not None
    assert sum(t.event == "file added" for t in case.timeline) == 10
    assert sorted(p.status for p in pages) == [303] * 10 + [400, 400]
    assert all("You have already added 10 files" in p.html for p in pages if p.status == 400)
    assert len(form._files(ref)) == 10


def test_a_file_planted_where_an_upload_is_kept_is_never_taken_for_it(
        mailroom: Mailroom, store: InMemoryStore, raw_mail: InMemoryRawMail, clock: StatutoryClock) -> None:
    """The kept copy is create-only, so whatever got there first stays: it must be the very
    bytes uploaded, or the file is not added (the timeline would vouch for another file)."""
    import hashlib

    form = web(mailroom, store, raw_mail, clock)
    token = urllib.parse.unquote(post(form, FIELDS).location.split("c=", 1)[1])
    ref = token.split(".", 1)[0]
    photo = PNG + b"the resident's photo"
    kept = f"webform/{ref}/files/{hashlib.sha256(photo).hexdigest()[:16]}-photo.png"
    raw_mail.put(kept, PNG + b"someone else's bytes", "image/png")
    raw_mail.put(f"uploads/{ref}/ab/photo.png", photo, "image/png")
    page = form.attach(token, f"uploads/{ref}/ab/photo.png", NOW + timedelta(minutes=7),
                       "http://form.example", etag_of(photo))
    assert page.status == 400 and "could not be kept" in page.html
    assert form._files(ref) == []
    case = store.load(ref)
    assert case is not None and not [t for t in case.timeline if t.event == "file added"]


def test_a_file_is_added_only_if_it_is_the_one_the_store_acknowledged(
        mailroom: Mailroom, store: InMemoryStore, raw_mail: InMemoryRawMail, clock: StatutoryClock) -> None:
    import hashlib

    form = web(mailroom, store, raw_mail, clock)
    token = urllib.parse.unquote(post(form, FIELDS).location.split("c=", 1)[1])
    ref = token.split(".", 1)[0]
    key = f"uploads/{ref}/cd/photo.png"
    raw_mail.put(key, PNG + b"now there", "image/png")
    at = NOW + timedelta(minutes=7)
    earlier = hashlib.md5(PNG + b"uploaded first", usedforsecurity=False).hexdigest()
    refused = form.attach(token, key, at, "http://form.example", etag=f'"{earlier}"')
    assert refused.status == 400 and "Another file was uploaded" in refused.html
    for missing in ("", '""', "W/"):  # no ETag is no proof either
        assert form.attach(token, key, at, "http://form.example", etag=missing).status == 400
    assert form._files(ref) == []
    etag = hashlib.md5(PNG + b"now there", usedforsecurity=False).hexdigest()
    assert form.attach(token, key, at, "http://form.example", etag=f'"{etag}"').status == 303
    assert [f["size"] for f in form._files(ref)] == [len(PNG + b"now there")]


def test_a_replay_gets_the_first_confirmation_never_a_longer_one(
        mailroom: Mailroom, store: InMemoryStore, raw_mail: InMemoryRawMail, clock: StatutoryClock) -> None:
    form = web(mailroom, store, raw_mail, clock)
    blank = form.blank(NOW)
    token = re.search(r'name="csrf" value="([^"]+)"', blank.html)
    assert token
    body = urllib.parse.urlencode({**FIELDS, "csrf": token.group(1)}).encode()
    first = form.submit(body, blank.cookie, "192.0.2.1", NOW)
    assert first.status == 303
    hour_later = form.submit(body, blank.cookie, "192.0.2.1", NOW + timedelta(hours=1))
    assert hour_later.status == 409 and first.location in hour_later.html
    # the form's token is good for 4 hours, the confirmation for 2: after that, no link
    late = form.submit(body, blank.cookie, "192.0.2.1", NOW + timedelta(hours=3))
    assert late.status == 409 and "/complaint/sent?c=" not in late.html


def test_posts_refused_by_the_limit_are_not_counted_against_it(
        mailroom: Mailroom, store: InMemoryStore, raw_mail: InMemoryRawMail, clock: StatutoryClock) -> None:
    """The limit is on complaints opened: a 429 told to send again must not prolong it."""
    import hashlib

    form = web(mailroom, store, raw_mail, clock)
    statuses = [post(form, FIELDS, client="192.0.2.9").status for _ in range(14)]
    assert statuses == [303] * 10 + [429] * 4
    key = "form-post#" + hashlib.sha256(b"192.0.2.9").hexdigest()[:24]
    assert store.sent_in_the_last_hour(key, NOW + timedelta(minutes=5)) == 10  # the counter


@pytest.mark.parametrize("name, data", [
    ("letter.odt", bad_documents.bad_deflate("odt")),  # the outside attack: zlib.error, a 500
    ("letter.docx", bad_documents.bad_deflate("docx")),
    ("letter.docx", bad_documents.bad_later_part("docx")),
    ("letter.odt", bad_documents.encrypted("odt")),
])
def test_a_document_that_cannot_be_read_is_refused_and_not_kept(
        name: str, data: bytes, mailroom: Mailroom, store: InMemoryStore, raw_mail: InMemoryRawMail,
        clock: StatutoryClock) -> None:
    """Given a Word or OpenDocument upload whose parts cannot be unpacked, when the browser
    comes back with it, then the confirmation page says why (a 400, not a 500), the upload is
    deleted, and nothing is kept or put on the case."""
    form = web(mailroom, store, raw_mail, clock)
    token = urllib.parse.unquote(post(form, FIELDS).location.split("c=", 1)[1])
    ref = token.split(".", 1)[0]
    key = f"uploads/{ref}/ef/{name}"
    raw_mail.put(key, data, "application/octet-stream")
    page = form.attach(token, key, NOW + timedelta(minutes=7), "http://form.example",
                       etag_of(data))
    assert page.status == 400 and "could not be read" in page.html
    assert "/complaint/sent?c=" in page.html or "Add photos" in page.html  # the way on
    with pytest.raises(RawMailError):
        raw_mail.get(key)
    assert form._files(ref) == []
    assert not raw_mail.keys(f"webform/{ref}/files")
    case = store.load(ref)
    assert case is not None and not [t for t in case.timeline if t.event == "file added"]


def test_whatever_a_check_raises_the_upload_is_refused_and_deleted(
        mailroom: Mailroom, store: InMemoryStore, raw_mail: InMemoryRawMail, clock: StatutoryClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The check boundary: an error no check foresaw still refuses the file and deletes it."""
    import complaints.service.webform as webform

    def broken(data: bytes, filename: str) -> tuple[str | None, str]:
        raise MemoryError("a check that blew up")

    monkeypatch.setattr(webform, "check_file", broken)
    form = web(mailroom, store, raw_mail, clock)
    token = urllib.parse.unquote(post(form, FIELDS).location.split("c=", 1)[1])
    ref = token.split(".", 1)[0]
    key = f"uploads/{ref}/ef/photo.png"
    raw_mail.put(key, PNG, "image/png")
    page = form.attach(token, key, NOW + timedelta(minutes=7), "http://form.example",
                       etag_of(PNG))
    assert page.status == 400 and "could not be read" in page.html
    with pytest.raises(RawMailError):
        raw_mail.get(key)
    assert form._files(ref) == []
