"""A reply's own text: where the quoted history and the signature below it start; and the part
of it that goes into a resident's letter.

Quoted history and signatures are cut where the first of these starts (``own_text``):

- a line starting with ">" (what html_text makes of <blockquote> and of the clients' quote
  containers too: Gmail's div.gmail_quote, Outlook's div#divRplyFwdMsg, ...);
- an attribution line, also wrapped over up to three lines: "On <date> ... wrote:" (Gmail,
  Apple Mail, Yahoo, Thunderbird; Zoho's "---- On ... wrote ----") and its translations ("Le
  ... a écrit :", "Am ... schrieb ...:", "El ... escribió:", "In data/Il giorno ... ha
  scritto:", "... пользователь ... написал:", "Den ... skrev ...:", "Op ... schreef ...:",
  Gmail's verbless "<date>, Name <addr>:"); it needs a date, and a time or an address;
- Outlook's header block: "From:" (Von, De, Da, Från, От, Van, Od, Fra) with, within a few
  lines, "Sent:" or "Date:" (Gesendet, Datum, Envoyé, Enviado, Fecha, Inviato, Data, Skickat,
  Отправлено, Дата, Verzonden, Wysłano, Sendt);
- a separator line: Outlook's "______", "-----Original Message-----" and its translations
  ("-----Ursprüngliche Nachricht-----", "-----Message d'origine-----", "-----Mensaje
  original-----", "-----Messaggio originale-----", ...), Gmail's and Yahoo's "Forwarded
  message" lines, Apple Mail's "Begin forwarded message:", and the line the inbound parser puts
  above a message attached as message/rfc822 (``FORWARDED``);
- the signature separator "-- " and mobile signatures ("Sent from my iPhone", "Von meinem
  iPhone gesendet", "Get Outlook for iOS", ...).

Text bound for a resident's letter (``letter_text``) also loses what the letter says itself:
a greeting on the first line ("Dear Mrs Sharma,", "Hi Jo,", "Good morning Jo"), and at the
bottom a sign-off ("Kind regards", "Many thanks", "Thanks, Sam") with the signature below it,
a signature block with no sign-off (a name, a title, a phone, an address) below a finished
sentence, and legal or confidentiality disclaimers. A line that says more than a greeting or a
sign-off ("Thanks to the surveyor, we ...") is content, and so is everything above the
lowest line of prose.

Hostile text (a reply may quote anything) costs time in proportion to its length: lines are
looked at once with ``str`` methods and anchored regular expressions that cannot backtrack,
with a bounded look-ahead (and look-back, for sign-offs).
"""

from __future__ import annotations

import re
from typing import Final

_HEADER_MAX: Final = 500  # a longer line is never a quoting header ("On ... wrote:", "From:")
_HEADER_LOOKAHEAD: Final = 6  # lines after "From:" searched for Outlook's "Sent:"/"Date:"
_SIGNATURE_MAX: Final = 80  # a longer "Sent from my ..." line is text, not a mobile signature

# HTML-to-text leftovers: no-break spaces are spaces; zero-width spaces, word joiners and byte
# order marks are nothing. Unicode line separators end lines.
_CLEAN: Final = str.maketrans({"\u00a0": " ", "\u200b": None, "\u2060": None, "\ufeff": None,
                               "\u2028": "\n", "\u2029": "\n"})
# stripped from the start of a line before looking for "#", ">" and headers
LEAD: Final = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + "\u200c\u200d\u200e\u200f"

# The line mail/inbound.py writes above the text of a message attached as message/rfc822.
FORWARDED: Final = "---- forwarded message from "

_TIME: Final = re.compile(r"[0-9]:[0-5][0-9]")  # a quoting header's time of day

_MOBILE: Final = ("sent from my ", "get outlook for ios", "get outlook for android",
                  "sent from outlook for ios", "sent from outlook for android",
                  "sent from mail for windows", "sent from yahoo mail", "sent with proton mail",
                  "von meinem iphone gesendet", "von meinem ipad gesendet", "gesendet von meinem ",
                  "von meinem samsung", "envoyé de mon ", "envoyé depuis mon ", "enviado desde mi ",
                  "enviado do meu ", "inviato da iphone", "inviato dal mio ", "skickat från min ",
                  "отправлено с iphone", "отправлено с моего ", "verzonden vanaf mijn ",
                  "verstuurd vanaf mijn ", "outlook für ios beziehen", "obtenir outlook pour ")

