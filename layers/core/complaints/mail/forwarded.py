"""A forwarded message: who first wrote it, when, and what they wrote.

Residents complain to any member of staff, in any way (HOS Complaint Handling Code 2024, 3.2:
"Residents must be able to raise their complaints in any way and with any member of staff";
every seed policy lists phone, in person, letter and email), and the clock starts when the
landlord first had the complaint (Code 6.2: "within five working days of the complaint being
received"). A resident's email to an officer's own mailbox reaches the service when the
officer forwards it; this reads the forwarded message back out of the forward, whichever
client wrote it:

- Outlook: "-----Original Message-----" or a rule of underscores, then From:/Sent:/To:/
  Subject:, in the common European languages too (Von:/Gesendet:/An:/Betreff:, De :/Envoyé :/
  À :/Objet :, De:/Enviado:/Para:/Asunto:, Da:/Inviato:/A:/Oggetto:, Van:/Verzonden:/Aan:/
  Onderwerp:, ...); the HTML form (a bordered div with bold labels) reads the same once
  mail/html_text.py has turned it into text;
- Gmail: "---------- Forwarded message ---------" and From:/Date:/Subject:/To:;
- Apple Mail: "Begin forwarded message:" (inside a quote in its HTML form);
- Thunderbird: "-------- Forwarded Message --------";
- "forward as attachment": the original attached as message/rfc822, read from its own headers.

Pure: text and attachments in, values out; nothing here decides what the service does with a
forward (service/mailroom.py does: only authenticated staff forward on a resident's behalf).
Bounded: at most MAX_SCAN characters of the text and MAX_BLOCKS header blocks are read.
"""

from __future__ import annotations

import email.header
import email.parser
import email.policy
import email.utils
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Final
from zoneinfo import ZoneInfo

from complaints.mail.identity import parse_from, usable_address
from complaints.mail.inbound import Attachment

LONDON: Final = ZoneInfo("Europe/London")
MAX_SCAN: Final = 200_000  # characters of the forward's text searched for header blocks
MAX_BLOCKS: Final = 10  # forwarded header blocks read (a forward of a forward of ...)
MAX_ATTACHED_HEAD: Final = 65_536  # bytes of an attached message read for its headers

# The subject prefixes clients give a forward (English, German, French, Spanish, Italian,
# Dutch, Portuguese, Polish, the Nordic languages).
FORWARD_PREFIX: Final = re.compile(
    r"^\s*(?:\[?(?:fwd?|fw|wg|tr|rv|i|doorst|enc|pd|vb|vs|vl)\]?\s*:\s*)+", re.IGNORECASE)
_SEPARATOR: Final = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|"
    r"mensaje original|messaggio originale|oorspronkelijk bericht|mensagem original|"
    r"wiadomość oryginalna|ursprungligt meddelande|oprindelig meddelelse|"
    r"opprinnelig melding|forwarded message|weitergeleitete nachricht|message transféré|"
    r"mensaje reenviado|messaggio inoltrato|doorgestuurd bericht|mensagem encaminhada|"
    r"przekazana wiadomość|vidarebefordrat meddelande|videresendt meddelelse|"
    r"videresendt melding)\s*-{2,}"
    r"|_{20,}"
    r"|begin forwarded message\s*:|anfang der weitergeleiteten nachricht\s*:|"
    r"début du message réexpédié\s*:|inicio del mensaje reenviado\s*:|"
    r"inizio messaggio inoltrato\s*:|begin doorgestuurd bericht\s*:)\s*$",
    re.IGNORECASE)

# A header label (lower case, no colon) -> the field it names, as each client writes it.
_LABELS: Final[dict[str, str]] = {
    **dict.fromkeys(("from", "von", "de", "da", "van", "od", "från", "fra"), "from"),
    **dict.fromkeys(("sent", "date", "gesendet", "datum", "envoyé", "enviado", "enviado el",
                     "fecha", "inviato", "data", "verzonden", "wysłano", "skickat", "sendt",
                     "dato"), "date"),
    **dict.fromkeys(("to", "an", "à", "a", "para", "aan", "do", "till", "til"), "to"),
    **dict.fromkeys(("cc", "kopie", "copie", "dw", "kopia"), "cc"),
    **dict.fromkeys(("subject", "betreff", "objet", "asunto", "oggetto", "onderwerp", "assunto",
                     "temat", "ämne", "emne", "sujet"), "subject"),
}
# "**From:** x", "From : x" (French puts a space before the colon), "From:\tx" (Thunderbird)
_HEADER_LINE: Final = re.compile(r"^\*{0,2}([^\W\d_][^\W\d_ ]*(?: el)?)\*{0,2}\s*:\*{0,2}\s*(.*)$")
_QUOTE: Final = re.compile(r"^((?:\s*>)+)\s?")


