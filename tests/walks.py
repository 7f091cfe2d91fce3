"""The four walks docs/architecture.md describes, traced on the in-memory ports.

A walk is run once warm under a profile hook that keeps the stack of ``complaints.*`` modules.
Counted, as the architecture page defines them:

- **module pairs**: distinct (calling module, called module) pairs, every module included.
- **hops between parts**: the pairs where both ends are *parts* of the walk: a service
  (``service/*``), an adapter (``adapters/*``; the case store is one adapter, however many
  modules it is written in: ``store``, ``memory``, ``case_json`` and ``dynamodb_*``), a
  handler or the composition root. The pure libraries (``domain/*``, ``mail/*``, ``web/*``,
  ``rendering``) answer with values and never pass the walk on, so a call into one is a
  module pair, not a hop between parts.
- **calls back**: a call into a module already on the stack below the caller (a callback
  handed down, or a module asking its caller again), at any level.

Not counted: methods Python's dataclasses generate (constructing a value: their code is
``<string>``), and first-use imports and caches (each walk runs once to warm up first).
``benchmarks/bench_hops.py`` prints these; ``tests/service/test_architecture.py`` holds the
email and ``#extend`` walks to issue 19's goal.
"""

from __future__ import annotations

import email
import re
import sys
import tempfile
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from complaints.adapters.bank_holidays import CachedBankHolidays
from complaints.adapters.memory import InMemoryOutbox, InMemoryRawMail, InMemoryStore
from complaints.adapters.preset_files import PresetLibrary
from complaints.bootstrap import assemble
from complaints.domain import commands as c
from complaints.domain.agenda import AgendaRules
from complaints.domain.nation import NationPolicies
from complaints.service.clock import StatutoryClock, waker
from complaints.service.mailroom import Delivery, MailConfig
from complaints.service.sweep import Sweep, SweepConfig
from complaints.service.webform import FormConfig, WebForm
from tests import mailfactory as mf

PARTS = ("complaints.service.", "complaints.adapters.", "complaints.handlers.",
         "complaints.bootstrap")
GOAL_HOPS = 20  # issue 19: the email and #extend walks, at most 20 hops between parts
# the case store's modules: one adapter (adapters/store.py composes the dynamodb_* ones; the
# in-memory store shares their shapes)
STORE = ("complaints.adapters.store", "complaints.adapters.memory",
         "complaints.adapters.case_json", "complaints.adapters.dynamodb_")


def part(module: str) -> str:
    """The part a module belongs to ("" for a pure library)."""
    if not module.startswith(PARTS):
        return ""
    return "complaints.adapters.(the store)" if module.startswith(STORE) else module

CONFIG = MailConfig(landlord="Example Homes", complaints_address="complaints@landlord.example",
                    staff_domains=frozenset({"landlord.example"}),
                    policies=NationPolicies("hos-2024", fallback={"scotland": "spso-mchp"}),
                    team_address="complaints-team@landlord.example")
STAFF = "Sam Officer <sam@landlord.example>"


@dataclass
class Walk:
    name: str
    order: list[str] = field(default_factory=list)  # modules, as the walk first enters them
    pairs: set[tuple[str, str]] = field(default_factory=set)
    back: set[tuple[str, str]] = field(default_factory=set)

    @property
    def hops(self) -> set[tuple[str, str]]:
        """The pairs between parts (see the module's docstring)."""
        return {(part(a), part(b)) for a, b in self.pairs
                if part(a) and part(b) and part(a) != part(b)}

    def line(self) -> str:
        return (f"{self.name}: {len(self.hops)} hops between parts, {len(self.pairs)} module "
                f"pairs across {len(self.order)} modules, {len(self.back)} call(s) back")


