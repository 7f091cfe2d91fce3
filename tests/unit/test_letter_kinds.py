"""The letter-kind registry (mail/letter_kinds.py) against the templates and the regimes.

Given the registry, the templates/ folder and every built-in regime file, then every kind has
its text and HTML templates; every kind has rules in every regime (quoting the case
reference), or says why none apply; every regime's rules are for a registered kind; every
letter template belongs to a kind or is a partial some template includes; and each kind's
audience fits who it goes to.
"""

from __future__ import annotations

import re

import pytest

from complaints.adapters.preset_files import load_regimes
from complaints.domain.regime import Regime
from complaints.mail import letter_kinds
from complaints.mail.letter_kinds import KINDS, Audience, Recipient, UnknownLetterKind
from complaints.rendering import templates_dir

REGIMES: dict[str, Regime] = {r.id: r for r in load_regimes().values()}
# beside the letters: the web form's pages, the evidence bundle, the reports
DOCUMENTS = ("web", "bundle", "reports")


def test_there_are_regimes_to_check() -> None:
    assert len(REGIMES) >= 2, REGIMES


@pytest.mark.parametrize("name", KINDS)
def test_every_kind_has_its_two_templates(name: str) -> None:
    text, html = KINDS[name].templates
    assert (text, html) == (f"{name}.txt.j2", f"{name}.html.j2")
    assert (templates_dir() / text).is_file() and (templates_dir() / html).is_file()


@pytest.mark.parametrize("regime_id", REGIMES)
@pytest.mark.parametrize("name", KINDS)
def test_every_kind_has_rules_in_every_regime_or_says_why_not(name: str, regime_id: str) -> None:
    kind, regime = KINDS[name], REGIMES[regime_id]
    rules = kind.rules_in(regime)
    if kind.no_rules:
        assert rules == () and len(kind.no_rules.split()) >= 5, "say why no rule applies"
        assert name not in regime.letters, f"{regime.file} has rules for {name}, said to have none"
        return
    assert rules, f"{regime.file} has no [[letters.{name}]] rules"
    assert any(r.id == "reference" for r in rules), f"a {name} letter must quote the reference"


@pytest.mark.parametrize("regime_id", REGIMES)
def test_every_regimes_rules_are_for_a_registered_kind(regime_id: str) -> None:
    regime = REGIMES[regime_id]
    assert set(regime.letters) <= set(KINDS), set(regime.letters) - set(KINDS)


def test_every_letter_template_is_a_kinds_or_an_included_partial() -> None:
    top = templates_dir()
    names = {p.name for p in top.iterdir() if p.is_file()}
    kinds = {t for k in KINDS.values() for t in k.templates}
    partials = {n for n in names if n.startswith("_")}
    assert names - kinds - partials == set(), "a template no kind uses"
    sources = " ".join(p.read_text(encoding="utf-8") for p in top.rglob("*.j2"))
    included = set(re.findall(r"""\{%-?\s*include\s+["']([^"']+)["']""", sources))
    assert partials <= included, partials - included
    assert {p.name for p in top.iterdir() if p.is_dir()} <= set(DOCUMENTS)


@pytest.mark.parametrize("name", KINDS)
def test_a_kinds_audience_fits_who_it_goes_to(name: str) -> None:
    kind = KINDS[name]
    assert kind.subject and kind.recipients
    if kind.audience is Audience.RESIDENT:
        assert kind.recipients == (Recipient.RESIDENT,)
    else:
        assert Recipient.RESIDENT not in kind.recipients
    assert kind.for_staff == (name in letter_kinds.STAFF_KINDS)


def test_a_letter_goes_to_the_first_recipient_with_an_address() -> None:
    reminder = letter_kinds.kind("reminder")
    assert reminder.address(handler="sam@landlord.example",
                            team="team@landlord.example") == "sam@landlord.example"
    assert reminder.address(team="team@landlord.example") == "team@landlord.example"
    result = letter_kinds.kind("command_result")
    assert result.address(sender="pat@landlord.example", handler="sam@landlord.example") == (
        "pat@landlord.example")
    assert letter_kinds.kind("receipt").address(team="team@landlord.example") == ""


def test_only_the_receipt_is_counted_by_the_loop_guard() -> None:
    assert [n for n, k in KINDS.items() if k.loop_guarded] == ["receipt"]


def test_an_unknown_kind_is_refused_by_name() -> None:
    with pytest.raises(UnknownLetterKind, match="'reciept' is not a letter kind"):
        letter_kinds.kind("reciept")
