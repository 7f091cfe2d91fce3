"""The deadline sweep against a full Scan (make bench): read capacity and time. Asserts nothing.

With --cases stored complaints (default 100,000), 5% of them open: one `Sweep.run(now)`, the
morning run of a working day, against one Scan of the whole table, each counted at the client
(botocore events on the store's clients, ReturnConsumedCapacity=TOTAL, which DynamoDB Local
reports; the Scan's is checked against the items' sizes). Goal: the sweep reads at most 1% of
what the Scan reads.

The table holds what the service stores, at the size it stores it:
1. Template cases through the real service on DynamoDB Local and an SMTP sink, on a simulated
   clock: complaints and residents' replies through the Mailroom, staff replies with # commands
   (acknowledge, assign, extend, respond with remedies, done, close, withdraw, refuse,
   not-a-complaint), residents asking for stage 2, and the real Sweep on template.yaml's
   schedule (07:00 and 09:00-17:00, Mon-Fri, London): reminders, overdue alerts, breaches,
   remedy alerts, lapses. Intake of every kind over the last RECENT_DAYS (open at `now`, or
   ended recently), Scottish cases about six months back (their escalation windows lapse now),
   and long-ended cases (no sweep work left) for the bulk.
2. Clones: every item a template case has (CASE, EVENT#, MSG#, and its INBOUND# and MSGID#
   items) copied under a new reference, its letters' Message-IDs and inbound keys made unique at
   the same length, so each clone is its template's size with its template's sweep index key.
   Each recent template is cloned as often as makes the open ones OPEN_SHARE of the table (so
   the intake per day is uniform); the long-ended fill the rest. BatchWriteItem, 25 items each.
3. The Scan: Store.all_references()'s Scan (its filter; every item read), in segments taken one
   after another (see scan_all). Then one sweep, wired as the bootstrap wires it.
"""

from __future__ import annotations

import argparse
import dataclasses
import heapq
import itertools
import json
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import mailfactory as mf
from tests.conftest import MAIL_CONFIG, SmtpOutbox

from bench_inbound import start_dynamodb
from complaints.adapters.bank_holidays import CachedBankHolidays
from complaints.adapters.preset_files import PresetLibrary
from complaints.adapters.raw_mail import DirectoryRawMail
from complaints.adapters.sender import SmtpSender
from complaints.adapters.store import Store
from complaints.bootstrap import mailroom_for
from complaints.domain.agenda import AgendaRules
from complaints.domain.calendar import WorkingCalendar, london_date
from complaints.domain.case import OPEN
from complaints.service.clock import StatutoryClock, waker
from complaints.service.mailroom import Delivery
from complaints.service.sweep import Sweep, SweepConfig

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 24, 7, 0, tzinfo=LONDON)  # a Tuesday: the sweep's morning run
REGION = "eu-west-2"
TEAM = "complaints-team@landlord.example"
MANAGER = "complaints-manager@landlord.example"
STAFF = ("Sam Officer <sam@landlord.example>", "Priya Shah <priya@landlord.example>",
         "Tom Reid <tom@landlord.example>", "Ana Lopes <ana@landlord.example>")
OPEN_SHARE = 0.05
READS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems",
                    "BatchWriteItem"})


# --- counting capacity at the client ----------------------------------------------------------


class CapacityMeter:
    """Requests and capacity units per operation, on every client the store uses."""

    def __init__(self, store: Store) -> None:
        self.requests: Counter[str] = Counter()
        self.units: defaultdict[str, float] = defaultdict(float)
        self.reported: Counter[str] = Counter()  # responses that carried ConsumedCapacity
        self.items: Counter[str] = Counter()  # items returned by Query and Scan
        clients = {id(c): c for c in (store._connection.client,
                                      store.Item._get_connection().connection.client,
                                      store.Case._get_connection().connection.client)}
        for client in clients.values():
            client.meta.events.register("before-parameter-build.dynamodb", self._before)
            client.meta.events.register("after-call.dynamodb", self._after)

    @staticmethod
    def _before(params: dict[str, object], model: object, context: dict[str, object],
                **_: object) -> None:
        if getattr(model, "name", "") in READS | WRITES:
            params["ReturnConsumedCapacity"] = "TOTAL"
            context["bench_index"] = params.get("IndexName")

    def _after(self, parsed: dict[str, Any], model: object, context: dict[str, object],
               **_: object) -> None:
        name = getattr(model, "name", "")
        if context.get("bench_index"):  # a Query of an index, counted apart from the table's
            name = f"{name} ({context['bench_index']} index)"
        self.requests[name] += 1
        consumed = parsed.get("ConsumedCapacity")
        if consumed:
            self.reported[name] += 1
        for entry in consumed if isinstance(consumed, list) else [consumed or {}]:
            if isinstance(entry, dict):
                self.units[name] += float(entry.get("CapacityUnits") or 0)
        if "Count" in parsed:
            self.items[name] += int(parsed.get("ScannedCount", parsed["Count"]))

    def read_units(self) -> float:
        return sum(v for k, v in self.units.items() if k.split()[0] in READS)

    def write_units(self) -> float:
        return sum(v for k, v in self.units.items() if k.split()[0] in WRITES)

    def reset(self) -> None:
        for counter in (self.requests, self.units, self.reported, self.items):
            counter.clear()

    def describe(self, kinds: frozenset[str]) -> str:
        """Requests (capacity units) per operation of ``kinds``."""
        return ", ".join(f"{k} {self.requests[k]:,} ({self.units[k]:,.1f})"
                         for k in sorted(self.requests) if k.split()[0] in kinds) or "none"


