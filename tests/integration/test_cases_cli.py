"""`complaints list` and `complaints show` on DynamoDB Local (issue 20): a handler's view.

Given cases in the store (one overdue and Sam's, one Lee's, one extended, one no one's), when
`list` runs with --handler and --overdue, then it shows each case's handler, next step and date
(the extended date once extended) and whether it is overdue, in text and in JSON (the contract's
keys kept, the new ones added); and `show` prints the messages in and out, in order, with who
and when, a resident's control characters made harmless.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from complaints.adapters.memory import InMemoryOutbox
from complaints.adapters.raw_mail import DirectoryRawMail
from complaints.adapters.store import Store
from complaints.bootstrap import mailroom_for
from complaints.domain import commands as c
from complaints.domain.agenda import AgendaRules
from complaints.domain.calendar import london_date
from complaints.mail.staff_reply import parse_reply
from complaints.service.clock import StatutoryClock, waker
from complaints.service.mailroom import Delivery, Mailroom
from tests import mailfactory as mf
from tests.conftest import MAIL_CONFIG
from tests.integration.test_cli import run

SAM, LEE = "sam@landlord.example", "lee@landlord.example"
NOW = datetime.now(UTC)
LIST_KEYS = {"reference", "status", "stage", "policy", "nation", "deadlines", "handler"}


@pytest.fixture()
def desk(cli_env: dict[str, str], dynamodb_local: str, tmp_path: Path,
         clock: StatutoryClock) -> Iterator[tuple[dict[str, str], Mailroom]]:
    data_dir = tmp_path / "nostack"
    env = dict(cli_env, COMPLAINTS_DYNAMODB_ENDPOINT=dynamodb_local,
               COMPLAINTS_TABLE=f"complaints-{uuid.uuid4().hex[:10]}",
               COMPLAINTS_DATA_DIR=str(data_dir), AWS_ACCESS_KEY_ID="local",
               AWS_SECRET_ACCESS_KEY="local")
    store = Store(env["COMPLAINTS_TABLE"], "eu-west-2", dynamodb_local,
                  wake=waker(clock, AgendaRules()))
    store.create_table()
    room = mailroom_for(store, DirectoryRawMail(data_dir / "mail"), InMemoryOutbox(), clock,
                        MAIL_CONFIG)
    yield env, room


def complaint(room: Mailroom, received: datetime, body: str, sender: str) -> str:
    key = f"ses-{uuid.uuid4().hex[:12]}"
    room.raw_mail.put(room.raw_mail.key_for(key), mf.message(sender=sender, body=body))
    outcome = room.receive(Delivery(key, room.raw_mail.key_for(key), received))
    assert outcome.outcome == "created", outcome
    return str(outcome.reference)


def act(room: Mailroom, reference: str, *commands: c.Command, at: datetime = NOW) -> None:
    _, results = room.casework.run(reference, commands, SAM, f"t-{uuid.uuid4().hex[:8]}", at)
    assert all(r.done for r in results), results


def cli_json(env: dict[str, str], *args: str) -> Any:
    out = run(env, *args, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_list_shows_handler_next_step_and_overdue_and_filters(
        desk: tuple[dict[str, str], Mailroom]) -> None:
    env, room = desk
    late = complaint(room, NOW - timedelta(days=30), "Mould at 4 Elm Row, Leeds LS1 4AP.",
                     "ann@example.org")
    act(room, late, c.Assign(address=SAM), at=NOW - timedelta(days=30))
    lees = complaint(room, NOW - timedelta(hours=1), "Damp at 5 Elm Row, Leeds LS1 4AP.",
                     "bob@example.org")
    act(room, lees, c.Assign(address=LEE))
    extended = complaint(room, NOW - timedelta(hours=2), "Leak at 6 Elm Row, Leeds LS1 4AP.",
                         "cat@example.org")
    act(room, extended, c.Acknowledge(definition="The leak."), c.Extend(5, "a survey"))
    nobody = complaint(room, NOW - timedelta(hours=3), "Noise at 7 Elm Row, Leeds LS1 4AP.",
                       "dan@example.org")

    listed = {x["reference"]: x for x in cli_json(env, "list")}
    assert set(listed) == {late, lees, extended, nobody}
    assert all(set(x) >= LIST_KEYS and "timeline" not in x for x in listed.values())
    assert (listed[late]["handler"], listed[late]["overdue"]) == (SAM, True)
    step = listed[late]["next_step"]
    assert (step["stage"], step["step"], step["overdue"]) == (1, "acknowledgement", True)
    assert step["due"] == listed[late]["deadlines"]["acknowledge_by"]
    assert step["working_days_late"] > 10 and step["working_days_left"] == 0
    assert listed[lees]["overdue"] is False and listed[lees]["next_step"]["working_days_left"] > 0
    ext = listed[extended]["next_step"]
    assert (ext["step"], ext["extended"]) == ("response", True)
    assert ext["due"] == listed[extended]["extended_to"] != listed[extended]["deadlines"][
        "respond_by"]  # the extended date, not the statutory one
    assert listed[nobody]["handler"] == ""

    # Sam acknowledged the extended one, so it is his too
    assert [x["reference"] for x in cli_json(env, "list", "--handler", SAM)] == [late, extended]
    assert [x["reference"] for x in cli_json(env, "list", "--handler", "Lee@Landlord.example")] \
        == [lees]
    assert [x["reference"] for x in cli_json(env, "list", "--overdue")] == [late]
    assert cli_json(env, "list", "--overdue", "--handler", LEE) == []
    assert [x["reference"] for x in cli_json(env, "list", "--status", "extended")] == [extended]

    text = run(env, "list")
    assert text.returncode == 0, text.stderr
    lines = {line.split()[0]: line for line in text.stdout.splitlines()}
    assert "acknowledgement by" in lines[late] and "OVERDUE" in lines[late] and SAM in lines[late]
    assert f"response by {ext['due']} (extended)" in lines[extended]
    assert "OVERDUE" not in lines[lees] and "wd left" in lines[lees] and LEE in lines[lees]
    assert "(unassigned)" in lines[nobody]
    overdue = run(env, "list", "--overdue", "--handler", SAM)
    assert [line.split()[0] for line in overdue.stdout.splitlines()] == [late]


def test_show_prints_the_messages_in_and_out_in_order(
        desk: tuple[dict[str, str], Mailroom]) -> None:
    env, room = desk
    ref = complaint(room, NOW - timedelta(hours=2),
                    "Mould at 4 Elm Row, Leeds LS1 4AP.\x1b[2J\x1b[31mPAY NOW\u202e", "ann@example.org")
    reply = parse_reply("Our surveyor can visit on Thursday at 10am.", london_date(NOW))
    _, results = room.casework.run(ref, reply.to_run, SAM, "t-1", datetime.now(UTC))
    assert all(r.done for r in results), results
    # the timeline's details are the resident's words too (a stage 2 reason, a note quoting them)
    from complaints.domain.commands import Note
    room.casework.run(ref, (Note(text="she wrote \x1b]0;owned\x07\x1b[2J"),), SAM, "t-2",
                      datetime.now(UTC), staff=False)
    out = run(env, "show", ref)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "handler: (none assigned)" in text
    messages = text.split("\nmessages (4):\n", 1)[1]
    heads = [line for line in messages.splitlines() if line.startswith("--- ")]
    # in time order, each with when, which way, who from and to, and what it is
    assert [(h.split()[2], h.split()[-1]) for h in heads[:2]] == [
        ("in", "[complaint]"), ("out", "[receipt]")]
    assert sorted(h.split()[-1] for h in heads[2:]) == ["[command_result]", "[resident_message]"]
    assert heads[0].startswith(f"--- {(NOW - timedelta(hours=2)).isoformat()[:16]}")
    assert "from ann@example.org to complaints@landlord.example" in heads[0]
    assert [h.split()[1] for h in heads] == sorted(h.split()[1] for h in heads)
    # the resident's text, and the letters' from the copies kept as sent
    sections = messages.split("\n--- ")
    assert "Mould at 4 Elm Row" in sections[1] and "subject: Damp in my flat" in sections[1]
    assert "We have received your complaint and opened a case" in sections[2]
    assert "Our surveyor can visit on Thursday at 10am." in "".join(sections[3:])
    # what a resident wrote cannot drive the terminal: escapes and bidi overrides shown as �
    assert "\x1b" not in text and "\u202e" not in text
    assert "\ufffd[2J\ufffd[31mPAY NOW\ufffd" in sections[1]
    # --json is as it was: the messages as stored
    shown = cli_json(env, "show", ref)
    assert [m["direction"] for m in shown["messages"]] == ["in", "out", "out", "out"]
