"""Letters out: recorded before they are sent, sent once, and never lost silently.

A letter is written onto the case (status ``sending``, with a stable id and our Message-ID)
in the same transaction that stores the change it follows, before any attempt. After the send
one transaction records it as ``sent`` with the Message-ID the mail service returned and counts
it against the loop guard. A delivery that crashed in between is retried by Lambda: the retry
finds the letter still ``sending`` under its own claim and sends it again with the same
Message-ID (the remaining at-least-once window: the mail service accepted it, the process died
before the ``sent`` write). A different delivery (the same message under another SES id)
never sends a letter another delivery has claimed.

A letter that cannot go is marked ``failed`` with the reason and the case flagged
``letter-failed`` (visible in `complaints list`): permanently for an address or content the
mail service cannot take, for a retry otherwise (the exception goes up so Lambda retries).

Each letter is kept as sent: just before an attempt, the exact bytes handed to the mail
service are written create-only to the raw store at
``outbound/<reference>/<letter id>-<attempt>-<sha256 prefix>.eml``, and the ``out`` message
record of the attempt that went names that copy (its ``raw_key``). Each attempt builds the
MIME again (a new boundary), so each has its own copy, named by its content as well: a retry
after a crash, at the same attempt number, never finds the crashed attempt's copy under its
name. A copy that cannot be written does not stop a statutory letter: it goes, and its
timeline entry says no copy was kept and why.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from complaints.domain.case import SYSTEM, Complaint, Letter, LetterStatus
from complaints.mail import letter_kinds, letters
from complaints.mail.wire import as_sent
from complaints.service.ports import PostStore, Sender
from complaints.service.records import MessageRecord, SendError
from complaints.service.unit_of_work import Change, attempts

MAX_ATTEMPTS = 3  # tries by the delivery that recorded a letter (Lambda retries it)
# A copy of the same delivery (SES or Lambda may hand one over twice, at once) leaves a letter
# claimed this recently to the copy that claimed it: it is being sent. Lambda's own retries
# come a minute or more later, the local stack's within 16 s, so a crashed claim is taken.
CLAIM_LEASE = timedelta(seconds=10)
OUTBOUND_PREFIX = "outbound/"  # letters as sent, in the raw store
PREVIEW_TEXT_MAX = 40_000  # characters of a previewed letter held on the case, where not kept


def kept_key(reference: str, letter_id: str, attempt: int, data: bytes) -> str:
    """Where one attempt's bytes are kept: per letter, attempt and content (create-only)."""
    digest = hashlib.sha256(data).hexdigest()[:16]
    return f"{OUTBOUND_PREFIX}{reference}/{letter_id}-{attempt}-{digest}.eml"


@dataclass(frozen=True)
class Previewed:
    """A letter a #preview would send, as it would go (see Post.preview)."""

    kind: str
    to: str
    subject: str  # as the letter's header would have it
    text: str  # its plain text part
    findings: tuple[str, ...]  # what the linter found wanting: such a letter would not go
    key: str = ""  # the whole letter, kept for the confirmation to attach ("" when not kept)
    problem: str = ""  # why it could not be written at all

    def to_json(self) -> dict[str, Any]:
        """As the confirmation's context holds it: the text only when no copy was kept (the
        case item must not grow by whole letters: the copy is read back to attach it)."""
        return {"kind": self.kind, "to": self.to, "subject": self.subject,
                "findings": list(self.findings), "key": self.key, "problem": self.problem,
                "text": "" if self.key else self.text[:PREVIEW_TEXT_MAX]}


class LetterNotSent(RuntimeError):
    """A letter failed for a reason another try may get past; the delivery should be retried."""


@dataclass(frozen=True)
class Draft:
    """Everything needed to build a letter's MIME again, on any retry."""

    envelope: letters.Envelope
    template: str
    context: dict[str, Any]
    attachments: tuple[tuple[str, str, bytes], ...] = ()


# What the resident wrote, as letters quote it. The letter rules judge our words: a resident who
# names the SPSO, or writes "not later than", must not stop their own receipt letter.
_RESIDENTS_WORDS = {"summary": "(the resident's words)", "outcome_sought": "(the resident's words)",
                    "resident_name": "Resident", "subject": "(the resident's subject)",
                    "support_needs": "(the resident's support needs)"}
_RESIDENTS_DETAILS = ("representative", "contact", "home")


