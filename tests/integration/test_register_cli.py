"""The resident register through the CLI on DynamoDB Local (issue 8): `complaints residents
import` loads and updates rows, and a bad row loads nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from complaints.adapters.store import Store
from tests.integration.test_cli import run

REGISTER = (
    "email,name,phone,property_address,postcode,nation,local_authority,tenancy_reference,support_needs\n"
    "jane@example.org,Jane,0141 000,3 Belmont Road,G72 8PG,,South Lanarkshire,T-1,\n"
    "Bob@Example.org,Bob,,1 High St,NE1 4ST,england,,T-2,interpreter (Polish)\n"
)


@pytest.fixture()
def store_env(cli_env: dict[str, str], dynamodb_local: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = dict(cli_env, COMPLAINTS_DYNAMODB_ENDPOINT=dynamodb_local,
               COMPLAINTS_TABLE=f"complaints-{uuid.uuid4().hex[:10]}",
               COMPLAINTS_DATA_DIR=str(tmp_path / "nostack"), AWS_ACCESS_KEY_ID="local",
               AWS_SECRET_ACCESS_KEY="local")
    Store(env["COMPLAINTS_TABLE"], "eu-west-2", dynamodb_local).create_table()
    yield env


def test_register_import_loads_and_reimport_updates(store_env: dict[str, str], tmp_path: Path,
                                                    dynamodb_local: str) -> None:
    path = tmp_path / "tenancies.csv"
    path.write_text(REGISTER)
    out = run(store_env, "residents", "import", str(path), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"imported": 2, "errors": []}
    store = Store(store_env["COMPLAINTS_TABLE"], "eu-west-2", dynamodb_local)
    jane, bob = store.resident("jane@example.org"), store.resident("bob@example.org")
    assert jane and jane["nation"] == "scotland"  # from the local authority
    assert bob and bob["support_needs"] == "interpreter (Polish)"
    path.write_text(REGISTER.replace("interpreter (Polish)", "none"))
    assert run(store_env, "residents", "import", str(path), "--json").returncode == 0
    again = store.resident("bob@example.org")
    assert again and again["support_needs"] == "none"


def test_a_bad_row_is_named_by_line_and_nothing_is_loaded(store_env: dict[str, str],
                                                          tmp_path: Path, dynamodb_local: str) -> None:
    path = tmp_path / "tenancies.csv"
    path.write_text(REGISTER + "not-an-address,X,,1 Road,NE1 4ST,england,,T-3,\n"
                    "carl@example.org,Carl,,1 Road,NOPE,england,,T-4,\n")
    out = run(store_env, "residents", "import", str(path), "--json")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    report = json.loads(out.stdout)
    assert report["imported"] == 0 and [e["line"] for e in report["errors"]] == [4, 5]
    assert "not an email address" in report["errors"][0]["error"]
    store = Store(store_env["COMPLAINTS_TABLE"], "eu-west-2", dynamodb_local)
    assert store.resident("jane@example.org") is None  # the good rows were not loaded either