@dataclass(frozen=True)
class Original:
    """The forwarded message, as its header block (or its own headers) gives it."""

    sender: str  # lower-cased address; "" when none could be read
    sender_name: str
    sender_problem: str  # why no address could be read ("" when one was)
    sent_at: datetime | None  # aware; None when the date could not be read
    date_text: str  # the date as written
    date_note: str  # how the date was read, or why it could not be
    subject: str
    text: str  # what its writer wrote (the forward's text below its header block)
    message_id: str = ""  # an attached original's Message-ID
    shape: str = "header block"  # Outlook | Gmail | Apple Mail | Thunderbird | attached message


@dataclass(frozen=True)
class Forward:
    """A forward: the forwarder's own note above it, and the messages it carries, outermost
    first (a forward of a forward has two)."""

    note: str
    chain: tuple[Original, ...]
    problem: str = ""  # why it is a forward but nothing forwarded could be read


def is_forward_subject(subject: str) -> bool:
    return bool(FORWARD_PREFIX.match(subject or ""))


def strip_forward_prefix(subject: str) -> str:
    return FORWARD_PREFIX.sub("", subject or "").strip()


def read_forward(subject: str, text: str, attachments: Sequence[Attachment] = ()) -> Forward | None:
    """The forward ``text`` (a message's text, HTML already made text) carries, or None when
    nothing says it is one: no forward prefix on the subject, no forward separator line, and
    no message attached. Never raises."""
    text = (text or "")[:MAX_SCAN]
    lines = text.splitlines()
    chain, first_at, shapes = _blocks(lines)
    attached = [a for a in attachments if a.content_type == "message/rfc822"]
    looks_forwarded = is_forward_subject(subject) or any(shapes) or bool(attached)
    if chain and looks_forwarded:
        note = "\n".join(ln for ln in lines[:first_at] if not _SEPARATOR.match(_unquote(ln)[1]))
        return Forward(note.strip(), tuple(chain))
    if attached:
        if len(attached) > 1:
            return Forward(text.strip(), (), f"{len(attached)} messages are attached: forward "
                           "each complaint on its own, so each is its own case")
        original = _attached(attached[0], text)
        note = text.split(_ATTACHED_LABEL, 1)[0].strip() if _ATTACHED_LABEL in text else text.strip()
        return Forward(note, (original,))
    if looks_forwarded:
        return Forward(text.strip(), (), "it looks like a forward (its subject or a separator "
                       "line), but no forwarded From:/Date: header block could be read in it")
    return None


# --- header blocks in text ----------------------------------------------------------------


def _unquote(line: str) -> tuple[int, str]:
    """(quote depth, the line without its "> " marks)."""
    quoted = _QUOTE.match(line)
    if not quoted:
        return 0, line
    return quoted.group(1).count(">"), line[quoted.end():]


def _dequote(line: str, depth: int) -> str:
    """The line without the ``depth`` quote marks the forward sits inside (its own quoted
    history keeps its marks)."""
    for _ in range(depth):
        line = re.sub(r"^\s*>\s?", "", line, count=1)
    return line


def _label(line: str) -> tuple[str, str] | None:
    """(field, value) when the line is a forwarded header line."""
    match = _HEADER_LINE.match(line.strip().replace("\u00a0", " "))
    if not match:
        return None
    field = _LABELS.get(match.group(1).lower().strip())
    return (field, match.group(2).strip()) if field else None


def _blocks(lines: list[str]) -> tuple[list[Original], int, list[str]]:
    """Every forwarded header block, outermost first; the line the first starts on; the client
    shapes the separators named."""
    chain: list[Original] = []
    shapes: list[str] = []
    first_at = -1
    i, n = 0, len(lines)
    pending_shape = ""
    while i < n and len(chain) < MAX_BLOCKS:
        depth, line = _unquote(lines[i])
        if _SEPARATOR.match(line):
            pending_shape = _shape_of(line)
            shapes.append(pending_shape)
            i += 1
            continue
        block, end = _read_block(lines, i, depth) if _label(line) else (None, i)
        if block is None:
            if line.strip():
                pending_shape = ""
            i += 1
            continue
        if first_at < 0:
            first_at = i
            # the separator line, when there was one, belongs to the block
            while first_at > 0 and (not _unquote(lines[first_at - 1])[1].strip()
                                    or _SEPARATOR.match(_unquote(lines[first_at - 1])[1])):
                first_at -= 1
        body_end = _next_block(lines, end)
        body = "\n".join(_dequote(ln, depth) for ln in lines[end:body_end]).strip()
        chain.append(_original(block, body, pending_shape or "header block"))
        pending_shape = ""
        i = end
    return chain, max(first_at, 0), shapes


