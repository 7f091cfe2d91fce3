"""Configuration comes from the environment, read in one place."""

from __future__ import annotations

from pathlib import Path

from complaints.config import load_settings


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
