"""End to end on the local stack: `complaints local up`, mail over SMTP, the CLI to look.

Given the stack running, when a resident (and then others) send mail to 127.0.0.1:<smtp>, then
`complaints show/list` and the outbox say what the service did.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import smtplib
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from complaints.local.stack import free_port
from tests import mailfactory as mf

BIN = Path(sys.executable).parent / "complaints"


class Stack:
    """`complaints local up` in a subprocess, its stdout drained so that log lines never fill
    the pipe and stall the stack."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir, self.env = data_dir, env
        self.smtp_port, self.http_port, self.db_port = free_port(), free_port(), free_port()
        self.process = subprocess.Popen(
            [str(BIN), "local", "up", "--data-dir", str(data_dir), "--smtp-port", str(self.smtp_port),
             "--http-port", str(self.http_port), "--db-port", str(self.db_port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        assert self.process.stdout is not None
        self.ready = self.process.stdout.readline().strip()
        self.output: list[str] = []
        self._drain = threading.Thread(target=self._read, daemon=True)
        self._drain.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)

    def send(self, raw: bytes, sender: str = "jane@example.org",
             to: str = "complaints@landlord.example") -> None:
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=60) as smtp:
            smtp.sendmail(sender, [to], raw)

    def cli(self, *args: str) -> Any:
        out = subprocess.run([str(BIN), *args, "--data-dir", str(self.data_dir)],
                             capture_output=True, text=True, env=self.env, timeout=120)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    def letters(self, kind: str = "receipt") -> list[bytes]:
        """Letters of one kind in the outbox (staff notices go beside residents' receipts)."""
        out = []
        for path in sorted((self.data_dir / "outbox").glob("*.eml")):
            raw = path.read_bytes()
            head = raw.split(b"\r\n\r\n", 1)[0]
            if not kind or f"X-Complaints-Letter: {kind}\r\n".encode() in head + b"\r\n":
                out.append(raw)
        return out

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=60)
        self._drain.join(timeout=10)
        return code, "".join(self.output)


def started(tmp_path_factory: pytest.TempPathFactory, name: str, **env: str) -> Stack:
    """A stack of its own for a test module, its sweep tick off, with these settings."""
    data_dir = tmp_path_factory.mktemp(name)
    running = Stack(data_dir, dict(os.environ, COMPLAINTS_CACHE_DIR=str(data_dir / "cache"),
                                   COMPLAINTS_SWEEP_EVERY="0", **env))
    if not running.ready.startswith("ready "):  # say why: the whole output, not its first line
        running.process.wait(timeout=30)
        running._drain.join(timeout=10)
        pytest.fail(f"the stack did not start:\n{running.ready}\n{''.join(running.output)}")
    return running


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir = tmp_path_factory.mktemp("local")
    env = dict(os.environ, COMPLAINTS_CACHE_DIR=str(data_dir / "cache"))
    running = Stack(data_dir, env)
    yield running
    if running.process.poll() is None:
        running.stop()


def strip_ses(raw: bytes) -> bytes:
    """The local stack adds the SES headers itself: send what a mail client would."""
    return raw.removeprefix(mf.SES_PASS)


def test_ready_line_status_and_stack_json(stack: Stack) -> None:
    assert stack.ready == f"ready smtp=127.0.0.1:{stack.smtp_port} http=http://127.0.0.1:{stack.http_port}"
    status = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{stack.http_port}/status").read())
    assert status["smtp"] == f"127.0.0.1:{stack.smtp_port}"
    assert json.loads((stack.data_dir / "stack.json").read_text())["dynamodb"].endswith(
        str(stack.db_port))