def _read_block(lines: list[str], start: int, depth: int) -> tuple[dict[str, str] | None, int]:
    """The header lines from ``start`` at quote ``depth``, in any order (Thunderbird puts
    Subject: first): single blank lines may come between them (Apple Mail's HTML), a line that
    is no label continues the one before (a long To: wrapped). A block needs From and at least
    two of Date, To, Cc and Subject."""
    fields: dict[str, str] = {}
    last = ""
    i, n = start, len(lines)
    while i < n and i - start < 40:
        d, line = _unquote(lines[i])
        if d != depth and line.strip():
            break
        if not line.strip():
            # one blank line between header lines (Apple's HTML); two end the block
            following = _label(_unquote(lines[i + 1])[1]) if i + 1 < n else None
            if following is not None and following[0] not in fields:
                i += 1
                continue
            break
        found = _label(line)
        if found is None:
            if last in ("to", "cc") and not fields.get("subject"):
                fields[last] += " " + line.strip()
                i += 1
                continue
            break
        field, value = found
        if field in fields:
            break  # a second From: is the next block's
        fields[field], last = value, field
        i += 1
    others = sum(1 for f in ("date", "to", "cc", "subject") if f in fields)
    if "from" not in fields or others < 2:
        return None, start
    return fields, i


def _next_block(lines: list[str], start: int) -> int:
    """Where the next forwarded block (its separator or its From: line) begins."""
    for i in range(start, len(lines)):
        line = _unquote(lines[i])[1]
        if _SEPARATOR.match(line):
            return i
        if _label(line) and _read_block(lines, i, _unquote(lines[i])[0])[0]:
            return i
    return len(lines)


def _shape_of(separator: str) -> str:
    s = separator.strip()
    if s.endswith(":"):
        return "Apple Mail"
    dashes = len(s) - len(s.lstrip("-"))
    return "Gmail" if dashes >= 10 else "Thunderbird" if dashes >= 8 else "Outlook"


def _original(block: dict[str, str], body: str, shape: str) -> Original:
    sender, name, problem = sender_of(block.get("from", ""))
    sent_at, note = parse_sent(block.get("date", ""))
    return Original(sender, name, problem, sent_at, block.get("date", "")[:200], note,
                    _decode(block.get("subject", ""))[:998], body, "", shape)


# --- the forwarded sender -----------------------------------------------------------------

_ANGLED: Final = re.compile(r"[<\[]\s*(?:mailto:)?([^<>\[\]\s]+@[^<>\[\]\s]+?)\s*[>\]]", re.IGNORECASE)
_BARE: Final = re.compile(r"(?:mailto:)?([^\s<>\[\]\"',;:()]+@[^\s<>\[\]\"',;:()]+)", re.IGNORECASE)


def sender_of(value: str) -> tuple[str, str, str]:
    """(address, display name, problem) from a forwarded From: line: "Jane <jane@x>",
    "Resident, Jane <jane@x>", "Jane [mailto:jane@x]", "jane@x". A line naming no address
    (Exchange shows colleagues by name alone) or two is no sender."""
    value = _decode(value)[:1000].strip()
    angled = _ANGLED.findall(value)
    candidates = angled or _BARE.findall(value)
    if not candidates:
        return "", value[:200], f"the forwarded From: line names no email address ({value[:80]!r})"
    addresses = {c.lower().rstrip(".") for c in candidates}
    if len(addresses) > 1:
        return "", "", f"the forwarded From: line names {len(addresses)} addresses ({value[:80]!r})"
    local, _, domain = candidates[0].rpartition("@")
    address = usable_address(local, domain)
    if address is None:
        return "", "", f"{candidates[0][:80]!r} in the forwarded From: line is not a usable address"
    name = value
    if angled:
        name = _ANGLED.sub("", value)
    elif name.lower().replace("mailto:", "").strip() == candidates[0].lower():
        name = ""
    name = name.strip().strip('"').strip("'").strip()
    if "@" in name:  # "jane@x <jane@x>": the address again is no name
        name = ""
    return address, name[:200], ""


