"""A reply's own words (issue 20, "the mailbox loop"): quoted and forwarded text is never the
handler's, and a resident's letter carries only what the handler wrote for the resident.

The shapes are the clients' own, as they write them in English and the common European
languages: Outlook desktop, web and mobile header blocks and separators, the "On ... wrote:"
attributions of Gmail, Apple Mail, Yahoo, Zoho and Thunderbird and their translations, the
HTML quote containers (through the real inbound parser and HTML-to-text), and messages
attached as message/rfc822. Each test says exactly what remains.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints.domain.commands import Acknowledge, NotAComplaint, Note, Respond, SendMessage
from complaints.mail.html_text import html_to_text
from complaints.mail.inbound import parse
from complaints.mail.quoting import letter_text, own_text
from complaints.mail.staff_reply import parse_reply
from tests import mailfactory as mf

TODAY = date(2026, 6, 5)
CASE = "complaints+CMP-2026-000042@landlord.example"
# What the handler wrote (no greeting or sign-off, so it is also what a letter carries)
OWN = ("Ms Shah complains that the mould in her bedroom has come back three times.\n"
       "She wants it treated at its cause.")
# The case email as it is quoted: third parties' addresses, and # lines of its own
NOTICE = """\
New complaint CMP-2026-000042

  Resident:      Priya Shah <priya.shah@example.org>
  Neighbour:     Bob Jones <bob.jones@neighbour.example>

  #acknowledge  (the text below is the complaint definition)
  #close
"""


def quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def outlook(keys: tuple[str, str, str, str, str], sent: str) -> str:
    """Outlook's plain-text header block in one language: From, Sent, To, Cc, Subject."""
    frm, sent_key, to, cc, subject = keys
    return (f"{frm} Complaints <{CASE}>\n{sent_key} {sent}\n"
            f"{to} Complaints Team <complaints-team@landlord.example>\n"
            f"{cc} Bob Jones <bob.jones@neighbour.example>\n"
            f"{subject} [CMP-2026-000042] New complaint: Damp in my flat\n\n{NOTICE}")


# --- 1. quoted and forwarded history in plain text: cut, whoever's client wrote it ------------

