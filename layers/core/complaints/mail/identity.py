"""Who wrote a message: the From address, how it was authenticated, and whether it is staff.

The address is parsed from the raw From header with the standard library's RFC 5322 parser,
which keeps an encoded-word display name ("=?utf-8?q?Sam_=3Csam=40landlord.example=3E?=") as a
display name: it is decoded only after the address has been taken. A header the parser has to
guess at (two angle addresses, an unclosed bracket) is ambiguous, and nobody is recognised
from an ambiguous header.

Staff: the address is a configured staff address or on a staff domain, AND DMARC passed for
that same domain. The receiving server's verdicts count (the SES event's, else the topmost
Authentication-Results header written by amazonses.com); nothing the sender wrote does.
"""

from __future__ import annotations

import email.policy
import re
from dataclasses import dataclass, replace
from email.errors import InvalidHeaderDefect
from typing import Any, Final

from complaints.mail.addresses import mailbox

RECEIVING_AUTHSERV: Final = "amazonses.com"  # only the receiving server's verdicts count
_DOMAIN: Final = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
_LOCAL_BAD: Final = re.compile(r"[\s<>()\[\],;:@\"\\\x00-\x1f\x7f]")
_MAX_HEADER: Final = 8_192  # an address header longer than this is not parsed for identity


@dataclass(frozen=True)
class Auth:
    """The receiving server's verdicts. ``dmarc_domain`` is the domain DMARC was evaluated for."""

    spf: str = "none"
    dkim: str = "none"
    dmarc: str = "none"
    dmarc_domain: str = ""
    spam: str = "none"
    virus: str = "none"
    source: str = "none"  # "ses-event", "header" or "none"

    def to_json(self) -> dict[str, str]:
        return {"spf": self.spf, "dkim": self.dkim, "dmarc": self.dmarc,
                "dmarc_domain": self.dmarc_domain, "spam": self.spam, "virus": self.virus,
                "source": self.source}

    def dmarc_passed_for(self, domain: str) -> bool:
        return self.dmarc == "pass" and bool(domain) and self.dmarc_domain == domain


def auth_from_header(results: list[str], spam: str, virus: str) -> Auth:
    """Verdicts from the topmost Authentication-Results header, if amazonses.com wrote it.

    Anything below the topmost header, or written by another server, could come from the
    sender and is ignored.
    """
    values: dict[str, str] = {}
    top = _without_quotes_and_comments(results[0][:_MAX_HEADER]) if results else ""
    if top and top.split(";")[0].strip().lower() == RECEIVING_AUTHSERV:
        values["source"] = "header"
        clauses = top.split(";")[1:]
        if sum(1 for c in clauses if re.match(r"\s*dmarc\s*=", c, re.IGNORECASE)) > 1:
            # the server writes one DMARC result; two mean something was smuggled in
            clauses = [c for c in clauses if not re.match(r"\s*dmarc\s*=", c, re.IGNORECASE)]
        for clause in clauses:
            match = re.match(r"\s*(spf|dkim|dmarc)\s*=\s*([a-z]+)", clause, re.IGNORECASE)
            if not match:
                continue
            method, result = match.group(1).lower(), match.group(2).lower()
            values.setdefault(method, result)  # the first result of each method counts
            if method == "dmarc" and "dmarc_domain" not in values:
                domain = re.search(r"\bheader\.from\s*=\s*([^\s;()]+)", clause, re.IGNORECASE)
                values["dmarc_domain"] = normal_domain(domain.group(1)) if domain else ""
    for key, verdict in (("spam", spam), ("virus", virus)):
        verdict = verdict.strip().lower()
        if verdict:
            values[key] = {"passed": "pass", "failed": "fail"}.get(verdict, verdict)
    return Auth(**values)


