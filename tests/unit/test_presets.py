"""Golden checks on the shipped presets: they load, and every rule cites its seed verbatim."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest

from complaints.adapters.preset_files import BUILTIN_DIR, PresetLibrary
from complaints.domain.policy import Policy
from tests.conftest import DESIGN_PRESET_IDS, seeds_dir

PRESET_FILES = sorted(BUILTIN_DIR.glob("*.toml"))


def normalise(text: str) -> str:
    # Seeds are text extracted from PDFs: markdown bold, line breaks inside sentences.
    return re.sub(r"\s+", " ", text.replace("**", "")).strip()


def sources(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, str]]]:
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else key
            if key == "source":
                yield where, value
            else:
                yield from sources(value, where)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from sources(value, f"{path}[{i}]")


def test_presets_are_exactly_the_design_ids() -> None:
    assert {p.stem for p in PRESET_FILES} == DESIGN_PRESET_IDS
    assert set(PresetLibrary().ids()) == DESIGN_PRESET_IDS


@pytest.mark.parametrize("path", PRESET_FILES, ids=lambda p: p.stem)
def test_preset_loads(path: Any) -> None:
    policy = PresetLibrary().get(path.stem)
    assert isinstance(policy, Policy)
    assert [s.number for s in policy.stages] == [1, 2]
    assert policy.ombudsman.address and policy.ombudsman.phone and policy.ombudsman.web


@pytest.mark.parametrize("path", PRESET_FILES, ids=lambda p: p.stem)
def test_every_rule_cites_a_real_seed_verbatim(path: Any) -> None:
    seeds = seeds_dir()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    found = list(sources(data))
    # top level, 2 stages x (day one, respond, extension, ack?), windows, anonymous, ombudsman
    assert len(found) >= 11
    assert_quoted_verbatim(path, found, seeds)


def assert_quoted_verbatim(path: Any, found: list[tuple[str, dict[str, str]]], seeds: Any) -> None:
    """Every quote is a verbatim fragment of its seed (or of regulation.md beside the seeds)."""
    for where, source in found:
        seed = seeds.parent / "regulation.md" if source["seed"] == "regulation.md" \
            else seeds / source["seed"]
        assert seed.is_file(), f"{path.name}: {where}: no seed {source['seed']}"
        text = normalise(seed.read_text(encoding="utf-8"))
        for fragment in source["quote"].split(" … "):
            assert normalise(fragment) in text, f"{path.name}: {where}: not in {seed.name}: {fragment!r}"


def test_rules_that_depart_from_their_seed_say_why() -> None:
    # Where a preset corrects or fills in a seed, the source carries a reading.
    library = PresetLibrary()
    for policy_id in ("west-whitlawburn", "housing-solutions", "connect-housing", "my-space"):
        reading = library.get(policy_id).ombudsman.source.reading or ""
        assert reading, policy_id
    assert "spsso" in (library.get("west-whitlawburn").ombudsman.source.reading or "")
    assert "Preston" in (library.get("housing-solutions").ombudsman.source.reading or "")


def test_generic_presets_carry_current_official_details() -> None:
    library = PresetLibrary()
    hos = library.get("hos-2024").ombudsman
    assert hos.address == ("PO Box 1484", "Unit D", "Preston", "PR2 0ET")
    assert hos.web.startswith("https://www.housing-ombudsman.org.uk")
    spso = library.get("spso-mchp").ombudsman
    assert spso.web == "https://www.spso.org.uk/"
    for policy in library.all():
        for url in (policy.ombudsman.web, policy.ombudsman.complaint_form or ""):
            assert "spsso" not in url and "spsos" not in url and "housingombudsman" not in url
    # seeds that give no contact block borrow the generic one
    assert library.get("connect-housing").ombudsman.address == hos.address
    assert library.get("homes-plus-scotland").ombudsman.address == spso.address


def test_clock_shapes_follow_the_regimes() -> None:
    library = PresetLibrary()
    spso = library.get("spso-mchp")
    assert spso.stage(1).acknowledge is None  # SPSO stage 1 has no written acknowledgement
    assert spso.stage(2).extension.cap == "uncapped"
    hos = library.get("hos-2024")
    assert hos.stage(1).respond.counts_from == "acknowledgement"
    assert library.get("connect-housing").stage(1).respond.counts_from == "receipt"
    assert library.get("connect-housing").anonymous.accepted is False
