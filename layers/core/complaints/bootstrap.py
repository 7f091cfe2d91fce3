"""Builds the adapters from settings once per process (cold start) and hands them out."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from complaints.adapters.bank_holidays import CachedBankHolidays
from complaints.adapters.preset_files import PresetLibrary
from complaints.config import settings

if TYPE_CHECKING:
    from complaints.adapters.store import Store
    from complaints.service.clock import StatutoryClock
    from complaints.service.mailroom import Mailroom
    from complaints.service.sweep import Sweep


@functools.cache
def presets() -> PresetLibrary:
    return PresetLibrary(settings().policy_dirs)


@functools.cache
def clock() -> StatutoryClock:
    # numpy comes with the clock; `complaints policies` does not need it
    from complaints.service.clock import StatutoryClock

    return StatutoryClock(presets(), CachedBankHolidays(settings().cache_dir))


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
        team_addresses=s.team_addresses, rules=AgendaRules(reminder_days=s.reminder_days)))


@functools.cache
def mailroom() -> Mailroom:
    """The inbound pipeline's adapters: AWS by default, the local stack's where it runs."""
    from pathlib import Path

    from complaints.adapters.raw_mail import DirectoryRawMail, RawMail, S3RawMail
    from complaints.adapters.sender import Sender, SesSender, SmtpSender
    from complaints.service.mailroom import MailConfig, Mailroom

    s = settings()
    stack = s.stack()
    raw: RawMail
    if s.raw_bucket:
        import boto3

        raw = S3RawMail(s.raw_bucket, s.raw_prefix, boto3.client("s3", region_name=s.region))
    else:
        raw = DirectoryRawMail(Path(stack.get("mail_dir") or s.data_dir / "mail"), s.raw_prefix)
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
        staff_domains=s.staff_domains, default_policy=s.default_policy,
        scottish_policy=s.scottish_policy, mailbox_policies=s.mailbox_policies,
        letters_per_hour=s.letters_per_hour, team_address=s.team_address, signature=s.signature,
        team_addresses=s.team_addresses, landlord_address=s.landlord_address, logo_url=s.logo_url,
    )
    return Mailroom(store(), raw, sender, clock(), config)
