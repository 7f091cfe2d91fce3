"""Forwards as mail clients write them (issue 20): the forwarded header block of each client
shape, plain and HTML, and the messages staff send with them (raw bytes, as SES stores them).

Every shape forwards the same original: Jane Resident <jane@example.org>, Monday 1 June 2026
09:14 London time, "Damp in the bathroom", "The black mould is back ...".
"""

from __future__ import annotations

import email
import email.policy
import html
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from tests import mailfactory as mf

JANE = "Jane Resident <jane@example.org>"
SAM = "Sam Officer <sam@landlord.example>"
SUBJECT = "Damp in the bathroom"
BODY = "The black mould is back in the bathroom at 4 Elm Row, Newcastle NE1 4ST."
NOTE = "Jane emailed me directly: please log it."

# Outlook's labels and its long date, per language: (From, Sent, To, Subject, the date)
OUTLOOK: dict[str, tuple[str, str, str, str, str]] = {
    "en": ("From", "Sent", "To", "Subject", "Monday, June 1, 2026 9:14 AM"),
    "en-gb": ("From", "Sent", "To", "Subject", "01 June 2026 09:14"),
    "de": ("Von", "Gesendet", "An", "Betreff", "Montag, 1. Juni 2026 09:14"),
    "fr": ("De\u00a0", "Envoyé\u00a0", "À\u00a0", "Objet\u00a0", "lundi 1 juin 2026 09:14"),
    "es": ("De", "Enviado el", "Para", "Asunto", "lunes, 1 de junio de 2026 9:14"),
    "it": ("Da", "Inviato", "A", "Oggetto", "lunedì 1 giugno 2026 09:14"),
    "nl": ("Van", "Verzonden", "Aan", "Onderwerp", "maandag 1 juni 2026 09:14"),
    "pt": ("De", "Enviado", "Para", "Assunto", "segunda-feira, 1 de junho de 2026 09:14"),
    "pl": ("Od", "Wysłano", "Do", "Temat", "poniedziałek, 1 czerwca 2026 09:14"),
    "sv": ("Från", "Skickat", "Till", "Ämne", "den 1 juni 2026 09:14"),
    "da": ("Fra", "Sendt", "Til", "Emne", "1. juni 2026 09:14"),
}


def outlook_text(lang: str = "en", sender: str = JANE, date: str | None = None,
                 separator: str = "-----Original Message-----") -> str:
    f, s, t, subj, when = OUTLOOK[lang]
    return (f"{NOTE}\n\n{separator}\n{f}: {sender}\n{s}: {date or when}\n"
            f"{t}: {SAM}\n{subj}: {SUBJECT}\n\n{BODY}\n")


def outlook_html(lang: str = "en", sender: str = JANE) -> str:
    f, s, t, subj, when = OUTLOOK[lang]
    return (
        "<html><head><style>p.MsoNormal{margin:0cm;font-size:11pt}</style></head><body>"
        f"<div class=WordSection1><p class=MsoNormal>{html.escape(NOTE)}</p>"
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        f"<p class=MsoNormal><b>{f}:</b> {html.escape(sender)}<br><b>{s}:</b> {when}<br>"
        f"<b>{t}:</b> {html.escape(SAM)}<br><b>{subj}:</b> {SUBJECT}</p></div>"
        f"<p class=MsoNormal>{html.escape(BODY)}</p></div></body></html>")


def gmail_text(sender: str = JANE, date: str = "Mon, 1 Jun 2026 at 09:14") -> str:
    return (f"{NOTE}\n\n---------- Forwarded message ---------\nFrom: {sender}\n"
            f"Date: {date}\nSubject: {SUBJECT}\nTo: <sam@landlord.example>\n\n\n{BODY}\n")


def gmail_html(sender: str = JANE) -> str:
    return (f'<div dir="ltr">{html.escape(NOTE)}<br><br><div class="gmail_quote">'
            '<div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>'
            f'From: <strong class="gmail_sendername" dir="auto">Jane Resident</strong> '
            '<span dir="auto">&lt;<a href="mailto:jane@example.org">jane@example.org</a>'
            "&gt;</span><br>Date: Mon, 1 Jun 2026 at 09:14<br>"
            f"Subject: {SUBJECT}<br>To: &lt;<a href=\"mailto:sam@landlord.example\">"
            "sam@landlord.example</a>&gt;<br></div><br><br>"
            f'<div dir="ltr">{html.escape(BODY)}</div></div></div>')


