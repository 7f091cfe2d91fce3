"""Classifying inbound mail: verdicts, reasons, authentication, attachments, hostile bytes."""

from __future__ import annotations

import pytest

from complaints.mail.inbound import parse
from tests import mailfactory as mf
from tests.corpus import hostile


def test_a_new_complaint() -> None:
    mail = parse(mf.message(attachments=[("photo.jpg", "image/jpeg", b"\xff\xd8\xff" * 10)]))
    assert (mail.verdict, mail.sender, mail.subject) == ("complaint", "jane@example.org",
                                                         "Damp in my flat")
    assert "black mould" in mail.text
    [a] = mail.attachments
    assert (a.filename, a.content_type, a.size) == ("photo.jpg", "image/jpeg", 30)
    assert mail.auth.dmarc_passed_for("example.org")


@pytest.mark.parametrize(("raw", "reference"), [
    (mf.message(subject="Re: [CMP-2026-000042] We have received your complaint"), "CMP-2026-000042"),
    (mf.message(to="complaints+CMP-2026-000043@landlord.example"), "CMP-2026-000043"),
])
def test_a_reference_makes_it_a_reply(raw: bytes, reference: str) -> None:
    mail = parse(raw)
    assert (mail.verdict, mail.reference) == ("reply", reference)


@pytest.mark.parametrize(("headers", "subject", "reason"), [
    ({"Auto-Submitted": "auto-replied"}, "Re: hello", "Auto-Submitted: auto-replied"),
    ({"X-Autoreply": "yes"}, "hello", "X-Autoreply header"),
    ({"Precedence": "bulk"}, "newsletter", "Precedence: bulk"),
    ({"List-Id": "<tenants.example.org>"}, "digest", "mailing-list message"),
    ({}, "Automatic reply: Damp", "automatic-reply subject"),
    ({}, "Out of Office: back Monday", "automatic-reply subject"),
])
def test_automatic_mail(headers: dict[str, str], subject: str, reason: str) -> None:
    mail = parse(mf.message(subject=subject, headers=headers))
    assert mail.verdict == "auto_reply" and mail.reason.startswith(reason)


def test_auto_response_suppress_alone_is_not_automatic() -> None:
    mail = parse(mf.message(headers={"X-Auto-Response-Suppress": "All"}))
    assert mail.verdict == "complaint" and mail.auto_response_suppress


def test_auto_submitted_no_is_a_person() -> None:
    assert parse(mf.message(headers={"Auto-Submitted": "no"})).verdict == "complaint"


def test_bounce_beats_auto_reply_and_quotes_our_message() -> None:
    letter = mf.message(subject="[CMP-2026-000007] We have received your complaint")
    mail = parse(mf.bounce(letter))
    assert mail.verdict == "bounce" and "delivery status" in mail.reason
    quoted_id = mf._headers(letter)["message-id"]
    # only Message-IDs tie a bounce to a case: a reference anyone can type does not
    assert mail.quoted == (quoted_id,) and "CMP-2026-000007" not in mail.quoted


def test_rejected_beats_everything() -> None:
    raw = mf.message(subject="[CMP-2026-000001] x", headers={"Auto-Submitted": "auto-replied"},
                     ses=b"X-SES-Virus-Verdict: FAIL\r\n")
    assert parse(raw).verdict == "rejected"


def test_only_the_topmost_receiving_server_header_counts() -> None:
    forged = hostile()["forged-auth-below-ses"]
    assert parse(forged).auth.dmarc == "fail"
    other_server = b"Authentication-Results: mx.attacker.example; dmarc=pass\r\n" + \
        mf.message(ses=b"")
    assert parse(other_server).auth.dmarc == "none"


def test_attachments_handled_sensibly() -> None:
    corpus = hostile()
    [tnef] = parse(corpus["winmail-dat"]).attachments
    assert tnef.note and "TNEF" in tnef.note
    forwarded = parse(corpus["forwarded-message"])
    assert any(a.content_type == "message/rfc822" for a in forwarded.attachments)
    [odd] = parse(corpus["path-traversal-filename"]).attachments
    assert "/" not in odd.filename


def test_html_only_mail_becomes_text_without_script() -> None:
    mail = parse(hostile()["html-only-with-script"])
    assert "heating & hot water are off" in mail.text and "alert" not in mail.text