# --- what residents and staff write ----------------------------------------------------------

ISSUES = (
    ("black mould in the bathroom and the back bedroom", "the mould treated and the cause fixed"),
    ("a leak from the flat above that has stained the kitchen ceiling", "the leak stopped and "
     "the ceiling repaired"),
    ("no heating or hot water for nine days", "the boiler repaired and compensation"),
    ("a repair to the front door that was booked three times and never done", "the door "
     "fixed and an apology"),
    ("noise and rubbish from the communal bin store", "the bin store cleared and locked"),
    ("the way my calls about a broken window were handled", "a call back and a date for the "
     "repair"),
    ("damp in the living room wall since the winter", "a damp survey and the wall treated"),
    ("a service charge increase nobody explained", "a breakdown of the charge"),
)
SENTENCES = (
    "I first reported this on the phone and was given a job number, but nobody came.",
    "The contractor arrived on the day but said they did not have the right parts.",
    "My youngest has asthma and the doctor says the damp is making it worse.",
    "I have taken time off work twice to wait in for an appointment that did not happen.",
    "Your website says repairs like this are done within 28 days and it has been much longer.",
    "I have attached photos showing how bad it has got since I first reported it.",
    "When I called last week I was told someone would call me back within two days.",
    "Nobody has called me back and I have had to chase this myself every time.",
    "My neighbour has had the same problem and theirs was fixed straight away.",
    "I am disabled and cannot easily move the furniture away from the wall myself.",
    "I want to know why this has taken so long and what you will do to put it right.",
    "I have lived here for eleven years and never had to complain before.",
)
POSTCODES = {"england": ("NE1 4ST", "LS9 8AB", "M14 5RT", "B12 9QP", "S2 4HX"),
             "scotland": ("G31 2JB", "EH7 4NS", "DD3 6HR", "AB24 3QE", "KY1 2PT")}
NAMES = ("Jane Morris", "Ahmed Khan", "Siobhan Kelly", "Tom Baker", "Grace Okafor",
         "Ewan Stewart", "Mary Campbell", "Li Wei", "Fatima Begum", "David Jones")
RESPONSE = (
    "Thank you for giving us the chance to look into your complaint.",
    "I have spoken to the repairs team and read the notes of every call you made to us.",
    "Our records show the first report on the date you gave and two missed appointments.",
    "I am sorry that nobody called you back when we said we would; that was not good enough.",
    "The contractor's report says the work needed a second visit with a specialist.",
    "We should have told you that at the time and given you a new date straight away.",
    "I have arranged for our surveyor to inspect the property and agree the work with you.",
    "We have reminded the team of our call-back standard and added a check to the job system.",
    "If you are not satisfied with this response you can ask us to look at it again at "
    "stage 2; the details are below.",
    "I have also considered whether the delay caused you any loss, as set out below.",
)


def complaint_text(rng: random.Random, issue: str, name: str, postcode: str) -> str:
    street = (f"{rng.randint(1, 120)} "
              f"{rng.choice(('Elm Row', 'Mill Lane', 'Park Road', 'Kirk Street'))}")
    body = ["Dear Sir or Madam,", "",
            f"I want to make a complaint about {issue} at {street}, {postcode}."]
    body += rng.sample(SENTENCES, rng.randint(4, 8))
    body += ["", "Please can someone deal with this properly.", "", name,
             f"{street}, {postcode}", f"07{rng.randint(100000000, 999999999)}"]
    return "\n".join(body)