# "-----Original Message-----" and the like, with the dashes (or "=") and spaces stripped
_SEPARATORS: Final = frozenset({
    "original message", "forwarded message", "ursprüngliche nachricht",
    "weitergeleitete nachricht", "originalnachricht", "message d'origine", "message d’origine",
    "message original", "message transféré", "mensaje original", "mensaje reenviado",
    "messaggio originale", "messaggio inoltrato", "ursprungligt meddelande",
    "vidarebefordrat meddelande", "исходное сообщение", "пересылаемое сообщение",
    "переадресованное сообщение", "oorspronkelijk bericht", "doorgestuurd bericht",
    "mensagem original", "mensagem encaminhada", "wiadomość oryginalna",
    "oprindelig meddelelse", "opprinnelig melding", "alkuperäinen viesti"})
# Apple Mail's forward line (with its colon stripped), in the languages above
_BEGIN_FORWARDED: Final = frozenset({
    "begin forwarded message", "anfang der weitergeleiteten nachricht",
    "début du message réexpédié", "début du message transféré", "inicio del mensaje reenviado",
    "comienzo del mensaje reenviado", "inizio messaggio inoltrato", "vidarebefordrat brev",
    "начало переадресованного сообщения", "begin doorgestuurd bericht"})

# Outlook's header block: its first key, and the key that follows it within a few lines
_FROM_KEYS: Final = frozenset({"from", "von", "de", "da", "från", "от", "van", "od", "fra"})
_SENT_KEYS: Final = frozenset({"sent", "date", "gesendet", "datum", "envoyé", "enviado", "fecha",
                               "inviato", "data", "skickat", "отправлено", "дата", "verzonden",
                               "wysłano", "sendt", "enviada"})

# An attribution line starts with one of these words, or with the date itself (Russian and
# Gmail's verbless form: "5 июня 2026 г., в 09:12, ...", "пт, 5 июн. 2026 г. в 09:12, ...").
_OPENERS: Final = ("on ", "le ", "am ", "el ", "in data ", "il giorno ", "den ", "op ", "em ",
                   "w dniu ", "dne ", "på ", "il ")
_RU_WEEKDAYS: Final = ("пн,", "вт,", "ср,", "чт,", "пт,", "сб,", "вс,")
# ... and ends (spaces removed) with its verb and a colon
_VERB_ENDS: Final = ("wrote:", "aécrit:", "escribió:", "hascritto:", "написал:", "написала:",
                     "написал(а):", "пишет:", "escreveu:", "pisze:", "napisał:", "napisała:",
                     "napisał(a):", "schreef:", "skrev:", "schrieb:", "kirjoitti:", "écrit:")
# ... or has the verb before the name ("Am ... schrieb Complaints <addr>:")
_VERBS: Final = (" schrieb ", " skrev ", " schreef ", " пользователь ", " написал ")


def own_text(text: str) -> str:
    """Anyone's reply without the quoted history or signature below it (a resident's words
    are read for what they ask; the letter they quote asks things of its own)."""
    return "\n".join(x.rstrip() for x in own_lines(split_lines(text), 0)).strip("\n")


def split_lines(text: str) -> list[str]:
    """``text``'s lines, whatever ends them, with HTML-to-text leftovers cleaned."""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_CLEAN).split("\n")


def own_lines(lines: list[str], start: int) -> list[str]:
    """``lines[start:]`` up to where quoted history or a signature starts."""
    end = start
    while end < len(lines) and not _cut_here(lines, end):
        end += 1
    return lines[start:end]


