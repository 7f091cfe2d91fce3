"""UK bank holidays per nation, from the `holidays` package, behind a small disk cache.

`import holidays` loads every country it knows (~0.25 s and ~250 MB here): a pure command's
cold start, or a Lambda's first invocation, should not pay that. The table of the package's
answers for every year it knows is keyed on a hash of the installed package's UK files, so an
upgrade of `holidays` (a newly proclaimed holiday, say) is picked up at once. It is looked for in
a read-only copy bundled into the package by the build (`python -m
complaints.adapters.bank_holidays DIR`, run by make), then in the writable cache directory, and
only then computed from the package.
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
BUNDLED_DIR: Final = Path(__file__).resolve().parent.parent / "data"


def from_package(nation: str, years: range) -> dict[date, str]:
    """Ask the `holidays` package directly (slow to import; exact for any year)."""
    from holidays.countries import united_kingdom

    uk: Any = united_kingdom.UnitedKingdom  # the package ships no type hints
    table = uk(subdiv=SUBDIVISIONS[nation], years=years)
    return {d: str(name) for d, name in table.items()}


def package_fingerprint() -> str | None:
    """A hash of the installed package's version and UK rules (found without importing it)."""
    spec = importlib.util.find_spec("holidays")
    if spec is None or spec.origin is None:
        return None
    root = Path(spec.origin).parent
    digest = hashlib.sha256()
    for rel in ("version.py", "countries/united_kingdom.py"):
        try:
            digest.update((root / rel).read_bytes())
        except OSError:
            return None
    return digest.hexdigest()[:16]


def table_name(fingerprint: str) -> str:
    return f"bank-holidays-{fingerprint}.json"


def compute_table() -> dict[str, dict[str, list[Any]]]:
    raw: dict[str, dict[str, list[Any]]] = {}
    for nation in SUBDIVISIONS:
        table = sorted(from_package(nation, SUPPORTED_YEARS).items())
        raw[nation] = {"ordinals": [d.toordinal() for d, _ in table],
                       "names": [name for _, name in table]}
    return raw


def write_bundle(directory: Path) -> Path:
    """Write the table for the installed `holidays` into ``directory`` (the build's copy)."""
    fingerprint = package_fingerprint()
    if fingerprint is None:
        raise RuntimeError("the holidays package is not installed")
    path = directory / table_name(fingerprint)
    if _read(path) is None:
        for stale in directory.glob("bank-holidays-*.json"):
            stale.unlink()
        _write(path, compute_table())
    return path


class CachedBankHolidays:
    """A HolidaySource that reads the cache file and fills it from the package on a miss.

    The file holds, per nation, the holidays' ordinals (sorted) and names: loading it parses no
    dates, and a request for a span of years is two bisections.
    """

    supported_years = SUPPORTED_YEARS

    def __init__(self, cache_dir: Path | None, bundled_dir: Path | None = BUNDLED_DIR) -> None:
        self._cache_dir, self._bundled_dir = cache_dir, bundled_dir
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
            fingerprint = package_fingerprint()
            name = table_name(fingerprint) if fingerprint else None
            raw = None
            for directory in (self._bundled_dir, self._cache_dir):
                if raw is None and directory is not None and name is not None:
                    raw = _read(directory / name)
            if raw is None:
                raw = compute_table()
                if self._cache_dir is not None and name is not None:
                    _write(self._cache_dir / name, raw)
            self._tables = {n: (t["ordinals"], t["names"]) for n, t in raw.items()}
        return self._tables


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
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; a Lambda layer's reader is another user
        os.replace(tmp, path)
    except OSError:
        pass


if __name__ == "__main__":
    import sys

    print(write_bundle(Path(sys.argv[1]) if len(sys.argv) > 1 else BUNDLED_DIR))
