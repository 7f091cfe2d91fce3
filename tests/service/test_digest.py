"""The week's digest (issue 20) on the in-memory ports: the manager's and each handler's.

Given complaints received on chosen days (London), when the sweep runs at chosen instants,
then the first sweep at or after 08:00 on the week's first working day (Tuesday 26 May 2026,
after the Spring bank holiday; Monday 1 June otherwise) emails the complaints manager every open
case and each handler their own, once, however many sweeps run, at once or after a crash; and
nothing goes when nothing is open.
"""

from __future__ import annotations

import email
import email.policy
import threading
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from complaints.domain import commands as c
from complaints.domain.digest import DigestSchedule
from complaints.service.digest import DigestConfig, Digests
from complaints.service.records import SendError
from complaints.service.sweep import Sweep, SweepConfig
from tests.conftest import MAIL_CONFIG
from tests.service.test_sweep import MANAGER, SAM, TEAM, Crash, Desk, Flaky, morning

LEE = "lee@landlord.example"


def sweep(desk: Desk, sender: Any = None, schedule: DigestSchedule | None = None) -> Sweep:
    """The sweep as the bootstrap builds it: with the week's digests."""
    if sender is not None:
        desk.room.post.sender = sender
    digests = Digests(desk.room.post, desk.clock, desk.store, DigestConfig(
        landlord=MAIL_CONFIG.landlord, complaints_address=MAIL_CONFIG.complaints_address,
        manager_address=MANAGER, schedule=schedule or DigestSchedule(),
        calendar_policy="hos-2024"))
    return Sweep(desk.room.casework, SweepConfig(
        landlord=MAIL_CONFIG.landlord, team_address=TEAM, manager_address=MANAGER), desk.store,
        digests)


def run(desk: Desk, now: datetime, sender: Any = None) -> dict[str, Any]:
    return sweep(desk, sender).run(now).to_json()


def digests(desk: Desk) -> list[EmailMessage]:
    out = []
    for raw in desk.outbox.letters():
        m = email.message_from_bytes(raw, policy=email.policy.default)
        if str(m["X-Complaints-Letter"]) == "digest":
            out.append(m)
    return out


def to(m: EmailMessage) -> str:
    return str(m["To"].addresses[0].addr_spec)


def text(m: EmailMessage) -> str:
    body = m.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def cases_in(m: EmailMessage) -> set[str]:
    return {w for w in text(m).split() if w.startswith("CMP-")}


@pytest.fixture()
def desk(store: Any, raw_mail: Any, outbox: Any, clock: Any) -> Desk:
    return Desk(store, raw_mail, outbox, clock)


# --- the day ---------------------------------------------------------------------------------


def test_the_first_sweep_from_eight_on_monday_sends_it_and_no_other(desk: Desk) -> None:
    ref = desk.complaint(morning("2026-05-27", 10))  # acknowledge by Wed 3 June
    assert run(desk, morning("2026-05-29"))["digest"] is None  # a Friday
    assert run(desk, morning("2026-06-01", 7))["digest"] is None  # Monday, before 08:00
    first = run(desk, morning("2026-06-01", 8))
    assert first["digest"]["day"] == "2026-06-01" and first["digest"]["status"] == "sent"
    assert [(r["to"], r["role"], r["status"], r["open"]) for r in
            first["digest"]["recipients"]] == [(MANAGER, "manager", "sent", 1)]
    for later in (morning("2026-06-01", 9), morning("2026-06-01", 17)):
        again = run(desk, later)["digest"]
        assert again["status"] == "sent before" and again["recipients"][0]["to"] == MANAGER
    assert run(desk, morning("2026-06-02"))["digest"] is None  # Tuesday
    [m] = digests(desk)
    assert to(m) == MANAGER and cases_in(m) == {ref}
    assert str(m["Reply-To"]) == MAIL_CONFIG.complaints_address
    body = text(m)
    assert ("stage 1 acknowledgement by Wednesday 3 June 2026\n"
            "      2 working days left; handler: (none assigned)") in body
    assert "NO ONE ASSIGNED" in body
    # kept as sent, like every letter
    kept = desk.raw_mail.keys("outbound/digest/2026-06-01/")
    assert len(kept) == 1 and desk.raw_mail.get(kept[0]) == desk.outbox.letters()[-1]


def test_a_bank_holiday_monday_moves_it_to_tuesday(desk: Desk) -> None:
    desk.complaint(morning("2026-05-20", 10))
    assert run(desk, morning("2026-05-25", 9))["digest"] is None  # the Spring bank holiday
    assert digests(desk) == []
    assert run(desk, morning("2026-05-26", 8))["digest"]["status"] == "sent"
    assert run(desk, morning("2026-05-27", 8))["digest"] is None
    [m] = digests(desk)
    assert "Tuesday 26 May 2026" in text(m)


def test_another_day_and_time_when_configured(desk: Desk) -> None:
    desk.complaint(morning("2026-05-20", 10))
    friday = DigestSchedule(weekday=4, at=time(15, 0))
    assert sweep(desk, schedule=friday).run(morning("2026-05-29", 14)).digest is None
    assert sweep(desk, schedule=friday).run(morning("2026-05-29", 15)).digest is not None
    assert sweep(desk, schedule=friday).run(morning("2026-06-01", 9)).digest is None
    assert len(digests(desk)) == 1