def _cut_here(lines: list[str], at: int) -> bool:
    raw = lines[at]
    if raw.rstrip() == "--":  # RFC 3676's "-- " (some clients drop the space)
        return True
    line = raw.lstrip(LEAD).rstrip()
    if not line:
        return False
    if line.startswith(">"):
        return True
    if len(line) > _HEADER_MAX:
        return False
    low = line.lower()
    if low.startswith(_MOBILE) and len(line) <= _SIGNATURE_MAX:
        return True
    if len(line) >= 10 and not line.strip("_"):  # Outlook's "________________________________"
        return True
    if low.startswith(FORWARDED):
        return True
    if line.startswith(("--", "==")):
        core = low.strip("-= ")
        if core in _SEPARATORS:
            return True
        if core.endswith(" wrote") and core.startswith("on "):  # Zoho: "---- On ... wrote ----"
            return _wrote([core + ":"], 0, core + ":")
    if low.rstrip(": ") in _BEGIN_FORWARDED and low.endswith(":"):
        return True
    if low.startswith(_OPENERS) or low[:1].isdigit() or low.startswith(_RU_WEEKDAYS):
        return _wrote(lines, at, line)
    return _header_key(low) in _FROM_KEYS and _outlook_header(lines, at)


def _wrote(lines: list[str], at: int, line: str) -> bool:
    """An attribution line, wrapped over up to three lines: Gmail's "On Fri, 5 Jun 2026 at
    09:12, Name <addr> wrote:", Apple Mail's "On 5 Jun 2026, at 09:12, Name <addr> wrote:",
    "Am 05.06.2026 um 09:12 schrieb Name <addr>:", and the others in _OPENERS/_VERB_ENDS."""
    if not any(c.isdigit() for c in line):  # the date starts on the first line
        return False
    header = line
    for more in range(1, 4):
        if header.endswith(":"):
            return _attribution(header.lower())
        if more == 3 or at + more >= len(lines):
            return False
        following = lines[at + more].lstrip(LEAD).rstrip()
        if not following or len(header) + len(following) > _HEADER_MAX or (
                following.lower().startswith(_OPENERS)):  # a header would start there, not here
            return False
        header = f"{header} {following}"
    return False


def _attribution(low: str) -> bool:
    """Whether a line ending in ":" attributes what follows: its verb, and a time or address."""
    if "@" not in low and _TIME.search(low) is None:
        return False
    squeezed = low.replace(" ", "")
    if squeezed.endswith(_VERB_ENDS) or any(verb in low for verb in _VERBS):
        return True
    # Gmail's verbless form ends with the address: "..., Complaints <complaints@...>:"
    return squeezed.endswith(">:") and "@" in low and _TIME.search(low) is not None


def _header_key(low: str) -> str:
    """"from" for "From: ..." and "*From:* ..." (bold, after HTML-to-text); "de" for the
    French "De : ..."."""
    low = low.lstrip("*")
    key, colon, _ = low[:16].partition(":")
    return key.strip(" *") if colon else ""


def _outlook_header(lines: list[str], at: int) -> bool:
    """Outlook's quoted header: "From: ..." then, within a few lines, "Sent: ..." or "Date: ..."
    (or their translations)."""
    for following in lines[at + 1:at + 1 + _HEADER_LOOKAHEAD]:
        line = following.lstrip(LEAD).rstrip()
        if line and len(line) <= _HEADER_MAX and _header_key(line.lower()) in _SENT_KEYS:
            return True
    return False


# --- what a letter says itself: greetings, sign-offs, signatures ----------------------------

_GREETINGS: Final = tuple(sorted((
    "dear", "hi", "hello", "hey", "hiya", "greetings", "good morning", "good afternoon",
    "good evening", "good day", "morning", "afternoon", "evening", "to whom it may concern",
    "hallo", "liebe", "lieber", "sehr geehrte", "sehr geehrter", "sehr geehrte damen und herren",
    "guten tag", "guten morgen", "bonjour", "bonsoir", "madame", "monsieur", "chère", "cher",
    "hola", "estimado", "estimada", "estimados", "buenos días", "buongiorno", "buonasera",
    "ciao", "gentile", "egregio", "hej", "hejsan", "здравствуйте", "добрый день", "beste",
), key=len, reverse=True))
_SIGN_OFFS: Final = frozenset({
    "kind regards", "regards", "best regards", "warm regards", "warmest regards",
    "kindest regards", "many regards", "with regards", "with kind regards", "with best regards",
    "best", "best wishes", "all the best", "with best wishes", "many thanks", "thanks",
    "thank you", "thanks again", "thank you again", "thanks so much", "thank you so much",
    "thank you very much", "thanks very much", "many thanks again", "with thanks",
    "with many thanks", "cheers", "yours", "yours sincerely", "yours faithfully", "yours truly",
    "sincerely", "respectfully", "take care", "speak soon", "talk soon", "kr", "br", "thx",
    "mit freundlichen grüßen", "mit freundlichen grüssen", "freundliche grüße", "viele grüße",
    "beste grüße", "liebe grüße", "herzliche grüße", "grüße", "gruß", "mfg", "lg", "danke",
    "vielen dank", "cordialement", "bien cordialement", "bien à vous", "salutations", "merci",
    "merci beaucoup", "amicalement", "saludos", "un saludo", "saludos cordiales", "atentamente",
    "gracias", "muchas gracias", "cordiali saluti", "distinti saluti", "saluti", "grazie",
    "grazie mille", "un saluto", "med vänliga hälsningar", "vänliga hälsningar", "hälsningar",
    "mvh", "tack", "с уважением", "спасибо", "met vriendelijke groet", "groeten", "bedankt",
})
# lower-case words that may stand in a greeting's or signature's name part
_NAME_WORDS: Final = frozenset({"all", "there", "everyone", "team", "folks", "sir", "madam",
                                "or", "and", "&", "again", "both", "of", "the", "for", "at",
                                "to", "in", "upon", "on", "de", "van", "von", "der", "la", "le",
                                "und", "et", "y", "e", "och", "и", "-", "|", "/", "•", "·"})
