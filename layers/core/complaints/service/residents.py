"""The resident register: the landlord's tenancy export, so a complaint from a known address
takes its home's nation and the resident's support needs.

`complaints residents import FILE.csv` validates every row before writing any: a malformed
row is reported with its line number and nothing is loaded. Re-importing updates by email.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any, Final

from complaints.domain.calendar import NATIONS
from complaints.domain.nation import postcodes_in
from complaints.mail.identity import usable_address

COLUMNS: Final = ("email", "name", "phone", "property_address", "postcode", "nation",
                  "local_authority", "tenancy_reference", "support_needs")
REQUIRED: Final = ("email", "postcode", "tenancy_reference")
MAX_FIELD: Final = 2_000

_SCOTTISH_COUNCILS: Final = frozenset(x.lower() for x in (
    "Aberdeen City", "Aberdeenshire", "Angus", "Argyll and Bute", "Clackmannanshire",
    "Dumfries and Galloway", "Dundee City", "East Ayrshire", "East Dunbartonshire",
    "East Lothian", "East Renfrewshire", "City of Edinburgh", "Edinburgh", "Falkirk", "Fife",
    "Glasgow City", "Glasgow", "Highland", "Inverclyde", "Midlothian", "Moray",
    "Na h-Eileanan Siar", "North Ayrshire", "North Lanarkshire", "Orkney Islands",
    "Perth and Kinross", "Renfrewshire", "Scottish Borders", "Shetland Islands",
    "South Ayrshire", "South Lanarkshire", "Stirling", "West Dunbartonshire", "West Lothian"))
_WELSH_COUNCILS: Final = frozenset(x.lower() for x in (
    "Blaenau Gwent", "Bridgend", "Caerphilly", "Cardiff", "Carmarthenshire", "Ceredigion",
    "Conwy", "Denbighshire", "Flintshire", "Gwynedd", "Isle of Anglesey", "Merthyr Tydfil",
    "Monmouthshire", "Neath Port Talbot", "Newport", "Pembrokeshire", "Powys",
    "Rhondda Cynon Taf", "Swansea", "Torfaen", "Vale of Glamorgan", "Wrexham"))
_NI_COUNCILS: Final = frozenset(x.lower() for x in (
    "Antrim and Newtownabbey", "Ards and North Down", "Armagh City, Banbridge and Craigavon",
    "Belfast", "Causeway Coast and Glens", "Derry City and Strabane", "Fermanagh and Omagh",
    "Lisburn and Castlereagh", "Mid and East Antrim", "Mid Ulster", "Newry, Mourne and Down"))


@dataclass(frozen=True)
class Resident:
    email: str
    name: str
    phone: str
    property_address: str
    postcode: str
    nation: str
    tenancy_reference: str
    support_needs: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Resident:
        return cls(**{k: d.get(k, "") for k in cls.__dataclass_fields__})


class RegisterError(ValueError):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"line {e['line']}: {e['error']}" for e in errors[:5]))
        self.errors = errors


def parse_register(text: str) -> list[Resident]:
    """Every row, or RegisterError listing each bad row by line number (nothing is loaded)."""
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise RegisterError([{"line": line, "error": "a NUL byte: this is not a text export"}])
    csv.field_size_limit(MAX_FIELD * 2)
    reader = csv.DictReader(io.StringIO(text), strict=True)
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise RegisterError([{"line": 1, "error": f"the header cannot be read: {exc}"}]) from None
    doubled = sorted({h for h in header if header.count(h) > 1})
    if doubled:
        raise RegisterError([{"line": 1, "error": f"column(s) {', '.join(doubled)} given twice"}])
    errors: list[dict[str, Any]] = []
    unknown = sorted(set(header) - set(COLUMNS))
    missing = [c for c in REQUIRED if c not in header]
    if not header or unknown or missing:
        raise RegisterError([{"line": 1, "error": (
            "no header row" if not header else
            f"unknown column(s) {', '.join(unknown)}" if unknown else
            f"missing column(s) {', '.join(missing)}") + f" (columns: {', '.join(COLUMNS)})"}])
    reader.fieldnames = header
    residents: dict[str, Resident] = {}
    rows, read = iter(reader), reader.line_num
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:  # an unterminated quote, a field past the limit: the row
            # that starts after the last one read
            errors.append({"line": read + 1, "error": f"the row cannot be read: {exc}"})
            break
        line = read + 1  # where this row starts (a quoted field may span lines)
        read = reader.line_num
        try:
            resident = _row(row)
        except ValueError as exc:
            errors.append({"line": line, "error": str(exc)})
            continue
        if resident.email in residents:
            errors.append({"line": line, "error": f"{resident.email} appears twice"})
            continue
        residents[resident.email] = resident
    if errors:
        raise RegisterError(errors)
    return list(residents.values())


def _row(row: dict[str, Any]) -> Resident:
    if None in row:
        raise ValueError("more fields than columns")
    values = {k: (row.get(k) or "").strip() for k in COLUMNS}
    for key, value in values.items():
        if len(value) > MAX_FIELD:
            raise ValueError(f"{key} is longer than {MAX_FIELD} characters")
    for key in REQUIRED:
        if not values[key]:
            raise ValueError(f"{key} is empty")
    local, _, domain = values["email"].rpartition("@")
    email = usable_address(local, domain)
    if email is None:
        raise ValueError(f"{values['email']!r} is not an email address")
    codes = postcodes_in(values["postcode"])
    if len(codes) != 1:
        raise ValueError(f"{values['postcode']!r} is not one full UK postcode")
    nation = values["nation"].lower().replace(" ", "-")
    if nation and nation not in NATIONS:
        raise ValueError(f"nation {values['nation']!r} is not one of {', '.join(NATIONS)}")
    council = _council_nation(values["local_authority"])
    by_postcode = codes[0].nation
    # The register settles a case's nation without asking anyone, so it must agree with itself.
    for said, what in ((nation, "the nation column"), (council, "the local authority")):
        if said and by_postcode and said != by_postcode:
            raise ValueError(f"postcode {codes[0].text} is in {by_postcode} but {what} says {said}")
    if nation and council and nation != council:
        raise ValueError(f"the nation column says {nation} but the local authority says {council}")
    # a nation whose councils are not listed (England's: too many) leaves the postcode to decide
    unlisted = by_postcode in NATIONS and by_postcode not in _COUNCILS
    if values["local_authority"] and council is None and not nation and not unlisted:
        raise ValueError(f"local authority {values['local_authority']!r} is not one this service "
                         "knows: give the nation")
    nation = nation or council or by_postcode or ""
    if not nation:
        raise ValueError(f"postcode {codes[0].text} is on a border: give its nation or local "
                         "authority")
    return Resident(email, values["name"], values["phone"], values["property_address"],
                    codes[0].text, nation, values["tenancy_reference"], values["support_needs"])


_COUNCILS: Final = {"scotland": _SCOTTISH_COUNCILS, "wales": _WELSH_COUNCILS,
                    "northern-ireland": _NI_COUNCILS}


def _council_nation(council: str) -> str | None:
    """The nation of a Scottish, Welsh or Northern Irish council; None for any other name (an
    English council, or one this list does not know: the postcode must then agree)."""
    name = council.strip().lower().removesuffix(" council")
    for nation, names in _COUNCILS.items():
        if name in names:
            return nation
    return None