def _decode(value: str) -> str:
    if "=?" not in value:
        return value.strip()
    try:
        parts = []
        for chunk, charset in email.header.decode_header(value):
            parts.append(chunk.decode(charset or "utf-8", "replace") if isinstance(chunk, bytes)
                         else chunk)
        return "".join(parts).strip()
    except Exception:
        return value.strip()


# --- the forwarded date -------------------------------------------------------------------

_MONTHS: Final[dict[str, int]] = {}
for _number, _names in enumerate((
        "january jan januar jänner janvier janv enero ene gennaio gen januari janeiro stycznia "
        "styczeń",
        "february feb februar février févr fevr febrero febbraio februari fevereiro fev lutego "
        "luty",
        "march mar märz marz mars marzo maart março marts marca marzec",
        "april apr avril abril aprile kwietnia kwiecień",
        "may mai mayo maggio mei maio maj maja",
        "june jun juni juin junio giugno junho czerwca czerwiec",
        "july jul juli juillet juil julio luglio julho lipca lipiec",
        "august aug août aout agosto augustus ago augusti sierpnia sierpień",
        "september sep sept septembre septiembre setiembre settembre setembro set września "
        "wrzesień",
        "october oct oktober octobre octubre ottobre oktober outubro out okt października "
        "październik",
        "november nov novembre noviembre novembro listopada listopad",
        "december dec dezember dez décembre déc diciembre dic dicembre desember dezembro "
        "grudnia grudzień"), 1):
    for _name in _names.split():
        _MONTHS.setdefault(_name, _number)

_ZONES: Final[dict[str, int]] = {"gmt": 0, "utc": 0, "z": 0, "bst": 60, "ist": 60, "wet": 0,
                                 "west": 60, "cet": 60, "cest": 120, "mez": 60, "mesz": 120}
# "Mon, 1 Jun 2026 09:14:00 +0100", as a Date header has it: the standard library reads it
_RFC_DATE: Final = re.compile(
    r"^\s*(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"\s*(?:[+-]\d{4}|[A-Z]{1,5})?(?:\s*\([^()]*\))?\s*$")
_WORD_DATE: Final = re.compile(
    r"(?P<d>\d{1,2})(?:st|nd|rd|th|er|º|\.)?\s+(?:de\s+)?(?P<m>[^\W\d_]{3,})\.?,?\s+"
    r"(?:de\s+)?(?P<y>\d{4})"
    r"|(?P<m2>[^\W\d_]{3,})\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{4})")
_NUMERIC_DATE: Final = re.compile(r"\b(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{4}|\d{2})\b")
_ISO_DATE: Final = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[T ]|\b)")
_TIME: Final = re.compile(
    r"(?<![\d:.])(?P<h>\d{1,2})[:.h](?P<mi>\d{2})(?:[:.](?P<s>\d{2}))?\s*"
    r"(?P<ap>[ap]\.?\s?m\.?)?(?![\d])", re.IGNORECASE)
_OFFSET: Final = re.compile(
    r"(?:\b(?:gmt|utc)\s*(?P<s1>[+-])\s*(?P<h1>\d{1,2})(?::?(?P<m1>\d{2}))?)"
    r"|(?:(?<![\w:])(?P<s2>[+-])(?P<h2>\d{2}):?(?P<m2>\d{2})\b)"
    r"|\b(?P<z>gmt|utc|bst|cest|cet|mesz|mez|west|wet)\b", re.IGNORECASE)


def parse_sent(value: str) -> tuple[datetime | None, str]:
    """(when, how it was read) from a forwarded Date:/Sent: value, in any of the clients'
    spellings above. A date with no zone is London's (where the landlord's staff read it); a
    numeric date is read day first (UK) unless only month first makes sense. None, and why,
    when no date can be read."""
    raw = (value or "").strip()
    if not raw:
        return None, "the forwarded header block has no date"
    text = unicodedata.normalize("NFC", raw[:200]).lower().replace("\u00a0", " ")
    if _RFC_DATE.match(raw):
        try:
            rfc = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError, OverflowError):
            rfc = None
        if rfc is not None:
            if rfc.tzinfo is None:
                rfc = rfc.replace(tzinfo=LONDON)
            return rfc, "read as an RFC 5322 date"
    day = _day_of(text)
    if day is None:
        return None, f"the forwarded date {raw[:80]!r} could not be read"
    (year, month, dd), how, rest = day
    hour = minute = second = 0
    after = _TIME.search(rest)
    timed = after or _TIME.search(text)  # "09:14, 1 June 2026" too
    if timed:
        hour, minute = int(timed.group("h")), int(timed.group("mi"))
        second = int(timed.group("s") or 0)
        ap = (timed.group("ap") or "").replace(".", "").replace(" ", "")
        if ap == "pm" and hour < 12:
            hour += 12
        elif ap == "am" and hour == 12:
            hour = 0
        rest = rest[timed.end():] if after else rest
    else:
        how += ", no time given (midnight)"
    zone = _zone_of(rest)
    try:
        when = datetime(year, month, dd, hour, minute, second, tzinfo=zone or LONDON)
    except ValueError:
        return None, f"the forwarded date {raw[:80]!r} is not a real date"
    return when, how + ("" if zone else ", London time")