_PUNCTUATION: Final = " ,.!:;-\u2013\u2014"
_SIGN_OFF_LOOKBACK: Final = 40  # lines above the end searched for a sign-off
_TAIL: Final = 12  # paragraphs at the end looked at for a sign-off, signature or disclaimers
_SIGN_OFF_WORDS: Final = max(len(x.split()) for x in _SIGN_OFFS)

# Disclaimers and the like in a signature: a paragraph saying any of these is not the
# handler's words to the resident
_DISCLAIMER: Final = re.compile(
    r"intended (?:solely )?(?:only )?for the (?:use of the )?(?:named )?(?:addressee|recipient)"
    r"|intended recipient|received this (?:e-?mail|message|communication) in error"
    r"|(?:e-?mail|message)s? and any (?:files|attachments)|(?:is|are|may be) confidential"
    r"|may contain (?:confidential|privileged)|privileged (?:and|or) confidential"
    r"|confidentiality notice|disclaimer|registered (?:in england|in scotland|office|charity"
    r"|provider|society|company)|company (?:registration )?(?:no|number)|charity (?:no|number)"
    r"|regulated by the|think before you print|consider the environment"
    r"|(?:my )?working (?:days|hours|pattern)|out of (?:office )?hours|follow us on",
    re.IGNORECASE)
_PHONE: Final = re.compile(
    r"(?:(?:tel|telephone|phone|mob|mobile|cell|direct|direct line|office|ddi|fax|t|m|p|d|f"
    r"|switchboard|whatsapp)\.?\s*[:.]?\s*)?\+?[0-9][0-9 ()\-./]{6,24}[0-9](?:\s*(?:ext\.?|x)\s*[0-9]{1,5})?",
    re.IGNORECASE)
_WEB: Final = re.compile(
    r"(?:(?:e|email|e-mail|mail|w|web|website|url)\s*[:.]?\s*)?"
    r"(?:<?[^\s@<>]+@[^\s@<>]+>?|(?:https?://|www\.)\S+|\[cid:[^\]]*\])", re.IGNORECASE)
# an address line ending in a UK postcode
_POSTCODE: Final = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}\.?$")


def letter_text(text: str, writer: tuple[str, ...] = ()) -> str:
    """``text`` (a reply's own text) as a resident's letter should carry it: without the
    greeting on its first line, nor the sign-off, signature and disclaimers at its end (the
    letter adds its own greeting and sign-off). "" when nothing else is left. ``writer``: the
    writer's name and address where known: then a closing block is their signature only when
    it names them (or is contact details alone), so a contractor's name and number, or a list
    below the words, stays the handler's words."""
    lines = [x.rstrip() for x in split_lines(text)]
    start = _first_filled(lines, 0)
    if start < len(lines) and _greeting(lines[start], "".join(lines[start + 1:start + 2])):
        start += 1
    end = _content_end(lines, start, _writer_words(writer))
    return "\n".join(lines[start:end]).strip("\n")


