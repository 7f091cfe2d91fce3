"""The week's digest by email: the complaints manager's (every open case) and each handler's
(their own), sent by the first sweep on the digest's day (domain/digest.py says which day and
what it lists), once a week.

Once, however many sweeps run that day, at once or after a crash: the week has a once-mark
(service/ports.Once) and so does each recipient's letter. A sweep claims the week (the others,
meanwhile, leave it), reads the cases, and for each recipient claims their mark, sends, and
marks it done; when every recipient is done (or out of tries) the week is done. A sweep that
dies leaves its claims, which the first sweep after the lease takes over: it sends only the
letters not yet marked done, under the Message-ID each was given when first claimed (the
remaining at-least-once window, as for a case's letters: sent, then died before the mark). A
letter that fails is tried again after the lease by a later sweep that day, up to the tries.

A digest is about many cases, so it is a letter about no case (Post.send_notice, as the
quarantine notice): written, kept as sent under ``outbound/digest/<day>/``, and sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from complaints.domain.calendar import WorkingCalendar
from complaints.domain.digest import WINDOW, DigestSchedule, WeekDigest, weekly
from complaints.domain.policy import Policy
from complaints.mail import letter_kinds, letters
from complaints.service.clock import StatutoryClock
from complaints.service.ports import DigestStore
from complaints.service.post import Post


@dataclass(frozen=True)
class DigestConfig:
    landlord: str
    complaints_address: str  # the letters' From and Reply-To
    manager_address: str  # the digest of every case goes here
    schedule: DigestSchedule
    calendar_policy: str  # the preset whose working days place the digest's day (the default)
    lease: timedelta = timedelta(minutes=15)  # a claim older than this may be taken over
    tries: int = 6  # claims of one mark before it is given up


class Digests:
    def __init__(self, post: Post, clock: StatutoryClock, store: DigestStore,
                 config: DigestConfig) -> None:
        self.post, self.clock, self.store, self.config = post, clock, store, config

    def calendar(self) -> WorkingCalendar:
        return self.clock.calendar_for(self.clock.policy(self.config.calendar_policy))

    def run(self, now: datetime, claimant: str,
            errors: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The digests due at ``now``, sent once: what went to whom (None: not the digest's
        day and time). Failures are added to ``errors``; one recipient's never stops the rest."""
        day = self.config.schedule.due(now, self.calendar())
        if day is None:
            return None
        week = f"digest:{self.config.landlord}:{day.isoformat()}"
        if self.store.claim_once(week, claimant, now, self.config.lease, self.config.tries,
                                 {}) is None:
            mark = self.store.once(week) or {}
            earlier = mark.get("outcome") or {}
            status = _refused(mark, self.config.tries)
            if earlier.get("status") == "nothing open":
                status = "nothing open"
            return {"day": day.isoformat(), **earlier, "status": status}
        digest, unread = self._read(day)
        errors.extend(unread)
        if not digest.open:
            outcome: dict[str, Any] = {"status": "nothing open", "summary": digest.summary(),
                                       "recipients": []}
            self.store.done_once(week, claimant, now, outcome)
            return {"day": day.isoformat(), **outcome}
        manager = self.config.manager_address
        # the manager's lists every case, theirs included: no second letter when they handle
        views = [("manager", manager, digest)] + [
            ("handler", handler, digest.for_handler(handler))
            for handler in digest.handlers() if handler != manager]
        sent: list[dict[str, Any]] = []
        for role, to, view in views:
            try:
                sent.append(self._send(f"{week}:{to}", role, to, view, claimant, now))
            except Exception as exc:  # this letter waits for a later sweep; the rest go
                why = f"{type(exc).__name__}: {exc}"[:500]
                mark = self.store.once(f"{week}:{to}") or {}
                last = int(mark.get("claims", 0)) >= self.config.tries
                sent.append({"to": to, "role": role, **view.summary(),
                             "status": "given up" if last else "failed", "error": why})
                errors.append({"reference": None, "digest": to, "error": why})
        settled = all(x["status"] in ("sent", "sent before", "given up") for x in sent)
        outcome = {"status": "sent" if settled else "incomplete", "summary": digest.summary(),
                   "recipients": sent}
        if settled:
            self.store.done_once(week, claimant, now, outcome)
        return {"day": day.isoformat(), **outcome}

    def _read(self, day: date) -> tuple[WeekDigest, list[dict[str, Any]]]:
        """The open cases (the due index, a Query) and those received or answered in the
        week's months (the report filing), read without their timelines."""
        landlord = self.config.landlord
        references = set(self.store.due_before(landlord, date.max))
        references |= set(self.store.records(landlord, day - WINDOW, day))
        cases = list(self.store.cases_now(sorted(references)).values())
        rules: dict[str, tuple[Policy, WorkingCalendar]] = {}
        errors: list[dict[str, Any]] = []
        for policy_id in sorted({c.policy for c in cases}):
            try:
                policy = self.clock.policy(policy_id)
                rules[policy_id] = (policy, self.clock.calendar_for(policy))
            except ValueError as exc:  # a preset since removed: named, not silently left out
                errors += [{"reference": c.reference, "error": f"not in the digest: {exc}"[:500]}
                           for c in cases if c.policy == policy_id]
        return weekly(cases, rules, day), errors

    def _send(self, key: str, role: str, to: str, view: WeekDigest, claimant: str,
              now: datetime) -> dict[str, Any]:
        line: dict[str, Any] = {"to": to, "role": role, **view.summary()}
        mark = self.store.claim_once(key, claimant, now, self.config.lease, self.config.tries, {
            "message_id": letters.new_message_id("digest", self.config.complaints_address)})
        if mark is None:
            return {**line, "status": _refused(self.store.once(key) or {}, self.config.tries)}
        kind = letter_kinds.kind("digest")
        counts = view.summary()
        subject = (f"{kind.subject if role == 'manager' else 'Your complaints this week'}: "
                   f"{counts['open']} open, {counts['overdue']} overdue")
        envelope = letters.Envelope(
            landlord=self.config.landlord, complaints_address=self.config.complaints_address,
            to=to, to_name="", reference="", subject=subject,
            # replies reach the complaints address: a case's own email threads to the case
            reply_to=self.config.complaints_address, message_id=str(mark["data"]["message_id"]))
        context = {**view.context(), "landlord": self.config.landlord, "role": role,
                   "complaints_address": self.config.complaints_address,
                   "counts": counts}
        sent_id = self.post.send_notice("digest", envelope, context, (),
                                        f"digest/{view.day.isoformat()}")
        self.store.done_once(key, claimant, now, {"message_id": sent_id})
        return {**line, "status": "sent", "message_id": sent_id}


def _refused(mark: dict[str, Any], tries: int) -> str:
    """Why a mark could not be claimed: done, out of tries, or another sweep holds it."""
    if mark.get("done_at"):
        return "sent before"
    return "given up" if int(mark.get("claims", 0)) >= tries else "in hand"


__all__ = ["DigestConfig", "Digests"]
