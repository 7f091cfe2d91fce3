"""The inbound pipeline at the service layer, on the in-memory ports.

Given a message as SES stores it, when the mailroom receives it, then the case, the timeline,
the quarantine and the outbox say what happened.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from complaints.adapters.memory import InMemoryRawMail, InMemoryStore
from complaints.bootstrap import mailroom_for
from complaints.local.stack import CrashBeforeFirstSend
from complaints.service.clock import StatutoryClock
from complaints.service.mailroom import Delivery, Mailroom
from complaints.service.post import LetterNotSent
from tests import mailfactory as mf
from tests.conftest import MAIL_CONFIG, Outbox


def letter(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def text_of(raw: bytes) -> str:
    body = letter(raw).get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def letter_statuses(store: InMemoryStore, reference: str) -> dict[str, str]:
    case = store.load(reference)
    assert case is not None
    return {x.kind: x.status.value for x in case.letters.values()}


def events(store: InMemoryStore, reference: str) -> list[tuple[str, str]]:
    case = store.load(reference)
    assert case is not None
    return [(e.event, e.detail) for e in case.timeline]


def test_a_complaint_opens_a_case_and_gets_a_receipt_letter(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    # Fri 22 May 2026 10:00 BST; Mon 25 May is a bank holiday
    at = datetime(2026, 5, 22, 9, 0, tzinfo=UTC)
    outcome = deliver(mf.message(attachments=[("mould.jpg", "image/jpeg", b"\xff\xd8" * 100)]),
                      at=at)
    assert outcome.outcome == "created" and outcome.reference.startswith("CMP-2026-")
    case = store.load(outcome.reference)
    assert case is not None
    assert (case.policy, case.status, case.received_on) == ("hos-2024", "received", date(2026, 5, 22))
    assert case.deadlines is not None
    assert (case.deadlines.acknowledge_by, case.deadlines.respond_by) == (
        date(2026, 6, 1), date(2026, 6, 15))
    assert letter_statuses(store, outcome.reference) == {"receipt": "sent"}
    [sent] = outbox.letters()
    m = letter(sent)
    assert m["To"].addresses[0].addr_spec == "jane@example.org"
    assert m["Reply-To"] == f"complaints+{outcome.reference}@landlord.example"
    assert outcome.reference in m["Subject"]
    body = text_of(sent)
    assert "Monday 1 June 2026" in body and "Monday 15 June 2026" in body
    assert "black mould" in body and "mould.jpg" in body
    assert "PO Box 1484" in body  # the Ombudsman's details for England
    [attachment] = store.attachments(outcome.reference)
    assert attachment["filename"] == "mould.jpg" and attachment["size"] == 200
    assert len(attachment["sha256"]) == 64
    # the outbound Message-ID threads replies back
    assert store.reference_for_message_id(m["Message-ID"]) == outcome.reference


def test_scottish_postcode_chooses_the_scottish_policy(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    outcome = deliver(mf.message(body="My home at 3 Belmont Road, Cambuslang G72 8PG is cold."),
                      at=datetime(2026, 6, 12, 9, 0, tzinfo=UTC))
    case = store.load(outcome.reference)
    assert case is not None and case.policy == "spso-mchp"
    assert ("policy chosen", "spso-mchp: postcode G72 8PG in the resident's message is in "
            "scotland; the handler confirms it is the home's") in events(store, outcome.reference)
    assert "nation-to-confirm" in case.flags  # a postcode in a message settles nothing alone
    assert case.deadlines is not None and case.deadlines.respond_by == date(2026, 6, 19)
    body = text_of(outbox.letters()[0])
    assert "Friday 19 June 2026" in body
    # a stage 1 letter does not signpost the SPSO (003 ¶108, ¶151): it says how to ask for stage 2
    assert "Bridgeside House" not in body and "SPSO" not in body
    assert "Scottish Public Services Ombudsman" not in body
    assert "at stage 2" in body and "two months of receiving our stage 1 response" in body


def test_reply_from_the_resident_is_appended(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    created = deliver(mf.message())
    sent = outbox.letters()[0]
    outcome = deliver(mf.reply(sent, body="Here are two more photos."))
    assert (outcome.outcome, outcome.reference) == ("appended", created.reference)
    assert len(store.messages(created.reference)) == 3  # complaint, letter, reply
    assert any(e == "message added" for e, _ in events(store, created.reference))
    assert len(outbox.letters()) == 1  # a reply is not answered with another receipt


def test_reply_with_reference_only_in_the_subject_is_appended(
        deliver: Callable[..., Any], store: InMemoryStore) -> None:
    created = deliver(mf.message())
    outcome = deliver(mf.message(subject=f"More about {created.reference}"))
    assert (outcome.outcome, outcome.reference) == ("appended", created.reference)


def test_a_stranger_quoting_the_reference_is_never_appended(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    created = deliver(mf.message())
    sent = outbox.letters()[0]
    outcome = deliver(mf.reply(sent, sender="Mallory <mallory@elsewhere.example>"))
    assert outcome.outcome == "created" and outcome.reference != created.reference
    before = events(store, created.reference)
    assert not any("mallory" in d for _, d in before)  # nothing added to Jane's case
    why = dict(events(store, outcome.reference))["threading decision"]
    assert created.reference in why and "not a party" in why


def test_out_of_office_is_recorded_and_not_answered(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    created = deliver(mf.message())
    outcome = deliver(mf.out_of_office(outbox.letters()[0]))
    assert (outcome.outcome, outcome.reference) == ("appended", created.reference)
    assert any(e == "automatic reply" and d.startswith("Auto-Submitted: auto-replied from "
                                                        "jane@example.org")
               for e, d in events(store, created.reference))
    assert len(outbox.letters()) == 1


def test_bounce_flags_the_case_for_staff(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    created = deliver(mf.message())
    outcome = deliver(mf.bounce(outbox.letters()[0]))
    assert (outcome.outcome, outcome.reference) == ("appended", created.reference)
    case = store.load(created.reference)
    assert case is not None and "letter-undelivered" in case.flags
    assert len(outbox.letters()) == 1


def test_same_delivery_three_times_is_one_case_and_one_letter(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    raw = mf.message()
    outcomes = [deliver(raw, key="ses-same-message") for _ in range(3)]
    assert [o.outcome for o in outcomes] == ["created", "duplicate", "duplicate"]
    assert len({o.reference for o in outcomes}) == 1
    assert len(outbox.letters()) == 1
    assert store.cases_for_sender("jane@example.org") == [outcomes[0].reference]


def test_crash_between_store_and_send_sends_exactly_one_letter_on_redelivery(
        store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox, clock: StatutoryClock) -> None:
    # the same fault the local stack injects with COMPLAINTS_LOCAL_FAULT=crash-before-send
    moment = [datetime.now(UTC)]
    room = mailroom_for(store, raw_mail, CrashBeforeFirstSend(outbox.sender),
                        clock, MAIL_CONFIG, now=lambda: moment[0])
    raw_key = raw_mail.key_for("ses-crash")
    raw_mail.put(raw_key, mf.message())
    delivery = Delivery("ses-crash", raw_key, datetime.now(UTC))
    with pytest.raises(RuntimeError, match="injected fault"):
        room.receive(delivery)
    assert outbox.letters() == []
    [reference] = store.cases_for_sender("jane@example.org")
    case = store.load(reference)
    assert case is not None and letter_statuses(store, reference) == {"receipt": "sending"}
    # a copy at once (SES or Lambda handing it over twice) leaves the claim to the first, and
    # fails so that it is retried
    with pytest.raises(LetterNotSent, match="another copy of this delivery"):
        room.receive(delivery)
    assert outbox.letters() == []
    moment[0] += timedelta(minutes=1)
    again = room.receive(delivery)  # Lambda's retry, a minute on: the crashed claim is taken
    assert (again.outcome, again.reference) == ("duplicate", reference)
    assert len(outbox.letters()) == 1
    room.receive(delivery)  # and a third delivery sends nothing more
    assert len(outbox.letters()) == 1
    case = store.load(reference)
    assert case is not None and letter_statuses(store, reference) == {"receipt": "sent"}


def test_virus_verdict_is_quarantined_with_the_raw_kept(
        deliver: Callable[..., Any], store: InMemoryStore, raw_mail: InMemoryRawMail,
        outbox: Outbox) -> None:
    raw = mf.message(ses=b"X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: FAIL\r\n")
    outcome = deliver(raw, key="ses-virus")
    assert outcome.outcome == "quarantined" and "virus" in outcome.reason
    [entry] = store.quarantined()
    assert raw_mail.get(entry["raw_key"]) == raw
    assert outbox.letters() == []


def test_statutory_letter_ignores_auto_response_suppress(
        deliver: Callable[..., Any], outbox: Outbox) -> None:
    outcome = deliver(mf.message(headers={"X-Auto-Response-Suppress": "All"}))
    assert outcome.outcome == "created"
    assert len(outbox.letters()) == 1


def test_mail_from_our_own_address_is_not_answered(
        deliver: Callable[..., Any], outbox: Outbox) -> None:
    outcome = deliver(mf.message(sender="Complaints <complaints+CMP-2026-000009@landlord.example>"))
    assert outcome.outcome == "quarantined" and "loop guard" in outcome.reason
    assert outbox.letters() == []


def test_loop_guard_holds_letters_past_the_hourly_limit(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    outcomes = [deliver(mf.message(subject=f"complaint {n}")) for n in range(7)]
    assert all(o.outcome == "created" for o in outcomes)
    assert len(outbox.letters()) == MAIL_CONFIG.letters_per_hour
    held = store.load(outcomes[-1].reference)
    assert held is not None and "letter-held" in held.flags
    assert letter_statuses(store, held.reference) == {"receipt": "held"}


def test_no_reply_senders_get_a_case_but_no_letter(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    outcome = deliver(mf.message(sender="noreply@portal.example"))
    case = store.load(outcome.reference)
    assert case is not None and letter_statuses(store, case.reference) == {"receipt": "held"}
    assert outbox.letters() == []


def test_mailbox_policy_wins_over_the_default(
        deliver: Callable[..., Any], store: InMemoryStore) -> None:
    outcome = deliver(mf.message(to="scotland@landlord.example"))
    case = store.load(outcome.reference)
    assert case is not None and case.policy == "spso-mchp"


def test_staff_from_an_authenticated_domain_may_add_to_a_case(
        deliver: Callable[..., Any], store: InMemoryStore) -> None:
    created = deliver(mf.message())
    outcome = deliver(mf.message(sender="Sam Officer <sam@landlord.example>",
                                 subject=f"Re: {created.reference}"))
    assert (outcome.outcome, outcome.reference) == ("appended", created.reference)
    # the same words from a domain that failed DMARC are held for review (issue 18, 3): a case
    # opened for them would mail the real Sam
    forged = mf.message(sender="Sam Officer <sam@landlord.example>", subject=f"Re: {created.reference}",
                        ses=mf.ses_headers("landlord.example", dmarc="fail"))
    assert deliver(forged).outcome == "quarantined"


@pytest.mark.parametrize("name", sorted(__import__("tests.corpus", fromlist=["hostile"]).hostile()))
def test_hostile_messages_end_in_a_case_or_quarantine_with_a_reason(
        name: str, deliver: Callable[..., Any], store: InMemoryStore, raw_mail: InMemoryRawMail) -> None:
    from tests.corpus import hostile

    raw = hostile()[name]
    outcome = deliver(raw, key=f"ses-hostile-{name}")
    assert outcome.outcome in ("created", "quarantined"), outcome
    assert outcome.reason
    if outcome.outcome == "created":
        case = store.load(outcome.reference)
        assert case is not None and case.timeline
        [message] = [m for m in store.messages(outcome.reference) if m["direction"] == "in"]
        assert raw_mail.get(message["raw_key"]) == raw  # the raw is kept, byte for byte
    else:
        [entry] = store.quarantined()
        assert entry["reason"] == outcome.reason and raw_mail.get(entry["raw_key"]) == raw


def test_a_bounce_without_a_from_still_finds_its_case(
        deliver: Callable[..., Any], store: InMemoryStore, outbox: Outbox) -> None:
    created = deliver(mf.message())
    raw = mf.bounce(outbox.letters()[0]).replace(
        b"From: Mail Delivery Subsystem <mailer-daemon@example.org>\r\n", b"")
    outcome = deliver(raw)
    assert (outcome.outcome, outcome.reference) == ("appended", created.reference)
    case = store.load(created.reference)
    assert case is not None and "letter-undelivered" in case.flags


def test_loop_guard_counts_a_sliding_hour_not_the_clock_hour(
        store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox, clock: StatutoryClock) -> None:
    """Given 10 complaints from one inbox between 10:59:40 and 11:00:10 (issue 18, 7: a
    clock-hour counter started again at 11:00 and sent all 10), then 5 receipts go and 5 are
    held; a complaint at 12:00:30, more than an hour after the 5 sent, gets its receipt."""
    times = [datetime(2026, 5, 22, 10, 59, 40 + 4 * n, tzinfo=UTC) for n in range(5)] + [
        datetime(2026, 5, 22, 11, 0, 2 * n, tzinfo=UTC) for n in range(5)]
    now = [times[0]]
    mailroom = mailroom_for(store, raw_mail, outbox.sender, clock,
                        MAIL_CONFIG, now=lambda: now[0])
    references: list[str] = []
    for n, at in enumerate([*times, datetime(2026, 5, 22, 12, 0, 30, tzinfo=UTC)]):
        now[0] = at
        raw_key = raw_mail.key_for(f"slide-{n}")
        raw_mail.put(raw_key, mf.message(subject=f"complaint {n}"))
        outcome = mailroom.receive(Delivery(f"slide-{n}", raw_key, at))
        assert outcome.outcome == "created" and outcome.reference is not None
        references.append(outcome.reference)
    statuses = [letter_statuses(store, r)["receipt"] for r in references]
    assert statuses == ["sent"] * 5 + ["held"] * 5 + ["sent"]
    assert len(outbox.letters()) == 6


# --- issue 18, defect 6: a reference inside a longer one names no case --------------------------


def test_a_reference_inside_an_imported_one_never_threads_to_the_live_case(
        store: InMemoryStore, clock: StatutoryClock, deliver: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    from complaints.service import history
    from tests.integration.test_reports import NOW, csv_of, row

    live = deliver(mf.message(sender="amy@example.org", body="The boiler is broken."), at=NOW)
    assert live.outcome == "created"
    # an imported case whose reference holds the live one's, as an import before issue 18
    # took it (the import refuses it now): amy is a party to both
    legacy = f"{live.reference}/x"
    monkeypatch.setattr(history, "_OURS", re.compile(r"(?!)"))
    assert history.History(store, clock, "Example Homes").import_csv(csv_of(
        row(legacy, "hos-2024", "2026-11-02", resident_email="amy@example.org")), "h.csv",
        NOW)["imported"] == 1
    before = store.load(live.reference)
    assert before is not None
    for quoted in (mf.message(sender="amy@example.org", subject=f"Re: {legacy} the old one",
                              body="About my old complaint."),
                   mf.message(sender="amy@example.org", subject="the old one",
                              to=f"complaints+{legacy}@landlord.example",
                              body="About my old complaint, again.")):
        outcome = deliver(quoted, at=NOW)
        # not the live case: no whole reference of ours is quoted, so it is a new complaint
        assert outcome.outcome == "created"
        assert outcome.reference not in (live.reference, legacy)
    after = store.load(live.reference)
    assert after is not None and len(after.timeline) == len(before.timeline)
    imported = store.load(legacy)
    assert imported is not None and len(imported.timeline) == 1
    # the whole reference still threads
    whole = deliver(mf.message(sender="amy@example.org", subject=f"Re: [{live.reference}]",
                               body="Any news?"), at=NOW)
    assert (whole.outcome, whole.reference) == ("appended", live.reference)


def test_the_loop_guard_holds_however_many_deliveries_arrive_at_once(
        mailroom: Mailroom, raw_mail: InMemoryRawMail, store: InMemoryStore, outbox: Outbox) -> None:
    """Given 20 complaints from one inbox delivered at the same moment (issue 18: the guard read
    the count, sent, then counted, so parallel deliveries each passed the check and 6 of 12 went
    where 5 may), then exactly 5 receipts go and 15 are held."""
    import threading

    raws = []
    for n in range(20):
        raw_key = raw_mail.key_for(f"burst-{n}")
        raw_mail.put(raw_key, mf.message(subject=f"complaint {n}"))
        raws.append(Delivery(f"burst-{n}", raw_key, datetime.now(UTC)))
    outcomes: list[Any] = []
    start = threading.Barrier(len(raws))

    def go(delivery: Delivery) -> None:
        start.wait()
        outcomes.append(mailroom.receive(delivery))

    threads = [threading.Thread(target=go, args=(d,)) for d in raws]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.outcome for o in outcomes) == ["created"] * 20
    statuses = sorted(letter_statuses(store, o.reference)["receipt"] for o in outcomes)
    assert statuses == ["held"] * 15 + ["sent"] * 5
    assert len(outbox.letters()) == 5


def test_copies_of_one_delivery_at_once_send_each_letter_once(
        store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox, clock: StatutoryClock) -> None:
    """SES or Lambda may hand the same delivery over twice at once (no failure needed): eight
    copies of one SES id open one case and send its receipt and notice once; the copies that
    found the letters being sent fail, so they are retried, and their retry sends nothing."""
    import threading

    config = dataclasses.replace(MAIL_CONFIG, team_address="team@landlord.example")
    room = mailroom_for(store, raw_mail, outbox.sender, clock, config)
    raw_key = raw_mail.key_for("ses-twice")
    raw_mail.put(raw_key, mf.message())
    delivery = Delivery("ses-twice", raw_key, datetime.now(UTC))
    barrier, outcomes = threading.Barrier(8), []

    def copy() -> None:
        barrier.wait()
        try:
            outcomes.append(room.receive(delivery).outcome)
        except LetterNotSent:
            outcomes.append("retry")

    threads = [threading.Thread(target=copy) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("created") == 1 and len(outcomes) == 8
    kinds = sorted(str(email.message_from_bytes(m)["X-Complaints-Letter"])
                   for m in outbox.letters())
    assert kinds == ["receipt", "staff_new_case"]
    assert room.receive(delivery).outcome == "duplicate"  # a retry later: nothing more
    assert len(outbox.letters()) == 2
