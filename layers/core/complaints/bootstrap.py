"""The composition root: the only place that builds things. Adapters from settings, once per
process (cold start), and the services each given its ports: Post, Casework, Intake and the
mailroom (``assemble``), the sweep and the web form from the same parts, never through the
mailroom. Handlers, the CLI and the local stack take what they need from here."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from complaints.adapters.bank_holidays import CachedBankHolidays
from complaints.adapters.preset_files import PresetLibrary
from complaints.config import settings

if TYPE_CHECKING:
    from complaints.adapters.raw_mail import RawMail
    from complaints.adapters.store import Store
    from complaints.domain.agenda import AgendaRules
    from complaints.service.casework import Casework
    from complaints.service.clock import StatutoryClock
    from complaints.service.history import History
    from complaints.service.intake import Intake
    from complaints.service.mailroom import MailConfig, Mailroom
    from complaints.service.ports import MailroomStore, Sender
    from complaints.service.post import Post
    from complaints.service.reports import Reports
    from complaints.service.sweep import Sweep
    from complaints.service.webform import WebForm


@functools.cache
def presets() -> PresetLibrary:
    return PresetLibrary(settings().policy_dirs, settings().regime_dirs)


@functools.cache
def clock() -> StatutoryClock:
    # numpy comes with the clock; `complaints policies` does not need it
    from complaints.service.clock import StatutoryClock

    return StatutoryClock(presets(), CachedBankHolidays(settings().cache_dir))


def agenda_rules() -> AgendaRules:
    from complaints.domain.agenda import AgendaRules

    return AgendaRules(reminder_days=settings().reminder_days)


@functools.cache
def store() -> Store:
    from complaints.adapters.store import Store
    from complaints.domain.agenda import AgendaRules
    from complaints.service.clock import waker

    s = settings()
    stack = s.stack()
    return Store(stack.get("table", s.table), s.region, s.dynamodb_endpoint or stack.get("dynamodb"),
                 wake=waker(clock(), AgendaRules(reminder_days=s.reminder_days)))


@dataclass(frozen=True)
class Parts:
    """What serves mail, the web form and the sweep alike, built once and wired here only."""

    post: Post
    casework: Casework
    intake: Intake
    mailroom: Mailroom


def assemble(store: MailroomStore, raw_mail: RawMail, sender: Sender, clock: StatutoryClock,
             config: MailConfig, now: Callable[[], datetime] | None = None) -> Parts:
    """Post (letters recorded, linted, kept, sent once), Casework (commands in, letters out),
    Intake (opening a case, for every channel) and the mailroom, each given its ports."""
    from complaints.mail import lint
    from complaints.service.casework import Casework, LetterConfig, complaint_as_received
    from complaints.service.intake import Intake, IntakeConfig
    from complaints.service.mailroom import Mailroom
    from complaints.service.post import Post

    now = now or functools.partial(datetime.now, UTC)  # a builtin: no frame of ours
    staff = config.staff
    # every letter is kept as sent beside the raw mail (outbound/..., create-only)
    post = Post(store, sender, config.letters_per_hour, now,
                functools.partial(lint.findings_for, clock.presets), exempt=staff.covers,
                keep=raw_mail.put)
    casework = Casework(post, clock, LetterConfig(
        config.landlord, config.complaints_address, config.team_address, config.signature,
        team_addresses=config.team_addresses, landlord_address=config.landlord_address,
        logo_url=config.logo_url, manager_address=config.manager_address),
        complaint_as_received(raw_mail), messages=store, raw_mail=raw_mail,
        is_staff=functools.partial(staff.person, frozenset(
            {*config.own_addresses, config.team_address, config.manager_address} - {""})))
    intake = Intake(store, clock, casework, IntakeConfig(
        config.landlord, config.complaints_address, config.team_address, config.team_addresses))
    return Parts(post, casework, intake,
                 Mailroom(store, raw_mail, clock, config, post, casework, intake, now))


def mailroom_for(store: MailroomStore, raw_mail: RawMail, sender: Sender, clock: StatutoryClock,
                 config: MailConfig, now: Callable[[], datetime] | None = None) -> Mailroom:
    """The mailroom of a freshly assembled set of parts (tests and benchmarks)."""
    return assemble(store, raw_mail, sender, clock, config, now).mailroom


@functools.cache
def sender() -> Sender:
    """SES in AWS; SMTP to the local stack's outbox (or COMPLAINTS_SMTP_RELAY) here."""
    from complaints.adapters.sender import SesSender, SmtpSender

    s = settings()
    relay = s.smtp_relay or s.stack().get("outbox_smtp")
    if relay:
        host, _, port = relay.rpartition(":")
        return SmtpSender(host, int(port))
    import boto3

    return SesSender(boto3.client("sesv2", region_name=s.region), s.region,
                     s.ses_configuration_set)


