"""The form's pages, rendered with jinja2 from templates/web/ (beside the letters).

Autoescaping is on for every page: whatever a resident typed is shown as text, never markup.
"""

from __future__ import annotations

import functools
from typing import Any

import jinja2

from complaints.mail.letters import TEMPLATES, _filesize, _longdate
from complaints.web.form import BY_NAME, PREFERENCES


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["longdate"] = _longdate
    env.filters["filesize"] = _filesize
    return env


@functools.cache
def stylesheet() -> bytes:
    return (TEMPLATES / "web" / "form.css").read_bytes()


def _render(name: str, **context: Any) -> str:
    return _environment().get_template(f"web/{name}.html.j2").render(**context)


def form(landlord: str, complaints_address: str, token: str, values: dict[str, str],
         errors: dict[str, str], anonymous_allowed: bool) -> str:
    return _render("form", title="Make a complaint", landlord=landlord,
                   complaints_address=complaints_address, token=token,
                   values={name: values.get(name, "") for name in BY_NAME}, errors=errors,
                   limits={name: f.limit for name, f in BY_NAME.items()},
                   preferences=PREFERENCES, anonymous_allowed=anonymous_allowed)


def confirmation(landlord: str, complaints_address: str, **context: Any) -> str:
    errors = {"file": context["upload_error"]} if context.get("upload_error") else {}
    return _render("confirmation", title="Complaint received", landlord=landlord,
                   complaints_address=complaints_address, errors=errors, **context)


def problem(landlord: str, complaints_address: str, title: str, message: str,
            confirmation: str = "") -> str:
    return _render("problem", title=title, message=message, landlord=landlord,
                   complaints_address=complaints_address, errors={}, confirmation=confirmation)
