"""DynamoDB's own limits met by real mail, on DynamoDB Local: what the in-memory store only
approximates (its item size) is checked here against the real thing.
"""

from __future__ import annotations

from collections.abc import Callable

from complaints.adapters.store import Store
from complaints.service.mailroom import Outcome
from tests import mailfactory as mf


def test_non_ascii_text_near_the_bounds_is_stored_not_lost(
        deliver: Callable[..., Outcome], store: Store) -> None:
    """420 KB of accented text (the reviewer's 'é' x 210,000): stored as UTF-8, cut to the
    case's bounds, never refused by DynamoDB's 400 KB item limit and so never lost."""
    created = deliver(mf.message(body="\n".join(["é" * 300] * 700)))
    assert created.outcome == "created" and created.reference is not None, created
    [message] = [m for m in store.messages(created.reference) if m["direction"] == "in"]
    assert 0 < len(message["text"].encode("utf-8")) <= 300_000
    reply = deliver(mf.message(subject=f"Re: [{created.reference}] more",
                               body="\n".join(["😡" * 300] * 150)))
    assert (reply.outcome, reply.reference) == ("appended", created.reference)