# what a signature's "Label: value" lines are labelled (anything else labelled is content:
# "Surveyor: Amina Khan", "Visit booked: Mon 15 June")
_CONTACT_LABELS: Final = frozenset({"t", "tel", "telephone", "phone", "m", "mob", "mobile", "e",
                                    "email", "e-mail", "w", "web", "website", "f", "fax", "dd",
                                    "direct", "office", "switchboard", "ext"})


def _writer_words(writer: tuple[str, ...]) -> frozenset[str]:
    words: set[str] = set()
    for part in writer:
        local = part.partition("@")[0] if "@" in part else part
        words |= {w for w in re.split(r"[^a-z]+", local.lower()) if len(w) >= 2}
    return frozenset(words)


def _names_writer(block: list[str], writer: frozenset[str]) -> bool:
    return any(w in writer for line in block for w in re.split(r"[^a-z]+", line.lower()) if w)


def _labelled_content(line: str) -> bool:
    """A "Label: value" line whose label is not a contact's ("Surveyor: Amina Khan")."""
    label, colon, _ = line.strip(LEAD).partition(":")
    return bool(colon) and label.strip().lower().rstrip(".") not in _CONTACT_LABELS \
        and not label.strip().lower().startswith(("http", "www"))


def _first_filled(lines: list[str], at: int) -> int:
    while at < len(lines) and not lines[at].strip():
        at += 1
    return at


def _greeting(line: str, following: str) -> bool:
    """"Dear Mrs Sharma,", "Hi Jo,", "Hello,", "Good morning Jo", "Jo," (a paragraph of its
    own): a greeting and a name at most, never more (a line saying more is content)."""
    line = line.strip(LEAD)
    if len(line) > 80:
        return False
    low = line.lower()
    for word in _GREETINGS:
        if low.startswith(word) and (len(low) == len(word) or not low[len(word)].isalnum()):
            return _name_part(line[len(word):])
    # a name alone, as a vocative: "Jo," "Mrs Sharma,"
    return (line.endswith(",") and _name_part(line) and len(line.split()) <= 3
            and not following.strip())


def _name_part(text: str, most: int = 6) -> bool:
    """Up to ``most`` words, each capitalised (or one of _NAME_WORDS): "Mrs Sharma", "Sir or
    Madam", "Jo", "" (nothing)."""
    words = text.strip(_PUNCTUATION).replace(",", " ").split()
    if len(words) > most:
        return False
    for word in words:
        bare = word.strip("().'\"’")
        if bare.lower() in _NAME_WORDS or not bare:
            continue
        if not bare[0].isupper() or (any(c in bare for c in ".?!:;") and not _initial(bare)):
            return False
    return True


def _initial(word: str) -> bool:
    """"J." or "J.R." in a name."""
    return all(c.isupper() or c == "." for c in word)


def _sign_off(line: str) -> bool:
    """"Kind regards", "Thanks, Sam", "Many thanks!", "Best wishes, Sam Patel": a sign-off and
    a name at most."""
    line = line.strip(LEAD)
    if len(line) > 80:
        return False
    words = line.split()
    for n in range(min(_SIGN_OFF_WORDS, len(words)), 0, -1):  # the longest sign-off first
        phrase = " ".join(words[:n]).lower()
        if phrase.rstrip(_PUNCTUATION) in _SIGN_OFFS:
            return _name_part(" ".join(words[n:]), most=4)
    return False


def _prose(line: str) -> bool:
    """A sentence, not a signature's name, title, contact or address line."""
    words = line.split()
    if len(words) < 4:
        return False
    if line.rstrip()[-1] in ".?!":
        return True
    lower = sum(1 for w in words if w[:1].isalpha() and w[:1].islower())
    return lower >= 3


def _last_paragraphs(lines: list[str], start: int) -> list[tuple[int, int]]:
    """The last _TAIL runs of filled lines in ``lines[start:]``, as (first, after last), in
    order. One backward scan that stops there."""
    out: list[tuple[int, int]] = []
    at = len(lines)
    while len(out) < _TAIL:
        while at > start and not lines[at - 1].strip():
            at -= 1
        if at <= start:
            break
        after = at
        while at > start and lines[at - 1].strip():
            at -= 1
        out.append((at, after))
    out.reverse()
    return out


