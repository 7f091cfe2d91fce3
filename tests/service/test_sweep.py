"""The deadline sweep (issue 10) on the in-memory ports.

Given complaints received on chosen days (London), when the sweep runs at chosen instants,
then exactly the expected reminders, overdue alerts, breaches and automatic steps happen,
across weekends, Christmas, Good Friday / Easter Monday and Scotland's 2 January; overlapping
or crashed sweeps send nothing twice; letters that did not go are retried, then put to staff.
Expected dates were worked by hand from the presets and checked with `complaints workdays`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email
import email.policy
import threading
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from complaints.adapters.memory import InMemoryRawMail, InMemoryStore
from complaints.bootstrap import mailroom_for
from complaints.domain import commands as c
from complaints.domain.agenda import AgendaRules
from complaints.domain.calendar import LONDON
from complaints.domain.case import Complaint, LetterStatus
from complaints.service.clock import StatutoryClock
from complaints.service.mailroom import Delivery
from complaints.service.ports import Sender
from complaints.service.post import LetterNotSent
from complaints.service.records import SendError
from complaints.service.sweep import Sweep, SweepConfig
from tests import mailfactory as mf
from tests.conftest import MAIL_CONFIG, Outbox

TEAM = "complaints-team@landlord.example"
MANAGER = "complaints-manager@landlord.example"
SAM = "sam@landlord.example"


def morning(day: str, hour: int = 8) -> datetime:
    """A London morning as the UTC instant the scheduler would run at."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=LONDON).astimezone(UTC)


class Flaky:
    """A mail service that refuses the first ``fail`` letters to the resident (421, a
    temporary refusal), then sends through SMTP; staff letters go."""

    def __init__(self, inner: Sender, fail: int = 0) -> None:
        self.inner, self.fail, self.calls = inner, fail, 0

    def send(self, message: EmailMessage) -> str:
        if "@landlord.example" not in str(message["To"]):
            self.calls += 1
            if self.calls <= self.fail:
                raise SendError("421 try again later")
        return self.inner.send(message)


class Crash(BaseException):
    """The process dies (not an error anything catches)."""


class CrashOnSend:
    def __init__(self, inner: Any, on_call: int) -> None:
        self.inner, self.on_call, self.calls = inner, on_call, 0

    def send(self, message: EmailMessage) -> str:
        self.calls += 1
        if self.calls == self.on_call:
            raise Crash()
        return str(self.inner.send(message))


class Desk:
    """A mailroom and a sweep sharing one store, outbox and sender, as the bootstrap wires them."""

    def __init__(self, store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox,
                 clock: StatutoryClock) -> None:
        self.store, self.raw_mail, self.outbox, self.clock = store, raw_mail, outbox, clock
        self.smtp = outbox.sender
        config = dataclasses.replace(MAIL_CONFIG, team_address=TEAM, letters_per_hour=1000)
        self.room = mailroom_for(store, raw_mail, self.smtp, clock, config)
        self.sweeps = 0

    def sweep(self, sender: Any = None) -> Sweep:
        if sender is not None:
            self.room.post.sender = self.room.post.sender = sender
        return Sweep(self.room.casework, SweepConfig(
            landlord=MAIL_CONFIG.landlord, team_address=TEAM, manager_address=MANAGER,
            rules=AgendaRules()), self.store)

    def complaint(self, received: datetime, body: str = "Mould at 4 Elm Row, Leeds LS1 4AP.",
                  to: str = "complaints@landlord.example") -> str:
        key = f"ses-{uuid.uuid4().hex[:12]}"
        raw = mf.message(sender=f"Jo <jo-{key}@example.org>", body=body, to=to)
        self.raw_mail.put(self.raw_mail.key_for(key), raw)
        outcome = self.room.receive(Delivery(key, self.raw_mail.key_for(key), received))
        assert outcome.outcome == "created", outcome
        return str(outcome.reference)

    def act(self, reference: str, at: datetime, *commands: c.Command) -> Complaint:
        case, results = self.room.casework.run(reference, commands, SAM,
                                               f"test-{uuid.uuid4().hex[:8]}", at)
        assert all(r.done for r in results), results
        return case

    def run(self, now: datetime) -> dict[str, Any]:
        return self.sweep().run(now).to_json()

    def load(self, reference: str) -> Complaint:
        case = self.store.load(reference)
        assert case is not None
        return case

    def sweep_letters(self, reference: str | None = None) -> list[tuple[str, str, str]]:
        """(kind, to, reference) of every reminder, alert and notice in the outbox."""
        out = []
        for raw in self.outbox.letters():
            m = email.message_from_bytes(raw, policy=email.policy.default)
            kind = str(m["X-Complaints-Letter"])
            ref = str(m["Subject"]).split("[", 1)[-1].split("]", 1)[0] if "[" in str(
                m["Subject"]) else ""
            if kind in ("reminder", "overdue_alert", "staff_notice", "closure"):
                body = m.get_body(preferencelist=("plain",))
                text = str(body.get_content()) if body is not None else ""
                ref = next((w for w in text.replace("(", " ").split() if w.startswith("CMP-")),
                           ref)
                if reference is None or ref == reference:
                    out.append((kind, m["To"].addresses[0].addr_spec, ref))
        return out


