"""Messages as residents, staff, robots and mail servers send them (raw bytes)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

SES_PASS = (b"X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n"
            b"Authentication-Results: amazonses.com; spf=pass smtp.mailfrom={domain}; "
            b"dkim=pass header.i=@{domain}; dmarc=pass header.from={domain}\r\n")


def ses_headers(domain: str, dmarc: str = "pass", spam: str = "PASS", virus: str = "PASS",
                header_from: str | None = None) -> bytes:
    """What SES writes above a stored message: its verdicts for ``domain``."""
    return (f"X-SES-Spam-Verdict: {spam}\r\nX-SES-Virus-Verdict: {virus}\r\n"
            f"Authentication-Results: amazonses.com; spf={dmarc} smtp.mailfrom={domain}; "
            f"dkim={dmarc} header.i=@{domain}; dmarc={dmarc} header.from={header_from or domain}\r\n"
            ).encode()


def _domain_of(sender: str) -> str:
    return sender.rpartition("@")[2].rstrip(">").strip().lower() or "example.org"


def message(sender: str = "Jane Resident <jane@example.org>", subject: str = "Damp in my flat",
            body: str = "There is black mould in the bathroom and nobody has fixed it.",
            to: str = "complaints@landlord.example", headers: dict[str, str] | None = None,
            attachments: list[tuple[str, str, bytes]] = (), ses: bytes = SES_PASS) -> bytes:  # type: ignore[assignment]
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Date"] = format_datetime(datetime.now(UTC))
    m["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">") or "example.org")
    for k, v in (headers or {}).items():
        m[k] = v
    m.set_content(body)
    for filename, ctype, payload in attachments:
        maintype, _, subtype = ctype.partition("/")
        m.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    if ses is SES_PASS:  # the receiving server's verdicts, for the sender's own domain
        ses = ses_headers(_domain_of(sender))
    return ses + m.as_bytes()


def client_message(sender: str = "Sam Officer <sam@landlord.example>",
                   subject: str = "Re: Damp in my flat", to: str = "complaints@landlord.example",
                   text: str | None = None, html: str | None = None,
                   attached: bytes | None = None, headers: dict[str, str] | None = None,
                   ses: bytes = SES_PASS) -> bytes:
    """A message as a mail client writes it: plain ``text``, ``html``, or both (as
    multipart/alternative), and optionally a whole message ``attached`` as message/rfc822
    (Outlook's "reply with attachment", a forward as attachment)."""
    import email
    import email.policy

    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Date"] = format_datetime(datetime.now(UTC))
    m["Message-ID"] = make_msgid(domain=_domain_of(sender))
    for k, v in (headers or {}).items():
        m[k] = v
    if text is not None:
        m.set_content(text)
        if html is not None:
            m.add_alternative(html, subtype="html")
    else:
        m.set_content(html or "", subtype="html")
    if attached is not None:
        inner = email.message_from_bytes(attached, policy=email.policy.default)
        m.add_attachment(inner, filename="original.eml")
    if ses is SES_PASS:
        ses = ses_headers(_domain_of(sender))
    return ses + m.as_bytes(policy=email.policy.SMTP)  # CRLF, as it goes over SMTP


def german_outlook_reply(to_letter: bytes, own: str, sender: str = "Sam Officer <sam@landlord.example>",
                         ses: bytes = SES_PASS) -> bytes:
    """A reply to ``to_letter`` as Outlook with a German interface sends it: ``own`` above the
    letter quoted whole below a Von/Gesendet/An/Cc/Betreff block (no ">" marks; a third party
    copied in), as the text part beside an HTML part that says the same."""
    import email
    import email.policy

    letter = email.message_from_bytes(to_letter, policy=email.policy.default)
    body = letter.get_body(preferencelist=("plain",))
    quoted = str(body.get_content()) if body is not None else ""
    plain = (f"{own}\n\nVon: Complaints <{letter['Reply-To']}>\n"
             "Gesendet: Freitag, 5. Juni 2026 09:12\n"
             f"An: Complaints Team <complaints-team@landlord.example>\n"
             "Cc: Bob Jones <bob.jones@neighbour.example>\n"
             f"Betreff: {letter['Subject']}\n\n{quoted}")
    html = ("<html><head><style>p.MsoNormal{margin:0}</style></head><body>"
            + "".join(f"<p class=MsoNormal>{line}</p>" for line in plain.splitlines())
            + "</body></html>")
    return client_message(sender=sender, to=str(letter["Reply-To"]), subject=f"AW: {letter['Subject']}",
                          text=plain, html=html, ses=ses,
                          headers={"In-Reply-To": str(letter["Message-ID"]),
                                   "References": str(letter["Message-ID"])})


def out_of_office(to_letter: bytes, sender: str = "jane@example.org") -> bytes:
    original = _headers(to_letter)
    return message(sender=sender, subject="Automatic reply: " + original.get("subject", ""),
                   body="I am out of the office until Monday.",
                   headers={"Auto-Submitted": "auto-replied",
                            "In-Reply-To": original.get("message-id", "")})


def reply(to_letter: bytes, sender: str = "Jane Resident <jane@example.org>",
          body: str = "Here are more photos.", keep_subject: bool = True) -> bytes:
    original = _headers(to_letter)
    subject = "Re: " + original.get("subject", "") if keep_subject else "more information"
    return message(sender=sender, subject=subject, body=body,
                   to=original.get("reply-to", "complaints@landlord.example"),
                   headers={"In-Reply-To": original.get("message-id", ""),
                            "References": original.get("message-id", "")})


def bounce(to_letter: bytes) -> bytes:
    original = _headers(to_letter)
    boundary = "BOUNDARY42"
    return ses_headers("example.org") + (
        "From: Mail Delivery Subsystem <mailer-daemon@example.org>\r\n"
        "To: complaints@landlord.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\n"
        "Your message could not be delivered: mailbox unavailable.\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; jane@example.org\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {original.get('message-id', '')}\r\n"
        f"Subject: {original.get('subject', '')}\r\n\r\n"
        f"--{boundary}--\r\n"
    ).encode()


def _headers(raw: bytes) -> dict[str, str]:
    import email
    import email.policy

    m = email.message_from_bytes(raw, policy=email.policy.default)
    return {k.lower(): str(v) for k, v in m.items()}
