"""What a resident's own words ask for: whether a reply asks for the next stage, and whether
it is only thanks.

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


# "Thanks", "OK thank you", "Great, cheers!": what a satisfied reply says, and nothing else.
_THANKS = re.compile(
    r"(?:(?:many|great|big)\s+)?(?:thanks?(?:\s+you)?(?:\s+(?:so|very)\s+much)?|thx|ty|cheers|"
    r"ok(?:ay)?|great|perfect|lovely|brilliant|noted|received|got\s+it|that'?s\s+(?:fine|great)|"
    r"(?:that'?s\s+)?(?:all\s+)?sorted(?:\s+now)?|understood|appreciated|fine|"
    r"(?:kind(?:est)?\s+|best\s+|warm\s+)?regards|best(?:\s+wishes)?|"
    r"(?:hi|hello|dear)(?:\s+[a-z]+)?)",
    re.IGNORECASE)
_THANKS_MAX_WORDS = 12


def only_thanks(own_text: str) -> bool:
    """True when the resident's own words are thanks or an acknowledgement and nothing more
    ("Thank you", "OK, thanks - Jo"): anything else is read as more to say. A reply to a
    not-a-complaint decision that is more than thanks opens a complaint, since dissatisfaction
    needs no particular word (HOS Code 1.3); erring that way costs a stage 1, erring the other
    way loses a complaint."""
    words = own_text.split()
    if not words or len(words) > _THANKS_MAX_WORDS:
        return not words  # an empty reply (only attachments) is not dissatisfaction either
    parts = [x.strip() for x in re.split(r"[.,;:!?\n\-]+", own_text) if x.strip()]
    # each part is a thanks phrase, or a short sign-off name ("Jo", "Mrs Sharma")
    return all(_THANKS.fullmatch(x) or (len(x.split()) <= 2 and x.replace(" ", "").isalpha()
                                        and x[0].isupper() and i == len(parts) - 1)
               for i, x in enumerate(parts))
