"""Running a complaint: commands in, the Complaint decides, letters follow the events.

One entry for every channel (staff mail, the CLI, the web form and the scheduler later):
`apply` runs commands on a loaded case inside a unit of work, records each result (done, or
refused and why) on the timeline, and records the letters that follow, so the same save that
stores the change stores the promise to write. `send` then sends what this claimant recorded.
The Ombudsman block in every letter comes from the case's policy, never from a template.
"""

from __future__ import annotations

import copy
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from complaints.domain import commands as c
from complaints.domain import events as e
from complaints.domain.calendar import london_date
from complaints.domain.case import Complaint, Letter, LetterStatus
from complaints.domain.deadlines import DeadlineRule
from complaints.domain.lifecycle import Context, Refusal, handle
from complaints.domain.policy import Policy
from complaints.domain.teams import case_team, noticed_team
from complaints.mail import letter_kinds, letters, wording
from complaints.mail.letter_kinds import STAFF_KINDS
from complaints.mail.printed import letter_pdf
from complaints.service.clock import StatutoryClock
from complaints.service.ports import Messages, RawMail
from complaints.service.post import MAX_ATTEMPTS, Draft, Post
from complaints.service.unit_of_work import Change, attempts

# event -> (letter kind, its context); None: this event writes no letter
RESIDENT_LETTERS: dict[type, Callable[[Any], tuple[str, dict[str, Any]] | None]] = {
    e.Acknowledged: lambda ev: (
        "acknowledgement" if ev.stage == 1 else "escalation_acknowledgement",
        {"acknowledged_on": ev.on.isoformat(), "definition": ev.definition}),
    e.Extended: lambda ev: ("extension", {
        "old_date": ev.old_date.isoformat(), "new_date": ev.new_date.isoformat(),
        "reason": ev.reason, "working_days": ev.working_days,
        "agreement_text": "" if ev.agreement == "notice given" else ev.agreement}),
    e.Responded: lambda ev: ("final_response" if ev.final else "stage1_response", {
        "outcome": ev.outcome, "response_text": ev.text,
        "remedies": [{"text": r.text, "due": r.due.isoformat() if r.due else None}
                     for r in ev.remedies],
        "responded_on": ev.on.isoformat()}),
    # a resident's own request for the next stage is answered at once (Code 6.11: acknowledged
    # within 5 working days; the dates are the new stage's); one staff open is acknowledged
    e.Escalated: lambda ev: ("escalation_receipt", {}) if ev.by_resident else None,
    e.Refused: lambda ev: ("refusal", {"reason": ev.reason}),
    e.NotAComplaintDecided: lambda ev: ("not_a_complaint", {"reason": ev.reason}),
    e.Closed: lambda ev: ("closure", {"reason": ev.reason or "our complaints process is complete"})
    if ev.notify else None,
    e.Withdrawn: lambda ev: ("closure", {"reason": ev.reason or "you asked us to withdraw it"}),
    e.MessageSent: lambda ev: ("resident_message", {"message": ev.text}),
}
OUTCOME_WORDS = {"upheld": "we uphold your complaint", "partly-upheld": "we uphold your "
                 "complaint in part", "not-upheld": "we do not uphold your complaint",
                 "resolved": "your complaint is resolved"}
CHEAT_SHEET = (
    "#acknowledge  (the complaint definition below) - sends the acknowledgement",
    "#extend N <reason>  - extends by N working days, not weeks or calendar days "
    "(#agreed / #approved first where needed)",
    f"#respond {'|'.join(c.OUTCOMES)}  + #remedy <text> lines; the response below",
    "#escalate <reason>  #refuse <reason>  #not-a-complaint <what happens instead>",
    "#withdraw  #close  #note <internal text>  #assign <address>  #policy <id>  #adjustments <text>",
    "#done N  - remedy N (as numbered in the response) is done",
    "#category <a few words>  #tenure LCRA|LCHO|other  - for the reports; any case, closed too",
    "#message (your text below)  - sends your text to the resident",
    "#preview  (above other commands) - shows what they would do and send; does nothing",
    "No # lines: to a resident's message forwarded to you, your text goes to them; to any "
    "other mail from us it is an internal note.",
)
# the stage a resident's request for the next stage moves to, when a regime's rule keeps it
# from the one who answered: the request goes to the team (or manager), never only to them
_SECOND_STAGE = (e.Escalated, e.EscalationOutOfTime)
FORWARD_ATTACHMENTS_MAX = 10_000_000  # bytes of a resident's files attached to its forward


