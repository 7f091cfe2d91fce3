"""A complaint staff log for a resident who made it another way: by phone, in person, by
letter or on social media (HOS Complaint Handling Code 2024, 3.1-3.2: complaints are made in
any way, with any member of staff; every seed policy lists these channels).

A new mail to the complaints address whose top lines are

    #complainant Jane Resident <jane@example.org>     (or: Jane Resident, 07700 900123
                                                        or: Jane Resident, 4 Elm Row, NE1 4ST)
    #received 2026-06-01                               (optional: today; a time may follow)
    #channel phone                                     (optional: phone, in-person, letter,
                                                        social-media)

then the complaint as recorded. Pure: text in, a value out; the mailroom decides who may log
(authenticated staff only) and whether the date is one a case may carry
(domain/calendar.back_dating_problem).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, tzinfo
from typing import Final

from complaints.mail.identity import usable_address
from complaints.mail.quoting import own_text

CHANNELS: Final[dict[str, str]] = {"phone": "phone", "in-person": "in person",
                                   "letter": "letter", "social-media": "social media"}
WORDS: Final = ("complainant", "received", "channel")
MAX_TOP_LINES: Final = 20  # "#" lines read at the top; a log has three at most
_LINE: Final = re.compile(r"^\s*#([a-z-]+)\s*:?\s*(.*?)\s*$", re.IGNORECASE)
_ANGLED: Final = re.compile(r"<\s*(?:mailto:)?([^<>\s]+@[^<>\s]+)\s*>", re.IGNORECASE)
_BARE: Final = re.compile(r"(?:mailto:)?([^\s<>,;\"'()]+@[^\s<>,;\"'()]+)", re.IGNORECASE)
_PHONE: Final = re.compile(r"^\+?[0-9][0-9 ().-]{5,30}$")
_RECEIVED: Final = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2}))?$")


@dataclass(frozen=True)
class Logged:
    """What the top lines say; ``problems`` say why no case can be opened from them."""

    name: str = ""
    email: str = ""
    phone: str = ""
    postal: str = ""  # a postal address, as written
    received_on: date | None = None
    received_time: time | None = None
    channel: str = ""  # a CHANNELS value ("" when not given)
    text: str = ""  # the complaint as recorded
    problems: tuple[str, ...] = field(default_factory=tuple)

    def received_at(self, zone: tzinfo) -> datetime | None:
        """The receipt instant in ``zone`` (London): the time given, else the day's start."""
        if self.received_on is None:
            return None
        return datetime.combine(self.received_on, self.received_time or time(0, 0),
                                tzinfo=zone)

    @property
    def contact(self) -> dict[str, str]:
        """The case's contact details, as the web form records them (no email: a preferred
        way, so the held receipt letter says how to reach them)."""
        out: dict[str, str] = {}
        if self.phone:
            out["phone"] = self.phone
        if self.postal:
            out["address"] = self.postal
        if not self.email:
            out["preferred"] = "post" if self.postal else "phone"
        return out


def read_logged(text: str) -> Logged | None:
    """The log at the top of ``text``, or None when its top "#" lines are none of
    #complainant, #received and #channel (not a log: another staff mail)."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    found: list[tuple[str, str]] = []
    i = 0
    while i < len(lines) and len(found) < MAX_TOP_LINES:
        line = lines[i].strip().lstrip("\u200b\ufeff")
        if not line:
            i += 1
            continue
        match = _LINE.match(line)
        if not match:
            break
        found.append((match.group(1).lower(), match.group(2)))
        i += 1
    if not any(word in WORDS for word, _ in found):
        return None
    problems: list[str] = []
    values: dict[str, str] = {}
    for word, argument in found:
        if word not in WORDS:
            problems.append(f"#{word} is not a line of a logged complaint (#complainant, "
                            "#received, #channel): log it first, then reply to the "
                            "confirmation with the case's commands")
        elif word in values:
            problems.append(f"#{word} is given twice")
        else:
            values[word] = argument
    logged = Logged(text=own_text("\n".join(lines[i:])).strip()[:200_000])
    if "complainant" not in values:
        problems.append("no #complainant line: say who made the complaint, as "
                        "#complainant Name <email> or #complainant Name, <phone or address>")
    else:
        logged, why = _complainant(logged, values["complainant"])
        problems += why
    if "received" in values:
        logged, why = _received(logged, values["received"])
        problems += why
    if "channel" in values:
        channel = CHANNELS.get(values["channel"].strip().lower())
        if channel is None:
            problems.append(f"#channel {values['channel'][:40]!r} is not one of "
                            f"{', '.join(CHANNELS)}")
        else:
            logged = _with(logged, channel=channel)
    if not logged.text:
        problems.append("no complaint below the # lines: write it down as the resident made it")
    return _with(logged, problems=tuple(problems))


def _complainant(logged: Logged, value: str) -> tuple[Logged, list[str]]:
    value = value.strip()[:500]
    angled = _ANGLED.findall(value)
    addresses = angled or _BARE.findall(value)
    if len(set(a.lower() for a in addresses)) > 1:
        return logged, [f"#complainant names {len(addresses)} email addresses: one complainant "
                        "a case"]
    name, rest, email = value, "", ""
    if addresses:
        local, _, domain = addresses[0].rpartition("@")
        email = usable_address(local, domain) or ""
        if not email:
            return logged, [f"{addresses[0][:80]!r} is not a usable email address"]
        match = (_ANGLED if angled else _BARE).search(value)
        assert match is not None
        name, rest = value[:match.start()], value[match.end():]
    else:
        name, _, rest = value.partition(",")
    name = name.strip().strip(",").strip().strip('"').strip()
    rest = rest.strip().lstrip(",").strip()
    phone = rest if _PHONE.match(rest) and sum(c.isdigit() for c in rest) >= 7 else ""
    postal = "" if phone else rest
    if not (email or phone or postal):
        return logged, ["#complainant needs a way to reach them: an email address "
                        "(Name <email>), or a phone number or postal address after a comma"]
    if not name and not email:
        return logged, ["#complainant needs the complainant's name"]
    return _with(logged, name=name[:200], email=email, phone=phone[:40], postal=postal[:300]), []


def _received(logged: Logged, value: str) -> tuple[Logged, list[str]]:
    match = _RECEIVED.match(value.strip())
    if not match:
        return logged, [f"#received {value[:40]!r}: write the date as YYYY-MM-DD (a time may "
                        "follow: 2026-06-01 14:30)"]
    year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3))
    try:
        on = date(year, month, day)
        at = time(int(match.group(4)), int(match.group(5))) if match.group(4) else None
    except ValueError:
        return logged, [f"#received {value[:40]!r} is not a real date or time"]
    return _with(logged, received_on=on, received_time=at), []


def _with(logged: Logged, **changes: object) -> Logged:
    return replace(logged, **changes)  # type: ignore[arg-type]


__all__ = ["CHANNELS", "Logged", "read_logged"]
