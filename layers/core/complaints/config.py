"""The one place that reads configuration: environment variables, read once per process."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from complaints.domain.calendar import NATIONS
from complaints.domain.digest import DigestSchedule, parse_schedule
from complaints.domain.nation import NationPolicies


@dataclass(frozen=True)
class Settings:
    # Extra preset directories, searched after the built-in policies/ (COMPLAINTS_POLICY_DIRS,
    # separated like PATH). A landlord adds its own preset here without touching code.
    policy_dirs: tuple[Path, ...]
    # Where derived data is cached (the bank-holiday table); None disables caching.
    cache_dir: Path | None
    # The local stack's data directory (COMPLAINTS_DATA_DIR, default .local).
    data_dir: Path
    # The letters' and pages' templates (COMPLAINTS_TEMPLATES_DIR); None: the checkout's
    # templates/, else the copy shipped in the package (rendering.py).
    templates_dir: Path | None = None
    # Extra regime directories (COMPLAINTS_REGIME_DIRS, separated like PATH), after the
    # built-in regimes/: a nation's floor (its Ombudsman, clocks, letters' rules) as data.
    regime_dirs: tuple[Path, ...] = ()
    # The landlord this deployment serves, and its presets (template.yaml parameters).
    landlord: str = "Example Homes"
    default_policy: str = "hos-2024"  # COMPLAINTS_DEFAULT_POLICY: its own nation, and the rest
    # COMPLAINTS_NATION_POLICIES="scotland=west-whitlawburn,wales=...": the preset per nation
    # of the home, for every channel; an entry wins over the default for its nation
    nation_policies: dict[str, str] = field(default_factory=dict)
    # COMPLAINTS_SCOTTISH_POLICY (from before the map): the Scottish entry, unless the default
    # is itself Scottish or COMPLAINTS_NATION_POLICIES names Scotland
    scottish_policy: str = "spso-mchp"
    # Mail: the address residents write to, and who counts as staff (authenticated domains).
    complaints_address: str = "complaints@landlord.example"  # COMPLAINTS_ADDRESS
    staff_domains: frozenset[str] = frozenset({"landlord.example"})  # COMPLAINTS_STAFF_DOMAINS
    # COMPLAINTS_MAILBOX_POLICIES="scotland@landlord.example=spso-mchp,...": policy per mailbox
    mailbox_policies: dict[str, str] = field(default_factory=dict)
    letters_per_hour: int = 5  # COMPLAINTS_LETTERS_PER_HOUR: to one address (loop guard)
    # COMPLAINTS_TEAM_ADDRESS: staff are told here of quarantined mail that may be a complaint
    team_address: str = "complaints-team@landlord.example"
    # COMPLAINTS_TEAM_ADDRESSES="spso-mchp=scotland-team@...,scotland@landlord.example=...":
    # the team told of a new case, per policy id or mailbox (else COMPLAINTS_TEAM_ADDRESS)
    team_addresses: dict[str, str] = field(default_factory=dict)
    # COMPLAINTS_LANDLORD_ADDRESS ("line 1|line 2|...") and COMPLAINTS_LOGO_URL (https://):
    # the letters' letterhead
    landlord_address: tuple[str, ...] = ()
    logo_url: str = ""
    signature: str = ""  # COMPLAINTS_SIGNATURE: letters' sign-off (default "<landlord> complaints team")
    # The deadline sweep: overdue alerts go to the complaints manager (COMPLAINTS_MANAGER_ADDRESS,
    # default the team address); reminders N working days before each due date
    # (COMPLAINTS_REMINDER_DAYS, default "2,0"); the local stack's tick in seconds
    # (COMPLAINTS_SWEEP_EVERY, default 60; 0: no tick).
    manager_address: str = ""
    reminder_days: tuple[int, ...] = (2, 0)
    sweep_every: int = 60
    # COMPLAINTS_DIGEST ("monday 08:00", the default; "off"): the week's digest to the manager
    # and each handler, by the first sweep at or after that London time on that day (a day
    # that is not a working day under the default policy's calendar moves to the next one)
    digest: DigestSchedule | None = field(default_factory=DigestSchedule)
    # The web form: the key that signs its tokens (COMPLAINTS_FORM_SECRET, or in AWS the
    # Secrets Manager secret named by COMPLAINTS_FORM_SECRET_ARN, read at cold start; the local
    # stack makes one in its data dir), and posts allowed from one address an hour
    # (COMPLAINTS_FORM_POSTS_PER_HOUR, default 10).
    form_secret: str = field(default="", repr=False)
    form_secret_arn: str = ""
    form_posts_per_hour: int = 10
    # Where things live. In AWS: the table, the raw-mail bucket and SES. Locally, the stack
    # started by `complaints local up` writes <data_dir>/stack.json, read when these are unset.
    region: str = "eu-west-2"  # AWS_REGION
    table: str = "complaints"  # COMPLAINTS_TABLE
    dynamodb_endpoint: str | None = None  # COMPLAINTS_DYNAMODB_ENDPOINT (DynamoDB Local)
    raw_bucket: str | None = None  # COMPLAINTS_RAW_BUCKET
    raw_prefix: str = "inbound/"  # COMPLAINTS_RAW_PREFIX: the SES S3 action's object prefix
    smtp_relay: str | None = None  # COMPLAINTS_SMTP_RELAY=host:port sends by SMTP, not SES
    ses_configuration_set: str | None = None  # COMPLAINTS_SES_CONFIGURATION_SET
    # COMPLAINTS_INBOUND_FAILURES_QUEUE: the inbound function's on-failure queue (its URL, the
    # InboundFailuresQueue output), read by `complaints redrive`
    inbound_failures_queue: str | None = None

    def policies(self) -> NationPolicies:
        """The nation -> preset map every channel decides by."""
        return NationPolicies(self.default_policy, dict(self.nation_policies),
                              {"scotland": self.scottish_policy})

    def stack(self) -> dict[str, Any]:
        """The local stack's endpoints, if one has been started in data_dir."""
        try:
            return dict(json.loads((self.data_dir / "stack.json").read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return {}


class SettingsError(ValueError):
    """A configuration value that cannot be used; the message names the variable."""


def _reminder_days(text: str | None) -> tuple[int, ...]:
    if not text:
        return Settings.reminder_days
    parts = [x.strip() for x in text.split(",") if x.strip()]
    if not parts or not all(x.isascii() and x.isdigit() for x in parts):
        raise SettingsError(f"COMPLAINTS_REMINDER_DAYS={text!r}: expected working days before "
                            "the due date, e.g. 2,0")
    days = tuple(sorted({int(x) for x in parts}, reverse=True))
    if any(d > 20 for d in days):
        raise SettingsError(f"COMPLAINTS_REMINDER_DAYS={text!r}: each must be 0 to 20")
    return days


def _digest(text: str | None) -> DigestSchedule | None:
    if not text or not text.strip():
        return DigestSchedule()
    try:
        return parse_schedule(text)
    except ValueError as exc:
        raise SettingsError(f"COMPLAINTS_DIGEST={exc}") from None


def _seconds(name: str, text: str | None, default: int) -> int:
    if not text:
        return default
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or int(value) > 86_400:
        raise SettingsError(f"{name}={text!r}: expected whole seconds, 0 to 86400")
    return int(value)


def _count(name: str, text: str | None, default: int) -> int:
    if not text:
        return default
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 10_000:
        raise SettingsError(f"{name}={text!r}: expected a whole number, 1 to 10000")
    return int(value)


def _pairs(name: str, text: str | None, lower_values: bool = False) -> dict[str, str]:
    """ "key=value,key=value" (keys lower-cased); an item without "=" is refused, not dropped."""
    pairs: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise SettingsError(f"{name}: {item.strip()!r} is not key=value")
        pairs[key.strip().lower()] = value.strip().lower() if lower_values else value.strip()
    return pairs


def _nation_policies(text: str | None) -> dict[str, str]:
    pairs = _pairs("COMPLAINTS_NATION_POLICIES", text)
    for nation in pairs:
        if nation not in NATIONS:
            raise SettingsError(f"COMPLAINTS_NATION_POLICIES: {nation!r} is not one of "
                                f"{', '.join(NATIONS)}")
    return pairs


def load_settings(environ: Mapping[str, str]) -> Settings:
    dirs = tuple(Path(p) for p in environ.get("COMPLAINTS_POLICY_DIRS", "").split(os.pathsep) if p)
    cache_text = environ.get("COMPLAINTS_CACHE_DIR")
    if cache_text is not None:
        cache_dir: Path | None = Path(cache_text) if cache_text not in ("", "off") else None
    elif environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        cache_dir = Path("/tmp/complaints-cache")  # the only writable place in Lambda
    else:
        base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        cache_dir = Path(base) / "complaints"
    data_dir = Path(environ.get("COMPLAINTS_DATA_DIR") or ".local")
    team = (environ.get("COMPLAINTS_TEAM_ADDRESS") or "complaints-team@" + (
        environ.get("COMPLAINTS_ADDRESS") or Settings.complaints_address).partition("@")[2]).lower()
    return Settings(
        policy_dirs=dirs,
        regime_dirs=tuple(Path(p) for p in
                          environ.get("COMPLAINTS_REGIME_DIRS", "").split(os.pathsep) if p),
        cache_dir=cache_dir,
        data_dir=data_dir,
        templates_dir=Path(environ["COMPLAINTS_TEMPLATES_DIR"])
        if environ.get("COMPLAINTS_TEMPLATES_DIR") else None,
        landlord=environ.get("COMPLAINTS_LANDLORD") or Settings.landlord,
        default_policy=environ.get("COMPLAINTS_DEFAULT_POLICY") or Settings.default_policy,
        scottish_policy=environ.get("COMPLAINTS_SCOTTISH_POLICY") or Settings.scottish_policy,
        nation_policies=_nation_policies(environ.get("COMPLAINTS_NATION_POLICIES")),
        complaints_address=(environ.get("COMPLAINTS_ADDRESS") or Settings.complaints_address).lower(),
        staff_domains=frozenset(
            d.strip().lower() for d in
            (environ.get("COMPLAINTS_STAFF_DOMAINS") or "landlord.example").split(",") if d.strip()),
        mailbox_policies=dict(
            (k.strip().lower(), v.strip()) for k, _, v in
            (item.partition("=") for item in environ.get("COMPLAINTS_MAILBOX_POLICIES", "").split(","))
            if k.strip() and v.strip()),
        letters_per_hour=int(environ.get("COMPLAINTS_LETTERS_PER_HOUR") or 5),
        team_address=team,
        manager_address=(environ.get("COMPLAINTS_MANAGER_ADDRESS") or team).strip().lower(),
        reminder_days=_reminder_days(environ.get("COMPLAINTS_REMINDER_DAYS")),
        sweep_every=_seconds("COMPLAINTS_SWEEP_EVERY", environ.get("COMPLAINTS_SWEEP_EVERY"), 60),
        digest=_digest(environ.get("COMPLAINTS_DIGEST")),
        signature=(environ.get("COMPLAINTS_SIGNATURE") or "").replace("\\n", "\n"),
        landlord_address=tuple(x.strip() for x in
                               environ.get("COMPLAINTS_LANDLORD_ADDRESS", "").split("|") if x.strip()),
        logo_url=(environ.get("COMPLAINTS_LOGO_URL") or "")
        if (environ.get("COMPLAINTS_LOGO_URL") or "").startswith("https://") else "",
        team_addresses=dict(
            (k.strip().lower(), v.strip().lower()) for k, _, v in
            (item.partition("=") for item in environ.get("COMPLAINTS_TEAM_ADDRESSES", "").split(","))
            if k.strip() and v.strip()),
        form_secret=environ.get("COMPLAINTS_FORM_SECRET") or "",
        form_secret_arn=environ.get("COMPLAINTS_FORM_SECRET_ARN") or "",
        form_posts_per_hour=_count("COMPLAINTS_FORM_POSTS_PER_HOUR",
                                   environ.get("COMPLAINTS_FORM_POSTS_PER_HOUR"), 10),
        region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "eu-west-2",
        table=environ.get("COMPLAINTS_TABLE") or "complaints",
        dynamodb_endpoint=environ.get("COMPLAINTS_DYNAMODB_ENDPOINT") or None,
        raw_bucket=environ.get("COMPLAINTS_RAW_BUCKET") or None,
        raw_prefix=environ.get("COMPLAINTS_RAW_PREFIX", "inbound/"),
        smtp_relay=environ.get("COMPLAINTS_SMTP_RELAY") or None,
        ses_configuration_set=environ.get("COMPLAINTS_SES_CONFIGURATION_SET") or None,
        inbound_failures_queue=environ.get("COMPLAINTS_INBOUND_FAILURES_QUEUE") or None,
    )


@functools.cache
def settings() -> Settings:
    return load_settings(os.environ)