PLAIN = [
    pytest.param(f"{OWN}\n\n________________________________\n"
                 + outlook(("From:", "Sent:", "To:", "Cc:", "Subject:"), "05 June 2026 09:12"),
                 id="outlook-desktop-en-separator"),
    pytest.param((f"{OWN}\n\n" + outlook(("From:", "Sent:", "To:", "Cc:", "Subject:"),
                                         "Friday, June 5, 2026 9:12 AM")).replace("\n", "\r\n"),
                 id="outlook-desktop-en-crlf"),
    pytest.param(f"{OWN}\n\n" + outlook(("Von:", "Gesendet:", "An:", "Cc:", "Betreff:"),
                                        "Freitag, 5. Juni 2026 09:12"), id="outlook-de"),
    pytest.param(f"{OWN}\n\n" + outlook(("De :", "Envoyé :", "À :", "Cc :", "Objet :"),
                                        "vendredi 5 juin 2026 09:12"), id="outlook-fr"),
    pytest.param(f"{OWN}\n\n" + outlook(("De:", "Enviado:", "Para:", "CC:", "Asunto:"),
                                        "viernes, 5 de junio de 2026 9:12"), id="outlook-es"),
    pytest.param(f"{OWN}\n\n" + outlook(("Da:", "Inviato:", "A:", "Cc:", "Oggetto:"),
                                        "venerdì 5 giugno 2026 09:12"), id="outlook-it"),
    pytest.param(f"{OWN}\n\n" + outlook(("Från:", "Skickat:", "Till:", "Kopia:", "Ämne:"),
                                        "den 5 juni 2026 09:12"), id="outlook-sv"),
    pytest.param(f"{OWN}\n\n" + outlook(("От:", "Отправлено:", "Кому:", "Копия:", "Тема:"),
                                        "5 июня 2026 г. 9:12"), id="outlook-ru"),
    pytest.param(f"{OWN}\n\n" + outlook(("Van:", "Verzonden:", "Aan:", "CC:", "Onderwerp:"),
                                        "vrijdag 5 juni 2026 09:12"), id="outlook-nl"),
    pytest.param(f"{OWN}\n\n" + outlook(("From:", "Date:", "To:", "Cc:", "Subject:"),
                                        "Friday, 5 June 2026 at 09:12"), id="outlook-mac-en"),
    pytest.param(f"{OWN}\n\n" + outlook(("Von:", "Datum:", "An:", "Cc:", "Betreff:"),
                                        "Freitag, 5. Juni 2026 um 09:12"), id="outlook-mac-de"),
    pytest.param(f"{OWN}\n\n" + outlook(("De:", "Fecha:", "Para:", "CC:", "Asunto:"),
                                        "viernes, 5 de junio de 2026, 9:12"), id="outlook-mac-es"),
    pytest.param(f"{OWN}\n\n" + outlook(("*From:*", "*Sent:*", "*To:*", "*Cc:*", "*Subject:*"),
                                        "Friday, June 5, 2026 9:12 AM"), id="outlook-bold-keys"),
    pytest.param(f"{OWN}\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n"
                 "________________________________\n"
                 + outlook(("From:", "Sent:", "To:", "Cc:", "Subject:"),
                           "Friday, June 5, 2026 9:12:00 AM"), id="outlook-ios"),
    pytest.param(f"{OWN}\n\n-----Original Message-----\n"
                 f"From: Complaints [mailto:{CASE}]\nSent: 05 June 2026 09:12\n\n{NOTICE}",
                 id="original-message-en"),
    pytest.param(f"{OWN}\n\n-----Ursprüngliche Nachricht-----\nVon: Complaints [mailto:{CASE}]\n"
                 f"Gesendet: Freitag, 5. Juni 2026 09:12\n\n{NOTICE}", id="original-message-de"),
    pytest.param(f"{OWN}\n\n-----Message d'origine-----\nDe : Complaints [mailto:{CASE}]\n"
                 f"Envoyé : vendredi 5 juin 2026 09:12\n\n{NOTICE}", id="original-message-fr"),
    pytest.param(f"{OWN}\n\n-----Mensaje original-----\nDe: Complaints [mailto:{CASE}]\n"
                 f"Enviado el: viernes, 5 de junio de 2026 9:12\n\n{NOTICE}",
                 id="original-message-es"),
    pytest.param(f"{OWN}\n\n-----Messaggio originale-----\nDa: Complaints [mailto:{CASE}]\n"
                 f"Inviato: venerdì 5 giugno 2026 09:12\n\n{NOTICE}", id="original-message-it"),
    pytest.param(f"{OWN}\n\nOn Fri, 5 Jun 2026 at 09:12, Complaints <{CASE}> wrote:\n\n"
                 f"{quoted(NOTICE)}", id="gmail-en"),
    pytest.param(f"{OWN}\n\nOn Fri, 5 Jun 2026 at 09:12, Complaints <\n{CASE}> wrote:\n\n"
                 f"{quoted(NOTICE)}", id="gmail-en-wrapped"),
    pytest.param(f"{OWN}\n\nLe ven. 5 juin 2026 à 09:12, Complaints <{CASE}> a écrit :\n\n"
                 f"{quoted(NOTICE)}", id="gmail-fr"),
    pytest.param(f"{OWN}\n\nAm Fr., 5. Juni 2026 um 09:12 Uhr schrieb Complaints <\n{CASE}>:\n\n"
                 f"{quoted(NOTICE)}", id="gmail-de-wrapped"),
    pytest.param(f"{OWN}\n\nEl vie, 5 jun 2026 a las 9:12, Complaints (<{CASE}>) escribió:\n\n"
                 f"{quoted(NOTICE)}", id="gmail-es"),
    pytest.param(f"{OWN}\n\nIl giorno ven 5 giu 2026 alle ore 09:12 Complaints <{CASE}> "
                 f"ha scritto:\n\n{quoted(NOTICE)}", id="gmail-it"),
    pytest.param(f"{OWN}\n\nIn data venerdì 5 giugno 2026 09:12:00 CEST, Complaints <{CASE}> "
                 f"ha scritto:\n\n{quoted(NOTICE)}", id="in-data-it"),
    pytest.param(f"{OWN}\n\nпт, 5 июн. 2026 г. в 09:12, Complaints <{CASE}>:\n\n"
                 f"{quoted(NOTICE)}", id="gmail-ru-verbless"),
    pytest.param(f"{OWN}\n\n5 июня 2026 г., в 09:12, пользователь Complaints <{CASE}> написал:\n\n"
                 f"{quoted(NOTICE)}", id="user-wrote-ru"),
    pytest.param(f"{OWN}\n\n05.06.2026 09:12, Complaints пишет:\n\n{quoted(NOTICE)}",
                 id="thunderbird-ru"),
    pytest.param(f"{OWN}\n\nDen fre 5 juni 2026 kl 09:12 skrev Complaints <{CASE}>:\n\n"
                 f"{quoted(NOTICE)}", id="gmail-sv"),
    pytest.param(f"{OWN}\n\nOp vr 5 jun. 2026 om 09:12 schreef Complaints <{CASE}>:\n\n"
                 f"{quoted(NOTICE)}", id="gmail-nl"),
    pytest.param(f"{OWN}\n\nOn 5 Jun 2026, at 09:12, Complaints <{CASE}> wrote:\n\n"
                 f"{quoted(NOTICE)}", id="apple-mail-en"),
    pytest.param(f"{OWN}\n\nAm 05.06.2026 um 09:12 schrieb Complaints <{CASE}>:\n\n"
                 f"{quoted(NOTICE)}", id="apple-mail-de"),
    pytest.param(f"{OWN}\n\nBegin forwarded message:\n\nFrom: Complaints <{CASE}>\n"
                 f"Subject: New complaint\nDate: 5 June 2026 at 09:12:00 BST\n\n{NOTICE}",
                 id="apple-mail-forward-en"),
    pytest.param(f"{OWN}\n\nAnfang der weitergeleiteten Nachricht:\n\nVon: Complaints <{CASE}>\n"
                 f"Betreff: New complaint\nDatum: 5. Juni 2026 um 09:12:00 MESZ\n\n{NOTICE}",
                 id="apple-mail-forward-de"),
    pytest.param(f"{OWN}\n\nOn Friday, 5 June 2026, 09:12:00 BST, Complaints <{CASE}> wrote: \n\n"
                 f"\n{NOTICE}", id="yahoo-en"),
    pytest.param(f"{OWN}\n\n----- Forwarded Message -----\nFrom: Complaints <{CASE}>\n"
                 f"To: Sam\nSent: Friday, 5 June 2026, 09:12:00 BST\n\n{NOTICE}",
                 id="yahoo-forward"),
    pytest.param(f"{OWN}\n\n---- On Fri, 05 Jun 2026 09:12:00 +0100 Complaints<{CASE}> wrote ----"
                 f"\n\n{NOTICE}", id="zoho-reply"),
    pytest.param(f"{OWN}\n\n============ Forwarded message ============\nFrom: Complaints<{CASE}>"
                 f"\nDate: Fri, 05 Jun 2026 09:12:00 +0100\n\n{NOTICE}", id="zoho-forward"),
    pytest.param(f"{OWN}\n\n---------- Forwarded message ---------\nFrom: Complaints <{CASE}>\n"
                 f"Date: Fri, 5 Jun 2026 at 09:12\n\n{NOTICE}", id="gmail-forward-en"),
    pytest.param(f"{OWN}\n\n---------- Weitergeleitete Nachricht ---------\nVon: Complaints "
                 f"<{CASE}>\nDate: Fr., 5. Juni 2026 um 09:12 Uhr\n\n{NOTICE}",
                 id="gmail-forward-de"),
    pytest.param(f"{OWN}\n\nOn 05/06/2026 09:12, Complaints wrote:\n{quoted(NOTICE)}",
                 id="thunderbird-en"),
    pytest.param(f"{OWN}\n\nVon meinem iPhone gesendet\n\n{NOTICE}", id="iphone-de"),
    pytest.param(f"{OWN}\n\nEnvoyé de mon iPhone\n\n{NOTICE}", id="iphone-fr"),
    pytest.param(f"{OWN}\n\nEnviado desde mi iPhone\n\n{NOTICE}", id="iphone-es"),
    pytest.param(f"{OWN}\n\n-- \nSam Patel | Homes Plus\n\n{NOTICE}", id="signature-separator"),
    pytest.param(f"{OWN}\n\n---- forwarded message from Priya Shah <priya.shah@example.org>: "
                 f"Damp ----\n\n{NOTICE}", id="inbound-forward-label"),
]


