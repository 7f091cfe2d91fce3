"""A complaint's whole life, run by staff from their mailbox, through the local stack (issue 9).

One journey per seed policy: complaint -> receipt + staff notice -> #acknowledge -> #extend
beyond the cap (refused) and within it -> #respond -> the resident escalates -> stage 2
acknowledgement (by another handler) -> stage 2 (final) response -> #close. Every letter is
asserted in the outbox, its dates against the clock, and `complaints check-letter` passes it.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from complaints.adapters.bank_holidays import CachedBankHolidays
from complaints.adapters.preset_files import PresetLibrary
from complaints.service.clock import StatutoryClock
from tests import mailfactory as mf
from tests.e2e.test_local_stack import BIN, Stack

pytestmark = pytest.mark.slow

SEED_POLICIES = ["homes-plus-england", "homes-plus-scotland", "connect-housing",
                 "housing-solutions", "west-whitlawburn", "my-space"]
SAM, LEE = "sam@landlord.example", "lee@landlord.example"


def strip_ses(raw: bytes) -> bytes:
    """Send what a mail client would: the stack writes the receiving server's headers itself."""
    lines = raw.split(b"\r\n")
    while lines and (lines[0].startswith(b"X-SES-") or lines[0].startswith(b"Authentication-")):
        lines.pop(0)
    return b"\r\n".join(lines)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir = tmp_path_factory.mktemp("journeys")
    mailboxes = ",".join(f"{p}@landlord.example={p}" for p in SEED_POLICIES)
    env = dict(os.environ, COMPLAINTS_CACHE_DIR=str(data_dir / "cache"),
               COMPLAINTS_MAILBOX_POLICIES=mailboxes, COMPLAINTS_LETTERS_PER_HOUR="1000",
               POWERTOOLS_LOG_LEVEL="WARNING")
    running = Stack(data_dir, env)
    yield running
    if running.process.poll() is None:
        running.stop()


@pytest.fixture(scope="module")
def clock() -> StatutoryClock:
    return StatutoryClock(PresetLibrary(), CachedBankHolidays(None))


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return re.sub(r"\s+", " ", str(body.get_content()))


def longdate(d: date) -> str:
    return f"{d:%A} {d.day} {d:%B %Y}"


class Journey:
    def __init__(self, stack: Stack, policy: str) -> None:
        self.stack, self.policy = stack, policy
        self.resident = f"resident@{policy}.example"
        self.seen: set[Path] = set()
        self.reference = ""

    def letters(self) -> list[tuple[str, str, EmailMessage, bytes]]:
        """New letters of this journey since last asked: (kind, to, message, raw)."""
        out = []
        for path in sorted((self.stack.data_dir / "outbox").glob("*.eml")):
            if path in self.seen:
                continue
            raw = path.read_bytes()
            message = parsed(raw)
            if self.reference and self.reference not in str(message["Subject"]):
                continue
            if not self.reference and self.resident not in str(message["To"]) and \
                    "Reply-To: complaints+" not in raw.decode("utf-8", "replace"):
                continue
            self.seen.add(path)
            out.append((str(message["X-Complaints-Letter"]), str(message["To"]), message, raw))
        return out

    def reply(self, to_letter: bytes, sender: str, body: str, name: str = "Staff") -> None:
        raw = mf.reply(to_letter, sender=f"{name} <{sender}>", body=body)
        self.stack.send(strip_ses(raw), sender=sender,
                        to=f"complaints+{self.reference}@landlord.example")

    def show(self) -> Any:
        return self.stack.cli("show", self.reference, "--json")

    def lint(self, kind: str, raw: bytes, tmp: Path, stage: int) -> None:
        path = tmp / f"{kind}.eml"
        path.write_bytes(raw)
        out = subprocess.run([str(BIN), "check-letter", kind, str(path), "--policy", self.policy,
                              "--stage", str(stage)], capture_output=True, text=True,
                             env=self.stack.env, timeout=60)
        assert out.returncode == 0, f"{self.policy} {kind}: {out.stdout}{out.stderr}"


