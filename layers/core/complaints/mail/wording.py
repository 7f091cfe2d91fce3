"""Sentences whose words depend on the policy: said once here, used by every letter's text and
HTML alike, so the two parts cannot promise different things."""

from __future__ import annotations

from datetime import date

from complaints.domain.policy import Extension, Policy, Window

_FROM = {"awareness": "of when you first knew of the problem", "event": "of what happened",
         "stage-1-response": "of receiving our stage 1 response"}
_NUMBERS = {2: "two", 3: "three", 6: "six", 12: "twelve", 21: "21"}


def longdate(d: date) -> str:
    return f"{d:%A} {d.day} {d:%B %Y}"


def extension_text(ext: Extension, extended: date | None, signpost_to: str = "") -> str:
    """What the resident is told about an extension, as the policy (after its floor) says;
    ``signpost_to``: the Ombudsman whose details come with it, where letters may give them."""
    who = {"notice": "we will tell you why",
           "resident-agreement": "we will tell you why and ask for your agreement",
           "manager-approval": "a manager must approve it; we will tell you why"}[ext.agreement]
    if ext.hard_cap and extended is not None:
        text = (f"If we need longer, {who}, and give you a new date, which will not be later "
                f"than {longdate(extended)}.")
    elif ext.cap == "beyond-deadline" and ext.working_days:
        text = (f"If we need longer, {who}, and give you a new date. An extension is normally "
                f"no more than {ext.working_days} working days.")
    else:
        text = f"If we need longer, {who}, and give you a new date."
    if ext.update_every_working_days:
        text += (f" We will update you on progress at least every {ext.update_every_working_days} "
                 "working days.")
    if signpost_to:
        text += f" We will give you the {signpost_to}'s contact details with it."
    return text


def window_text(window: Window) -> str:
    """ "within 21 days of receiving our stage 1 response", or "" where the policy sets none."""
    parts = []
    for limit in window.limits:
        amount = _NUMBERS.get(limit.amount, str(limit.amount)) if limit.unit == "months" \
            else str(limit.amount)
        unit = limit.unit if limit.amount != 1 else limit.unit.rstrip("s")
        parts.append(f"{amount} {unit} {_FROM[limit.counts_from]}")
    if not parts:
        return ""
    return "within " + ", or ".join(parts) + (", whichever is later" if len(parts) > 1 else "")


def escalation_text(policy: Policy) -> str:
    """How to ask for stage 2, said in a stage 1 letter (never the Ombudsman's details where
    only the final response may give them)."""
    window = window_text(policy.escalation_window)
    return ("If you are unhappy with our stage 1 response, you can ask us to look at your "
            "complaint again at stage 2: reply to this email and tell us what you are still "
            f"unhappy about{', ' + window if window else ''}.")