@pytest.fixture()
def desk(store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox,
         clock: StatutoryClock) -> Desk:
    return Desk(store, raw_mail, outbox, clock)


def actions(report: dict[str, Any], reference: str) -> list[tuple[str, str, str | None, int]]:
    return [(a["task"], a["step"], a["due"], a["offset"]) for a in report["actions"]
            if a["reference"] == reference]


# --- reminders, alerts and breaches, to the day ---------------------------------------------


def test_acknowledgement_over_christmas_reminds_twice_then_alerts_once(desk: Desk) -> None:
    """hos-2024, received Friday 18 Dec 2026: day one Mon 21; 25 Dec and the 28 Dec substitute
    for Boxing Day are not working days, so acknowledge by Tue 29 Dec. Reminders on Wed 23
    (2 working days before) and Tue 29 (the day); the alert and the breach on Wed 30."""
    ref = desk.complaint(morning("2026-12-18", 10))
    assert desk.load(ref).deadlines.acknowledge_by == date(2026, 12, 29)  # type: ignore[union-attr]
    seen: dict[str, list[Any]] = {}
    for day in ("2026-12-19", "2026-12-22", "2026-12-23", "2026-12-24", "2026-12-25",
                "2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31", "2027-01-04"):
        seen[day] = actions(desk.run(morning(day)), ref)
    assert seen == {
        "2026-12-19": [], "2026-12-22": [],
        "2026-12-23": [("reminder", "acknowledgement", "2026-12-29", 2)],
        "2026-12-24": [], "2026-12-25": [], "2026-12-28": [],
        "2026-12-29": [("reminder", "acknowledgement", "2026-12-29", 0)],
        "2026-12-30": [("overdue", "acknowledgement", "2026-12-29", 0)],
        "2026-12-31": [], "2027-01-04": [],
    }
    assert desk.sweep_letters(ref) == [("reminder", TEAM, ref), ("reminder", TEAM, ref),
                                       ("overdue_alert", MANAGER, ref)]
    case = desk.load(ref)
    [breach] = case.breaches
    assert (breach.stage, breach.step, breach.due, breach.done, breach.working_days_late) == (
        1, "acknowledgement", date(2026, 12, 29), None, 1)
    # acknowledged late on Mon 4 Jan: the breach is completed with how late it was
    case = desk.act(ref, morning("2027-01-04", 11), c.Acknowledge(definition="Mould."))
    [breach] = case.breaches
    assert (breach.done, breach.working_days_late) == (date(2027, 1, 4), 3)
    events = [e.event for e in case.timeline]
    assert events.count("breach") == 1 and events.count("breach completed") == 1


def test_a_reminder_names_the_step_the_date_and_the_policy_rule(desk: Desk) -> None:
    ref = desk.complaint(morning("2026-12-18", 10))
    desk.act(ref, morning("2026-12-18", 11), c.Assign(address=SAM))
    desk.run(morning("2026-12-23"))
    [raw] = [r for r in desk.outbox.letters() if b"X-Complaints-Letter: reminder" in r]
    m = email.message_from_bytes(raw, policy=email.policy.default)
    assert m["To"].addresses[0].addr_spec == SAM  # the assigned handler, not the team
    body = m.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert ref in body and "acknowledgement by Tuesday 29 December 2026" in body
    assert "2 working days" in body and "hos-2024" in body and "acknowledge within 5" in body


