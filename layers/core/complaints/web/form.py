"""The complaint form's fields and rules: what a post must hold, and what to tell the resident
when it does not (GOV.UK Design System error messages: say what to do, name the field).

Pure: a posted body in, a `Submission` or a list of field errors out. Every field has a size
limit; text is normalised (line ends, control characters) before it is measured or kept.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Final

from complaints.domain.nation import POSTCODE, Postcode, postcode_nation
from complaints.mail.addresses import mailbox, takes_no_replies
from complaints.mail.identity import StaffDirectory

# The whole post. The fields' limits sum to about 19,000 characters; percent-encoded UTF-8 takes
# up to 12 bytes for each (Bengali or Chinese 9), so a full form in any script fits.
MAX_BODY: Final = 256 * 1024


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # as the page's label says it
    limit: int
    noun: str = ""  # as an error message names it ("Your ... must be ..."), where not the label

    @property
    def called(self) -> str:
        return self.noun or self.label


# In page order: the error summary lists problems in this order.
FIELDS: Final = (
    Field("anonymous", "Complain anonymously", 3),
    Field("full-name", "Full name", 200),
    Field("email", "Email address", 254),
    Field("phone", "Telephone number", 30),
    Field("postal-address", "Postal address", 500),
    Field("contact-preference", "How should we contact you?", 10),
    Field("property-address", "Address of the property", 500),
    Field("property-postcode", "Postcode of the property", 10),
    Field("what-happened", "What went wrong?", 10_000, "What went wrong"),
    Field("outcome-sought", "What would you like us to do to put things right?", 5_000,
          "What you would like us to do"),
    Field("on-behalf", "Who is the complaint for?", 20),
    Field("resident-name", "Full name of the resident you are complaining for", 200,
          "The resident's name"),
    Field("relationship", "Your relationship to them", 200),
    Field("consent", "Consent", 3),
    Field("support-needs", "Reasonable adjustments or support needs", 2_000,
          "Your support needs"),
)
BY_NAME: Final = {f.name: f for f in FIELDS}
HONEYPOT: Final = "website"  # hidden from people; only a robot fills it in
TOKEN: Final = "csrf"
PREFERENCES: Final = {"email": "Email", "phone": "Telephone", "post": "Post"}
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_EMAIL = re.compile(rf"(?=.{{1,64}}@){_ATOM}(?:\.{_ATOM})*@"
                    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
_PHONE = re.compile(r"\+?[0-9 ()-]{7,30}")
# Control characters, and invisible ones that only disguise text: zero-width space and word
# joiner, bidirectional overrides and isolates (the joiners U+200C/U+200D stay: scripts need them).
_INVISIBLE = re.compile(r"[\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
                        r"\ufeff\U000e0001\U000e0020-\U000e007f]")
# Line breaks by other names (vertical tab, form feed, NEL, the Unicode separators) are line
# breaks; other control characters are spaces, so no two words are run together.
_BREAK = re.compile(r"[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class BadPost(ValueError):
    """A post no browser would send from our form: refused whole (4xx), nothing kept."""


@dataclass(frozen=True)
class Submission:
    anonymous: bool
    name: str
    email: str
    phone: str
    postal_address: str
    preferred: str  # email | phone | post, "" when anonymous
    property_address: str
    postcode: Postcode | None
    what_happened: str
    outcome_sought: str
    for_someone_else: bool
    resident_name: str
    relationship: str
    support_needs: str


@dataclass
class Checked:
    """The values as typed (normalised) and what is wrong with them, field by field."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    submission: Submission | None = None


def parse_body(body: bytes) -> tuple[dict[str, str], str, str]:
    """(fields, csrf token, honeypot) from an application/x-www-form-urlencoded body."""
    if len(body) > MAX_BODY:
        raise BadPost(f"the form is larger than {MAX_BODY // 1024} KB")
    try:
        text = body.decode("ascii")  # urlencoded bodies are ASCII; UTF-8 arrives %-encoded
        bad_escape = _BAD_ESCAPE.search(text) is not None  # a browser sends every % as %25
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, encoding="utf-8",
                                       errors="strict", max_num_fields=40)
    except UnicodeDecodeError:
        raise BadPost("the form had characters we could not read") from None
    except ValueError:
        raise BadPost("the form had too many fields") from None
    if bad_escape:
        raise BadPost("the form was not encoded as a browser encodes it")
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name not in BY_NAME and name not in (TOKEN, HONEYPOT):
            raise BadPost(f"the form has a field we did not ask for ({name[:40]!r})")
        if name in fields:
            raise BadPost(f"the form has the field {name!r} twice")
        fields[name] = value
    token, honeypot = fields.pop(TOKEN, ""), fields.pop(HONEYPOT, "")
    return fields, token, honeypot


def clean(value: str, multiline: bool) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub(" ", _BREAK.sub("\n", _INVISIBLE.sub("", value)))
    if not multiline:
        value = " ".join(value.split())
    return value.strip()


_MULTILINE = frozenset({"postal-address", "property-address", "what-happened", "outcome-sought",
                        "support-needs"})


