"""Which nation's rules a complaint falls under, and why.

In order (docs/clock.md, "The nation of a case"): the mailbox it was sent to; the resident
register (the landlord's tenancy export); one property postcode the resident states, when every
postcode in what they wrote points to the same nation; else the landlord's default. Anything
not settled by the mailbox or the register is flagged "nation to confirm" with the reason, for
the handler to confirm or correct.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

# Full UK postcodes (outward and inward code). Only a full postcode counts as "stated".
POSTCODE: Final = re.compile(r"\b([A-Z]{1,2})(\d[A-Z\d]?)\s*(\d[A-Z]{2})\b")

_SCOTLAND: Final = frozenset({"AB", "DD", "DG", "EH", "FK", "G", "HS", "IV", "KA", "KW", "KY",
                              "ML", "PA", "PH", "TD", "ZE"})
_WALES: Final = frozenset({"CF", "LL", "NP", "SA", "LD"})
_NORTHERN_IRELAND: Final = frozenset({"BT"})
_ENGLAND: Final = frozenset({
    "AL", "B", "BA", "BB", "BD", "BH", "BL", "BN", "BR", "BS", "CA", "CB", "CH", "CM", "CO", "CR",
    "CT", "CV", "CW", "DA", "DE", "DH", "DL", "DN", "DT", "DY", "E", "EC", "EN", "EX", "FY", "GL",
    "GU", "HA", "HD", "HG", "HP", "HR", "HU", "HX", "IG", "IP", "KT", "L", "LA", "LE", "LN", "LS",
    "LU", "M", "ME", "MK", "N", "NE", "NG", "NN", "NR", "NW", "OL", "OX", "PE", "PL", "PO", "PR",
    "RG", "RH", "RM", "S", "SE", "SG", "SK", "SL", "SM", "SN", "SO", "SP", "SR", "SS", "ST", "SW",
    "SY", "TA", "TF", "TN", "TQ", "TR", "TS", "TW", "UB", "W", "WA", "WC", "WD", "WF", "WN", "WR",
    "WS", "WV", "YO"})
# Guernsey, Jersey, the Isle of Man: postcodes, but in none of the UK's four nations
_CROWN_DEPENDENCIES: Final = frozenset({"GY", "JE", "IM"})
# Districts that straddle a border: the postcode alone cannot say (TD15 Berwick-upon-Tweed is
# England with Scottish villages; TD12 Cornhill is England, Coldstream Scotland; the Welsh
# Marches). Wales also takes some districts of English-lettered areas.
_BORDER: Final = frozenset({"TD12", "TD15", "LD7", "LD8", "SY10", "SY13", "SY14", "CH4", "HR2",
                            "HR3", "NP7", "NP16", "NP25", "GL16"})
_WELSH_DISTRICTS: Final = frozenset({*(f"SY{n}" for n in range(15, 26)),
                                     *(f"CH{n}" for n in range(5, 9))})


def postcode_nation(area: str, district: str) -> str | None:
    """england | scotland | wales | northern-ireland | crown-dependency, None on a border
    district, or "unknown" for a postcode area that does not exist (a typing slip)."""
    outward = f"{area}{district}"
    if outward in _BORDER:
        return None
    if outward in _WELSH_DISTRICTS:
        return "wales"
    if area in _SCOTLAND:
        return "scotland"
    if area in _WALES:
        return "wales"
    if area in _NORTHERN_IRELAND:
        return "northern-ireland"
    if area in _CROWN_DEPENDENCIES:
        return "crown-dependency"
    return "england" if area in _ENGLAND else "unknown"


@dataclass(frozen=True)
class Postcode:
    text: str
    nation: str | None  # None: a border district

    @property
    def outward(self) -> str:
        return self.text.split(" ")[0]


def postcodes_in(text: str, limit: int = 50) -> list[Postcode]:
    """The distinct full postcodes in ``text``, in order, with the nation each points to."""
    found: dict[str, Postcode] = {}
    for match in POSTCODE.finditer(text.upper()):
        code = f"{match.group(1)}{match.group(2)} {match.group(3)}"
        nation = postcode_nation(match.group(1), match.group(2))
        if code not in found and nation != "unknown":  # not a real area: not a postcode
            found[code] = Postcode(code, nation)
        if len(found) >= limit:
            break
    return list(found.values())


def residents_words(text: str) -> str:
    """What the resident wrote themselves: quoted history ("> ..." lines, "On ... wrote:" and
    Outlook's "From: ... Sent:" blocks onward) and forwarded messages are someone else's."""
    kept = []
    for line in text.splitlines():
        stripped = line.strip()
        if re.match(r"^(on .{0,200} wrote:|-----\s*original message\s*-----|from:\s.+|"
                    r"-{4,}\s*forwarded message.*)$", stripped, re.IGNORECASE):
            break  # quoted history, or a forwarded message (the parser labels those too)
        if stripped.startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept)


@dataclass(frozen=True)
class NationChoice:
    policy: str
    nation: str | None  # the nation that decided, if any
    reason: str
    to_confirm: bool  # not settled by mailbox or register: the handler confirms


@dataclass(frozen=True)
class NationPolicies:
    """Which preset a complaint about a home in each nation takes: the one map every channel
    (mail, web form) decides by. ``default`` (COMPLAINTS_DEFAULT_POLICY) takes its own nation
    and whatever no entry covers; ``entries`` (COMPLAINTS_NATION_POLICIES) win over it;
    ``fallback`` entries (COMPLAINTS_SCOTTISH_POLICY, from before the map) give way to both, so
    a landlord whose default is a Scottish preset keeps it for Scottish homes."""

    default: str
    entries: Mapping[str, str] = field(default_factory=dict)
    fallback: Mapping[str, str] = field(default_factory=dict)

    def table(self, default_nation: str) -> dict[str, str]:
        """nation -> preset id, once the default preset's nation is known."""
        return {**self.fallback, default_nation: self.default, **self.entries}

    def presets(self, default_nation: str) -> list[str]:
        """Every preset a complaint may start under (the default first)."""
        return list(dict.fromkeys((self.default, *self.table(default_nation).values())))


def choose(mailbox_policy: tuple[str, str] | None, register_nation: str | None,
           postcodes: list[Postcode], policies: NationPolicies,
           default_nation: str) -> NationChoice:
    """``mailbox_policy``: (address, policy id) of the mailbox the complaint was sent to."""
    policy_for_nation, default_policy = policies.table(default_nation), policies.default
    if mailbox_policy is not None:
        address, policy = mailbox_policy
        return NationChoice(policy, None, f"sent to the {address} mailbox", False)
    if register_nation is not None:
        registered = policy_for_nation.get(register_nation)
        if registered is not None:
            return NationChoice(registered, register_nation,
                                f"the resident register has this address in {register_nation}",
                                False)
        return NationChoice(default_policy, register_nation, (
            f"the resident register has this address in {register_nation}, where no policy is "
            f"configured: the default {default_policy} applies until the handler confirms"), True)
    if not postcodes:
        return NationChoice(default_policy, None, (
            f"no property postcode in the message: the landlord's default ({default_nation}) "
            "applies until the handler confirms"), True)
    nations = {p.nation for p in postcodes}
    listed = ", ".join(p.text for p in postcodes[:5])
    if None in nations:
        border = next(p for p in postcodes if p.nation is None)
        return NationChoice(default_policy, None, (
            f"postcode {border.text} is on a border: the landlord's default ({default_nation}) "
            "applies until the handler confirms"), True)
    if len(nations) > 1:
        return NationChoice(default_policy, None, (
            f"the message gives postcodes in more than one nation ({listed}): the landlord's "
            f"default ({default_nation}) applies until the handler confirms which is the home"),
            True)
    nation = nations.pop()
    assert nation is not None
    stated = policy_for_nation.get(nation)
    if stated is None:
        return NationChoice(default_policy, nation, (
            f"postcode {listed} is in {nation}, where no policy is configured: the default "
            f"{default_policy} applies until the handler confirms"), True)
    return NationChoice(stated, nation, (
        f"postcode {listed} in the resident's message is in {nation}; the handler confirms it "
        "is the home's"), True)


def choose_for_property(postcode: Postcode | None, policies: NationPolicies,
                        default_nation: str) -> NationChoice:
    """The web form asks for the property's postcode in its own field: that decides, unless the
    landlord has no policy for its nation or it is on a border (then: default, to confirm)."""
    policy_for_nation, default_policy = policies.table(default_nation), policies.default
    if postcode is None:
        return NationChoice(default_policy, None, (
            f"no property postcode given: the landlord's default ({default_nation}) applies "
            "until the handler confirms"), True)
    if postcode.nation is None:
        return NationChoice(default_policy, None, (
            f"property postcode {postcode.text} is on a border: the landlord's default "
            f"({default_nation}) applies until the handler confirms"), True)
    policy = policy_for_nation.get(postcode.nation)
    if policy is None:
        return NationChoice(default_policy, postcode.nation, (
            f"property postcode {postcode.text} is in {postcode.nation}, which this landlord's "
            f"policies do not cover: the default {default_policy} applies until the handler "
            "confirms"), True)
    return NationChoice(policy, postcode.nation,
                        f"the property postcode {postcode.text} is in {postcode.nation}", False)
