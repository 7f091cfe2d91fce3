"""Issue 20, "staff words reach residents only on purpose": what a staff member is told back,
on the in-memory ports.

Given a case opened by email, when staff reply with `#preview` above their commands, then
nothing on the case changes and nothing goes to the resident, and the sender gets the letters
as they would go (their text, the whole letters attached, what the letter checker found); when
they reply without it, the confirmation carries the exact text each letter went with, and its
subject says Done, REFUSED or Needs you; `#extend` in weeks, days or months is refused with the
working days to write.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from complaints.adapters.memory import InMemoryRawMail, InMemoryStore
from complaints.bootstrap import mailroom_for
from complaints.service.clock import StatutoryClock
from complaints.service.mailroom import Delivery, Mailroom
from complaints.service.post import LetterNotSent
from complaints.service.records import SendError
from tests import mailfactory as mf
from tests.conftest import MAIL_CONFIG, Outbox
from tests.service.mailbox import letters, loaded, parsed, raw_of, text, to

TEAM = "complaints-team@landlord.example"
SAM = "Sam Officer <sam@landlord.example>"
JANE = "Jane Resident <jane@example.org>"
DEFINITION = ("Black mould in the bathroom since March; Jane wants it treated and the fan "
              "fixed.")


@pytest.fixture()
def room(store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox,
         clock: StatutoryClock) -> Mailroom:
    config = dataclasses.replace(MAIL_CONFIG, team_address=TEAM, letters_per_hour=1000)
    return mailroom_for(store, raw_mail, outbox.sender, clock, config)


@pytest.fixture()
def deliver(room: Mailroom, raw_mail: InMemoryRawMail) -> Callable[..., Any]:
    """Deliver raw bytes under an SES id (a new one unless given: a redelivery reuses it)."""
    def go(raw: bytes, key: str | None = None) -> Any:
        key = key or f"ses-{uuid.uuid4().hex[:12]}"
        raw_mail.put(raw_mail.key_for(key), raw)
        return room.receive(Delivery(key, raw_mail.key_for(key), datetime.now(UTC)))
    return go








def opened(deliver: Callable[..., Any], outbox: Outbox) -> tuple[str, bytes]:
    """A new case: its reference and the team's notice (to reply to)."""
    created = deliver(mf.message(sender=JANE, body="Black mould at 4 Elm Row, NE1 4ST."))
    return created.reference, raw_of(outbox, "staff_new_case")


def to_jane(outbox: Outbox) -> list[str]:
    return [str(m["X-Complaints-Letter"]) for m in map(parsed, outbox.letters())
            if to(m) == "jane@example.org"]


# --- #preview ---------------------------------------------------------------------------------


