"""#preview, quoting and confirmations tried from outside (issue 20; docs/threat-model.md,
"An outside look at #preview and confirmations"): each failed before its fix."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from complaints.adapters.memory import InMemoryRawMail, InMemoryStore
from complaints.bootstrap import mailroom_for
from complaints.service.clock import StatutoryClock
from complaints.service.mailroom import Delivery, Mailroom
from complaints.service.post import LetterNotSent
from tests import mailfactory as mf
from tests.conftest import MAIL_CONFIG, Outbox
from tests.service.mailbox import letters, loaded, parsed, raw_of, text, to
from tests.service.test_confirmations import DEFINITION, JANE, TEAM, StaffMailDownOnce

SAM = "Sam Officer <sam@landlord.example>"


@pytest.fixture()
def room(store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox, clock: StatutoryClock) -> Mailroom:
    config = dataclasses.replace(MAIL_CONFIG, team_address=TEAM, letters_per_hour=1000)
    return mailroom_for(store, raw_mail, outbox.sender, clock, config)


@pytest.fixture()
def deliver(room: Mailroom, raw_mail: InMemoryRawMail) -> Any:
    def go(raw: bytes, key: str | None = None) -> Any:
        key = key or f"ses-{uuid.uuid4().hex[:12]}"
        raw_mail.put(raw_mail.key_for(key), raw)
        return room.receive(Delivery(key, raw_mail.key_for(key), datetime.now(UTC)))

    return go


def opened(deliver: Callable[..., Any], outbox: Outbox) -> Any:
    created = deliver(mf.message(sender=JANE, body="Black mould at 4 Elm Row, NE1 4ST."))
    return created.reference, raw_of(outbox, "staff_new_case")


def to_jane(outbox: Outbox) -> Any:
    return [
        str(m["X-Complaints-Letter"]) for m in map(parsed, outbox.letters()) if to(m) == "jane@example.org"
    ]


def subjects(outbox: Outbox) -> Any:
    return [str(m["Subject"]) for m in letters(outbox, "command_result")]


# 1. #preview below the text of a reply to a resident's forwarded message (no top # lines)
def test_preview_below_text_answering_a_forward(
    deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox
) -> None:
    opened(deliver, outbox)
    deliver(mf.reply(raw_of(outbox, "receipt"), sender=JANE, body="When will someone come?"))
    forward = raw_of(outbox, "resident_wrote")
    deliver(
        mf.reply(
            forward,
            sender=SAM,
            body=("Someone will come on Monday between 8 and 12, we promise.\n\n#preview"),
        )
    )
    assert to_jane(outbox) == ["receipt"], "a #preview reply sent a real message to Jane"


# 1b. misspelt preview below the text of a reply with top commands
@pytest.mark.parametrize("word", ["#draft", "#previw", "#dry-run", "#preveiw"])
def test_misspelt_preview_below_text(
    deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox, word: Any
) -> None:
    reference, notice = opened(deliver, outbox)
    deliver(mf.reply(notice, sender=SAM, body=f"#acknowledge\n\n{DEFINITION}\n\n{word}"))
    case = loaded(store, reference)
    assert case.status.value == "received", f"{word} below the text: acknowledged for real"


# 1c. spelt with a space / other words
@pytest.mark.parametrize(
    "word",
    [
        "#dry run",
        "#test run",
        "#trial run",
        "#preview-only",
        "#dry_run",
        "#pre-view",
        "#Preview!",
        "# preview",
        "#PREVIEW:",
        "#draft only",
    ],
)
def test_preview_spellings_on_top(
    deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox, word: Any
) -> None:
    reference, notice = opened(deliver, outbox)
    deliver(mf.reply(notice, sender=SAM, body=f"{word}\n#acknowledge\n\n{DEFINITION}"))
    case = loaded(store, reference)
    assert case.status.value == "received", f"{word}: acknowledged for real"


# 1d. #preview after 50 command lines
def test_preview_after_fifty_command_lines(
    deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox
) -> None:
    reference, notice = opened(deliver, outbox)
    notes = "\n".join(f"#note n{i}" for i in range(50))
    deliver(mf.reply(notice, sender=SAM, body=f"#acknowledge\n{notes}\n#preview\n\n{DEFINITION}"))
    case = loaded(store, reference)
    assert case.status.value == "received", "#preview on line 52: ran for real"


# 1e. a line of text above #preview
def test_text_above_preview_answering_forward(
    deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox
) -> None:
    opened(deliver, outbox)
    deliver(mf.reply(raw_of(outbox, "receipt"), sender=JANE, body="When will someone come?"))
    forward = raw_of(outbox, "resident_wrote")
    deliver(
        mf.reply(
            forward,
            sender=SAM,
            body=("Sam here:\n#preview\n#message\nSomeone will come on Monday between 8 and 12."),
        )
    )
    assert to_jane(outbox) == ["receipt"]


# 2. preview with assign: no handover, handler unchanged
def test_preview_assign_close_policy(
    deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox
) -> None:
    reference, notice = opened(deliver, outbox)
    before = loaded(store, reference)
    deliver(
        mf.reply(
            notice,
            sender=SAM,
            body=(
                "#preview\n#assign lee@landlord.example\n#policy spso-mchp\n#adjustments large print\n"
                "#category repairs - damp\n#tenure LCRA\n#note hello\n#refuse out of time"
            ),
        )
    )
    after = loaded(store, reference)
    assert after.handler == before.handler and after.policy == before.policy
    assert after.support_needs == before.support_needs
    assert after.status == before.status
    assert [str(m["X-Complaints-Letter"]) for m in map(parsed, outbox.letters())].count("handover") == 0
    changed = {k for k in vars(after) if getattr(after, k) != getattr(before, k)}
    assert changed <= {"timeline", "letters", "stored", "staff_names"}, changed


# 3. preview of respond + close on an acknowledged case; letters lint
def test_preview_respond_close(deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    reference, notice = opened(deliver, outbox)
    deliver(mf.reply(notice, sender=SAM, body=f"#acknowledge\n\n{DEFINITION}"))
    before = loaded(store, reference)
    n = len(outbox.letters())
    deliver(
        mf.reply(
            notice,
            sender=SAM,
            body=(
                "#preview\n#respond upheld\n#remedy New fan by 30 December 2026\n#close\n\n"
                "We agree: the fan failed."
            ),
        )
    )
    after = loaded(store, reference)
    assert after.status == before.status and after.outcomes == before.outcomes
    assert len(outbox.letters()) == n + 1
    changed = {k for k in vars(after) if getattr(after, k) != getattr(before, k)}
    assert changed <= {"timeline", "letters", "stored", "staff_names"}, changed


# 4. a preview inside an HTML-only reply (Gmail style)
def test_preview_html_only(deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    reference, notice = opened(deliver, outbox)
    html = (
        "<div dir='ltr'><div>#preview</div><div>#acknowledge</div><div><br></div>"
        f"<div>{DEFINITION}</div></div>"
        "<div class='gmail_quote'><div class='gmail_attr'>On Fri, 5 Jun 2026 at 09:12, "
        "Complaints &lt;c@landlord.example&gt; wrote:</div>"
        "<blockquote class='gmail_quote'>#close</blockquote></div>"
    )
    h = mf._headers(notice)
    deliver(
        mf.client_message(
            sender=SAM,
            to=h["reply-to"],
            subject="Re: " + h["subject"],
            html=html,
            headers={"In-Reply-To": h["message-id"]},
        )
    )
    case = loaded(store, reference)
    assert case.status.value == "received"
    assert "Preview" in subjects(outbox)[-1]


def test_preview_on_a_staff_forward(
    deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox
) -> None:
    body = (
        "#preview\nJane emailed me directly: please log it.\n\n"
        "---------- Forwarded message ---------\nFrom: Jane Resident <jane@example.org>\n"
        "Date: Mon, 7 Dec 2026 at 09:14\nSubject: Damp in the bathroom\n"
        "To: Sam Officer <sam@landlord.example>\n\n"
        "The black mould is back in the bathroom.\n"
    )
    out = deliver(mf.message(sender=SAM, subject="Fwd: Damp in the bathroom", body=body,
                             ses=mf.ses_headers("landlord.example")))
    assert out.outcome == "quarantined" and store.cases_for_sender("jane@example.org") == []
    assert letters(outbox, "receipt") == []


def test_preview_on_a_log(deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    body = (
        "#preview\n#complainant Jane Resident <jane@example.org>\n#channel phone\nJane rang: mould is back.\n"
    )
    out = deliver(mf.message(sender=SAM, subject="Phone complaint", body=body,
                             ses=mf.ses_headers("landlord.example")))
    assert out.outcome == "quarantined" and store.cases_for_sender("jane@example.org") == []
    assert letters(outbox, "receipt") == []


@pytest.mark.parametrize(
    "written",
    [
        "2w",
        "1m",
        "2 more weeks",
        "10 calender days",
        "5 Jan",
        "3 extra days",
        "14 nights",
        "2 w",
        "1 week 2 days",
    ],
)
def test_extend_spellings(
    deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox, written: Any
) -> None:
    reference, notice = opened(deliver, outbox)
    deliver(mf.reply(notice, sender=SAM, body=f"#acknowledge\n\n{DEFINITION}"))
    deliver(mf.reply(notice, sender=SAM, body=f"#extend {written} waiting for the survey"))
    case = loaded(store, reference)
    # refused, never N working days by accident
    assert case.extended_to is None, f"#extend {written} extended to {case.extended_to}"
    assert "REFUSED" in subjects(outbox)[-1]


def test_two_weeks_advice_lands_on_the_date_it_named(
    deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox
) -> None:
    reference, notice = opened(deliver, outbox)
    deliver(mf.reply(notice, sender=SAM, body=f"#acknowledge\n\n{DEFINITION}"))
    deliver(mf.reply(notice, sender=SAM, body="#extend 1 week waiting for the survey"))
    case = loaded(store, reference)
    [said] = [t.detail for t in case.timeline if t.event == "command refused"]
    number = re.search(r"write #extend (\d+)", said)
    named = re.search(r", to (\w+ \d+ \w+ \d{4}): write", said)
    assert number is not None and named is not None, said
    deliver(mf.reply(notice, sender=SAM,
                     body=f"#extend {number.group(1)} waiting for the survey"))
    case = loaded(store, reference)
    assert case.extended_to is not None
    assert f"{case.extended_to:%A} {case.extended_to.day} {case.extended_to:%B %Y}" == named.group(1)


def test_a_confirmation_on_a_retry_quotes_the_letter_as_jane_got_it(
    store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox, clock: StatutoryClock
) -> None:
    config = dataclasses.replace(MAIL_CONFIG, team_address=TEAM, letters_per_hour=1000)
    room = mailroom_for(store, raw_mail, StaffMailDownOnce(outbox), clock, config)

    def deliver(raw: Any, key: Any) -> Any:
        raw_mail.put(raw_mail.key_for(key), raw)
        return room.receive(Delivery(key, raw_mail.key_for(key), datetime.now(UTC)))

    deliver(mf.message(sender=JANE), "ses-open")
    notice = raw_of(outbox, "staff_new_case")
    reply = mf.reply(
        notice, sender="Sam Officer <sam@landlord.example>", body=f"#acknowledge\n\n{DEFINITION}"
    )
    with pytest.raises(LetterNotSent):
        deliver(reply, "ses-ack")
    # meanwhile Sam writes again under another display name (a note)
    deliver(
        mf.reply(notice, sender="Samuel Q. Officer-Smith <sam@landlord.example>", body="#note rang Jane"),
        "ses-note",
    )
    deliver(reply, "ses-ack")  # Lambda's retry
    [sent] = letters(outbox, "acknowledgement")
    confirmations = [m for m in letters(outbox, "command_result")
                     if "acknowledg" in str(m["Subject"])]
    said = text(confirmations[-1])
    assert text(sent) in said
