"""Inbound mail (make bench): latency, throughput, cold import, peak memory. Asserts nothing.

All on this machine: DynamoDB Local (in memory) for the store, a real SMTP sink for letters.
1. p50/p95 of handling one message (parse, classify, store, render, send) against the floor:
   bare email.message_from_bytes plus one put_item, on the same DynamoDB Local.
   DynamoDB write requests and write capacity units per new complaint and per appended reply,
   counted at the client (botocore events on the store's clients, ReturnConsumedCapacity).
2. Throughput over 1,000 messages.
3. Cold import of the inbound handler module against `import boto3` alone.
4. Peak memory while handling one 40 MB message with attachments (SES's maximum).
"""

from __future__ import annotations

import email
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import mailfactory as mf
from tests.conftest import MAIL_CONFIG, SmtpOutbox

from complaints.adapters.bank_holidays import CachedBankHolidays
from complaints.adapters.preset_files import PresetLibrary
from complaints.adapters.raw_mail import DirectoryRawMail
from complaints.adapters.sender import SmtpSender
from complaints.adapters.store import Store
from complaints.bootstrap import mailroom_for
from complaints.local.stack import find_dynamodb_jar, free_port, wait_for_port
from complaints.service.clock import StatutoryClock
from complaints.service.mailroom import Delivery

N = 1_000
LAMBDA_MB = 512
_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})


class WriteMeter:
    """Counts the store's DynamoDB write requests and the write units they consumed."""

    def __init__(self, store: Store) -> None:
        self.requests, self.units, self.reads = 0, 0.0, 0
        clients = {id(c): c for c in (store._connection.client,
                                      store.Item._get_connection().connection.client)}
        for client in clients.values():
            client.meta.events.register("before-parameter-build.dynamodb", self._before)
            client.meta.events.register("after-call.dynamodb", self._after)

    def _before(self, params: dict[str, object], model: object, **_: object) -> None:
        if getattr(model, "name", "") in _WRITES:
            params["ReturnConsumedCapacity"] = "TOTAL"

    def _after(self, parsed: dict[str, object], model: object, **_: object) -> None:
        name = getattr(model, "name", "")
        if name not in _WRITES:
            self.reads += 1
            return
        self.requests += 1
        consumed = parsed.get("ConsumedCapacity") or []
        for entry in consumed if isinstance(consumed, list) else [consumed]:
            if isinstance(entry, dict):
                self.units += float(entry.get("CapacityUnits") or entry.get("WriteCapacityUnits") or 0)

    def take(self) -> tuple[int, float, int]:
        out = (self.requests, self.units, self.reads)
        self.requests, self.units, self.reads = 0, 0.0, 0
        return out


def bench_writes(endpoint: str, work: Path, n: int = 20) -> dict[str, tuple[float, float, float]]:
    """Write requests, write units and read requests per new complaint and per appended reply."""
    store = Store(f"bench-w-{uuid.uuid4().hex[:8]}", "eu-west-2", endpoint)
    store.create_table()
    raw_mail = DirectoryRawMail(work / "mail")
    outbox = SmtpOutbox(work / "outbox")
    clock = StatutoryClock(PresetLibrary(), CachedBankHolidays(work / "cache"))
    # as deployed: the team is told of every new case (two letters, one "sent" write)
    config = MAIL_CONFIG.__class__(**{**MAIL_CONFIG.__dict__, "letters_per_hour": 1_000,
                                      "team_address": "complaints-team@landlord.example"})
    room = mailroom_for(store, raw_mail, SmtpSender("127.0.0.1", outbox.port), clock, config)

    def receive(raw: bytes, key: str) -> str | None:
        raw_mail.put(raw_mail.key_for(key), raw)
        return room.receive(Delivery(key, raw_mail.key_for(key), datetime.now(UTC))).reference

    receive(mf.message(sender="warm@example.org"), "warm")  # the year's counter, cold caches
    meter = WriteMeter(store)
    references = [receive(mf.message(sender=f"r{i}@example.org", subject=f"Complaint {i}",
                                     attachments=[("photo.jpg", "image/jpeg", b"x" * 20_000)]),
                          f"new-{i}") for i in range(n)]
    new = meter.take()
    for i, reference in enumerate(references):
        receive(mf.message(sender=f"r{i}@example.org", subject=f"Re: [{reference}] more"),
                f"reply-{i}")
    reply = meter.take()
    outbox.stop()
    return {"new complaint": (new[0] / n, new[1] / n, new[2] / n),
            "appended reply": (reply[0] / n, reply[1] / n, reply[2] / n)}


