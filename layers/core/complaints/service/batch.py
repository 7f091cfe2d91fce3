"""`complaints deadlines --batch`: JSON lines in, JSON lines out, vectorised per policy and stage."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from complaints.domain.calendar import CalendarError, parse_iso_date
from complaints.domain.deadlines import NO_DATE, compute_many
from complaints.domain.policy import Policy, PolicyError

if TYPE_CHECKING:
    from complaints.service.clock import StatutoryClock

_BLOCK = 32_768  # lines per block: bounded memory, still vectorised


def deadlines_jsonl(clock: StatutoryClock, lines: Iterable[str | bytes]) -> Iterator[str]:
    batch = _Batch(clock)
    block: list[str | bytes] = []
    number = 0
    for line in lines:
        block.append(line)
        if len(block) == _BLOCK:
            yield from batch.block(block, number)
            number += len(block)
            block = []
    if block:
        yield from batch.block(block, number)


class _Batch:
    """Per-stream memos: valid (policy, stage) pairs and ISO date <-> ordinal conversions.

    A batch of 100,000 cases over ten years holds only a few thousand distinct dates, so the
    memos turn parsing and formatting into dict look-ups.
    """

    def __init__(self, clock: StatutoryClock) -> None:
        self._clock = clock
        self._stages: dict[tuple[str, int], Policy] = {}
        self._ordinals: dict[str, int] = {}
        self._iso: dict[int, str] = {NO_DATE: "null"}

    def block(self, lines: list[str | bytes], first_number: int) -> list[str]:
        out: list[str] = [""] * len(lines)
        cases = self._parse_clean(lines)
        if cases is None:  # something in this block is off: validate line by line
            cases = self._parse_each(lines, first_number, out)
        keys, received, acknowledged = cases
        group_of: dict[tuple[str, int], int] = {}
        group_ids = np.array([group_of.setdefault(k, len(group_of)) for k in keys], dtype=np.int64)
        received_all = np.array(received, dtype=np.int64)
        acknowledged_all = np.array(acknowledged, dtype=np.int64)
        for (policy_id, stage), group in group_of.items():
            if (policy_id, stage) == _SKIP:
                continue  # lines already answered with an error
            where = np.flatnonzero(group_ids == group)
            self._answer(policy_id, stage, where, received_all[where], acknowledged_all[where],
                         first_number, out)
        return out

    def _answer(self, policy_id: str, stage: int, where: Any, received: Any, acknowledged: Any,
                first_number: int, out: list[str]) -> None:
        policy = self._stages[(policy_id, stage)]
        try:
            r = compute_many(policy, stage, self._clock.calendar_for(policy), received, acknowledged)
        except CalendarError:
            # A date near the edge of the known years: find the lines it comes from.
            self._one_by_one(policy_id, stage, list(zip(
                where.tolist(), received.tolist(), acknowledged.tolist(), strict=True)),
                first_number, out)
            return
        columns = (received, r.day_one, r.acknowledge_by, r.respond_by, r.respond_by_extended)
        iso = self._iso_memo(np.concatenate(columns))
        head = f'{{"policy": "{policy_id}", "stage": {stage}, "nation": "{policy.nation}", '
        for i, rec, one, ab, rb, ext, prov in zip(
            where.tolist(), *(c.tolist() for c in columns), r.provisional.tolist(), strict=True,
        ):
            out[i] = (
                f'{head}"received": {iso[rec]}, "day_one": {iso[one]}, '
                f'"acknowledge_by": {iso[ab]}, "respond_by": {iso[rb]}, '
                f'"respond_by_extended": {iso[ext]}, '
                f'"provisional": {"true" if prov else "false"}}}'
            )

    def _parse_clean(self, lines: list[str | bytes]) -> _Cases | None:
        """The whole block at C speed, or None if any line needs a closer look.

        Validation runs once per distinct (policy, stage) and per distinct date string.
        """
        try:
            raw = [line.encode() if isinstance(line, str) else line for line in lines]
            items = orjson.loads(b"[" + b",".join(raw) + b"]")
            if not all(type(d) is dict and d.keys() <= _FIELDS for d in items):
                return None
            keys = [(d["policy"], d["stage"]) for d in items]
            received_text = [d["received"] for d in items]
            ack_text = [d.get("acknowledged") for d in items]
            if not all(type(stage) is int for _, stage in keys):
                return None  # True == 1 in a dict key: booleans go the careful way
            for key in set(keys) - self._stages.keys():
                self._stages[self._check(key)] = self._clock.presets.get(key[0])
            memo = self._ordinals
            for text in (set(received_text) | set(ack_text)) - memo.keys() - {None}:
                self._ordinal({"date": text}, "date", True)
            received = [memo[t] for t in received_text]
            acknowledged = [NO_DATE if t is None else memo[t] for t in ack_text]
        except Exception:
            return None
        if any(a != NO_DATE and a < r for r, a in zip(received, acknowledged, strict=True)):
            return None
        return keys, received, acknowledged

    def _parse_each(self, lines: list[str | bytes], first_number: int, out: list[str]) -> _Cases:
        keys: list[tuple[str, int]] = []
        received: list[int] = []
        acknowledged: list[int] = []
        for i, line in enumerate(lines):
            try:
                key, rec, ack = self._parse(line)
            except (ValueError, PolicyError, CalendarError) as exc:
                out[i] = _error(first_number + i, exc)
                key, rec, ack = _SKIP, NO_DATE, NO_DATE
            keys.append(key)
            received.append(rec)
            acknowledged.append(ack)
        return keys, received, acknowledged

    def _iso_memo(self, ordinals: Any) -> dict[int, str]:
        """The memo, holding every ordinal given (a few thousand distinct dates at most)."""
        memo = self._iso
        for ordinal in np.unique(ordinals).tolist():
            if ordinal not in memo:
                memo[ordinal] = f'"{date.fromordinal(ordinal).isoformat()}"'
        return memo

    def _one_by_one(self, policy_id: str, stage: int, cases: list[tuple[int, int, int]],
                    first_number: int, out: list[str]) -> None:
        for i, received, acknowledged in cases:
            try:
                result = self._clock.deadlines(
                    policy_id, stage, date.fromordinal(received),
                    None if acknowledged == NO_DATE else date.fromordinal(acknowledged))
                out[i] = json.dumps(result.to_json(breaches=False))  # as the array path
            except CalendarError as exc:
                out[i] = _error(first_number + i, exc)

    def _ordinal(self, item: dict[str, Any], key: str, required: bool) -> int:
        value = item.get(key)
        if value is None:
            if required:
                raise ValueError(f'"{key}" is missing')
            return NO_DATE
        if not isinstance(value, str):
            raise ValueError(f'"{key}" must be a date YYYY-MM-DD')
        ordinal = self._ordinals.get(value)
        if ordinal is None:
            try:
                ordinal = parse_iso_date(value).toordinal()
            except CalendarError as exc:
                raise ValueError(f'"{key}": {exc}') from None
            self._ordinals[value] = ordinal
        return ordinal

    def _parse(self, line: str | bytes) -> tuple[tuple[str, int], int, int]:
        if not line.strip():
            raise ValueError("empty line")
        try:
            item: Any = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise ValueError("not a JSON object") from None
        if not isinstance(item, dict):
            raise ValueError("not a JSON object")
        if len(item) > 4 or not item.keys() <= _FIELDS:
            unknown = sorted(set(item) - _FIELDS)
            raise ValueError(f"unknown field {unknown[0]!r}")
        key = (item.get("policy"), item.get("stage"))
        if key not in self._stages:
            self._stages[self._check(key)] = self._clock.presets.get(key[0])  # type: ignore[arg-type]
        received = self._ordinal(item, "received", True)
        acknowledged = self._ordinal(item, "acknowledged", False)
        if acknowledged != NO_DATE and acknowledged < received:
            raise ValueError(
                f"acknowledged {item['acknowledged']} is before received {item['received']}")
        return key, received, acknowledged  # type: ignore[return-value]

    def _check(self, key: tuple[object, object]) -> tuple[str, int]:
        policy_id, stage = key
        if not isinstance(policy_id, str):
            raise ValueError('"policy" must be a preset id')
        if not isinstance(stage, int) or isinstance(stage, bool):
            raise ValueError('"stage" must be 1 or 2')
        self._clock.presets.get(policy_id).stage(stage)
        return policy_id, stage


_FIELDS = frozenset({"policy", "stage", "received", "acknowledged"})
_SKIP = ("", 0)  # the group of lines that failed validation
_Cases = tuple[list[tuple[str, int]], list[int], list[int]]


def _error(index: int, exc: Exception) -> str:
    return json.dumps({"error": f"line {index + 1}: {exc}"})
