"""The lifecycle on the in-memory store: every command, allowed or refused, in every status,
under every preset (issue 9). No Java, no mail: the domain decides, the unit of work saves.

Given a case brought to a status by real commands, when each command is tried, then it is done
(with its typed event) or refused with a reason, exactly as the table below says.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from complaints.adapters.memory import InMemoryStore
from complaints.domain import commands as c
from complaints.domain import events as e
from complaints.domain.case import Complaint, Status
from complaints.domain.deadlines import StageDeadlines
from complaints.domain.lifecycle import Context, Refusal, handle
from complaints.domain.policy import Policy
from complaints.service.clock import StatutoryClock
from complaints.service.records import MessageRecord, stored_of
from complaints.service.unit_of_work import Change, attempts
from tests.conftest import DESIGN_PRESET_IDS

AT = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # Mon 1 Jun 2026
SAM, LEE = "sam@landlord.example", "lee@landlord.example"


def ctx(clock: StatutoryClock, case: Complaint, actor: str = SAM, days: int = 0) -> Context:
    policy = clock.presets.get(case.policy)

    def rule_for(p: Policy) -> Callable[..., StageDeadlines]:
        return lambda s, r, a, responded=None: clock.deadlines(p.id, s, r, a, responded)

    at = AT + timedelta(days=days)
    return Context(at, at.date(), actor, policy, rule_for(policy), clock.calendar_for(policy),
                   clock.presets.get, rule_for)


def new_case(clock: StatutoryClock, policy: str) -> Complaint:
    case = Complaint(reference="CMP-2026-000001", landlord="Example Homes", policy=policy,
                     nation=clock.presets.get(policy).nation, resident="jane@example.org",
                     resident_name="Jane", subject="Damp", received_at=AT,
                     received_on=date(2026, 6, 1), source_message="m1",
                     parties={"jane@example.org"})
    case.open_stage(AT, lambda s, r, a, responded=None: clock.deadlines(policy, s, r, a, responded))
    return case


def has_ack(clock: StatutoryClock, policy: str, stage: int) -> bool:
    return clock.presets.get(policy).stage(stage).acknowledge is not None


def agreement(clock: StatutoryClock, policy: str, stage: int) -> str:
    return clock.presets.get(policy).stage(stage).extension.agreement


def run(clock: StatutoryClock, case: Complaint, *commands: c.Command, actor: str = SAM) -> None:
    for command in commands:
        handle(case, command, ctx(clock, case, actor))


def answer(clock: StatutoryClock, case: Complaint, actor: str = SAM) -> None:
    if has_ack(clock, case.policy, case.stage):
        run(clock, case, c.Acknowledge("Damp in the bathroom; wants it fixed"), actor=actor)
    run(clock, case, c.Respond("upheld", "We agree: the repair was late.",
                               (c.Remedy("Repair by 12 June", date(2026, 6, 12)),)), actor=actor)


def _acknowledged(clock: StatutoryClock, case: Complaint) -> None:
    if has_ack(clock, case.policy, 1):
        run(clock, case, c.Acknowledge("Damp; fix it"))


def _escalated(clock: StatutoryClock, case: Complaint) -> None:
    answer(clock, case)
    run(clock, case, c.Escalate("not fixed"), actor=LEE)


def _final(clock: StatutoryClock, case: Complaint) -> None:
    _escalated(clock, case)
    answer(clock, case, actor=LEE)


def _closed(clock: StatutoryClock, case: Complaint) -> None:
    answer(clock, case)
    run(clock, case, c.Close())


STATUSES: dict[str, Callable[[StatutoryClock, Complaint], None]] = {
    "received": lambda clock, case: None,
    "acknowledged": _acknowledged,
    "responded (stage 1)": answer,
    "escalated": _escalated,
    "responded (final)": _final,
    "closed": _closed,
    "withdrawn": lambda clock, case: run(clock, case, c.Withdraw("resolved informally")),
}

COMMANDS: dict[str, c.Command] = {
    "acknowledge": c.Acknowledge("The damp, and a repair date"),
    "extend": c.Extend(5, "we are waiting for a damp survey"),
    "respond": c.Respond("partly-upheld", "Point 1 upheld; point 2 not upheld, because ..."),
    "escalate": c.Escalate("the resident is still unhappy"),
    "refuse": c.Refuse("the issue is already before the court"),
    "not-a-complaint": c.NotAComplaint("we have booked the repair as a service request"),
    "withdraw": c.Withdraw(),
    "close": c.Close(),
    "note": c.Note("called the resident"),
    "assign": c.Assign("kim@landlord.example"),
    "policy": c.SetPolicy("hos-2024"),
    "adjustments": c.RecordAdjustments("large print"),
    "message": c.SendMessage("We will visit on Tuesday."),
    "done": c.RemedyDone(1),
    "category": c.Categorise("repairs - damp and mould"),
    "tenure": c.SetTenure("lcra"),
}


def expected(clock: StatutoryClock, case: Complaint, command: str) -> bool:
    """The table: whether `command` is allowed on `case` as it stands (SAM acts, and SAM
    answered stage 1; extensions are tried without #agreed or #approved, so they are allowed
    only where the policy needs neither)."""
    policy, status, stage = case.policy, case.status, case.stage
    scotland = clock.presets.get(policy).nation == "scotland"
    final = stage >= len(clock.presets.get(policy).stages)
    if command in ("category", "tenure"):  # the record, put right on any case: all are reported
        return True
    if command == "done":  # remedy 1, where a response promised one; tracked after closing too
        return bool(case.remedies) and status not in (Status.WITHDRAWN, Status.REFUSED)
    if status == Status.CLOSED and command == "escalate":  # answered, then closed: may go on
        return not final and stage in case.responded_on and not case.disposition
    if status in (Status.CLOSED, Status.WITHDRAWN, Status.REFUSED):
        return False  # a closed case is refused politely, whatever the command
    waiting = status in (Status.RECEIVED, Status.ESCALATED)
    ready = status in (Status.ACKNOWLEDGED, Status.EXTENDED) or (
        waiting and not has_ack(clock, policy, stage))
    if command == "acknowledge":  # stage 2 by the stage 1 responder: not in England (6.13)
        return waiting and has_ack(clock, policy, stage) and (stage == 1 or scotland)
    if command == "extend":
        return ready and agreement(clock, policy, stage) == "notice"
    if command == "respond":
        return ready and (stage == 1 or scotland)
    if command == "escalate":
        return not final and (status == Status.RESPONDED or (
            scotland and status in (Status.RECEIVED, Status.ACKNOWLEDGED, Status.EXTENDED)))
    if command == "refuse":
        return waiting
    if command == "not-a-complaint":
        return status == Status.RECEIVED and stage == 1
    if command == "close":
        return status == Status.RESPONDED
    if command == "withdraw":  # an answered stage is closed, not withdrawn (domain/case.py)
        return status != Status.RESPONDED
    return True  # note, assign, policy, adjustments, message: any case not ended


@pytest.mark.parametrize("policy", sorted(DESIGN_PRESET_IDS))
@pytest.mark.parametrize("status", list(STATUSES))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_in_every_status_under_every_policy(
        clock: StatutoryClock, policy: str, status: str, command: str) -> None:
    case = new_case(clock, policy)
    STATUSES[status](clock, case)
    before = (case.status, case.stage, len(case.timeline))
    want = expected(clock, case, command)
    if want:
        events = handle(case, COMMANDS[command], ctx(clock, case, SAM, days=1))
        assert events and all(isinstance(x, e.DomainEvent) for x in events)
        assert len(case.timeline) > before[2]
    else:
        with pytest.raises(Refusal) as refused:
            handle(case, COMMANDS[command], ctx(clock, case, SAM, days=1))
        assert str(refused.value)  # says why
        assert (case.status, case.stage) == before[:2]  # nothing changed


def test_extensions_need_the_policys_agreement_and_stay_within_its_cap(
        clock: StatutoryClock) -> None:
    case = new_case(clock, "connect-housing")  # +10 with the resident's agreement
    run(clock, case, c.Acknowledge("Damp"))
    with pytest.raises(Refusal, match="agreement"):
        run(clock, case, c.Extend(5, "survey"))
    run(clock, case, c.RecordAgreement("by phone"), c.Extend(5, "survey"))
    assert case.status == Status.EXTENDED and case.extended_to is not None
    with pytest.raises(Refusal, match="agreement"):  # each extension needs its own
        run(clock, case, c.Extend(5, "more"))
    run(clock, case, c.RecordAgreement(), c.Extend(5, "more"))
    with pytest.raises(Refusal, match="beyond the cap"):
        run(clock, case, c.RecordAgreement(), c.Extend(1, "yet more"))
    spso = new_case(clock, "spso-mchp")  # ten working days in total, a manager approves
    with pytest.raises(Refusal, match="manager"):
        run(clock, spso, c.Extend(5, "survey"))
    with pytest.raises(Refusal, match="no response later than"):
        run(clock, spso, c.RecordApproval(), c.Extend(6, "survey"))
    run(clock, spso, c.Extend(5, "survey"))  # the approval is still on record
    assert spso.extended_to == spso.deadlines.respond_by_extended  # type: ignore[union-attr]


def test_category_and_tenure_are_put_right_on_the_record_even_after_closing(
        clock: StatutoryClock) -> None:
    case = new_case(clock, "hos-2024")
    _closed(clock, case)
    run(clock, case, c.Categorise("  Repairs -\tdamp   and mould "), c.SetTenure("lcho"))
    assert (case.category, case.tenure, case.status) == ("Repairs - damp and mould", "LCHO",
                                                         Status.CLOSED)
    run(clock, case, c.Categorise("Repairs - leaks"), c.SetTenure("LCRA"))
    said = [t.detail for t in case.timeline if t.event in ("categorised", "tenure recorded")]
    assert said == ["category: Repairs - damp and mould", "tenure: LCHO",
                    "category: Repairs - leaks (was Repairs - damp and mould)",
                    "tenure: LCRA (was LCHO)"]
    for command, why in [(c.Categorise("Repairs - leaks"), "already in the category"),
                         (c.Categorise("x" * (c.MAX_CATEGORY + 1)), "at most 100"),
                         (c.Categorise("repairs\x1b[31m"), "printable"),
                         (c.Categorise(" \t "), "needs a few words"),
                         (c.SetTenure("LCRA"), "already recorded as LCRA"),
                         (c.SetTenure("shared ownership"), "one of LCRA, LCHO, other")]:
        with pytest.raises(Refusal, match=why):
            run(clock, case, command)
    assert (case.category, case.tenure) == ("Repairs - leaks", "LCRA")


def test_resident_escalation_outside_the_window_is_put_to_staff(clock: StatutoryClock) -> None:
    case = new_case(clock, "connect-housing")  # 21 days from the stage 1 response
    answer(clock, case)
    late = c.Escalate("still damp", by_resident=True, on=date(2026, 7, 30))
    [event] = handle(case, late, ctx(clock, case, "resident"))
    assert isinstance(event, e.EscalationOutOfTime) and case.stage == 1
    [event] = handle(case, c.Escalate("still damp", by_resident=True, on=date(2026, 6, 10)),
                     ctx(clock, case, "resident"))
    assert isinstance(event, e.Escalated) and case.stage == 2


def stored_case() -> tuple[InMemoryStore, Complaint]:
    """A store holding one bare case."""
    repo = InMemoryStore()
    case = Complaint(reference="", landlord="L", policy="hos-2024", nation="england",
                     resident="r@example.org", resident_name="", subject="s", received_at=AT,
                     received_on=date(2026, 6, 1), source_message="m")
    repo.create_case(case, "k", MessageRecord("in", "m", AT, "r@example.org", (), "", "", ""),
                     2026)
    return repo, case


def test_concurrent_commands_on_one_case_all_land() -> None:
    """Eight writers, one case: the unit of work reloads and re-applies on a conflict."""
    repo, case = stored_case()
    barrier = threading.Barrier(8)

    def note(n: int) -> None:
        def apply(fresh: Complaint) -> Change:
            fresh.record(AT, SAM, "internal note", f"note {n}")
            return Change()
        barrier.wait()
        for attempt in attempts(repo, case.reference):
            if attempt.save(apply(attempt.case)):
                break

    threads = [threading.Thread(target=note, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = repo.load(case.reference)
    assert stored is not None
    assert sorted(x.detail for x in stored.timeline) == [f"note {n}" for n in range(8)]


def test_the_unit_of_work_reloads_on_a_conflict_and_gives_up_after_its_attempts() -> None:
    """Each attempt is the case as stored now; a conflict on every attempt is Contention (never
    a silent success), and a change of None writes nothing."""
    from complaints.service import unit_of_work
    from complaints.service.records import ConcurrentUpdate, Contention

    repo, case = stored_case()

    class Conflicting:
        """The store, with someone else's save landing before each of ours."""

        def __init__(self, inner: InMemoryStore, conflicts: int) -> None:
            self.inner, self.conflicts, self.loads = inner, conflicts, 0

        def load(self, reference: str) -> Complaint | None:
            self.loads += 1
            return self.inner.load(reference)

        def save(self, complaint: Complaint, *args: object, **kwargs: object) -> None:
            if self.conflicts:
                self.conflicts -= 1
                raise ConcurrentUpdate(complaint.reference)
            self.inner.save(complaint, *args, **kwargs)  # type: ignore[arg-type]

    class NoWait:  # the backoff's jitter, at zero: the test is about the tries, not the pause
        @staticmethod
        def uniform(low: float, high: float) -> float:
            return 0.0

    two = Conflicting(repo, 2)
    tries = 0
    for attempt in unit_of_work.attempts(two, case.reference, rng=NoWait()):  # type: ignore[arg-type]
        tries += 1
        attempt.case.record(AT, SAM, "internal note", f"try {tries}")
        if attempt.save(Change()):
            break
    assert tries == 3 and two.loads == 3  # each try on a fresh load
    stored = repo.load(case.reference)
    assert stored is not None and [x.detail for x in stored.timeline][-1:] == ["try 3"]
    assert "try 1" not in [x.detail for x in stored.timeline]

    always = Conflicting(repo, 10_000)
    with pytest.raises(Contention):
        for attempt in unit_of_work.attempts(always, case.reference, rng=NoWait()):  # type: ignore[arg-type]
            attempt.save(Change())
    assert always.loads == unit_of_work.ATTEMPTS

    for attempt in unit_of_work.attempts(repo, case.reference):
        if attempt.save(None):
            break
    assert attempt.done and attempt.change is None
    again = repo.load(case.reference)
    # nothing was written
    assert again is not None and stored_of(again).version == stored_of(stored).version
