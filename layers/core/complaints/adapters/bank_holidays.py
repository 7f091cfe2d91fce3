"""UK bank holidays per nation, from the `holidays` package, behind a small disk cache.

`import holidays` loads every country it knows (~0.25 s here), which would double the cold start
of a pure command. The cache holds the package's answers for a wide span of years, keyed on the
installed package's files (path, size, mtime), so an upgrade of `holidays` (a newly proclaimed
holiday, say) is picked up at once.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from bisect import bisect_left
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Final

SUBDIVISIONS: Final = {
    "england": "ENG",
    "wales": "WLS",
    "scotland": "SCT",
    "northern-ireland": "NIR",
}
# The years the `holidays` package knows for the UK (UnitedKingdom.start_year..end_year); the
# cache holds them all, so the package is imported only to fill the cache.
SUPPORTED_YEARS: Final = range(1872, 2101)


def from_package(nation: str, years: range) -> dict[date, str]:
    """Ask the `holidays` package directly (slow to import; exact for any year)."""
    from holidays.countries import united_kingdom

    uk: Any = united_kingdom.UnitedKingdom  # the package ships no type hints
    table = uk(subdiv=SUBDIVISIONS[nation], years=years)
    return {d: str(name) for d, name in table.items()}


def _package_fingerprint() -> str | None:
    spec = importlib.util.find_spec("holidays")
    if spec is None or spec.origin is None:
        return None
    root = Path(spec.origin).parent
    parts = []
    for rel in ("version.py", "countries/united_kingdom.py"):
        try:
            st = (root / rel).stat()
        except OSError:
            return None
        parts.append(f"{root / rel}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


class CachedBankHolidays:
    """A HolidaySource that reads the cache file and fills it from the package on a miss.

    The file holds, per nation, the holidays' ordinals (sorted) and names: loading it parses no
    dates, and a request for a span of years is two bisections.
    """

    supported_years = SUPPORTED_YEARS

    def __init__(self, cache_dir: Path | None) -> None:
        self._cache_dir = cache_dir
        self._tables: dict[str, tuple[list[int], list[str]]] | None = None

    def __call__(self, nation: str, years: range) -> Mapping[date, str]:
        if nation not in SUBDIVISIONS:
            raise ValueError(f"unknown nation {nation!r}")
        outside = [y for y in (years.start, years.stop - 1) if y not in SUPPORTED_YEARS]
        if outside:
            raise ValueError(f"no bank holidays are known for {outside[0]}")
        ordinals, names = self._load()[nation]
        lo = bisect_left(ordinals, date(years.start, 1, 1).toordinal())
        hi = bisect_left(ordinals, date(years.stop, 1, 1).toordinal()) if years.stop <= 9999 \
            else len(ordinals)
        return {date.fromordinal(o): n for o, n in zip(ordinals[lo:hi], names[lo:hi], strict=True)}

    def _load(self) -> dict[str, tuple[list[int], list[str]]]:
        if self._tables is None:
            path = self._path()
            raw = _read(path) if path is not None else None
            if raw is None:
                raw = {}
                for nation in SUBDIVISIONS:
                    table = sorted(from_package(nation, SUPPORTED_YEARS).items())
                    raw[nation] = {"ordinals": [d.toordinal() for d, _ in table],
                                   "names": [name for _, name in table]}
                if path is not None:
                    _write(path, raw)
            self._tables = {n: (t["ordinals"], t["names"]) for n, t in raw.items()}
        return self._tables

    def _path(self) -> Path | None:
        fingerprint = _package_fingerprint()
        if self._cache_dir is None or fingerprint is None:
            return None
        return self._cache_dir / f"bank-holidays-v2-{fingerprint}.json"


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # missing or damaged: rebuild it
    if not isinstance(data, dict) or set(data) != set(SUBDIVISIONS):
        return None
    for table in data.values():
        ordinals, names = table.get("ordinals"), table.get("names")
        if not (isinstance(ordinals, list) and isinstance(names, list)
                and len(ordinals) == len(names) and ordinals == sorted(ordinals)):
            return None
    return data


def _write(path: Path, data: Mapping[str, Any]) -> None:
    # A cache that cannot be written only costs speed, never correctness.
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".bank-holidays-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, separators=(",", ":"))
        os.replace(tmp, path)
    except OSError:
        pass
