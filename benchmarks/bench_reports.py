"""`complaints report tsm` on 100,000 imported cases, against a Scan (make bench). Asserts nothing.

A year's history (1 April 2025 to 31 March 2026, plus the tail of the year before) is made as
the import CSV a landlord would bring: four in five cases English (hos-2024), one in five
Scottish (spso-mchp); most acknowledged and answered, some late, some extended, one in ten
escalated, a few refused. `History.import_csv` loads it into DynamoDB Local (timed), then
`Reports.tsm` and `Reports.scotland` for the year are timed and their reads counted at the client
(ReturnConsumedCapacity=TOTAL, as bench_sweep counts them), against one Scan of the table.
Goal: `report tsm` under 10 s.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_inbound import start_dynamodb
from bench_sweep import CapacityMeter
from complaints.adapters.bank_holidays import CachedBankHolidays
from complaints.adapters.preset_files import PresetLibrary
from complaints.adapters.store import Store
from complaints.domain.measures import Period
from complaints.service.clock import StatutoryClock
from complaints.service.history import COLUMNS, History
from complaints.service.reports import Reports

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CATEGORIES = ("repairs", "damp and mould", "anti-social behaviour", "staff conduct", "rent",
              "communication", "")
OUTCOMES = ("upheld", "partly-upheld", "not-upheld")


def history_csv(cases: int, clock: StatutoryClock, seed: int) -> str:
    rng = random.Random(seed)
    start = date(2025, 1, 1)
    span = (date(2026, 3, 31) - start).days
    lines = [",".join(COLUMNS)]
    for n in range(cases):
        scottish = rng.random() < 0.2
        policy = "spso-mchp" if scottish else "hos-2024"
        cal = clock.calendar_for(clock.presets.get(policy))
        received = cal.add_working_days(start + timedelta(days=rng.randrange(span)), 0)
        row = dict.fromkeys(COLUMNS, "")
        row.update(reference=f"OLD-{n:06d}", policy=policy, received=received.isoformat(),
                   channel=rng.choice(("email", "phone", "web form", "letter")),
                   tenure=rng.choice(("LCRA", "LCRA", "LCRA", "LCHO", "other")),
                   resident_email=f"resident{n}@example.org", category=rng.choice(CATEGORIES))
        if rng.random() < 0.03:
            row.update(refused=cal.add_working_days(received, 2).isoformat(),
                       refused_reason=rng.choice(("outside the time limit",
                                                  "before the court", "a service request")))
            lines.append(",".join(row[c] for c in COLUMNS))
            continue
        ack = None if scottish else cal.add_working_days(received, rng.choice((2, 4, 5, 5, 7)))
        if ack:
            row["stage1_acknowledged"] = ack.isoformat()
        base = ack or received
        took = rng.choice((3, 5, 8, 10, 10, 12, 15))
        if rng.random() < 0.1:
            extended = cal.add_working_days(base, 10 + rng.choice((5, 10, 12)))
            row["stage1_extended_to"] = extended.isoformat()
            took = rng.choice((12, 18, 20))
        responded = cal.add_working_days(base, took)
        row.update(stage1_responded=responded.isoformat(), stage1_outcome=rng.choice(OUTCOMES))
        if rng.random() < 0.1:
            escalated = responded + timedelta(days=rng.randrange(1, 30))
            ack2 = cal.add_working_days(escalated, rng.choice((2, 3, 5)))
            row.update(escalated=escalated.isoformat(), stage2_acknowledged=ack2.isoformat(),
                       stage2_responded=cal.add_working_days(ack2, rng.choice((10, 20, 25)))
                       .isoformat(), stage2_outcome=rng.choice(OUTCOMES))
        if rng.random() < 0.15:
            row["compensation"] = f"{rng.choice((25, 50, 100, 150, 250))}.00"
        lines.append(",".join(row[c] for c in COLUMNS))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--segments", type=int, default=64, help="Scan segments (64)")
    args = parser.parse_args()
    process, endpoint = start_dynamodb()
    try:
        clock = StatutoryClock(PresetLibrary(), CachedBankHolidays(None))
        store = Store(f"bench-{uuid.uuid4().hex[:8]}", "eu-west-2", endpoint)
        store.create_table()
        text = history_csv(args.cases, clock, args.seed)
        begun = time.perf_counter()
        result = History(store, clock, "Example Homes").import_csv(text, "history.csv", NOW)
        imported = time.perf_counter() - begun
        assert not result["errors"], result["errors"][:3]
        print(f"import: {result['imported']:,} cases ({len(text) / 1e6:.1f} MB of CSV) in "
              f"{imported:.1f} s ({result['imported'] / imported:,.0f} cases/s)")
        meter = CapacityMeter(store)
        year = Period.year(2025)
        timings = {}
        for name in ("tsm", "scotland"):
            meter.reset()
            reports = Reports(store, clock, "Example Homes")  # cold: no cached deadlines
            begun = time.perf_counter()
            figures = reports.tsm(year, 25_000) if name == "tsm" else reports.scotland(year)
            timings[name] = (time.perf_counter() - begun, meter.read_units(),
                             meter.describe(frozenset({"Query"})))
            print(f"report {name} --year 2025: {timings[name][0]:.2f} s, "
                  f"{timings[name][1]:,.0f} read units ({timings[name][2]})")
            print(f"  {figures}")
        meter.reset()
        begun = time.perf_counter()
        # in segments one after another (see bench_sweep.scan_all: DynamoDB Local answers each
        # page of one long Scan in time growing with the rows after it); the units are one Scan's
        items = sum(1 for segment in range(args.segments)
                    for _ in store.Item.scan(segment=segment, total_segments=args.segments))
        scan_time, scan_units = time.perf_counter() - begun, meter.read_units()
        print(f"a Scan of the table: {items:,} items, {scan_time:.1f} s, {scan_units:,.0f} read "
              "units")
        tsm_time, tsm_units, _ = timings["tsm"]
        print(f"report tsm reads {100 * tsm_units / scan_units:.1f}% of the Scan's units in "
              f"{tsm_time:.2f} s (goal: under 10 s): "
              f"{'met' if tsm_time < 10 else 'MISSED'}")
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
