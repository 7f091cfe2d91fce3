"""One nation -> policy map for every channel: the same complaint by email and by the web form
takes the same preset, whatever the configuration (issue 19: with the default a Scottish preset,
a Scottish home's email took spso-mchp while the same complaint by form took the default)."""

from __future__ import annotations

import dataclasses
import itertools
import re
import urllib.parse
from datetime import UTC, datetime, timedelta

import pytest

from complaints.adapters.raw_mail import DirectoryRawMail
from complaints.adapters.store import Store
from complaints.bootstrap import mailroom_for
from complaints.config import SettingsError, load_settings
from complaints.service.clock import StatutoryClock
from complaints.service.mailroom import Delivery, Mailroom
from complaints.service.webform import FormConfig, WebForm
from tests import mailfactory as mf
from tests.conftest import MAIL_CONFIG, Outbox

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
CONFIGURATIONS = [
    {},
    {"COMPLAINTS_DEFAULT_POLICY": "homes-plus-scotland"},
    {"COMPLAINTS_DEFAULT_POLICY": "homes-plus-scotland", "COMPLAINTS_SCOTTISH_POLICY": "spso-mchp"},
    {"COMPLAINTS_DEFAULT_POLICY": "my-space", "COMPLAINTS_SCOTTISH_POLICY": "homes-plus-scotland"},
    {"COMPLAINTS_NATION_POLICIES": "scotland=west-whitlawburn,wales=homes-plus-england"},
    {"COMPLAINTS_DEFAULT_POLICY": "spso-mchp",
     "COMPLAINTS_NATION_POLICIES": "england=homes-plus-england"},
]
# Scotland, England, Wales, a border district (Berwick-upon-Tweed)
POSTCODES = ["G72 8PG", "LS1 4AP", "CF10 1EP", "TD15 1AA"]
_n = itertools.count(1)


def by_mail(room: Mailroom, raw_mail: DirectoryRawMail, postcode: str) -> str:
    n = next(_n)
    raw = mf.message(sender=f"resident{n}@example.org", subject="Damp",
                     body=f"Damp in the back bedroom of my home, {postcode}, since June.")
    key = f"ses-nation-{n}"
    raw_mail.put(raw_mail.key_for(key), raw)
    return str(room.receive(Delivery(key, raw_mail.key_for(key), NOW)).reference)


def by_form(form: WebForm, postcode: str) -> str:
    n = next(_n)
    blank = form.blank(NOW)
    token = re.search(r'name="csrf" value="([^"]+)"', blank.html)
    assert token
    body = urllib.parse.urlencode({
        "full-name": "Jo Bloggs", "email": f"resident{n}@example.org",
        "contact-preference": "email", "property-postcode": postcode, "on-behalf": "myself",
        "what-happened": "Damp in the back bedroom since June.", "csrf": token.group(1)}).encode()
    page = form.submit(body, blank.cookie, f"192.0.2.{n % 250}", NOW + timedelta(minutes=5))
    found = re.search(r"c=(CMP-\d{4}-\d{6})\.", page.location)
    assert page.status == 303 and found, page.html
    return found.group(1)


@pytest.mark.parametrize("environ", CONFIGURATIONS, ids=lambda e: ",".join(
    f"{k.removeprefix('COMPLAINTS_')}={v}" for k, v in e.items()) or "defaults")
def test_mail_and_form_choose_the_same_policy(environ: dict[str, str], store: Store,
                                              raw_mail: DirectoryRawMail, outbox: Outbox,
                                              clock: StatutoryClock) -> None:
    policies = load_settings(environ).policies()
    room = mailroom_for(store, raw_mail, outbox.sender, clock,
                    dataclasses.replace(MAIL_CONFIG, policies=policies, mailbox_policies={}))
    form = WebForm(room.intake, store, raw_mail, clock, FormConfig(
        landlord="Example Homes", complaints_address="complaints@landlord.example",
        own_addresses=frozenset({"complaints@landlord.example"}), policies=policies,
        posts_per_hour=1000), b"s" * 32)
    for postcode in POSTCODES:
        mailed, posted = (store.load(by_mail(room, raw_mail, postcode)),
                          store.load(by_form(form, postcode)))
        assert mailed is not None and posted is not None
        assert mailed.policy == posted.policy, (postcode, mailed.policy, posted.policy)
        assert mailed.nation == posted.nation


def test_a_scottish_default_keeps_scottish_homes() -> None:
    """The issue's case: the default's own nation is not taken over by the Scottish setting."""
    table = load_settings({"COMPLAINTS_DEFAULT_POLICY": "homes-plus-scotland"}).policies().table(
        "scotland")
    assert table["scotland"] == "homes-plus-scotland"
    # COMPLAINTS_SCOTTISH_POLICY still gives the Scottish entry for an English default ...
    legacy = load_settings({"COMPLAINTS_SCOTTISH_POLICY": "west-whitlawburn"}).policies()
    assert legacy.table("england") == {"england": "hos-2024", "scotland": "west-whitlawburn"}
    # ... and COMPLAINTS_NATION_POLICIES wins over both
    mapped = load_settings({"COMPLAINTS_DEFAULT_POLICY": "homes-plus-scotland",
                            "COMPLAINTS_NATION_POLICIES": "Scotland=west-whitlawburn"}).policies()
    assert mapped.table("scotland") == {"scotland": "west-whitlawburn"}
    with pytest.raises(SettingsError, match="COMPLAINTS_NATION_POLICIES"):
        load_settings({"COMPLAINTS_NATION_POLICIES": "narnia=hos-2024"})
    with pytest.raises(SettingsError, match="COMPLAINTS_NATION_POLICIES"):
        load_settings({"COMPLAINTS_NATION_POLICIES": "scotland"})
