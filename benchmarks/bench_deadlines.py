"""Deadline throughput and cold start (make bench). Prints figures and ratios; asserts nothing.

1. 100,000 cases through the library (grouped by policy and stage, as --batch does).
2. The same cases through `complaints deadlines --batch` (JSON lines in and out).
3. The floor: numpy.busday_offset over the same cases' acknowledgement dates, once as a Python
   loop (one call per case) and once as one vectorised call. busday_offset computes one date per
   case; the library computes four (day one, acknowledge-by, respond-by, extended).
4. Cold start of `complaints deadlines` (warm holiday cache, and with an empty one) against
   `python -c pass`.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from complaints.adapters.bank_holidays import CachedBankHolidays, from_package
from complaints.adapters.preset_files import PresetLibrary
from complaints.service.clock import StatutoryClock

N = 100_000
BIN = Path(sys.executable).parent / "complaints"
GOALS = {"library": 1_000_000, "batch": 100_000, "cold_ms": 300}


def make_cases(n: int) -> list[dict[str, object]]:
    rng = random.Random(42)
    ids = PresetLibrary().ids()
    cases: list[dict[str, object]] = []
    for _ in range(n):
        received = date(2020, 1, 1) + timedelta(days=rng.randrange(0, 365 * 10))
        case: dict[str, object] = {"policy": rng.choice(ids), "stage": rng.choice([1, 2]),
                                   "received": received.isoformat()}
        if rng.random() < 0.5:
            case["acknowledged"] = (received + timedelta(days=rng.randrange(0, 8))).isoformat()
        cases.append(case)
    return cases


def best_of(runs: int, fn: object) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def bench_library(clock: StatutoryClock, cases: list[dict[str, object]]) -> float:
    from complaints.domain.deadlines import NO_DATE, compute_many

    groups: dict[tuple[str, int], tuple[list[int], list[int]]] = {}
    for c in cases:
        rec, ack = groups.setdefault((str(c["policy"]), int(c["stage"])), ([], []))  # type: ignore[call-overload]
        rec.append(date.fromisoformat(str(c["received"])).toordinal())
        ack.append(date.fromisoformat(str(c["acknowledged"])).toordinal()
                   if "acknowledged" in c else NO_DATE)
    arrays = {k: (np.array(r, dtype=np.int64), np.array(a, dtype=np.int64))
              for k, (r, a) in groups.items()}
    policies = {k: clock.presets.get(k[0]) for k in arrays}

    def run() -> None:
        for key, (rec, ack) in arrays.items():
            policy = policies[key]
            compute_many(policy, key[1], clock.calendar_for(policy), rec, ack)

    run()  # build the calendar tables once, as a warm Lambda would have them
    return best_of(5, run)


def bench_batch(cases: list[dict[str, object]], env: dict[str, str]) -> float:
    payload = "".join(json.dumps(c) + "\n" for c in cases).encode()
    subprocess.run([str(BIN), "deadlines", "--batch"], input=payload[:2000], env=env,
                   capture_output=True, check=True)  # warm the holiday cache

    def run() -> None:
        out = subprocess.run([str(BIN), "deadlines", "--batch"], input=payload, env=env,
                             capture_output=True, check=True)
        assert out.stdout.count(b"\n") == len(cases)

    return best_of(3, run)


def bench_floor(cases: list[dict[str, object]]) -> tuple[float, float]:
    holidays = np.array(sorted(from_package("england", range(2019, 2032))), dtype="datetime64[D]")
    calendar = np.busdaycalendar(holidays=holidays)
    starts = np.array([str(c["received"]) for c in cases], dtype="datetime64[D]")

    def loop() -> None:
        for d in starts:
            np.busday_offset(d, 5, roll="backward", busdaycal=calendar)

    def vectorised() -> None:
        np.busday_offset(starts, 5, roll="backward", busdaycal=calendar)

    return best_of(3, loop), best_of(5, vectorised)


def cold_start(args: list[str], env: dict[str, str], runs: int = 15) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    cases = make_cases(N)
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, COMPLAINTS_CACHE_DIR=cache)
        clock = StatutoryClock(PresetLibrary(), CachedBankHolidays(Path(cache)))

        lib = bench_library(clock, cases)
        batch = bench_batch(cases, env)
        loop, vectorised = bench_floor(cases)

        single = [str(BIN), "deadlines", "--policy", "hos-2024", "--stage", "1",
                  "--received", "2026-05-22", "--json"]
        subprocess.run(single, env=env, capture_output=True, check=True)
        warm_ms = cold_start(single, env)
        with tempfile.TemporaryDirectory() as empty:
            start = time.perf_counter()
            subprocess.run(single, env=dict(os.environ, COMPLAINTS_CACHE_DIR=empty),
                           capture_output=True, check=True)
            empty_ms = (time.perf_counter() - start) * 1000
        pass_ms = cold_start([sys.executable, "-c", "pass"], env)

    lib_rate, batch_rate = N / lib, N / batch
    print(f"cases: {N:,} (8 presets x 2 stages, received 2020-2029, half acknowledged)")
    print(f"library compute_many       {lib * 1000:8.1f} ms  {lib_rate:12,.0f} deadlines/s"
          f"  (goal {GOALS['library']:,}/s: {'met' if lib_rate >= GOALS['library'] else 'MISSED'})")
    print(f"complaints deadlines --batch {batch * 1000:6.1f} ms  {batch_rate:12,.0f} lines/s"
          f"  (goal {GOALS['batch']:,}/s: {'met' if batch_rate >= GOALS['batch'] else 'MISSED'})")
    print(f"floor: busday_offset loop  {loop * 1000:8.1f} ms  {N / loop:12,.0f} dates/s")
    print(f"floor: busday_offset array {vectorised * 1000:8.1f} ms  {N / vectorised:12,.0f} dates/s")
    print(f"ratio library / busday_offset loop        : {lib_rate / (N / loop):6.1f}x faster")
    print(f"ratio library / busday_offset vectorised  : {lib / vectorised:6.2f}x the time "
          f"(for 4 dates a case against 1)")
    print(f"ratio --batch / busday_offset loop        : {batch_rate / (N / loop):6.1f}x")
    print(f"cold start `complaints deadlines` (warm cache, median of 15): {warm_ms:6.1f} ms"
          f"  (goal < {GOALS['cold_ms']} ms: {'met' if warm_ms < GOALS['cold_ms'] else 'MISSED'})")
    print(f"cold start with an empty holiday cache (first run ever)     : {empty_ms:6.1f} ms")
    print(f"`python -c pass` (median of 15)                             : {pass_ms:6.1f} ms")
    print(f"ratio cold start / python -c pass                           : {warm_ms / pass_ms:6.1f}x")


if __name__ == "__main__":
    main()
