"""A regime is data: a third regime and a preset under it, written to temporary directories and
named in the settings, take a complaint by email from receipt to its letter with no code
change. The Ombudsman of Testland is made up; Wales is real (its bank holidays count) and has
no built-in regime."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from complaints.adapters.bank_holidays import CachedBankHolidays
from complaints.adapters.preset_files import PresetLibrary
from complaints.adapters.raw_mail import DirectoryRawMail
from complaints.adapters.store import Store
from complaints.bootstrap import mailroom_for
from complaints.config import load_settings
from complaints.domain.policy import PolicyError
from complaints.service.clock import StatutoryClock
from complaints.service.mailroom import Delivery, MailConfig
from tests import mailfactory as mf
from tests.conftest import Outbox

SOURCE = '{ seed = "testland.txt", where = "§1", quote = "made up for the test" }'
REGIME = f'''
id = "testland-code"
name = "Ombudsman of Testland Complaint Code"
nations = ["wales"]

[signpost]
when = "any-time"
source = {SOURCE}

[ombudsman]
short_name = "Testland Ombudsman"
time_limit = "9 months"
source = {SOURCE}

[later_stage_handler]
why = "the Testland Code needs a fresh pair of eyes"
source = {SOURCE}

[[stages]]
number = 1

[stages.acknowledge]
working_days = 3
from = "receipt"
source = {SOURCE}

[stages.respond]
working_days = 8
from = "acknowledgement"
source = {SOURCE}

[[stages]]
number = 2

[stages.respond]
working_days = 15
from = "acknowledgement"
source = {SOURCE}

[[letters.receipt]]
id = "reference"
what = "the case reference"
requires = ["{{reference}}"]
source = {SOURCE}

[[letters.receipt]]
id = "ombudsman-details"
what = "the Ombudsman of Testland's name and phone"
all = true
requires = ["{{ombudsman_name}}", "{{ombudsman_phone}}"]
source = {SOURCE}
'''


def stage(number: int, ack_from: str) -> str:
    return f'''
[[stages]]
number = {number}
name = "Stage {number}"
day_one = {{ rule = "day-after", source = {SOURCE} }}
acknowledge = {{ working_days = 5, from = "{ack_from}", source = {SOURCE} }}
respond = {{ working_days = {10 * number}, from = "acknowledgement", source = {SOURCE} }}
extension = {{ cap = "beyond-deadline", working_days = 10, agreement = "notice", source = {SOURCE} }}
'''


# looser than its regime at stage 1 (5 and 10 working days against 3 and 8): the floor applies
PRESET = f'''
id = "testland-homes"
name = "Testland Homes complaints policy"
landlord = "Testland Homes"
nation = "wales"
regulator = "Testland Regulator"
source = {SOURCE}
{stage(1, "receipt")}{stage(2, "escalation-request")}
[escalation_window]
limits = []
source = {SOURCE}

[complaint_time_limit]
limits = [{{ months = 12, from = "awareness" }}]
source = {SOURCE}

[anonymous]
accepted = true
source = {SOURCE}

[ombudsman]
name = "Ombudsman of Testland"
address = ["1 Fictional Way", "Testtown", "CF99 9ZZ"]
phone = "0300 123 9999"
web = "https://ombudsman.testland.example/"
source = {SOURCE}
'''


@pytest.fixture()
def testland(tmp_path: Path, bank_holidays: CachedBankHolidays) -> tuple[StatutoryClock, MailConfig]:
    (tmp_path / "regimes").mkdir()
    (tmp_path / "regimes" / "testland-code.toml").write_text(REGIME, encoding="utf-8")
    (tmp_path / "presets").mkdir()
    (tmp_path / "presets" / "testland-homes.toml").write_text(PRESET, encoding="utf-8")
    settings = load_settings({
        "COMPLAINTS_POLICY_DIRS": str(tmp_path / "presets"),
        "COMPLAINTS_REGIME_DIRS": str(tmp_path / "regimes"),
        "COMPLAINTS_NATION_POLICIES": "wales=testland-homes"})
    clock = StatutoryClock(PresetLibrary(settings.policy_dirs, settings.regime_dirs),
                           bank_holidays)
    return clock, MailConfig(landlord="Testland Homes",
                             complaints_address=settings.complaints_address,
                             staff_domains=settings.staff_domains, policies=settings.policies(),
                             team_address=settings.team_address)


def test_a_third_regime_runs_a_case_end_to_end(
        testland: tuple[StatutoryClock, MailConfig], store: Store, raw_mail: DirectoryRawMail,
        outbox: Outbox) -> None:
    clock, config = testland
    policy = clock.presets.get("testland-homes")
    assert policy.regime == "testland-code" and {c.field for c in policy.conflicts} >= {
        "stages[1].acknowledge", "stages[1].respond"}
    room = mailroom_for(store, raw_mail, outbox.sender, clock, config)
    raw_mail.put(raw_mail.key_for("ses-testland"), mf.message(
        sender="Rhian Resident <rhian@example.org>",
        body="The boiler at my flat, 4 Castle Street, Cardiff CF10 1BH, has not worked for weeks."))
    # Tuesday 24 November 2026, 10:00
    outcome = room.receive(Delivery("ses-testland", raw_mail.key_for("ses-testland"),
                                    datetime(2026, 11, 24, 10, 0, tzinfo=UTC)))
    case = store.load(str(outcome.reference))
    assert case is not None and (case.policy, case.nation) == ("testland-homes", "wales")
    # the regime's clocks: 3 working days to acknowledge, then 8 to respond
    assert case.deadlines is not None
    assert case.deadlines.acknowledge_by == date(2026, 11, 27)
    assert case.deadlines.respond_by == date(2026, 12, 9)
    assert {x.kind: x.status.value for x in case.letters.values()}["receipt"] == "sent"
    receipts = [m for m in map(_parsed, outbox.letters()) if "rhian@example.org" in m["To"]]
    assert len(receipts) == 1
    body = receipts[0].get_body(preferencelist=("plain",))
    assert body is not None
    text = " ".join(str(body.get_content()).split())
    assert "Ombudsman of Testland" in text and "0300 123 9999" in text
    assert "Friday 27 November 2026" in text and "Wednesday 9 December 2026" in text
    assert "We will give you the Testland Ombudsman's contact details with it." in text
    assert re.search(r"Housing Ombudsman|SPSO|Scottish", text) is None


def test_a_second_regime_for_one_nation_is_refused(tmp_path: Path) -> None:
    (tmp_path / "england.toml").write_text(REGIME.replace('"wales"', '"england"'),
                                           encoding="utf-8")
    library = PresetLibrary(regime_dirs=[tmp_path])
    with pytest.raises(PolicyError, match="england already has the regime hos-code-2024"):
        library.get("hos-2024")


def _parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=default)
    assert isinstance(message, EmailMessage)
    return message
