"""Working days per UK nation: weekends, that nation's bank holidays, landlord closure days.

Counting conventions used throughout:
- ``add_working_days(d, k)`` is the k-th working day strictly after ``d`` (k > 0), the
  |k|-th strictly before it (k < 0), or ``d`` itself (k == 0).
- ``working_days_between(a, b)`` counts the working days in (a, b]; negative when b < a.
So for a working day ``b >= a``: ``add_working_days(a, working_days_between(a, b)) == b``.

The calendar keeps a table over a span of whole years (a working-day flag per day, a running
count, and the ordinals of the working days), so each operation is two list look-ups, and a
batch is two numpy fancy-indexing operations. The span grows on demand: any year works.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Final, Protocol
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    IntArray = npt.NDArray[np.int64]

NATIONS: Final = ("england", "wales", "scotland", "northern-ireland")
LONDON: Final = ZoneInfo("Europe/London")



class HolidaySource(Protocol):
    """Bank holidays per nation; the adapter reads the `holidays` package."""

    # Years the source knows; outside them a date cannot be called a working day or not.
    supported_years: range

    def __call__(self, nation: str, years: range) -> Mapping[date, str]: ...


class CalendarError(ValueError):
    """A calendar was configured or asked for something impossible."""


@dataclass(frozen=True)
class CalendarRules:
    """What makes a day a working day for one landlord in one nation."""

    nation: str
    # Office closures and industrial-action days: not working days (SPSO App 1 counts them out).
    closure_days: frozenset[date] = field(default_factory=frozenset)
    # Bank holidays the landlord works on anyway (e.g. Scotland's proclaimed 15 June 2026).
    working_holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.nation not in NATIONS:
            raise CalendarError(f"unknown nation {self.nation!r} (valid: {', '.join(NATIONS)})")


def expand_days(items: Iterable[str]) -> frozenset[date]:
    """Parse ``YYYY-MM-DD`` and ``YYYY-MM-DD..YYYY-MM-DD`` (inclusive) items into dates."""
    days: set[date] = set()
    for item in items:
        first_text, sep, last_text = item.partition("..")
        first = parse_iso_date(first_text.strip())
        last = parse_iso_date(last_text.strip()) if sep else first
        if last < first:
            raise CalendarError(f"range {item!r} ends before it starts")
        if (last - first).days > 366:
            raise CalendarError(f"range {item!r} is longer than a year")
        days.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return frozenset(days)


def parse_iso_date(text: str) -> date:
    """Strict ``YYYY-MM-DD``: 3.11's fromisoformat also takes ``20260522`` and week dates."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise CalendarError(f"{text!r} is not a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CalendarError(f"{text!r} is not a real date ({exc})") from None