@pytest.mark.parametrize("text", PLAIN)
def test_quoted_history_is_never_the_handlers(text: str) -> None:
    # when
    own = own_text(text)
    reply = parse_reply(f"#note checked the file\n\n{text}", TODAY)
    # then what remains is the handler's text, and the quoted # lines are neither run nor
    # reported as the handler's misplaced commands
    assert own == OWN
    assert reply.body == OWN
    assert reply.commands == (Note(text="checked the file"),)
    assert reply.problems == ()


@pytest.mark.parametrize(("text", "own"), [
    pytest.param("On 3 June the resident wrote:\nFrom: the start, she asked for a visit.",
                 "On 3 June the resident wrote:\nFrom: the start, she asked for a visit.",
                 id="no-time-no-address"),
    pytest.param("At 9:12 the lift broke. On 5 June at 10:30 she said:\nMore to come.",
                 "At 9:12 the lift broke. On 5 June at 10:30 she said:\nMore to come.",
                 id="no-attribution-verb"),
    pytest.param("De: 5 a 7 personas\nEnviado a casa", "De: 5 a 7 personas\nEnviado a casa",
                 id="spanish-words-not-a-header"),
    pytest.param("12 June 2026: the survey.\nDate: to be confirmed",
                 "12 June 2026: the survey.\nDate: to be confirmed", id="a-date-line"),
    pytest.param("---- Notes ----\nThe fan is fixed.", "---- Notes ----\nThe fan is fixed.",
                 id="a-dashed-heading"),
])
def test_text_that_only_resembles_quoting_is_kept(text: str, own: str) -> None:
    # when / then
    assert own_text(text) == own


