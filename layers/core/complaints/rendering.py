"""The templates and the one jinja2 Environment that renders them: letters, the web form's
pages, the evidence bundle's timeline and the annual report.

The templates live in the repository's top-level ``templates/`` (letters at its root, with
their ``_partials``; ``web/``, ``bundle/`` and ``reports/`` beside them). Where they are is
decided once per process:

1. ``COMPLAINTS_TEMPLATES_DIR``, when set (a landlord's own copy);
2. else the checkout's ``templates/``, when the package runs from one (an editable install,
   the tests, the local stack);
3. else the copy shipped inside the package, ``complaints/templates/`` (a wheel built by
   ``pip install .``; the Lambda layer, which ``make build`` fills).

Autoescaping is by extension: ``*.html.j2`` escapes whatever a resident or a member of staff
wrote, ``*.txt.j2`` keeps it as written. A missing field is an error, never a blank in a
letter. Every template has the same filters.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import jinja2

from complaints.config import settings
from complaints.domain.calendar import LONDON
from complaints.domain.measures import percent
from complaints.mail.wording import longdate as _long

PACKAGE: Final = Path(__file__).resolve().parent
SHIPPED: Final = PACKAGE / "templates"  # the copy a wheel or the layer carries
NO_DATA: Final = "no data"
MONTH_ABBR: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                     "Dec")


class TemplatesMissing(RuntimeError):
    """No templates directory where one was looked for: the package was installed without
    them, or COMPLAINTS_TEMPLATES_DIR names a directory that is not there."""


def find_templates(configured: Path | None, package: Path = PACKAGE) -> Path:
    """Where the templates are: ``configured``, else the checkout's, else the shipped copy."""
    if configured is not None:
        if not configured.is_dir():
            raise TemplatesMissing(f"COMPLAINTS_TEMPLATES_DIR={configured}: not a directory")
        return configured
    root = package.parents[2]  # <checkout>/layers/core/complaints -> <checkout>
    if (root / "pyproject.toml").is_file() and (root / "templates").is_dir():
        return root / "templates"
    shipped = package / "templates"
    if shipped.is_dir():
        return shipped
    raise TemplatesMissing(f"no templates: neither {root / 'templates'} (a checkout) nor "
                           f"{shipped} (an installed package); set COMPLAINTS_TEMPLATES_DIR")


@functools.cache
def templates_dir() -> Path:
    return find_templates(settings().templates_dir)


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",),
                                            default_for_string=True),
        undefined=jinja2.StrictUndefined,  # a missing field is a bug, not a blank in a letter
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(longdate=long_date_text, filesize=filesize, london=london_time,
                       plain=plain, pct=fmt_pct, num=fmt_num, gbp=fmt_gbp, month=month_label)
    env.globals["share"] = fmt_share
    return env


def render(name: str, context: dict[str, Any]) -> str:
    return environment().get_template(name).render(context)


# --- the filters ----------------------------------------------------------------------------


def long_date_text(d: object) -> object:
    """Monday 1 June 2026, from a date or the ISO text a stored letter keeps."""
    if isinstance(d, str):
        try:
            d = date.fromisoformat(d)
        except ValueError:
            return d
    return _long(d) if isinstance(d, date) else d


def filesize(size: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)


def london_time(value: Any) -> str:
    """An instant as London time, for people: 2026-11-24 10:00:05 GMT."""
    at = value if isinstance(value, datetime) else instant(value)
    if at is None:
        return str(value or "")
    return at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S %Z")


def instant(text: Any) -> datetime | None:
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def plain(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def fmt_pct(value: float | None) -> str:
    return NO_DATA if value is None else f"{value:.1f}%"


def fmt_share(part: int, whole: int) -> str:
    return fmt_pct(percent(part, whole))


def fmt_num(value: int | float | None, dp: int = 0) -> str:
    return NO_DATA if value is None else f"{value:,.{dp}f}"


def fmt_gbp(value: float | int | None) -> str:
    return NO_DATA if value is None else f"£{value:,.2f}"


def month_label(month: str) -> str:
    """'2025-04' -> 'Apr 2025' (no locale)."""
    year, number = month.split("-")
    return f"{MONTH_ABBR[int(number) - 1]} {year}"


__all__ = ["TemplatesMissing", "environment", "find_templates", "render", "templates_dir"]