def _day_of(text: str) -> tuple[tuple[int, int, int], str, str] | None:
    """((year, month, day), how, the text after the date) from the lower-cased value."""
    for match in _WORD_DATE.finditer(text):
        d, m, y = ((match.group("d"), match.group("m"), match.group("y")) if match.group("d")
                   else (match.group("d2"), match.group("m2"), match.group("y2")))
        month = _MONTHS.get(m.rstrip("."))
        if month:
            return (int(y), month, int(d)), "read as written", text[match.end():]
    iso = _ISO_DATE.search(text)
    if iso:
        return ((int(iso.group("y")), int(iso.group("m")), int(iso.group("d"))),
                "read as an ISO date", text[iso.end():])
    numeric = _NUMERIC_DATE.search(text)
    if numeric:
        a, b, y = int(numeric.group("a")), int(numeric.group("b")), int(numeric.group("y"))
        y += 2000 if y < 100 else 0
        if a > 12 >= b:
            return (y, b, a), "read day first", text[numeric.end():]
        if b > 12 >= a:
            return (y, a, b), "read month first (the only reading)", text[numeric.end():]
        return (y, b, a), "read day first (UK)", text[numeric.end():]
    return None


def _zone_of(rest: str) -> timezone | None:
    found = _OFFSET.search(rest)
    if not found:
        return None
    if found.group("z"):
        return timezone(timedelta(minutes=_ZONES[found.group("z").lower()]))
    sign = found.group("s1") or found.group("s2")
    hours = int(found.group("h1") or found.group("h2"))
    minutes = int(found.group("m1") or found.group("m2") or 0)
    if hours > 14 or minutes > 59:
        return None
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if sign == "-" else offset)


# --- an attached original -----------------------------------------------------------------

# mail/inbound.py puts an attached message's text under this line (its _forward_label)
_ATTACHED_LABEL: Final = "---- forwarded message from "


def _attached(attachment: Attachment, text: str) -> Original:
    """The original from its own headers; its text as mail/inbound.py read it."""
    try:
        head = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(
            attachment.payload[:MAX_ATTACHED_HEAD])
        froms = [str(v) for v in head.get_all("From", [])]
        date_value = str(head.get("Date", "") or "")
        subject = _decode(str(head.get("Subject", "") or ""))
        message_id = str(head.get("Message-ID", "") or "").strip()
    except Exception as exc:  # the attachment's bytes are not a message we can read
        return Original("", "", f"the attached message could not be read ({type(exc).__name__})",
                        None, "", "no date", "", "", "", "attached message")
    sender = parse_from(froms)
    sent_at: datetime | None = None
    note = "the attached message has no Date header"
    if date_value:
        try:
            sent_at = email.utils.parsedate_to_datetime(date_value)
            note = "its Date header"
            if sent_at.tzinfo is None:
                sent_at, note = sent_at.replace(tzinfo=LONDON), "its Date header, London time"
        except (TypeError, ValueError, IndexError, OverflowError):
            sent_at, note = None, f"its Date header {date_value[:80]!r} could not be read"
    body = text.split(_ATTACHED_LABEL, 1)[1].split("\n", 1)[-1].strip() if _ATTACHED_LABEL in text else ""
    name = _decode(sender.display_name)
    return Original(sender.address, name[:200], sender.problem or "", sent_at, date_value[:200],
                    note, subject[:998], body, message_id[:900], "attached message")


__all__ = ["FORWARD_PREFIX", "Forward", "Original", "is_forward_subject", "parse_sent",
           "read_forward", "sender_of", "strip_forward_prefix"]
