"""Configuration comes from the environment, read in one place."""

from __future__ import annotations

from pathlib import Path

import pytest

from complaints.config import SettingsError, load_settings


def test_defaults_match_the_local_stack_in_design() -> None:
    s = load_settings({"HOME": "/home/resident"})
    assert (s.landlord, s.default_policy, s.scottish_policy) == ("Example Homes", "hos-2024", "spso-mchp")
    assert s.data_dir == Path(".local")
    assert s.policy_dirs == ()
    assert s.cache_dir is not None and s.cache_dir.name == "complaints"


def test_environment_overrides() -> None:
    s = load_settings({
        "COMPLAINTS_POLICY_DIRS": "/etc/a:/etc/b",
        "COMPLAINTS_CACHE_DIR": "off",
        "COMPLAINTS_DATA_DIR": "/srv/data",
        "COMPLAINTS_LANDLORD": "Acme Homes",
        "COMPLAINTS_DEFAULT_POLICY": "my-space",
    })
    assert s.policy_dirs == (Path("/etc/a"), Path("/etc/b"))
    assert s.cache_dir is None
    assert s.data_dir == Path("/srv/data")
    assert (s.landlord, s.default_policy) == ("Acme Homes", "my-space")


def test_lambda_caches_in_tmp() -> None:
    s = load_settings({"AWS_LAMBDA_FUNCTION_NAME": "inbound"})
    assert s.cache_dir == Path("/tmp/complaints-cache")


def test_team_letterhead_and_staff_settings() -> None:
    empty = load_settings({"COMPLAINTS_ADDRESS": "Complaints@Acme.example", "COMPLAINTS_TEAM_ADDRESS": "",
                           "COMPLAINTS_LOGO_URL": "http://insecure.example/logo.png"})
    assert empty.team_address == "complaints-team@acme.example"  # as template.yaml's empty default
    assert empty.logo_url == "" and empty.landlord_address == () and empty.signature == ""
    s = load_settings({
        "COMPLAINTS_TEAM_ADDRESS": "Team@Acme.example",
        "COMPLAINTS_TEAM_ADDRESSES": "spso-mchp=scot@acme.example, wales@acme.example=cymru@acme.example",
        "COMPLAINTS_SIGNATURE": "Jo Bloggs\\nComplaints manager",
        "COMPLAINTS_LANDLORD_ADDRESS": "1 High St | Newtown NE1 1AA",
        "COMPLAINTS_LOGO_URL": "https://acme.example/logo.png",
        "COMPLAINTS_STAFF_DOMAINS": "acme.example, Officer@Partner.example",
    })
    assert s.team_address == "team@acme.example"
    assert s.team_addresses == {"spso-mchp": "scot@acme.example", "wales@acme.example": "cymru@acme.example"}
    assert s.signature == "Jo Bloggs\nComplaints manager"
    assert s.landlord_address == ("1 High St", "Newtown NE1 1AA")
    assert s.logo_url == "https://acme.example/logo.png"
    assert s.staff_domains == frozenset({"acme.example", "officer@partner.example"})


def test_sweep_settings() -> None:
    # template.yaml's defaults: ManagerAddress "" (the team address), ReminderDays "2,0"
    empty = load_settings({"COMPLAINTS_ADDRESS": "complaints@acme.example", "COMPLAINTS_MANAGER_ADDRESS": "",
                           "COMPLAINTS_REMINDER_DAYS": "2,0"})
    assert empty.manager_address == "complaints-team@acme.example"
    assert empty.reminder_days == (2, 0)
    s = load_settings({"COMPLAINTS_TEAM_ADDRESS": "team@acme.example",
                       "COMPLAINTS_MANAGER_ADDRESS": "Manager@Acme.example",
                       "COMPLAINTS_REMINDER_DAYS": "0,5,2"})
    assert s.manager_address == "manager@acme.example"
    assert s.reminder_days == (5, 2, 0)
    for bad in ("2,x", "21", "-1", " ", ",", "²", "2;0"):
        with pytest.raises(SettingsError, match="COMPLAINTS_REMINDER_DAYS"):
            load_settings({"COMPLAINTS_REMINDER_DAYS": bad})
    assert load_settings({"COMPLAINTS_SWEEP_EVERY": "0"}).sweep_every == 0
    for bad in ("abc", "-5", "1.5", "²", "99999999999999999999"):
        with pytest.raises(SettingsError, match="COMPLAINTS_SWEEP_EVERY"):
            load_settings({"COMPLAINTS_SWEEP_EVERY": bad})


def test_digest_settings() -> None:
    from datetime import time

    from complaints.domain.digest import DigestSchedule

    assert load_settings({}).digest == DigestSchedule(0, time(8, 0))  # first working day, 08:00
    assert load_settings({"COMPLAINTS_DIGEST": "off"}).digest is None
    assert load_settings({"COMPLAINTS_DIGEST": "Friday 15:30"}).digest == DigestSchedule(
        4, time(15, 30))
    assert load_settings({"COMPLAINTS_DIGEST": "09:15"}).digest == DigestSchedule(0, time(9, 15))
    assert load_settings({"COMPLAINTS_DIGEST": "first-working-day"}).digest == DigestSchedule()
    for bad in ("someday", "monday 25:00", "monday 8", "mon 08:00 extra", "08:0"):
        with pytest.raises(SettingsError, match="COMPLAINTS_DIGEST"):
            load_settings({"COMPLAINTS_DIGEST": bad})