# --- 2. HTML and attached messages, through the real inbound parser -----------------------------

GMAIL_QUOTE = (f'<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">'
               f'On Fri, 5 Jun 2026 at 09:12, Complaints &lt;<a href="mailto:{CASE}">{CASE}</a>'
               '&gt; wrote:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px '
               '0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex"><div>#close</div>'
               '<div>Bob Jones &lt;bob.jones@neighbour.example&gt;</div></blockquote></div>')
OUTLOOK_HEADER = (f"<b>From:</b> Complaints &lt;{CASE}&gt;<br><b>Sent:</b> Friday, June 5, 2026 "
                  "9:12 AM<br><b>To:</b> Sam<br><b>Cc:</b> Bob Jones &lt;bob.jones@neighbour"
                  ".example&gt;<br><b>Subject:</b> New complaint")
QUOTED_BODY = "<div>#close</div><div>Priya Shah &lt;priya.shah@example.org&gt;</div>"


@pytest.mark.parametrize(("html", "own"), [
    pytest.param('<div dir="ltr"><div>#note checked</div><div><br></div><div>We will visit on '
                 'Monday.</div><br clear="all"><div><br></div><span class="gmail_signature_prefix">'
                 '-- </span><br><div dir="ltr" class="gmail_signature" data-smartmail="gmail_'
                 'signature"><div dir="ltr">Sam Patel<div>Complaints Officer</div></div></div>'
                 f'</div><br>{GMAIL_QUOTE}',
                 "#note checked\n\nWe will visit on Monday.", id="gmail"),
    pytest.param('<div dir="ltr">#note checked<div>We will visit on Monday.</div></div>'
                 '<div dir="ltr" class="gmail_signature">Sam Patel</div>'
                 '<div class="gmail_quote"><div>Neighbour: bob.jones@neighbour.example</div></div>',
                 "#note checked\nWe will visit on Monday.", id="gmail-signature-without-dashes"),
    pytest.param('<html><body><div dir="ltr">#note checked</div><div dir="ltr">We will visit on '
                 'Monday.</div><div id="appendonsend"></div><hr style="display:inline-block;'
                 f'width:98%" tabindex="-1"><div id="divRplyFwdMsg" dir="ltr">{OUTLOOK_HEADER}'
                 f'<div>&nbsp;</div></div>{QUOTED_BODY}</body></html>',
                 "#note checked\n\nWe will visit on Monday.", id="outlook-web"),
    pytest.param('<div>#note checked</div><div>We will visit on Monday.</div>'
                 f'<div id="x_divRplyFwdMsg"><b>Von:</b> Complaints &lt;{CASE}&gt;<br>'
                 f'<b>Gesendet:</b> Freitag, 5. Juni 2026 09:12</div>{QUOTED_BODY}',
                 "#note checked\n\nWe will visit on Monday.", id="outlook-web-requoted-ids"),
    pytest.param('<div class="WordSection1"><p class="MsoNormal">#note checked</p>'
                 '<p class="MsoNormal">We will visit on Monday.</p><div><div style="border:none;'
                 'border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p class="MsoNormal">'
                 f'<b>Von:</b> Complaints &lt;{CASE}&gt;<br><b>Gesendet:</b> Freitag, 5. Juni 2026'
                 ' 09:12<br><b>An:</b> Sam</p></div></div><p class="MsoNormal">#close</p>'
                 '<p>bob.jones@neighbour.example</p></div>',
                 "#note checked\n\nWe will visit on Monday.", id="outlook-desktop-border-top"),
    pytest.param('<div>#note checked<br>We will visit on Monday.<br><br><hr id="stopSpelling">'
                 f'Date: Fri, 5 Jun 2026 09:12:00 +0100<br>From: {CASE}<br>Subject: Damp<br><br>'
                 '#close<br>bob.jones@neighbour.example</div>',
                 "#note checked\nWe will visit on Monday.", id="hotmail-stop-spelling"),
    pytest.param('<div>#note checked</div><div>We will visit on Monday.</div><div class='
                 '"yahoo_quoted"><div>On Friday, 5 June 2026, 09:12:00 BST, Complaints &lt;'
                 f'{CASE}&gt; wrote:</div><div><br></div>{QUOTED_BODY}</div>',
                 "#note checked\n\nWe will visit on Monday.", id="yahoo"),
    pytest.param('<div>#note checked<br></div><div>We will visit on Monday.<br></div><div class='
                 '"zmail_extra"><div id="Zm-_Id_-Sgn1">---- On Fri, 05 Jun 2026 09:12:00 +0100 '
                 f'<b>Complaints&lt;{CASE}&gt;</b> wrote ----<br></div><blockquote>{QUOTED_BODY}'
                 '</blockquote></div>', "#note checked\n\nWe will visit on Monday.", id="zoho"),
    pytest.param('<html><body dir="auto">#note checked<div>We will visit on Monday.</div><div><br>'
                 f'<blockquote type="cite">On 5 Jun 2026, at 09:12, Complaints &lt;{CASE}&gt; '
                 f'wrote:<br><br></blockquote></div><blockquote type="cite">{QUOTED_BODY}'
                 '</blockquote></body></html>',
                 "#note checked\nWe will visit on Monday.", id="apple-mail"),
    pytest.param('<p>#note checked</p><p>We will visit on Monday.</p><div class="moz-signature">'
                 '-- <br>Sam Patel</div><div class="moz-cite-prefix">On 05/06/2026 09:12, '
                 f'Complaints wrote:<br></div><blockquote type="cite">{QUOTED_BODY}</blockquote>',
                 "#note checked\n\nWe will visit on Monday.", id="thunderbird"),
    pytest.param('<div>#note checked</div><div>We will visit on Monday.</div><div id="Signature">'
                 '<div>Sam Patel</div><div>Tel: 0191 496 0000</div></div>',
                 "#note checked\n\nWe will visit on Monday.", id="outlook-web-signature"),
])
def test_html_quote_containers_are_never_the_handlers(html: str, own: str) -> None:
    # given an HTML-only reply, as the client sends it
    mail = parse(mf.client_message(html=html))
    # when
    reply = parse_reply(mail.text, TODAY)
    # then the own text is the handler's alone; nothing quoted is run or reported
    assert own_text(mail.text) == own
    assert reply.commands == (Note(text="checked"),)
    assert reply.problems == ()
    assert reply.body == "We will visit on Monday."