def staff_body(rng: random.Random, commands: list[str], text: str, quoted: str) -> str:
    """Command lines, the staff member's text, and the quoted letter below (as mail clients do)."""
    quote = "\n".join("> " + line for line in quoted.splitlines()[:12])
    return "\n".join(commands) + ("\n\n" + text if text else "") + (
        f"\n\nOn {rng.randint(1, 28)} Nov 2026, at 09:{rng.randint(10, 59)}, Complaints "
        f"<complaints@landlord.example> wrote:\n{quote}\n")


def response_text(rng: random.Random, name: str) -> str:
    return "\n\n".join([f"Dear {name},", *rng.sample(RESPONSE, rng.randint(5, 9)),
                        "Yours sincerely,"])


# --- 1. template cases through the real service, on a simulated clock ------------------------


@dataclasses.dataclass
class Template:
    """One case run through the service; its steps are (when, what) on the simulated clock."""

    n: int
    archetype: str
    scottish: bool
    rng: random.Random
    window: str = "recent"
    reference: str = ""
    name: str = ""
    address: str = ""
    issue: tuple[str, str] = ("", "")
    handler: str = ""

    @property
    def sender(self) -> str:
        return f"{self.name} <{self.address}>"


class World:
    """The Mailroom, Casework and Sweep wired as the bootstrap does, with a settable clock."""

    def __init__(self, endpoint: str, work: Path, seed: int) -> None:
        self.t = datetime(2000, 1, 1, tzinfo=UTC)
        self.clock = StatutoryClock(PresetLibrary(), CachedBankHolidays(work / "cache"))
        self.store = Store(f"bench-tpl-{uuid.uuid4().hex[:8]}", REGION, endpoint,
                           wake=waker(self.clock, AgendaRules()))
        self.store.create_table()
        self.raw_mail = DirectoryRawMail(work / "mail")
        self.outbox = SmtpOutbox(work / "outbox-templates")
        config = dataclasses.replace(MAIL_CONFIG, team_address=TEAM, letters_per_hour=1_000)
        self.room = mailroom_for(self.store, self.raw_mail, SmtpSender("127.0.0.1", self.outbox.port),
                             self.clock, config, now=lambda: self.t)
        self.sweep = Sweep(self.room.casework, SweepConfig(
            landlord=config.landlord, team_address=TEAM, manager_address=MANAGER), self.store)
        self.cal: WorkingCalendar = self.clock.calendar_for(self.clock.presets.get("hos-2024"))
        self.scal: WorkingCalendar = self.clock.calendar_for(self.clock.presets.get("spso-mchp"))
        self.rng = random.Random(seed)
        self.keys = itertools.count(1)
        self.deliveries = 0
        self.sweeps = 0
        self.sweep_actions = 0

    # one delivery through the Mailroom at the simulated instant
    def deliver(self, raw: bytes, when: datetime) -> str | None:
        self.t = when.astimezone(UTC)
        key = f"ses-{next(self.keys):07d}-{uuid.uuid4().hex[:12]}"
        self.raw_mail.put(self.raw_mail.key_for(key), raw)
        self.deliveries += 1
        return self.room.receive(Delivery(key, self.raw_mail.key_for(key), self.t)).reference

    def run_sweep(self, when: datetime) -> None:
        self.t = when.astimezone(UTC)
        report = self.sweep.run(self.t)
        self.sweeps += 1
        self.sweep_actions += len(report.actions)

    # --- what each party sends -----------------------------------------------------------

    def complain(self, tpl: Template, when: datetime) -> None:
        nation = "scotland" if tpl.scottish else "england"
        text = complaint_text(tpl.rng, tpl.issue[0], tpl.name, tpl.rng.choice(POSTCODES[nation]))
        photos = [(f"IMG_{tpl.rng.randint(1000, 9999)}.jpg", "image/jpeg", b"\xff\xd8" + b"p" * 2000)
                  for _ in range(tpl.rng.choice((0, 0, 1, 2, 3)))]
        to = "scotland@landlord.example" if tpl.scottish else "complaints@landlord.example"
        tpl.reference = self.deliver(mf.message(
            sender=tpl.sender, to=to, subject=f"Complaint: {tpl.issue[0][:60]}", body=text,
            attachments=photos), when) or ""

    def staff(self, tpl: Template, when: datetime, commands: list[str], text: str = "",
              who: str | None = None) -> None:
        if not tpl.reference:
            return
        who = who or tpl.handler
        quoted = f"New complaint {tpl.reference} from {tpl.address}\n" + complaint_text(
            tpl.rng, tpl.issue[0], tpl.name, "")
        self.deliver(mf.message(
            sender=who, to=f"complaints+{tpl.reference}@landlord.example",
            subject=f"Re: New complaint: {tpl.reference}",
            body=staff_body(tpl.rng, commands, text, quoted)), when)

    def resident(self, tpl: Template, when: datetime, subject: str, text: str,
                 photos: int = 0) -> None:
        if not tpl.reference:
            return
        attachments = [(f"photo{i}.jpg", "image/jpeg", b"\xff\xd8" + b"q" * 1500)
                       for i in range(photos)]
        self.deliver(mf.message(
            sender=tpl.sender, to=f"complaints+{tpl.reference}@landlord.example",
            subject=f"{subject} [{tpl.reference}]", body=text, attachments=attachments), when)


