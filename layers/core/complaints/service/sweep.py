"""The deadline sweep: reminders, overdue alerts, breaches, the policies' automatic steps, and
letters that did not go. Run by EventBridge Scheduler, the local stack's tick, or
`complaints sweep`; it takes ``now`` and reads no clock.

It reads only the cases the sweep index holds for today or earlier (a Query of a keys-only
index, never a Scan; domain/agenda.py decides both what is due and where a case is indexed).
For each, one unit of work marks every due task done on the case (``sweep_done``), records its
letters (claimed by this run) and its timeline events, and saves; only then are the letters
sent. Two sweeps at once: the optimistic lock lets one save, and the other, reloading, finds
the tasks marked. A sweep that dies after its save leaves its letters ``sending`` under its
claim: the next sweep after the claim's lease takes them over and sends each once. Then, on
the digest's day, the week's digests (service/digest.py), once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from complaints.domain import commands as c
from complaints.domain.agenda import AgendaRules, Task, agenda
from complaints.domain.calendar import WorkingCalendar, london_date
from complaints.domain.case import SYSTEM, Complaint, LetterStatus, utc_text
from complaints.domain.deadlines import working_days_late
from complaints.domain.policy import Policy
from complaints.domain.teams import case_team, noticed_team
from complaints.mail import letter_kinds
from complaints.service.casework import Casework
from complaints.service.digest import Digests
from complaints.service.ports import SweepStore
from complaints.service.post import LetterNotSent
from complaints.service.records import StoreError
from complaints.service.unit_of_work import Change, attempts

ROUNDS = 3  # an automatic step (a stage moved on) can make new work due the same day


@dataclass(frozen=True)
class SweepConfig:
    landlord: str
    team_address: str  # reminders go to the handler, else the team
    manager_address: str  # overdue alerts go to the complaints manager
    team_addresses: dict[str, str] = field(default_factory=dict)  # per policy id
    rules: AgendaRules = field(default_factory=AgendaRules)


@dataclass
class SweepReport:
    now: datetime
    run: str
    cases_read: int = 0
    actions: list[dict[str, Any]] = field(default_factory=list)
    letters_sent: int = 0
    letters_not_sent: int = 0
    # case errors {"reference", "error"}; a digest's {"reference": None, "digest": to, "error"}
    errors: list[dict[str, Any]] = field(default_factory=list)
    digest: dict[str, Any] | None = None  # the week's digests, on their day (service/digest.py)

    def to_json(self) -> dict[str, Any]:
        return {"now": utc_text(self.now), "today": london_date(self.now).isoformat(),
                "run": self.run, "cases_read": self.cases_read, "actions": self.actions,
                "letters_sent": self.letters_sent, "letters_not_sent": self.letters_not_sent,
                "errors": self.errors, "digest": self.digest}


class Sweep:
    def __init__(self, casework: Casework, config: SweepConfig, store: SweepStore,
                 digests: Digests | None = None) -> None:
        self.casework, self.config = casework, config
        self.store, self.clock = store, casework.clock
        self.digests = digests  # None: no weekly digest (COMPLAINTS_DIGEST=off)

    def _policy(self, case: Complaint) -> tuple[Policy, WorkingCalendar]:
        policy = self.clock.policy(case.policy)
        return policy, self.clock.calendar_for(policy)

    # --- the run ---------------------------------------------------------------------------

    def run(self, now: datetime, run_id: str | None = None) -> SweepReport:
        claimant = f"sweep:{run_id or uuid.uuid4().hex[:16]}"
        report = SweepReport(now, claimant)
        today = london_date(now)
        for reference in list(self.store.due_for_sweep(self.config.landlord, today)):
            report.cases_read += 1
            try:
                self.sweep_case(reference, now, claimant, report)
            except (LetterNotSent, StoreError, ValueError) as exc:
                # a letter recorded failed (retried with backoff), contention beyond the
                # retries, a preset since removed: this case waits for the next sweep, and
                # the others go on
                report.errors.append({"reference": reference,
                                      "error": f"{type(exc).__name__}: {exc}"[:500]})
        if self.digests is not None:  # after the cases: this morning's alerts are in it
            try:
                report.digest = self.digests.run(now, claimant, report.errors)
            except Exception as exc:  # the store or the calendar failed: the next sweep tries
                report.errors.append({"reference": None, "digest": "",
                                      "error": f"{type(exc).__name__}: {exc}"[:500]})
        return report

    def sweep_case(self, reference: str, now: datetime, claimant: str,
                   report: SweepReport) -> Complaint:
        actions: list[dict[str, Any]] = []

        def apply(case: Complaint) -> Change | None:
            actions.clear()
            handled = False  # a task passed over changes the case too (its mark, its reason)
            for _ in range(ROUNDS):
                policy, cal = self._policy(case)
                due = [t for t in agenda(case, policy, cal, self.config.rules)
                       if t.act_on <= london_date(now)
                       and (t.not_before is None or t.not_before <= now)]
                if not due:
                    break
                # alerts for the state the case is in, then the steps that change it
                due.sort(key=lambda t: (t.kind in ("lapse", "limit"), t.key))
                for task in due:
                    if task.key in case.sweep_done:
                        continue  # done in this round by its group (reminders)
                    actions.extend(self._do(case, task, due, policy, cal, now, claimant))
                    handled = True
                    if task.kind in ("lapse", "limit"):
                        break  # the case changed: look again
            return Change() if handled else None

        for attempt in attempts(self.store, reference):
            if attempt.save(apply(attempt.case)):
                break
        saved, change = attempt.case, attempt.change
        if change is None or not actions:
            return saved
        report.actions.extend({"reference": reference, **a} for a in actions)
        mine = [x.id for x in saved.letters.values() if x.claimed_by == claimant]
        failed: LetterNotSent | None = None
        try:
            saved = self.casework.send(saved, claimant, now, self.config.rules.max_attempts)
        except LetterNotSent as exc:  # recorded failed; count what went, then report it
            failed, saved = exc, self.store.load(reference) or saved
        for letter_id in mine:
            status = saved.letters[letter_id].status
            if status == LetterStatus.SENT:
                report.letters_sent += 1
            elif status != LetterStatus.SENDING:
                report.letters_not_sent += 1
        if failed is not None:
            raise failed
        return saved

    # --- one task --------------------------------------------------------------------------

    def _do(self, case: Complaint, task: Task, due: list[Task], policy: Policy,
            cal: WorkingCalendar, now: datetime, claimant: str) -> list[dict[str, Any]]:
        today = london_date(now)
        if task.kind == "reminder":
            return self._remind(case, task, due, cal, now, today, claimant)
        case.sweep_done.add(task.key)
        if task.kind == "overdue":
            return self._overdue(case, task, cal, now, today, claimant)
        if task.kind == "remedy":
            self._letter(case, "overdue_alert", self._manager(), claimant, now, {
                "step": task.step, "due": task.due, "working_days_late":
                    working_days_late(cal, cal.working_day_on_or_after(task.due or today), today)
                    if task.due else 0, "rule": task.rule})
            detail = (f"{task.step}, promised for {task.due}, is not recorded as done (#done): "
                      f"alert to {self.config.manager_address}")
            case.record(now, SYSTEM, "remedy overdue", detail)
            return [_action(task, detail)]
        if task.kind == "lapse":
            reason = (f"no request for stage {case.stage + 1} by {task.due}, the end of the "
                      f"escalation window ({task.rule})")
            self.casework.apply(case, (c.Close(reason=reason,
                                               notify=policy.escalation_window.closure_letter),),
                                SYSTEM, claimant, now, staff=False)
            return [_action(task, f"closed: {reason}")]
        if task.kind == "limit":
            # moved on the first working day after the limit, as the model says, even when
            # the sweep first runs later: the resident's stage 2 clock is not delayed by ours
            reason = (f"stage {case.stage} was not answered by {task.due}, its latest date, so "
                      f"it moves on {task.act_on} ({task.rule})")
            results = self.casework.apply(case, (c.Escalate(reason=reason, on=task.act_on),),
                                          SYSTEM, claimant, now, staff=False)
            self._notice(case, claimant, now, f"{case.reference} moved to stage {case.stage}",
                         [r.detail for r in results], task.rule)
            return [_action(task, "; ".join(r.detail for r in results))]
        if task.kind == "retry":
            return self._retry(case, task, now, claimant)
        if task.kind == "stuck":
            return self._stuck(case, task, now, claimant)
        raise ValueError(f"unknown sweep task {task.kind}")

    def _remind(self, case: Complaint, task: Task, due: list[Task], cal: WorkingCalendar,
                now: datetime, today: date, claimant: str) -> list[dict[str, Any]]:
        """One reminder per step and date: the nearest offset due; earlier ones passed over."""
        group = [t for t in due if t.kind == "reminder" and (t.stage, t.step, t.due) ==
                 (task.stage, task.step, task.due)]
        for t in group:
            case.sweep_done.add(t.key)
        assert task.due is not None
        if today > task.due:  # the overdue alert says it now
            case.record(now, SYSTEM, "reminder passed over",
                        f"{task.step} due {task.due}: the sweep first ran after the date")
            return []
        nearest = min(group, key=lambda t: t.offset)
        left = cal.working_days_between(today, task.due) if today < task.due else 0
        to = letter_kinds.kind("reminder").address(handler=case.handler, team=self._team(case))
        self._letter(case, "reminder", to, claimant, now, {
            "step": task.step, "due": task.due, "working_days_left": left, "rule": task.rule})
        passed = sorted(t.offset for t in group if t is not nearest)
        detail = (f"{task.step} due {task.due} ({left} working day{'s' if left != 1 else ''} "
                  f"left): reminder to {to}" + (
                      f"; the {', '.join(map(str, passed))}-day reminder was passed over (the "
                      "sweep first ran after its date)" if passed else ""))
        case.record(now, SYSTEM, "reminder", detail)
        return [_action(nearest, detail)]

    def _overdue(self, case: Complaint, task: Task, cal: WorkingCalendar, now: datetime,
                 today: date, claimant: str) -> list[dict[str, Any]]:
        assert task.due is not None
        d = case.deadlines
        original = d.respond_by if (task.step == "response" and d is not None) else task.due
        late = working_days_late(cal, original, today)
        ext_late = working_days_late(cal, task.extended_to, today) if task.extended_to else None
        case.record_breach(now, task.step, original, None, late, task.extended_to, ext_late)
        self._letter(case, "overdue_alert", self._manager(), claimant, now, {
            "step": task.step, "due": task.due,
            "working_days_late": working_days_late(cal, task.due, today), "rule": task.rule})
        detail = (f"stage {task.stage} {task.step} due {task.due} not done: alert to "
                  f"{self.config.manager_address}")
        case.record(now, SYSTEM, "overdue alert", detail)
        return [_action(task, detail)]

    def _retry(self, case: Complaint, task: Task, now: datetime,
               claimant: str) -> list[dict[str, Any]]:
        letter = case.letters[task.letter_id]
        why = (f"stuck sending since {letter.claimed_at or 'before claims were timed'}"
               if letter.status == LetterStatus.SENDING else
               f"failed {letter.attempts} time{'s' if letter.attempts != 1 else ''}: "
               f"{letter.error}")
        letter.claim(claimant, now)
        detail = f"{letter.kind} letter to {letter.to} ({letter.id}) {why}: sending it again"
        case.record(now, SYSTEM, "letter retried", detail)
        return [_action(task, detail)]

    def _stuck(self, case: Complaint, task: Task, now: datetime,
               claimant: str) -> list[dict[str, Any]]:
        letter = case.letters[task.letter_id]
        why = letter.error or letter.status.value
        detail = (f"{letter.kind} letter to {letter.to} ({letter.id}) was not sent after "
                  f"{letter.attempts} attempt{'s' if letter.attempts != 1 else ''}: {why}")
        if letter.kind == "staff_notice":  # a notice about a notice would loop
            case.record(now, SYSTEM, "letter not sent", detail + "; no further notice")
            return [_action(task, detail)]
        to = self._notice(case, claimant, now, f"A letter on {case.reference} was not sent",
                          [detail, "Check the address; to write again, reply to this email with "
                           "the text for the resident (no # lines), or with the # command "
                           "again."], "")
        case.record(now, SYSTEM, "letter put to staff", f"{detail}; told {to}")
        return [_action(task, detail)]

    # --- letters to staff ------------------------------------------------------------------

    def _manager(self) -> str:
        return letter_kinds.kind("overdue_alert").address(manager=self.config.manager_address)

    def _team(self, case: Complaint) -> str:
        return case_team(self.config.team_addresses, self.config.team_address, case.mailbox,
                         case.policy, noticed_team(case.letters.values()))

    def _letter(self, case: Complaint, kind: str, to: str, claimant: str, now: datetime,
                context: dict[str, Any]) -> None:
        ctx = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in context.items()}
        self.casework.post.record(case, kind, to, claimant,
                                  self.casework.config.complaints_address, now,
                                  context={**ctx, "stage": case.stage})

    def _notice(self, case: Complaint, claimant: str, now: datetime, headline: str,
                details: list[str], rule: str) -> str:
        """A staff notice to the handler, else the team; returns who it goes to."""
        to = letter_kinds.kind("staff_notice").address(handler=case.handler,
                                                       team=self._team(case))
        self._letter(case, "staff_notice", to, claimant, now,
                     {"headline": headline, "details": details, "rule": rule})
        return to


def _action(task: Task, detail: str) -> dict[str, Any]:
    return {"task": task.kind, "step": task.step, "stage": task.stage,
            "due": task.due.isoformat() if task.due else None, "offset": task.offset,
            "detail": detail}


__all__ = ["Sweep", "SweepConfig", "SweepReport"]
