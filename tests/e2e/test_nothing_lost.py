"""Issue 18: nothing the local stack accepts is lost, and the stack leaves nothing behind.

Given `complaints local up`, when its DynamoDB Local is restarted in the middle of a burst of
complaints over SMTP, then every message the stack answered 250 becomes one case with one
receipt letter (after `complaints redrive` for those held as dead letters); a message answered
451 is sent again by the client, as a mail server would. When the stack is killed (SIGKILL),
its DynamoDB Local goes with it; and a port already in use is a clear error, never `ready`.
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from complaints.local.stack import find_dynamodb_jar, free_port, wait_for_port
from tests import mailfactory as mf
from tests.e2e.test_local_stack import Stack

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent / "complaints"
BURST = 30


def children(pid: int | None, needle: str) -> list[int]:
    """Processes whose parent is ``pid`` (any, for None) and whose command line holds
    ``needle``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        if (pid is None or ppid == pid) and needle in cmdline and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Running (a zombie nobody has reaped yet counts as gone)."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def start_stack(tmp_path: Path) -> Stack:
    env = dict(os.environ, COMPLAINTS_CACHE_DIR=str(tmp_path / "cache"), COMPLAINTS_SWEEP_EVERY="0",
               COMPLAINTS_LETTERS_PER_HOUR="100000", POWERTOOLS_LOG_LEVEL="WARNING")
    env.pop("COMPLAINTS_LOCAL_FAULT", None)
    stack = Stack(tmp_path / "data", env)
    assert stack.ready.startswith("ready smtp="), stack.ready + "".join(stack.output)
    return stack


@pytest.fixture()
def stack(tmp_path: Path) -> Iterator[Stack]:
    running = start_stack(tmp_path)
    yield running
    if running.process.poll() is None:
        running.stop()


# --- defect 1: mail accepted and then lost ----------------------------------------------------


