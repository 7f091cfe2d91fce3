"""Address rules said once (mail/addresses.py, StaffDirectory): the inbox however +tagged, the
+tag, no-reply addresses, the landlord's own addresses. Every path uses these; the last test
fails if a module grows its own copy again."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import complaints
from complaints.mail.addresses import mailbox, plus_tag, takes_no_replies
from complaints.mail.identity import StaffDirectory
from complaints.web import form

PACKAGE = Path(complaints.__file__).resolve().parent


@pytest.mark.parametrize(("address", "box", "tag"), [
    ("complaints+CMP-2026-000001@landlord.example", "complaints@landlord.example",
     "CMP-2026-000001"),
    ("Jo+1@Example.org", "jo@example.org", "1"),
    ("jo+a+b@example.org", "jo@example.org", "a+b"),
    ("+jo@example.org", "+jo@example.org", ""),  # a leading "+" is the name, not a tag
    ("jo@example.org", "jo@example.org", ""),
    ('"a@b"+x@example.org', '"a@b"@example.org', "x"),  # the domain follows the last "@"
])
def test_one_inbox_however_tagged(address: str, box: str, tag: str) -> None:
    assert (mailbox(address), plus_tag(address)) == (box, tag)


@pytest.mark.parametrize(("address", "no_reply"), [
    ("noreply@shop.example", True), ("no-reply@shop.example", True),
    ("no_reply@shop.example", True), ("do.not.reply@shop.example", True),
    ("donotreply+x@shop.example", True), ("MAILER-DAEMON@mx.example", True),
    ("postmaster@mx.example", True), ("bounces@list.example", True),
    ("noreplyjo@example.org", False), ("jo@example.org", False),
])
def test_no_reply_addresses(address: str, no_reply: bool) -> None:
    assert takes_no_replies(address) is no_reply


def test_the_landlords_own_addresses() -> None:
    staff = StaffDirectory.parse(["landlord.example", "jo@partner.example"])
    assert staff.ours("Sam+x@landlord.example") and staff.ours("sam@housing.landlord.example")
    assert staff.ours("jo+1@partner.example") and not staff.ours("al@partner.example")
    assert not staff.ours("jo@notlandlord.example")
    # the web form refuses what the directory calls ours, single staff addresses included
    fields = {"full-name": "Jo", "email": "jo+1@partner.example", "contact-preference": "email",
              "property-postcode": "LS1 4AP", "on-behalf": "myself", "what-happened": "Damp."}
    checked = form.check(fields, True, frozenset(), frozenset({"jo@partner.example"}))
    assert "one of ours" in checked.errors["email"]
    assert "receive our replies" in form.check(
        {**fields, "email": "no_reply@shop.example"}, True, frozenset()).errors["email"]


# A second copy of a rule would show as one of these outside its owner.
COPIES = {
    "+tag handling": (re.compile(r"""(partition|split|index|find)\(\s*['"]\+['"]"""),
                      {"mail/addresses.py"}),
    "no-reply pattern": (re.compile(r"no.{0,8}reply\|", re.IGNORECASE), {"mail/addresses.py"}),
    "staff subdomain match": (re.compile(r"""endswith\(\s*['"]\.['"]\s*\+"""),
                              {"mail/addresses.py", "mail/identity.py"}),
}


@pytest.mark.parametrize("rule", sorted(COPIES))
def test_each_address_rule_has_one_owner(rule: str) -> None:
    pattern, owners = COPIES[rule]
    copies = [str(p.relative_to(PACKAGE)) for p in sorted(PACKAGE.rglob("*.py"))
              if pattern.search(p.read_text(encoding="utf-8"))
              and str(p.relative_to(PACKAGE)) not in owners]
    assert copies == []


def test_team_routing_has_one_owner() -> None:
    from complaints.domain.teams import team_for

    teams = {"scotland@landlord.example": "scot-team@landlord.example",
             "spso-mchp": "spso-team@landlord.example"}
    assert team_for(teams, "team@landlord.example", "scotland@landlord.example", "spso-mchp") \
        == "scot-team@landlord.example"
    assert team_for(teams, "team@landlord.example", "other@x", "spso-mchp") \
        == "spso-team@landlord.example"
    assert team_for(teams, "team@landlord.example", "hos-2024") == "team@landlord.example"
    copies = [str(p.relative_to(PACKAGE)) for p in sorted(PACKAGE.rglob("*.py"))
              if re.search(r"team_addresses(\.get\(|\[)|in self\.config\.team_addresses",
                           p.read_text(encoding="utf-8"))]
    assert copies == []


def test_the_outcomes_of_a_response_are_listed_once() -> None:
    """#respond's outcomes are domain/commands.OUTCOMES: the annual report counts by them and the
    cheat sheet in every staff letter lists them, so neither can drift from what is accepted."""
    from complaints.domain.commands import OUTCOMES
    from complaints.service.annual_report import figures
    from complaints.service.casework import CHEAT_SHEET, OUTCOME_WORDS

    assert figures.OUTCOMES is OUTCOMES
    assert f"#respond {'|'.join(OUTCOMES)} " in "\n".join(CHEAT_SHEET)
    assert set(OUTCOME_WORDS) == set(OUTCOMES)