def test_the_plain_part_of_an_alternative_is_read_and_cut() -> None:
    # given Outlook's multipart/alternative: the text part is read, not the HTML
    text = ("#note checked\n\nWe will visit on Monday.\n\n"
            + outlook(("Von:", "Gesendet:", "An:", "Cc:", "Betreff:"), "Freitag, 5. Juni 2026 09:12"))
    html = f'<div>#withdraw</div><div id="divRplyFwdMsg">{OUTLOOK_HEADER}</div>'
    mail = parse(mf.client_message(text=text, html=html))
    # when
    reply = parse_reply(mail.text, TODAY)
    # then
    assert (reply.commands, reply.body, reply.problems) == (
        (Note(text="checked"),), "We will visit on Monday.", ())


def test_a_message_attached_as_rfc822_is_never_the_handlers() -> None:
    # given a reply with the case email attached whole ("reply with attachment"): its text,
    # # lines and third parties' addresses come after the parser's forwarded-message line
    inner = mf.message(sender=f"Complaints <{CASE}>", body=NOTICE)
    mail = parse(mf.client_message(text="#note checked\n\nWe will visit on Monday.\n", attached=inner))
    assert "bob.jones@neighbour.example" in mail.text  # the case keeps it all
    # when
    reply = parse_reply(mail.text, TODAY)
    # then
    assert own_text(mail.text) == "#note checked\n\nWe will visit on Monday."
    assert (reply.commands, reply.body, reply.problems) == (
        (Note(text="checked"),), "We will visit on Monday.", ())


def test_a_reply_that_is_only_an_attached_message_runs_nothing() -> None:
    # given a reply whose only text is the attached message, # lines and all
    inner = mf.message(sender=f"Complaints <{CASE}>", body="#close\n#withdraw\nIt is fixed.")
    mail = parse(mf.client_message(html="", attached=inner))
    # when
    reply = parse_reply(mail.text, TODAY)
    # then nothing runs, and nothing is reported as the handler's
    assert (reply.commands, reply.body, reply.has_commands) == ((), "", False)
    assert reply.problems == ("the reply has no commands and no text of its own: nothing to send",)


