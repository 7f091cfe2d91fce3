"""A staff member's reply to a case email read as commands: the ``#`` lines at its top, typed.

Staff run a complaint from any mail client by replying to the case email with command lines at
the top of the reply::

    #respond partly upheld
    #remedy £150 compensation for the delay
    #remedy Replace the kitchen extractor fan by 12 June 2026

    Dear Ms Shah, ... (the response: what the resident is sent)

    On Fri, 5 Jun 2026 at 09:12, Complaints <complaints+CMP-2026-000042@landlord.example> wrote:
    > ...

``parse_reply`` turns that into typed commands (domain/commands.py), the staff member's own text
(the body: quoted history and signatures cut off), and a list of the command lines it could not
use, each with the reason, for the confirmation sent back to the staff member. It does no I/O
and decides nothing about the case: whether each command is allowed is the Complaint's business.

The rules:

- Command lines are the ``#`` lines at the top (blank lines between them are fine). The first
  other line starts the body; a ``#`` line below it is text, not a command (and is reported, so
  that the sender knows it was not done). Command words are case-insensitive and may end in a
  colon ("#note: spoke to the resident").
- The body is the text of ``#acknowledge`` (the complaint definition) and ``#respond`` (the
  response, with the ``#remedy`` lines as its remedies). ``#escalate``, ``#refuse``,
  ``#not-a-complaint``, ``#note`` and ``#adjustments`` take the text on their line, or the body
  when their line has none; ``#category`` and ``#tenure`` take only their line. A reply
  without command lines is one ``SendMessage`` of its body.
- Quoted history and signatures are cut from the body as mail/quoting.py says (a line
  starting with ">", "On <date> ... wrote:" and its translations, Outlook's header block in
  any of its languages, "-- ", "Sent from my iPhone", a message attached as message/rfc822,
  ...). The body goes into residents' letters, which greet and sign off themselves, so it
  also loses the greeting on its first line and the sign-off, signature and disclaimers at
  its end (``quoting.letter_text``). A command that needs the body, when the body was only
  those, is refused and says so, rather than send a letter with nothing in it.

Hostile text (a reply may quote anything) costs time in proportion to its length: lines are
looked at once with ``str`` methods and a few anchored regular expressions none of which can
backtrack (mail/quoting.py's look-ahead is bounded); at most ``MAX_COMMAND_LINES`` command lines
are read.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date
from typing import Final

from complaints.domain.commands import (
    COMMAND_NAMES,
    OUTCOMES,
    Acknowledge,
    Assign,
    Categorise,
    Close,
    Command,
    Escalate,
    Extend,
    ExtendInCalendarTime,
    NotAComplaint,
    Note,
    Preview,
    RecordAdjustments,
    RecordAgreement,
    RecordApproval,
    Refuse,
    Remedy,
    RemedyDone,
    Respond,
    SendMessage,
    SetPolicy,
    SetTenure,
    Unreadable,
    Withdraw,
)
from complaints.mail.quoting import LEAD, letter_text, own_lines, own_text, split_lines

MAX_COMMAND_LINES: Final = 50  # command lines read from one reply; the rest are reported
MAX_EXTENSION_DAYS: Final = 60
MAX_REMEDY_YEARS: Final = 3  # a remedy due further ahead than this is taken to be a typo
MAX_MISPLACED_REPORTED: Final = 5  # "#command" lines below the text reported, at most
_SHOWN: Final = 80  # characters of an unusable line quoted back in its problem

_WORD: Final = re.compile(r"[^\s:]*")  # the command word: up to a space or a colon
# remedy text as words, numbers and single other characters: one pass, nothing to backtrack
_TOKEN: Final = re.compile(r"[0-9]+|[^\W\d_]+|\S")

_OUTCOME_WORDS: Final[dict[str, str]] = {
    **{o: o for o in OUTCOMES},
    "partly-upheld": "partly-upheld", "partially-upheld": "partly-upheld",
    "part-upheld": "partly-upheld", "not-upheld": "not-upheld",
}

_MONTHS: Final = ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December")
_MONTH_WORDS: Final[dict[str, int]] = {
    **{m.lower(): i for i, m in enumerate(_MONTHS, 1)},
    **{m[:3].lower(): i for i, m in enumerate(_MONTHS, 1)},
    "sept": 9,
}
_WEEKDAYS: Final = frozenset({
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
})
_ORDINALS: Final = frozenset({"st", "nd", "rd", "th"})

_WHY_ACKNOWLEDGE: Final = ("#acknowledge needs the complaint definition and the outcomes sought, "
                           "written below the command lines")
_WHY_EXTEND: Final = "#extend needs a number of working days and a reason"
_WHY_RESPOND: Final = "#respond needs an outcome: " + ", ".join(OUTCOMES[:-1]) + " or " + OUTCOMES[-1]
_ONLY_COURTESIES: Final = ("the text below the command lines is only a greeting, sign-off or "
                           "signature, which the letter has of its own")
# the commands that take the body (the text ones only when their line has no text)
_TAKE_BODY: Final = frozenset({"acknowledge", "respond"})
_TAKE_BODY_IF_BARE: Final = frozenset({"escalate", "refuse", "not-a-complaint", "note", "adjustments",
                                       "message"})


@dataclass(frozen=True)
class StaffReply:
    commands: tuple[Command, ...]  # in the order written; typed values, not yet allowed or refused
    # the staff member's own text below the command lines, as a resident's letter carries it:
    # no quoted history, greeting, sign-off or signature
    body: str
    problems: tuple[str, ...]  # each command line that could not be used: '"<line>": <why>'
    has_commands: bool  # the reply had command lines (even if none was usable)

    @property
    def to_run(self) -> tuple[Command, ...]:
        """What the service runs: the commands, and each unusable line as one refused with
        its reason (so the sender is told, never left guessing)."""
        return (*self.commands, *(Unreadable(problem) for problem in self.problems))


def parse_reply(text: str, today: date, writer: tuple[str, ...] = ()) -> StaffReply:
    """The commands, own text and problems of a staff reply. ``today`` (London) places remedy
    dates written without a year and catches dates in the past."""
    lines = split_lines(text)
    command_lines: list[str] = []
    at = 0
    while at < len(lines):
        line = lines[at].lstrip(LEAD).rstrip()
        if line and not line.startswith("#"):
            break
        if line:
            command_lines.append(line)
        at += 1
    own = own_lines(lines, at)
    # A command line below the text is not run, and never goes to the resident either: a
    # "#note" under a definition is still an internal note.
    kept, misplaced = [], []
    for raw in own:
        line = raw.lstrip(LEAD).rstrip()
        if is_preview_line(line) or (line.startswith("#")
                                     and _word_and_argument(line)[0] in COMMAND_NAMES):
            misplaced.append(line)
        else:
            kept.append(raw)
    written = "\n".join(x.rstrip() for x in kept).strip("\n")
    # bound for a resident's letter, which greets and signs off itself
    body = letter_text(written, writer)
    unused = _ONLY_COURTESIES if written.strip() and not body.strip() else ""
    problems: list[str] = []
    commands = _commands(command_lines, body, today, problems, unused)
    previews = [line for line in misplaced if is_preview_line(line)]
    for line in previews[:1]:  # wherever it is written: a preview, never the real thing
        problems.append(_problem(line, "it is below the text, but taken as #preview all the "
                                       "same: nothing was done or sent"))
    # a preview line past the lines read, or spelt in any way, still makes it a preview
    preview = bool(previews) or any(is_preview_line(x) for x in command_lines)
    for line in [x for x in misplaced if x not in previews][:MAX_MISPLACED_REPORTED]:
        problems.append(_problem(line, "it is below the text, so it was not read as a command "
                                       "(commands go at the top of the reply), and it was left "
                                       "out of the text the resident sees"))
    if not command_lines:
        if body.strip():
            commands = [SendMessage(text=body)]  # (to the resident only if it answers them)
        elif unused:
            problems.append(f"the reply has no message for the resident: {unused}, so nothing "
                            "was sent")
        else:
            problems.append("the reply has no commands and no text of its own: nothing to send")
    if preview and not any(isinstance(x, Preview) for x in commands):
        commands = [Preview(), *commands]
    return StaffReply(commands=tuple(commands), body=body, problems=tuple(problems),
                      has_commands=bool(command_lines) or preview)


# --- command lines -------------------------------------------------------------------------------


def _word_and_argument(line: str) -> tuple[str, str]:
    """"#Note: spoke to her" -> ("note", "spoke to her"). ``line`` starts with "#"."""
    rest = line[1:].lstrip()
    match = _WORD.match(rest)
    end = match.end() if match else 0
    argument = rest[end:].lstrip()
    if argument.startswith(":"):
        argument = argument[1:]
    return rest[:end].rstrip(".,;!").lower(), argument.strip()


def _problem(line: str, why: str) -> str:
    shown = line if len(line) <= _SHOWN else line[:_SHOWN - 1] + "…"
    return f'"{shown}": {why}'


def _commands(lines: list[str], body: str, today: date, problems: list[str],
              unused: str = "") -> list[Command]:
    """``unused``: why the body is empty though the reply had text below the commands."""
    parsed = [(line, *_word_and_argument(line)) for line in lines[:MAX_COMMAND_LINES]]
    responds = [line for line, word, _ in parsed if word == "respond"]
    remedies: list[Remedy] = []
    remedy_trouble = False
    for line, word, argument in parsed:
        if word != "remedy":
            continue
        remedy = _remedy(argument, today)
        if isinstance(remedy, str):
            problems.append(_problem(line, remedy))
            remedy_trouble = True
        elif not responds:
            problems.append(_problem(line, "#remedy belongs with a #respond in the same reply"))
        else:
            remedies.append(remedy)

    out: list[Command] = []
    takes_body: str | None = None  # the command word that has already taken the body
    for line, word, argument in parsed:
        if word == "remedy":
            continue
        if word in ("acknowledge", "respond", "message"):
            if takes_body is not None:
                problems.append(_problem(line, f"#{takes_body} already takes the text below: "
                                               f"send #{word} in a reply of its own"))
                continue
            takes_body = word
        if word == "respond" and remedy_trouble:
            problems.append(_problem(line, "not done, because a #remedy line has a problem"))
            continue
        result = _command(word, argument, body, tuple(remedies), today)
        if isinstance(result, str) and _as_preview(word):
            problems.append(_problem(line, f"#{word[:30]} is not a command: taken as #preview, "
                                           "so nothing was done or sent"))
            out.append(Preview())
        elif isinstance(result, str):
            if unused and (word in _TAKE_BODY or (word in _TAKE_BODY_IF_BARE and not argument)):
                result += f" ({unused})"
            problems.append(_problem(line, result))
        else:
            out.append(result)
    if len(lines) > MAX_COMMAND_LINES:
        problems.append(f"more than {MAX_COMMAND_LINES} command lines: "
                        f"the {len(lines) - MAX_COMMAND_LINES} after those were not read")
    return out


def _command(word: str, argument: str, body: str, remedies: tuple[Remedy, ...],
             today: date) -> Command | str:
    """The command, or why the line cannot be used."""
    text = argument or (body if body.strip() else "")  # the line's text, else the body
    match word:
        case "acknowledge":
            definition = "\n\n".join(x for x in (argument, body) if x.strip())
            return Acknowledge(definition=definition) if definition else _WHY_ACKNOWLEDGE
        case "extend":
            return _extend(argument)
        case "preview":  # the reply's other commands are shown, not done (service/casework.py)
            return Preview()
        case "respond":
            outcome = _outcome(argument)
            if outcome is None:
                return _WHY_RESPOND
            if not body.strip():
                return "#respond needs the response written below the command lines"
            return Respond(outcome=outcome, text=body, remedies=remedies)
        case "agreed":
            return RecordAgreement(detail=argument)
        case "approved":
            return RecordApproval(detail=argument)
        case "escalate":
            return Escalate(reason=text) if text else "#escalate needs a reason"
        case "refuse":
            return Refuse(reason=text) if text else "#refuse needs a reason"
        case "not-a-complaint":
            return NotAComplaint(reason=text) if text else (
                "#not-a-complaint needs a reason: what happens instead")
        case "withdraw":
            return Withdraw(reason=argument)
        case "close":
            return Close(reason=argument)
        case "note":
            return Note(text=text) if text else "#note needs text"
        case "message":  # the text below (or on the line) goes to the resident
            return SendMessage(text=text) if text else (
                "#message needs the text for the resident, below the command lines")
        case "done":
            number, _, detail = argument.partition(" ")
            if not (number.isascii() and number.isdigit()) or len(number) > 4:
                return "#done needs the remedy's number, as in the response: #done 1"
            return RemedyDone(number=int(number), detail=detail.strip())
        case "adjustments":
            return RecordAdjustments(text=text) if text else "#adjustments needs text: the support needs"
        case "assign":
            address = _address(argument)
            return Assign(address=address) if address else "#assign needs one email address"
        case "category":  # its own line only: the body is a message, not a category
            return Categorise(category=argument) if argument.strip() else (
                "#category needs a few words on its line, e.g. #category repairs - damp")
        case "tenure":
            return SetTenure(tenure=argument) if argument.strip() else (
                "#tenure needs LCRA, LCHO or other")
        case "policy":
            policy = argument.lower()
            return SetPolicy(policy=policy) if _is_policy_id(policy) else (
                "#policy needs one policy id, e.g. #policy hos-2024")
        case "":
            return "a # line needs a command, e.g. #note <text>"
    return _unknown(word)


# words staff may write meaning #preview: a reply that asks to be tried is never run for real
_PREVIEW_LIKE: Final = frozenset({"draft", "dry-run", "dryrun", "trial", "try", "test"})


def _as_preview(word: str) -> bool:
    return word in _PREVIEW_LIKE or (word not in COMMAND_NAMES and bool(
        difflib.get_close_matches(word[:40], ["preview"], n=1, cutoff=0.7)))


def is_preview_line(line: str) -> bool:
    """A # line asking for a preview however it is written: "#preview", "#Previw", "#dry run",
    "#test-run", "#pre view", "#drafts", with a full-width number sign too. Wherever it stands
    in a reply, the reply is then a preview: erring this way runs nothing."""
    line = line.lstrip(LEAD).rstrip().replace("\uff03", "#")
    if not line.startswith("#"):
        return False
    words = re.findall(r"[a-z]+", line[1:].lower())[:2]
    if not words:
        return False
    joined = "".join(words)
    return any(w in ("preview", "preveiw") or _as_preview(w) for w in (words[0], joined)) or (
        joined.rstrip("s") in ("preview", "draft", "dryrun", "testrun", "trialrun"))


def _unknown(word: str) -> str:
    shown = word if len(word) <= 30 else word[:29] + "…"
    close = difflib.get_close_matches(word[:40], list(COMMAND_NAMES), n=1, cutoff=0.7)
    if close:
        return f"#{shown} is not a command: did you mean #{close[0]}?"
    return f"#{shown} is not a command; the commands are " + ", ".join(f"#{c}" for c in COMMAND_NAMES)


# How a span of time may be written after "#extend N" (longest first, so "working days" is
# never read as "days"): working days are what #extend counts; calendar time is refused with the
# working days it comes to (domain/lifecycle.py has the calendar), never read as working days.
_SPAN_UNITS: Final[tuple[tuple[str, str, int], ...]] = tuple(sorted((
    *((w, "working days", 1) for w in (
        "working days", "working day", "working-days", "working-day", "workingdays",
        "work days", "work day", "workdays", "workday", "business days", "business day",
        "wds", "wd", "w/d", "w.d.", "w.d")),
    *((w, "calendar days", 1) for w in (
        "calendar days", "calendar day", "calendar-days", "cal days", "cal day", "days",
        "day", "d")),
    *((w, "weeks", 1) for w in ("weeks", "week", "wks", "wk", "w/k")),
    *((w, "weeks", 2) for w in ("fortnights", "fortnight")),
    *((w, "months", 1) for w in ("months", "month", "mths", "mth", "mnths", "mnth", "mos",
                                 "mo")),
), key=lambda u: -len(u[0])))
_NUMBER_WORDS: Final[dict[str, int]] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
}
_DIGITS: Final = re.compile(r"[0-9]+")
_MAX_SPAN_DAYS: Final = 366  # calendar time further ahead than this is not an extension


def _extend(argument: str) -> Extend | ExtendInCalendarTime | str:
    """"N <reason>" and "N working days <reason>": N working days. "2 weeks", "14 days",
    "a month", "10 calendar days": calendar time, for the lifecycle to refuse with the number
    of working days to write instead."""
    rest = argument.strip()
    for lead in ("by ", "for "):  # "#extend by 2 weeks"
        if rest.lower().startswith(lead):
            rest = rest[len(lead):].lstrip()
    digits = _DIGITS.match(rest)
    if digits:
        number, amount = digits.group(), None
        rest = rest[digits.end():]
    else:  # a number in words counts only with its unit: "#extend a survey ..." is no number
        words = rest.split(None, 1) or [""]
        number, amount = words[0], _NUMBER_WORDS.get(words[0].lower())
        if amount is None:
            return _WHY_EXTEND
        rest = " " + "".join(words[1:])
    if digits and rest[:1] not in ("", " ", "\t") and not rest[:1].isalpha():
        return _WHY_EXTEND  # "10.5", "-5", "10,5": not a whole number of days
    unit, times, after = _span_unit(rest)
    written = f"{number} {rest[:len(rest) - len(after)].strip()}".strip()
    rest = after
    if amount is None:
        if len(number) > 3:
            return f"#extend takes 1 to {MAX_EXTENSION_DAYS} working days, not {number[:10]}"
        amount = int(number)
    elif unit is None:
        return _WHY_EXTEND
    reason = rest.lstrip(" :-\u2013\u2014,.").strip()
    if unit is None and (said := _unit_like(reason)):
        # "2w", "2 more weeks", "10 calender days", "5 Jan": never N working days by accident
        return (f"\"{number} {said}\" is not a number of working days: #extend counts working "
                "days, so write the number of working days and then the reason, e.g. "
                "#extend 10 waiting for the survey (weeks, days and months are refused with "
                "the working days they come to)")
    if unit is not None and _DIGITS.match(reason):  # "1 week 2 days": one span, counted once
        return (f"#extend takes one number of working days, not \"{written} {reason[:20]}\": "
                "write the working days it comes to, then the reason")
    if unit is not None and unit != "working days":
        days = amount * times * {"calendar days": 1, "weeks": 7, "months": 31}[unit]
        if not 1 <= days <= _MAX_SPAN_DAYS:
            return (f"#extend takes 1 to {MAX_EXTENSION_DAYS} working days: {written} is not "
                    "an extension it can give")
        return ExtendInCalendarTime(amount=amount * times, unit=unit, reason=reason,
                                    written=written)
    if not 1 <= amount <= MAX_EXTENSION_DAYS:
        return f"#extend takes 1 to {MAX_EXTENSION_DAYS} working days, not {number[:10]}"
    if not reason:
        return _WHY_EXTEND
    return Extend(working_days=amount, reason=reason)


# After "#extend N", words that say N is not (only) working days: units the table above does
# not read, qualifiers of a span, month names.
_UNIT_LIKE: Final = re.compile(
    r"(?:w|wk|wks|m|mo|mos|mth|mths|d|h|hr|hrs|hours?|nights?|more|extra|further|additional|"
    r"calend[ae]r|calender|cal|clear|full|whole|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|"
    r"may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?",
    re.IGNORECASE)


def _unit_like(reason: str) -> str:
    """The reason's first word when it reads as a unit or a span ("" when it does not)."""
    first = reason.split(None, 1)[0] if reason.split() else ""
    return first if _UNIT_LIKE.fullmatch(first.rstrip(",:;")) else ""