# --- once ------------------------------------------------------------------------------------


def test_concurrent_sweeps_send_each_digest_once(desk: Desk) -> None:
    for handler in (SAM, LEE, None):
        ref = desk.complaint(morning("2026-05-27", 10))
        if handler:
            desk.act(ref, morning("2026-05-27", 11), c.Assign(address=handler))
    now = morning("2026-06-01", 8)
    barrier = threading.Barrier(4)
    reports: list[dict[str, Any]] = []

    def go() -> None:
        s = sweep(desk)
        barrier.wait()
        reports.append(s.run(now).to_json())

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(to(m) for m in digests(desk)) == sorted([MANAGER, SAM, LEE])
    statuses = sorted(r["digest"]["status"] for r in reports)
    assert statuses.count("sent") == 1, statuses  # the others found it in hand, or done
    assert all(r["errors"] == [] for r in reports)
    run(desk, now + timedelta(hours=1))
    assert len(digests(desk)) == 3


class CrashOnDigest:
    """The process dies as it hands over the ``on``-th digest."""

    def __init__(self, inner: Any, on: int) -> None:
        self.inner, self.on, self.seen = inner, on, 0

    def send(self, message: EmailMessage) -> str:
        if str(message["X-Complaints-Letter"]) == "digest":
            self.seen += 1
            if self.seen == self.on:
                raise Crash()
        return str(self.inner.send(message))


def test_a_crash_mid_way_sends_the_rest_after_the_lease_and_nothing_twice(desk: Desk) -> None:
    for handler in (SAM, LEE):
        ref = desk.complaint(morning("2026-05-27", 10))
        desk.act(ref, morning("2026-05-27", 11), c.Assign(address=handler))
    now = morning("2026-06-01", 8)
    with pytest.raises(Crash):  # the manager's went, then it died on Lee's
        run(desk, now, CrashOnDigest(desk.smtp, on=2))
    assert [to(m) for m in digests(desk)] == [MANAGER]
    assert run(desk, now + timedelta(minutes=5), desk.smtp)["digest"]["status"] == "in hand"
    assert len(digests(desk)) == 1  # the dead sweep's claim is fresh: it waits
    later = run(desk, now + timedelta(minutes=20))["digest"]  # after the lease
    assert later["status"] == "sent"
    assert {r["to"]: r["status"] for r in later["recipients"]} == {
        MANAGER: "sent before", LEE: "sent", SAM: "sent"}
    assert sorted(to(m) for m in digests(desk)) == sorted([MANAGER, LEE, SAM])
    run(desk, now + timedelta(hours=3))
    assert len(digests(desk)) == 3


class RefusesOne:
    """A mail service that refuses letters to one address (550), and sends the rest."""

    def __init__(self, inner: Any, address: str) -> None:
        self.inner, self.address = inner, address

    def send(self, message: EmailMessage) -> str:
        if self.address in str(message["To"]):
            raise SendError(f"550 {self.address}: mailbox unavailable")
        return str(self.inner.send(message))


def test_one_recipient_failing_does_not_stop_the_rest_and_is_tried_again(desk: Desk) -> None:
    for handler in (SAM, LEE):
        ref = desk.complaint(morning("2026-05-27", 10))
        desk.act(ref, morning("2026-05-27", 11), c.Assign(address=handler))
    now = morning("2026-06-01", 8)
    report = run(desk, now, RefusesOne(desk.smtp, LEE))
    assert report["digest"]["status"] == "incomplete"
    assert {r["to"]: r["status"] for r in report["digest"]["recipients"]} == {
        MANAGER: "sent", LEE: "failed", SAM: "sent"}
    # (Lee's reminder of the acknowledgement, due Wednesday, failed too: the case's own error)
    [error] = [e for e in report["errors"] if e["reference"] is None]
    assert error["digest"] == LEE and "550" in error["error"]
    assert sorted(to(m) for m in digests(desk)) == sorted([MANAGER, SAM])
    again = run(desk, now + timedelta(minutes=20), desk.smtp)["digest"]  # the service is back
    assert again["status"] == "sent"
    assert sorted(to(m) for m in digests(desk)) == sorted([MANAGER, SAM, LEE])


def test_a_recipient_that_never_takes_it_is_given_up_after_its_tries(desk: Desk) -> None:
    ref = desk.complaint(morning("2026-05-27", 10))
    desk.act(ref, morning("2026-05-27", 11), c.Assign(address=LEE))
    refuses = RefusesOne(desk.smtp, LEE)
    now = morning("2026-06-01", 8)
    seen = [run(desk, now + timedelta(minutes=20 * i), refuses)["digest"]["status"]
            for i in range(8)]
    assert seen == ["incomplete"] * 5 + ["sent", "sent before", "sent before"]
    assert [to(m) for m in digests(desk)] == [MANAGER]


# --- what it says ----------------------------------------------------------------------------