@dataclass
class Result:
    command: str
    done: bool
    detail: str
    events: list[e.DomainEvent] = field(default_factory=list)
    needs: bool = False  # not done: put to staff to decide (a late request for stage 2)

    def to_json(self) -> dict[str, Any]:
        return {"command": self.command, "done": self.done, "detail": self.detail,
                "needs": self.needs}


@dataclass(frozen=True)
class LetterConfig:
    landlord: str
    complaints_address: str
    team_address: str
    signature: str = ""
    # a team per mailbox address or policy id, where it is not the one team_address
    team_addresses: dict[str, str] = field(default_factory=dict)
    landlord_address: tuple[str, ...] = ()
    logo_url: str = ""
    manager_address: str = ""  # a request for the next stage, where there is no team


@dataclass(frozen=True)
class ResidentMessage:
    """What a resident sent on a case, as its forward to staff shows it."""

    writer: str  # their name, else their address
    subject: str
    text: str  # their own words: the quoted history cut
    files: tuple[dict[str, Any], ...] = ()  # filename, content_type, size, key (raw store)
    # the whole message, when their words go on below what they quoted (a reply written
    # between the lines of ours): nothing they wrote is left out of what staff read
    whole: str = ""


class Casework:
    def __init__(self, post: Post, clock: StatutoryClock, config: LetterConfig,
                 attachments_for: Callable[[Complaint, Letter], tuple[tuple[str, str, bytes], ...]]
                 | None = None, is_staff: Callable[[str], bool] | None = None,
                 messages: Messages | None = None, raw_mail: RawMail | None = None) -> None:
        self.post, self.clock, self.config = post, clock, config
        self.attachments_for = attachments_for or (lambda case, letter: ())
        self.is_staff = is_staff
        self.messages = messages  # the case's messages, for a handover's "latest"
        self.raw_mail = raw_mail  # letters kept as sent, for a confirmation quoting them

    # --- deciding --------------------------------------------------------------------------

    def context(self, case: Complaint, at: datetime, actor: str) -> Context:
        policy = self.clock.policy(case.policy)
        return Context(at=at, today=london_date(at), actor=actor, policy=policy,
                       rule=self.rule_for(policy), calendar=self.clock.calendar_for(policy),
                       policy_named=self.clock.policy, rule_for=self.rule_for,
                       is_staff=self.is_staff)

    def rule_for(self, policy: Policy) -> DeadlineRule:
        return DeadlineRule(policy, self.clock.calendar_for(policy))

    def apply(self, case: Complaint, commands: tuple[c.Command, ...], actor: str, claimant: str,
              at: datetime, staff: bool) -> list[Result]:
        """Run the commands in order on ``case`` (inside the caller's unit of work); with a
        ``#preview`` among them, run them on a copy instead and only confirm what they would
        do (``preview``)."""
        if staff and any(isinstance(x, c.Preview) for x in commands):
            return self.preview(case, commands, actor, claimant, at)
        results = self._run(case, commands, actor, claimant, at)
        if staff and results:
            self.post.record(case, "command_result",
                             letter_kinds.kind("command_result").address(sender=actor), claimant,
                             self.config.complaints_address, at,
                             context={"results": [r.to_json() for r in results]})
        return results

    def _run(self, case: Complaint, commands: tuple[c.Command, ...], actor: str, claimant: str,
             at: datetime) -> list[Result]:
        results = []
        for command in commands:
            if isinstance(command, c.Preview):
                continue
            name = _name(command)
            try:
                events = handle(case, command, self.context(case, at, actor))
            except Refusal as refusal:
                case.record(at, actor, "command refused", f"{name}: {refusal}")
                results.append(Result(name, False, str(refusal)))
                continue
            # a request put to staff (a late escalation) is recorded, not done
            put = any(isinstance(ev, e.EscalationOutOfTime) for ev in events)
            results.append(Result(name, not put, "; ".join(ev.describe() for ev in events),
                                  events, needs=put))
            for event in events:
                self._letters_for(case, event, actor, claimant, at)
        return results

    def preview(self, case: Complaint, commands: tuple[c.Command, ...], actor: str,
                claimant: str, at: datetime) -> list[Result]:
        """#preview: the other commands run on a copy of the loaded case, and every letter they
        would send is drafted, built and linted from the copy; the case itself gets only a
        timeline entry and the confirmation (recorded in the caller's save, so a redelivery
        never sends it twice). Nothing is done, nothing goes to the resident."""
        trial = copy.deepcopy(case)  # the caller saves ``case``: the copy is never saved
        before = set(trial.letters)
        results = self._run(trial, commands, actor, claimant, at)
        new = sorted((x for x in trial.letters.values() if x.id not in before),
                     key=lambda x: x.kind in STAFF_KINDS)  # as send() sends them
        shown = [self._previewed(trial, x) for x in new]
        if not results:
            results = [Result("#preview", False, "there is nothing to preview: put the commands "
                              "to try on the lines under #preview")]
        case.record(at, actor, "commands previewed", (
            "shown to the sender, nothing done or sent: " + "; ".join(
                f"{r.command} would be {'done' if r.done else 'refused'}" for r in results)
            + f"; {len(shown)} letter(s) shown")[:2000])
        self.post.record(case, "command_result",
                         letter_kinds.kind("command_result").address(sender=actor), claimant,
                         self.config.complaints_address, at,
                         context={"preview": True, "results": [r.to_json() for r in results],
                                  "letters": [dict(p, filename=f"preview-{n}-{p['kind']}.eml")
                                              for n, p in enumerate(shown, 1)]})
        return [Result("#preview", True, "nothing done or sent; shown to the sender: " + "; ".join(
            f"{r.command} would be " + ("done" if r.done else f"refused: {r.detail[:200]}")
            for r in results) + f"; {len(shown)} letter(s) as they would go")]

    def _previewed(self, trial: Complaint, letter: Letter) -> dict[str, Any]:
        """One letter a preview would send, as it would go (or why it would not)."""
        if letter.status in (LetterStatus.HELD, LetterStatus.FAILED):
            return {"kind": letter.kind, "to": letter.to, "subject": "", "findings": [],
                    "key": "", "text": "", "problem": f"would NOT be sent: {letter.error}"}
        try:
            made = self.draft(trial, letter)
        except Exception as exc:  # what the real reply would meet: said, never raised
            return {"kind": letter.kind, "to": letter.to, "subject": "", "findings": [],
                    "key": "", "text": "", "problem": f"could not be written: "
                    f"{type(exc).__name__}: {exc}"[:500]}
        return self.post.preview(trial, letter, made).to_json()

    def _letters_for(self, case: Complaint, event: e.DomainEvent, actor: str, claimant: str,
                     at: datetime) -> None:
        # a resident's request for the next stage (in time or late) is put to staff in the
        # forward of their message (resident_wrote), which says what it did
        if isinstance(event, e.Assigned) and event.address != actor:
            self.record(case, "handover", event.address, claimant, at,
                        context=self._handover(case, actor))
        make = RESIDENT_LETTERS.get(type(event))
        letter = make(event) if make is not None else None
        if letter is None:
            return
        kind, context = letter
        self.post.record(case, kind, letter_kinds.kind(kind).address(resident=case.resident),
                         claimant, self.config.complaints_address, at,
                         context={**context, "stage": event.stage})

    def _staff(self, kind: str, case: Complaint) -> str:
        """Who a note to staff about the case goes to, when no member of staff asked."""
        return letter_kinds.kind(kind).address(handler=case.handler, team=self.team(case))

    def resident_wrote(self, case: Complaint, message: ResidentMessage, results: list[Result],
                       claimant: str, at: datetime) -> Letter:
        """Forward a resident's message to a person at once (in the unit of work that adds it):
        the handler, else the team; a request for the next stage to the team (or manager)
        where the regime keeps the next stage from the one who answered (Code 6.13)."""
        second = [ev for r in results for ev in r.events if isinstance(ev, _SECOND_STAGE)
                  and (not isinstance(ev, e.Escalated) or ev.by_resident)]
        to = self._staff("resident_wrote", case)
        policy = self.clock.policy(case.policy)
        if second and (policy.rules.later_stage_handler or not case.handler):
            to = self.team(case) or self.config.manager_address or to
        snippet = " ".join(message.text.split())[:60] or message.subject[:60] or "(no text)"
        if any(isinstance(ev, e.EscalationOutOfTime) for ev in second):
            line = f"Needs you: {message.writer} asked for the next stage late: {snippet}"
        elif second:
            line = f"{message.writer} asked for the next stage: {snippet}"
        else:
            line = f"{message.writer} wrote: {snippet}"
        step = case.next_step()
        return self.record(case, "resident_wrote", to, claimant, at, context={
            "subject_line": line, "writer": message.writer, "text": message.text or (
                "(no text: the message had only attachments, or was empty)"),
            "subject": message.subject, "files": [dict(f) for f in message.files],
            "whole": message.whole,
            "happened": [r.detail if r.done else f"{r.command}: {r.detail}" for r in results],
            "next_step": step[0] if step else "", "next_due": step[1].isoformat() if step else "",
        })

    def _handover(self, case: Complaint, actor: str) -> dict[str, Any]:
        """What a new handler needs: who, what, the dates, the latest, what is due next."""
        step = case.next_step()
        recent = [f"{t.at:%d %b %Y %H:%M} {t.actor}: {t.event}: {t.detail}"[:300]
                  for t in case.timeline[-6:]]
        if self.messages is not None:
            said = [m for m in self.messages.messages(case.reference)
                    if m.get("direction") == "in" and m.get("text")][-3:]
            recent += [f"{m.get('at', '')[:16].replace('T', ' ')} {m.get('sender')} wrote: "
                       f"{' '.join(str(m['text']).split())[:240]}" for m in said]
        return {"assigned_by": actor, "recent": recent,
                "definition": case.definitions.get(case.stage, ""),
                "next_step": step[0] if step else "",
                "next_due": step[1].isoformat() if step else ""}

    def team(self, case: Complaint) -> str:
        """The case's team (domain/teams.case_team): the one the new-case notice went to."""
        return case_team(self.config.team_addresses, self.config.team_address, case.mailbox,
                         case.policy, noticed_team(case.letters.values()))

    def record(self, case: Complaint, kind: str, to: str, claimant: str, at: datetime,
               hold: str | None = None, context: dict[str, Any] | None = None) -> Letter:
        """Put a letter on the case, from our complaints address, before anything is sent
        (the caller saves the case, then asks ``send``)."""
        return self.post.record(case, kind, to, claimant, self.config.complaints_address, at,
                                hold, context)

    def run(self, reference: str, commands: tuple[c.Command, ...], actor: str, claimant: str,
            at: datetime, staff: bool = True) -> tuple[Complaint, list[Result]]:
        """Commands from a channel with no message of its own (the CLI, later the scheduler):
        one unit of work, then the letters that follow."""
        results: list[Result] = []

        def apply(case: Complaint) -> Change:
            results[:] = self.apply(case, commands, actor, claimant, at, staff)
            return Change()

        for attempt in attempts(self.post.store, reference):
            if attempt.save(apply(attempt.case)):
                break
        saved = attempt.case
        return self.send(saved, claimant, at), results

    # --- writing ---------------------------------------------------------------------------

    def send(self, case: Complaint, claimant: str, at: datetime | None = None,
             attempts: int = MAX_ATTEMPTS, redelivery: bool = False) -> Complaint:
        """Send every letter this claimant recorded and has not sent (safe to call again)."""
        # residents' letters first, so the note to staff can say which of them did not go;
        # one batch, so every letter that went is recorded in ONE write
        mine = sorted((x for x in case.letters.values() if x.claimed_by == claimant
                       and x.status in (LetterStatus.SENDING, LetterStatus.FAILED)),
                      key=lambda x: (x.kind in STAFF_KINDS, x.id))
        if not mine:
            return case
        batch = self.post.batch(case, claimant, at, attempts, redelivery)
        for letter in mine:
            if not batch.wants(letter.id):
                continue
            try:  # drafted from the batch's case: it shows how the letters before it went
                made = self.draft(batch.case, batch.case.letters[letter.id], batch.went)
            except Exception as exc:  # a letter we cannot write: failed, with the reason
                batch.unwritable(letter.id, exc)
                continue
            batch.send(letter.id, made)
        return batch.close()

    def draft(self, case: Complaint, letter: Letter,
              went: Mapping[str, str] | None = None) -> Draft:
        """The letter's envelope, template and context. ``went``: letter id -> the plain text
        of each letter sent so far in this batch (a confirmation quotes them as they went)."""
        policy = self.clock.policy(case.policy)
        ctx = {**self.common(case, policy, letter.context.get("stage", case.stage)),
               **letter.context}
        attached = self.attachments_for(case, letter)
        if letter.kind == "command_result":
            ctx.update(self._confirmation(case, letter, ctx, went or {}, attached))
        if "outcome" in ctx:
            ctx["outcome_text"] = OUTCOME_WORDS.get(ctx["outcome"], ctx["outcome"])
            ctx["outstanding"] = [r for r in ctx.get("remedies", []) if r.get("due")]
        kind = letter_kinds.kind(letter.kind)
        staff, subject = kind.for_staff, kind.subject
        if not staff:  # residents read the handler's name, never a bare address
            name = case.staff_names.get(case.handler, "")
            ctx["handler"] = name
            if name:
                ctx["signature"] = f"{name}\n{ctx['signature']}"
        envelope = letters.Envelope(
            landlord=self.config.landlord, complaints_address=self.config.complaints_address,
            to=letter.to, to_name="" if staff else case.resident_name, reference=case.reference,
            subject=(ctx.get("subject_line")
                     or f"{subject}: {case.subject or '(no subject)'}")[:200],
            in_reply_to=ctx.get("in_reply_to") or None, message_id=letter.message_id)
        if letter.kind == "staff_new_case" and ctx.get("print_receipt") in case.letters:
            attached = (*attached, self.printable(case, case.letters[ctx["print_receipt"]]))
        return Draft(envelope, letter.kind, ctx, attached)

    def printable(self, case: Complaint, letter: Letter) -> tuple[str, str, bytes]:
        """A letter that cannot be emailed (no address) as a PDF for the team to post: its
        own text, under the resident's name and postal address for a window envelope."""
        made = self.draft(case, letter)
        body = letters.build(made.envelope, made.template, made.context).get_body(("plain",))
        text = str(body.get_content()) if body is not None else ""
        head = [self.config.landlord, *self.config.landlord_address, "",
                case.resident_name or "The resident",
                *[x.strip() for x in case.contact.get("address", "").replace("\n", ",").split(",")
                  if x.strip()], ""]
        if letter.claimed_at:  # when it was written (recorded, and held)
            head += [f"{london_date(datetime.fromisoformat(letter.claimed_at)):%d %B %Y}", ""]
        return (f"{letter.kind}-letter-{case.reference}.pdf", "application/pdf",
                letter_pdf("\n".join([*head, text]), f"{case.reference} {letter.kind} letter"))

    def _confirmation(self, case: Complaint, letter: Letter, ctx: dict[str, Any],
                      went: Mapping[str, str],
                      attached: tuple[tuple[str, str, bytes], ...]) -> dict[str, Any]:
        """A confirmation's results with what did not go out and why, the letters as they
        went (a preview's: as they would go), and a subject that says which it is."""
        results = list(ctx.get("results", [])) + [
            {"command": f"{x.kind.replace('_', ' ')} letter to {x.to}", "done": False,
             "needs": True, "detail": f"NOT SENT: {x.error}"}
            for x in case.letters.values()
            if x.claimed_by == letter.claimed_by and x.kind not in STAFF_KINDS
            and x.status in (LetterStatus.FAILED, LetterStatus.HELD)]
        preview = bool(ctx.get("preview"))
        if preview:
            copies = {name: data for name, _, data in attached}
            shown = [{**x, "what": x["kind"].replace("_", " ") + " letter",
                      "text": letters.text_part(copies[x["filename"]])
                      if x.get("filename") in copies else x.get("text") or (
                          "(the letter's text could not be read back: its copy is not "
                          "attached)" if x.get("key") else "")}
                     for x in ctx.get("letters", [])]
        else:
            shown = [self._as_sent(case, x, went) for x in case.letters.values()
                     if x.claimed_by == letter.claimed_by and x.kind not in STAFF_KINDS
                     and (x.id in went or x.status == LetterStatus.SENT)]
        return {"results": results, "letters": shown, "preview": preview,
                "subject_line": confirmation_subject(results, preview)}

    def _as_sent(self, case: Complaint, sent: Letter, went: Mapping[str, str]) -> dict[str, Any]:
        """A letter the reply caused, with its plain text as handed to the mail service (one
        that went in an earlier try of this delivery: from its copy kept as sent, else as
        written again from the case, and saying so)."""
        text = went.get(sent.id)
        again = text is None  # it went in an earlier try of this reply
        if text is None:
            text = self._kept_text(case.reference, sent.id)
        rewritten = text is None
        if text is None:
            try:
                made = self.draft(case, sent)
                text = letters.text_part(letters.build(made.envelope, made.template,
                                                       made.context))
            except Exception as exc:  # the confirmation still goes: it says why
                text = f"(its text could not be shown: {type(exc).__name__})"
        return {"kind": sent.kind, "what": sent.kind.replace("_", " ") + " letter",
                "to": sent.to, "subject": "", "findings": [], "problem": "", "text": text,
                "again": again, "rewritten": rewritten}

    def _kept_text(self, reference: str, letter_id: str) -> str | None:
        """The plain text of a letter's copy kept as sent (None: no copy to read)."""
        if self.messages is None or self.raw_mail is None:
            return None
        for m in reversed(self.messages.messages(reference)):
            if m.get("direction") == "out" and m.get("key") == letter_id and m.get("raw_key"):
                try:
                    return letters.text_part(self.raw_mail.get(str(m["raw_key"])))
                except Exception:  # a copy the store cannot give: the text is written again
                    return None
        return None

    def common(self, case: Complaint, policy: Policy, stage_number: int) -> dict[str, Any]:
        stage = policy.stage(stage_number)
        d = case.deadlines
        assert d is not None
        plus = letters.plus_address(self.config.complaints_address, case.reference)
        return {
            "landlord": self.config.landlord, "complaints_address": self.config.complaints_address,
            "reference": case.reference, "resident_name": case.resident_name,
            "resident": case.resident, "subject": case.subject, "stage": stage_number,
            "stage_name": stage.name, "final_stage": stage_number >= len(policy.stages),
            # the Ombudsman route is restated on closing only once the final response has gone
            "final_response_given": len(policy.stages) in case.outcomes,
            # the landlord's procedure by the landlord's name: a preset's title may name an
            # Ombudsman a letter must not yet signpost (SPSO model CHP ¶108)
            "policy_name": f"{self.config.landlord} complaints procedure",
            "policy_id": policy.id, "nation": policy.nation,
            "ombudsman": policy.summary()["ombudsman"],
            "ombudsman_time_limit": policy.rules.ombudsman_time_limit,
            "later_stage_handler": bool(policy.rules.later_stage_handler),
            "advice": [{"name": n, "contact": c, "url": u} for n, c, u in policy.rules.advice],
            "adjustments_text": (
                "If you need any reasonable adjustments to take part in the complaints process, "
                "or our letters in another format (such as large print, Braille, audio or "
                "another language), tell us: reply to this email or write to "
                f"{self.config.complaints_address}."),
            "support_needs": case.support_needs,
            "signature": self.config.signature or f"{self.config.landlord} complaints team",
            "landlord_address": list(self.config.landlord_address),
            "logo_url": self.config.logo_url,
            "handler": case.handler, "escalation_text": wording.escalation_text(policy),
            "escalate_mailto": "mailto:" + plus + "?subject=" + urllib.parse.quote(
                f"Escalate {case.reference}"),
            "received_on": case.received_on, "escalation_received_on": case.stage_received_on,
            "acknowledge_by": d.acknowledge_by, "respond_by": case.extended_to or d.respond_by,
            "respond_by_extended": d.respond_by_extended, "provisional": d.provisional,
            "extension_text": wording.extension_text(
                stage.extension, d.respond_by_extended,
                signpost_to=policy.rules.ombudsman_short_name
                if policy.ombudsman.signpost == "any-time" else ""),
            "update_every": stage.extension.update_every_working_days,
            "definition": case.definitions.get(stage_number, ""),
            "status": case.status.value, "cheat_sheet": list(CHEAT_SHEET),
            "flags": [], "summary": "", "attachments": [],
            "channel": case.channel, "contact": dict(case.contact), "home": dict(case.home),
            "outcome_sought": case.outcome_sought,
            "representative": dict(case.representative), "anonymous": case.anonymous,
        }


