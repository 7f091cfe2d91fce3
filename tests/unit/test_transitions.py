"""One owner for state (issue 19): the lifecycle and the Complaint's own methods agree, because
both ask the one transition table (domain/case.py TRANSITIONS); letters change state only by
their own methods; remedies and extensions are typed values that load from the stored shape.

Given a case brought to each status by real commands, when every command is tried through the
lifecycle (domain/lifecycle.py `handle`) and, on a copy, through the Complaint method that makes
the same move, then they agree: the table's refusal is both's, and where the lifecycle moves the
case the method moves it to the same status. No rules are restated here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from complaints.domain import commands as c
from complaints.domain.case import (
    TRANSITIONS,
    Agreement,
    CaseError,
    Complaint,
    Extension,
    Letter,
    LetterStatus,
    RemedyOffered,
    Status,
    Step,
)
from complaints.domain.deadlines import StageDeadlines
from complaints.domain.lifecycle import NotNow, Refusal, handle
from complaints.service.clock import StatutoryClock
from tests.unit.test_lifecycle import (
    AT,
    COMMANDS,
    LEE,
    SAM,
    STATUSES,
    _acknowledged,
    answer,
    ctx,
    new_case,
    run,
)

ALL_COMMANDS: dict[str, c.Command] = {**COMMANDS, "agreed": c.RecordAgreement("by phone"),
                                      "approved": c.RecordApproval("the manager")}


def _withdrawn_at_stage_2(clock: StatutoryClock, case: Complaint) -> None:
    answer(clock, case)
    run(clock, case, c.Escalate("still unhappy"), c.Withdraw("sorted"), actor=LEE)


def _extended(clock: StatutoryClock, case: Complaint) -> None:
    _acknowledged(clock, case)
    run(clock, case, c.RecordAgreement(), c.RecordApproval(), c.Extend(2, "a damp survey"))


MORE_STATUSES: dict[str, Callable[[StatutoryClock, Complaint], None]] = {
    **STATUSES,
    "extended": _extended,
    "refused": lambda clock, case: run(clock, case, c.Refuse("before the court")),
    "not a complaint": lambda clock, case: run(clock, case, c.NotAComplaint("a repair booked")),
    "escalated, then withdrawn": _withdrawn_at_stage_2,
}

NOT_NOW, POLICY = "refused by the table", "refused by the policy or the arguments"


def by_method(clock: StatutoryClock, case: Complaint, step: Step) -> Status | str:
    """The Complaint's own method for ``step`` (arguments valid, the policy left out): the
    status it leaves, or NOT_NOW where it refuses."""
    last = len(clock.presets.get(case.policy).stages)

    def rule(s: int, r: date, a: date | None, responded: date | None = None) -> StageDeadlines:
        # the method is tried past the final stage too (the final stage is the policy's rule)
        return clock.deadlines(case.policy, min(s, last), r, a, responded)

    at = AT + timedelta(days=1)
    on = at.date()
    moves: dict[Step, Callable[[], None]] = {
        Step.ACKNOWLEDGE: lambda: case.acknowledge(on, at, SAM, rule, True),
        Step.EXTEND: lambda: case.extend(at, SAM, Extension(case.stage, 1, "why", on, SAM), "x"),
        Step.RESPOND: lambda: case.respond(at, SAM, final_stage=99),
        Step.ESCALATE: lambda: case.escalate(on, at, SAM, rule, final_stage=99),
        Step.REFUSE: lambda: case.refuse(at, SAM, "why", on),
        Step.NOT_A_COMPLAINT: lambda: case.not_a_complaint(at, SAM, "why"),
        Step.WITHDRAW: lambda: case.withdraw(at, SAM, "why"),
        Step.CLOSE: lambda: case.close(at, SAM, "why", on),
    }
    if step not in moves:  # a step that leaves the status as it is: the table alone decides
        return case.status if case.allows(step) else NOT_NOW
    try:
        moves[step]()
    except CaseError:
        return NOT_NOW
    return case.status


def by_lifecycle(clock: StatutoryClock, case: Complaint, command: c.Command) -> Status | str:
    try:
        handle(case, command, ctx(clock, case, SAM, days=1))
    except NotNow:
        return NOT_NOW
    except Refusal:
        return POLICY
    return case.status


@pytest.mark.parametrize("policy", ["hos-2024", "spso-mchp"])
@pytest.mark.parametrize("status", list(MORE_STATUSES))
def test_the_lifecycle_and_the_complaint_agree_on_every_command_in_every_status(
        clock: StatutoryClock, policy: str, status: str) -> None:
    case = new_case(clock, policy)
    MORE_STATUSES[status](clock, case)
    for name, command in ALL_COMMANDS.items():
        step = Step(name)
        lifecycle = by_lifecycle(clock, copy.deepcopy(case), command)
        method = by_method(clock, copy.deepcopy(case), step)
        said = f"#{name} on a {case.status.value} case at stage {case.stage} ({status})"
        assert (method != NOT_NOW) == case.allows(step), said
        if lifecycle == NOT_NOW:
            assert method == NOT_NOW, f"{said}: the method allows what the lifecycle refuses"
        elif lifecycle == POLICY:
            assert method != NOT_NOW, f"{said}: refused by the table, but not as NotNow"
        else:
            assert method == lifecycle, f"{said}: the lifecycle and the method disagree"
            if step not in TRANSITIONS[case.status]:
                pytest.fail(f"{said}: done, but the table has no such step")


@pytest.mark.parametrize("policy", ["hos-2024", "spso-mchp"])
def test_an_answered_stage_is_closed_not_withdrawn(clock: StatutoryClock, policy: str) -> None:
    """The defect of issue 19: #withdraw on a responded case was done by the lifecycle and
    refused by Complaint.withdraw. Decided once, by the Code (6.6, 6.10; domain/case.py): a
    resident who does not take an answered stage further is closed."""
    case = new_case(clock, policy)
    answer(clock, case)
    with pytest.raises(NotNow, match=r"not withdrawn.*#close"):
        handle(case, c.Withdraw("the resident is happy with the answer"), ctx(clock, case))
    with pytest.raises(CaseError, match="cannot go from responded by #withdraw"):
        case.withdraw(AT, SAM, "happy")
    assert case.status == Status.RESPONDED
    handle(case, c.Close("the resident is happy with the answer"), ctx(clock, case))
    assert case.status.value == "closed"
    fresh = new_case(clock, policy)  # before the answer, the resident may take it back
    handle(fresh, c.Withdraw("sorted by phone"), ctx(clock, fresh))
    assert fresh.status == Status.WITHDRAWN
    assert [(t.event, t.detail) for t in fresh.timeline][-1] == ("withdrawn",
                                                                 "withdrawn: sorted by phone")


def test_remedies_and_extensions_are_typed_and_keep_their_stored_shape() -> None:
    stored_remedy = {"stage": 1, "text": "Refund £150.50 by 12 June", "due": "2026-06-12",
                     "done": False}
    remedy = RemedyOffered.from_json(stored_remedy)
    assert (remedy.due, remedy.done, remedy.compensation) == (date(2026, 6, 12), False, 150.5)
    assert remedy.to_json() == stored_remedy
    done = remedy.completed(date(2026, 6, 11))
    assert done.to_json() == {**stored_remedy, "done": True, "done_on": "2026-06-11"}
    assert RemedyOffered.from_json(done.to_json()) == done
    stored_ext = {"stage": 2, "working_days": 5, "reason": "a survey", "new_date": "2026-07-01",
                  "by": "sam@landlord.example"}
    extension = Extension.from_json(stored_ext)
    assert extension.new_date == date(2026, 7, 1) and extension.to_json() == stored_ext
    assert Agreement("agreed") == "agreed"  # stored as the plain word


def _letter() -> Letter:
    at = datetime(2026, 6, 1, 9, tzinfo=UTC)
    return Letter.recorded("receipt", "receipt-1", "jane@example.org", "<m@x>", "ses-1", at)


def test_a_letter_changes_state_only_by_its_own_methods() -> None:
    at = datetime(2026, 6, 1, 9, 5, tzinfo=UTC)
    letter = _letter()
    assert (letter.status, letter.claimed_by, letter.settled) == (LetterStatus.SENDING, "ses-1",
                                                                  False)
    letter.failed("451 try later", at, attempted=True, retry=True)
    assert (letter.status, letter.attempts, letter.retry) == (LetterStatus.FAILED, 1, True)
    letter.claim("sweep-1", at)  # the sweep takes it over to try again
    letter.sent("<ses-id@amazonses.com>", at)
    assert (letter.status, letter.attempts, letter.error, letter.retry) == (
        LetterStatus.SENT, 2, "", False)
    assert letter.settled and letter.message_ids == ("<m@x>", "<ses-id@amazonses.com>")
    tries: list[Callable[[], None]] = [
        lambda: letter.failed("x", at), lambda: letter.held("x", at),
        lambda: letter.claim("other", at), lambda: letter.sent("<y>", at)]
    for again in tries:
        with pytest.raises(CaseError, match="receipt-1 is sent"):
            again()
    held = _letter()
    held.held("8 letters in the last hour (loop guard)", at)
    assert held.settled and held.error.startswith("8 letters")
    with pytest.raises(CaseError, match="is held"):
        held.sent("<z>", at)
    assert Letter.recorded("receipt", "r", "x", "<m>", "c", at, hold="loop").status == \
        LetterStatus.HELD
    assert Letter.recorded("receipt", "r", "x", "<m>", "c", at, problem="no-reply").error == \
        "no-reply"