def _without_quotes_and_comments(value: str) -> str:
    """RFC 8601 values may be quoted strings or carry (comments), and both can hold a ";" or a
    "dmarc=pass" the sender chose (an envelope sender echoed in smtp.mailfrom=). One linear
    pass blanks both, so only the server's own clauses are read. A header whose quotes or
    brackets do not balance cannot be read safely: it gives "" (no verdicts at all)."""
    out: list[str] = []
    quoted, depth, escaped = False, 0, False
    for ch in value:
        if escaped:
            escaped = False
            continue
        if ch == "\\" and (quoted or depth):
            escaped = True
        elif quoted:
            if ch == '"':
                quoted = False
                out.append('"')
        elif depth:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if not depth:
                out.append(" ")
        elif ch == '"':
            quoted = True
            out.append('"')
        elif ch == "(":
            depth = 1
        elif ch == ")":
            return ""
        else:
            out.append(ch)
    return "" if quoted or depth else "".join(out)


_ADDR_SPEC: Final = re.compile(r"[^\s<>()\[\],;:\"]+@([^\s<>()\[\],;:\"@]+)")


def ses_from_disagrees(ses_from: list[str], from_domain: str, fallback: Auth) -> str | None:
    """Why SES may have evaluated DMARC for another domain than the From we act on, or None.

    SES evaluates DMARC for the From domain as *it* reads the header; the event's
    ``mail.commonHeaders.from`` is what it read, and the topmost amazonses.com
    Authentication-Results (``header.from``) the domain it evaluated. A header that two parsers
    read differently (a quoted or encoded display name holding an address, comments, groups)
    must not lend one domain's DMARC pass to another's address. Every address SES saw in From
    must be at our From domain, and so must the domain its header says it evaluated.
    """
    if fallback.source == "header" and fallback.dmarc_domain and fallback.dmarc_domain != from_domain:
        return (f"SES evaluated DMARC for {fallback.dmarc_domain} (its Authentication-Results), "
                f"not for {from_domain}")
    seen = {m.group(1).lower().rstrip(".") for value in ses_from
            for m in _ADDR_SPEC.finditer(str(value)[:_MAX_HEADER])}
    others = sorted(seen - {from_domain})
    if others:
        return (f"SES read the From header as naming {', '.join(others)[:200]}, not only "
                f"{from_domain or 'the address we read'}")
    return None


def auth_from_ses_event(receipt: dict[str, Any], from_domain: str, fallback: Auth,
                        ses_from: list[str] | None = None) -> Auth:
    """The SES receipt's own verdicts, where the event carries them. SES evaluates DMARC for
    the From domain as it reads the header: the verdict is taken as ``from_domain``'s only when
    SES read the same domain there (``ses_from_disagrees``); otherwise it names no domain, so it
    vouches for no one (a FAIL still counts as a failure)."""
    def status(name: str) -> str | None:
        value = (receipt.get(name) or {}).get("status")
        return str(value).lower() if value else None

    found = {k: status(f"{k}Verdict") for k in ("spf", "dkim", "dmarc", "spam", "virus")}
    if not any(found.values()):
        return fallback
    changes: dict[str, str] = {k: v for k, v in found.items() if v}
    if "dmarc" in changes:
        # the domain SES says it evaluated where its header names another, else none where
        # what it read of From names another domain, else the From domain we read
        header_said = fallback.dmarc_domain if fallback.source == "header" else ""
        if header_said and header_said != from_domain:
            changes["dmarc_domain"] = header_said
        elif ses_from_disagrees(ses_from or [], from_domain, fallback):
            changes["dmarc_domain"] = ""
        else:
            changes["dmarc_domain"] = from_domain
    changes["source"] = "ses-event"
    return replace(fallback, **changes)


@dataclass(frozen=True)
class From:
    """The From header as parsed: one usable address, or why there is none."""

    address: str  # lower-cased addr-spec, "" when unusable
    display_name: str
    problem: str | None  # why no one can be recognised from this header

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