def _content_end(lines: list[str], start: int, writer: frozenset[str] = frozenset()) -> int:
    """Where the handler's words end: above the sign-off, signature and disclaimers."""
    paragraphs = _last_paragraphs(lines, start)
    if not paragraphs:
        return start
    disclaimers = {p for p in paragraphs if _DISCLAIMER.search(" ".join(lines[p[0]:p[1]][:30]))}
    found = _sign_off_at(lines, paragraphs, disclaimers)
    if found is not None:
        below = [lines[i] for p in paragraphs if p not in disclaimers
                 for i in range(p[0], p[1]) if i > found and not _sign_off(lines[i])]
        signature = not writer or not below or _names_writer(below, writer) or all(
            _contact(x.strip(LEAD)) for x in below if x.strip())
        if signature and not any(_labelled_content(x) for x in below):
            return found
        return len(lines)  # not a signature below it: the words and the sign-off stay
    # No sign-off: the disclaimers at the bottom go, and the signature lines among them if
    # they are a signature. The first paragraph looked at always stays: it is what was said.
    kept, top, contact, last_signature = len(paragraphs), -1, False, 0
    while kept > 1:
        first, after = paragraphs[kept - 1]
        if paragraphs[kept - 1] not in disclaimers:
            if after - first > 8 or not all(_signature_line(lines[i]) for i in range(first, after)):
                break
            top = first
            contact = contact or any(_contact(lines[i].strip(LEAD)) for i in range(first, after))
            last_signature = last_signature or kept
        kept -= 1
    block = [lines[i] for i in range(top, len(lines))] if top >= 0 else []
    if top >= 0 and (
            not _is_signature(lines[top].strip(LEAD), contact, lines[paragraphs[kept - 1][1] - 1])
            or any(_labelled_content(x) for x in block)
            or (writer and not _names_writer(block, writer)
                and not all(_contact(x.strip(LEAD)) for x in block if x.strip()))):
        kept = last_signature  # not a signature after all: only the disclaimers below it go
    return paragraphs[kept - 1][1]


def _sign_off_at(lines: list[str], paragraphs: list[tuple[int, int]],
                 disclaimers: set[tuple[int, int]]) -> int | None:
    """The line where a sign-off starts, searched upwards from the end over signature lines
    and disclaimers; None when a sentence comes first (no sign-off below the words)."""
    seen = 0
    for paragraph in reversed(paragraphs):
        first, after = paragraph
        if paragraph in disclaimers:
            seen += 1
            continue
        for at in range(after - 1, first - 1, -1):
            seen += 1
            if seen > _SIGN_OFF_LOOKBACK:
                return None
            if _sign_off(lines[at]):
                while at > first and seen < _SIGN_OFF_LOOKBACK and _sign_off(lines[at - 1]):
                    at -= 1  # "Many thanks" / "Best wishes"
                    seen += 1
                return at
            if _prose(lines[at]) or lines[at].lstrip(LEAD).lower().startswith(("p.s", "ps ", "ps:")):
                return None
    return None


def _signature_line(line: str) -> bool:
    """A name, title, organisation, address or contact line (no sentence)."""
    line = line.strip(LEAD)
    if len(line) > 80:
        return False
    if _PHONE.fullmatch(line) or _WEB.fullmatch(line):
        return True
    if line[-1] in ".?!:;":
        return False
    parts = line.replace("|", " ").replace(",", " ").replace("•", " ").split()
    return len(parts) <= 10 and all(
        p.lower() in _NAME_WORDS or p[:1].isupper() or p[:1].isdigit() or p.startswith("(")
        or p[:1] in "+[<" for p in parts)


def _contact(line: str) -> bool:
    """A phone number, an email or web address, or an address line ending in a postcode."""
    return bool(_PHONE.fullmatch(line) or _WEB.fullmatch(line) or _POSTCODE.search(line))


def _is_signature(first: str, contact: bool, above: str) -> bool:
    """Signature lines are a signature (and not, say, a list of remedies) when they sit below
    a finished sentence (``above``, the last line above them) and give contact details or
    start with a name (``first``)."""
    if above.rstrip()[-1:] not in ".!?)\"'”":
        return False
    return contact or (_name_part(first, most=4) and not any(c.isdigit() for c in first))


__all__ = ["FORWARDED", "LEAD", "letter_text", "own_lines", "own_text", "split_lines"]