Step = tuple[datetime, Callable[[datetime], None]]
# What happens to a complaint over its life (archetype -> share of the intake). Cut at `now`, the
# recent ones are still open (received, acknowledged, extended, escalated) or ended recently.
LIFE_MIX = {"hos-responded": 30, "hos-responded-closed": 12, "hos-extended": 8, "hos-late": 5,
            "hos-stage2": 8, "hos-withdrawn": 3, "hos-not-a-complaint": 3, "hos-refused": 1,
            "spso-responded": 18, "spso-extended": 4, "spso-stage2": 5, "spso-withdrawn": 3}


class Scripts:
    """What residents and staff do on each archetype's case, and when (staff in office hours)."""

    def __init__(self, world: World) -> None:
        self.w = world

    @staticmethod
    def _office(tpl: Template, day: date) -> datetime:
        return datetime.combine(day, clock_time(tpl.rng.randint(9, 16), tpl.rng.randint(0, 59)),
                                LONDON)

    @staticmethod
    def _any_time(tpl: Template, day: date) -> datetime:
        return datetime.combine(day, clock_time(tpl.rng.randint(7, 22), tpl.rng.randint(0, 59)),
                                LONDON)

    def build(self, tpl: Template, received: date) -> list[Step]:
        w, rng = self.w, tpl.rng
        cal = w.scal if tpl.scottish else w.cal
        staff = list(STAFF)
        rng.shuffle(staff)
        tpl.handler = staff[0]
        steps: list[Step] = [(self._any_time(tpl, received), lambda t: w.complain(tpl, t))]

        def at(instant: datetime, fn: Callable[[datetime], None]) -> None:
            steps.append((instant, fn))

        def office(day: date, commands: list[str], text: str = "", who: str | None = None) -> date:
            at(self._office(tpl, day), lambda t: w.staff(tpl, t, commands, text, who))
            return day

        def wd(day: date, lo: int, hi: int) -> date:
            return cal.add_working_days(day, rng.randint(lo, hi))

        definition = (f"You are unhappy about {tpl.issue[0]}, and with how long we have taken to "
                      f"deal with it. You would like {tpl.issue[1]}.")
        assign = [f"#assign {tpl.handler.split('<')[1].rstrip('>')}"] if rng.random() < 0.5 else []

        def acknowledge(day: date, who: str | None = None) -> date:
            return office(day, ["#acknowledge", *assign], definition, who)

        def respond(day: date, who: str | None = None) -> date:
            lines = [f"#respond {rng.choice(('upheld', 'partly-upheld', 'not-upheld'))}"]
            if rng.random() < 0.4:
                lines.append(f"#remedy £{rng.choice((50, 75, 100, 150, 250))} compensation for "
                             "the delay and the time you took off work")
                if rng.random() < 0.6:
                    due = day + timedelta(days=rng.randint(10, 40))
                    lines.append(f"#remedy Complete the repair by {due.day} "
                                 f"{due.strftime('%B %Y')}")
                    if rng.random() < 0.8:  # staff record it done (#done), mostly in time
                        done = (due - timedelta(days=rng.randint(0, 7)) if rng.random() < 0.75
                                else due + timedelta(days=rng.randint(2, 10)))
                        office(cal.working_day_on_or_after(done),
                               ["#done 2 the contractor finished the repair"], "", who)
            return office(day, lines, response_text(rng, tpl.name), who)

        def extend(day: date) -> date:
            if tpl.scottish:
                return office(day, ["#approved by the complaints manager",
                                    "#extend 5 waiting for the contractor's report"])
            return office(day, ["#extend 10 waiting for the specialist contractor's report"])

        def chase(first: date, last: date) -> None:
            for _ in range(rng.choice((0, 0, 1, 1, 2))):
                day = first + timedelta(days=rng.randint(1, max(1, (last - first).days)))
                at(self._any_time(tpl, day), lambda t: w.resident(
                    tpl, t, "Re: Your complaint", f"Hello, is there any update on my complaint? "
                    f"{rng.choice(SENTENCES)} I have attached another photo.\n\n{tpl.name}",
                    photos=rng.choice((0, 1))))

        def escalate(day: date) -> None:
            at(self._any_time(tpl, day), lambda t: w.resident(
                tpl, t, f"Escalate {tpl.reference}", f"Dear {tpl.handler.split()[0]},\n\nI am "
                f"not happy with your response. {rng.choice(SENTENCES)} {rng.choice(SENTENCES)} "
                f"Please take my complaint to stage 2.\n\n{tpl.name}"))

        kind = tpl.archetype
        if kind in ("hos-stage2", "spso-stage2"):
            ack = received if tpl.scottish else acknowledge(wd(received, 1, 5))
            answered = respond(wd(ack, 3, 4) if tpl.scottish else wd(ack, 6, 10))
            chase(received, answered)
            asked = answered + timedelta(days=rng.randint(2, 15))
            escalate(asked)
            ack2 = acknowledge(wd(asked, 1, 3 if tpl.scottish else 5), staff[1])
            chase(ack2, ack2 + timedelta(days=20))
            respond(wd(ack2, 10, 19), staff[1])
        elif kind in ("hos-responded", "hos-responded-closed", "hos-extended", "hos-late"):
            ack = acknowledge(wd(received, 6, 8) if kind == "hos-late" else wd(received, 1, 5))
            if kind == "hos-extended":
                extend(wd(ack, 7, 9))
            answered = respond(wd(ack, 12, 19) if kind == "hos-extended"
                               else wd(ack, 11, 14) if kind == "hos-late" else wd(ack, 5, 10))
            chase(received, answered)
            if kind == "hos-responded-closed" or (kind != "hos-responded" and rng.random() < 0.5):
                office(wd(answered, 5, 20), ["#close"])
        elif kind in ("spso-responded", "spso-extended"):
            if kind == "spso-extended":
                extend(wd(received, 3, 4))
            answered = respond(wd(received, 6, 9) if kind == "spso-extended"
                               else wd(received, 2, 5))
            chase(received, answered)
        elif kind.endswith("withdrawn"):
            if not tpl.scottish:
                acknowledge(wd(received, 1, 4))
            office(wd(received, 5, 8), ["#withdraw the resident rang to say the repair is done "
                                        "and they are happy"])
        elif kind == "hos-not-a-complaint":
            office(wd(received, 1, 3), ["#not-a-complaint"], (
                f"We have raised this as a repair request (job {rng.randint(100000, 999999)}) "
                "and our repairs team will call you to book a visit."))
        elif kind == "hos-refused":
            office(wd(received, 1, 4), ["#refuse"], (
                "This was dealt with as complaint CMP-2025-000123, which completed our process; "
                "you can take it to the Housing Ombudsman."))
        else:
            raise ValueError(kind)
        return steps