@pytest.mark.parametrize("policy", SEED_POLICIES)
def test_a_whole_complaint_run_from_the_mailbox(stack: Stack, clock: StatutoryClock,
                                                policy: str, tmp_path: Path) -> None:
    j = Journey(stack, policy)
    preset = clock.presets.get(policy)
    today = datetime.now(UTC).date()

    # 1. the resident complains to the landlord's mailbox for this policy
    stack.send(strip_ses(mf.message(sender=f"Jo Resident <{j.resident}>", to=f"{policy}@landlord.example",
                                    subject=f"Mould in the bedroom ({policy})",
                                    body="Black mould in the bedroom since March.")),
               sender=j.resident, to=f"{policy}@landlord.example")
    [case] = [c for c in stack.cli("list", "--json") if c["resident"] == j.resident]
    j.reference = case["reference"]
    assert case["policy"] == policy and "nation-to-confirm" not in case["flags"]
    letters = {kind: (to, m, raw) for kind, to, m, raw in j.letters()}
    assert set(letters) == {"receipt", "staff_new_case"}
    assert j.resident in letters["receipt"][0] and "complaints-team@" in letters["staff_new_case"][0]
    j.lint("receipt", letters["receipt"][2], tmp_path, 1)
    notice = letters["staff_new_case"][1]
    assert notice["Reply-To"] == f"complaints+{j.reference}@landlord.example"
    assert "#acknowledge" in text_of(notice)
    assert any(part.get_filename() == "complaint.eml" for part in notice.iter_attachments())
    staff_notice = letters["staff_new_case"][2]

    # 2. acknowledge (where stage 1 has a written acknowledgement)
    has_ack = preset.stage(1).acknowledge is not None
    j.reply(staff_notice, SAM, "#acknowledge\nMould in the bedroom; Jo wants it treated and the "
            "cause fixed.", "Sam Officer")
    result = {k: m for k, _, m, _ in j.letters()}
    if has_ack:
        ack = result["acknowledgement"]
        expected = clock.deadlines(policy, 1, date.fromisoformat(case["received_on"]), today)
        assert longdate(expected.respond_by) in text_of(ack)
        j.lint("acknowledgement", ack.as_bytes(), tmp_path, 1)
    else:  # SPSO stage 1 has no written acknowledgement: refused, and Sam is told why
        assert "acknowledgement" not in result
        assert "REFUSED" in text_of(result["command_result"]).upper() or \
            "refused" in text_of(result["command_result"])

    # 3. an extension beyond the cap is refused; within it (with agreement/approval) it is sent
    agree = {"resident-agreement": "#agreed Jo agreed by phone\n",
             "manager-approval": "#approved by the housing manager\n"}.get(
        preset.stage(1).extension.agreement, "")
    j.reply(staff_notice, SAM, f"{agree}#extend 30 waiting for a contractor", "Sam Officer")
    refused = {k: m for k, _, m, _ in j.letters()}
    assert "extension" not in refused and "refused" in text_of(refused["command_result"]).lower()
    j.reply(staff_notice, SAM, f"{agree}#extend 3 waiting for a damp survey", "Sam Officer")
    got = {k: (m, raw) for k, _, m, raw in j.letters()}
    extension, raw = got["extension"]
    shown = j.show()
    assert shown["status"] == "extended" and shown["extended_to"]
    new_date = date.fromisoformat(shown["extended_to"])
    assert longdate(new_date) in text_of(extension) and "damp survey" in text_of(extension)
    j.lint("extension", raw, tmp_path, 1)

    # 4. the stage 1 response, with a remedy
    j.reply(staff_notice, SAM, "#respond upheld\n#remedy Mould treatment by 30 January 2027\n"
            "We agree the mould was not dealt with. We will treat it and fix the extractor fan.",
            "Sam Officer")
    got = {k: (m, raw) for k, _, m, raw in j.letters()}
    response, raw = got["stage1_response"]
    assert "Mould treatment" in text_of(response) and "stage 2" in text_of(response).lower()
    j.lint("stage1_response", raw, tmp_path, 1)

    # 5. the resident asks for stage 2 by replying to the response
    stack.send(strip_ses(mf.reply(raw, sender=f"Jo Resident <{j.resident}>",
                                  body="I want to escalate: the fan is still broken.")),
               sender=j.resident, to=f"complaints+{j.reference}@landlord.example")
    shown = j.show()
    assert (shown["status"], shown["stage"]) == ("escalated", 2)
    told = {k: (to, raw) for k, to, _, raw in j.letters()}
    # staff are told at once, and in England never only the stage 1 responder (Code 6.13);
    # the resident's request is answered at once with the stage 2 dates (Code 6.11)
    assert "resident_wrote" in told and "escalation_receipt" in told
    if preset.nation == "england":
        assert "complaints-team@landlord.example" in told["resident_wrote"][0]
    j.lint("escalation_receipt", told["escalation_receipt"][1], tmp_path, 2)

    # 6. stage 2: Sam may not acknowledge it in England (the Code 6.13); Lee does
    if preset.nation == "england":
        j.reply(staff_notice, SAM, "#acknowledge\nThe fan is still broken.", "Sam Officer")
        assert "escalation_acknowledgement" not in [k for k, _, _, _ in j.letters()]
    j.reply(staff_notice, LEE, "#assign lee@landlord.example\n#acknowledge\nThe extractor fan "
            "is still broken; Jo wants it replaced.", "Lee Manager")
    got = {k: (m, raw) for k, _, m, raw in j.letters()}
    ack2, raw = got["escalation_acknowledgement"]
    shown = j.show()
    expected2 = clock.deadlines(policy, 2, date.fromisoformat(shown["deadlines"]["received"]),
                                today)
    assert longdate(expected2.respond_by) in text_of(ack2)
    j.lint("escalation_acknowledgement", raw, tmp_path, 2)

    # 7. the final response, then close
    j.reply(staff_notice, LEE, "#respond partly-upheld\n#remedy New fan fitted by 6 February "
            "2027\nWe will replace the fan. We do not agree the delay was avoidable.",
            "Lee Manager")
    got = {k: (m, raw) for k, _, m, raw in j.letters()}
    final, raw = got["final_response"]
    text = text_of(final)
    assert preset.ombudsman.name in text and preset.ombudsman.phone in text
    j.lint("final_response", raw, tmp_path, 2)
    j.reply(staff_notice, LEE, "#close", "Lee Manager")
    got = {k: (m, raw) for k, _, m, raw in j.letters()}
    assert "closure" in got
    shown = j.show()
    assert shown["status"] == "closed"
    assert shown["outcomes"] == {"1": "upheld", "2": "partly-upheld"}
    sent = [x["kind"] for x in shown["letters"] if x["status"] == "sent"]
    assert {"receipt", "staff_new_case", "extension", "stage1_response",
            "escalation_acknowledgement", "final_response", "closure"} <= set(sent)
    assert not [x for x in shown["letters"] if x["status"] != "sent"]