@functools.cache
def mail_config() -> MailConfig:
    from complaints.service.mailroom import MailConfig

    s = settings()
    return MailConfig(
        landlord=s.landlord, complaints_address=s.complaints_address,
        staff_domains=s.staff_domains, policies=s.policies(), mailbox_policies=s.mailbox_policies,
        letters_per_hour=s.letters_per_hour, team_address=s.team_address, signature=s.signature,
        team_addresses=s.team_addresses, landlord_address=s.landlord_address, logo_url=s.logo_url,
        manager_address=s.manager_address,
    )


@functools.cache
def parts() -> Parts:
    """AWS's adapters by default, the local stack's where it runs."""
    return assemble(store(), raw_mail(), sender(), clock(), mail_config())


def mailroom() -> Mailroom:
    return parts().mailroom


@functools.cache
def sweep() -> Sweep:
    from complaints.domain.agenda import AgendaRules
    from complaints.service.digest import DigestConfig, Digests
    from complaints.service.sweep import Sweep, SweepConfig

    s = settings()
    rules = AgendaRules(reminder_days=s.reminder_days)
    digests = Digests(parts().post, clock(), store(), DigestConfig(
        landlord=s.landlord, complaints_address=s.complaints_address,
        manager_address=s.manager_address, schedule=s.digest,
        calendar_policy=s.default_policy, lease=rules.lease,
        tries=rules.max_attempts)) if s.digest is not None else None
    return Sweep(parts().casework, SweepConfig(
        landlord=s.landlord, team_address=s.team_address, manager_address=s.manager_address,
        team_addresses=s.team_addresses, rules=rules), store(), digests)


@functools.cache
def raw_mail() -> RawMail:
    """Raw messages and uploads: the S3 bucket in AWS, the local stack's data dir here."""
    from pathlib import Path

    from complaints.adapters.raw_mail import DirectoryRawMail, S3RawMail

    s = settings()
    if s.raw_bucket:
        import boto3
        from botocore.config import Config

        # SigV4 everywhere: presigned POSTs from this region's endpoint
        return S3RawMail(s.raw_bucket, s.raw_prefix, boto3.client(
            "s3", region_name=s.region, config=Config(signature_version="s3v4")))
    stack = s.stack()
    upload = f"{stack['http']}/_local/upload" if stack.get("http") else ""
    return DirectoryRawMail(Path(stack.get("mail_dir") or s.data_dir / "mail"), s.raw_prefix,
                            upload, form_secret if upload else None)


@functools.cache
def form_secret() -> bytes:
    from complaints.config import SettingsError

    s = settings()
    if s.form_secret_arn:
        from aws_lambda_powertools.utilities.parameters import get_secret

        return str(get_secret(s.form_secret_arn)).encode()
    if len(s.form_secret) < 32:
        raise SettingsError("COMPLAINTS_FORM_SECRET (32 characters or more) or "
                            "COMPLAINTS_FORM_SECRET_ARN must be set for the web form")
    return s.form_secret.encode()


@functools.cache
def webform() -> WebForm:
    from complaints.service.webform import FormConfig, WebForm

    s = settings()
    return WebForm(parts().intake, store(), raw_mail(), clock(), FormConfig(
        landlord=s.landlord, complaints_address=s.complaints_address,
        own_addresses=frozenset({*mail_config().own_addresses, s.team_address, s.manager_address,
                                 *s.team_addresses.values()}),
        own_domains=s.staff_domains,  # COMPLAINTS_STAFF_DOMAINS: domains and addresses
        policies=s.policies(), posts_per_hour=s.form_posts_per_hour), form_secret())


def history() -> History:
    """The history import (`complaints import`): the store's import and filing ports."""
    from complaints.service.history import History

    return History(store(), clock(), settings().landlord, agenda_rules())


def reports() -> Reports:
    """The reports (`complaints report`): read from the month bundles."""
    from complaints.service.reports import Reports

    return Reports(store(), clock(), settings().landlord)