def trace(name: str, walk: Callable[[], object]) -> Walk:
    found = Walk(name)
    stack: list[str] = []

    def hook(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            module = str(frame.f_globals.get("__name__", ""))
            if not module.startswith("complaints.") or frame.f_code.co_filename == "<string>":
                module = ""  # not ours, or a dataclass's generated method
            caller = next((m for m in reversed(stack) if m), "")
            if module and module not in found.order:
                found.order.append(module)
            if module and caller and caller != module:
                found.pairs.add((caller, module))
                if module in stack:
                    found.back.add((caller, module))
            stack.append(module)
        elif event == "return" and stack:
            stack.pop()

    sys.setprofile(hook)
    try:
        walk()
    finally:
        sys.setprofile(None)
    return found


class World:
    """One set of parts on the in-memory ports, as bootstrap assembles them."""

    def __init__(self) -> None:
        self.clock = StatutoryClock(PresetLibrary(), CachedBankHolidays(Path(tempfile.mkdtemp())))
        self.store = InMemoryStore(wake=waker(self.clock, AgendaRules()))
        self.raw, self.outbox = InMemoryRawMail(), InMemoryOutbox()
        self.parts = assemble(self.store, self.raw, self.outbox, self.clock, CONFIG)
        self.sweep = Sweep(self.parts.casework, SweepConfig(
            landlord=CONFIG.landlord, team_address=CONFIG.team_address,
            manager_address="complaints-manager@landlord.example", rules=AgendaRules()),
            self.store)
        self.form = WebForm(self.parts.intake, self.store, self.raw, self.clock, FormConfig(
            landlord=CONFIG.landlord, complaints_address=CONFIG.complaints_address,
            own_addresses=frozenset({CONFIG.complaints_address}), policies=CONFIG.policies),
            b"s" * 32)

    def deliver(self, data: bytes, at: datetime | None = None) -> Any:
        key = f"ses-{uuid.uuid4().hex[:12]}"
        self.raw.put(self.raw.key_for(key), data)
        return self.parts.mailroom.receive(Delivery(key, self.raw.key_for(key),
                                                    at or datetime.now(UTC)))

    def staff(self, reference: str, body: str, at: datetime | None = None) -> Any:
        return self.deliver(mf.message(sender=STAFF, subject=f"Re: [{reference}]", body=body,
                                       ses=mf.ses_headers("landlord.example")), at)

    def post_form(self, at: datetime) -> Any:
        blank = self.form.blank(at)
        token = re.search(r'name="csrf" value="([^"]+)"', blank.html)
        assert token
        body = urllib.parse.urlencode({
            "full-name": "Jo Bloggs", "email": f"jo-{uuid.uuid4().hex[:8]}@example.org",
            "contact-preference": "email", "property-postcode": "LS1 4AP", "on-behalf": "myself",
            "what-happened": "Damp in the back bedroom since June; nobody has come.",
            "csrf": token.group(1)}).encode()
        page = self.form.submit(body, blank.cookie, f"192.0.2.{uuid.uuid4().int % 250}",
                                at + timedelta(minutes=5))
        assert page.status == 303, page.html
        return page


def through_the_handler(world: World) -> Callable[[], Any]:
    """Walk 1 from the Lambda handler (handlers/inbound_email.py): an SES event, AWS's sample
    with a fresh message id, the raw message already where S3 put it."""
    import copy
    import json

    import complaints.handlers.inbound_email as inbound

    sample = json.loads((Path(__file__).resolve().parents[1] / "infra" / "events"
                         / "ses-email-receiving.json").read_text(encoding="utf-8"))

    class Context:
        function_name, memory_limit_in_mb, aws_request_id = "inbound", 128, "walk"
        invoked_function_arn = "arn:aws:lambda:eu-west-2:000000000000:function:inbound"

    def run() -> Any:
        event = copy.deepcopy(sample)
        message_id = f"ses-{uuid.uuid4().hex[:12]}"
        event["Records"][0]["ses"]["mail"]["messageId"] = message_id
        world.raw.put(world.raw.key_for(message_id), mf.message())  # S3's action, first
        names = vars(inbound)  # the handler's mailroom() is the root's: this world's instead
        built, names["mailroom"] = names["mailroom"], lambda: world.parts.mailroom
        try:
            return inbound.handler(event, Context())
        finally:
            names["mailroom"] = built
    return run


def walks() -> list[Walk]:
    """The four walks, each traced once warm, and walk 1 again from the Lambda handler."""
    world = World()
    now = datetime.now(UTC)
    world.deliver(mf.message(subject="warm-up"))  # first-call imports and caches
    opened: list[Any] = []
    email_walk = trace("1. an email to its receipt letter (and the team's notice)",
                       lambda: opened.append(world.deliver(mf.message())))
    handler = through_the_handler(world)
    handler()  # the handler's first-call imports
    handler_walk = trace("1. the same, from the Lambda handler", handler)
    reference = opened[0].reference
    world.staff(reference, "#acknowledge\nYou are unhappy that the mould in your bathroom has "
                           "not been treated; you want it treated.")
    world.staff(reference, "#extend 2 warming up the path")
    extend_walk = trace("2. a staff #extend reply to the extension letter",
                        lambda: world.staff(reference, "#extend 5 waiting for the surveyor's report"))
    world.post_form(now - timedelta(minutes=10))
    form_walk = trace("3. a web form post to its receipt letter",
                      lambda: world.post_form(now - timedelta(minutes=8)))
    # a case assigned and left: the sweep's reminder of its acknowledgement goes to the handler
    received = now - timedelta(days=6)
    for _ in range(2):  # one to warm the sweep up, one to trace
        ref = world.deliver(mf.message(sender=f"Lee <lee-{uuid.uuid4().hex[:6]}@example.org>"),
                            at=received).reference
        world.parts.casework.run(ref, (c.Assign(address="sam@landlord.example"),), "sam@landlord.example",
                                 f"cli-{uuid.uuid4().hex[:8]}", received + timedelta(minutes=5))
    runs: list[Any] = []
    world.sweep.run(now - timedelta(days=2))
    sweep_walk = trace("4. a sweep reminder", lambda: runs.append(world.sweep.run(now)))
    letters = [str(email.message_from_bytes(m)["X-Complaints-Letter"])
               for m in world.outbox.letters()]
    for walk, kind in ((email_walk, "receipt"), (extend_walk, "extension"),
                       (form_walk, "receipt"), (sweep_walk, None)):
        assert kind is None or kind in letters, (walk.name, letters)
    assert runs and (runs[0].letters_sent or any(
        a.get("task") in ("reminder", "overdue") for a in runs[0].actions)), runs
    return [email_walk, extend_walk, form_walk, sweep_walk, handler_walk]


__all__ = ["GOAL_HOPS", "Walk", "trace", "walks"]
