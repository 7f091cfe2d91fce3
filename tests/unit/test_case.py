"""The complaint lifecycle: legal steps, illegal steps, and a timeline entry for each."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from complaints.domain.case import CaseError, Complaint, DeadlineRule, Status
from complaints.domain.deadlines import StageDeadlines
from complaints.service.clock import StatutoryClock

AT = datetime(2026, 5, 22, 9, 0, tzinfo=UTC)


def new_case(clock: StatutoryClock, policy: str = "hos-2024") -> Complaint:
    case = Complaint(reference="CMP-2026-000001", landlord="Example Homes", policy=policy,
                     nation="england", resident="jane@example.org", resident_name="Jane",
                     subject="Damp", received_at=AT, received_on=date(2026, 5, 22),
                     source_message="m1", parties={"jane@example.org"})
    case.open_stage(AT, rule(clock, policy))
    return case


def rule(clock: StatutoryClock, policy: str = "hos-2024") -> DeadlineRule:
    def bound(stage: int, received: date, acknowledged: date | None,
              responded: date | None = None) -> StageDeadlines:
        return clock.deadlines(policy, stage, received, acknowledged, responded)
    return bound


def test_the_full_two_stage_path(clock: StatutoryClock) -> None:
    case = new_case(clock)
    assert case.deadlines is not None and case.deadlines.provisional
    case.acknowledge(date(2026, 5, 27), AT, "sam@landlord.example", rule(clock), True)
    assert case.deadlines.respond_by == date(2026, 6, 10) and not case.deadlines.provisional
    case.respond(AT, "sam@landlord.example", final_stage=2)
    case.escalate(date(2026, 6, 13), AT, "resident", rule(clock), final_stage=2)
    assert (case.stage, case.status) == (2, Status.ESCALATED)
    assert case.deadlines.acknowledge_by == date(2026, 6, 19)
    case.acknowledge(date(2026, 6, 19), AT, "lee@landlord.example", rule(clock), True)
    assert case.deadlines.respond_by == date(2026, 7, 17)
    case.respond(AT, "lee@landlord.example", final_stage=2)
    case.close(AT, "system", "final response sent")
    steps = [e.event for e in case.timeline]
    assert steps.count("acknowledged") == 2 and steps[-1] == "closed"
    assert "final response" in steps
    assert all(e.actor and e.detail for e in case.timeline)


@pytest.mark.parametrize("step", ["close", "escalate"])
def test_illegal_steps_raise(clock: StatutoryClock, step: str) -> None:
    """Closing or escalating an unanswered English complaint is refused by the lifecycle (the
    status table itself allows both: a service request closes at once, and an SPSO complaint
    may go straight to stage 2)."""
    from complaints.domain import commands as c
    from complaints.domain.lifecycle import Context, Refusal, handle

    case = new_case(clock)
    policy = clock.presets.get("hos-2024")
    ctx = Context(AT, AT.date(), "sam@landlord.example", policy, rule(clock),
                  clock.calendar_for(policy))
    with pytest.raises(Refusal, match=r"respond first"):
        handle(case, c.Close() if step == "close" else c.Escalate("unhappy"), ctx)
    assert case.status == Status.RECEIVED


def test_the_status_table_still_refuses_going_back(clock: StatutoryClock) -> None:
    case = new_case(clock)
    case.acknowledge(date(2026, 5, 27), AT, "sam@landlord.example", rule(clock), True)
    case.respond(AT, "sam@landlord.example", final_stage=2)
    with pytest.raises(CaseError, match="cannot go from responded"):
        case.acknowledge(date(2026, 5, 28), AT, "sam@landlord.example", rule(clock), True)


def test_no_escalation_after_the_final_stage(clock: StatutoryClock) -> None:
    case = new_case(clock)
    case.respond(AT, "sam@landlord.example", final_stage=1)
    with pytest.raises(CaseError, match="final stage"):
        case.escalate(date(2026, 6, 1), AT, "resident", rule(clock), final_stage=1)


def test_spso_stage_1_has_no_acknowledgement(clock: StatutoryClock) -> None:
    case = new_case(clock, "spso-mchp")
    with pytest.raises(CaseError, match="has no acknowledgement"):
        case.acknowledge(date(2026, 5, 22), AT, "sam", rule(clock, "spso-mchp"), False)
    case.respond(AT, "sam@landlord.example", final_stage=2)  # straight to a response is fine
    assert case.status == Status.RESPONDED


def test_acknowledged_before_received_is_refused(clock: StatutoryClock) -> None:
    with pytest.raises(CaseError, match="before received"):
        new_case(clock).acknowledge(date(2026, 5, 21), AT, "sam", rule(clock), True)


def test_ended_cases_stay_ended(clock: StatutoryClock) -> None:
    case = new_case(clock)
    case.withdraw(AT, "resident", "sorted out by phone")
    with pytest.raises(CaseError):
        case.refuse(AT, "sam", "x")
    with pytest.raises(CaseError):
        case.close(AT, "sam", "x")
    assert not case.is_open


def test_late_steps_are_recorded_as_breaches_once(clock: StatutoryClock) -> None:
    case = new_case(clock)  # received Fri 22 May 2026: acknowledge by Mon 1 Jun
    case.acknowledge(date(2026, 6, 3), AT, "sam@landlord.example", rule(clock), True)
    assert [(b.step, b.due, b.done, b.working_days_late) for b in case.breaches] == [
        ("acknowledgement", date(2026, 6, 1), date(2026, 6, 3), 2)]
    # respond by Wed 17 Jun (10 WD from the real acknowledgement); responded Fri 19 Jun
    case.respond(AT, "sam@landlord.example", final_stage=2, on=date(2026, 6, 19), rule=rule(clock))
    assert [(b.step, b.working_days_late) for b in case.breaches] == [
        ("acknowledgement", 2), ("response", 2)]
    assert [e.event for e in case.timeline].count("breach") == 2


def test_steps_on_time_record_no_breach(clock: StatutoryClock) -> None:
    case = new_case(clock)
    case.acknowledge(date(2026, 6, 1), AT, "sam@landlord.example", rule(clock), True)
    case.respond(AT, "sam@landlord.example", final_stage=2, on=date(2026, 6, 15), rule=rule(clock))
    assert case.breaches == [] and "breach" not in [e.event for e in case.timeline]