def test_html_quote_containers_mark_only_their_own_content() -> None:
    # given a resident's HTML mail: a quote container in the middle of their own words
    text = html_to_text('<div>First.</div><div class="gmail_quote"><div>quoted<div>deeper</div>'
                        '</div></div><div>After.</div>')
    # then the container's lines are quoted, nested divs and all, and what follows is not
    assert text == "First.\n\n> quoted\n> deeper\n\nAfter."


# --- 3. what a letter carries: no greeting, sign-off, signature or disclaimer -------------------

BODY = "The surveyor will visit on Monday 8 June.\n\nWe will replace the extractor fan."


@pytest.mark.parametrize(("text", "letter"), [
    pytest.param(f"Dear Mrs Sharma,\n\n{BODY}\n\nKind regards\nSam Patel", BODY, id="dear-kind-regards"),
    pytest.param(f"Hi Jo,\n\n{BODY}\n\nMany thanks,\nSam", BODY, id="hi-many-thanks"),
    pytest.param(f"Hello,\n{BODY}\n\nBest wishes\n\nSam Patel\nComplaints Officer", BODY,
                 id="hello-best-wishes"),
    pytest.param(f"Good morning Jo\n\n{BODY}\n\nThanks,\nSam", BODY, id="good-morning"),
    pytest.param(f"Dear Sir or Madam,\n\n{BODY}\n\nYours faithfully\nS. Patel", BODY,
                 id="sir-or-madam"),
    pytest.param(f"Jo,\n\n{BODY}\n\nCheers, Sam", BODY, id="vocative-and-cheers"),
    pytest.param(f"{BODY}\n\nThanks, Sam", BODY, id="thanks-comma-name"),
    pytest.param(f"{BODY}\nKind regards,\nSam", BODY, id="sign-off-in-the-last-paragraph"),
    pytest.param(f"{BODY}\n\nKind regards\n\nSam Patel\nComplaints Officer | Homes Plus\n"
                 "Tel: 0191 496 0000 | Mobile: 07700 900123\nsam.patel@landlord.example\n"
                 "www.homesplus.example\n1 High Street, Newcastle upon Tyne NE1 1AA", BODY,
                 id="full-signature"),
    pytest.param(f"{BODY}\n\nSam Patel\nComplaints Officer\nT: 0191 496 0000", BODY,
                 id="signature-without-sign-off"),
    pytest.param(f"{BODY}\n\nSam", BODY, id="a-name-alone"),
    pytest.param(f"{BODY}\n\nRegards\nSam\n\nThis email and any attachments are confidential and "
                 "intended solely for the addressee. If you have received this email in error, "
                 "please tell the sender and delete it.", BODY, id="confidentiality-disclaimer"),
    pytest.param(f"{BODY}\n\nThis message may contain confidential information. Homes Plus is "
                 "a registered society, registered in England, number 12345.\n\n"
                 "Please consider the environment before printing this email.", BODY,
                 id="disclaimer-without-sign-off"),
    pytest.param(f"{BODY}\n\nMit freundlichen Grüßen\nSam Patel", BODY, id="german-sign-off"),
    pytest.param(f"{BODY}\n\nCordialement,\nSam", BODY, id="french-sign-off"),
    pytest.param(f"{BODY}\n\nMany thanks\nBest wishes\nSam", BODY, id="two-sign-offs"),
    pytest.param(f"{BODY}\n\nKind regards\nSam\n[cid:image001.png@01DA1234.56789ABC]\n"
                 "Working days: Monday to Wednesday", BODY, id="outlook-logo-and-working-days"),
    # content, however it starts or ends, is kept
    pytest.param("Thanks to the surveyor, we now know the cause.\n\nSam",
                 "Thanks to the surveyor, we now know the cause.", id="thanks-to-is-content"),
    pytest.param("With regards to the fan, it will be replaced.\nKind regards to your mother.",
                 "With regards to the fan, it will be replaced.\nKind regards to your mother.",
                 id="regards-in-sentences"),
    pytest.param("Hi Jo, the surveyor will call on Monday.\n\nThanks",
                 "Hi Jo, the surveyor will call on Monday.", id="greeting-with-content"),
    pytest.param("We have arranged:\n\nMould Wash\nNew Extractor Fan",
                 "We have arranged:\n\nMould Wash\nNew Extractor Fan", id="a-list-after-a-colon"),
    pytest.param("We agree.\nThank you\nThe fan will be replaced next week\nSam",
                 "We agree.\nThank you\nThe fan will be replaced next week\nSam",
                 id="sentence-below-a-thank-you"),
    pytest.param(f"{BODY}\n\nThanks,\nSam\n\nPS the plumber comes on Friday.",
                 f"{BODY}\n\nThanks,\nSam\n\nPS the plumber comes on Friday.", id="p-s-is-content"),
    pytest.param("Yes", "Yes", id="one-word"),
    pytest.param("Your details are kept confidential.\n\nWe will call you.",
                 "Your details are kept confidential.\n\nWe will call you.",
                 id="confidential-in-content"),
    pytest.param("Call me on 0191 496 0000 to arrange it.", "Call me on 0191 496 0000 to arrange it.",
                 id="phone-in-a-sentence"),
    pytest.param("Dear Mrs Sharma,\n\nKind regards\nSam", "", id="courtesies-only"),
])
def test_letter_text_keeps_only_the_handlers_words(text: str, letter: str) -> None:
    # when / then
    assert letter_text(text) == letter