def _span_unit(rest: str) -> tuple[str | None, int, str]:
    """(the unit at the start of ``rest``, its multiple, what follows it); (None, 1, rest) when
    ``rest`` starts with no unit: the reason follows the number."""
    text = rest.lstrip()
    lowered = text.lower()
    for word, unit, times in _SPAN_UNITS:
        if lowered.startswith(word):
            after = lowered[len(word):len(word) + 1]
            if not after.isalnum():  # "5 damp ..." is no "d", "5 weekend" no "week"
                return unit, times, text[len(word):]
    return None, 1, rest


def _outcome(argument: str) -> str | None:
    words = argument.lower().replace("_", " ").replace("-", " ").rstrip(".").split()
    return _OUTCOME_WORDS.get("-".join(words)) if words else None


def _address(argument: str) -> str | None:
    """One email address, lower-cased. Also takes "<a@b>", "mailto:a@b", and what Outlook's
    HTML-to-text makes of a link, "a@b<mailto:a@b>" (the same address twice is one)."""
    found: set[str] = set()
    for token in argument.replace("<", " ").replace(">", " ").split():
        token = token.lower().rstrip(".,;")
        token = token[len("mailto:"):] if token.startswith("mailto:") else token
        found.add(token)
    if len(found) != 1:
        return None
    address = found.pop()
    return address if _is_address(address) else None


