"""The letter linter: what a letter of a kind lacks (or wrongly says) under its policy's regime.

The rules are data in the regime files (regimes/*.toml, `[[letters.<kind>]]`), for the kinds
mail/letter_kinds.py lists (a kind no regime judges has no rules to break); the service
runs this on every letter before it is sent and refuses to send one that fails, and
`complaints check-letter TYPE FILE.eml --policy ID` runs it on a file. Each part of the letter
(plain text and HTML) is checked on its own: a resident may read either.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from typing import Any

from complaints.domain.policy import Policy
from complaints.domain.regime import LetterRule, Regime
from complaints.mail import letter_kinds
from complaints.mail.addresses import plus_tag
from complaints.mail.html_text import html_to_text
from complaints.mail.inbound import find_reference


@dataclass(frozen=True)
class Finding:
    rule: str
    what: str
    part: str  # "text", "html" or "letter"
    problem: str  # "lacks" or "must not say"
    source: str

    def line(self) -> str:
        return f"{self.problem} {self.what} [{self.rule}] ({self.part} part; {self.source})"


def check(kind: str, letter: Message | bytes, policy: Policy, regime: Regime | None,
          stage: int = 1, reference: str | None = None) -> list[Finding]:
    """Every rule of ``kind`` the letter breaks; [] when it is fit to send.

    ``reference``: the case's, which the letter must quote. Without it (a file given to
    check-letter), the reference in the subject, else the one in Reply-To's +tag: an imported
    case keeps its previous system's reference, which is not in this service's numbering."""
    message = (email.message_from_bytes(letter, policy=email.policy.default)
               if isinstance(letter, bytes) else letter)
    if regime is None:
        return []
    known = letter_kinds.KINDS.get(kind)
    rules = known.rules_in(regime) if known is not None else None
    if rules is None:
        return [Finding("kind", f"a known letter kind (the {regime.id} rules cover "
                        f"{', '.join(sorted(regime.letters)) or 'none'})", "letter", "lacks",
                        regime.file)]
    values = _values(message, policy, reference)
    conditions = _conditions(policy, stage)
    findings = []
    for part, text in _parts(message):
        for rule in rules:
            if all(conditions.get(k) == v for k, v in rule.when):
                findings.extend(_apply(rule, part, text, values))
    return findings


def _apply(rule: LetterRule, part: str, text: str, values: dict[str, str]) -> list[Finding]:
    src = f"{rule.source.seed.split('_')[0]} {rule.source.where}"

    def found(pattern: str) -> bool:
        filled = re.sub(r"\{([a-z_]+)\}", lambda m: re.escape(values.get(m.group(1), "\x00")),
                        pattern)
        return re.search(filled, text, re.IGNORECASE) is not None

    if rule.requires:
        hits = [found(p) for p in rule.requires]
        if not (all(hits) if rule.all else any(hits)):
            return [Finding(rule.id, rule.what, part, "lacks", src)]
    if rule.forbids and any(found(p) for p in rule.forbids):
        return [Finding(rule.id, rule.what, part, "must not say", src)]
    return []


def _values(message: Message, policy: Policy, reference: str | None) -> dict[str, str]:
    if not reference:
        found = find_reference(str(message.get("Subject", "")))  # whole, as mail is threaded
        tag = plus_tag(_address(message, "Reply-To"))
        reference = found or tag or None
    o = policy.ombudsman
    return {"reference": reference or "\x00",
            "complaints_address": _address(message, "From") or "\x00", "ombudsman_name": o.name,
            "ombudsman_phone": o.phone, "ombudsman_postcode": o.address[-1] if o.address else ""}


def _address(message: Message, header: str) -> str:
    """The first address in ``header`` as parsed (email.policy.default), else ""."""
    value: Any = message.get(header)
    addresses = getattr(value, "addresses", None) if value is not None else None
    return str(addresses[0].addr_spec) if addresses else ""


def _conditions(policy: Policy, stage: int) -> dict[str, Any]:
    ext = policy.stage(stage).extension
    return {"agreement": ext.agreement, "hard_cap": ext.hard_cap,
            "signpost": policy.ombudsman.signpost, "stage": stage}


def _parts(message: Message) -> list[tuple[str, str]]:
    parts: list[tuple[str, str]] = []
    assert isinstance(message, EmailMessage) or hasattr(message, "walk")
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype not in ("text/plain", "text/html") or part.get_filename():
            continue
        try:
            content = part.get_content() if isinstance(part, EmailMessage) else \
                part.get_payload(decode=True).decode("utf-8", "replace")  # type: ignore[union-attr]
        except Exception:
            continue
        text = html_to_text(str(content)) if ctype == "text/html" else str(content)
        parts.append(("html" if ctype == "text/html" else "text", re.sub(r"\s+", " ", text)))
    return parts or [("letter", "")]


def findings_for(presets: Any, kind: str, message: Message | bytes, case: Any) -> list[str]:
    """What a letter of ``kind`` for ``case`` lacks under its policy and regime, one line a
    finding ([]: fit to send): Post asks this before every letter it sends."""
    policy = presets.get(case.policy)
    regime = presets.regime_for(policy.nation)
    return [f.line() for f in check(kind, message, policy, regime, case.stage, case.reference)]