def _as_checked(made: Draft, case: Complaint) -> EmailMessage:
    """The letter as the linter reads it: ours, with the resident's own words put aside."""
    context = dict(made.context)
    for key, stand_in in _RESIDENTS_WORDS.items():
        if context.get(key):
            context[key] = stand_in
    for key in _RESIDENTS_DETAILS:
        if context.get(key):
            context[key] = {k: "(given)" for k in context[key]}
    name = context.get("handler")
    if name and "@" not in name:  # a handler's own name ("Sam, SPSO liaison") is theirs too
        context["handler"] = "(the handler's name)"
        context["signature"] = str(context.get("signature", "")).replace(name, "(the handler's name)")
    subject = made.envelope.subject
    if case.subject:
        subject = subject.replace(case.subject, "(the resident's subject)")
    envelope = replace(made.envelope, subject=subject,
                       to_name="Resident" if made.envelope.to_name else "")
    return letters.build(envelope, made.template, context)


class Post:
    def __init__(self, store: PostStore, sender: Sender, letters_per_hour: int,
                 now: Callable[[], datetime],
                 check: Callable[[str, EmailMessage, Complaint], list[str]] | None = None,
                 exempt: Callable[[str], bool] | None = None,
                 keep: Callable[[str, bytes], None] | None = None) -> None:
        self.store, self.sender = store, sender
        # keeps each letter as sent (the raw store's create-only put); None keeps nothing
        self.keep = keep
        # addresses the loop guard does not count (our own staff): it guards against robots
        self.exempt = exempt or (lambda address: False)
        self.letters_per_hour, self.now = letters_per_hour, now
        # The letter linter: what a letter lacks for its kind and regime ([]: fit to send).
        self.check = check or (lambda kind, message, case: [])
        # letters sent, failed and held since the handler last took the counts (its metrics)
        self.counts: Counter[str] = Counter()

    def take_counts(self) -> dict[str, int]:
        """{"sent": n, "failed": n, "held": n} since the last call, and start again."""
        counts, self.counts = dict(self.counts), Counter()
        return counts

    @staticmethod
    def record(case: Complaint, kind: str, to: str, claimant: str, complaints_address: str,
               at: datetime, hold: str | None = None,
               context: dict[str, Any] | None = None) -> Letter:
        """Put a letter on the case before anything is sent (the caller saves the case)."""
        letter_kinds.kind(kind)  # an unknown kind is a bug: never a letter without its rules
        letter_id = f"{kind}-{sum(1 for x in case.letters.values() if x.kind == kind) + 1}"
        problem = "" if hold else letters.sendable(to) or ""
        letter = Letter.recorded(kind, letter_id, to,
                                 letters.new_message_id(kind, complaints_address), claimant, at,
                                 hold=hold or "", problem=problem, context=context)
        case.letters[letter_id] = letter
        if hold:
            case.flag(at, "letter-held", hold)
        elif problem:
            case.flag(at, "letter-failed", f"the {kind} letter cannot be sent: {problem}")
        return letter

    def batch(self, case: Complaint, claimant: str, at: datetime | None = None,
              attempts: int = MAX_ATTEMPTS, redelivery: bool = False) -> Batch:
        """A batch of this claimant's recorded letters to send: the caller drafts each one the
        batch ``wants`` (from ``batch.case``, which shows how the letters before it went) and
        hands it to ``send``; ``close`` records every letter that went in ONE write (with the
        loop-guard counts) and returns the saved case. ``at``: the caller's now (the sweep's),
        else the clock's. A failed letter is tried again while it has had fewer than
        ``attempts`` tries (the sweep allows AgendaRules.max_attempts). ``redelivery``: this
        is a copy of the delivery that claimed the letters; one claimed within CLAIM_LEASE is
        left to the copy sending it, and close() raises LetterNotSent so this copy is retried
        (and finds it sent, or takes over a claim that crashed)."""
        return Batch(self, case, claimant, at or self.now(), attempts, redelivery)

    def _send_one(self, case: Complaint, letter: Letter, made: Draft,
                  at: datetime) -> _Sent | Complaint | LetterNotSent:
        try:
            message = letters.build(made.envelope, made.template, made.context, made.attachments)
        except Exception as exc:  # a letter we cannot build will not build on a retry either
            return self.unwritable(case, letter.id, exc, at)
        lacking = self.check(made.template, _as_checked(made, case), case)
        if lacking:  # never send a letter its regime finds wanting: a person must fix it
            return self._settle(case, letter.id, LetterStatus.FAILED,
                                "not sent: the letter " + "; ".join(lacking), "letter-failed", at)
        guarded = _guarded(letter) and not self.exempt(letter.to)
        if guarded:
            # The loop guard's place is taken before sending, in one atomic count: deliveries
            # at once each get their own place, so no more than the limit ever go (a check,
            # then a count after sending, let parallel deliveries all pass the check).
            place = self.store.count_attempt(letter.to, at)
            if place > self.letters_per_hour:
                self.store.uncount_attempt(letter.to, at)
                return self._settle(case, letter.id, LetterStatus.HELD, (
                    f"{place - 1} letters went to {letter.to} in the last hour (loop guard): "
                    "send it by hand if the address is genuine"), "letter-held", at)
        raw_key, not_kept = self._keep(case.reference, letter, message)
        try:
            sent_id = self.sender.send(message)
        except SendError as exc:
            if guarded:
                self.store.uncount_attempt(letter.to, at)  # it did not go: the place is free
            saved = self._settle(case, letter.id, LetterStatus.FAILED, str(exc)[:500],
                                 "letter-failed", at, attempt=True, retry=True)
            if saved.letters[letter.id].attempts < MAX_ATTEMPTS:
                return LetterNotSent(f"{letter.id}: {exc}")
            return saved
        return _Sent(letter.id, sent_id, str(message["Subject"]),
                     made.envelope.complaints_address, raw_key, not_kept,
                     letters.text_part(message))

    def preview(self, case: Complaint, letter: Letter, made: Draft) -> Previewed:
        """The letter as it would go, never sent: built, linted with its regime's rules as
        every letter is before sending, and kept (create-only, under
        ``outbound/<reference>/preview/``) so the preview's confirmation can attach it whole.
        ``case`` is the copy the preview ran on: nothing here saves it."""
        try:
            message = letters.build(made.envelope, made.template, made.context, made.attachments)
        except Exception as exc:  # say so: the real reply would fail the same way
            return Previewed(letter.kind, letter.to, made.envelope.subject, "", (),
                             problem=f"could not be written: {type(exc).__name__}: {exc}"[:500])
        findings = tuple(self.check(made.template, _as_checked(made, case), case))
        key = ""
        if self.keep is not None:
            data = as_sent(message)
            digest = hashlib.sha256(data).hexdigest()[:16]
            key = f"{OUTBOUND_PREFIX}{case.reference}/preview/{letter.id}-{digest}.eml"
            try:
                self.keep(key, data)
            except Exception:  # the confirmation carries the text instead of the copy
                key = ""
        return Previewed(letter.kind, letter.to, str(message["Subject"]),
                         letters.text_part(message), findings, key)

    def unwritable(self, case: Complaint, letter_id: str, exc: Exception,
                   at: datetime) -> Complaint:
        """A letter that could not be drafted or built: failed for good (it will not build on
        a retry either), and the case flagged."""
        return self._settle(case, letter_id, LetterStatus.FAILED,
                            f"the letter could not be written: {type(exc).__name__}: {exc}",
                            "letter-failed", at)

    def send_notice(self, kind: str, envelope: letters.Envelope, context: dict[str, Any],
                    attachments: tuple[tuple[str, str, bytes], ...], about: str) -> str:
        """A letter about no case (a quarantine notice to the team): written, checked against
        its kind's rules, kept as sent under ``outbound/<about>/`` and sent, like every other
        letter; returns the Message-ID replies will carry. Raises SendError or ValueError."""
        if not letter_kinds.kind(kind).no_rules:  # a regime's rules need a case's policy
            raise ValueError(f"{kind} letters are about a case: send them with send()")
        message = letters.build(envelope, kind, context, attachments)
        if self.keep is not None:
            data = as_sent(message)
            # a copy already kept (a redelivery) or the store refused: the notice still goes,
            # and the quarantine entry holds the message it is about
            with contextlib.suppress(Exception):
                self.keep(kept_key(about, kind, 1, data), data)
        return self.sender.send(message)

    def _keep(self, reference: str, letter: Letter, message: EmailMessage) -> tuple[str, str]:
        """Keep this attempt's bytes as the sender will hand them over: (key, "") or ("", why
        not)."""
        if self.keep is None:
            return "", "letters are not kept by this service"
        data = as_sent(message)  # fixes the MIME boundaries: the sender's bytes are these
        key = kept_key(reference, letter.id, letter.attempts + 1, data)
        try:
            self.keep(key, data)
        except Exception as exc:  # the letter is statutory: it goes, and the record says so
            return "", f"{type(exc).__name__}: {str(exc)[:300]}"
        return key, ""

    def _record_sent(self, case: Complaint, sent: list[_Sent], at: datetime) -> Complaint:
        def apply(fresh: Complaint) -> Change | None:
            records.clear()  # a retried save starts again
            for went in sent:
                current = fresh.letters[went.letter_id]
                if current.status == LetterStatus.SENT:
                    continue
                current.sent(went.sent_id, at)
                ours = ("" if went.sent_id == current.message_id
                        else f" (ours: {current.message_id})")
                not_kept = (f"; no copy as sent was kept ({went.not_kept})"
                            if went.not_kept and self.keep is not None else "")
                fresh.record(at, SYSTEM, f"{current.kind.replace('_', ' ')} letter sent",
                             f"to {current.to} as {went.sent_id}{ours}{not_kept}")
                records.append(MessageRecord("out", current.id, at, went.sender, (current.to,),
                                             went.subject, went.raw_key, went.sent_id,
                                             current.kind))
            if not records:
                return None
            if not any(x.status == LetterStatus.FAILED for x in fresh.letters.values()):
                fresh.flags.discard("letter-failed")
            return Change(messages=tuple(records))  # the loop guard counted before sending

        records: list[MessageRecord] = []
        for attempt in attempts(self.store, case.reference, case):
            if attempt.save(apply(attempt.case)):
                break
        saved = attempt.case
        self.counts["sent"] += len(records)
        return saved

    def _settle(self, case: Complaint, letter_id: str, status: LetterStatus, why: str,
                flag: str, at: datetime, attempt: bool = False, retry: bool = False) -> Complaint:
        def apply(fresh: Complaint) -> Change | None:
            letter = fresh.letters[letter_id]
            if letter.settled:  # sent (or held) meanwhile: nothing to settle
                return None
            if status == LetterStatus.HELD:
                letter.held(why, at)
            else:
                letter.failed(why, at, attempted=attempt, retry=retry)
            fresh.flags.discard(flag)  # flag again so the timeline says why, this time
            fresh.flag(at, flag, f"{letter.kind} letter to {letter.to}: {why}"
                       f"{f' (attempt {letter.attempts})' if attempt else ''}")
            return Change()

        for tried in attempts(self.store, case.reference, case):
            if tried.save(apply(tried.case)):
                break
        saved, change = tried.case, tried.change
        if change is not None:
            self.counts["held" if status == LetterStatus.HELD else "failed"] += 1
        return saved