def start_dynamodb() -> tuple[subprocess.Popen[bytes], str]:
    jar = find_dynamodb_jar()
    port = free_port()
    process = subprocess.Popen(
        ["java", f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-jar", str(jar),
         "-inMemory", "-sharedDb", "-port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port("127.0.0.1", port, 60, process)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    return process, f"http://127.0.0.1:{port}"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def bench_messages(endpoint: str, work: Path) -> tuple[list[float], list[float], float]:
    store = Store(f"bench-{uuid.uuid4().hex[:8]}", "eu-west-2", endpoint)
    store.create_table()
    raw_mail = DirectoryRawMail(work / "mail")
    outbox = SmtpOutbox(work / "outbox")
    clock = StatutoryClock(PresetLibrary(), CachedBankHolidays(work / "cache"))
    config = MAIL_CONFIG.__class__(**{**MAIL_CONFIG.__dict__, "letters_per_hour": N * 10,
                                      "team_address": "complaints-team@landlord.example"})
    room = mailroom_for(store, raw_mail, SmtpSender("127.0.0.1", outbox.port), clock, config)
    messages = [mf.message(sender=f"Resident {n} <r{n}@example.org>", subject=f"Complaint {n}",
                           attachments=[("photo.jpg", "image/jpeg", os.urandom(20_000))])
                for n in range(N)]
    keys = []
    for n, raw in enumerate(messages):
        key = f"ses-bench-{n:05d}"
        raw_mail.put(raw_mail.key_for(key), raw)
        keys.append(key)
    room.receive(Delivery(keys[0], raw_mail.key_for(keys[0]), datetime.now(UTC)))  # warm up
    times = []
    start = time.perf_counter()
    for key in keys[1:]:
        t = time.perf_counter()
        room.receive(Delivery(key, raw_mail.key_for(key), datetime.now(UTC)))
        times.append(time.perf_counter() - t)
    total = time.perf_counter() - start
    assert len(outbox.letters()) == 2 * N  # each complaint's receipt and the team's notice
    outbox.stop()

    # the floor: read the bytes, parse with the stdlib, one put_item
    client = boto3.client("dynamodb", region_name="eu-west-2", endpoint_url=endpoint)
    floor = []
    for n, key in enumerate(keys[:300]):
        t = time.perf_counter()
        message = email.message_from_bytes(raw_mail.get(raw_mail.key_for(key)))
        client.put_item(TableName=store.table, Item={
            "PK": {"S": f"FLOOR#{n}"}, "SK": {"S": "X"}, "data": {"S": str(message["Subject"])}})
        floor.append(time.perf_counter() - t)
    return times, floor, total


def cold_import(code: str, runs: int = 9) -> float:
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c",
                              f"import time; t = time.perf_counter(); {code}; "
                              "print(time.perf_counter() - t)"],
                             capture_output=True, text=True, check=True,
                             env=dict(os.environ, AWS_DEFAULT_REGION="eu-west-2"))
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times) * 1000