def test_response_over_easter_with_good_friday_and_easter_monday(desk: Desk) -> None:
    """Received Wed 17 Mar 2027, acknowledged Thu 18 Mar: ten working days skip Good Friday
    (26 Mar) and Easter Monday (29 Mar), so respond by Mon 5 Apr: reminders Thu 1 Apr and
    Mon 5 Apr, the alert and breach Tue 6 Apr."""
    ref = desk.complaint(morning("2027-03-17", 9))
    case = desk.act(ref, morning("2027-03-18", 9), c.Acknowledge(definition="Mould."))
    assert case.deadlines is not None and case.deadlines.respond_by == date(2027, 4, 5)
    got = {day: actions(desk.run(morning(day)), ref) for day in (
        "2027-03-26", "2027-03-29", "2027-03-31", "2027-04-01", "2027-04-02", "2027-04-05",
        "2027-04-06", "2027-04-07")}
    assert got == {
        "2027-03-26": [], "2027-03-29": [], "2027-03-31": [],
        "2027-04-01": [("reminder", "response", "2027-04-05", 2)], "2027-04-02": [],
        "2027-04-05": [("reminder", "response", "2027-04-05", 0)],
        "2027-04-06": [("overdue", "response", "2027-04-05", 0)], "2027-04-07": [],
    }
    [breach] = desk.load(ref).breaches
    assert (breach.step, breach.due, breach.working_days_late) == ("response", date(2027, 4, 5), 1)


def test_an_extension_moves_the_reminders_and_a_miss_of_it_keeps_both_lates(desk: Desk) -> None:
    ref = desk.complaint(morning("2027-03-17", 9))
    desk.act(ref, morning("2027-03-18", 9), c.Acknowledge(definition="Mould."))
    # extended by 5 working days on 1 Apr: respond by Mon 12 Apr
    case = desk.act(ref, morning("2027-04-01", 12), c.Extend(5, "a survey is needed"))
    assert case.extended_to == date(2027, 4, 12)
    assert actions(desk.run(morning("2027-04-06")), ref) == []  # the old date passed quietly
    assert actions(desk.run(morning("2027-04-08")), ref) == [
        ("reminder", "response", "2027-04-12", 2)]
    assert actions(desk.run(morning("2027-04-14")), ref) == [
        ("overdue", "response", "2027-04-12", 0)]  # a catch-up: the 0-day reminder passed over
    [breach] = desk.load(ref).breaches
    assert (breach.due, breach.extended_to, breach.working_days_late,
            breach.late_after_extension) == (date(2027, 4, 5), date(2027, 4, 12), 7, 2)


def test_a_sweep_that_first_runs_late_sends_only_the_alert(desk: Desk) -> None:
    ref = desk.complaint(morning("2026-12-18", 10))
    report = desk.run(morning("2027-01-05"))
    assert actions(report, ref) == [("overdue", "acknowledgement", "2026-12-29", 0)]
    assert desk.sweep_letters(ref) == [("overdue_alert", MANAGER, ref)]
    case = desk.load(ref)
    assert case.breaches[0].working_days_late == 4  # 30, 31 Dec, 4, 5 Jan
    passed = [e.detail for e in case.timeline if e.event == "reminder passed over"]
    assert passed == ["acknowledgement due 2026-12-29: the sweep first ran after the date"]


# --- Scotland: 2 January, and the model's automatic move to stage 2 --------------------------


def test_spso_stage_1_over_new_year_then_moves_to_stage_2_after_day_ten(desk: Desk) -> None:
    """spso-mchp, received Wed 30 Dec 2026 (day one). 1 Jan and the Monday substitute for
    Saturday 2 Jan are Scottish holidays: day five is Thu 7 Jan, day ten Thu 14 Jan. The
    response is reminded Tue 5 and Thu 7, overdue Fri 8; on Fri 15 the sweep moves the case to
    stage 2 (¶106), whose acknowledgement (3 working days: Tue 19) is reminded the same day."""
    ref = desk.complaint(morning("2026-12-30", 10), body="Mould at 4 Elm Row, Glasgow G1 1AA.")
    case = desk.load(ref)
    assert (case.policy, case.deadlines.respond_by) == (  # type: ignore[union-attr]
        "spso-mchp", date(2027, 1, 7))
    got = {day: actions(desk.run(morning(day)), ref) for day in (
        "2027-01-04", "2027-01-05", "2027-01-07", "2027-01-08", "2027-01-14", "2027-01-15")}
    assert got == {
        "2027-01-04": [],
        "2027-01-05": [("reminder", "response", "2027-01-07", 2)],
        "2027-01-07": [("reminder", "response", "2027-01-07", 0)],
        "2027-01-08": [("overdue", "response", "2027-01-07", 0)],
        "2027-01-14": [],
        "2027-01-15": [("limit", "response", "2027-01-14", 0),
                       ("reminder", "acknowledgement", "2027-01-19", 2)],
    }
    case = desk.load(ref)
    assert (case.stage, case.status.value, case.stage_received_on) == (
        2, "escalated", date(2027, 1, 15))
    assert case.deadlines is not None and case.deadlines.acknowledge_by == date(2027, 1, 19)
    escalated = [e for e in case.timeline if e.event == "escalated"]
    assert escalated and escalated[0].actor == "system" and "¶106" in escalated[0].detail
    assert ("staff_notice", TEAM, ref) in desk.sweep_letters(ref)


