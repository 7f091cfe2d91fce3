"""What a resident's own words ask for: here, whether a reply asks for the next stage.

Only the resident's new text counts (quoted letters mention escalation themselves), and a
mention inside a negated clause ("no need to escalate", "I don't want stage 2") is not a
request. A request the words miss is still on the case for staff to read; a false request
would open a stage the resident did not ask for and start its clock.
"""

from __future__ import annotations

import re

_SUBJECT = re.compile(r"^\s*(?:(?:re|fwd?|aw|sv|antw)\s*:\s*)*escalate\b", re.IGNORECASE)
_ASK = re.compile(r"\bescalat\w*|\bstage\s*(?:2|two)\b|\bnext\s+stage\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.,;:!?\n]|\bbut\b|\bhowever\b", re.IGNORECASE)
_NEGATION = re.compile(r"\b(?:no|not|don'?t|doesn'?t|do\s+not|won'?t|will\s+not|never|"
                       r"without|isn'?t|is\s+not|no\s+longer|neither|nor)\b|n't\b",
                       re.IGNORECASE)
_WINDOW = 60  # characters before a mention searched for its clause


def asks_for_next_stage(subject: str, own_text: str) -> bool:
    """True for the escalation link's subject, or a mention of escalating / stage 2 in the
    resident's own words that is not negated in its clause."""
    if _SUBJECT.match(subject or ""):
        return True
    text = own_text[:5000]
    for match in _ASK.finditer(text):
        before = text[max(0, match.start() - _WINDOW):match.start()]
        clause = _CLAUSE_END.split(before)[-1]
        if not _NEGATION.search(clause):
            return True
    return False
