"""Staff replies (issue 9, "Staff are told, and reply"): the # command lines at the top of a reply
from Outlook, Gmail or Apple Mail, the staff member's own text, and every line that cannot be used.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints.domain.commands import (
    COMMAND_NAMES,
    Acknowledge,
    Assign,
    Categorise,
    Close,
    Command,
    Escalate,
    Extend,
    NotAComplaint,
    Note,
    RecordAdjustments,
    RecordAgreement,
    RecordApproval,
    Refuse,
    Remedy,
    Respond,
    SendMessage,
    SetPolicy,
    SetTenure,
    Withdraw,
)
from complaints.mail.staff_reply import MAX_COMMAND_LINES, StaffReply, parse_reply

TODAY = date(2026, 6, 5)

# The staff new-case notice as a client quotes it: it carries the cheat-sheet's own # lines,
# which must never be read as commands.
STAFF_NOTICE = """\
New complaint CMP-2026-000042

  Resident:      Priya Shah <priya.shah@example.org>
  Received:      Friday 5 June 2026
  Subject:       Damp in my flat
  Policy:        Housing Ombudsman Complaint Handling Code 2024 (hos-2024, England)
  Stage:         stage 1
  Acknowledge by: Friday 12 June 2026
  Respond by:    Friday 26 June 2026 (provisional: counts from the acknowledgement)

What they wrote (the start of the message):

  The black mould in my bedroom has come back for the third time since
  January. Two repair appointments were missed without anyone telling me.

Reply to this email with commands: one # line each, at the top of your
reply (above the quoted text). For example, #acknowledge on the first line
and the complaint definition below it sends the acknowledgement.

  #acknowledge  (the text below is the complaint definition)
  #extend N <reason>
  #respond upheld|partly-upheld|not-upheld  with #remedy <text> lines
  #close

Homes Plus complaints service
"""

# The resident's receipt letter, as quoted when staff reply on the resident's thread.
RECEIPT = """\
Dear Ms Shah,

Thank you for contacting Homes Plus. We have received your complaint and opened a case.

  Reference:    CMP-2026-000042
  Received:     Friday 5 June 2026
  Subject:      Damp in my flat

What you told us (the start of your message):

  The black mould in my bedroom has come back for the third time since
  January.

What happens next (Homes Plus complaints policy, stage 1):

- We will acknowledge your complaint in writing by Friday 12 June 2026,
  setting out our understanding of it and the outcome you are looking for.
- We will send you our response by Friday 26 June 2026.

To add information, reply to this email and keep CMP-2026-000042 in the subject line.

#close this is not a command either

If you are unhappy with how we are handling your complaint you can contact the Housing
Ombudsman at any time: 0300 111 3000, info@housing-ombudsman.org.uk.

Homes Plus complaints team
complaints@landlord.example
"""

DEFINITION = """\
Ms Shah complains that:
1. the black mould in her bedroom has come back three times since January;
2. repair appointments on 14 and 28 April were missed without notice.

