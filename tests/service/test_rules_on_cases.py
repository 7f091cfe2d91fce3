"""Issue 8 on real parts: the nation of a case, the resident register, the receipt letter each
preset sends (checked by `complaints check-letter`), and the clock's breach report.

Given the service on its in-memory ports and the CLI, when complaints arrive, then the policy
chosen, its flag and reason, the letters and the exit codes say so. (The register's CLI import,
on DynamoDB Local: tests/integration/test_register_cli.py.)
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from complaints.adapters.memory import InMemoryRawMail, InMemoryStore
from complaints.bootstrap import mailroom_for
from complaints.service.clock import StatutoryClock
from complaints.service.mailroom import Delivery, Mailroom
from tests import mailfactory as mf
from tests.conftest import DESIGN_PRESET_IDS, MAIL_CONFIG, Outbox
from tests.integration.test_cli import run

AT = datetime(2026, 6, 12, 9, 0, tzinfo=UTC)


@pytest.fixture()
def receive(mailroom: Mailroom, raw_mail: InMemoryRawMail, store: InMemoryStore) -> Callable[..., Any]:
    def go(raw: bytes, recipients: tuple[str, ...] = ()) -> Any:
        key = f"ses-{uuid.uuid4().hex[:12]}"
        raw_mail.put(raw_mail.key_for(key), raw)
        outcome = mailroom.receive(Delivery(key, raw_mail.key_for(key), AT,
                                            recipients=recipients))
        assert outcome.reference is not None
        case = store.load(outcome.reference)
        assert case is not None
        return case
    return go


def policy_reason(case: Any) -> str:
    return str(next(e.detail for e in case.timeline if e.event == "policy chosen"))


# --- the nation of a case ------------------------------------------------------------------------


def test_the_mailbox_decides_first_and_settles_the_nation(receive: Callable[..., Any]) -> None:
    # an English postcode in the text, sent (Bcc) to the Scottish mailbox: the mailbox wins
    case = receive(mf.message(body="Damp at 1 High St, Newcastle NE1 4ST."),
                   recipients=("scotland@landlord.example",))
    assert case.policy == "spso-mchp" and "nation-to-confirm" not in case.flags
    assert "scotland@landlord.example mailbox" in policy_reason(case)


def test_the_register_decides_next_and_brings_support_needs(
        receive: Callable[..., Any], store: InMemoryStore) -> None:
    store.put_residents([{"email": "jane@example.org", "name": "Jane", "phone": "",
                          "property_address": "3 Belmont Road", "postcode": "G72 8PG",
                          "nation": "scotland", "tenancy_reference": "T-0042",
                          "support_needs": "large print; calls before noon"}])
    # no postcode at all in the message: the register knows the home
    case = receive(mf.message(body="The boiler has failed again."))
    assert case.policy == "spso-mchp" and "nation-to-confirm" not in case.flags
    assert case.tenancy_reference == "T-0042" and case.support_needs.startswith("large print")
    assert "support-needs" in case.flags
    assert "resident register has this address in scotland" in policy_reason(case)


@pytest.mark.parametrize(("body", "policy", "reason"), [
    # one postcode: it decides, but the handler confirms it is the home's
    ("Cold flat at 3 Belmont Road, Cambuslang G72 8PG.", "spso-mchp", "G72 8PG"),
    # an English home, and an advice agency's Edinburgh signature: two nations, the default
    ("My home is 4 Elm Row, Newcastle NE1 4ST.\n\nCitizens Advice, 1 Leith St, EH1 3AA",
     "hos-2024", "more than one nation"),
    # Berwick-upon-Tweed: TD15 straddles the border
    ("The damp at 2 Bridge St, Berwick TD15 1AQ is worse.", "hos-2024", "on a border"),
    # a Scottish tenant who gives no postcode: the default, flagged
    ("The boiler is broken.", "hos-2024", "no property postcode"),
])
def test_postcodes_decide_only_when_they_agree_and_always_ask_the_handler(
        receive: Callable[..., Any], body: str, policy: str, reason: str) -> None:
    case = receive(mf.message(body=body))
    assert case.policy == policy
    assert "nation-to-confirm" in case.flags and reason in policy_reason(case)


def test_a_postcode_in_quoted_history_is_not_the_residents(receive: Callable[..., Any]) -> None:
    body = "Still no repair.\n\nOn Mon, 1 Jun 2026, Repairs wrote:\n> Our office: 9 George St EH2 2PF"
    case = receive(mf.message(body=body))
    assert case.policy == "hos-2024" and "no property postcode" in policy_reason(case)


# --- the receipt letter each preset sends ----------------------------------------------------------


def receipt_for(policy_id: str, store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox,
                clock: StatutoryClock) -> tuple[Any, bytes]:
    policies = dataclasses.replace(MAIL_CONFIG.policies, default=policy_id)
    config = dataclasses.replace(MAIL_CONFIG, policies=policies, mailbox_policies={})
    room = mailroom_for(store, raw_mail, outbox.sender, clock, config)
    key = f"ses-{policy_id}"
    raw_mail.put(raw_mail.key_for(key), mf.message(sender=f"r@{policy_id}.example"))
    reference = room.receive(Delivery(key, raw_mail.key_for(key), AT)).reference
    assert reference is not None
    case = store.load(reference)
    assert case is not None and case.policy == policy_id
    [letter] = [x for x in outbox.letters() if reference.encode() in x]
    return case, letter


@pytest.mark.parametrize("policy_id", sorted(DESIGN_PRESET_IDS))
def test_every_presets_receipt_letter_passes_check_letter(
        policy_id: str, store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox,
        clock: StatutoryClock, cli_env: dict[str, str], tmp_path: Path) -> None:
    case, letter = receipt_for(policy_id, store, raw_mail, outbox, clock)
    assert [x.status.value for x in case.letters.values()] == ["sent"]
    path = tmp_path / "receipt.eml"
    path.write_bytes(letter)
    out = run(cli_env, "check-letter", "receipt", str(path), "--policy", policy_id, "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    text = letter.decode("utf-8", "replace")
    assert "reasonable adjustments" in text and "format" in text
    policy = clock.presets.get(policy_id)
    agreement = policy.stage(1).extension.agreement
    if agreement == "resident-agreement":
        assert "your agreement" in text
    if agreement == "manager-approval":
        assert "manager must approve" in text


def test_a_scottish_stage_1_letter_that_signposts_the_spso_fails(
        store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox, clock: StatutoryClock,
        cli_env: dict[str, str], tmp_path: Path) -> None:
    _, letter = receipt_for("spso-mchp", store, raw_mail, outbox, clock)
    signposted = letter.replace(b"Example Homes complaints team",
                                b"You can contact the SPSO, Freephone 0800 377 7330.")
    path = tmp_path / "bad.eml"
    path.write_bytes(signposted)
    out = run(cli_env, "check-letter", "receipt", str(path), "--policy", "spso-mchp", "--json")
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert {f["rule"] for f in report["findings"]} == {"no-spso-signpost"}
    # and an English letter without the Ombudsman's details fails for England
    _, english = receipt_for("hos-2024", store, raw_mail, outbox, clock)
    path.write_bytes(english.replace(b"0300 111 3000", b"(phone withheld)"))
    out = run(cli_env, "check-letter", "receipt", str(path), "--policy", "hos-2024")
    assert out.returncode == 1 and "ombudsman-details" in out.stdout


def test_a_letter_failing_its_rules_is_not_sent_and_the_case_says_why(
        store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox, clock: StatutoryClock) -> None:
    policies = dataclasses.replace(MAIL_CONFIG.policies, default="spso-mchp")
    config = dataclasses.replace(MAIL_CONFIG, policies=policies, mailbox_policies={},
                                 landlord="SPSO Lookalike Homes")  # its name would signpost
    room = mailroom_for(store, raw_mail, outbox.sender, clock, config)
    raw_mail.put(raw_mail.key_for("ses-x"), mf.message())
    reference = room.receive(Delivery("ses-x", raw_mail.key_for("ses-x"), AT)).reference
    assert reference is not None
    case = store.load(reference)
    assert case is not None and outbox.letters() == []
    [letter] = case.letters.values()
    assert letter.status.value == "failed" and "no-spso-signpost" in letter.error
    assert "letter-failed" in case.flags


# --- the clock reports breaches --------------------------------------------------------------------


def test_deadlines_say_when_an_acknowledgement_and_a_response_were_late(
        cli_env: dict[str, str]) -> None:
    # received Fri 22 May 2026: acknowledge by Mon 1 Jun; acknowledged Wed 3 Jun = 2 WD late;
    # the response still counts from the real acknowledgement: 10 WD -> Wed 17 Jun
    out = run(cli_env, "deadlines", "--policy", "hos-2024", "--stage", "1", "--received",
              "2026-05-22", "--acknowledged", "2026-06-03", "--responded", "2026-06-18", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert (result["acknowledgement_late"], result["acknowledgement_late_by"]) == (True, 2)
    assert result["respond_by"] == "2026-06-17"
    assert (result["response_late"], result["response_late_by"]) == (True, 1)
    assert result["response_within_extension"] is True
    on_time = json.loads(run(cli_env, "deadlines", "--policy", "hos-2024", "--stage", "1",
                             "--received", "2026-05-22", "--acknowledged", "2026-05-27",
                             "--json").stdout)
    assert "acknowledgement_late" not in on_time  # the contract's shape when nothing was late
    table = run(cli_env, "deadlines", "--policy", "hos-2024", "--stage", "1", "--received",
                "2026-05-22", "--acknowledged", "2026-06-03").stdout
    assert "LATE: the acknowledgement on Wed 03 Jun 2026 was 2 working days after its date" in table


def test_a_postcode_in_a_forwarded_message_is_not_the_residents(
        receive: Callable[..., Any]) -> None:
    from email.message import EmailMessage

    old = EmailMessage()
    old["From"], old["Subject"] = "Repairs <repairs@landlord.example>", "Your repair"
    old.set_content("The flat at G72 8PG is booked for a visit.")
    raw = mf.message(body="See the attached old thread: still no repair.")
    outer = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(outer, EmailMessage)
    outer.add_attachment(old)  # a message/rfc822 part, as "forward as attachment" makes
    case = receive(outer.as_bytes())
    assert case.policy == "hos-2024" and "no property postcode" in policy_reason(case)


@pytest.mark.parametrize("signpost", [b"You may go to the S.P.S.O. afterwards.",
                                      b"You can complain to the Ombudsman."])
def test_an_spso_signpost_in_other_words_fails_too(
        signpost: bytes, store: InMemoryStore, raw_mail: InMemoryRawMail, outbox: Outbox,
        clock: StatutoryClock, cli_env: dict[str, str], tmp_path: Path) -> None:
    _, letter = receipt_for("spso-mchp", store, raw_mail, outbox, clock)
    path = tmp_path / "bad.eml"
    path.write_bytes(letter.replace(b"Example Homes complaints team", signpost))
    out = run(cli_env, "check-letter", "receipt", str(path), "--policy", "spso-mchp", "--json")
    assert out.returncode == 1 and "no-spso-signpost" in out.stdout
