"""What the deadline sweep has to do for one complaint, and from when.

Pure: a case, its policy and its working calendar in; tasks out, each with the London date it
is due from (``act_on``) and a key. A task whose key is in ``case.sweep_done`` has been done
(or passed over, with the reason on the timeline), so the sweep does each once. The store
indexes every case on its earliest pending task (``wake``), so a sweep reads only the cases
with something to do today; the same function decides both, so they cannot disagree.

Tasks:
- reminder: N working days before a due date (acknowledgement, response, progress update),
  to the handler;
- overdue: the first working day after a due date passed with the step not taken: the
  breach is recorded and the complaints manager alerted;
- remedy: the day after a promised action's date, if it is not done: the manager is alerted;
- lapse: the day after the escalation window ends with stage 1 answered and not escalated,
  where the policy closes it then;
- limit: the first working day after a stage's latest date with no response, where the policy
  moves it on (SPSO model ¶106);
- letter: a letter stuck ``sending`` past its claim's lease, or ``failed`` for a reason another
  try may get past, once its backoff has passed; and, once, a letter that will not go (held,
  failed for good, or out of tries), put to staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from complaints.domain.calendar import WorkingCalendar, london_date
from complaints.domain.case import OPEN, Complaint, LetterStatus, Status
from complaints.domain.deadlines import window_closes
from complaints.domain.policy import Policy, Source


@dataclass(frozen=True)
class AgendaRules:
    reminder_days: tuple[int, ...] = (2, 0)  # working days before each due date
    lease: timedelta = timedelta(minutes=15)  # a claim older than this may be taken over
    retry_after: timedelta = timedelta(minutes=15)  # then doubling per attempt
    max_attempts: int = 6  # tries in all (the inbound delivery's included) before staff


@dataclass(frozen=True)
class Task:
    key: str  # unique on the case; done marks are kept under it
    kind: str  # reminder | overdue | remedy | lapse | limit | retry | stuck
    act_on: date  # the London date from which it is due
    stage: int
    step: str = ""  # acknowledgement | response | progress update | remedy
    due: date | None = None
    offset: int = 0  # a reminder's working days before ``due``
    rule: str = ""  # the policy rule and its source, said in the letter
    letter_id: str = ""
    not_before: datetime | None = None  # a retry's earliest instant (UTC)
    extended_to: date | None = None  # a response's extended date, where the due date moved


def rule_text(policy: Policy, what: str, source: Source) -> str:
    quote = f': "{source.quote}"' if source.quote else ""
    return f"{policy.name} ({policy.id}), {what}: {source.where}{quote}"


def steps(case: Complaint, policy: Policy, cal: WorkingCalendar) -> list[Task]:
    """The steps the current stage is waiting for, each with its due date (kind "step")."""
    d = case.deadlines
    if d is None or case.status not in OPEN:
        return []
    stage = policy.stage(case.stage)
    out = []
    if stage.acknowledge and case.status in (Status.RECEIVED, Status.ESCALATED) \
            and d.acknowledge_by:
        out.append(Task("", "step", d.acknowledge_by, case.stage, "acknowledgement",
                        d.acknowledge_by, rule=rule_text(
                            policy, f"acknowledge within {stage.acknowledge.working_days} "
                            "working days", stage.acknowledge.source)))
    # A response date counted from an acknowledgement not yet sent is provisional (counted
    # from the acknowledgement's due date): still reminded and alerted, so a case never
    # acknowledged is not forgotten; a miss it records is withdrawn if the real date, once
    # the acknowledgement is sent, is met.
    due = case.extended_to or d.respond_by
    what = f"respond within {stage.respond.working_days} working days"
    if d.provisional:
        what += (" of the acknowledgement (not sent yet: this date counts from its due date, "
                 "and moves if it is late)")
    if case.extended_to:
        what += f", extended to {case.extended_to.isoformat()}"
    out.append(Task("", "step", due, case.stage, "response", due, rule=rule_text(
        policy, what, stage.respond.source), extended_to=case.extended_to))
    every = stage.extension.update_every_working_days
    if every and case.status in (Status.ACKNOWLEDGED, Status.EXTENDED):
        update = cal.add_working_days(last_update(case), every)
        if update < due:
            out.append(Task("", "step", update, case.stage, "progress update", update,
                            rule=rule_text(policy, f"update the resident at least every "
                                           f"{every} working days", stage.extension.source)))
    return out


def next_step(case: Complaint, policy: Policy, cal: WorkingCalendar) -> Task | None:
    """The step the current stage is waiting for first (None: an ended case)."""
    found = steps(case, policy, cal)
    return min(found, key=lambda t: (t.act_on, t.step)) if found else None


def last_update(case: Complaint) -> date:
    """The last day the resident heard from us at this stage (or the stage began)."""
    start = case.stage_received_on or case.received_on
    sent = [london_date(datetime.fromisoformat(x.attempted_at)) for x in case.letters.values()
            if x.status == LetterStatus.SENT and x.to == case.resident and x.attempted_at
            and x.context.get("stage", 1) == case.stage]
    return max([start, *sent])


def agenda(case: Complaint, policy: Policy, cal: WorkingCalendar,
           rules: AgendaRules) -> list[Task]:
    """Every task not yet done, whatever today is."""
    tasks: list[Task] = []
    for step in steps(case, policy, cal):
        assert step.due is not None
        base = f"{case.stage}:{step.step}:{step.due.isoformat()}"
        for n in sorted(set(rules.reminder_days), reverse=True):
            act = cal.add_working_days(step.due, -n) if n else step.due
            tasks.append(Task(f"remind:{base}:{n}", "reminder", act, case.stage, step.step,
                              step.due, n, step.rule, extended_to=step.extended_to))
        tasks.append(Task(f"overdue:{base}", "overdue", cal.add_working_days(step.due, 1),
                          case.stage, step.step, step.due, rule=step.rule,
                          extended_to=step.extended_to))
    for i, remedy in enumerate(case.remedies, 1):
        if remedy.due is not None and not remedy.done:
            due = remedy.due
            tasks.append(Task(f"remedy:{i - 1}:{due.isoformat()}", "remedy",
                              due + timedelta(days=1), remedy.stage, f"remedy {i}", due,
                              rule=f"the action promised in the stage {remedy.stage} "
                                   f"response: {remedy.text}. Reply #done {i} once it is done"))
    tasks += _automatic(case, policy, cal)
    tasks += _letters(case, rules)
    return [t for t in tasks if t.key not in case.sweep_done]


def _automatic(case: Complaint, policy: Policy, cal: WorkingCalendar) -> list[Task]:
    out = []
    last_stage = len(policy.stages)
    window = policy.escalation_window
    responded = case.responded_on.get(case.stage)
    if case.status == Status.RESPONDED and case.stage < last_stage and \
            window.on_lapse == "close" and responded is not None:
        # Awareness is on or before receipt, so receipt stands in for it: the window never
        # ends earlier than the policy's.
        closes = window_closes(window, {"stage-1-response": responded,
                                        "awareness": case.received_on,
                                        "event": case.received_on})
        if closes is not None:
            out.append(Task(f"lapse:{case.stage}:{closes.isoformat()}", "lapse",
                            closes + timedelta(days=1), case.stage, "escalation window",
                            closes, rule=rule_text(policy, "the escalation window",
                                                   window.source)))
    stage = policy.stage(case.stage) if case.stage <= last_stage else None
    d = case.deadlines
    if stage is not None and stage.on_limit and stage.on_limit.action == "escalate" and \
            d is not None and d.respond_by_extended and case.stage < last_stage and \
            case.status in (Status.RECEIVED, Status.ACKNOWLEDGED, Status.EXTENDED):
        out.append(Task(f"limit:{case.stage}:{d.respond_by_extended.isoformat()}", "limit",
                        cal.add_working_days(d.respond_by_extended, 1), case.stage,
                        "response", d.respond_by_extended,
                        rule=rule_text(policy, "a stage not answered by its latest date moves "
                                       "on", stage.on_limit.source)))
    return out


def _letters(case: Complaint, rules: AgendaRules) -> list[Task]:
    out = []
    for letter in case.letters.values():
        if letter.status == LetterStatus.SENDING:
            since = _instant(letter.claimed_at)
            at = since + rules.lease
            out.append(Task(f"retry:{letter.id}:{letter.claimed_at}", "retry",
                            london_date(at), case.stage, letter_id=letter.id, not_before=at))
        elif letter.status == LetterStatus.FAILED and letter.retry and \
                letter.attempts < rules.max_attempts:
            since = _instant(letter.attempted_at or letter.claimed_at)
            at = since + rules.retry_after * 2 ** max(letter.attempts - 1, 0)
            out.append(Task(f"retry:{letter.id}:{letter.attempts}", "retry", london_date(at),
                            case.stage, letter_id=letter.id, not_before=at))
        elif letter.status in (LetterStatus.FAILED, LetterStatus.HELD):
            out.append(Task(f"stuck:{letter.id}:{letter.status.value}:{letter.attempts}",
                            "stuck", date.min, case.stage, letter_id=letter.id))
    return out


def _instant(text: str) -> datetime:
    """A stored instant; a letter recorded before claims were timed counts as long ago."""
    return datetime.fromisoformat(text) if text else datetime(2000, 1, 1, tzinfo=UTC)


def wake(case: Complaint, policy: Policy, cal: WorkingCalendar, rules: AgendaRules) -> date | None:
    """The first day the sweep has something to do for this case (None: nothing, ever)."""
    days = [t.act_on for t in agenda(case, policy, cal, rules)]
    return min(days) if days else None