class Batch:
    """Letters sent one by one, recorded sent together (see Post.batch)."""

    def __init__(self, post: Post, case: Complaint, claimant: str, at: datetime,
                 attempts: int, redelivery: bool = False) -> None:
        self.post, self.case, self.claimant, self.at = post, case, claimant, at
        self.attempts, self.redelivery = attempts, redelivery
        self.sent: list[_Sent] = []
        self.error: LetterNotSent | None = None
        # letter id -> its plain text as handed to the mail service, for every letter that went
        self.went: dict[str, str] = {}

    def wants(self, letter_id: str) -> bool:
        """Whether this claimant should (re)send the letter now."""
        letter = self.case.letters[letter_id]
        if not _ours(letter, self.claimant, self.attempts):
            return False
        if (self.redelivery and letter.status == LetterStatus.SENDING and letter.claimed_at
                and self.at - datetime.fromisoformat(letter.claimed_at) < CLAIM_LEASE):
            self.error = self.error or LetterNotSent(
                f"{letter.id}: claimed {letter.claimed_at} by another copy of this delivery, "
                "which is sending it: this copy is retried later")
            return False
        return True

    def send(self, letter_id: str, made: Draft) -> None:
        outcome = self.post._send_one(self.case, self.case.letters[letter_id], made, self.at)
        if isinstance(outcome, _Sent):
            self.sent.append(outcome)
            self.went[letter_id] = outcome.text
        elif isinstance(outcome, LetterNotSent):
            self.error = self.error or outcome
        else:
            self.case = outcome  # settled (held or failed) and saved

    def unwritable(self, letter_id: str, exc: Exception) -> None:
        self.case = self.post.unwritable(self.case, letter_id, exc, self.at)

    def close(self) -> Complaint:
        """Record every letter that went in ONE write; raise the first a retry may get past."""
        if self.sent:
            self.case = self.post._record_sent(self.case, self.sent, self.at)
            self.sent = []
        if self.error is not None:
            raise self.error
        return self.case


@dataclass(frozen=True)
class _Sent:
    """One letter the mail service took, to be recorded sent."""

    letter_id: str
    sent_id: str  # the Message-ID the mail service returned
    subject: str
    sender: str
    raw_key: str  # the copy as sent, in the raw store ("" when none was kept)
    not_kept: str = ""  # why no copy was kept
    text: str = ""  # its plain text part, as sent (the staff member's confirmation quotes it)


def _guarded(letter: Letter) -> bool:
    """The loop guard is against robots answering robots: it counts the letters sent
    automatically in answer to mail (the receipt), not the ones staff asked for."""
    return letter_kinds.kind(letter.kind).loop_guarded


def _ours(letter: Letter, claimant: str, attempts: int) -> bool:
    """Whether this claimant should (re)send the letter now."""
    if letter.status == LetterStatus.SENDING:
        return letter.claimed_by == claimant
    if letter.status == LetterStatus.FAILED:
        return letter.claimed_by == claimant and letter.retry and letter.attempts < attempts
    return False

