"""Shared fixtures: the real presets, the real `holidays` package, a private cache directory.

The store, raw mail and outbox are per folder: tests/service runs the service on the in-memory
ports (adapters/memory.py), tests/integration and tests/e2e on DynamoDB Local and a real SMTP
outbox. Under `make unit` (COMPLAINTS_TESTS_NO_JAVA=1) a test that starts DynamoDB Local fails.
`mailroom` below is the one place a test's mailroom is built (`room` for a test's own config).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from complaints.adapters.bank_holidays import CachedBankHolidays
from complaints.adapters.preset_files import BUILTIN_DIR, PresetLibrary
from complaints.adapters.raw_mail import DirectoryRawMail
from complaints.adapters.sender import SmtpSender
from complaints.adapters.store import Store
from complaints.bootstrap import mailroom_for
from complaints.domain.agenda import AgendaRules
from complaints.domain.nation import NationPolicies
from complaints.local.stack import OutboxSink, find_dynamodb_jar, free_port, wait_for_port
from complaints.service.clock import StatutoryClock, waker
from complaints.service.mailroom import MailConfig, Mailroom
from complaints.service.ports import MailroomStore, RawMail, Sender

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"
DESIGN_PRESET_IDS = {
    "hos-2024", "spso-mchp", "homes-plus-england", "homes-plus-scotland",
    "connect-housing", "housing-solutions", "west-whitlawburn", "my-space",
}


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def bank_holidays(cache_dir: Path) -> CachedBankHolidays:
    return CachedBankHolidays(cache_dir)


@pytest.fixture(scope="session")
def clock(bank_holidays: CachedBankHolidays) -> StatutoryClock:
    return StatutoryClock(PresetLibrary(), bank_holidays)


@pytest.fixture()
def cli_env(cache_dir: Path) -> Iterator[dict[str, str]]:
    env = dict(os.environ)
    env["COMPLAINTS_CACHE_DIR"] = str(cache_dir)
    env.pop("COMPLAINTS_POLICY_DIRS", None)
    yield env


def preset_text(policy_id: str) -> str:
    return (BUILTIN_DIR / f"{policy_id}.toml").read_text(encoding="utf-8")


def seeds_dir() -> Path:
    """The seeds live beside the repo (../shared); CI always has them."""
    if not SEEDS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SEEDS} is missing: CI must run with ../shared beside the repo")
        pytest.skip("../shared/seeds is not beside this checkout")
    return SEEDS


# --- issue 4: real DynamoDB Local, a real SMTP sink, the mailroom wired to them -------------

NO_JAVA = "COMPLAINTS_TESTS_NO_JAVA"  # set by `make unit`: no test there may need Java


@pytest.fixture(scope="session")
def dynamodb_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get(NO_JAVA):
        pytest.fail(f"{NO_JAVA} is set (make unit) but this test starts DynamoDB Local: run the "
                    "service on the in-memory ports (tests/service), or move the test to "
                    "tests/integration", pytrace=False)
    jar = find_dynamodb_jar()
    port = free_port()
    log = (tmp_path_factory.mktemp("ddb") / "dynamodb.log").open("wb")
    process = subprocess.Popen(
        ["java", f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-jar", str(jar),
         "-inMemory", "-sharedDb", "-port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port("127.0.0.1", port, 60, process)
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture()
def store(dynamodb_local: str, clock: StatutoryClock) -> Store:
    # indexed for the deadline sweep as the bootstrap does it
    s = Store(f"complaints-{uuid.uuid4().hex[:12]}", "eu-west-2", dynamodb_local,
              wake=waker(clock, AgendaRules()))
    s.create_table()
    return s


class Outbox(Protocol):
    """Where the tests' letters go: a real SMTP server here, a list in tests/service."""

    @property
    def sender(self) -> Sender: ...
    def letters(self) -> list[bytes]: ...


class SmtpOutbox:
    """A real SMTP server writing what it receives to a directory."""

    def __init__(self, root: Path) -> None:
        from aiosmtpd.controller import Controller

        self.root = root
        self.port = free_port()
        self._controller = Controller(OutboxSink(root), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    @property
    def sender(self) -> SmtpSender:
        return SmtpSender("127.0.0.1", self.port)

    def letters(self) -> list[bytes]:
        return [p.read_bytes() for p in sorted(self.root.glob("*.eml"))]

    def stop(self) -> None:
        self._controller.stop()


@pytest.fixture()
def outbox(tmp_path: Path) -> Iterator[SmtpOutbox]:
    box = SmtpOutbox(tmp_path / "outbox")
    yield box
    box.stop()


MAIL_CONFIG = MailConfig(
    landlord="Example Homes", complaints_address="complaints@landlord.example",
    staff_domains=frozenset({"landlord.example"}),
    policies=NationPolicies("hos-2024", fallback={"scotland": "spso-mchp"}),
    mailbox_policies={"scotland@landlord.example": "spso-mchp"},
)


@pytest.fixture()
def raw_mail(tmp_path: Path) -> RawMail:
    return DirectoryRawMail(tmp_path / "mail")


def room(store: MailroomStore, raw_mail: RawMail, sender: Sender, clock: StatutoryClock,
         config: MailConfig = MAIL_CONFIG, **kwargs: Any) -> Mailroom:
    """A mailroom on the given ports, as the bootstrap builds one (``now=`` for a test clock)."""
    return mailroom_for(store, raw_mail, sender, clock, config, **kwargs)


@pytest.fixture()
def mailroom(store: MailroomStore, raw_mail: RawMail, outbox: Outbox,
             clock: StatutoryClock) -> Mailroom:
    return room(store, raw_mail, outbox.sender, clock)


_keys = itertools.count(1)


@pytest.fixture()
def deliver(mailroom: Mailroom, raw_mail: RawMail) -> Callable[..., Any]:
    """Store raw bytes like the SES S3 action and hand the delivery to the mailroom."""
    from datetime import UTC, datetime

    from complaints.service.mailroom import Delivery

    def go(raw: bytes, key: str | None = None, at: datetime | None = None) -> Any:
        key = key or f"ses-{next(_keys):06d}-{uuid.uuid4().hex[:8]}"
        raw_key = raw_mail.key_for(key)
        raw_mail.put(raw_key, raw)
        return mailroom.receive(Delivery(key, raw_key, at or datetime.now(UTC)))

    return go