def test_england_does_not_keep_scotlands_2_january(desk: Desk) -> None:
    """The same dates under hos-2024: Mon 4 Jan 2027 is a working day in England."""
    ref = desk.complaint(morning("2026-12-30", 10))
    assert desk.load(ref).deadlines.acknowledge_by == date(2027, 1, 7)  # type: ignore[union-attr]
    assert actions(desk.run(morning("2027-01-05")), ref) == [
        ("reminder", "acknowledgement", "2027-01-07", 2)]


def test_spso_stage_2_progress_updates_every_20_working_days(desk: Desk) -> None:
    """A long stage 2 (extended by 40 working days): the resident must hear from us at least
    every 20 working days (¶139). The extension letter counts as an update; 20 working days
    later an update is due, reminded, and missed updates are alerted and recorded."""
    ref = desk.complaint(morning("2027-02-01", 9), body="Mould at 4 Elm Row, Glasgow G1 1AA.")
    desk.act(ref, morning("2027-02-01", 10), c.Escalate(reason="complex"))
    desk.act(ref, morning("2027-02-02", 10), c.Acknowledge(definition="Mould."))
    desk.act(ref, morning("2027-02-03", 10), c.RecordApproval(), c.Extend(40, "specialist survey"))
    case = desk.load(ref)
    assert case.stage == 2 and case.extended_to is not None
    # the extension letter went on Wed 3 Feb: the next update by 20 working days later, 3 Mar
    due = desk.clock.calendar_for(desk.clock.presets.get(case.policy)).add_working_days(
        date(2027, 2, 3), 20)
    assert due == date(2027, 3, 3)
    assert actions(desk.run(morning("2027-03-01")), ref) == [
        ("reminder", "progress update", "2027-03-03", 2)]
    assert actions(desk.run(morning("2027-03-04")), ref) == [
        ("overdue", "progress update", "2027-03-03", 0)]
    # staff write to the resident on 4 Mar: the next update is due 20 working days after that
    # (Scotland keeps Good Friday, 26 Mar 2027: the next update is due Fri 2 Apr)
    desk.act(ref, morning("2027-03-04", 12), c.SendMessage(text="The survey is booked."))
    assert actions(desk.run(morning("2027-03-30")), ref) == []
    assert actions(desk.run(morning("2027-03-31")), ref) == [
        ("reminder", "progress update", "2027-04-02", 2)]
    [breach] = desk.load(ref).breaches
    assert (breach.stage, breach.step, breach.due, breach.done) == (
        2, "progress update", date(2027, 3, 3), None)


# --- automatic close when the escalation window lapses ---------------------------------------


def test_stage_1_closes_the_day_after_its_escalation_window(desk: Desk) -> None:
    """housing-solutions: 21 calendar days from the stage 1 response to ask for stage 2 (§6.2),
    then the complaint is closed (§7.2), with no letter (the policy sends none)."""
    ref = desk.complaint(morning("2027-03-01", 9))
    desk.act(ref, morning("2027-03-01", 10), c.SetPolicy(policy="housing-solutions"))
    desk.act(ref, morning("2027-03-02", 10), c.Acknowledge(definition="Mould."))
    desk.act(ref, morning("2027-03-05", 10), c.Respond(outcome="upheld", text="We agree."))
    assert actions(desk.run(morning("2027-03-26")), ref) == []  # 5 Mar + 21 days: last day
    got = actions(desk.run(morning("2027-03-27")), ref)
    assert got == [("lapse", "escalation window", "2027-03-26", 0)]
    case = desk.load(ref)
    assert case.status.value == "closed"
    closed = [e for e in case.timeline if e.event == "closed"]
    assert closed[0].actor == "system" and "2027-03-26" in closed[0].detail
    assert "closure" not in {x.kind for x in case.letters.values()}
    # closed cases leave the sweep index: the next sweeps do not read them
    assert ref not in list(desk.store.due_for_sweep(MAIL_CONFIG.landlord, date(2030, 1, 1)))


