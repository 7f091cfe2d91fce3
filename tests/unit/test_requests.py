"""A resident's reply asks for stage 2 only in their own, un-negated words."""

from __future__ import annotations

import pytest

from complaints.mail.requests import asks_for_next_stage


@pytest.mark.parametrize(("subject", "text"), [
    ("Escalate CMP-2026-000001", ""),  # the letter's mailto link
    ("Re: Escalate CMP-2026-000001", "Thanks"),
    ("Re: Our response", "Please escalate my complaint, the mould is back."),
    ("Re: Our response", "I am not happy, please escalate."),
    ("Re: Our response", "I want it to go to stage 2."),
    ("Re: Our response", "I would like stage two please"),
    ("Re: Our response", "This is not resolved but I want the next stage"),
    ("Re: Our response", "I don't agree with you. Escalate it."),
    ("Re: Our response", "ESCALATION REQUEST"),
])
def test_requests(subject: str, text: str) -> None:
    assert asks_for_next_stage(subject, text)


@pytest.mark.parametrize(("subject", "text"), [
    ("Re: Our response", "Thank you, I am happy. No need to escalate."),
    ("Re: Our response", "I do not want to escalate this."),
    ("Re: Our response", "I don't want stage 2, thanks for sorting it."),
    ("Re: Our response", "We won't be escalating, all fixed now"),
    ("Re: Our response", "Thanks for the visit on Tuesday."),
    ("Re: escalated repairs", "Thanks"),  # a word in the subject is not the link
    ("Re: Our response", ""),
])
def test_not_requests(subject: str, text: str) -> None:
    assert not asks_for_next_stage(subject, text)


def test_only_the_residents_own_words_are_read() -> None:
    """The letter they quote invites escalation; their own lines (even ones starting with #)
    are what count."""
    from complaints.mail.staff_reply import own_text

    reply = ("#1 thing: thanks, all sorted.\n\nOn Mon, 1 Jun 2026 at 10:00, Example Homes "
             "<complaints@landlord.example> wrote:\n> If you are unhappy you can escalate.\n")
    assert own_text(reply) == "#1 thing: thanks, all sorted."
    assert not asks_for_next_stage("Re: Our response", own_text(reply))
    assert asks_for_next_stage("Re: Our response", own_text("#2 please escalate\n" + reply))


@pytest.mark.parametrize(("text", "thanks"), [
    ("Thank you", True), ("OK, thanks - Jo", True), ("Thanks so much!", True),
    ("Great, cheers!", True), ("Kind regards, Jo Bloggs", True), ("", True),
    ("thanks but the boiler is still broken", False), ("I am not happy with this", False),
    ("Nobody came and the tap still drips.", False), ("Thanks. When will the plumber come?", False),
    ("ok " * 20, False), ("Thanks, Jo", True), ("Thanks\nJo Bloggs", True),
    # short words of dissatisfaction are never a sign-off name (an outside attack, issue 20)
    ("Still broken.", False), ("Nobody came", False), ("Not fixed", False), ("Unacceptable!", False),
    ("Disgraceful", False), ("No", False), ("Thanks. Still Leaking", False), ("Not fixed - Jo", False),
])
def test_only_thanks_is_not_dissatisfaction(text: str, thanks: bool) -> None:
    from complaints.mail.requests import only_thanks

    assert only_thanks(text) is thanks