She wants the mould treated at its cause and compensation for her ruined bedding."""
SIGNED = "Kind regards\nSam Patel\nComplaints Officer"


def quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def one(reply: StaffReply) -> Command:
    assert reply.problems == ()
    [command] = reply.commands
    return command


# --- realistic replies from the clients ----------------------------------------------------------


def test_outlook_desktop_acknowledge_above_the_separator() -> None:
    # given Outlook's reply: the staff text, its "____" line and the header block of the notice
    text = (f"#acknowledge\n\n{DEFINITION}\n\n{SIGNED}\n\n________________________________\n"
            "From: Complaints <complaints+CMP-2026-000042@landlord.example>\n"
            "Sent: 05 June 2026 09:12\nTo: Complaints Team <complaints-team@landlord.example>\n"
            f"Subject: [CMP-2026-000042] New complaint: Damp in my flat\n\n{STAFF_NOTICE}")
    # when
    reply = parse_reply(text, TODAY)
    # then the definition is the staff text: no sign-off or signature, and nothing quoted
    assert reply == StaffReply(commands=(Acknowledge(definition=DEFINITION),), body=DEFINITION,
                               problems=(), has_commands=True)


def test_outlook_crlf_header_block_without_separator() -> None:
    # given Outlook plain text with CRLF line endings and its From/Sent/To/Subject block
    text = ("#Extend 10 waiting for the damp survey report\r\n"
            "#note: resident agreed by phone on 4 June\r\n"
            "\r\n"
            "Sam\r\n"
            "\r\n"
            "From: Complaints <complaints+CMP-2026-000042@landlord.example>\r\n"
            "Sent: Friday, June 5, 2026 9:12 AM\r\n"
            "To: Sam Patel <sam.patel@landlord.example>\r\n"
            "Subject: RE: [CMP-2026-000042] Damp in my flat\r\n\r\n"
            + RECEIPT.replace("\n", "\r\n"))
    # when
    reply = parse_reply(text, TODAY)
    # then
    assert reply == StaffReply(
        commands=(Extend(working_days=10, reason="waiting for the damp survey report"),
                  Note(text="resident agreed by phone on 4 June")),
        body="Sam", problems=(), has_commands=True)


def test_outlook_original_message_marker() -> None:
    # given an older Outlook's "-----Original Message-----" above the quoted letter
    text = ("#close\n\nClosing: the resident has moved out.\n\n-----Original Message-----\n"
            "From: Complaints [mailto:complaints@landlord.example]\nSent: 05 June 2026 09:12\n\n"
            + RECEIPT)
    # when
    reply = parse_reply(text, TODAY)
    # then
    assert reply == StaffReply(commands=(Close(),), body="Closing: the resident has moved out.",
                               problems=(), has_commands=True)


def test_outlook_web_html_to_text_with_no_break_and_zero_width_spaces() -> None:
    # given new Outlook's HTML made text: \u200b before the #, \u00a0 for spaces, From/Date block
    text = ("\u200b#respond\u00a0not upheld\n\u00a0\n"
            "Dear\u00a0Ms Shah,\n\nWe visited on 2 June and found no damp.\n\n"
            "*From:* Complaints <complaints+CMP-2026-000042@landlord.example>\n"
            "*Date:* Friday, 5 June 2026 at 09:12\n*To:* Sam Patel <sam.patel@landlord.example>\n"
            "*Subject:* [CMP-2026-000042] Damp in my flat\n\n" + STAFF_NOTICE)
    # when
    reply = parse_reply(text, TODAY)
    # then the greeting is the letter's own, not the response's
    body = "We visited on 2 June and found no damp."
    assert reply == StaffReply(commands=(Respond(outcome="not-upheld", text=body),), body=body,
                               problems=(), has_commands=True)


def test_gmail_respond_with_remedies_and_a_wrapped_attribution_line() -> None:
    # given Gmail: the attribution wrapped over two lines, then the notice quoted with ">"
    response = ("We uphold part of your complaint: the appointments were missed.\n"
                "We do not uphold the rest: the mould came from a blocked vent, now cleared.")
    text = ("#respond partly upheld\n"
            "#remedy £150 compensation for the missed appointments\n"
            "#remedy Mould wash and stain block in the bedroom by 19 June 2026\n\n"
            f"Dear Ms Shah,\n\n{response}\n\nSam Patel\n\n"
            "On Fri, 5 Jun 2026 at 09:12, Complaints <\n"
            "complaints+CMP-2026-000042@landlord.example> wrote:\n\n"
            f"{quoted(STAFF_NOTICE)}\n")
    # when
    reply = parse_reply(text, TODAY)
    # then
    assert reply == StaffReply(
        commands=(Respond(outcome="partly-upheld", text=response, remedies=(
            Remedy(text="£150 compensation for the missed appointments"),
            Remedy(text="Mould wash and stain block in the bedroom by 19 June 2026",
                   due=date(2026, 6, 19)))),),
        body=response, problems=(), has_commands=True)


def test_gmail_single_line_attribution_with_no_commands_sends_a_message() -> None:
    # given a plain reply on the resident's thread
    text = ("Dear Ms Shah,\n\nOur surveyor will call you on Monday to arrange a visit.\n\nSam\n\n"
            "On Fri, Jun 5, 2026 at 9:12 AM Complaints <complaints@landlord.example> wrote:\n\n"
            f"{quoted(RECEIPT)}\n")
    # when
    reply = parse_reply(text, TODAY)
    # then one SendMessage of the staff text, without the greeting and name the letter has
    body = "Our surveyor will call you on Monday to arrange a visit."
    assert reply == StaffReply(commands=(SendMessage(text=body),), body=body, problems=(),
                               has_commands=False)


def test_apple_mail_from_an_iphone() -> None:
    # given Apple Mail on an iPhone: the commands, "Sent from my iPhone", its attribution line
    text = ("  #agreed resident agreed on the phone\n"
            "  #extend 5 working days: contractor needs a second visit\n\n"
            "Sent from my iPhone\n\n"
            "On 5 Jun 2026, at 10:00, Complaints <complaints+CMP-2026-000042@landlord.example> wrote:\n"
            "\n" + quoted(STAFF_NOTICE))
    # when
    reply = parse_reply(text, TODAY)
    # then
    assert reply == StaffReply(
        commands=(RecordAgreement(detail="resident agreed on the phone"),
                  Extend(working_days=5, reason="contractor needs a second visit")),
        body="", problems=(), has_commands=True)


def test_apple_mail_desktop_with_signature_separator() -> None:
    # given Apple Mail on a Mac, with an RFC 3676 signature
    text = ("#not-a-complaint We have raised repair job 55123 for the dripping tap.\n\n"
            "-- \nSam Patel | Homes Plus\n\n"
            "On 5 Jun 2026, at 10:00, Priya Shah <priya.shah@example.org> wrote:\n\n> My tap drips.\n")
    # when
    reply = parse_reply(text, TODAY)
    # then the reason stays the one on the line
    assert reply == StaffReply(
        commands=(NotAComplaint(reason="We have raised repair job 55123 for the dripping tap."),),
        body="", problems=(), has_commands=True)


@pytest.mark.parametrize("signature", ["Get Outlook for iOS", "Get Outlook for Android",
                                       "Sent from my Galaxy", "Sent from Outlook for Android",
                                       "--"])
def test_mobile_signatures_end_the_text(signature: str) -> None:
    # given
    text = f"Thanks, I will call you tomorrow.\n\n{signature}\n________________________________\n"
    # when
    reply = parse_reply(text, TODAY)
    # then
    assert reply.body == "Thanks, I will call you tomorrow."


def test_everything_after_the_first_quoted_block_is_cut() -> None:
    # given an inline reply: staff text, a quote, more staff text, another quote
    text = "#note see the inline answers\n\nFirst answer\n> question one\nSecond answer\n> q2\n"
    # when
    reply = parse_reply(text, TODAY)
    # then
    assert (reply.commands, reply.body) == ((Note(text="see the inline answers"),), "First answer")


def test_staff_text_that_only_resembles_quoting_headers_is_kept() -> None:
    # given lines that start like headers but are not (no time or address; no Sent:/Date: after)
    text = ("On 3 June the resident wrote:\n"
            "From: the start, she asked for a visit.\n"
            "Thanks\n\n\n")
    # when
    reply = parse_reply(text, TODAY)
    # then all of it is the message but the sign-off (trailing blank lines trimmed)
    assert reply.body == "On 3 June the resident wrote:\nFrom: the start, she asked for a visit."
    assert reply.commands == (SendMessage(text=reply.body),)


def test_a_line_starting_with_on_above_the_attribution_line_is_kept() -> None:
    # given staff text starting "On" just above Gmail's attribution line
    text = ("On reflection, we agree.\n"
            "On Fri, 5 Jun 2026 at 09:12, Priya Shah <priya.shah@example.org> wrote:\n> Is it fixed?\n")
    # when
    reply = parse_reply(text, TODAY)
    # then
    assert reply.body == "On reflection, we agree."


def test_trailing_whitespace_is_trimmed_and_indentation_kept() -> None:
    # given
    text = "\n\n  Ms Shah asked for:   \n\n    - item one\t\n\n\n"
    # when
    reply = parse_reply(text, TODAY)
    # then
    assert reply.body == "  Ms Shah asked for:\n\n    - item one"


# --- every command --------------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "command"), [
    ("#extend 10 survey booked for 15 June", Extend(working_days=10, reason="survey booked for 15 June")),
    ("#extend 1 one more day", Extend(working_days=1, reason="one more day")),
    ("#extend 60 major works", Extend(working_days=60, reason="major works")),
    ("#extend\t7\tsurvey", Extend(working_days=7, reason="survey")),
    ("#extend 10 working days - waiting for the contractor",
     Extend(working_days=10, reason="waiting for the contractor")),
    ("#agreed", RecordAgreement()),
    ("#agreed by email on 4 June", RecordAgreement(detail="by email on 4 June")),
    ("#approved", RecordApproval()),
    ("#approved J. Smith, Head of Housing", RecordApproval(detail="J. Smith, Head of Housing")),
    ("#escalate resident unhappy with the stage 1 response",
     Escalate(reason="resident unhappy with the stage 1 response")),
    ("#refuse older than 12 months with no good reason",
     Refuse(reason="older than 12 months with no good reason")),
    ("#not-a-complaint first report of a repair: job 55123 raised",
     NotAComplaint(reason="first report of a repair: job 55123 raised")),
    ("#withdraw", Withdraw()),
    ("#withdraw resident phoned to withdraw", Withdraw(reason="resident phoned to withdraw")),
    ("#close", Close()),
    ("#close resolved on the phone", Close(reason="resolved on the phone")),
    ("#note Called Ms Shah; she is out until 3pm", Note(text="Called Ms Shah; she is out until 3pm")),
    ("#assign Sam.Patel@Landlord.Example", Assign(address="sam.patel@landlord.example")),
    ("#assign <sam@landlord.example>", Assign(address="sam@landlord.example")),
    ("#assign sam@landlord.example<mailto:sam@landlord.example>", Assign(address="sam@landlord.example")),
    ("#assign mailto:Sam@landlord.example", Assign(address="sam@landlord.example")),
    ("#assign sam@landlord.example.", Assign(address="sam@landlord.example")),
    ("#policy Homes-Plus-Scotland", SetPolicy(policy="homes-plus-scotland")),
    ("#policy no-such-policy", SetPolicy(policy="no-such-policy")),
    ("#adjustments large print; phone calls after 2pm only",
     RecordAdjustments(text="large print; phone calls after 2pm only")),
    ("#category Repairs - damp and mould", Categorise(category="Repairs - damp and mould")),
    ("#category: anti-social behaviour", Categorise(category="anti-social behaviour")),
    ("#tenure LCHO", SetTenure(tenure="LCHO")),
    ("#Tenure: lcra", SetTenure(tenure="lcra")),
])
def test_each_command_and_its_argument(line: str, command: Command) -> None:
    # when
    reply = parse_reply(line + "\n", TODAY)
    # then
    assert (one(reply), reply.has_commands, reply.body) == (command, True, "")


@pytest.mark.parametrize(("argument", "outcome"), [
    ("upheld", "upheld"), ("Upheld.", "upheld"), ("partly-upheld", "partly-upheld"),
    ("partly upheld", "partly-upheld"), ("Partially Upheld", "partly-upheld"),
    ("partially-upheld", "partly-upheld"), ("not-upheld", "not-upheld"), ("not upheld", "not-upheld"),
    ("resolved", "resolved"),
])
def test_respond_outcomes(argument: str, outcome: str) -> None:
    # when
    reply = parse_reply(f"#respond {argument}\n\nOur response.", TODAY)
    # then
    assert one(reply) == Respond(outcome=outcome, text="Our response.")


@pytest.mark.parametrize("line", ["#NOTE hello", "#Note: hello", "#note:hello", "   #note hello",
                                  "\t#note hello", "# note hello", "\u200b\u00a0#note hello",
                                  "#note : hello"])
def test_command_words_are_forgiving(line: str) -> None:
    # when
    reply = parse_reply(f"\n\n{line}\n", TODAY)
    # then
    assert one(reply) == Note(text="hello")


def test_commands_in_order_with_blank_lines_between_them() -> None:
    # given
    text = "#assign amy@landlord.example\n\n#adjustments BSL interpreter\n\n#note passed to Amy\n"
    # when
    reply = parse_reply(text, TODAY)
    # then
    assert reply.commands == (Assign(address="amy@landlord.example"),
                              RecordAdjustments(text="BSL interpreter"), Note(text="passed to Amy"))


def test_acknowledge_takes_text_on_its_line_and_below() -> None:
    # when
    reply = parse_reply("#acknowledge: Damp and mould in the bedroom.\n\nShe wants it fixed.", TODAY)
    # then
    assert one(reply) == Acknowledge(definition="Damp and mould in the bedroom.\n\nShe wants it fixed.")


@pytest.mark.parametrize(("word", "command"), [
    ("escalate", Escalate(reason="She says the repair was never done.")),
    ("refuse", Refuse(reason="She says the repair was never done.")),
    ("not-a-complaint", NotAComplaint(reason="She says the repair was never done.")),
    ("note", Note(text="She says the repair was never done.")),
    ("adjustments", RecordAdjustments(text="She says the repair was never done.")),
])
def test_text_commands_take_the_body_when_their_line_has_none(word: str, command: Command) -> None:
    # when
    reply = parse_reply(f"#{word}\n\nShe says the repair was never done.\n", TODAY)
    # then
    assert one(reply) == command


def test_commands_below_the_text_are_text() -> None:
    # given a # line after the first line of text
    text = "#note first\nSome text\n#close\n  #extend 5 reason\n#hashtag\n"
    # when
    reply = parse_reply(text, TODAY)
    # then only the top line is a command; command lines below are neither run nor sent to
    # the resident (a #note there is still internal), and are reported as not done
    assert reply.commands == (Note(text="first"),)
    assert reply.body == "Some text\n#hashtag"
    why = ("it is below the text, so it was not read as a command (commands go at the top of "
           "the reply), and it was left out of the text the resident sees")
    assert reply.problems == (f'"#close": {why}', f'"#extend 5 reason": {why}')


def test_a_message_with_a_command_below_its_text_is_still_a_message() -> None:
    # when
    reply = parse_reply("We will visit on Monday.\n#close\n", TODAY)
    # then
    assert reply.commands == (SendMessage(text="We will visit on Monday."),)
    assert not reply.has_commands
    assert len(reply.problems) == 1


def test_quoted_command_lines_are_never_commands() -> None:
    # given a reply that is only quoted history, including an earlier reply's commands
    text = "On Fri, 5 Jun 2026 at 09:12, Sam <sam@landlord.example> wrote:\n> #close\n> #note x\n"
    # when
    reply = parse_reply(text, TODAY)
    # then
    assert reply == StaffReply(commands=(), body="", has_commands=False, problems=(
        "the reply has no commands and no text of its own: nothing to send",))


@pytest.mark.parametrize("text", ["", "\n\n", " \r\n\u00a0\r\n", "> quoted only", "-- \nSam"])
def test_nothing_to_send(text: str) -> None:
    # when
    reply = parse_reply(text, TODAY)
    # then
    assert reply == StaffReply(commands=(), body="", has_commands=False, problems=(
        "the reply has no commands and no text of its own: nothing to send",))


# --- every argument error -------------------------------------------------------------------------

WHY_EXTEND = "#extend needs a number of working days and a reason"


@pytest.mark.parametrize(("line", "problem"), [
    ("#extend ten survey", f'"#extend ten survey": {WHY_EXTEND}'),
    ("#extend", f'"#extend": {WHY_EXTEND}'),
    ("#extend 10", f'"#extend 10": {WHY_EXTEND}'),
    ("#extend 10 working days", f'"#extend 10 working days": {WHY_EXTEND}'),
    ("#extend 10.5 survey", f'"#extend 10.5 survey": {WHY_EXTEND}'),
    ("#extend -5 survey", f'"#extend -5 survey": {WHY_EXTEND}'),
    ("#extend 0 survey", '"#extend 0 survey": #extend takes 1 to 60 working days, not 0'),
    ("#extend 61 survey", '"#extend 61 survey": #extend takes 1 to 60 working days, not 61'),
    ("#extend 99999999999999 x", '"#extend 99999999999999 x": #extend takes 1 to 60 working days, '
                                 'not 9999999999'),
    ("#respond", '"#respond": #respond needs an outcome: upheld, partly-upheld, not-upheld or resolved'),
    ("#respond mostly upheld",
     '"#respond mostly upheld": #respond needs an outcome: upheld, partly-upheld, not-upheld or resolved'),
    ("#respond upheld see below",
     '"#respond upheld see below": #respond needs an outcome: upheld, partly-upheld, not-upheld or resolved'),
    ("#respond upheld", '"#respond upheld": #respond needs the response written below the command lines'),
    ("#acknowledge", '"#acknowledge": #acknowledge needs the complaint definition and the outcomes '
                     'sought, written below the command lines'),
    ("#escalate", '"#escalate": #escalate needs a reason'),
    ("#refuse", '"#refuse": #refuse needs a reason'),
    ("#not-a-complaint", '"#not-a-complaint": #not-a-complaint needs a reason: what happens instead'),
    ("#note", '"#note": #note needs text'),
    ("#note:", '"#note:": #note needs text'),
    ("#adjustments", '"#adjustments": #adjustments needs text: the support needs'),
    ("#category", '"#category": #category needs a few words on its line, e.g. #category repairs - damp'),
    ("#tenure", '"#tenure": #tenure needs LCRA, LCHO or other'),
    ("#assign", '"#assign": #assign needs one email address'),
    ("#assign Sam Patel", '"#assign Sam Patel": #assign needs one email address'),
    ("#assign sam@", '"#assign sam@": #assign needs one email address'),
    ("#assign sam@landlord", '"#assign sam@landlord": #assign needs one email address'),
    ("#assign a@landlord.example b@landlord.example",
     '"#assign a@landlord.example b@landlord.example": #assign needs one email address'),
    ("#policy", '"#policy": #policy needs one policy id, e.g. #policy hos-2024'),
    ("#policy hos 2024", '"#policy hos 2024": #policy needs one policy id, e.g. #policy hos-2024'),
    ("#remedy", '"#remedy": #remedy needs text: what will be done, e.g. #remedy £150 compensation'),
    ("#remedy £50", '"#remedy £50": #remedy belongs with a #respond in the same reply'),
    ("#", '"#": a # line needs a command, e.g. #note <text>'),
    ("#acknowledged", '"#acknowledged": #acknowledged is not a command: did you mean #acknowledge?'),
    ("#notacomplaint x", '"#notacomplaint x": #notacomplaint is not a command: did you mean '
                         '#not-a-complaint?'),
    ("#1 priority", '"#1 priority": #1 is not a command; the commands are #acknowledge, #extend, '
                    '#agreed, #approved, #respond, #remedy, #escalate, #refuse, #not-a-complaint, '
                    '#withdraw, #close, #note, #assign, #policy, #adjustments, #done, '
                    '#category, #tenure, #message, #preview'),
])
def test_each_argument_error(line: str, problem: str) -> None:
    # when the line is the whole reply
    reply = parse_reply(line, TODAY)
    # then it is not a command, and the problem says why
    assert reply == StaffReply(commands=(), body="", problems=(problem,), has_commands=True)


def test_a_bad_line_does_not_stop_the_good_ones() -> None:
    # when
    reply = parse_reply("#extend ten survey\n#note spoke to Ms Shah\n", TODAY)
    # then
    assert reply.commands == (Note(text="spoke to Ms Shah"),)
    assert reply.problems == (f'"#extend ten survey": {WHY_EXTEND}',)
    assert reply.has_commands


def test_a_long_unusable_line_is_shortened_in_its_problem() -> None:
    # when
    reply = parse_reply("#extend " + "x" * 200, TODAY)
    # then
    assert reply.problems == ('"#extend ' + "x" * 71 + '…": ' + WHY_EXTEND,)


def test_acknowledge_and_respond_cannot_share_the_text() -> None:
    # when
    reply = parse_reply("#acknowledge\n#respond upheld\n\nThe text.", TODAY)
    # then
    assert reply.commands == (Acknowledge(definition="The text."),)
    assert reply.problems == (
        '"#respond upheld": #acknowledge already takes the text below: send #respond in a reply of its own',)


def test_one_respond_per_reply() -> None:
    # when
    reply = parse_reply("#respond upheld\n#respond not upheld\n\nThe text.", TODAY)
    # then
    assert reply.commands == (Respond(outcome="upheld", text="The text."),)
    assert reply.problems == (
        '"#respond not upheld": #respond already takes the text below: send #respond in a reply of its own',)


def test_too_many_command_lines() -> None:
    # given
    text = "#note x\n" * (MAX_COMMAND_LINES + 7) + "text"
    # when
    reply = parse_reply(text, TODAY)
    # then
    assert reply.commands == (Note(text="x"),) * MAX_COMMAND_LINES
    assert reply.problems == (
        f"more than {MAX_COMMAND_LINES} command lines: the 7 after those were not read",)
    assert reply.body == "text"


# --- #remedy and its due date ---------------------------------------------------------------------


@pytest.mark.parametrize(("remedy", "due"), [
    ("Replace the extractor fan by 12 June 2026", date(2026, 6, 12)),
    ("Replace the extractor fan by 12 Jun 2026", date(2026, 6, 12)),
    ("Replace the extractor fan by 12th June, 2026", date(2026, 6, 12)),
    ("Replace the extractor fan by Friday 12 June 2026", date(2026, 6, 12)),
    ("Replace the extractor fan by Fri, 12 June 2026", date(2026, 6, 12)),
    ("Replace the extractor fan by the 12th of June 2026", date(2026, 6, 12)),
    ("Replace the extractor fan by June 12, 2026", date(2026, 6, 12)),
    ("Replace the extractor fan by 2026-06-12", date(2026, 6, 12)),
    ("Replace the extractor fan by 12/06/2026", date(2026, 6, 12)),
    ("Replace the extractor fan by 12.06.2026", date(2026, 6, 12)),
    ("Replace the extractor fan by 12/6/26", date(2026, 6, 12)),
    ("Replace the extractor fan BY 5 June 2026", date(2026, 6, 5)),  # today is fine
    ("Replace the extractor fan by 12 June", date(2026, 6, 12)),  # no year: the next 12 June
    ("Replace the window by 3 March", date(2027, 3, 3)),  # 3 March 2026 is past: 2027
    ("£150 paid by bank transfer by 30/06/2026", date(2026, 6, 30)),  # the first "by" with a date
    ("£150 paid by bank transfer", None),
    ("Apology letter from the Director", None),
    ("Refund of £12.06 by cheque", None),
])
def test_remedy_due_dates(remedy: str, due: date | None) -> None:
    # when
    reply = parse_reply(f"#respond upheld\n#remedy {remedy}\n\nThe response.", TODAY)
    # then
    assert one(reply) == Respond(outcome="upheld", text="The response.",
                                 remedies=(Remedy(text=remedy, due=due),))


@pytest.mark.parametrize(("remedy", "why"), [
    ("Fix the fan by 31 June 2026", "#remedy: 31 June 2026 is not a date"),
    ("Fix the fan by 31/06/2026", "#remedy: 31/06/2026 is not a date"),
    ("Fix the fan by 2026-13-01", "#remedy: 2026-13-01 is not a date"),
    ("Fix the fan by 06/13/2026", "#remedy: 06/13/2026 is not a date (dates are day first: 31/12/2026)"),
    ("Fix the fan by 29 February 2027", "#remedy: 29 February 2027 is not a date"),
    ("Fix the fan by 4 June 2026",
     "#remedy: 4 June 2026 is in the past (an outstanding action needs a date from today on)"),
    ("Fix the fan by 12 June 2062", "#remedy: 12 June 2062 is more than 3 years away: check the year"),
])
def test_remedy_dates_that_cannot_be_used(remedy: str, why: str) -> None:
    # when
    reply = parse_reply(f"#respond upheld\n#remedy £50\n#remedy {remedy}\n\nThe response.", TODAY)
    # then the response is not sent without one of its remedies
    assert reply.commands == ()
    assert reply.problems == (f'"#remedy {remedy}": {why}',
                              '"#respond upheld": not done, because a #remedy line has a problem')


def test_remedy_lines_before_or_after_respond_belong_to_it() -> None:
    # when
    reply = parse_reply("#remedy first\n#note n\n#respond upheld\n#remedy second\n\nText.", TODAY)
    # then
    assert reply.commands == (Note(text="n"), Respond(outcome="upheld", text="Text.", remedies=(
        Remedy(text="first"), Remedy(text="second"))))
    assert reply.problems == ()


# --- hostile text ---------------------------------------------------------------------------------

TWO_MB = 2 * 1024 * 1024


@pytest.mark.parametrize("unit", ["#", ">", "#>", ">#", "#\n", ">\n", "#\n>\n", "\n#", "# #>",
                                  "#remedy by 1/", "On 1:0@ ", "From:\nSent:\n", "\u200b#\u00a0"])
def test_hostile_text_gives_a_bounded_list_of_problems(unit: str) -> None:
    # given 2 MB of one shape (benchmarks/bench_quoting.py measures the time it takes)
    text = unit * (TWO_MB // len(unit))
    # when
    reply = parse_reply(text, TODAY)
    # then it is parsed with a bounded list of problems
    assert len(reply.problems) <= MAX_COMMAND_LINES + 10
    assert all(len(p) < 400 for p in reply.problems)


def test_hostile_respond_with_a_huge_remedy() -> None:
    # given
    text = "#respond upheld\n#remedy " + "by 12 " * 300_000 + "\n\ntext"
    # when
    reply = parse_reply(text, TODAY)
    # then
    assert reply.problems == ()
    [respond] = reply.commands
    assert isinstance(respond, Respond) and respond.remedies[0].due is None


PIECES = st.sampled_from([
    "#", ">", "\n", "\r\n", "\r", " ", "\u00a0", "\u200b", ":", "-- ", "_" * 32, "On ", "wrote:",
    "at 10:00", "<a@b.example>", "From: x", "Sent: y", "Date: z", "-----Original Message-----",
    "Sent from my iPhone", "by", "12", "/", "June", "2026", "31", "-", *(f"#{w}" for w in COMMAND_NAMES),
    "upheld", "partly upheld", "10", "x@y.example", "é", "\x00", "\u2028",
])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=500), st.lists(PIECES, max_size=80).map("".join)),
       st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_parse_reply_never_raises(text: str, today: date) -> None:
    # when
    reply = parse_reply(text, today)
    # then the result is well formed whatever the text
    assert isinstance(reply, StaffReply)
    assert all(isinstance(c, Command) for c in reply.commands)
    assert reply.has_commands or len(reply.commands) <= 1
    assert all(not line.lstrip().startswith(">") for line in reply.body.split("\n"))
    assert reply.body == reply.body.strip("\n")
    assert all(line == line.rstrip() for line in reply.body.split("\n"))
    if not reply.has_commands and reply.commands:
        assert reply.commands == (SendMessage(text=reply.body),)


def test_done_names_a_remedy_by_its_number() -> None:
    from complaints.domain.commands import RemedyDone

    reply = parse_reply("#done 2 fitted on Thursday\n", TODAY)
    assert reply.commands == (RemedyDone(number=2, detail="fitted on Thursday"),)
    for bad in ("#done", "#done two", "#done ²", "#done 99999"):
        assert parse_reply(bad + "\n", TODAY).problems, bad
