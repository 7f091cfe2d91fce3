"""Module hops of the walks docs/architecture.md describes (make bench). Prints; asserts nothing.

A walk is run once warm on the in-memory ports, under a profile hook that keeps the stack of
``complaints.*`` modules. A hop is a distinct (caller module, callee module) pair; a call back
is a hop into a module that is already on the stack below another one (a callback handed
down, or a module asking its caller again). Issue 19's goal for the email and the #extend walks:
at most 20 hops and no call back.

1. An email to its receipt letter (and the team's notice).
2. A staff `#extend 5 <reason>` reply to the extension letter.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.mailfactory

from tests import mailfactory as mf

from complaints.adapters.bank_holidays import CachedBankHolidays
from complaints.adapters.memory import InMemoryOutbox, InMemoryRawMail, InMemoryStore
from complaints.adapters.preset_files import PresetLibrary
from complaints.bootstrap import mailroom_for
from complaints.domain.nation import NationPolicies
from complaints.service.clock import StatutoryClock
from complaints.service.mailroom import Delivery, MailConfig

CONFIG = MailConfig(landlord="Example Homes", complaints_address="complaints@landlord.example",
                    staff_domains=frozenset({"landlord.example"}),
                    policies=NationPolicies("hos-2024", fallback={"scotland": "spso-mchp"}),
                    team_address="complaints-team@landlord.example")


def hops(walk: Callable[[], object]) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(hops, calls back) of one run of ``walk``."""
    edges: set[tuple[str, str]] = set()
    back: set[tuple[str, str]] = set()
    stack: list[str] = []

    def hook(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            name = str(frame.f_globals.get("__name__", ""))
            module = name if name.startswith("complaints.") else ""
            caller = next((m for m in reversed(stack) if m), "")
            if module and caller and caller != module:
                edges.add((caller, module))
                if module in stack:
                    back.add((caller, module))
            stack.append(module)
        elif event == "return" and stack:
            stack.pop()

    sys.setprofile(hook)
    try:
        walk()
    finally:
        sys.setprofile(None)
    return edges, back


def report(name: str, found: tuple[set[tuple[str, str]], set[tuple[str, str]]]) -> None:
    edges, back = found
    modules = sorted({m.removeprefix("complaints.") for pair in edges for m in pair})
    print(f"{name}: {len(edges)} hops across {len(modules)} modules, {len(back)} call(s) back"
          " (goal: at most 20 hops, none back)")
    for caller, callee in sorted(back):
        print(f"    back: {caller.removeprefix('complaints.')} -> {callee.removeprefix('complaints.')}")


def main() -> None:
    clock = StatutoryClock(PresetLibrary(), CachedBankHolidays(Path(tempfile.mkdtemp())))
    store, raw, outbox = InMemoryStore(), InMemoryRawMail(), InMemoryOutbox()
    room = mailroom_for(store, raw, outbox, clock, CONFIG)

    def deliver(key: str, data: bytes) -> Any:
        raw.put(raw.key_for(key), data)
        return room.receive(Delivery(key, raw.key_for(key), datetime.now(UTC)))

    deliver("warm", mf.message(subject="warm-up"))  # first-call imports and caches
    created: list[Any] = []
    report("email -> receipt", hops(lambda: created.append(deliver("email", mf.message()))))
    reference = created[0].reference
    deliver("ack", mf.message(sender="Sam Officer <sam@landlord.example>",
                              subject=f"Re: [{reference}]",
                              body=("#acknowledge\nYou are unhappy that the mould in your "
                                    "bathroom has not been treated; you want it treated."),
                              ses=mf.ses_headers("landlord.example")))
    report("staff #extend -> extension letter", hops(lambda: deliver("extend", mf.message(
        sender="Sam Officer <sam@landlord.example>", subject=f"Re: [{reference}]",
        body="#extend 5 waiting for the surveyor's report",
        ses=mf.ses_headers("landlord.example")))))
    import email

    kinds = [str(email.message_from_bytes(m)["X-Complaints-Letter"]) for m in outbox.letters()]
    print(f"letters written: {', '.join(kinds)}")


if __name__ == "__main__":
    main()