# The intake the templates sample, by window (days before `now`): every archetype over the last
# RECENT_DAYS (the open cases, and the recently ended with work still to come: remedy alerts);
# Scottish cases around six months back, whose escalation windows lapse about now (the sweep
# closes them); and long-ended cases (all their sweep work done) for the bulk of the table.
RECENT_DAYS = 90
LAPSE_DAYS = (170, 200)
OLD_DAYS = (400, 800)


def make_templates(world: World, recent: int, old: int, now: datetime) -> list[Template]:
    """Run the template cases through the service, with the sweep every working-day morning, up
    to ``now`` (exclusive); returns them, each with its reference and window."""
    today = london_date(now)
    scripts = Scripts(world)
    rng = world.rng
    mix = list(LIFE_MIX)
    weights = [LIFE_MIX[k] for k in mix]
    spso = [k for k in mix if k.startswith("spso")]
    per_day = recent / RECENT_DAYS
    plan: list[tuple[str, str, date]] = []
    for _ in range(recent):
        plan.append(("recent", rng.choices(mix, weights)[0],
                     today - timedelta(days=rng.randint(1, RECENT_DAYS))))
    lapse_share = sum(LIFE_MIX[k] for k in spso) / sum(weights)
    for _ in range(round(per_day * lapse_share * (LAPSE_DAYS[1] - LAPSE_DAYS[0]))):
        plan.append(("lapse", rng.choices(spso, [LIFE_MIX[k] for k in spso])[0],
                     today - timedelta(days=rng.randint(*LAPSE_DAYS))))
    for _ in range(old):
        plan.append(("old", rng.choices(mix, weights)[0],
                     today - timedelta(days=rng.randint(*OLD_DAYS))))
    heap: list[tuple[datetime, int, Callable[[datetime], None]]] = []
    templates = []
    seq = itertools.count()
    for n, (window, archetype, received) in enumerate(plan):
        tpl_rng = random.Random(rng.random())
        name = tpl_rng.choice(NAMES)
        tpl = Template(n, archetype, archetype.startswith("spso"), tpl_rng, window=window,
                       name=name, address=f"{name.split()[0].lower()}.{n}@example.org",
                       issue=tpl_rng.choice(ISSUES))
        templates.append(tpl)
        for instant, fn in scripts.build(tpl, received):
            if instant < now:
                heapq.heappush(heap, (instant.astimezone(UTC), next(seq), fn))
    day = min(instant for instant, _, _ in heap).astimezone(LONDON).date()
    while day < today:
        if day.weekday() < 5:  # template.yaml's crons, Mon-Fri, Europe/London: 07:00, 09-17:00
            for hour in (7, *range(9, 18)):
                heapq.heappush(heap, (datetime.combine(day, clock_time(hour, 0), LONDON)
                                      .astimezone(UTC), next(seq), world.run_sweep))
        day += timedelta(days=1)
    while heap:
        instant, _, fn = heapq.heappop(heap)
        fn(instant)
    return [t for t in templates if t.reference]