def test_a_preview_changes_nothing_sends_nothing_to_the_resident_and_shows_the_letters(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    reference, notice = opened(deliver, outbox)
    before = loaded(store, reference)
    # when Sam previews an acknowledgement and an extension
    outcome = deliver(mf.reply(notice, sender=SAM, body=(
        f"#preview\n#acknowledge\n#extend 5 waiting for the damp survey\n\n{DEFINITION}")))
    # then the case is as it was: no status, dates, definition or letter to Jane changed
    after = loaded(store, reference)
    assert outcome.outcome == "appended"
    assert after.status == before.status and after.status.value == "received"
    assert after.deadlines == before.deadlines and after.extended_to is None
    assert after.definitions == {} and after.handler == before.handler
    assert sorted(x.kind for x in after.letters.values()) == [
        "command_result", "receipt", "staff_new_case"]
    assert to_jane(outbox) == ["receipt"]
    assert [t.event for t in after.timeline if t.event in (
        "acknowledged", "extended", "command refused")] == []
    [entry] = [t for t in after.timeline if t.event == "commands previewed"]
    assert "#acknowledge would be done; #extend would be done" in entry.detail
    # and Sam gets one confirmation: a preview, with both letters as they would go
    [confirmation] = letters(outbox, "command_result")
    assert to(confirmation) == "sam@landlord.example"
    assert confirmation["Subject"] == (f"[{reference}] Preview, nothing done: #acknowledge "
                                       "would be done (+1 more)")
    said = text(confirmation)
    assert "nothing was done and nothing was sent to anyone" in " ".join(said.split())
    assert "#acknowledge: would be done" in said and "#extend: would be done" in said
    assert said.count("The letter checker found nothing wanting.") == 2
    attached = {str(p.get_filename()): p.get_content() for p in confirmation.iter_attachments()}
    assert sorted(attached) == ["preview-1-acknowledgement.eml", "preview-2-extension.eml"]
    for name, kind in (("preview-1-acknowledgement.eml", "acknowledgement"),
                       ("preview-2-extension.eml", "extension")):
        letter = parsed(attached[name])
        assert str(letter["X-Complaints-Letter"]) == kind and to(letter) == "jane@example.org"
        assert text(letter) in said  # the text shown is the letter's own, whole
    acknowledgement = " ".join(text(parsed(attached["preview-1-acknowledgement.eml"])).split())
    assert DEFINITION in acknowledgement
    assert "waiting for the damp survey" in text(parsed(attached["preview-2-extension.eml"]))


def test_a_preview_then_the_same_commands_for_real_send_the_letters_it_showed(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    reference, notice = opened(deliver, outbox)
    commands = f"#acknowledge\n\n{DEFINITION}"
    deliver(mf.reply(notice, sender=SAM, body="#preview\n" + commands))
    [shown] = [p.get_content() for p in letters(outbox, "command_result")[0].iter_attachments()]
    deliver(mf.reply(notice, sender=SAM, body=commands))
    [sent] = letters(outbox, "acknowledgement")
    assert text(sent) == text(parsed(shown))  # what was previewed is what went
    assert loaded(store, reference).status.value == "acknowledged"


def test_a_preview_shows_what_the_letter_checker_finds(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    # a Scottish complaint: no stage 1 letter may signpost the SPSO (model CHP ¶108), so a
    # response that does is one the post would refuse to send
    created = deliver(mf.message(sender=JANE, body="Mould at 3 Belmont Road, G72 8PG."))
    reference, notice = created.reference, raw_of(outbox, "staff_new_case")
    assert loaded(store, reference).policy == "spso-mchp"
    deliver(mf.reply(notice, sender=SAM, body=(
        "#preview\n#respond upheld\n\nWe agree because the fan failed. If you are unhappy "
        "you can go to the SPSO.")))
    [confirmation] = letters(outbox, "command_result")
    said = " ".join(text(confirmation).split())
    assert "The letter checker found (it would NOT be sent):" in said
    assert "must not say" in said and "[no-spso-signpost]" in said
    assert confirmation.get_body(preferencelist=("html",)) is not None
    assert "[no-spso-signpost]" in str(confirmation.get_body(preferencelist=("html",))
                                       .get_content())  # type: ignore[union-attr]
    assert to_jane(outbox) == ["receipt"]
    assert loaded(store, reference).status.value == "received"
    # and the same response for real is not sent, for the reason the preview gave
    deliver(mf.reply(notice, sender=SAM, body=(
        "#respond upheld\n\nWe agree because the fan failed. If you are unhappy you can go "
        "to the SPSO.")))
    [response] = [x for x in loaded(store, reference).letters.values()
                  if x.kind == "stage1_response"]
    assert response.status.value == "failed" and "no-spso-signpost" in response.error
    assert str(letters(outbox, "command_result")[-1]["Subject"]).startswith(
        f"[{reference}] Needs you: stage1 response letter to jane@example.org: NOT SENT")


def test_a_preview_shows_refusals_and_the_redelivered_reply_confirms_once(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    reference, notice = opened(deliver, outbox)
    reply = mf.reply(notice, sender=SAM, body="#preview\n#respond upheld\n\nWe agree because.")
    first = deliver(reply, key="ses-preview-1")
    # the same message again, under its own SES id and under another
    again = deliver(reply, key="ses-preview-1")
    other = deliver(reply, key="ses-preview-2")
    assert first.outcome == "appended" and again.outcome == other.outcome == "duplicate"
    [confirmation] = letters(outbox, "command_result")
    assert str(confirmation["Subject"]).startswith(
        f"[{reference}] Preview, nothing done: #respond would be REFUSED: stage 1 of "
        f"{reference} has not been acknowledged")
    assert confirmation.get_body(preferencelist=("plain",)) is not None
    assert list(confirmation.iter_attachments()) == []  # no letter would go
    assert to_jane(outbox) == ["receipt"]
    case = loaded(store, reference)
    assert [t.event for t in case.timeline].count("commands previewed") == 1
    assert not any(t.event == "command refused" for t in case.timeline)


def test_preview_anywhere_in_the_reply_or_misspelt_is_still_only_a_preview(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    reference, notice = opened(deliver, outbox)
    deliver(mf.reply(notice, sender=SAM, body=f"#acknowledge\n\n{DEFINITION}\n#preview"))
    deliver(mf.reply(notice, sender=SAM, body=f"#previw\n#acknowledge\n\n{DEFINITION}"))
    assert loaded(store, reference).status.value == "received"
    assert to_jane(outbox) == ["receipt"]
    subjects = [str(m["Subject"]) for m in letters(outbox, "command_result")]
    assert len(subjects) == 2 and all("Preview, nothing done" in s for s in subjects)


def test_a_preview_of_a_policy_change_shows_letters_under_the_new_policy_and_keeps_the_old(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    reference, notice = opened(deliver, outbox)
    policy = loaded(store, reference).policy
    deliver(mf.reply(notice, sender=SAM, body=(
        "#preview\n#policy spso-mchp\n#respond upheld\n\nWe agree because the fan failed.")))
    case = loaded(store, reference)
    assert case.policy == policy and case.status.value == "received"
    [confirmation] = letters(outbox, "command_result")
    said = text(confirmation)
    assert "#policy: would be done" in said and "#respond: would be done" in said
    [shown] = [parsed(p.get_content()) for p in confirmation.iter_attachments()]
    assert str(shown["X-Complaints-Letter"]) == "stage1_response"
    assert to_jane(outbox) == ["receipt"]


def test_a_preview_with_nothing_to_preview_says_so(
        deliver: Callable[..., Any], outbox: Outbox) -> None:
    _, notice = opened(deliver, outbox)
    deliver(mf.reply(notice, sender=SAM, body="#preview"))
    [confirmation] = letters(outbox, "command_result")
    assert "REFUSED" in str(confirmation["Subject"])
    assert "there is nothing to preview" in text(confirmation)


# --- the exact text, and the subjects ------------------------------------------------------------


def test_a_confirmation_carries_the_exact_text_each_letter_went_with(
        deliver: Callable[..., Any], outbox: Outbox) -> None:
    reference, notice = opened(deliver, outbox)
    deliver(mf.reply(notice, sender=SAM, body=(
        f"#acknowledge\n#extend 5 waiting for the damp survey\n\n{DEFINITION}")))
    [confirmation] = letters(outbox, "command_result")
    said = text(confirmation)
    assert "What went to the resident, exactly as sent:" in said
    for kind in ("acknowledgement", "extension"):
        [sent] = letters(outbox, kind)
        assert to(sent) == "jane@example.org"
        assert text(sent) in said  # whole, as the resident has it
        assert f"----- {kind} letter to jane@example.org" in said
    assert str(confirmation["Subject"]).startswith(f"[{reference}] Done: #acknowledge: ")
    assert str(confirmation["Subject"]).endswith("(+1 more)")


class StaffMailDownOnce:
    """The mail service refusing the first note to staff (the resident's letters go)."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox, self.refused = outbox, False

    def send(self, message: EmailMessage) -> str:
        if str(message["X-Complaints-Letter"]) == "command_result" and not self.refused:
            self.refused = True
            raise SendError("421 try again later")
        return self.outbox.sender.send(message)


def test_a_confirmation_sent_on_a_retry_still_carries_the_text_that_went(
        store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox,
        clock: StatutoryClock) -> None:
    config = dataclasses.replace(MAIL_CONFIG, team_address=TEAM, letters_per_hour=1000)
    room = mailroom_for(store, raw_mail, StaffMailDownOnce(outbox), clock, config)

    def deliver(raw: bytes, key: str) -> Any:
        raw_mail.put(raw_mail.key_for(key), raw)
        return room.receive(Delivery(key, raw_mail.key_for(key), datetime.now(UTC)))

    deliver(mf.message(sender=JANE), "ses-open")
    reply = mf.reply(raw_of(outbox, "staff_new_case"), sender=SAM,
                     body=f"#acknowledge\n\n{DEFINITION}")
    with pytest.raises(LetterNotSent):  # Lambda retries the delivery
        deliver(reply, "ses-ack")
    assert letters(outbox, "command_result") == []
    deliver(reply, "ses-ack")  # the retry: the acknowledgement went the first time
    [sent] = letters(outbox, "acknowledgement")
    [confirmation] = letters(outbox, "command_result")
    assert text(sent) in text(confirmation)
    assert "It went in an earlier try of this reply" in text(confirmation)


def test_a_confirmation_with_a_refusal_says_refused_in_its_subject(
        deliver: Callable[..., Any], outbox: Outbox) -> None:
    reference, notice = opened(deliver, outbox)
    deliver(mf.reply(notice, sender=SAM, body=(
        f"#note rang Jane\n#extend 5 waiting for the survey\n#acknowledge\n\n{DEFINITION}")))
    [confirmation] = letters(outbox, "command_result")
    subject = str(confirmation["Subject"])
    assert subject.startswith(f"[{reference}] REFUSED: #extend: stage 1 of {reference} has "
                              "not been acknowledged")
    assert subject.endswith("(+2 more)") and len(subject) < 200
    # the acknowledgement still went, and its text is in the confirmation
    [sent] = letters(outbox, "acknowledgement")
    assert text(sent) in text(confirmation)


def test_a_confirmation_of_a_letter_not_sent_says_needs_you_and_a_preview_warns_first(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    # a raw UTF-8 (RFC 6532) address: a case, but the mail service cannot send to it
    created = deliver(mf.ses_headers("example.es") + "From: José <josé@example.es>\r\n"
                      "To: complaints@landlord.example\r\nSubject: Damp\r\n"
                      "Message-ID: <utf8-1@example.es>\r\n\r\nThe damp is back.\r\n".encode())
    reference, notice = created.reference, raw_of(outbox, "staff_new_case")
    deliver(mf.reply(notice, sender=SAM, body=f"#preview\n#acknowledge\n\n{DEFINITION}"))
    [preview] = letters(outbox, "command_result")
    assert "acknowledgement letter to josé@example.es" in text(preview)
    assert "would NOT be sent: josé@example.es has non-ASCII characters" in " ".join(
        text(preview).split())
    deliver(mf.reply(notice, sender=SAM, body=f"#acknowledge\n\n{DEFINITION}"))
    confirmation = letters(outbox, "command_result")[-1]
    assert str(confirmation["Subject"]).startswith(
        f"[{reference}] Needs you: acknowledgement letter to josé@example.es: NOT SENT")
    assert "acknowledgement letter to josé@example.es: NEEDS YOU" in text(confirmation)
    assert "What went to the resident" not in text(confirmation)


def test_an_aside_to_the_teams_notice_is_done_and_says_it_was_not_sent(
        deliver: Callable[..., Any], outbox: Outbox) -> None:
    reference, notice = opened(deliver, outbox)
    deliver(mf.reply(notice, sender=SAM, body="I'll pick this one up - Sam"))
    [confirmation] = letters(outbox, "command_result")
    assert str(confirmation["Subject"]).startswith(
        f"[{reference}] Done: #note: kept as an internal note, NOT sent to the resident")


# --- #extend in other units ----------------------------------------------------------------------


@pytest.mark.parametrize(("written", "span"), [
    ("2 weeks", timedelta(weeks=2)), ("14 days", timedelta(days=14)),
    ("10 calendar days", timedelta(days=10)), ("a fortnight", timedelta(weeks=2)),
])
def test_extend_in_weeks_or_days_is_refused_with_the_working_days_to_write(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox, written: str,
        span: timedelta, clock: StatutoryClock) -> None:
    reference, notice = opened(deliver, outbox)
    deliver(mf.reply(notice, sender=SAM, body=f"#acknowledge\n\n{DEFINITION}"))
    deliver(mf.reply(notice, sender=SAM, body=f"#extend {written} waiting for the survey"))
    case = loaded(store, reference)
    assert case.extended_to is None and case.status.value == "acknowledged"
    assert "extension" not in to_jane(outbox)
    # the working days on from the response date now due to the working day the span
    # reaches, on the case's calendar: the date #extend n then gives
    calendar = clock.calendar_for(clock.presets.get(case.policy))
    assert case.deadlines is not None
    due = case.deadlines.respond_by
    n = calendar.working_days_between(due, calendar.working_day_on_or_after(due + span))
    end = calendar.add_working_days(due, n)
    expected = (f"{written} on from the response date now due ({due:%A} {due.day} {due:%B %Y}) "
                f"is {n} working days, to {end:%A} {end.day} {end:%B %Y}: write #extend {n} "
                "waiting for the survey")
    [said] = [t.detail for t in case.timeline if t.event == "command refused"]
    assert expected in said
    refusal = str(letters(outbox, "command_result")[-1]["Subject"])
    assert refusal.startswith(f"[{reference}] REFUSED: #extend: {written} on from the response")
    # and writing that number lands on the date it named
    deliver(mf.reply(notice, sender=SAM, body=f"#extend {n} waiting for the survey"))
    assert loaded(store, reference).extended_to == end


def test_extend_over_the_cap_is_refused_with_the_latest_date_allowed(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox,
        clock: StatutoryClock) -> None:
    reference, notice = opened(deliver, outbox)
    deliver(mf.reply(notice, sender=SAM, body=f"#acknowledge\n\n{DEFINITION}"))
    deliver(mf.reply(notice, sender=SAM, body="#extend 15 waiting for the survey"))
    case = loaded(store, reference)
    assert case.deadlines is not None
    policy = clock.presets.get(case.policy)
    cap = policy.stage(1).extension.working_days
    assert cap is not None
    latest = clock.calendar_for(policy).add_working_days(case.deadlines.respond_by, cap)
    [said] = [t.detail for t in case.timeline if t.event == "command refused"]
    assert (f"the latest date allowed is {latest:%A} {latest.day} {latest:%B %Y}, {cap} more "
            f"working days (#extend {cap} waiting for the survey)") in said