def test_nothing_is_sent_when_nothing_is_open(desk: Desk) -> None:
    assert run(desk, morning("2026-06-01", 8))["digest"]["status"] == "nothing open"
    ref = desk.complaint(morning("2026-05-27", 10))
    desk.act(ref, morning("2026-05-28", 10), c.Withdraw())
    assert run(desk, morning("2026-06-08", 8))["digest"]["status"] == "nothing open"
    assert run(desk, morning("2026-06-08", 9))["digest"]["status"] == "nothing open"
    assert digests(desk) == []


def test_each_handler_gets_only_their_cases_and_the_manager_all(desk: Desk) -> None:
    sams = [desk.complaint(morning("2026-05-27", 10)) for _ in range(2)]
    lees = desk.complaint(morning("2026-05-28", 10))
    nobody = desk.complaint(morning("2026-05-28", 11))
    for ref in sams:
        desk.act(ref, morning("2026-05-27", 12), c.Assign(address=SAM))
    desk.act(lees, morning("2026-05-28", 12), c.Assign(address=LEE))
    closed = desk.complaint(morning("2026-05-26", 10))
    desk.act(closed, morning("2026-05-26", 12), c.Assign(address="kim@landlord.example"))
    desk.act(closed, morning("2026-05-27", 12), c.Withdraw())
    run(desk, morning("2026-06-01", 8))
    got = {to(m): m for m in digests(desk)}
    assert set(got) == {MANAGER, SAM, LEE}  # Kim has nothing open: no digest
    assert cases_in(got[MANAGER]) == {*sams, lees, nobody}
    assert cases_in(got[SAM]) == set(sams) and cases_in(got[LEE]) == {lees}
    assert str(got[SAM]["Subject"]) == "Your complaints this week: 2 open, 0 overdue"
    assert str(got[MANAGER]["Subject"]) == "Complaints this week: 4 open, 0 overdue"
    assert "NO ONE ASSIGNED" in text(got[MANAGER]) and "NO ONE ASSIGNED" not in text(got[SAM])
    assert "handler:" not in text(got[SAM])  # theirs: no need to say whose


def test_overdue_breaches_unassigned_and_failed_letters_are_listed(desk: Desk) -> None:
    from tests.service.test_sweep import refused_receipt

    late = desk.complaint(morning("2026-05-20", 10))  # acknowledge by Thu 28 May
    desk.act(late, morning("2026-05-20", 11), c.Assign(address=SAM))
    failed = refused_receipt(desk, Flaky(desk.smtp, fail=1000), morning("2026-05-29", 9))
    desk.room.post.sender = desk.smtp
    # acknowledged (so handled) by Sam on Tue 19 May: respond by Wed 3 June, extended to Fri 5
    extended = desk.complaint(morning("2026-05-18", 10))
    desk.act(extended, morning("2026-05-19", 10), c.Acknowledge(definition="Mould."))
    desk.act(extended, morning("2026-05-20", 10), c.Extend(2, "a survey is needed"))
    # the digest's own sweep records the breach and alerts it first: it is in the digest
    report = run(desk, morning("2026-06-01", 8))
    summary = report["digest"]["summary"]
    assert summary == {"open": 3, "overdue": 1, "unassigned": 1, "breaches": 1,
                       "letters_not_sent": 1}
    [m] = [m for m in digests(desk) if to(m) == MANAGER]
    body = text(m)
    overdue = body.split("OVERDUE\n", 1)[1].split("\n\n", 1)[0]
    assert late in overdue and "was due Thursday 28 May 2026; 2 working days late" in overdue
    assert f"handler: {SAM}" in overdue
    breaches = body.split("BREACHES", 1)[1].split("\n\n", 1)[0]
    assert late in breaches and f"      not done, 2 working days late; {SAM}" in breaches
    letters = body.split("LETTERS HELD OR FAILED", 1)[1]
    assert f"{failed}  receipt to jo@example.org: failed" in letters and "421" in letters
    unassigned = body.split("NO ONE ASSIGNED", 1)[1].split("\n\n", 1)[0]
    assert failed in unassigned and extended not in unassigned and late not in unassigned
    ordered = [w for w in body.split("OPEN CASES BY NEXT DUE DATE", 1)[1].split()
               if w.startswith("CMP-")]
    assert ordered[0] == late  # by next due date: the overdue one first
    assert "stage 1 response (extended) by Friday 5 June 2026\n      4 working days left" in body
    assert "by Thursday 28 May 2026\n      OVERDUE, 2 working days late; handler: sam@" in body
    [sams] = [m for m in digests(desk) if to(m) == SAM]
    assert cases_in(sams) == {late, extended} and "BREACHES" in text(sams)


def test_the_handlers_case_the_manager_handles_is_in_the_managers_only(desk: Desk) -> None:
    ref = desk.complaint(morning("2026-05-27", 10))
    desk.act(ref, morning("2026-05-27", 11), c.Assign(address=MANAGER))
    report = run(desk, morning("2026-06-01", 8))
    assert [r["to"] for r in report["digest"]["recipients"]] == [MANAGER]
    assert len(digests(desk)) == 1