def deliver_like_an_mta(stack: Stack, raw: bytes, sender: str, log: list[str]) -> bool:
    """One message, sent again after a 4xx as a mail server would (every 0.5 s, for 60 s).
    True once the stack answered 250."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=120) as smtp:
                smtp.sendmail(sender, ["complaints@landlord.example"], raw)
            return True
        except smtplib.SMTPDataError as exc:
            assert 400 <= exc.smtp_code < 500, exc  # never a permanent refusal
            log.append(f"{sender}: {exc.smtp_code}")
        time.sleep(0.5)
    return False


def test_store_restarted_mid_burst_every_accepted_message_is_one_case_with_one_receipt(
        stack: Stack, tmp_path: Path) -> None:
    [java] = children(stack.process.pid, "DynamoDBLocal.jar")
    # given a burst of complaints, one every 0.4 s, each from its own resident
    mails = [(f"resident{i:02d}@tenants.example",
              mf.message(sender=f"Resident {i:02d} <resident{i:02d}@tenants.example>",
                         subject=f"Burst complaint {i:02d}", body=f"Complaint number {i}.", ses=b""))
             for i in range(BURST)]
    accepted: dict[str, bool] = {}
    temporary: list[str] = []

    def one(i: int) -> None:
        time.sleep(0.4 * i)
        sender, raw = mails[i]
        accepted[sender] = deliver_like_an_mta(stack, raw, sender, temporary)

    replacement: subprocess.Popen[bytes] | None = None
    jar = find_dynamodb_jar()
    try:
        with ThreadPoolExecutor(BURST) as pool:
            futures = [pool.submit(one, i) for i in range(BURST)]
            # when DynamoDB Local stops after the first few and comes back 20 s later (longer
            # than the stack's own retries: some messages must wait as dead letters)
            time.sleep(2.0)
            os.kill(java, signal.SIGTERM)
            time.sleep(20)
            replacement = subprocess.Popen(
                ["java", f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-jar",
                 str(jar), "-port", str(stack.db_port), "-dbPath", str(stack.data_dir / "db"),
                 "-sharedDb"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            wait_for_port("127.0.0.1", stack.db_port, 60, replacement)
            for future in futures:
                future.result()
        assert all(accepted.values()) and len(accepted) == BURST, (accepted, temporary)
        held = list((stack.data_dir / "dead-letters").glob("*.json"))
        assert held, "the outage outlasted the stack's retries: some messages are dead letters"

        kept = held[0].read_text()
        # then `complaints redrive` hands the dead letters to the handler again
        redriven = stack.cli("redrive", "--json")
        assert redriven["failed"] == 0, redriven
        assert redriven["redriven"] == len(held)
        assert not list((stack.data_dir / "dead-letters").glob("*.json"))
        again = stack.cli("redrive", "--json")
        assert again["redriven"] == 0 and again["failed"] == 0

        # every message accepted is one case, with one receipt letter to its resident
        cases = [c for c in stack.cli("list", "--json") if c["subject"].startswith("Burst complaint")]
        assert Counter(c["subject"] for c in cases) == {f"Burst complaint {i:02d}": 1
                                                        for i in range(BURST)}
        quarantined = [q for q in stack.cli("quarantine", "--json")
                       if str(q.get("subject", "")).startswith("Burst complaint")]
        assert quarantined == []
        receipts = Counter(
            email.message_from_bytes(raw, policy=email.policy.default)["To"].addresses[0].addr_spec
            for raw in stack.letters("receipt"))
        assert receipts == {sender: 1 for sender, _ in mails}

        # and a dead letter handed over again is a duplicate: still one case, one receipt
        (stack.data_dir / "dead-letters" / "again.json").write_text(kept)
        [result] = stack.cli("redrive", "--json")["results"]
        assert [o["outcome"] for o in result["outcomes"]] == ["duplicate"], result
        assert len(stack.letters("receipt")) == BURST
        assert len([c for c in stack.cli("list", "--json")
                    if c["subject"].startswith("Burst complaint")]) == BURST
    finally:
        stack.stop()
        if replacement is not None:
            replacement.terminate()
            replacement.wait(timeout=30)


# --- defect 8: children die with the stack; a port in use is an error ------------------------


def test_killed_stack_takes_its_dynamodb_local_with_it(tmp_path: Path) -> None:
    stack = start_stack(tmp_path)
    [java] = children(stack.process.pid, "DynamoDBLocal.jar")
    stack.process.send_signal(signal.SIGKILL)
    stack.process.wait(timeout=10)
    deadline = time.monotonic() + 5
    while (alive(java) or not bindable(stack.db_port)) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert not alive(java), "DynamoDB Local outlived the stack that started it"
        # and its port is free again for the next stack
        assert bindable(stack.db_port)
    finally:
        if alive(java):
            os.kill(java, signal.SIGKILL)


def bindable(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def local_up(tmp_path: Path, **ports: int) -> subprocess.CompletedProcess[str]:
    chosen = {"smtp": free_port(), "http": free_port(), "db": free_port()} | ports
    env = dict(os.environ, COMPLAINTS_CACHE_DIR=str(tmp_path / "cache"), COMPLAINTS_SWEEP_EVERY="0")
    process = subprocess.Popen(
        [str(BIN), "local", "up", "--data-dir", str(tmp_path / "data"),
         "--smtp-port", str(chosen["smtp"]), "--http-port", str(chosen["http"]),
         "--db-port", str(chosen["db"])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        out, err = process.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        pytest.fail(f"`local up` did not stop on a port in use: {out}{err}")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_a_db_port_held_by_another_dynamodb_local_is_an_error_not_ready(
        tmp_path: Path, dynamodb_local: str) -> None:
    """The orphan's case: a DynamoDB Local (maybe another data dir's) already on --db-port."""
    port = int(dynamodb_local.rpartition(":")[2])
    done = local_up(tmp_path, db=port)
    assert done.returncode != 0
    assert "ready" not in done.stdout
    assert f"port {port}" in done.stderr and "--db-port" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "data" / "stack.json").exists()


@pytest.mark.parametrize("which", ["smtp", "http", "db"])
def test_a_port_already_bound_is_a_clear_error_not_ready(tmp_path: Path, which: str) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = local_up(tmp_path, **{which: port})
    assert done.returncode != 0
    assert "ready" not in done.stdout
    assert f"port {port}" in done.stderr and f"--{which}-port" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    # nothing left behind: no DynamoDB Local started for a stack that never ran
    assert children(None, str(tmp_path / "data")) == []
