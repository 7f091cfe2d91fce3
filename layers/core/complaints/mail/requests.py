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
    ("Thank you", "OK, thanks - Jo", "Thanks\nJo Bloggs"): anything else is read as more to
    say. A reply to a not-a-complaint decision that is more than thanks opens a complaint, since
    dissatisfaction needs no particular word (HOS Code 1.3); erring that way costs a stage 1,
    erring the other way loses a complaint. So a name is a sign-off only on a line of its own
    or after a dash, and only below thanks: "Still broken", "Nobody came", "Thanks. Still
    Leaking" are more to say."""
    words = own_text.split()
    if not words:
        return True  # nothing to read (the caller weighs any attachments)
    if len(words) > _THANKS_MAX_WORDS:
        return False
    lines = [x.strip() for x in own_text.strip().splitlines() if x.strip()]
    last = lines[-1]
    name = ""
    if len(lines) > 1 and _NAME.fullmatch(last):
        name, lines = last, lines[:-1]
    elif (dash := re.search(r"(?:\s[-\u2013\u2014]|,)\s*([^-\u2013\u2014,]+)$", last)) and \
            _NAME.fullmatch(dash.group(1).strip()) and \
            _THANKS.fullmatch(re.split(r"[.,;:!?]+", last[:dash.start()].strip(" .,;:!?"))[-1].strip()):
        # "Thanks, Jo" / "OK thanks - Jo": a name after a comma or dash, right after thanks
        name, lines = dash.group(1), [*lines[:-1], last[:dash.start()]]
    parts = [x.strip() for x in re.split(r"[.,;:!?\n]+", "\n".join(lines)) if x.strip()]
    return (bool(parts) and all(_THANKS.fullmatch(x) for x in parts)) or (not parts and bool(name))


# a sign-off name: one or two capitalised words ("Jo", "Mrs Sharma", "Jo Bloggs")
_NAME = re.compile(r"[A-Z][a-z'\u00c0-\u024f]*\.?(?:\s+[A-Z][A-Za-z'\u00c0-\u024f-]*)?")