def test_a_german_outlook_acknowledgement_keeps_only_the_definition() -> None:
    # given a handler on German Outlook writing in English, greeting and signing off
    text = ("#acknowledge\n\nDear Mrs Sharma,\n\n" + OWN + "\n\nKind regards\nSam Patel\n"
            "Complaints Officer | Homes Plus\nTel: 0191 496 0000\n\n"
            + outlook(("Von:", "Gesendet:", "An:", "Cc:", "Betreff:"), "Freitag, 5. Juni 2026 09:12"))
    # when
    reply = parse_reply(text, TODAY)
    # then the definition is the handler's words for the letter, nothing else
    assert reply.commands == (Acknowledge(definition=OWN),)
    assert reply.problems == ()


@pytest.mark.parametrize(("text", "problem"), [
    ("#acknowledge\n\nDear Mrs Sharma,\n\nKind regards\nSam Patel\n",
     '"#acknowledge": #acknowledge needs the complaint definition and the outcomes sought, written '
     "below the command lines (the text below the command lines is only a greeting, sign-off or "
     "signature, which the letter has of its own)"),
    ("#respond upheld\n\nHi Jo,\n\nThanks,\nSam\n",
     '"#respond upheld": #respond needs the response written below the command lines (the text '
     "below the command lines is only a greeting, sign-off or signature, which the letter has of "
     "its own)"),
    ("#refuse\n\nMany thanks\nSam\n",
     '"#refuse": #refuse needs a reason (the text below the command lines is only a greeting, '
     "sign-off or signature, which the letter has of its own)"),
    ("Hello,\n\nBest wishes\nSam\n\nOn Fri, 5 Jun 2026 at 09:12, Jo <jo@example.org> wrote:\n> hi",
     "the reply has no message for the resident: the text below the command lines is only a "
     "greeting, sign-off or signature, which the letter has of its own, so nothing was sent"),
])
def test_a_command_whose_text_is_only_courtesies_is_refused_and_says_why(text: str, problem: str) -> None:
    # when
    reply = parse_reply(text, TODAY)
    # then no empty letter: the command is refused, with the reason
    assert reply.commands == ()
    assert reply.problems == (problem,)


def test_a_command_with_its_text_on_its_line_is_not_refused_for_a_signed_body() -> None:
    # when
    reply = parse_reply("#not-a-complaint repair job 55123 raised for the tap\n\nThanks,\nSam\n", TODAY)
    # then
    assert reply.commands == (NotAComplaint(reason="repair job 55123 raised for the tap"),)
    assert reply.problems == ()


def test_respond_and_message_carry_the_letter_text() -> None:
    # when
    respond = parse_reply("#respond upheld\n\nDear Ms Shah,\n\nWe agree.\n\nRegards\nSam", TODAY)
    message = parse_reply("Hi Jo,\n\nThe plumber comes on Friday.\n\nThanks,\nSam", TODAY)
    # then
    assert respond.commands == (Respond(outcome="upheld", text="We agree."),)
    assert message.commands == (SendMessage(text="The plumber comes on Friday."),)


# --- 4. hostile text: linear time, and only ever cuts ----------------------------------------

# Big enough that a rule with backtracking would never finish; the time each takes, and how it
# grows with size, is measured by benchmarks/bench_quoting.py (tests assert outcomes only).
HOSTILE = 256 * 1024


