"""Builds the adapters from settings once per process (cold start) and hands them out."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from complaints.adapters.bank_holidays import CachedBankHolidays
from complaints.adapters.preset_files import PresetLibrary
from complaints.config import settings

if TYPE_CHECKING:
    from complaints.adapters.raw_mail import RawMail
    from complaints.adapters.store import Store
    from complaints.domain.agenda import AgendaRules
    from complaints.service.clock import StatutoryClock
    from complaints.service.mailroom import Mailroom
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
    from complaints.service.sweep import waker

    s = settings()
    stack = s.stack()
    return Store(stack.get("table", s.table), s.region, s.dynamodb_endpoint or stack.get("dynamodb"),
                 wake=waker(clock(), AgendaRules(reminder_days=s.reminder_days)))


@functools.cache
def sweep() -> Sweep:
    from complaints.domain.agenda import AgendaRules
    from complaints.service.sweep import Sweep, SweepConfig

    s = settings()
    room = mailroom()
    return Sweep(room.casework, SweepConfig(
        landlord=s.landlord, team_address=s.team_address, manager_address=s.manager_address,
        team_addresses=s.team_addresses, rules=AgendaRules(reminder_days=s.reminder_days)),
        store())


@functools.cache
def mailroom() -> Mailroom:
    """The inbound pipeline's adapters: AWS by default, the local stack's where it runs."""

    from complaints.adapters.sender import Sender, SesSender, SmtpSender
    from complaints.service.mailroom import MailConfig, Mailroom

    s = settings()
    stack = s.stack()
    sender: Sender
    relay = s.smtp_relay or stack.get("outbox_smtp")
    if relay:
        host, _, port = relay.rpartition(":")
        sender = SmtpSender(host, int(port))
    else:
        import boto3

        sender = SesSender(boto3.client("sesv2", region_name=s.region), s.region,
                           s.ses_configuration_set)
    config = MailConfig(
        landlord=s.landlord, complaints_address=s.complaints_address,
        staff_domains=s.staff_domains, policies=s.policies(), mailbox_policies=s.mailbox_policies,
        letters_per_hour=s.letters_per_hour, team_address=s.team_address, signature=s.signature,
        team_addresses=s.team_addresses, landlord_address=s.landlord_address, logo_url=s.logo_url,
    )
    return Mailroom(store(), raw_mail(), sender, clock(), config)


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
    room = mailroom()
    return WebForm(room.intake, store(), raw_mail(), clock(), FormConfig(
        landlord=s.landlord, complaints_address=s.complaints_address,
        own_addresses=frozenset({*room.config.own_addresses, s.team_address, s.manager_address,
                                 *s.team_addresses.values()}),
        own_domains=s.staff_domains,  # COMPLAINTS_STAFF_DOMAINS: domains and addresses
        policies=s.policies(), posts_per_hour=s.form_posts_per_hour), form_secret())