def test_a_late_request_for_stage_2_after_the_close_goes_to_staff(desk: Desk) -> None:
    """Closed by the sweep when the window lapsed; the resident then asks for stage 2 by
    replying to the response. The request is put to staff, not refused unseen: forwarded with
    what it did, to the team (Code 6.13 keeps stage 2 from the stage 1 handler), and staff may
    still take it to stage 2."""
    ref = desk.complaint(morning("2027-03-01", 9))
    desk.act(ref, morning("2027-03-01", 10), c.SetPolicy(policy="housing-solutions"))
    desk.act(ref, morning("2027-03-02", 10), c.Acknowledge(definition="Mould."))
    desk.act(ref, morning("2027-03-05", 10), c.Respond(outcome="upheld", text="We agree."))
    desk.run(morning("2027-03-27"))
    [response] = [r for r in desk.outbox.letters() if b"X-Complaints-Letter: stage1_response" in r]
    resident = desk.load(ref).resident
    key = f"ses-{uuid.uuid4().hex[:12]}"
    desk.raw_mail.put(desk.raw_mail.key_for(key), mf.reply(
        response, sender=f"Jo <{resident}>", body="I want to escalate this to stage 2."))
    outcome = desk.room.receive(Delivery(key, desk.raw_mail.key_for(key), morning("2027-04-01")))
    assert outcome.outcome == "appended"
    case = desk.load(ref)
    assert case.status.value == "closed"
    [told] = [x for x in case.letters.values() if x.kind == "resident_wrote"]
    assert (told.to, told.status) == (TEAM, LetterStatus.SENT)  # not only the handler
    assert told.context["subject_line"].startswith("Needs you: Jo asked for the next stage late")
    assert "2027-03-26" in " ".join(told.context["happened"])
    assert told.context["text"] == "I want to escalate this to stage 2."  # not the letter quoted
    case = desk.act(ref, morning("2027-04-01", 11), c.Escalate(reason="staff discretion"))
    assert (case.status.value, case.stage) == ("escalated", 2)


def test_a_policy_with_no_window_never_closes_by_itself(desk: Desk) -> None:
    ref = desk.complaint(morning("2027-03-01", 9))
    desk.act(ref, morning("2027-03-02", 10), c.Acknowledge(definition="Mould."))
    desk.act(ref, morning("2027-03-05", 10), c.Respond(outcome="upheld", text="We agree."))
    desk.run(morning("2028-03-05"))
    assert desk.load(ref).status.value == "responded"


def test_a_remedy_past_its_date_is_alerted_once(desk: Desk) -> None:
    ref = desk.complaint(morning("2027-03-01", 9))
    desk.act(ref, morning("2027-03-02", 10), c.Acknowledge(definition="Mould."))
    desk.act(ref, morning("2027-03-05", 10), c.Respond(
        outcome="upheld", text="We agree.", remedies=(c.Remedy("Repair the gutter",
                                                               date(2027, 3, 19)),)))
    assert actions(desk.run(morning("2027-03-19")), ref) == []
    assert [a[:2] for a in actions(desk.run(morning("2027-03-22")), ref)] == [
        ("remedy", "remedy 1")]
    assert actions(desk.run(morning("2027-03-23")), ref) == []
    assert desk.sweep_letters(ref) == [("overdue_alert", MANAGER, ref)]
    [raw] = [r for r in desk.outbox.letters() if b"X-Complaints-Letter: overdue_alert" in r]
    assert b"#done 1" in raw


def test_a_remedy_marked_done_is_not_alerted_even_after_closing(desk: Desk) -> None:
    ref = desk.complaint(morning("2027-03-01", 9))
    desk.act(ref, morning("2027-03-02", 10), c.Acknowledge(definition="Mould."))
    desk.act(ref, morning("2027-03-05", 10), c.Respond(
        outcome="upheld", text="We agree.", remedies=(
            c.Remedy("Repair the gutter", date(2027, 3, 19)),
            c.Remedy("Refund the charge", date(2027, 3, 26)))))
    desk.act(ref, morning("2027-03-05", 11), c.Close())
    case = desk.act(ref, morning("2027-03-18", 10), c.RemedyDone(1, "fitted Thursday"))
    assert case.remedies[0].done and case.remedies[0].done_on == date(2027, 3, 18)
    assert [a[:2] for a in actions(desk.run(morning("2027-03-29")), ref)] == [
        ("remedy", "remedy 2")]  # the closed case is read for its open remedy only
    desk.act(ref, morning("2027-03-29", 10), c.RemedyDone(2))
    assert ref not in list(desk.store.due_for_sweep(MAIL_CONFIG.landlord, date(2030, 1, 1)))


# --- nothing twice: overlapping sweeps, reruns, crashes ---------------------------------------


