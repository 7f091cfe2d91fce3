"""The deadline sweep through the local stack (issue 10): `complaints local up`, complaints
ingested with back-dated receipts, staff actions back-dated with `complaints act --at`, and
`complaints sweep --now ... --json` at chosen instants, as a user would run them.

Easter 2026: Good Friday 3 April is a holiday in England and Scotland, Easter Monday 6 April
in England only; the Spring bank holiday, Monday 25 May, moves the week's digest to Tuesday.
Dates worked by hand and checked with `complaints workdays`.
"""

from __future__ import annotations

import concurrent.futures
import email
import email.policy
import os
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import mailfactory as mf
from tests.e2e.test_local_stack import BIN, Stack

MANAGER = "complaints-manager@landlord.example"
TEAM = "complaints-team@landlord.example"


def start(tmp: Path, every: int) -> Stack:
    env = dict(os.environ, COMPLAINTS_CACHE_DIR=str(tmp / "cache"),
               COMPLAINTS_MANAGER_ADDRESS=MANAGER, COMPLAINTS_SWEEP_EVERY=str(every))
    stack = Stack(tmp, env)
    assert stack.ready.startswith("ready"), stack.ready
    return stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start(tmp_path_factory.mktemp("sweep"), every=0)  # no tick: sweeps by hand
    yield running
    if running.process.poll() is None:
        running.stop()


def ingest(stack: Stack, received: str, body: str, sender: str) -> str:
    path = stack.data_dir / f"{sender}.eml"
    path.write_bytes(mf.message(sender=sender, body=body))
    out = stack.cli("ingest", str(path), "--received", received, "--json")
    assert out["outcome"] == "created"
    return str(out["reference"])


def sweep(stack: Stack, now: str) -> dict[str, Any]:
    return dict(stack.cli("sweep", "--now", now, "--json"))


def did(report: dict[str, Any], reference: str) -> list[tuple[str, str, str]]:
    return [(a["task"], a["step"], a["due"]) for a in report["actions"]
            if a["reference"] == reference]


def sweep_letters(stack: Stack) -> list[tuple[str, str, str]]:
    out = []
    for raw in stack.letters(kind=""):
        m = email.message_from_bytes(raw, policy=email.policy.default)
        kind = str(m["X-Complaints-Letter"])
        if kind in ("reminder", "overdue_alert", "staff_notice"):
            body = m.get_body(preferencelist=("plain",))
            assert body is not None
            ref = next(w for w in str(body.get_content()).split() if w.startswith("CMP-"))
            out.append((kind, m["To"].addresses[0].addr_spec, ref))
    return out


def test_back_dated_cases_are_swept_to_the_day_over_easter(stack: Stack) -> None:
    england = ingest(stack, "2026-03-25T10:00", "Mould at 4 Elm Row, Leeds LS1 4AP.",
                     "ann@example.org")
    scotland = ingest(stack, "2026-03-31T10:00", "Mould at 9 Kelvin Way, Glasgow G3 7AB.",
                      "bob@example.org")
    acted = subprocess.run(
        [str(BIN), "act", england, "--as", "sam@landlord.example", "--at", "2026-03-26T10:00",
         "--text", "#acknowledge\nMould in the bathroom; the resident wants it treated.",
         "--json", "--data-dir", str(stack.data_dir)],
        capture_output=True, text=True, env=stack.env, timeout=120)
    assert acted.returncode == 0, acted.stderr
    shown = stack.cli("show", england, "--json")
    assert shown["deadlines"]["respond_by"] == "2026-04-13"  # Good Friday, Easter Monday skipped
    assert stack.cli("show", scotland, "--json")["deadlines"]["respond_by"] == "2026-04-07"

    days = ["2026-04-02", "2026-04-03", "2026-04-06", "2026-04-07", "2026-04-08",
            "2026-04-09", "2026-04-13", "2026-04-14", "2026-04-15"]
    got: dict[str, Any] = {}
    for day in days:
        report = sweep(stack, day)
        got[day] = (did(report, england), did(report, scotland))
    assert got == {
        "2026-04-02": ([], [("reminder", "response", "2026-04-07")]),
        "2026-04-03": ([], []),  # Good Friday
        "2026-04-06": ([], []),  # Easter Monday (a working day in Scotland, nothing due)
        "2026-04-07": ([], [("reminder", "response", "2026-04-07")]),
        "2026-04-08": ([], [("overdue", "response", "2026-04-07")]),
        "2026-04-09": ([("reminder", "response", "2026-04-13")], []),
        "2026-04-13": ([("reminder", "response", "2026-04-13")], []),
        "2026-04-14": ([("overdue", "response", "2026-04-13")], []),
        "2026-04-15": ([], [("limit", "response", "2026-04-14"),
                            ("reminder", "acknowledgement", "2026-04-17")]),
    }
    shown = stack.cli("show", england, "--json")
    assert [(b["step"], b["due"], b["done"], b["working_days_late"]) for b in shown["breaches"]] \
        == [("response", "2026-04-13", None, 1)]
    scot = stack.cli("show", scotland, "--json")
    assert (scot["stage"], scot["status"]) == (2, "escalated")
    letters = Counter(sweep_letters(stack))
    assert letters == Counter({
        ("reminder", TEAM, scotland): 3, ("overdue_alert", MANAGER, scotland): 1,
        ("staff_notice", TEAM, scotland): 1,
        ("reminder", "sam@landlord.example", england): 2, ("overdue_alert", MANAGER, england): 1,
    })
    # the same sweeps again change nothing and send nothing
    for day in days:
        assert sweep(stack, day)["actions"] == []
    assert Counter(sweep_letters(stack)) == letters


