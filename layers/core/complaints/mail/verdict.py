"""What an inbound message is: its verdict, and the case reference it carries.

Verdicts, first match wins: rejected, bounce, auto_reply, reply, complaint
(docs/inbound-mail.md; `complaints parse` in docs/cli.md). Classification uses only what the
message carries; threading against the store (which messages we sent, who the parties are)
is the service's job, and reading the bytes is mail/inbound.py's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from complaints.mail.addresses import plus_tag
from complaints.mail.identity import Auth

# This service's numbering, matched whole against a token (find_reference), never searched for
# inside text: CMP-2026-000001/x is an imported case's reference, not CMP-2026-000001's.
REFERENCE: Final = re.compile(r"CMP-([0-9]{4})-([0-9]{6})")
# A token: a run of the characters a reference may hold (letters and digits of any script, and
# _ / . -, as an imported one may: service/history.py), less the / . - _ at its ends
_TOKEN: Final = re.compile(r"[\w/.\-]+")
_TOKEN_ENDS: Final = "/.-_"
_OUR_ID_PREFIX: Final = re.compile(r"(?:[0-9a-f]{32}|[0-9]+\.[0-9]+\.[0-9]+)\.")

# Subject prefixes that mail clients and servers put on automatic replies (with the colon).
# A person's "Out of office again: no repairs" has no such prefix shape and stays a complaint.
_AUTO_SUBJECT: Final = re.compile(
    r"^\s*(automatic reply|auto(matic)?[- ]?(reply|response)|auto|out of (the )?office"
    r"( reply| autoreply)?|autosvar|abwesenheitsnotiz|automatische antwort|"
    r"automatisch antwoord|r[ée]ponse automatique|respuesta autom[áa]tica|"
    r"risposta automatica|resposta autom[áa]tica|odpowied[źz] automatyczna)\s*:",
    re.IGNORECASE)
_BOUNCE_SENDER: Final = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)


# The headers a verdict is read from: mail/inbound.py hands their first values over (unfolded,
# "" when absent) as plain data, so the verdict never calls back into the reader.
VERDICT_HEADERS: Final = ("Content-Type", "Auto-Submitted", "X-Autoreply", "X-Autorespond",
                          "X-Auto-Reply", "Precedence", "List-Id", "List-Unsubscribe")


# --- the case reference ---------------------------------------------------------------------


def find_reference(*texts: str) -> str | None:
    """The first whole reference in this service's numbering in ``texts``: a token that is
    CMP-YYYY-NNNNNN and nothing more ("[CMP-2026-000001]", "CMP-2026-000001." count;
    "CMP-2026-000001/x", "xCMP-2026-0000012", "OLD.CMP-2026-000001" do not)."""
    for text in texts:
        for token in _TOKEN.finditer(text or ""):
            word = token.group(0).strip(_TOKEN_ENDS)
            if REFERENCE.fullmatch(word):
                return word
    return None


def carried_reference(subject: str, recipients: tuple[str, ...],
                      message_ids: tuple[str, ...]) -> str | None:
    """The reference a message carries: in its subject, else a recipient's plus tag
    (complaints+CMP-...@), else a Message-ID it answers (In-Reply-To, then References)."""
    return find_reference(subject, *_plus_tags(recipients),
                          *(_message_id_reference(m) for m in message_ids))


def _message_id_reference(message_id: str) -> str:
    """What a Message-ID says its case is. Our letters' ids are <random.REFERENCE@domain>
    (mail/letters.py; make_msgid's <time.pid.random.REFERENCE@domain> before), so the reference
    is all that follows the random part (an imported reference may hold dots itself); another
    sender's id is read whole."""
    local = message_id.strip().strip("<>").rpartition("@")[0]
    ours = _OUR_ID_PREFIX.match(local)
    return local[ours.end():] if ours else local


def _plus_tags(recipients: tuple[str, ...]) -> list[str]:
    return [tag.upper() for tag in map(plus_tag, recipients) if tag]


# --- the verdict ----------------------------------------------------------------------------


def classify(headers: Mapping[str, str], sender: str, subject: str, reference: str | None,
             auth: Auth) -> tuple[str, str]:
    """The verdict and its reason, first match wins."""
    if auth.virus == "fail":
        return "rejected", "virus verdict FAIL from the receiving server"
    if auth.spam == "fail":
        return "rejected", "spam verdict FAIL from the receiving server"
    content_type = headers.get("Content-Type", "").lower()
    if "multipart/report" in content_type and "delivery-status" in content_type:
        return "bounce", "delivery status notification (multipart/report)"
    if _BOUNCE_SENDER.match(sender):  # mail servers' own addresses send nothing but reports
        return "bounce", f"bounce from {sender}"
    if "multipart/report" in content_type and "disposition-notification" in content_type:
        return "auto_reply", "read receipt (multipart/report; disposition-notification)"
    auto_submitted = headers.get("Auto-Submitted", "").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return "auto_reply", f"Auto-Submitted: {auto_submitted[:60]}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if headers.get(name, ""):
            return "auto_reply", f"{name} header"
    precedence = headers.get("Precedence", "").lower()
    if precedence in ("auto_reply", "bulk", "junk", "list"):
        return "auto_reply", f"Precedence: {precedence}"
    if headers.get("List-Id", "") or headers.get("List-Unsubscribe", ""):
        return "auto_reply", "mailing-list message (List-Id/List-Unsubscribe)"
    if _AUTO_SUBJECT.match(subject):
        return "auto_reply", f"automatic-reply subject {subject[:60]!r}"
    if reference:
        return "reply", f"carries reference {reference}"
    return "complaint", "new message with no case reference"


__all__ = ["REFERENCE", "VERDICT_HEADERS", "carried_reference", "classify", "find_reference"]