def _is_address(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    if not at or not local or len(address) > 254 or not address.isascii():
        return False
    if any(c in '<>()[],;:@"\\' or c.isspace() or not c.isprintable() for c in local):
        return False
    labels = domain.split(".")
    return len(labels) >= 2 and len(labels[-1]) >= 2 and all(
        0 < len(label) <= 63 and label[0] != "-" and label[-1] != "-"
        and all(c.isalnum() or c == "-" for c in label) for label in labels)


def _is_policy_id(policy: str) -> bool:
    return 0 < len(policy) <= 100 and policy.isascii() and all(
        c.isalnum() or c in "-_." for c in policy)


# --- remedies and their dates --------------------------------------------------------------------


def _remedy(argument: str, today: date) -> Remedy | str:
    if not argument:
        return "#remedy needs text: what will be done, e.g. #remedy £150 compensation"
    tokens = _TOKEN.findall(argument)
    for at, token in enumerate(tokens):
        if token.lower() != "by":
            continue
        found = _date_at(tokens, at + 1, today)
        if isinstance(found, date):
            return _checked(argument, found, today)
        if found is not None:
            return found
    return Remedy(text=argument)


def _checked(text: str, due: date, today: date) -> Remedy | str:
    shown = f"{due.day} {_MONTHS[due.month - 1]} {due.year}"
    if due < today:
        return f"#remedy: {shown} is in the past (an outstanding action needs a date from today on)"
    if due.year - today.year > MAX_REMEDY_YEARS:
        return f"#remedy: {shown} is more than {MAX_REMEDY_YEARS} years away: check the year"
    return Remedy(text=text, due=due)


def _date_at(tokens: list[str], at: int, today: date) -> date | str | None:
    """The date written from ``tokens[at]`` on; a problem if it looks like a date and is not
    one; None if it does not look like a date ("by bank transfer")."""

    def tok(i: int) -> str:
        return tokens[i].lower() if i < len(tokens) else ""

    if tok(at) in _WEEKDAYS:  # "by Friday 12 June 2026", "by Fri, 12 June"
        at += 2 if tok(at + 1) == "," else 1
    if tok(at) == "the":  # "by the 12th of June"
        at += 1
    first = tok(at)
    if not first:
        return None
    if first.isdigit() and len(first) == 4 and tok(at + 1) in ("-", "/") and tok(at + 3) == tok(at + 1):
        if _short_number(tok(at + 2)) and _short_number(tok(at + 4)):  # 2026-06-12
            written = "".join(tokens[at:at + 5])
            return _make(int(first), int(tok(at + 2)), int(tok(at + 4)), written)
        return None
    if _short_number(first) and tok(at + 1) in ("/", "-", ".") and tok(at + 3) == tok(at + 1):
        year = tok(at + 4)
        if _short_number(tok(at + 2)) and year.isdigit() and len(year) in (2, 4):  # 12/06/2026
            written = "".join(tokens[at:at + 5])
            return _make(int(year) + (2000 if len(year) == 2 else 0), int(tok(at + 2)), int(first),
                         written, hint=True)
        return None
    if _short_number(first):  # 12 June 2026, 12th of June
        after = at + 1
        if tok(after) in _ORDINALS:
            after += 1
        if tok(after) == "of":
            after += 1
        month = _MONTH_WORDS.get(tok(after))
        if month is None:
            return None
        return _with_year(int(first), month, tokens, after + 1, today)
    month = _MONTH_WORDS.get(first)
    if month is not None and _short_number(tok(at + 1)):  # June 12, 2026
        after = at + 2
        if tok(after) in _ORDINALS:
            after += 1
        return _with_year(int(tok(at + 1)), month, tokens, after, today)
    return None


def _short_number(token: str) -> bool:
    return token.isdigit() and len(token) <= 2


def _with_year(day: int, month: int, tokens: list[str], at: int, today: date) -> date | str:
    if at < len(tokens) and tokens[at] in (",", "."):
        at += 1
    if at < len(tokens) and tokens[at].isdigit() and len(tokens[at]) == 4:
        return _make(int(tokens[at]), month, day, f"{day} {_MONTHS[month - 1]} {tokens[at]}")
    # no year: the next such day from today on
    year = today.year
    try:
        if date(year, month, day) < today:
            year += 1
    except ValueError:
        pass
    return _make(year, month, day, f"{day} {_MONTHS[month - 1]} {year}")


def _make(year: int, month: int, day: int, written: str, hint: bool = False) -> date | str:
    try:
        return date(year, month, day)
    except ValueError:
        why = f"#remedy: {written} is not a date"
        if hint and day <= 12 < month <= 31:
            why += " (dates are day first: 31/12/2026)"
        return why


__all__ = ["MAX_COMMAND_LINES", "MAX_EXTENSION_DAYS", "MAX_MISPLACED_REPORTED", "MAX_REMEDY_YEARS",
           "StaffReply", "own_text", "parse_reply"]
