"""The Ombudsman evidence bundle (issue 12) and letters kept as sent, on the in-memory ports
(store, raw mail, outbox).

Given a case opened by email with an attachment, acknowledged and answered by staff, when its
bundle is made, then every file is listed in the manifest with its size and SHA-256, the
messages are the bytes received, the letters the bytes the mail service got, and the zip is the
same bytes every time until the case changes. A letter retried after a refusal is kept as the
attempt that went.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import json
import re
import urllib.parse
import uuid
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from complaints.adapters.memory import InMemoryRawMail, InMemoryStore
from complaints.adapters.sender import SendError, SesSender
from complaints.bootstrap import mailroom_for
from complaints.domain.commands import Note
from complaints.service.bundle import build_bundle, bundle_command
from complaints.service.clock import StatutoryClock
from complaints.service.mailroom import Delivery, Mailroom
from complaints.service.post import LetterNotSent
from tests import mailfactory as mf
from tests.conftest import MAIL_CONFIG, Outbox
from tests.service import test_casework as casework
from tests.service.test_webform import FIELDS, NOW, post, reference, web

TEAM, SAM = casework.TEAM, casework.SAM
room = casework.room  # the mailroom with a team address, as the casework tests use it

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


@pytest.fixture()
def send(room: Mailroom, raw_mail: InMemoryRawMail) -> Callable[..., Any]:
    def go(raw: bytes, key: str | None = None) -> Any:
        key = key or f"ses-{uuid.uuid4().hex[:12]}"
        raw_mail.put(raw_mail.key_for(key), raw)
        return room.receive(Delivery(key, raw_mail.key_for(key), datetime.now(UTC)))
    return go


def parsed(raw: bytes) -> EmailMessage:
    m = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(m, EmailMessage)
    return m


def kind_of(raw: bytes) -> str:
    return str(parsed(raw)["X-Complaints-Letter"])


def unzip(data: bytes) -> tuple[dict[str, bytes], dict[str, Any], list[zipfile.ZipInfo]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        infos = archive.infolist()
        files = {i.filename: archive.read(i) for i in infos}
    return files, json.loads(files["manifest.json"]), infos


def checked(data: bytes) -> tuple[dict[str, bytes], dict[str, Any]]:
    """The manifest lists every file but itself, with the size and SHA-256 of its bytes."""
    files, manifest, infos = unzip(data)
    names = [i.filename for i in infos]
    assert names == sorted(names)  # entries sorted
    listed = [f["path"] for f in manifest["files"]]
    assert listed == sorted(listed)
    assert set(listed) == set(files) - {"manifest.json"}
    for entry in manifest["files"]:
        body = files[entry["path"]]
        assert entry["size"] == len(body)
        assert entry["sha256"] == hashlib.sha256(body).hexdigest()
    for info in infos:
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert info.external_attr >> 16 == 0o100644
    return files, manifest


def test_the_bundle_holds_the_case_as_received_and_as_sent(
        send: Callable[..., Any], room: Mailroom, store: InMemoryStore, raw_mail: InMemoryRawMail,
        outbox: Outbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    complaint = mf.message(subject=f"Damp {HOSTILE}",
                           body=f"Black mould in the bathroom.\n{HOSTILE}\n",
                           attachments=[("mould photo.png", "image/png", PHOTO),
                                        ("survey.pdf", "application/pdf", b"%PDF-1.4\n%...\n")])
    created = send(complaint)
    ref = created.reference
    [notice] = [r for r in outbox.letters() if kind_of(r) == "staff_new_case"]
    send(mf.reply(notice, sender=SAM, body="#acknowledge\nMould in the bathroom; wants it treated."))
    send(mf.reply(notice, sender=SAM, body="#respond upheld\n#remedy Mould wash by 18 December "
                                           "2026\nWe agree: the mould should have been treated."))
    case = store.load(ref)
    assert case is not None and case.status.value == "responded"
    sent = sorted(x.id for x in case.letters.values() if x.status.value == "sent")
    assert {"receipt-1", "staff_new_case-1", "acknowledgement-1", "stage1_response-1"} <= set(sent)

    first = build_bundle(store, raw_mail, ref)
    files, manifest = checked(first)
    assert manifest["reference"] == ref and manifest["missing"] == []

    # every inbound message as received, byte for byte: the complaint and both staff replies
    inbound = sorted(p for p in files if p.startswith("inbound/"))
    assert len(inbound) == 3 and all(p.endswith(".eml") for p in inbound)
    assert files[inbound[0]] == complaint
    records = [m for m in store.messages(ref) if m["direction"] == "in"]
    assert sorted(files[p] for p in inbound) == sorted(raw_mail.get(m["raw_key"]) for m in records)
    # the attachments as stored beside the message, listed with where they came from
    attachments = {p: files[p] for p in files if p.startswith("attachments/")}
    assert attachments == {"attachments/001-001-mould_photo.png": PHOTO,
                           "attachments/001-002-survey.pdf": b"%PDF-1.4\n%...\n"}
    by_path = {f["path"]: f for f in manifest["files"]}
    photo = by_path["attachments/001-001-mould_photo.png"]["source"]
    assert photo["filename"] == "mould photo.png" and photo["message"] == inbound[0]
    assert photo["recorded_sha256"] == hashlib.sha256(PHOTO).hexdigest()

    # every letter exactly as the mail service received it (the SMTP sink's DATA)
    letters = {p.removeprefix("letters/").removesuffix(".eml"): files[p]
               for p in files if p.startswith("letters/")}
    assert sorted(letters) == sent
    assert sorted(letters.values()) == sorted(outbox.letters())
    for letter_id, raw in letters.items():
        assert parsed(raw)["Message-ID"] == case.letters[letter_id].message_id
    response = parsed(letters["stage1_response-1"]).get_body(("plain",))
    assert response is not None and "upheld" in str(response.get_content()).lower()

    # the timeline, as JSON and as an accessible page with everything escaped
    timeline = json.loads(files["timeline.json"])
    assert timeline["reference"] == ref and timeline["status"] == "responded"
    assert [e["event"] for e in timeline["timeline"]] == [e.event for e in case.timeline]
    assert {m["in_bundle"] for m in timeline["messages"]} == set(inbound) | {
        f"letters/{x}.eml" for x in sent}
    page = files["timeline.html"].decode()
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en-GB">' in page
    assert "<script" not in page and "&lt;script&gt;" in page and "<b>bold" not in page
    assert ref in page and "hos-2024" in page and "<caption>" in page
    assert f'href="{inbound[0]}"' in page and 'href="letters/stage1_response-1.eml"' in page
    assert not re.search(r"<(script|link|img|iframe)\b", page)  # self-contained, no scripts

    # the same case, the same bytes; the command writes them and says what it wrote
    assert build_bundle(store, raw_mail, ref) == first
    monkeypatch.setattr("complaints.bootstrap.store", lambda: store)
    monkeypatch.setattr("complaints.bootstrap.raw_mail", lambda: raw_mail)
    out = tmp_path / "bundle.zip"
    told = bundle_command(ref, out)
    assert out.read_bytes() == first
    assert told == {"reference": ref, "out": str(out), "files": len(manifest["files"]),
                    "missing": 0, "bytes": len(first)}
    with pytest.raises(ValueError, match="no complaint CMP-1999-999999"):
        bundle_command("CMP-1999-999999", tmp_path / "none.zip")
    assert not (tmp_path / "none.zip").exists()
    with pytest.raises(ValueError, match="is not a directory"):
        bundle_command(ref, tmp_path / "nowhere" / "bundle.zip")

    # a staff note changes the record: a new timeline, so a new manifest and zip
    room.casework.run(ref, (Note(text="rang Jane: the wash is booked"),), "sam@landlord.example",
                      f"cli-{uuid.uuid4().hex[:8]}", datetime.now(UTC), staff=False)
    second = build_bundle(store, raw_mail, ref)
    files2, manifest2 = checked(second)
    assert second != first and manifest2 != manifest
    changed = {f["path"] for f in manifest2["files"]} ^ {f["path"] for f in manifest["files"]}
    assert changed == set()  # the same files ...
    differs = {p for p in files2 if files2[p] != files.get(p)}
    assert differs == {"timeline.json", "timeline.html", "manifest.json"}  # ... a new timeline
    assert "rang Jane: the wash is booked" in files2["timeline.html"].decode()


def test_a_letter_retried_after_a_refusal_is_kept_as_the_attempt_that_went(
        room: Mailroom, store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox) -> None:
    smtp = room.post.sender

    class RefusesOnce:
        def __init__(self) -> None:
            self.calls = 0

        def send(self, message: EmailMessage) -> str:
            if "@landlord.example" not in str(message["To"]):
                self.calls += 1
                if self.calls == 1:
                    raise SendError("421 try again later")
            return smtp.send(message)

    room.post.sender = RefusesOnce()
    key = f"ses-{uuid.uuid4().hex[:12]}"
    raw_mail.put(raw_mail.key_for(key), mf.message(sender="Jo <jo@example.org>"))
    delivery = Delivery(key, raw_mail.key_for(key), datetime.now(UTC))
    with pytest.raises(LetterNotSent):  # Lambda retries the delivery
        room.receive(delivery)
    assert room.receive(delivery).outcome == "duplicate"
    [ref] = store.cases_for_sender("jo@example.org")
    case = store.load(ref)
    assert case is not None
    receipt = case.letters["receipt-1"]
    assert (receipt.status.value, receipt.attempts) == ("sent", 2)

    copies = raw_mail.keys(f"outbound/{ref}/receipt-1-")
    # one copy per attempt, each named receipt-1-<attempt>-<sha256 prefix>.eml
    kept = sorted(copies, key=lambda k: int(k.rsplit("/", 1)[1].split("-")[2]))
    assert [k.rsplit("/", 1)[1].split("-")[2] for k in kept] == ["1", "2"]
    [record] = [m for m in store.messages(ref) if m["key"] == "receipt-1"]
    assert record["direction"] == "out" and record["raw_key"] == kept[1]
    [went] = [r for r in outbox.letters() if kind_of(r) == "receipt"]
    assert raw_mail.get(kept[1]) == went  # the copy named is the bytes that went
    assert raw_mail.get(kept[0]) != went  # the refused attempt built its own MIME
    assert parsed(raw_mail.get(kept[0]))["Message-ID"] == parsed(went)["Message-ID"]
    files, _ = checked(build_bundle(store, raw_mail, ref))
    assert files["letters/receipt-1.eml"] == went


def test_the_ses_path_keeps_the_bytes_handed_to_ses(
        store: InMemoryStore, raw_mail: InMemoryRawMail, clock: StatutoryClock) -> None:
    class FakeSes:
        def __init__(self) -> None:
            self.sent: list[bytes] = []

        def send_email(self, **kwargs: Any) -> dict[str, str]:
            self.sent.append(kwargs["Content"]["Raw"]["Data"])
            return {"MessageId": f"0100-{len(self.sent):04d}"}

    ses = FakeSes()
    room = mailroom_for(store, raw_mail, SesSender(ses, "eu-west-2"), clock, MAIL_CONFIG)
    key = f"ses-{uuid.uuid4().hex[:12]}"
    raw_mail.put(raw_mail.key_for(key), mf.message())
    ref = room.receive(Delivery(key, raw_mail.key_for(key), datetime.now(UTC))).reference
    assert ref is not None
    [record] = [m for m in store.messages(ref) if m["direction"] == "out"]
    assert record["message_id"] == "<0100-0001@eu-west-2.amazonses.com>"
    assert ses.sent == [raw_mail.get(record["raw_key"])]
    assert b"\r\n" in ses.sent[0] and b"\n" not in ses.sent[0].replace(b"\r\n", b"")


def test_a_letter_sent_before_letters_were_kept_is_listed_missing_never_invented(
        room: Mailroom, store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox) -> None:
    room.post.keep = None  # as the service was before issue 12
    key = f"ses-{uuid.uuid4().hex[:12]}"
    raw_mail.put(raw_mail.key_for(key), mf.message())
    ref = room.receive(Delivery(key, raw_mail.key_for(key), datetime.now(UTC))).reference
    assert ref is not None
    files, manifest = checked(build_bundle(store, raw_mail, ref))
    assert not any(p.startswith("letters/") for p in files)
    missing = {m["path"]: m for m in manifest["missing"]}
    assert set(missing) == {"letters/receipt-1.eml", "letters/staff_new_case-1.eml"}
    assert "no copy of its bytes as sent exists" in missing["letters/receipt-1.eml"]["reason"]
    assert missing["letters/receipt-1.eml"]["source"]["letter_kind"] == "receipt"
    page = files["timeline.html"].decode()
    assert "Not in this bundle" in page and "no copy kept" in page


def test_a_web_form_case_bundles_its_submission_and_files_as_received(
        mailroom: Mailroom, store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox,
        clock: StatutoryClock) -> None:
    form = web(mailroom, store, raw_mail, clock)
    page = post(form, {**FIELDS, "what-happened": f"Damp since June. {HOSTILE}"})
    ref = reference(page)
    token = urllib.parse.unquote(page.location.split("c=", 1)[1])
    upload = f"uploads/{ref}/0123456789abcdef/bedroom wall.png"
    raw_mail.put(upload, PHOTO, "application/octet-stream")
    added = form.attach(token, upload, NOW + timedelta(minutes=10), "http://127.0.0.1:8080",
                        f'"{hashlib.md5(PHOTO, usedforsecurity=False).hexdigest()}"')
    assert added.status == 303, added.html

    files, manifest = checked(build_bundle(store, raw_mail, ref))
    inbound = sorted(p for p in files if p.startswith("inbound/"))
    assert len(inbound) == 2
    submission, photo = inbound
    assert submission.startswith("inbound/001-form-") and submission.endswith(".json")
    [record] = [m for m in store.messages(ref) if m.get("verdict") == "web form"]
    assert files[submission] == raw_mail.get(record["raw_key"])  # the JSON as received
    assert json.loads(files[submission])["fields"]["what-happened"].endswith(HOSTILE)
    assert photo == "inbound/002-bedroom_wall.png" and files[photo] == PHOTO
    assert not any(p.startswith("attachments/") for p in files)  # the file is listed once
    assert {f["source"]["kind"] for f in manifest["files"] if f["path"] in inbound} == {
        "web form submission", "web form file"}
    assert files["letters/receipt-1.eml"] in outbox.letters()
    page_html = files["timeline.html"].decode()
    assert "<script" not in page_html and "&lt;script&gt;" in page_html


def test_a_letter_whose_copy_cannot_be_kept_still_goes_and_says_so(
        room: Mailroom, store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox) -> None:
    def broken(key: str, data: bytes) -> None:
        raise OSError("the raw store refused the write")

    room.post.keep = broken  # a statutory letter is not held back for its copy
    key = f"ses-{uuid.uuid4().hex[:12]}"
    raw_mail.put(raw_mail.key_for(key), mf.message())
    ref = room.receive(Delivery(key, raw_mail.key_for(key), datetime.now(UTC))).reference
    assert ref is not None
    case = store.load(ref)
    assert case is not None and case.letters["receipt-1"].status.value == "sent"
    assert any(kind_of(r) == "receipt" for r in outbox.letters())
    [sent] = [e.detail for e in case.timeline if e.event == "receipt letter sent"]
    assert "no copy as sent was kept (OSError: the raw store refused the write)" in sent
    _, manifest = checked(build_bundle(store, raw_mail, ref))
    assert "letters/receipt-1.eml" in {m["path"] for m in manifest["missing"]}


def test_a_residents_html_attachment_opens_as_text_never_as_a_page(
        send: Callable[..., Any], store: InMemoryStore, raw_mail: InMemoryRawMail) -> None:
    """Issue 18, 12: timeline.html linked attachments/001-001-report.html, so an investigator's
    click ran the resident's page (scripts and all) from the unzipped bundle. Files of any type
    a browser renders or might sniff (HTML, SVG, XML, no extension) are bundled with .txt
    added and linked under that name; photos and PDFs keep theirs; the bytes are unchanged."""
    page = b"<html><body><script>alert(document.cookie)</script>Rent statement</body></html>"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    created = send(mf.message(attachments=[
        ("report.html", "text/html", page), ("drawing.SVG", "image/svg+xml", svg),
        ("statement", "application/octet-stream", page), ("mould.jpg", "image/jpeg", PHOTO)]))
    assert created.outcome == "created"
    files, manifest = checked(build_bundle(store, raw_mail, created.reference))
    attached = sorted(p for p in files if p.startswith("attachments/"))
    assert attached == ["attachments/001-001-report.html.txt", "attachments/001-002-drawing.SVG.txt",
                        "attachments/001-003-statement.txt", "attachments/001-004-mould.jpg"]
    assert files["attachments/001-001-report.html.txt"] == page  # the bytes as received
    by_path = {f["path"]: f["source"] for f in manifest["files"]}
    assert by_path["attachments/001-001-report.html.txt"]["filename"] == "report.html"
    links = re.findall(r'href="([^"#]+)"', files["timeline.html"].decode())
    assert set(attached) <= set(links)
    assert not [link for link in links if re.search(r"\.(html?|svg)$", link, re.I)]
    # and the page itself runs nothing and fetches nothing, whatever it came to hold
    assert "Content-Security-Policy\" content=\"default-src 'none'" in files["timeline.html"].decode()
