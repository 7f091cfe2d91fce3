"""The `complaints` command as other tools call it (shared/design.md, CLI contract)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from complaints.service.clock import StatutoryClock
from tests.conftest import DESIGN_PRESET_IDS, preset_text

BIN = Path(sys.executable).parent / "complaints"
CONTRACT_KEYS = ["policy", "stage", "nation", "received", "day_one", "acknowledge_by",
                 "respond_by", "respond_by_extended", "provisional"]


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=120)


def test_deadlines_json_contract(cli_env: dict[str, str]) -> None:
    out = run(cli_env, "deadlines", "--policy", "hos-2024", "--stage", "1",
              "--received", "2026-05-22", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert list(result) == CONTRACT_KEYS
    assert result == {
        "policy": "hos-2024", "stage": 1, "nation": "england", "received": "2026-05-22",
        "day_one": "2026-05-26", "acknowledge_by": "2026-06-01", "respond_by": "2026-06-15",
        "respond_by_extended": "2026-06-29", "provisional": True,
    }


def test_deadlines_human_table(cli_env: dict[str, str]) -> None:
    out = run(cli_env, "deadlines", "--policy", "spso-mchp", "--stage", "2",
              "--received", "2026-06-13")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(l.split()[:4] == ["2", "acknowledge", "by", "2026-06-18"] for l in lines)  # noqa: E741
    assert any("respond by" in l and "2026-07-13" in l and "Monday" in l for l in lines)  # noqa: E741
    assert any("20 from escalation request" in l for l in lines)  # noqa: E741
    assert "World Cup" in out.stdout  # the skipped holiday is named


@pytest.mark.parametrize(("args", "message"), [
    (["deadlines", "--policy", "nope", "--stage", "1", "--received", "2026-05-22"],
     "unknown policy 'nope' (valid: connect-housing, homes-plus-england"),
    (["deadlines", "--policy", "hos-2024", "--stage", "3", "--received", "2026-05-22"],
     "policy hos-2024 has no stage 3 (stages: 1, 2)"),
    (["deadlines", "--policy", "hos-2024", "--stage", "1", "--received", "2026-02-30"],
     "'2026-02-30' is not a real date"),
    (["deadlines", "--policy", "hos-2024", "--stage", "1", "--received", "2026-05-22",
      "--acknowledged", "2026-05-21"],
     "acknowledged 2026-05-21 is before received 2026-05-22"),
    (["deadlines", "--policy", "hos-2024", "--stage", "1"], "missing --received"),
    (["deadlines", "--policy", "hos-2024", "--stage", "one", "--received", "2026-05-22"],
     "invalid int value: 'one'"),
    (["workdays", "--nation", "cornwall", "--from", "2026-05-22", "--add", "1"],
     "invalid choice: 'cornwall'"),
    (["workdays", "--nation", "england", "--from", "2100-12-01", "--add", "100"],
     "leaves the years bank holidays are known for"),
    (["deadlines", "--policy", "hos-2024", "--stage", "1", "--received", "2150-01-01"],
     "outside the years bank holidays are known for"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["sweep", "--now", "2099-01-01"], "is in the future"),  # before any store is touched
    (["sweep", "--now", "9999-12-31T23:59-05:00"], "the year must be 1900 to 2100"),
    (["sweep", "--now", "0001-01-01T00:00+05:00"], "the year must be 1900 to 2100"),
    (["sweep", "--now", "yesterday"], "is not an ISO date"),
    (["act", "CMP-2026-000001", "--as", "sam@landlord.example", "--at", "2099-01-01T10:00",
      "--text", "#note x"], "is in the future"),
    (["act", "CMP-2026-000001", "--as", "sam@landlord.example", "--at", "9999-12-31T23:00",
      "--text", "#note x"], "the year must be 1900 to 2100"),
])
def test_bad_input_exits_2_with_one_line(cli_env: dict[str, str], args: list[str],
                                         message: str) -> None:
    out = run(cli_env, *args)
    assert out.returncode == 2
    assert out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def test_workdays(cli_env: dict[str, str]) -> None:
    out = run(cli_env, "workdays", "--nation", "scotland", "--from", "2026-06-12", "--add", "1")
    assert (out.returncode, out.stdout) == (0, "2026-06-16\n")
    out = run(cli_env, "workdays", "--nation", "england", "--from", "2026-06-12", "--add", "1",
              "--json")
    assert json.loads(out.stdout) == {"nation": "england", "from": "2026-06-12", "add": 1,
                                      "date": "2026-06-15"}
    out = run(cli_env, "workdays", "--nation", "england", "--from", "2026-04-07", "--add", "-1")
    assert out.stdout == "2026-04-02\n"  # back over Easter Monday and Good Friday


def test_policies_json(cli_env: dict[str, str]) -> None:
    out = run(cli_env, "policies", "--json")
    assert out.returncode == 0, out.stderr
    policies = json.loads(out.stdout)
    assert {p["id"] for p in policies} == DESIGN_PRESET_IDS
    hos = next(p for p in policies if p["id"] == "hos-2024")
    assert {"id", "name", "nation", "landlord", "regulator", "ombudsman", "stages"} <= set(hos)
    assert hos["stages"][0]["acknowledge"] == {"working_days": 5, "from": "receipt"}
    assert hos["stages"][0]["respond"] == {"working_days": 10, "from": "acknowledgement"}


def test_batch_keeps_order_and_isolates_bad_lines(cli_env: dict[str, str]) -> None:
    lines = [
        '{"policy": "hos-2024", "stage": 1, "received": "2026-05-22", "acknowledged": "2026-05-27"}',
        '{"policy": "nope", "stage": 1, "received": "2026-05-22"}',
        '{"policy": "spso-mchp", "stage": 1, "received": "2026-05-22"}',
        "this is not json",
        '{"policy": "hos-2024", "stage": 3, "received": "2026-05-22"}',
        '{"policy": "hos-2024", "stage": 1, "received": "2026-02-30"}',
        '{"policy": "hos-2024", "stage": 1, "received": "2026-05-22", "acknowledged": "2026-05-01"}',
        "",
        '{"policy": "spso-mchp", "stage": 2, "received": "2026-06-13"}',
        '[1, 2]',
        '{"policy": "hos-2024", "stage": 1, "received": "2026-05-22", "colour": "red"}',
        '{"policy": "hos-2024", "stage": 1, "received": "2150-01-01"}',
        '{"policy": "hos-2024", "stage": 2, "received": "2100-12-30"}',
        '{"policy": "hos-2024", "stage": 2, "received": "2026-05-22"}',
    ]
    out = run(cli_env, "deadlines", "--batch", "--json", stdin="\n".join(lines) + "\n")
    assert out.returncode == 0, out.stderr
    results = [json.loads(l) for l in out.stdout.splitlines()]  # noqa: E741
    assert len(results) == len(lines)
    assert results[0]["respond_by"] == "2026-06-10" and list(results[0]) == CONTRACT_KEYS
    assert results[2]["respond_by"] == "2026-05-29" and results[2]["acknowledge_by"] is None
    assert results[8]["respond_by"] == "2026-07-13"
    errors = {i: r["error"] for i, r in enumerate(results) if "error" in r}
    assert set(errors) == {1, 3, 4, 5, 6, 7, 9, 10, 11, 12}
    assert errors[1].startswith("line 2: unknown policy 'nope'")
    assert "no stage 3" in errors[4]
    assert "not a real date" in errors[5]
    assert "before received" in errors[6]
    assert "unknown field 'colour'" in errors[10]
    assert "2150-01-01 is outside the years bank holidays are known for" in errors[11]
    assert errors[12].startswith("line 13: ") and "leaves the years" in errors[12]
    assert results[13]["acknowledge_by"] == "2026-06-01"  # same group as line 13, unharmed


def test_batch_equals_single_case_computation(cli_env: dict[str, str],
                                              clock: StatutoryClock) -> None:
    rng = random.Random(20261123)
    cases: list[dict[str, Any]] = []
    for _ in range(600):
        received = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 365 * 4))
        case: dict[str, Any] = {"policy": rng.choice(sorted(DESIGN_PRESET_IDS)), "stage": rng.choice([1, 2]),
                "received": received.isoformat()}
        if rng.random() < 0.5:
            case["acknowledged"] = (received + timedelta(days=rng.randrange(0, 12))).isoformat()
        cases.append(case)
    out = run(cli_env, "deadlines", "--batch", stdin="".join(json.dumps(c) + "\n" for c in cases))
    assert out.returncode == 0, out.stderr
    got = [json.loads(l) for l in out.stdout.splitlines()]  # noqa: E741
    expected = [
        clock.deadlines(c["policy"], c["stage"], date.fromisoformat(c["received"]),
                        date.fromisoformat(c["acknowledged"]) if "acknowledged" in c else None
                        ).to_json(breaches=False)  # the batch answers the contract's keys only
        for c in cases
    ]
    assert got == expected


def test_landlord_preset_directory_and_closures(cli_env: dict[str, str], tmp_path: Path) -> None:
    text = preset_text("hos-2024").replace('id = "hos-2024"', 'id = "acme-homes"', 1)
    text += '\n[calendar]\nclosure_days = ["2026-12-29..2026-12-31"]\n'
    (tmp_path / "acme-homes.toml").write_text(text, encoding="utf-8")
    env = dict(cli_env, COMPLAINTS_POLICY_DIRS=str(tmp_path))
    out = run(env, "deadlines", "--policy", "acme-homes", "--stage", "1",
              "--received", "2026-12-23", "--json")
    assert out.returncode == 0, out.stderr
    # Thu 24 (1), 29-31 Dec closed, Mon 4 (2) ... Thu 7 Jan (5)
    assert json.loads(out.stdout)["acknowledge_by"] == "2027-01-07"
    listed = json.loads(run(env, "policies", "--json").stdout)
    assert "acme-homes" in {p["id"] for p in listed}


def test_broken_landlord_preset_is_one_clear_line(cli_env: dict[str, str], tmp_path: Path) -> None:
    text = preset_text("hos-2024").replace('id = "hos-2024"', 'id = "acme-homes"', 1)
    (tmp_path / "acme-homes.toml").write_text(text.replace("working_days = 5", "working_days = -1", 1))
    env = dict(cli_env, COMPLAINTS_POLICY_DIRS=str(tmp_path))
    out = run(env, "deadlines", "--policy", "acme-homes", "--stage", "1", "--received", "2026-12-23")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"complaints: error: {tmp_path / 'acme-homes.toml'}: stages[0].acknowledge.working_days: "
        "must be between 1 and 400, got -1"]


def test_pure_commands_import_neither_boto3_nor_holidays_once_cached(cli_env: dict[str, str]) -> None:
    code = (
        "import sys\n"
        "from complaints.cli import main\n"
        "assert main(['deadlines', '--policy', 'hos-2024', '--stage', '1', '--received',"
        " '2026-05-22', '--json']) == 0\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'holidays'))\n"
        "print('LOADED', loaded)\n"
    )
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=cli_env, timeout=120)
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=cli_env, timeout=120)
    assert second.returncode == 0, second.stderr
    assert "LOADED []" in second.stdout, second.stdout
    assert "boto" not in first.stdout


def test_parse_json_lines_for_every_file_never_crashes(cli_env: dict[str, str], tmp_path: Path) -> None:
    from tests import mailfactory as mf
    from tests.corpus import hostile

    files = []
    for name, raw in {**hostile(), "complaint": mf.message(),
                      "reply": mf.message(subject="Re: [CMP-2026-000001] received")}.items():
        path = tmp_path / f"{name}.eml"
        path.write_bytes(raw)
        files.append(path)
    out = run(cli_env, "parse", "--json", *map(str, files))
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(f) for f in files]
    keys = {"file", "verdict", "reason", "from", "subject", "reference", "text", "attachments", "auth"}
    assert all(set(line) == keys for line in lines)
    by_name = {Path(line["file"]).stem: line for line in lines}
    assert by_name["complaint"]["verdict"] == "complaint"
    assert by_name["reply"]["reference"] == "CMP-2026-000001"
    assert by_name["spam-verdict-fail"]["verdict"] == "rejected"
    assert set(by_name["complaint"]["auth"]) == {"spf", "dkim", "dmarc", "spam", "virus"}


def test_parse_exits_2_when_a_file_cannot_be_opened(cli_env: dict[str, str], tmp_path: Path) -> None:
    good = tmp_path / "ok.eml"
    good.write_bytes(b"From: a@example.org\r\n\r\nhi")
    out = run(cli_env, "parse", "--json", str(tmp_path / "missing.eml"), str(good))
    assert out.returncode == 2
    assert "missing.eml" in out.stderr and "Traceback" not in out.stderr
    assert json.loads(out.stdout)["file"] == str(good)  # the rest still parsed


def test_a_store_that_does_not_answer_is_one_line_and_exit_3(
        cli_env: dict[str, str], tmp_path: Path) -> None:
    """No local stack in the data dir and the endpoint closed: not a traceback."""
    from complaints.local.stack import free_port

    env = dict(cli_env, COMPLAINTS_DYNAMODB_ENDPOINT=f"http://127.0.0.1:{free_port()}",
               AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local")
    for args in (["sweep"], ["list"], ["show", "CMP-2026-000001"]):
        out = run(env, *args, "--data-dir", str(tmp_path))
        assert out.returncode == 3, out.stderr
        assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
        assert "the store did not answer" in out.stderr and "complaints local up" in out.stderr