# --- 2. clones of the templates ---------------------------------------------------------------


def item_size(item: dict[str, dict[str, Any]]) -> int:
    """DynamoDB's size of an item: attribute names plus values, in UTF-8 bytes."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        if "S" in value:
            size += len(value["S"].encode())
        elif "N" in value:
            size += (len(value["N"].lstrip("-").replace(".", "")) + 1) // 2 + 1
        else:
            size += len(json.dumps(value))
    return size


@dataclasses.dataclass
class CaseItems:
    """Every item one template case has in the table, as one JSON text to clone from."""

    reference: str
    window: str  # recent | lapse | old (make_templates)
    is_open: bool
    wake: str  # the sweep index's date ('' when the case is not on it)
    text: str
    pattern: re.Pattern[str]
    tokens: list[str]
    count: int
    size: int

    def clone(self, reference: str, n: int) -> list[dict[str, Any]]:
        """The items under ``reference``, with unique Message-IDs and inbound keys (clone n)."""
        mapping = {self.reference: reference}
        for token in self.tokens:
            if token.startswith("mid-"):
                mapping[token] = f"mid-{n:010x}{token[14:]}"
            else:  # <timestamp.pid.random.kind@domain>
                head, dot, rest = token[1:].partition(".")
                mapping[token] = f"<{n:0{len(head)}d}{dot}{rest}"
        return list(json.loads(self.pattern.sub(lambda m: mapping[m.group()], self.text)))


def template_items(endpoint: str, table: str,
                   templates: list[Template]) -> tuple[list[CaseItems], Counter[str]]:
    """Read the template table back and group its items by case."""
    windows = {t.reference: t.window for t in templates}
    client = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint)
    groups: dict[str, list[dict[str, Any]]] = {}
    tokens: dict[str, list[str]] = {}
    other: Counter[str] = Counter()
    for page in client.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            pk = item["PK"]["S"]
            kind, _, key = pk.partition("#")
            if kind == "CASE":
                groups.setdefault(key, []).append(item)
                continue
            reference = json.loads(item["data"]["S"]).get("reference") if "data" in item else None
            if kind in ("INBOUND", "MSGID") and reference:
                groups.setdefault(reference, []).append(item)
                tokens.setdefault(reference, []).append(key)
            else:
                other[kind] += 1
    out = []
    for reference, items in groups.items():
        case = next(i for i in items if i["SK"]["S"] == "CASE")
        status = json.loads(case["data"]["S"])["status"]
        found = [reference, *tokens.get(reference, [])]
        assert all(t.startswith("mid-") or (t.startswith("<") and t[1:].split(".")[0].isdigit())
                   for t in found[1:]), found
        out.append(CaseItems(
            reference, windows[reference], status in {s.value for s in OPEN},
            case.get("GSI3SK", {}).get("S", "").split("#")[0],
            json.dumps(items, ensure_ascii=False),
            re.compile("|".join(re.escape(t) for t in sorted(found, key=len, reverse=True))),
            found[1:], len(items), sum(item_size(i) for i in items)))
    return out, other


@dataclasses.dataclass
class Plan:
    """How many clones of each template case the table gets."""

    copies: list[tuple[CaseItems, int]]

    @property
    def cases(self) -> int:
        return sum(n for _, n in self.copies)

    @property
    def open(self) -> int:
        return sum(n for g, n in self.copies if g.is_open)

    @property
    def items(self) -> int:
        return sum(g.count * n for g, n in self.copies)

    @property
    def size(self) -> int:
        return sum(g.size * n for g, n in self.copies)

    def due(self, today: date) -> tuple[int, int]:
        """Cases on the sweep index for ``today`` or earlier: all, and those open."""
        due = [(g, n) for g, n in self.copies if g.wake and g.wake <= today.isoformat()]
        return sum(n for _, n in due), sum(n for g, n in due if g.is_open)


def plan_clones(groups: list[CaseItems], cases: int, rng: random.Random) -> Plan:
    """Every recent (and lapse-window) template the same number of times, so that the open ones
    make OPEN_SHARE of ``cases``; the long-ended ones fill the rest."""
    timed = [g for g in groups if g.window != "old"]
    fill = [g for g in groups if g.window == "old" and not g.is_open and not g.wake]
    per = cases * OPEN_SHARE / sum(g.is_open for g in timed)
    if per < 1:  # a small table: a sample of the intake, once each
        timed = rng.sample(timed, max(1, round(len(timed) * per)))
        per = 1
    each = min(round(per), cases // len(timed))
    copies = [(g, each) for g in timed]
    rest = cases - each * len(timed)
    copies += [(g, rest // len(fill) + (1 if i < rest % len(fill) else 0))
               for i, g in enumerate(fill)]
    return Plan([(g, n) for g, n in copies if n])


def seed(endpoint: str, table: str, plan: Plan, threads: int = 2) -> float:
    """Write the clones, 25 items a BatchWriteItem; returns the seconds it took."""
    client = boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint,
                          config=Config(parameter_validation=False,
                                        max_pool_connections=threads * 2,
                                        retries={"max_attempts": 10}))
    jobs: list[tuple[CaseItems, str]] = []
    serial = itertools.count(1)
    for group, n in plan.copies:
        jobs += [(group, f"{group.reference[:9]}{next(serial):06d}") for _ in range(n)]
    done = itertools.count(1)
    lock = threading.Lock()
    start = time.perf_counter()
    errors: list[BaseException] = []

    def write(batch: list[dict[str, Any]]) -> None:
        requests: dict[str, Any] = {table: [{"PutRequest": {"Item": i}} for i in batch]}
        for attempt in range(20):
            left = client.batch_write_item(RequestItems=requests).get("UnprocessedItems")
            if not left:
                return
            requests = left
            time.sleep(min(1.0, 0.05 * 2 ** attempt))
        raise RuntimeError("BatchWriteItem left items unprocessed after 20 tries")

    def work(part: int) -> None:
        try:
            batch: list[dict[str, Any]] = []
            for index in range(part, len(jobs), threads):
                group, reference = jobs[index]
                batch += group.clone(reference, index + 1)
                while len(batch) >= 25:
                    write(batch[:25])
                    batch = batch[25:]
                with lock:
                    count = next(done)
                if count % max(1, len(jobs) // 10) == 0:
                    elapsed = time.perf_counter() - start
                    print(f"  seeded {count:,} of {len(jobs):,} cases, {elapsed:.0f} s",
                          file=sys.stderr, flush=True)
            if batch:
                write(batch)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - start


# --- 3. the measurements -----------------------------------------------------------------------


def scan_all(store: Store, segments: int) -> int:
    """Every case, by the Scan `Store.all_references()` makes (its filter, every item read),
    in ``segments`` segments one after another: DynamoDB Local answers each page of a single
    Scan in time growing with the rows after it (quadratic over the table); segments keep each
    short. The capacity is that of one Scan: every item is read once."""
    n = 0
    for segment in range(segments):
        for _ in store.Case.scan(filter_condition=store.Case.SK == "CASE", segment=segment,
                                 total_segments=segments):
            n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases stored (100,000)")
    parser.add_argument("--templates", type=int, default=600,
                        help="recent template cases run through the service (600)")
    parser.add_argument("--old-templates", type=int, default=60,
                        help="long-ended template cases for the bulk of the table (60)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sequential-scan", action="store_true",
                        help="also time all_references() itself, one Scan (slow on DynamoDB "
                             "Local past ~200,000 items)")
    args = parser.parse_args()
    begun = time.perf_counter()
    today = london_date(NOW)
    process, endpoint = start_dynamodb()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            # 1. template cases through the real service
            t = time.perf_counter()
            world = World(endpoint, work, args.seed)
            templates = make_templates(world, args.templates, args.old_templates, NOW)
            world.outbox.stop()
            groups, _ = template_items(endpoint, world.store.table, templates)
            template_s = time.perf_counter() - t

            # 2. the table: clones, written in batches
            plan = plan_clones(groups, args.cases, random.Random(args.seed))
            store = Store(f"bench-sweep-{uuid.uuid4().hex[:8]}", REGION, endpoint,
                          wake=waker(world.clock, AgendaRules()))
            store.create_table()
            seed_s = seed(endpoint, store.table, plan)
            due, due_open = plan.due(today)

            # 3a. the Scan
            meter = CapacityMeter(store)
            segments = max(1, plan.items // 2_000)
            t = time.perf_counter()
            scanned_cases = scan_all(store, segments)
            scan_s = time.perf_counter() - t
            scan_rcu, scan_items = meter.units["Scan"], meter.items["Scan"]
            scan_reported = (meter.reported["Scan"], meter.requests["Scan"])
            sequential = None
            if args.sequential_scan:
                meter.reset()
                t = time.perf_counter()
                n = sum(1 for _ in store.all_references())
                sequential = (n, meter.units["Scan"], time.perf_counter() - t)

            # 3b. one sweep, the morning run, wired as the bootstrap wires it
            outbox = SmtpOutbox(work / "outbox")
            config = dataclasses.replace(MAIL_CONFIG, team_address=TEAM, letters_per_hour=1_000)
            room = mailroom_for(store, DirectoryRawMail(work / "mail"),
                            SmtpSender("127.0.0.1", outbox.port), world.clock, config,
                            now=lambda: NOW.astimezone(UTC))
            sweep = Sweep(room.casework, SweepConfig(
                landlord=config.landlord, team_address=TEAM, manager_address=MANAGER), store)
            meter.reset()
            t = time.perf_counter()
            report = sweep.run(NOW.astimezone(UTC))
            sweep_s = time.perf_counter() - t
            outbox.stop()
            sweep_reads, sweep_writes = meter.read_units(), meter.write_units()
            reads_reported = (sum(v for k, v in meter.reported.items() if k.split()[0] in READS),
                              sum(v for k, v in meter.requests.items() if k.split()[0] in READS))
            read_line, write_line = meter.describe(READS), meter.describe(WRITES)
    finally:
        process.terminate()
        process.wait(timeout=20)
    total_s = time.perf_counter() - begun

    acted = {a["reference"] for a in report.actions}
    kinds = Counter(a["task"] for a in report.actions)
    ratio = sweep_reads / scan_rcu if scan_rcu else float("nan")
    print(f"cases stored: {plan.cases:,} ({plan.open:,} open, {plan.open / plan.cases:.1%}), "
          f"{plan.items:,} items, {plan.size / 1e9:.2f} GB "
          f"({plan.size / plan.cases / 1024:.1f} KB and {plan.items / plan.cases:.1f} items a case)")
    print(f"seeded: {len(groups)} template cases through the service in {template_s:.0f} s "
          f"({world.deliveries:,} messages, {world.sweeps:,} sweeps); {plan.cases:,} clones by "
          f"BatchWriteItem in {seed_s:.0f} s ({plan.items / seed_s:,.0f} items/s)")
    print(f"sweep index for {today}: {due:,} cases on or before today ({due_open:,} open)")
    print(f"sweep at {NOW:%a %d %b %Y %H:%M} London: {report.cases_read:,} cases read, "
          f"{len(acted):,} with work, {len(report.actions):,} actions "
          f"({', '.join(f'{k} {v:,}' for k, v in kinds.most_common())}), "
          f"{report.letters_sent:,} letters sent, {len(report.errors)} errors; {sweep_s:.1f} s")
    print(f"  reads  {sweep_reads:10,.1f} RCU ({sweep_reads / max(1, report.cases_read):.1f} a "
          f"case read): {read_line}")
    print(f"  writes {sweep_writes:10,.1f} WCU: {write_line}")
    print(f"scan: {scanned_cases:,} cases, {scan_items:,} items read, {scan_rcu:,.1f} RCU "
          f"(item sizes / 8 KB: {plan.size / 8192:,.1f}); {scan_s:.1f} s "
          f"({segments:,} segments in turn)")
    if sequential is not None:
        print(f"scan by all_references() as written (one Scan): {sequential[0]:,} cases, "
              f"{sequential[1]:,.1f} RCU, {sequential[2]:.1f} s")
    print(f"ConsumedCapacity reported by DynamoDB Local: scan {scan_reported[0]:,} of "
          f"{scan_reported[1]:,} pages, sweep {reads_reported[0]:,} of {reads_reported[1]:,} "
          "read requests")
    print(f"ratio sweep / scan read capacity {ratio:8.2%}   (goal <= 1%: "
          f"{'met' if ratio <= 0.01 else 'MISSED'})")
    print(f"ratio sweep / scan time          {sweep_s / scan_s:8.2%}")
    print(f"whole benchmark {total_s:.0f} s")


if __name__ == "__main__":
    main()