class WorkingCalendar:
    """Working-day arithmetic for one set of rules."""

    # Years built on first use around the first date asked about; grows as needed.
    _MARGIN_YEARS: Final = 2

    def __init__(self, rules: CalendarRules, bank_holidays: HolidaySource) -> None:
        self.rules = rules
        self._bank_holidays = bank_holidays
        self._first_year = 0
        self._last_year = -1
        self._start = 0  # ordinal of the first day in the table
        self._working: bytearray = bytearray()
        self._count: list[int] = []  # working days in [start, start + i]
        self._days: list[int] = []  # ordinals of working days, ascending
        self._holidays: dict[date, str] = {}
        self._np_count: IntArray | None = None
        self._np_days: IntArray | None = None

    @property
    def nation(self) -> str:
        return self.rules.nation

    # --- table --------------------------------------------------------------------------

    def _ensure_years(self, first_year: int, last_year: int) -> None:
        known = self._bank_holidays.supported_years
        first_year = max(first_year, known.start)
        last_year = min(last_year, known.stop - 1)
        if self._first_year <= first_year and last_year <= self._last_year:
            return
        if self._last_year >= self._first_year:  # widen an existing table
            first_year = min(first_year, self._first_year)
            last_year = max(last_year, self._last_year)
        holidays = dict(self._bank_holidays(self.rules.nation, range(first_year, last_year + 1)))
        unknown = sorted(
            d for d in self.rules.working_holidays
            if first_year <= d.year <= last_year and d not in holidays
        )
        if unknown:
            raise CalendarError(
                f"working_holidays: {unknown[0].isoformat()} is not a bank holiday in "
                f"{self.rules.nation}"
            )
        start = date(first_year, 1, 1).toordinal()
        end = date(last_year, 12, 31).toordinal()
        closures = {d.toordinal() for d in self.rules.closure_days}
        off = {d.toordinal() for d in holidays if d not in self.rules.working_holidays}
        off |= closures
        working = bytearray(end - start + 1)
        count: list[int] = [0] * len(working)
        days: list[int] = []
        running = 0
        for i in range(len(working)):
            ordinal = start + i
            # date.weekday() of ordinal o is (o + 6) % 7; 5 and 6 are Saturday and Sunday
            if (ordinal + 6) % 7 < 5 and ordinal not in off:
                working[i] = 1
                running += 1
                days.append(ordinal)
            count[i] = running
        self._first_year, self._last_year = first_year, last_year
        self._start, self._working, self._count, self._days = start, working, count, days
        self._holidays = holidays
        self._np_count = self._np_days = None

    def _known(self, d: date) -> None:
        known = self._bank_holidays.supported_years
        if d.year not in known:
            raise CalendarError(
                f"{d.isoformat()} is outside the years bank holidays are known for "
                f"({known.start}-{known.stop - 1})")

    def _ensure_span(self, lo: date, hi: date) -> None:
        """Make the table cover [lo, hi] as far as holidays are known; rebuilding re-bases
        indices, so callers index after calling this."""
        self._known(lo)
        self._known(hi)
        self._ensure_ordinals(lo.toordinal(), hi.toordinal())

    def _ensure_around(self, d: date, reach_days: int) -> None:
        self._known(d)
        self._ensure_ordinals(d.toordinal() - reach_days, d.toordinal() + reach_days)

    def _ensure_ordinals(self, lo: int, hi: int) -> None:
        if self._count and self._start <= lo and hi < self._start + len(self._count):
            return
        lo_year = date.fromordinal(max(lo, 1)).year
        hi_year = date.fromordinal(min(hi, date.max.toordinal())).year
        self._ensure_years(lo_year - self._MARGIN_YEARS, hi_year + self._MARGIN_YEARS)

    def _at_edge(self, forward: bool) -> bool:
        known = self._bank_holidays.supported_years
        return self._last_year >= known.stop - 1 if forward else self._first_year <= known.start

    def _edge_error(self, d: date, k: int) -> CalendarError:
        known = self._bank_holidays.supported_years
        return CalendarError(
            f"{k:+d} working days from {d.isoformat()} leaves the years bank holidays are "
            f"known for ({known.start}-{known.stop - 1})")

    # --- single dates -------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        self._ensure_around(d, 0)
        return bool(self._working[d.toordinal() - self._start])

    def why_not_working(self, d: date) -> str | None:
        """None for a working day, else the reason (weekend, the holiday's name, closure)."""
        if self.is_working_day(d):
            return None
        if d.weekday() >= 5:
            return d.strftime("%A")
        if d in self.rules.closure_days:
            return "landlord closure day"
        return self._holidays.get(d, "non-working day")

    def add_working_days(self, d: date, k: int) -> date:
        if k == 0:
            return d
        reach = abs(k) * 2 + 31  # calendar days that surely hold |k| working days, mostly
        while True:
            self._ensure_around(d, reach)
            i = d.toordinal() - self._start
            # count[i] working days are on or before d; the next one has index count[i]
            j = self._count[i] + k - 1 if k > 0 else self._count[i] - self._working[i] + k
            if 0 <= j < len(self._days):
                return date.fromordinal(self._days[j])
            if self._at_edge(k > 0):
                raise self._edge_error(d, k)
            reach *= 2  # long closures or the edge of the table: look further

    def working_days_between(self, a: date, b: date) -> int:
        self._ensure_span(min(a, b), max(a, b))
        return self._count[b.toordinal() - self._start] - self._count[a.toordinal() - self._start]

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        return self.add_working_days(d, 1)

    def working_day_on_or_after(self, d: date) -> date:
        return d if self.is_working_day(d) else self.add_working_days(d, 1)

    def holidays_in(self, first: date, last: date) -> dict[date, str]:
        """Non-working weekdays in [first, last] with the reason for each."""
        out: dict[date, str] = {}
        d = first
        while d <= last:
            reason = self.why_not_working(d) if d.weekday() < 5 else None
            if reason is not None:
                out[d] = reason
            d += timedelta(days=1)
        return out

    # --- arrays of ordinals (numpy) -----------------------------------------------------

    def _arrays(self) -> tuple[IntArray, IntArray]:
        import numpy as np

        if self._np_count is None or self._np_days is None:
            self._np_count = np.asarray(self._count, dtype=np.int64)
            self._np_days = np.asarray(self._days, dtype=np.int64)
        return self._np_count, self._np_days

    def _cover(self, ordinals: IntArray, reach_days: int) -> None:
        if ordinals.size == 0:
            return
        lo, hi = int(ordinals.min()), int(ordinals.max())
        self._known(date.fromordinal(lo))
        self._known(date.fromordinal(hi))
        self._ensure_ordinals(lo - reach_days, hi + reach_days)

    def _flags(self, ordinals: IntArray) -> IntArray:
        import numpy as np

        flags = np.frombuffer(self._working, dtype=np.uint8)
        return flags[ordinals - self._start].astype(np.int64)

    def is_working_day_array(self, ordinals: IntArray) -> npt.NDArray[np.bool_]:
        self._cover(ordinals, 0)
        return self._flags(ordinals).astype(bool)

    def add_working_days_array(self, ordinals: IntArray, k: int) -> IntArray:
        """``add_working_days`` over an array of date ordinals, for one k."""
        if k == 0 or ordinals.size == 0:
            return ordinals.copy()
        reach = abs(k) * 2 + 31
        while True:
            self._cover(ordinals, reach)
            count, days = self._arrays()
            i = ordinals - self._start
            j = count[i] + (k - 1) if k > 0 else count[i] - self._flags(ordinals) + k
            if int(j.min()) >= 0 and int(j.max()) < days.size:
                return days[j]
            if self._at_edge(k > 0):
                first = int(ordinals.max() if k > 0 else ordinals.min())
                raise self._edge_error(date.fromordinal(first), k)
            reach *= 2

    def working_day_on_or_after_array(self, ordinals: IntArray) -> IntArray:
        import numpy as np

        self._cover(ordinals, 0)
        on = self._flags(ordinals).astype(bool)
        return np.where(on, ordinals, self.add_working_days_array(ordinals, 1))