@pytest.mark.parametrize("name", sorted(hostile()))
def test_hostile_bytes_never_raise_and_always_explain(name: str) -> None:
    mail = parse(hostile()[name])
    assert mail.verdict in {"complaint", "reply", "auto_reply", "bounce", "rejected"}
    assert mail.reason
    assert len(mail.subject) <= 998


def test_a_mail_server_address_is_a_bounce_whatever_its_subject() -> None:
    for subject in ("failure", "Re: [CMP-2026-000001] hello", ""):
        raw = mf.message(sender="MAILER-DAEMON@evil.example", subject=subject)
        assert parse(raw).verdict == "bounce", subject


def test_parse_says_when_the_service_would_quarantine() -> None:
    no_from = b"To: complaints@landlord.example\r\nSubject: who\r\n\r\nhello"
    assert "quarantines" in parse(no_from).reason and "no usable sender" in parse(no_from).reason


# --- issue 18, defect 6: a reference is matched whole, never as part of a longer one -------------


@pytest.mark.parametrize("text", [
    "Re: CMP-2026-000001/x about the boiler",  # an imported reference that contains ours
    "Re: [CMP-2026-000001/x] We have received your complaint",
    "xCMP-2026-0000012", "CMP-2026-0000012", "ACMP-2026-000001", "OLD/CMP-2026-000001",
    "CMP-2026-000001.2", "CMP-2026-000001-b", "CMP-2026-000001_b", "old.CMP-2026-000001",
    "CMP-2026-000001é", "éCMP-2026-000001", "CMP-2026-000001\u0663",
    "CMP-\u0662\u0660\u0662\u0666-000001",  # digits of another script are not our numbering
])
def test_a_reference_inside_a_longer_token_is_no_reference(text: str) -> None:
    from complaints.mail.inbound import find_reference

    assert find_reference(text) is None
    assert parse(mf.message(subject=text)).reference is None


@pytest.mark.parametrize("text", [
    "CMP-2026-000001", "Re: [CMP-2026-000001] Your complaint", "Re:CMP-2026-000001",
    "about CMP-2026-000001.", "(CMP-2026-000001)", "CMP-2026-000001, thanks", "«CMP-2026-000001»",
    "Re: CMP-2026-000001/x, or rather CMP-2026-000001", "ref: -CMP-2026-000001-",
])
def test_a_whole_reference_is_found_whatever_punctuation_is_around_it(text: str) -> None:
    from complaints.mail.inbound import find_reference

    assert find_reference(text) == "CMP-2026-000001"


def test_a_plus_address_or_message_id_names_a_case_only_by_a_whole_reference() -> None:
    whole = parse(mf.message(subject="hello", to="complaints+CMP-2026-000001@landlord.example"))
    assert whole.reference == "CMP-2026-000001"
    longer = parse(mf.message(subject="hello", to="complaints+CMP-2026-000001/x@landlord.example"))
    assert longer.reference is None
    # our letters' Message-IDs carry the reference after their random part (and make_msgid's
    # idstring in letters sent before issue 18)
    for random_part in ("0123456789abcdef0123456789abcdef", "177.1.2"):
        ours = parse(mf.message(subject="hello", headers={
            "In-Reply-To": f"<{random_part}.CMP-2026-000001@landlord.example>"}))
        assert ours.reference == "CMP-2026-000001"
        for imported in ("CMP-2026-000001/x", "CMP-2026-000001x", "OLD.CMP-2026-000001"):
            mail = parse(mf.message(subject="hello", headers={
                "In-Reply-To": f"<{random_part}.{imported}@landlord.example>"}))
            assert mail.reference is None


def test_the_local_stack_reports_a_folded_from_whole_as_ses_does() -> None:
    """The local SES stand-in's commonHeaders.from took the first physical line of a folded
    From ("Sam Officer"), so the check of what SES read of From had no address to compare."""
    from datetime import UTC, datetime

    from complaints.local.stack import ses_event

    raw = b"From: Sam Officer\r\n <sam@landlord.example>\r\nTo: c@landlord.example\r\n\r\nhi"
    event = ses_event("m1", raw, "sam@landlord.example", ["c@landlord.example"],
                      datetime(2026, 5, 22, tzinfo=UTC))
    assert event["Records"][0]["ses"]["mail"]["commonHeaders"]["from"] == [
        "Sam Officer <sam@landlord.example>"]

