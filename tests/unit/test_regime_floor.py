"""The regime is the floor (issue 8): every preset rule, the seed paragraph it cites, and the
regime rule it was checked against; the looser ones take the regime's rule, listed as conflicts.

Given the shipped presets and regimes, when the library loads them, then no effective rule is
looser than its regime, and exactly the known conflicts are listed with both sources.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from complaints.adapters.preset_files import BUILTIN_DIR, REGIMES_DIR, PresetLibrary
from complaints.domain.policy import Clock, Policy, parse_policy
from complaints.domain.regime import Regime, apply_floor, parse_regime
from tests.conftest import DESIGN_PRESET_IDS, seeds_dir
from tests.unit.test_presets import assert_quoted_verbatim, sources

LIBRARY = PresetLibrary()
_RANK = {"receipt": 0, "escalation-request": 0, "acknowledgement": 1}

# Every point where a preset, as its seed states it, is looser than its regime (issue 8 and the
# field-by-field review recorded at the top of each preset file): field -> (preset's seed
# paragraph, the regime's source paragraph).
KNOWN_CONFLICTS = {
    "connect-housing": {"complaint_time_limit": ("§5.6", "§5.2 (Code 2.3)")},
    "homes-plus-scotland": {"stages[2].respond": ("§9.5, Scotland, stage 2",
                                                  "¶137; Part 3 App 1 FAQ ¶10")},
    "my-space": {"complaint_time_limit": ("Timescales", "§5.2 (Code 2.3)")},
}


def regime_of(policy: Policy) -> Regime:
    regime = LIBRARY.regime_for(policy.nation)
    assert regime is not None and regime.id == policy.regime
    return regime


def no_later(mine: Clock, floor: Clock) -> bool:
    return _RANK[mine.counts_from] <= _RANK[floor.counts_from] and mine.working_days <= floor.working_days


@pytest.mark.parametrize("policy_id", sorted(DESIGN_PRESET_IDS))
def test_every_effective_rule_is_at_least_its_regimes(policy_id: str) -> None:
    policy = LIBRARY.get(policy_id)
    regime = regime_of(policy)
    for stage in policy.stages:
        floor = regime.stage(stage.number)
        assert floor is not None
        if floor.day_one and floor.day_one.rule == "same-day":
            assert stage.day_one.rule == "same-day", (policy_id, stage.number)
        if floor.acknowledge:
            assert stage.acknowledge and no_later(stage.acknowledge, floor.acknowledge)
        assert floor.respond and no_later(stage.respond, floor.respond), (policy_id, stage.number)
        assert floor.extension
        if floor.extension.cap != "uncapped":
            assert stage.extension.cap != "uncapped"
        if floor.extension.agreement == "manager-approval":
            assert stage.extension.agreement == "manager-approval"
        # every rule still cites where it comes from: the seed's, or the regime's when it won
        for rule in (stage.day_one, stage.respond, stage.extension):
            assert rule.source.seed and rule.source.where and rule.source.quote
    assert policy.ombudsman.signpost == regime.signpost


@pytest.mark.parametrize("policy_id", sorted(DESIGN_PRESET_IDS))
def test_exactly_the_known_conflicts_are_listed_with_both_sources(policy_id: str) -> None:
    summary = LIBRARY.get(policy_id).summary()
    listed = {c["field"]: (c["preset"]["source"]["where"], c["regime"]["source"]["where"])
              for c in summary["conflicts"]}
    assert listed == KNOWN_CONFLICTS.get(policy_id, {})
    for conflict in summary["conflicts"]:
        assert conflict["applies"] == "regime"
        assert conflict["preset"]["rule"] != conflict["regime"]["rule"]
        assert conflict["preset"]["source"]["quote"] and conflict["regime"]["source"]["quote"]


def test_the_known_conflicts_take_the_regimes_rule() -> None:
    scotland = LIBRARY.get("homes-plus-scotland").stage(2).respond
    assert (scotland.working_days, scotland.counts_from) == (20, "escalation-request")
    assert scotland.source.seed.startswith("003_")  # the SPSO model's own words
    connect = LIBRARY.get("connect-housing").complaint_time_limit.limits
    assert {(x.amount, x.unit, x.counts_from) for x in connect} == {
        (12, "months", "event"), (12, "months", "awareness")}
    my_space = LIBRARY.get("my-space").complaint_time_limit.limits
    assert {(x.amount, x.unit, x.counts_from) for x in my_space} == {(12, "months", "awareness")}


def test_seed_corrections_from_the_review() -> None:
    solutions = LIBRARY.get("housing-solutions").ombudsman
    assert solutions.address[-2:] == ("Preston", "PR2 0ET")  # 000 §27, not PO Box 152 Liverpool
    connect = LIBRARY.get("connect-housing").escalation_window
    assert [(x.amount, x.unit, x.counts_from) for x in connect.limits] == [(21, "days",
                                                                             "stage-1-response")]
    # both wordings of 001 §3.8 are cited; the resident's favour is taken
    assert "receipt of the stage 1 response" in connect.source.quote
    assert "response letter" in connect.source.quote


@pytest.mark.parametrize("path", sorted(BUILTIN_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_each_preset_records_what_was_checked(path: Path) -> None:
    head = path.read_text(encoding="utf-8").split("\nid = ", 1)[0]
    assert "# Checked against seed" in head and "(issue 8)" in head


@pytest.mark.parametrize("path", sorted(REGIMES_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_every_regime_rule_cites_its_source_verbatim(path: Path) -> None:
    seeds = seeds_dir()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    found = list(sources(data))
    assert len(found) >= 10
    assert_quoted_verbatim(path, found, seeds)


def _looser_preset(**changes: Any) -> dict[str, Any]:
    data = tomllib.loads((BUILTIN_DIR / "spso-mchp.toml").read_text(encoding="utf-8"))
    data["id"] = "lax-homes"
    for path, value in changes.items():
        node: Any = data
        *parents, key = path.split(".")
        for p in parents:
            node = node[int(p)] if p.isdigit() else node[p]
        node[key] = value
    return data


def test_a_looser_landlord_preset_is_held_to_the_floor_on_every_point() -> None:
    regime = parse_regime(tomllib.loads((REGIMES_DIR / "spso-model-chp.toml").read_text()),
                          "spso-model-chp.toml")
    known = {"spso-mchp": LIBRARY.get("spso-mchp")}
    data = _looser_preset(**{
        "stages.0.day_one.rule": "day-after",  # the model counts the day of receipt
        "stages.0.respond.working_days": 7,  # 5 in the model
        "stages.0.extension.agreement": "notice",  # a manager must approve
        "stages.0.extension.working_days": 15,  # 10 in total at most
        "stages.1.acknowledge.working_days": 5,  # 3
        "stages.1.respond.from": "acknowledgement",  # from the escalation request
        "escalation_window.limits": [{"days": 14, "from": "stage-1-response"}],
        "complaint_time_limit.limits": [{"months": 3, "from": "event"}],
        "ombudsman.signpost": "any-time",
    })
    policy = apply_floor(parse_policy(data, "lax-homes.toml", known), regime)
    fields = {c.field for c in policy.conflicts}
    assert fields == {"stages[1].day_one", "stages[1].respond", "stages[1].extension",
                      "stages[1].extension.agreement", "stages[2].acknowledge",
                      "stages[2].respond", "escalation_window", "complaint_time_limit",
                      "ombudsman.signpost"}
    one, two = policy.stage(1), policy.stage(2)
    assert (one.day_one.rule, one.respond.working_days) == ("same-day", 5)
    assert (one.extension.working_days, one.extension.agreement) == (10, "manager-approval")
    assert two.acknowledge and two.acknowledge.working_days == 3
    assert two.respond.counts_from == "escalation-request"
    assert {(x.amount, x.counts_from) for x in policy.escalation_window.limits} == {
        (6, "awareness"), (2, "stage-1-response")}
    assert policy.ombudsman.signpost == "final-response"


def test_a_stricter_landlord_preset_keeps_its_own_rules() -> None:
    regime = parse_regime(tomllib.loads((REGIMES_DIR / "spso-model-chp.toml").read_text()),
                          "spso-model-chp.toml")
    known = {"spso-mchp": LIBRARY.get("spso-mchp")}
    data = _looser_preset(**{"stages.0.respond.working_days": 3,
                             "complaint_time_limit.limits": [{"months": 24, "from": "awareness"},
                                                             {"months": 24, "from": "event"}]})
    policy = apply_floor(parse_policy(data, "lax-homes.toml", known), regime)
    assert policy.conflicts == () and policy.stage(1).respond.working_days == 3