@pytest.mark.parametrize("unit", [
    "Thanks\n", "Sam\n\n", "Kind regards, Sam\n", "Dear Jo,\n", "On 1 Jun 2026 at 9:12 x@y\n",
    "Am 1 9:12 schrieb \n", "Von: x\n", "De : x\nEnvoyé : y\n", "---- x ----\n", "1 ",
    "пт, 5 9:12 <a@b>\n", "Tel: 0191 496 0000\n", "This email is confidential.\n\n",
    "x" * 79 + "\n", "a b c d e f g h\n\n", "PS x\n",
])
def test_hostile_text_only_ever_cuts(unit: str) -> None:
    # given a quarter megabyte of one shape
    text = unit * (HOSTILE // len(unit))
    # when
    own = own_text(text)
    letter = letter_text(own)
    reply = parse_reply(text, TODAY)
    # then what is kept is a part of what came, and the problems reported are bounded
    assert len(letter) <= len(own) <= len(text)
    assert letter.strip() in own
    assert len(reply.problems) <= 60


@pytest.mark.parametrize("unit", [
    '<div class="gmail_quote">', '<div class="gmail_quote"><div>', "</div>",
    '<div id="appendonsend">', '<hr id="stopSpelling">', '<div id="Signature">',
    '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm">',
    '<div class=gmail_quote x', '<div id="x_x_x_x_x_x_x_x_x_x_x_x_x_x_x_divRplyFwdMsg">',
])
def test_hostile_html_quote_containers_are_read(unit: str) -> None:
    # given a quarter megabyte of one shape
    markup = unit * (HOSTILE // len(unit))
    # when
    text = html_to_text(markup)
    own = own_text(text)
    # then nothing of ours is invented from it: no command, and less text than markup
    assert len(own) <= len(text) <= len(markup)
    assert all(isinstance(c, SendMessage) for c in parse_reply(text, TODAY).commands)


PIECES = st.sampled_from([
    "\n", "\n\n", " ", ",", "Dear", "Hi", "Jo", "Sam Patel", "Kind regards", "Thanks", "Thanks to",
    "the", "fan", ".", "Tel: 0191 496 0000", "x@y.example", "NE1 1AA", "PS", "confidential",
    "intended recipient", "Complaints Officer", "-- ", "> ", "On 1 Jun 2026 at 9:12 x@y wrote:",
    "Von:", "Gesendet:", "\u00a0", "\u200b", "é", "Ж",
])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=400), st.lists(PIECES, max_size=80).map("".join)))
def test_letter_text_only_ever_cuts_whole_lines_from_the_ends(text: str) -> None:
    # when
    letter = letter_text(text)
    # then it is a run of the text's own lines, unchanged: nothing rewritten, nothing from the
    # middle taken out
    lines = [x.rstrip() for x in text.replace("\r\n", "\n").replace("\r", "\n").translate(
        {0xa0: " ", 0x200b: None, 0x2060: None, 0xfeff: None, 0x2028: "\n", 0x2029: "\n"}).split("\n")]
    if letter:
        got = letter.split("\n")
        assert any(lines[i:i + len(got)] == got for i in range(len(lines) - len(got) + 1))
    assert letter == letter.strip("\n")


WRITER = ("Sam Officer", "sam@landlord.example")


@pytest.mark.parametrize("words", [
    "The contractor will ring you to book a time.\n\nAcme Damp Ltd\n0191 496 0123",
    "You can also get free advice.\n\nShelter\n0808 800 4444\nwww.shelter.org.uk",
    "Please post the form to us.\n\nExample Homes\nPO Box 12\nNewcastle NE99 1AB",
    "We will do these works.\n\nNew Extractor Fan\nMould Wash\nNew Window Seals",
    "The officers are below.\n\nJohn Smith\nAmina Khan",
    "We agree.\n\nMany thanks\n\nVisit booked: Mon 15 June 8-12\nSurveyor: Amina Khan",
])
def test_a_closing_block_that_does_not_name_the_writer_is_their_words(words: str) -> None:
    """An outside look at issue 20: a contractor's name and number, an address to post to, a
    list below the words are the handler's, not their signature; with the writer known, a
    closing block is a signature only when it names them (or is contact details alone)."""
    assert letter_text(words, WRITER) == words


@pytest.mark.parametrize(("words", "kept"), [
    ("We agree.\n\nKind regards\n\nSam Officer\nComplaints Officer | Homes Plus\n"
     "Tel: 0191 496 0000", "We agree."),
    ("We agree.\n\nSam Officer\nComplaints Officer\n0191 496 0000", "We agree."),
    ("We agree.\n\nKind regards", "We agree."),
    ("We agree.\n\nThanks,\nSam", "We agree."),
    ("We agree.\n\nKind regards\n\n0191 496 0000", "We agree."),
])
def test_the_writers_own_signature_still_goes(words: str, kept: str) -> None:
    assert letter_text(words, WRITER) == kept