def apple_text(date: str = "1 June 2026 at 09:14:00 BST") -> str:
    return (f"{NOTE}\n\nBegin forwarded message:\n\nFrom: {JANE}\nSubject: {SUBJECT}\n"
            f"Date: {date}\nTo: sam@landlord.example\n\n{BODY}\n")


def apple_html() -> str:
    # Apple Mail puts the forwarded message in a <blockquote type="cite">
    def row(label: str, value: str) -> str:
        return (f'<div style="margin-top: 0px; margin-right: 0px; margin-bottom: 0px;">'
                f'<span style="font-family: -webkit-system-font;"><b>{label}: </b></span>'
                f'<span style="font-family: -webkit-system-font;">{html.escape(value)}<br></span>'
                "</div>")
    return (f"<html><body><div>{html.escape(NOTE)}<br><div><br><blockquote type=\"cite\">"
            "<div>Begin forwarded message:</div><br>"
            + row("From", JANE) + row("Subject", SUBJECT)
            + row("Date", "1 June 2026 at 09:14:00 BST") + row("To", "sam@landlord.example")
            + f"<br><div>{html.escape(BODY)}</div></blockquote></div></div></body></html>")


def thunderbird_text() -> str:
    return (f"{NOTE}\n\n-------- Forwarded Message --------\nSubject: \t{SUBJECT}\n"
            f"Date: \tMon, 1 Jun 2026 09:14:00 +0100\nFrom: \t{JANE}\n"
            f"To: \tsam@landlord.example\n\n\n\n{BODY}\n")


def original(sender: str = JANE, date: datetime | None = None, body: str = BODY) -> bytes:
    """The resident's own message, as a forward-as-attachment carries it."""
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, SAM, SUBJECT
    m["Date"] = format_datetime(date or datetime(2026, 6, 1, 8, 14, tzinfo=UTC))
    m["Message-ID"] = "<original-1@example.org>"
    m.set_content(body)
    return m.as_bytes()


def staff_mail(text: str | None = None, html_body: str | None = None, sender: str = SAM,
               subject: str = f"FW: {SUBJECT}", attached: bytes | None = None,
               dmarc: str = "pass", to: str = "complaints@landlord.example",
               ses: bool = True) -> bytes:
    """A message from ``sender`` with the given plain and/or HTML body, as SES stores it (its
    verdicts for the sender's domain; ``ses=False``: as a mail client sends it)."""
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, to, subject
    m["Date"] = format_datetime(datetime.now(UTC))
    domain = sender.rpartition("@")[2].rstrip(">")
    m["Message-ID"] = make_msgid(domain=domain)
    if text is not None:
        m.set_content(text)
        if html_body is not None:
            m.add_alternative(html_body, subtype="html")
    elif html_body is not None:
        m.set_content(html_body, subtype="html")
    else:
        m.set_content(NOTE)
    if attached is not None:
        m.add_attachment(email.message_from_bytes(attached, policy=email.policy.default))
    return (mf.ses_headers(domain, dmarc=dmarc) if ses else b"") + m.as_bytes()


def logged(lines: str, body: str = "Jane rang: the black mould is back in the bathroom.",
           sender: str = SAM, dmarc: str = "pass", subject: str = "Phone complaint",
           ses: bool = True) -> bytes:
    """A staff log: the # lines, then the complaint as recorded."""
    return staff_mail(text=f"{lines}\n\n{body}\n\n--\nSam Officer\nHousing officer",
                      sender=sender, subject=subject, dmarc=dmarc, ses=ses)


__all__ = ["BODY", "JANE", "NOTE", "OUTLOOK", "SAM", "SUBJECT", "apple_html", "apple_text",
           "gmail_html", "gmail_text", "logged", "original", "outlook_html", "outlook_text",
           "staff_mail", "thunderbird_text"]