def test_complaint_by_smtp_then_reply_stranger_ooo_bounce_and_redelivery(stack: Stack) -> None:
    stack.send(strip_ses(mf.message(subject="Heating broken since October")))
    [case] = [c for c in stack.cli("list", "--json") if c["subject"] == "Heating broken since October"]
    reference = case["reference"]
    shown = stack.cli("show", reference, "--json")
    assert shown["status"] == "received" and shown["policy"] == "hos-2024"
    deadlines = shown["deadlines"]
    [letter] = stack.letters()
    m = email.message_from_bytes(letter, policy=email.policy.default)
    text = m.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    from datetime import date

    ack = date.fromisoformat(deadlines["acknowledge_by"])
    assert f"{ack:%A} {ack.day} {ack:%B %Y}" in text
    assert reference in m["Subject"] and m["Reply-To"] == f"complaints+{reference}@landlord.example"

    # the resident replies, keeping the reference
    stack.send(strip_ses(mf.reply(letter, body="Photos attached.")))
    # a stranger quotes the reference
    stack.send(strip_ses(mf.reply(letter, sender="Mallory <mallory@elsewhere.example>")),
               sender="mallory@elsewhere.example")
    # the resident's out-of-office answers our letter; then a bounce comes back
    stack.send(strip_ses(mf.out_of_office(letter)))
    stack.send(strip_ses(mf.bounce(letter)), sender="")

    shown = stack.cli("show", reference, "--json")
    happened = [e["event"] for e in shown["timeline"]]
    assert happened.count("message added") == 1
    assert "automatic reply" in happened and "bounce" in happened
    assert "letter-undelivered" in shown["flags"]
    assert not any("mallory" in json.dumps(e) for e in shown["timeline"])
    stranger = [c for c in stack.cli("list", "--json") if c["resident"] == "mallory@elsewhere.example"]
    assert len(stranger) == 1 and stranger[0]["reference"] != reference
    # letters: Jane's receipt and Mallory's own receipt; nothing for the robots
    assert len(stack.letters()) == 2


def test_the_same_file_ingested_three_times_is_one_case(stack: Stack, tmp_path: Path) -> None:
    eml = tmp_path / "complaint.eml"
    eml.write_bytes(mf.message(subject="Lift out of order again"))
    before = len(stack.letters())
    outcomes = [stack.cli("ingest", str(eml), "--json") for _ in range(3)]
    assert [o["outcome"] for o in outcomes] == ["created", "duplicate", "duplicate"]
    assert len(stack.letters()) == before + 1


def test_back_dated_ingest_counts_from_the_given_date(stack: Stack, tmp_path: Path) -> None:
    eml = tmp_path / "letter.eml"
    eml.write_bytes(mf.message(subject="Posted letter, scanned"))
    outcome = stack.cli("ingest", str(eml), "--received", "2026-05-22T10:00:00+01:00", "--json")
    shown = stack.cli("show", outcome["reference"], "--json")
    assert shown["received_on"] == "2026-05-22"
    assert shown["deadlines"]["acknowledge_by"] == "2026-06-01"
    assert "back-dated" in shown["timeline"][0]["detail"]


def test_stops_cleanly_on_sigint(stack: Stack) -> None:
    code, rest = stack.stop()
    assert code == 0 and "stopped" in rest
    assert not (stack.data_dir / "stack.json").exists()


def test_crash_between_store_and_send_is_finished_by_the_retry(tmp_path: Path) -> None:
    env = dict(os.environ, COMPLAINTS_CACHE_DIR=str(tmp_path / "cache"),
               COMPLAINTS_LOCAL_FAULT="crash-before-send")
    crashing = Stack(tmp_path / "local", env)
    try:
        crashing.send(strip_ses(mf.message(subject="Boiler broken")))
        [case] = crashing.cli("list", "--json")
        assert [(x["kind"], x["status"]) for x in case["letters"]] == [
            ("receipt", "sent"), ("staff_new_case", "sent")]
        assert len(crashing.letters()) == 1
        log = (crashing.data_dir / "stack.log").read_text()
        assert "attempt 1 failed" in log and "injected fault" in log
        assert '"outcome": "duplicate"' in log  # the retry found the case and sent its letter
        shown = crashing.cli("show", case["reference"], "--json")
        assert [e["event"] for e in shown["timeline"]].count("receipt letter sent") == 1
    finally:
        code, _ = crashing.stop()
        assert code == 0