def receipt_date(instant: datetime, cutoff: time | None, calendar: WorkingCalendar) -> date:
    """The London calendar date a complaint counts as received on.

    With a cut-off (a policy option, off by default), anything arriving at or after the cut-off
    on a working day, or at any time on a non-working day, counts as received on the next
    working day: the usual "out of hours mail is received next working day" rule.
    """
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise CalendarError("a receipt time must carry a timezone (store instants in UTC)")
    local = instant.astimezone(LONDON)
    day = local.date()
    if cutoff is None:
        return day
    if calendar.is_working_day(day) and local.time() < cutoff:
        return day
    return calendar.next_working_day(day)


def london_date(instant: datetime) -> date:
    """The calendar date in London at ``instant`` (BST or GMT)."""
    return instant.astimezone(LONDON).date()


# How far back a complaint that reached the landlord another way (forwarded by staff, or logged
# by them from a call, a visit or a letter) may be dated by the service itself: further back is
# more likely a slip (a wrong year, a day and month swapped) than a complaint nobody logged for
# three months, and a case opened so late would record breaches from months ago. Beyond it a
# manager back-dates the receipt on purpose (`complaints ingest --received`).
MAX_BACK_DATING: Final = timedelta(days=90)


def back_dating_problem(received_at: datetime, now: datetime) -> str | None:
    """Why ``received_at`` cannot be a receipt time given ``now``, or None: never in the
    future, never further back than MAX_BACK_DATING."""
    if received_at > now:
        return (f"{received_at.astimezone(LONDON):%A %d %B %Y %H:%M} is in the future: a "
                "complaint is dated when we received it")
    if now - received_at > MAX_BACK_DATING:
        return (f"{received_at.astimezone(LONDON):%A %d %B %Y} is more than "
                f"{MAX_BACK_DATING.days} days ago: check the date; if it is right, a manager "
                "back-dates it with `complaints ingest --received`")
    return None