SUBJECT_DETAIL = 90  # characters of the first result's detail in a confirmation's subject


def confirmation_subject(results: list[dict[str, Any]], preview: bool = False) -> str:
    """What a confirmation's subject says, so confirmations are told apart in an inbox:
    "Done: ...", "REFUSED: <the first refused>" (any refused), "Needs you: ..." (put to staff:
    a late request, a letter not sent); a preview's says nothing was done."""
    refused = [r for r in results if not r.get("done") and not r.get("needs")]
    needs = [r for r in results if r.get("needs")]
    first = (refused or needs or results or [{"command": "no commands", "detail": ""}])[0]
    more = f" (+{len(results) - 1} more)" if len(results) > 1 else ""
    detail = " ".join(str(first.get("detail", "")).split())
    if len(detail) > SUBJECT_DETAIL:
        detail = detail[:SUBJECT_DETAIL - 1].rstrip() + "\u2026"
    if preview:
        word = "would be REFUSED" if refused else "would be done"
        head = f"Preview, nothing done: {first['command']} {word}"
        return head + (f": {detail}" if refused and detail else "") + more
    word = "REFUSED" if refused else "Needs you" if needs else "Done"
    return f"{word}: {first['command']}" + (f": {detail}" if detail else "") + more


def _name(command: c.Command) -> str:
    if isinstance(command, c.ExtendInCalendarTime):
        return "#extend"
    if isinstance(command, c.Unreadable):
        return "an unreadable # line"
    if isinstance(command, c.Escalate) and command.by_resident:
        return "the resident's request for stage 2"
    word = {v: k for k, v in c.COMMAND_NAMES.items()}.get(type(command).__name__)
    return f"#{word}" if word else "message to the resident"


