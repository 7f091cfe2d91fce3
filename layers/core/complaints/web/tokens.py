"""Signed, expiring tokens for the web form (HMAC-SHA256 over a purpose, a value and a time).

- The form token (CSRF): a random nonce, set as an HttpOnly SameSite=Strict cookie and signed
  into a hidden field. A post must carry both, matching, signed by us and younger than the
  limit. The nonce is also the submission's idempotency key: a form sent twice is one case, and
  the second post of a token is refused (the store's INBOUND marker, service/webform.py).
- The confirmation token: the reference and an expiry, so only the browser that sent the
  complaint sees its confirmation page and may add files to it, for a while.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta


class TokenError(ValueError):
    """A token that is missing, altered, mismatched or out of date: the reason says which."""


def _sign(secret: bytes, purpose: str, value: str, stamp: int) -> str:
    mac = hmac.new(secret, f"{purpose}\n{value}\n{stamp}".encode(), hashlib.sha256)
    return mac.hexdigest()[:40]


@dataclass(frozen=True)
class FormToken:
    token: str  # the hidden field
    cookie: str  # the cookie's value (the nonce)


def new_form_token(secret: bytes, now: datetime) -> FormToken:
    nonce = secrets.token_urlsafe(18)
    stamp = int(now.timestamp())
    return FormToken(f"{nonce}.{stamp}.{_sign(secret, 'form', nonce, stamp)}", nonce)


def check_form_token(secret: bytes, token: str, cookie: str, now: datetime,
                     max_age: timedelta) -> str:
    """The nonce of a good token; TokenError otherwise."""
    if not token:
        raise TokenError("the form's security token is missing")
    if not cookie:
        raise TokenError("the form's security cookie is missing (cookies may be blocked)")
    nonce, stamp = _parts(token)
    if not hmac.compare_digest(token.rsplit(".", 1)[1], _sign(secret, "form", nonce, stamp)):
        raise TokenError("the form's security token is not one we issued")
    if not hmac.compare_digest(nonce, cookie):
        raise TokenError("the form's security token does not match this browser's cookie")
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