def test_overlapping_sweeps_send_each_reminder_once(desk: Desk) -> None:
    refs = [desk.complaint(morning("2026-12-18", 10)) for _ in range(6)]
    now = morning("2026-12-23")
    barrier = threading.Barrier(3)
    reports: list[dict[str, Any]] = []

    def go() -> None:
        sweep = desk.sweep()
        barrier.wait()
        reports.append(sweep.run(now).to_json())

    threads = [threading.Thread(target=go) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(r for _, _, r in desk.sweep_letters()) == {ref: 1 for ref in refs}
    assert sum(r["letters_sent"] for r in reports) == 6
    assert desk.run(now)["actions"] == []  # and once more, later: nothing new
    for ref in refs:
        assert sum(e.event == "reminder" for e in desk.load(ref).timeline) == 1


def test_a_crash_mid_sweep_then_reruns_send_each_reminder_exactly_once(desk: Desk) -> None:
    refs = [desk.complaint(morning("2026-12-18", 10)) for _ in range(5)]
    now = morning("2026-12-23")
    with pytest.raises(Crash):  # dies before the third letter goes
        desk.sweep(CrashOnSend(desk.smtp, on_call=3)).run(now)
    assert len(desk.sweep_letters()) == 2
    desk.sweep(desk.smtp)
    desk.run(now)  # an immediate rerun: the dead run's claim is fresh, so it waits
    assert len(desk.sweep_letters()) == 4  # the two cases the crash never reached
    desk.run(now + timedelta(minutes=20))  # the next tick, after the claim's lease
    assert Counter(r for _, _, r in desk.sweep_letters()) == {ref: 1 for ref in refs}
    desk.run(now + timedelta(hours=2))
    assert len(desk.sweep_letters()) == 5
    crashed = [ref for ref in refs if any(e.event == "letter retried"
                                          for e in desk.load(ref).timeline)]
    assert len(crashed) == 1


# --- letters that did not go ---------------------------------------------------------------


def refused_receipt(desk: Desk, flaky: Flaky, received: datetime) -> str:
    """A complaint whose receipt the mail service refuses on all three of Lambda's tries."""
    desk.room.post.sender = desk.room.post.sender = flaky
    key = f"ses-{uuid.uuid4().hex[:12]}"
    desk.raw_mail.put(desk.raw_mail.key_for(key), mf.message(sender="Jo <jo@example.org>"))
    for _ in range(3):
        with contextlib.suppress(LetterNotSent):  # the delivery asks to be retried
            desk.room.receive(Delivery(key, desk.raw_mail.key_for(key), received))
    [ref] = desk.store.cases_for_sender("jo@example.org")
    return str(ref)


def test_a_failed_letter_is_retried_with_backoff_then_sent(desk: Desk) -> None:
    flaky = Flaky(desk.smtp, fail=3)
    ref = refused_receipt(desk, flaky, morning("2027-03-01", 9))
    receipt = desk.load(ref).letters["receipt-1"]
    assert (receipt.status, receipt.attempts, receipt.retry) == (LetterStatus.FAILED, 3, True)
    last = datetime.fromisoformat(receipt.attempted_at)
    # third attempt: the next waits 15 minutes x 2^2
    assert actions(desk.sweep(flaky).run(last + timedelta(minutes=59)).to_json(), ref) == []
    got = actions(desk.sweep(flaky).run(last + timedelta(minutes=61)).to_json(), ref)
    assert [a[0] for a in got] == ["retry"]
    receipt = desk.load(ref).letters["receipt-1"]
    assert (receipt.status, receipt.attempts) == (LetterStatus.SENT, 4)
    assert "letter-failed" not in desk.load(ref).flags


def test_a_letter_that_never_goes_is_put_to_staff_once(desk: Desk) -> None:
    flaky = Flaky(desk.smtp, fail=1000)
    now = morning("2027-03-01", 9)
    ref = refused_receipt(desk, flaky, now)
    for _ in range(12):  # a day of hourly sweeps with the mail service still refusing
        now += timedelta(hours=2)
        desk.sweep(flaky).run(now)
    case = desk.load(ref)
    receipt = case.letters["receipt-1"]
    assert (receipt.status, receipt.attempts) == (LetterStatus.FAILED, 6)
    assert flaky.calls == 6  # 3 by the delivery, 3 by the sweep with backoff
    notices = [x for x in case.letters.values() if x.kind == "staff_notice"]
    assert [(x.to, x.status) for x in notices] == [(TEAM, LetterStatus.SENT)]
    assert "receipt letter to jo@example.org" in notices[0].context["details"][0]
    [put] = [e.detail for e in case.timeline if e.event == "letter put to staff"]
    assert "after 6 attempts: 421 try again later" in put
    desk.sweep(flaky).run(now + timedelta(days=2))  # and not again
    assert sum(x.kind == "staff_notice" for x in desk.load(ref).letters.values()) == 1


def test_the_sweep_reads_only_cases_with_work_today(desk: Desk) -> None:
    due = desk.complaint(morning("2026-12-18", 10))
    later = desk.complaint(morning("2027-01-04", 10))  # nothing due until mid-January
    report = desk.run(morning("2026-12-23"))
    assert report["cases_read"] == 1 and {a["reference"] for a in report["actions"]} == {due}
    assert later not in list(desk.store.due_for_sweep(MAIL_CONFIG.landlord, date(2026, 12, 23)))


def test_a_case_the_sweep_cannot_read_is_reported_and_the_rest_go_on(desk: Desk) -> None:
    """A case whose preset has since been removed: it stays on the index (from day one), the
    sweep names it in its errors, and every other case is swept."""
    broken = desk.complaint(morning("2026-12-18", 10))
    fine = desk.complaint(morning("2026-12-18", 11))
    case = desk.load(broken)
    case.policy = "a-preset-since-removed"
    desk.store.save(case)
    assert broken in list(desk.store.due_for_sweep(MAIL_CONFIG.landlord, date(2026, 1, 1)))
    report = desk.run(morning("2026-12-23"))
    assert [e["reference"] for e in report["errors"]] == [broken]
    assert "a-preset-since-removed" in report["errors"][0]["error"]
    assert actions(report, fine) == [("reminder", "acknowledgement", "2026-12-29", 2)]


def test_a_step_back_dated_into_time_withdraws_the_breach(desk: Desk) -> None:
    """The sweep recorded the acknowledgement missed; staff then record that they acknowledged
    by phone on the due day. The breach no longer stands, and the timeline says why."""
    ref = desk.complaint(morning("2026-12-18", 10))
    desk.run(morning("2026-12-30"))
    assert [b.step for b in desk.load(ref).breaches] == ["acknowledgement"]
    case = desk.act(ref, morning("2026-12-31", 10),
                    c.Acknowledge(definition="Mould.", on=date(2026, 12, 29)))
    assert case.breaches == []
    assert any(e.event == "breach withdrawn" and "2026-12-29, in time" in e.detail
               for e in case.timeline)


def test_a_case_never_acknowledged_is_still_reminded_of_its_response(desk: Desk) -> None:
    """Received Fri 18 Dec 2026, never acknowledged: after the acknowledgement's alert the
    response, due 10 working days after the acknowledgement's date (provisional: Wed 13 Jan),
    is reminded and alerted too."""
    ref = desk.complaint(morning("2026-12-18", 10))
    desk.run(morning("2026-12-30"))  # the acknowledgement's alert
    assert actions(desk.run(morning("2027-01-11")), ref) == [
        ("reminder", "response", "2027-01-13", 2)]
    assert actions(desk.run(morning("2027-01-14")), ref) == [
        ("overdue", "response", "2027-01-13", 0)]
    assert [b.step for b in desk.load(ref).breaches] == ["acknowledgement", "response"]


def test_the_spso_move_keeps_its_date_when_the_sweep_runs_late(desk: Desk) -> None:
    """Day ten is Thu 14 Jan 2027; a sweep that first runs on Mon 1 Feb still moves the case on
    Fri 15 Jan, so stage 2 counts from then (acknowledge by Tue 19 Jan: already late)."""
    ref = desk.complaint(morning("2026-12-30", 10), body="Mould at 4 Elm Row, Glasgow G1 1AA.")
    desk.run(morning("2027-02-01"))
    case = desk.load(ref)
    assert (case.stage, case.stage_received_on) == (2, date(2027, 1, 15))
    assert case.deadlines is not None and case.deadlines.acknowledge_by == date(2027, 1, 19)
    [moved] = [e for e in case.timeline if e.event == "escalated"]
    assert "moves on 2027-01-15" in moved.detail
    # and the same run alerted stage 2's late acknowledgement, with its breach
    assert [(b.stage, b.step, b.due, b.done) for b in case.breaches] == [
        (1, "response", date(2027, 1, 7), None),
        (2, "acknowledgement", date(2027, 1, 19), None)]


def test_reminders_passed_over_between_a_due_date_and_its_alert_are_kept(desk: Desk) -> None:
    """Received Fri 5 Mar 2027: acknowledge by Fri 12 Mar. A sweep first running on Saturday
    13 Mar passes both reminders over (the alert is Monday's): that is saved, with its reason,
    so the case leaves the index until Monday and is not read again at the weekend."""
    ref = desk.complaint(morning("2027-03-05", 10))
    assert actions(desk.run(morning("2027-03-13")), ref) == []
    case = desk.load(ref)
    assert {k for k in case.sweep_done if k.startswith("remind:")} == {
        "remind:1:acknowledgement:2027-03-12:2", "remind:1:acknowledgement:2027-03-12:0"}
    assert [e.event for e in case.timeline].count("reminder passed over") == 1
    assert ref not in list(desk.store.due_for_sweep(MAIL_CONFIG.landlord, date(2027, 3, 14)))
    assert actions(desk.run(morning("2027-03-15")), ref) == [
        ("overdue", "acknowledgement", "2027-03-12", 0)]


def test_a_case_keeps_the_team_of_the_mailbox_it_came_in_to(store: InMemoryStore,
                                                             raw_mail: InMemoryRawMail,
                                                             outbox: Outbox,
                                                             clock: StatutoryClock) -> None:
    """A mailbox with its own team (COMPLAINTS_TEAM_ADDRESSES): the new-case notice, the sweep's
    reminder and casework's note to staff all go to that team, never to the policy's or the
    one team (the sweep once routed by policy only)."""
    scots = "scot-team@landlord.example"
    teams = {"scotland@landlord.example": scots}
    config = dataclasses.replace(MAIL_CONFIG, team_address=TEAM, team_addresses=teams,
                                 letters_per_hour=1000)
    room = mailroom_for(store, raw_mail, outbox.sender, clock, config)
    raw = mf.message(sender="Jo <jo@example.org>", to="scotland@landlord.example",
                     body="Mould at 4 Elm Row, Glasgow G72 8PG.")
    raw_mail.put(raw_mail.key_for("ses-scot"), raw)
    outcome = room.receive(Delivery("ses-scot", raw_mail.key_for("ses-scot"),
                                    morning("2026-12-14", 10)))
    reference = str(outcome.reference)
    case = store.load(reference)
    assert case is not None and case.mailbox == "scotland@landlord.example"
    assert case.policy == "spso-mchp"

    def to_of(kind: str) -> list[str]:
        found = []
        for data in outbox.letters():
            m = email.message_from_bytes(data, policy=email.policy.default)
            if m["X-Complaints-Letter"] == kind and reference in str(m["Subject"]):
                found.append(m["To"].addresses[0].addr_spec)
        return found

    assert to_of("staff_new_case") == [scots]
    sweep = Sweep(room.casework, SweepConfig(
        landlord=MAIL_CONFIG.landlord, team_address=TEAM, manager_address=MANAGER,
        team_addresses=teams, rules=AgendaRules()), store)
    sweep.run(morning("2026-12-18"))  # SPSO: acknowledge within 3 working days
    assert to_of("reminder") and set(to_of("reminder")) == {scots}
    # a note to staff that no one asked for (a late request for stage 2) goes there too
    assert room.casework.team(store.load(reference)) == scots  # type: ignore[arg-type]


def test_the_team_is_chosen_by_the_envelope_not_by_headers_the_sender_writes(
        store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox,
        clock: StatutoryClock) -> None:
    """Cc or a forged Delivered-To naming another team's mailbox does not make that team the
    case's for good; an old case stored without its mailbox keeps the team its notice went to."""
    scots = "scot-team@landlord.example"
    teams = {"scotland@landlord.example": scots}
    config = dataclasses.replace(MAIL_CONFIG, team_address=TEAM, team_addresses=teams,
                                 letters_per_hour=1000)
    room = mailroom_for(store, raw_mail, outbox.sender, clock, config)
    raw = mf.message(sender="Mallory <mallory@example.org>", to="complaints@landlord.example",
                     headers={"Cc": "scotland@landlord.example",
                              "Delivered-To": "scotland@landlord.example"})
    raw_mail.put(raw_mail.key_for("ses-cc"), raw)
    outcome = room.receive(Delivery("ses-cc", raw_mail.key_for("ses-cc"), morning("2026-12-14"),
                                    recipients=("complaints@landlord.example",)))
    case = store.load(str(outcome.reference))
    assert case is not None and case.mailbox == ""
    assert room.casework.team(case) == TEAM
    # a case from before the mailbox was kept: its notice went to the Scottish team
    case.mailbox = ""
    case.letters["staff_new_case-1"].to = scots
    assert room.casework.team(case) == scots