PEAK = """
import os, sys, uuid
from datetime import UTC, datetime
from pathlib import Path
sys.path.insert(0, {root!r})
from tests import mailfactory as mf
from tests.conftest import MAIL_CONFIG, SmtpOutbox
from complaints.adapters.bank_holidays import CachedBankHolidays
from complaints.adapters.preset_files import PresetLibrary
from complaints.adapters.raw_mail import DirectoryRawMail
from complaints.adapters.sender import SmtpSender
from complaints.adapters.store import Store
from complaints.service.clock import StatutoryClock
from complaints.service.mailroom import Delivery, Mailroom
work = Path({work!r})
store = Store("peak-" + uuid.uuid4().hex[:8], "eu-west-2", {endpoint!r}); store.create_table()
raw_mail = DirectoryRawMail(work / "mail"); outbox = SmtpOutbox(work / "outbox")
room = mailroom_for(store, raw_mail, SmtpSender("127.0.0.1", outbox.port),
                StatutoryClock(PresetLibrary(), CachedBankHolidays(work / "cache")), MAIL_CONFIG)
def high_water_kb():
    # this process's own peak RSS: ru_maxrss would carry the parent's across fork and exec
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
before = high_water_kb()
outcome = room.receive(Delivery("big", raw_mail.key_for("big"), datetime.now(UTC)))
after = high_water_kb()
size = (work / "mail" / "inbound" / "big").stat().st_size
print(outcome.outcome, size, before, after)
outbox.stop()
"""


def peak_memory(endpoint: str, work: Path) -> tuple[str, int, int, int]:
    # 29 MB of attachments is about 40 MB once base64-encoded: SES's limit for received mail.
    # Built here, so the measuring process holds only what handling it takes.
    raw = mf.message(attachments=[(f"scan{n}.pdf", "application/pdf",
                                   os.urandom(29 * 1024 * 1024 // 4)) for n in range(4)])
    DirectoryRawMail(work / "mail").put("inbound/big", raw)
    del raw
    root = str(Path(__file__).resolve().parent.parent)
    out = subprocess.run([sys.executable, "-c", PEAK.format(root=root, work=str(work),
                                                            endpoint=endpoint)],
                         capture_output=True, text=True, check=True,
                         env=dict(os.environ, AWS_ACCESS_KEY_ID="local",
                                  AWS_SECRET_ACCESS_KEY="local"))
    outcome, size, before, after = out.stdout.split()[-4:]
    return outcome, int(size), int(before), int(after)


def main() -> None:
    process, endpoint = start_dynamodb()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            writes = bench_writes(endpoint, Path(tmp))
        with tempfile.TemporaryDirectory() as tmp:
            times, floor, total = bench_messages(endpoint, Path(tmp))
        with tempfile.TemporaryDirectory() as tmp:
            outcome, size, before, after = peak_memory(endpoint, Path(tmp))
    finally:
        process.terminate()
        process.wait(timeout=20)
    handler_ms = cold_import("import complaints.handlers.inbound_email")
    boto3_ms = cold_import("import boto3")

    p50, p95 = statistics.median(times) * 1000, percentile(times, 0.95) * 1000
    f50 = statistics.median(floor) * 1000
    for what, (requests, units, reads) in writes.items():
        goal = f" (goal <= 2: {'met' if requests <= 2 else 'MISSED'})" if what == "new complaint" else ""
        print(f"{what:<15} {requests:4.1f} write requests, {units:5.1f} write units, "
              f"{reads:4.1f} read requests{goal}")
    print(f"inbound messages: {N:,} (each with a 20 KB attachment), DynamoDB Local, SMTP sink")
    print(f"handle one message   p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    print(f"floor (message_from_bytes + put_item) p50 {f50:7.2f} ms")
    print(f"ratio p50 / floor    {p50 / f50:7.1f}x   (goal <= 3x: {'met' if p50 / f50 <= 3 else 'MISSED'})")
    print(f"throughput           {(N - 1) / total:7.1f} messages/s over {N - 1} messages")
    print(f"cold import: handler module {handler_ms:6.1f} ms, boto3 alone {boto3_ms:6.1f} ms, "
          f"ratio {handler_ms / boto3_ms:4.2f}x (goal <= 2x: "
          f"{'met' if handler_ms / boto3_ms <= 2 else 'MISSED'})")
    print(f"40 MB message ({size / 1e6:.1f} MB raw): {outcome}; peak RSS {after / 1024:.0f} MB "
          f"(before handling {before / 1024:.0f} MB); Lambda {LAMBDA_MB} MB: "
          f"{'fits' if after / 1024 < LAMBDA_MB else 'DOES NOT FIT'}")


if __name__ == "__main__":
    main()
