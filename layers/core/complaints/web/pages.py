"""The form's pages, rendered from templates/web/ by the one Environment (rendering.py).

The pages are *.html.j2, so autoescaping is on for every one: whatever a resident typed is
shown as text, never markup.
"""

from __future__ import annotations

import functools
from typing import Any

from complaints import rendering
from complaints.web.form import BY_NAME, PREFERENCES


@functools.cache
def stylesheet() -> bytes:
    return (rendering.templates_dir() / "web" / "form.css").read_bytes()


def _render(name: str, **context: Any) -> str:
    return rendering.render(f"web/{name}.html.j2", context)


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
