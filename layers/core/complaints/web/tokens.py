"""Signed, expiring tokens for the web form (HMAC-SHA256 over a purpose, a value and a time).

- The browser cookie: a random id, HttpOnly and SameSite=Strict, kept a day; every tab shares it.
- The form token (CSRF): a random nonce and a time, signed together with the browser's id into
  a hidden field. A post must carry a token signed for the cookie it carries, younger than the
  limit. The nonce is also the submission's idempotency key: a form sent twice is one case, and
  the second post of a token is refused (the store's INBOUND marker, service/webform.py).
- The confirmation link: the reference and an expiry, signed. Whoever holds it (the browser it
  was given to: it is never emailed, and pages send no Referer) sees the confirmation and may
  add files, for a while. It cannot be tied to the cookie: a browser coming back from the file
  store is on a cross-site redirect, which carries no SameSite=Strict cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta


class TokenError(ValueError):
    """A token that is missing, altered, mismatched or out of date: the reason says which."""


def _sign(secret: bytes, purpose: str, value: str, stamp: int) -> str:
    mac = hmac.new(secret, f"{purpose}\n{value}\n{stamp}".encode(), hashlib.sha256)
    return mac.hexdigest()[:40]


def new_browser_id() -> str:
    """The form cookie's value: names this browser (every tab shares it) for a day."""
    return secrets.token_urlsafe(18)


def is_browser_id(value: str) -> bool:
    return len(value) == 24 and all(c.isalnum() or c in "-_" for c in value)


def new_form_token(secret: bytes, browser: str, now: datetime) -> str:
    """A token for one rendering of the form, bound to this browser's cookie. Its nonce is the
    submission's idempotency key, so two tabs are two complaints and one tab sent twice is one."""
    nonce = secrets.token_urlsafe(18)
    stamp = int(now.timestamp())
    return f"{nonce}.{stamp}.{_sign(secret, 'form', f'{nonce}|{browser}', stamp)}"


def check_form_token(secret: bytes, token: str, browser: str, now: datetime,
                     max_age: timedelta) -> str:
    """The nonce of a good token; TokenError otherwise (``expired`` only for a token that is
    ours, for this browser, and too old)."""
    if not token:
        raise TokenError("the form's security token is missing")
    if not browser:
        raise TokenError("your browser did not send the form's cookie (cookies may be blocked, "
                         "or the form was open for more than a day)")
    nonce, stamp = _parts(token)
    if not hmac.compare_digest(token.rsplit(".", 1)[1],
                               _sign(secret, "form", f"{nonce}|{browser}", stamp)):
        raise TokenError("the form's security token was not issued to this browser")
    age = now.timestamp() - stamp
    if age > max_age.total_seconds():
        raise TokenError("the form was open too long and has expired")
    if age < -300:
        raise TokenError("the form's security token is from the future")
    return nonce


def seal(secret: bytes, purpose: str, value: str, until: datetime) -> str:
    stamp = int(until.timestamp())
    return f"{value}.{stamp}.{_sign(secret, purpose, value, stamp)}"


def unseal(secret: bytes, purpose: str, token: str, now: datetime) -> str:
    value, stamp = _parts(token)
    if not hmac.compare_digest(token.rsplit(".", 1)[1], _sign(secret, purpose, value, stamp)):
        raise TokenError("this link is not one we issued")
    if now.timestamp() > stamp:
        raise TokenError("this link has expired")
    return value


def _parts(token: str) -> tuple[str, int]:
    parts = token.split(".")
    if len(token) > 200 or len(parts) != 3 or not parts[1].isascii() or not parts[1].isdigit():
        raise TokenError("the security token is malformed")
    return parts[0], int(parts[1])