def test_overlapping_sweeps_from_two_processes_send_once(stack: Stack) -> None:
    refs = [ingest(stack, "2026-05-11T09:00", "Mould at 4 Elm Row, Leeds LS1 4AP.",
                   f"res{i}@example.org") for i in range(4)]
    before = len(sweep_letters(stack))
    with concurrent.futures.ThreadPoolExecutor(3) as pool:  # each a `complaints sweep` process
        reports = list(pool.map(lambda _: sweep(stack, "2026-05-15"), range(3)))
    new = sweep_letters(stack)[before:]
    # acknowledge by Mon 18 May: the 2-day reminder is Thu 14, the 0-day Mon 18: on Fri 15 the
    # first is due (catching up), once per case whichever process got there first
    assert Counter(ref for _, _, ref in new if ref in refs) == {ref: 1 for ref in refs}
    # (the earlier test's Scottish case has its own catch-up alerts today, stage 2's
    # acknowledgement and response: also once each)
    done = Counter((a["reference"], a["task"], a["step"], a["due"]) for r in reports
                   for a in r["actions"])
    assert max(done.values()) == 1
    assert sum(r["letters_sent"] for r in reports) == len(new) == sum(done.values())


def test_the_local_stack_sweeps_on_its_tick(tmp_path: Path) -> None:
    stack = start(tmp_path, every=1)
    try:
        ref = ingest(stack, "2026-03-25T10:00", "Mould at 4 Elm Row, Leeds LS1 4AP.",
                     "cat@example.org")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and ("overdue_alert", MANAGER, ref) not in \
                sweep_letters(stack):
            time.sleep(0.5)
        assert ("overdue_alert", MANAGER, ref) in sweep_letters(stack)
        shown = stack.cli("show", ref, "--json")
        assert shown["breaches"][0]["step"] == "acknowledgement"
        assert "sweep read" in (tmp_path / "stack.log").read_text(encoding="utf-8")
    finally:
        code, _ = stack.stop()
    assert code == 0


def digests(stack: Stack) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(raw, policy=email.policy.default)
            for raw in stack.letters(kind="digest")]


def digest_cases(m: email.message.EmailMessage) -> set[str]:
    body = m.get_body(preferencelist=("plain",))
    assert body is not None
    return {w for w in str(body.get_content()).split() if w.startswith("CMP-")}


def test_the_weeks_digest_goes_once_on_the_tuesday_after_the_bank_holiday(stack: Stack) -> None:
    """Spring bank holiday, Monday 25 May 2026: the digest goes with the first sweep from 08:00
    on Tuesday 26 May, to the manager (every open case) and to Sam (his own), read back from
    the stack's outbox; the sweeps after it that day send none."""
    sams = ingest(stack, "2026-05-20T10:00", "Mould at 4 Elm Row, Leeds LS1 4AP.",
                  "eve@example.org")
    acted = subprocess.run(
        [str(BIN), "act", sams, "--as", "sam@landlord.example", "--at", "2026-05-20T11:00",
         "--text", "#assign sam@landlord.example", "--json", "--data-dir",
         str(stack.data_dir)], capture_output=True, text=True, env=stack.env, timeout=120)
    assert acted.returncode == 0, acted.stderr
    nobodys = ingest(stack, "2026-05-21T10:00", "Damp at 5 Elm Row, Leeds LS1 4AP.",
                     "fay@example.org")
    before = len(digests(stack))
    assert sweep(stack, "2026-05-25T09:00")["digest"] is None  # the bank holiday
    assert sweep(stack, "2026-05-26T07:30")["digest"] is None  # before 08:00
    report = sweep(stack, "2026-05-26T08:00")
    digest = report["digest"]
    assert (digest["day"], digest["status"]) == ("2026-05-26", "sent")
    sent = {r["to"]: r for r in digest["recipients"]}
    assert sent[MANAGER]["status"] == sent["sam@landlord.example"]["status"] == "sent"
    assert sweep(stack, "2026-05-26T10:00")["digest"]["status"] == "sent before"
    assert sweep(stack, "2026-05-27T08:00")["digest"] is None
    new = digests(stack)[before:]
    by_to = {m["To"].addresses[0].addr_spec: m for m in new}
    assert len(new) == len(by_to) == len(digest["recipients"])  # one each
    assert {sams, nobodys} <= digest_cases(by_to[MANAGER])
    assert sams in digest_cases(by_to["sam@landlord.example"])
    assert nobodys not in digest_cases(by_to["sam@landlord.example"])
    assert str(by_to[MANAGER]["Reply-To"]) == "complaints@landlord.example"
    assert str(by_to[MANAGER]["Subject"]).startswith("Complaints this week: ")
    kept = list((stack.data_dir / "mail" / "outbound" / "digest" / "2026-05-26").glob("*.eml"))
    assert len(kept) == len(new)
