"""Broken preset files are refused with the file and the field named."""

from __future__ import annotations

from pathlib import Path

import pytest

from complaints.adapters.preset_files import PresetLibrary
from complaints.domain.policy import PolicyError
from tests.conftest import preset_text


def custom(tmp_path: Path, policy_id: str, text: str) -> PresetLibrary:
    (tmp_path / f"{policy_id}.toml").write_text(text, encoding="utf-8")
    return PresetLibrary([tmp_path])


def as_custom(base: str, new_id: str) -> str:
    return preset_text(base).replace(f'id = "{base}"', f'id = "{new_id}"', 1)


def test_a_landlord_preset_loads_without_code_changes(tmp_path: Path) -> None:
    text = as_custom("hos-2024", "acme-homes") + (
        '\n[calendar]\nclosure_days = ["2026-12-29..2026-12-31"]\nreceipt_cutoff = "17:00"\n')
    policy = custom(tmp_path, "acme-homes", text).get("acme-homes")
    assert len(policy.calendar.closure_days) == 3
    assert policy.receipt_cutoff is not None and policy.receipt_cutoff.hour == 17


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda t: t.replace("working_days = 5\n", "working_days = -5\n", 1),
     r"stages\[0\]\.acknowledge\.working_days: must be between 1 and 400, got -5"),
    (lambda t: t.replace("working_days = 5\n", "working_dayz = 5\n", 1),
     r"stages\[0\]\.acknowledge\.working_days: missing"),
    (lambda t: t.replace('nation = "england"', 'nation = "england"\ncolour = "blue"'),
     r"colour: unknown key"),
    (lambda t: t.split("[ombudsman]")[0],
     r"ombudsman: missing"),
    (lambda t: t.replace('phone = "0300 111 3000"\n', ""),
     r"ombudsman\.phone: missing"),
    (lambda t: t.replace('rule = "day-after"', 'rule = "day-before"', 1),
     r"stages\[0\]\.day_one\.rule: 'day-before' is not one of day-after, same-day"),
    (lambda t: t.replace('nation = "england"', 'nation = "cornwall"'),
     r"nation: 'cornwall' is not one of"),
    (lambda t: t.replace("working_days = 5\n", "working_days = true\n", 1),
     r"acknowledge\.working_days: expected int, got bool"),
    (lambda t: t.replace("number = 2", "number = 3"),
     r"stages\[1\]\.number: stages must be numbered 1, 2"),
    (lambda t: t.replace('web = "https://', 'web = "http://', 1),
     r"ombudsman\.web: must be an https:// address"),
    (lambda t: t + '\n[calendar]\nclosure_days = ["2026-13-01"]\n',
     r"calendar: '2026-13-01' is not a real date"),
    (lambda t: t + '\n[calendar]\nreceipt_cutoff = "5pm"\n',
     r"calendar\.receipt_cutoff: '5pm' is not a time HH:MM"),
    (lambda t: t.replace('from = "acknowledgement"', 'from = "escalation-request"', 1),
     r"stages\[0\]\.respond\.from: stage 1 cannot count from an escalation request"),
    (lambda t: t.replace("[stages.acknowledge]\nworking_days = 5\nfrom = \"receipt\"",
                         "[stages.acknowledge_not]\nworking_days = 5\nfrom = \"receipt\"", 1),
     r"stages\[0\]\.respond\.from: counts from an acknowledgement the stage does not have"),
    (lambda t: t.replace('seed = "000_64b2382a12a9cd72.txt", ', "", 1),
     r"source\.seed: missing"),
    (lambda t: t + "\n[[[broken",
     r"not valid TOML"),
])
def test_broken_preset_is_refused_naming_file_and_field(tmp_path: Path, mutate: object,
                                                       message: str) -> None:
    text = mutate(as_custom("hos-2024", "broken"))  # type: ignore[operator]
    library = custom(tmp_path, "broken", text)
    with pytest.raises(PolicyError, match=message) as caught:
        library.get("broken")
    assert str(tmp_path / "broken.toml") in str(caught.value)
    # a broken landlord file breaks only itself
    assert library.get("hos-2024").id == "hos-2024"


def test_id_must_match_file_name(tmp_path: Path) -> None:
    library = custom(tmp_path, "other-name", as_custom("hos-2024", "acme"))
    with pytest.raises(PolicyError, match=r"id: 'acme' must match the file name \(other-name.toml\)"):
        library.get("other-name")


def test_borrowed_ombudsman_must_exist(tmp_path: Path) -> None:
    text = as_custom("connect-housing", "acme").replace('same_as = "hos-2024"', 'same_as = "nobody"')
    with pytest.raises(PolicyError, match=r"ombudsman\.same_as: 'nobody' is not a loaded preset"):
        custom(tmp_path, "acme", text).get("acme")


def test_duplicate_preset_id_is_refused(tmp_path: Path) -> None:
    (tmp_path / "hos-2024.toml").write_text(preset_text("hos-2024"), encoding="utf-8")
    with pytest.raises(PolicyError, match="preset id 'hos-2024' is already defined"):
        PresetLibrary([tmp_path])


def test_unknown_policy_lists_the_valid_ids() -> None:
    with pytest.raises(PolicyError, match=r"unknown policy 'nope' \(valid: connect-housing, .*my-space"):
        PresetLibrary().get("nope")