__all__ = ["Casework", "LetterConfig", "ResidentMessage", "Result", "forwarded_files"]


def complaint_as_received(raw_mail: Any) -> Callable[[Complaint, Letter], tuple[tuple[str, str, bytes], ...]]:
    """The team's new-case notice carries the complaint as received (up to 10 MB): the email,
    or the web form's submission. A resident's forwarded message carries their files, up to
    FORWARD_ATTACHMENTS_MAX in all; the rest are listed in it as kept with the case."""
    def attachments(case: Complaint, letter: Letter) -> tuple[tuple[str, str, bytes], ...]:
        if letter.kind == "command_result":  # a preview's letters, whole, as they would go
            return tuple(_copies(letter.context.get("letters", [])))
        if letter.kind == "resident_wrote":
            return tuple((f["filename"], f["content_type"], raw_mail.get(f["key"]))
                         for f in letter.context.get("files", []) if f.get("attached"))
        raw_key = letter.context.get("raw_key") if letter.kind == "staff_new_case" else None
        if not raw_key:
            return ()
        raw = raw_mail.get(raw_key)
        if len(raw) >= 10_000_000:
            return ()
        if raw_key.endswith(".json"):  # a web form submission, as received
            return (("web-form.json", "application/json", raw),)
        return (("complaint.eml", "message/rfc822", raw),)

    def _copies(shown: list[dict[str, Any]]) -> Iterator[tuple[str, str, bytes]]:
        for x in shown:
            if not x.get("key"):
                continue
            try:
                yield x["filename"], "message/rfc822", raw_mail.get(x["key"])
            except Exception:  # the confirmation says its copy is not attached
                continue
    return attachments


def forwarded_files(files: list[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """Which of a resident's files go with its forward (in order, while they fit the cap)."""
    out, total = [], 0
    for f in files:
        size = int(f.get("size", 0))
        fits = bool(f.get("key")) and total + size <= FORWARD_ATTACHMENTS_MAX
        total += size if fits else 0
        out.append({"filename": f.get("filename", "file"), "size": size,
                    "content_type": f.get("content_type", "application/octet-stream"),
                    "key": f.get("key", ""), "attached": fits,
                    "why": "" if fits else
                    f"the files with it pass {FORWARD_ATTACHMENTS_MAX // 1_000_000} MB"})
    return tuple(out)