def check(fields: dict[str, str], anonymous_allowed: bool, own_addresses: frozenset[str],
          own_domains: frozenset[str] = frozenset()) -> Checked:
    """``own_addresses``: the landlord's mailboxes (plus-addressed too); ``own_domains``: its
    staff domains and single staff addresses (COMPLAINTS_STAFF_DOMAINS). Neither is a
    resident's address: a letter there would loop or go to staff."""
    values = {f.name: clean(fields.get(f.name, ""), f.name in _MULTILINE) for f in FIELDS}
    errors: dict[str, str] = {}

    def need(name: str, message: str) -> None:
        if not values[name]:
            errors.setdefault(name, message)

    for f in FIELDS:  # size first: a value too long is refused whatever else is wrong with it
        if len(values[f.name]) > f.limit:
            errors[f.name] = f"{f.called} must be {f.limit:,} characters or fewer"
    for name in ("full-name", "resident-name"):  # a name of only marks or joiners is no name
        if values[name] and not any(c.isalnum() for c in values[name]):
            values[name] = ""
    anonymous = values["anonymous"] == "yes"
    if values["anonymous"] not in ("", "yes"):
        errors["anonymous"] = "Select whether you want to complain anonymously"
    if anonymous and not anonymous_allowed:
        errors["anonymous"] = ("We cannot take anonymous complaints: give your name and a way "
                               "to contact you")
    preferred = values["contact-preference"]
    given = [f for f in ("full-name", "email", "phone", "postal-address") if values[f]]
    if anonymous and given and "anonymous" not in errors:
        # never drop what they typed without saying so
        errors["anonymous"] = ("You chose to complain anonymously: remove your name and contact "
                               "details, or do not choose anonymous")
    if not anonymous:
        need("full-name", "Enter your full name")
        if preferred not in PREFERENCES:
            errors.setdefault("contact-preference", "Select how you would like us to contact you")
        else:
            wanted = {"email": ("email", "Enter your email address"),
                      "phone": ("phone", "Enter your telephone number"),
                      "post": ("postal-address", "Enter your postal address")}[preferred]
            if not (preferred == "post" and values["property-address"]):  # letters go there
                need(*wanted)
    elif preferred and preferred not in PREFERENCES:
        errors.setdefault("contact-preference", "Select how you would like us to contact you")
    email = values["email"]
    if email and "email" not in errors:
        if not _EMAIL.fullmatch(email):
            errors["email"] = ("Enter an email address in the correct format, like "
                               "name@example.com")
        elif mailbox(email) in own_addresses or StaffDirectory.parse(own_domains).ours(email):
            errors["email"] = ("Enter your own email address, not one of ours (if you work for "
                               "us, give the resident's address)")
        elif takes_no_replies(email):
            errors["email"] = "Enter an email address that can receive our replies"
    if values["phone"] and "phone" not in errors and not (
            _PHONE.fullmatch(values["phone"]) and 7 <= sum(c.isdigit() for c in values["phone"]) <= 15):
        errors["phone"] = ("Enter a telephone number, like 01632 960 001, 07700 900 982 or "
                           "+44 808 157 0192")
    postcode: Postcode | None = None
    if values["property-postcode"] and "property-postcode" not in errors:
        match = POSTCODE.fullmatch(values["property-postcode"].upper().replace(" ", "")) or \
            POSTCODE.fullmatch(values["property-postcode"].upper())
        if match is None or postcode_nation(match.group(1), match.group(2)) == "unknown":
            errors["property-postcode"] = "Enter a real UK postcode, like LS1 4AP"
        else:
            values["property-postcode"] = f"{match.group(1)}{match.group(2)} {match.group(3)}"
            postcode = Postcode(values["property-postcode"],
                                postcode_nation(match.group(1), match.group(2)))
    elif not anonymous:
        need("property-postcode", "Enter the postcode of the property")
    need("what-happened", "Enter what went wrong")
    on_behalf = values["on-behalf"]
    if on_behalf not in ("myself", "someone-else"):
        errors.setdefault("on-behalf", "Select who the complaint is for")
    elif on_behalf == "someone-else":
        need("resident-name", "Enter the full name of the resident you are complaining for")
        if values["consent"] != "yes":
            errors.setdefault("consent", "Confirm that the resident has agreed to you "
                                         "complaining for them")
    if errors:
        return Checked(values, errors)
    return Checked(values, errors, Submission(
        anonymous=anonymous, name="" if anonymous else values["full-name"],
        email="" if anonymous else email.lower(),
        phone="" if anonymous else values["phone"],
        postal_address="" if anonymous else (
            values["postal-address"] or (values["property-address"] if preferred == "post" else "")),
        preferred="" if anonymous else preferred, property_address=values["property-address"],
        postcode=postcode, what_happened=values["what-happened"],
        outcome_sought=values["outcome-sought"], for_someone_else=on_behalf == "someone-else",
        resident_name=values["resident-name"] if on_behalf == "someone-else" else "",
        relationship=values["relationship"] if on_behalf == "someone-else" else "",
        support_needs=values["support-needs"]))