def parse_from(raw_values: list[str]) -> From:
    """``raw_values``: every From header as received (encoded words not yet decoded)."""
    if not raw_values:
        return From("", "", "no From header")
    if len(raw_values) > 1:
        return From("", "", f"{len(raw_values)} From headers: who wrote it cannot be told")
    # Unfold (RFC 5322 2.2.3): long display names are folded onto continuation lines.
    raw = re.sub(r"[\r\n]+", " ", re.sub(r"\r?\n(?=[ \t])", "", raw_values[0]))
    if len(raw) > _MAX_HEADER:
        return From("", "", f"the From header is {len(raw)} characters long")
    try:
        header: Any = email.policy.default.header_factory("from", raw)
    except Exception as exc:  # the parser is strict about some bytes; nothing to recognise
        return From("", "", f"the From header cannot be parsed ({type(exc).__name__})")
    addresses = [a for a in header.addresses if a.addr_spec and a.addr_spec != "<>"]
    name = str(addresses[0].display_name) if addresses else ""
    if any(isinstance(d, InvalidHeaderDefect) for d in getattr(header, "defects", ())):
        return From("", name, f"the From header is ambiguous: {raw[:120]!r}")
    if len(addresses) != 1:
        return From("", name, "no address in the From header" if not addresses else
                    f"{len(addresses)} addresses in the From header: who wrote it cannot be told")
    address = usable_address(addresses[0].username, addresses[0].domain)
    if address is None:
        return From("", name, f"{addresses[0].addr_spec!r} is not a usable address")
    return From(address, name, None)


def usable_address(local: str, domain: str) -> str | None:
    """``local@domain`` lower-cased, with the domain in its ASCII (IDNA) form, or None."""
    domain = normal_domain(domain)
    if not local or _LOCAL_BAD.search(local) or len(local) > 64 or not _DOMAIN.match(domain):
        return None
    return f"{local.lower()}@{domain}"


def normal_domain(domain: str) -> str:
    domain = domain.strip().rstrip(".").lower()
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


@dataclass(frozen=True)
class StaffDirectory:
    """COMPLAINTS_STAFF_DOMAINS: domains, and single addresses (entries with an @)."""

    domains: frozenset[str]
    addresses: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, entries: frozenset[str] | set[str] | list[str]) -> StaffDirectory:
        cleaned = {e.strip().lower() for e in entries if e.strip()}
        return cls(frozenset(normal_domain(e) for e in cleaned if "@" not in e),
                   frozenset(e for e in cleaned if "@" in e))

    def covers(self, address: str) -> bool:
        return address in self.addresses or address.rpartition("@")[2] in self.domains

    def person(self, own: frozenset[str], address: str) -> bool:
        """A member of staff a case may be assigned to: on the staff list, and not one of our
        own mailboxes (``own``: the complaints address and the policy mailboxes), where a
        resident's messages would loop back in, reaching no one."""
        return self.covers(address) and mailbox(address) not in own

    def ours(self, address: str) -> bool:
        """Whether an address is the landlord's own, however tagged, subdomains too: never a
        resident's (the web form refuses it, so no letter lands with staff)."""
        box = mailbox(address)
        domain = box.rpartition("@")[2]
        return self.covers(box) or any(domain.endswith("." + d) for d in self.domains)


def staff_verdict(sender: From, auth: Auth, staff: StaffDirectory) -> tuple[bool, str]:
    """Whether the sender is staff, and why (for the case's timeline)."""
    if sender.problem:
        return False, f"not staff: {sender.problem}"
    if not staff.covers(sender.address):
        return False, f"{sender.address} is not a staff address"
    if auth.dmarc != "pass":
        return False, (f"{sender.address} is on a staff domain but DMARC did not pass "
                       f"({auth.dmarc}, {auth.source} verdict): not treated as staff")
    if auth.dmarc_domain != sender.domain:
        return False, (f"{sender.address} is on a staff domain but DMARC passed for "
                       f"{auth.dmarc_domain or 'no named domain'}, not {sender.domain}: "
                       "not treated as staff")
    return True, f"staff {sender.address}: DMARC pass for {sender.domain} ({auth.source} verdict)"
