"""Every letter kind (issue 9) renders from its documented context and passes its regime's rules.

Given a full context for each kind (the fields /tmp/letters_spec.md lists, realistic values) and
a HOS policy (hos-2024) and an SPSO one (spso-mchp), when the letter is built, then the linter
finds nothing; and a letter that names the SPSO too early, drops the Ombudsman's phone from an
extension or the time limit from a final response is caught. Staff text is escaped in HTML.
"""

from __future__ import annotations

import re
from datetime import date
from email.message import EmailMessage
from typing import Any

import pytest

from complaints.adapters.preset_files import PresetLibrary
from complaints.domain.digest import BreachLine, DueStep, LetterLine, WeekDigest
from complaints.domain.policy import Policy
from complaints.mail import letter_kinds
from complaints.mail.letters import Envelope, build
from complaints.mail.lint import Finding, check

LIBRARY = PresetLibrary()
POLICIES = ("hos-2024", "spso-mchp")
REFERENCE = "CMP-2026-000042"
COMPLAINTS = "complaints@landlord.example"
RESIDENT = "jo.bloggs@example.com"
HANDLER = "sam.patel@landlord.example"
# Every registered kind (mail/letter_kinds.py) but the receipt, the quarantine notice and the
# not-opened notice (about no case), which the mailroom's tests write from real mail
# (tests/service/test_another_way.py): a new kind needs its sample context below.
FROM_MAIL = ("receipt", "quarantine_notice", "not_opened")
STAFF = tuple(k for k in letter_kinds.KINDS if k in letter_kinds.STAFF_KINDS and k not in FROM_MAIL)
RESIDENT_KINDS = tuple(k for k in letter_kinds.KINDS
                       if k not in letter_kinds.STAFF_KINDS and k not in FROM_MAIL)
KINDS = RESIDENT_KINDS + STAFF
# The kind's stage: what the service passes to the linter with the letter.
STAGE = {"escalation_acknowledgement": 2, "final_response": 2}
CHEAT_SHEET = [
    "#acknowledge  (the complaint definition below) - sends the acknowledgement",
    "#extend N <reason>  - extends by N working days (#agreed / #approved first where needed)",
    "#respond upheld|partly-upheld|not-upheld|resolved  + #remedy <text> lines; the response below",
    "No # lines: your text goes to the resident as a message on the case.",
]


def common(policy: Policy, stage: int) -> dict[str, Any]:
    s = policy.stage(stage)
    return {
        "landlord": "Example Homes", "complaints_address": COMPLAINTS, "reference": REFERENCE,
        "resident_name": "Jo Bloggs", "subject": "Damp in the back bedroom", "stage": stage,
        "stage_name": s.name, "final_stage": stage == len(policy.stages),
        "final_response_given": stage == len(policy.stages),
        "landlord_address": ["1 High Street", "Newtown NE1 1AA"],
        "logo_url": "https://landlord.example/logo.png",
        "policy_name": "Example Homes complaints procedure",
        "ombudsman": policy.summary()["ombudsman"], "ombudsman_time_limit": "12 months",
        "advice": [{"name": n, "contact": c, "url": u} for n, c, u in policy.rules.advice],
        "adjustments_text": (
            "If you need any reasonable adjustments to take part in the complaints process, or our "
            "letters in another format (such as large print, Braille, audio or another language), "
            f"tell us: reply to this email or write to {COMPLAINTS}."),
        "support_needs": "Large print, please; phone calls after 2pm only.",
        "signature": "Sam Patel\nComplaints Officer, Example Homes",
        "handler": HANDLER,
        "escalation_text": (
            "If you are unhappy with our stage 1 response, you can ask us to look at your "
            "complaint again at stage 2: reply to this email and tell us what you are still "
            "unhappy about, within two months of receiving our stage 1 response."),
        "escalate_mailto": (f"mailto:complaints+{REFERENCE}@landlord.example?subject=Escalate%20"
                            f"{REFERENCE}"),
        # what the web form asks beyond a message (issue 11)
        "channel": "web form", "anonymous": False,
        "contact": {"email": RESIDENT, "phone": "01632 960 001", "preferred": "phone"},
        "home": {"address": "Flat 2, 1 High Street", "postcode": "NE1 1AA"},
        "outcome_sought": "Treat the damp and repaint the bedroom.",
        "representative": {"complaining for": "Pat Bloggs", "relationship": "son"},
    }


REMEDIES: list[dict[str, Any]] = [
    {"text": "We will treat the mould and repaint the back bedroom.", "due": date(2026, 6, 26)},
    {"text": "We will pay you £150 compensation for the time the repair took.", "due": None}]


def per_kind(kind: str, policy: Policy, stage: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "outcome": "partly-upheld", "outcome_text": "we uphold your complaint in part",
        "definition": "The damp in the back bedroom has not been fixed since January. You want it "
                      "repaired and compensation for the damaged carpet.",
        "response_text": "1. The repair: we upheld this point, because the repair was booked late "
                         "and our contractor missed two appointments.\n2. The carpet: we did not "
                         "uphold this point, because the damage predates the leak (tenancy "
                         "agreement, clause 4.2).",
        "remedies": REMEDIES, "outstanding": [r for r in REMEDIES if r["due"]],
    }
    ext = policy.stage(stage).extension
    return {
        "staff_new_case": {
            "resident": RESIDENT, "received_on": date(2026, 6, 1),
            "summary": "The damp in the back bedroom has been reported three times since January ...",
            "attachments": [{"filename": "mould.jpg", "size": 245_760}],
            "acknowledge_by": date(2026, 6, 8) if policy.stage(1).acknowledge else None,
            "respond_by": date(2026, 6, 22), "provisional": True,
            "flags": [{"name": "support-needs", "why": "the resident asked for large print"}],
            "policy_id": policy.id, "nation": policy.nation, "cheat_sheet": CHEAT_SHEET,
        },
        "acknowledgement": {
            "received_on": date(2026, 6, 1), "acknowledged_on": date(2026, 6, 3),
            "definition": response["definition"], "respond_by": date(2026, 6, 17),
            "extension_text": "If we need longer, we will tell you why, and give you a new date.",
        },
        "escalation_acknowledgement": {
            "escalation_received_on": date(2026, 7, 1), "acknowledged_on": date(2026, 7, 3),
            "definition": "You are still unhappy that we will not replace the carpet. You want "
                          "it replaced.",
            "respond_by": date(2026, 7, 29),
            "extension_text": "If we need longer, we will tell you why, and give you a new date.",
        },
        "escalation_receipt": {
            "escalation_received_on": date(2026, 7, 1), "respond_by": date(2026, 7, 29),
            "acknowledge_by": date(2026, 7, 8) if policy.stage(stage).acknowledge else None,
            "later_stage_handler": bool(policy.rules.later_stage_handler),
        },
        "resident_wrote": {
            "writer": "Jo Bloggs", "text": "When is someone going to ring me? The mould is back.",
            "files": [{"filename": "mould.jpg", "size": 245_760, "attached": True, "why": ""},
                      {"filename": "video.mp4", "size": 30_000_000, "attached": False,
                       "why": "the files with it pass 10 MB"}],
            "happened": [], "whole": "", "status": "acknowledged", "next_step": "response",
            "next_due": date(2026, 6, 17), "cheat_sheet": CHEAT_SHEET,
            "subject_line": "Jo Bloggs wrote: When is someone going to ring me?",
        },
        "handover": {
            "assigned_by": "pat@landlord.example", "resident": RESIDENT,
            "received_on": date(2026, 6, 1), "policy_id": policy.id, "status": "acknowledged",
            "next_step": "response", "next_due": date(2026, 6, 17),
            "definition": response["definition"], "cheat_sheet": CHEAT_SHEET,
            "recent": ["01 Jun 2026 09:00 resident: received: by email"],
        },
        "extension": {
            "old_date": date(2026, 6, 17), "new_date": date(2026, 7, 1),
            "reason": "we are waiting for the damp survey report, which is due on 24 June.",
            "working_days": 10,
            "agreement_text": "approved by a manager" if ext.agreement == "manager-approval" else "",
            "update_every": ext.update_every_working_days,
        },
        "stage1_response": {**response, "escalation_text": common(policy, stage)["escalation_text"]},
        "final_response": response,
        "refusal": {"reason": "the matter is the subject of court proceedings you have started, "
                              "so the court will decide it."},
        "not_a_complaint": {"reason": "This is the first time you have told us about the dripping "
                                      "tap, so we have booked the repair as a service request: a "
                                      "plumber will visit on Tuesday 9 June 2026."},
        "closure": {"reason": "our complaints process is complete"},
        "resident_message": {"message": "Our surveyor can visit on Thursday 11 June at 10am. "
                                        "Please reply to confirm that suits you."},
        "command_result": {
            "results": [{"command": "#acknowledge", "done": True, "detail": "acknowledgement sent"},
                        {"command": "#extend 30 survey", "done": False,
                         "detail": "hos-2024 extends by at most 10 working days at stage 1"}],
            "status": "acknowledged", "respond_by": date(2026, 6, 17), "cheat_sheet": CHEAT_SHEET,
        },
        "reminder": {"step": "the stage 1 response", "due": date(2026, 6, 17),
                     "working_days_left": 2, "resident": RESIDENT,
                     "rule": "10 working days from acknowledgement (000 §9.5)"},
        "overdue_alert": {"step": "the stage 1 response", "due": date(2026, 6, 17),
                          "working_days_late": 1, "handler": HANDLER, "resident": RESIDENT,
                          "rule": "10 working days from acknowledgement (000 §9.5)"},
        "staff_notice": {"headline": "A letter was not sent",
                         "details": ["acknowledgement letter to jo.bloggs@example.com was not sent "
                                     "after 6 attempts: 550 mailbox unavailable"],
                         "rule": "", "status": "acknowledged", "cheat_sheet": CHEAT_SHEET,
                         "handler": HANDLER, "resident": RESIDENT},
        "digest": digest_context(),
    }[kind]


def digest_context() -> dict[str, Any]:
    """The manager's digest: one case overdue, one extended, one no one handles; a breach
    made good, one still open; a letter that failed."""
    week = WeekDigest(date(2026, 6, 1), date(2026, 5, 25), (
        DueStep(REFERENCE, "Damp in the back bedroom", "received", 1, "acknowledgement",
                date(2026, 5, 28), False, 0, True, 2, HANDLER),
        DueStep("CMP-2026-000043", "Heating", "extended", 2, "response",
                date(2026, 9, 30), True, 20, False, 0, ""),
    ), (
        BreachLine(REFERENCE, 1, "acknowledgement", date(2026, 5, 28), None, None, 2, HANDLER),
        BreachLine("CMP-2026-000040", 1, "response", date(2026, 5, 20), date(2026, 5, 27),
                   date(2026, 5, 29), 7, ""),
    ), (
        LetterLine(REFERENCE, "acknowledgement", RESIDENT, "failed",
                   "550 mailbox unavailable " * 8, HANDLER),
    ))
    return {**week.context(), "role": "manager", "counts": week.summary()}


def context(kind: str, policy: Policy, stage: int) -> dict[str, Any]:
    return {**common(policy, stage), **per_kind(kind, policy, stage)}


def letter(kind: str, ctx: dict[str, Any]) -> EmailMessage:
    staff = kind in STAFF
    envelope = Envelope(landlord="Example Homes", complaints_address=COMPLAINTS,
                        to="complaints-team@landlord.example" if staff else RESIDENT,
                        to_name="" if staff else "Jo Bloggs", reference=REFERENCE,
                        subject="About your complaint: Damp in the back bedroom")
    return build(envelope, kind, ctx)


def lint(kind: str, message: EmailMessage, policy: Policy, stage: int) -> list[Finding]:
    return check(kind, message, policy, LIBRARY.regime_for(policy.nation), stage)


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


@pytest.mark.parametrize("policy_id", POLICIES)
@pytest.mark.parametrize("kind", KINDS)
def test_each_letter_passes_its_regimes_rules(kind: str, policy_id: str) -> None:
    policy = LIBRARY.get(policy_id)
    stage = STAGE.get(kind, 1)
    message = letter(kind, context(kind, policy, stage))
    assert [f.line() for f in lint(kind, message, policy, stage)] == []
    text, html = parts(message)
    assert REFERENCE in text and REFERENCE in html
    assert '<html lang="en">' in html and "<title>" in html
    assert not re.search(r"\b2026-\d\d-\d\d\b", text + html)  # dates in full, never ISO
    long = [line for line in text.splitlines()
            if len(line) > 78 and "://" not in line and "mailto:" not in line]
    assert long == [], long


@pytest.mark.parametrize("kind", ["escalation_acknowledgement", "extension", "refusal", "closure",
                                  "resident_message"])
def test_stage_2_letters_pass_at_stage_2(kind: str) -> None:
    for policy_id in POLICIES:
        policy = LIBRARY.get(policy_id)
        message = letter(kind, context(kind, policy, 2))
        assert [f.line() for f in lint(kind, message, policy, 2)] == []
    spso = LIBRARY.get("spso-mchp")
    text, _ = parts(letter("extension", context("extension", spso, 2)))
    assert "at least every 20 working days" in " ".join(text.split())


def test_hos_resident_letters_give_the_ombudsman_and_spso_ones_do_not_before_the_final() -> None:
    hos, spso = LIBRARY.get("hos-2024"), LIBRARY.get("spso-mchp")
    for kind in RESIDENT_KINDS:
        stage = STAGE.get(kind, 1)
        text, html = parts(letter(kind, context(kind, hos, stage)))
        assert "0300 111 3000" in text and "0300 111 3000" in html, kind
        text, html = parts(letter(kind, context(kind, spso, stage)))
        named = "SPSO" in text or "0800 377 7330" in text
        assert named == (kind in ("final_response", "refusal")), kind


@pytest.mark.parametrize("kind,field", [("stage1_response", "response_text"),
                                        ("extension", "reason"),
                                        ("acknowledgement", "definition")])
def test_an_spso_letter_naming_the_spso_early_fails(kind: str, field: str) -> None:
    spso = LIBRARY.get("spso-mchp")
    ctx = context(kind, spso, 1)
    ctx[field] += " You can also go to the Scottish Public Services Ombudsman (SPSO)."
    findings = lint(kind, letter(kind, ctx), spso, 1)
    assert {f.rule for f in findings} == {"no-spso-signpost"}
    assert {f.part for f in findings} == {"text", "html"}


def test_a_hos_extension_without_the_ombudsmans_phone_fails() -> None:
    hos = LIBRARY.get("hos-2024")
    ctx = context("extension", hos, 1)
    ctx["ombudsman"] = {**ctx["ombudsman"], "phone": "(phone number withheld)"}
    findings = lint("extension", letter("extension", ctx), hos, 1)
    assert {(f.rule, f.problem) for f in findings} == {("ombudsman-details", "lacks")}


@pytest.mark.parametrize("policy_id", POLICIES)
def test_a_final_response_without_the_time_limit_fails(policy_id: str) -> None:
    policy = LIBRARY.get(policy_id)
    ctx = context("final_response", policy, 2)
    ctx["ombudsman_time_limit"] = ""
    findings = lint("final_response", letter("final_response", ctx), policy, 2)
    assert {f.rule for f in findings} == {"time-limit"}


@pytest.mark.parametrize("kind,field", [("stage1_response", "response_text"),
                                        ("final_response", "response_text"),
                                        ("extension", "reason"), ("refusal", "reason"),
                                        ("resident_message", "message")])
def test_staff_text_is_escaped_in_html_and_plain_in_text(kind: str, field: str) -> None:
    policy = LIBRARY.get("hos-2024")
    stage = STAGE.get(kind, 1)
    ctx = context(kind, policy, stage)
    ctx[field] = "<script>alert(1)</script> & the survey"
    text, html = parts(letter(kind, ctx))
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; the survey" in html
    assert "<script>" not in html
    assert "<script>alert(1)</script> & the survey" in text


def test_without_a_handler_the_team_is_named() -> None:
    for policy_id in POLICIES:
        policy = LIBRARY.get(policy_id)
        for kind in ("acknowledgement", "final_response"):
            stage = STAGE.get(kind, 1)
            ctx = {**context(kind, policy, stage), "handler": ""}
            message = letter(kind, ctx)
            assert [f.line() for f in lint(kind, message, policy, stage)] == []
            assert COMPLAINTS in parts(message)[0]


@pytest.mark.parametrize("policy_id", POLICIES)
@pytest.mark.parametrize("kind", KINDS)
def test_the_sparse_branches_render_too(kind: str, policy_id: str) -> None:
    """No name, no support needs, no remedies or attachments, dates as the ISO text a stored
    letter keeps: still fit to send, dates still in full."""
    policy = LIBRARY.get(policy_id)
    stage = STAGE.get(kind, 1)
    ctx = context(kind, policy, stage)
    ctx.update(resident_name="", support_needs="")
    for key in ("remedies", "outstanding", "attachments", "flags"):
        if key in ctx:
            ctx[key] = []
    for key in ("acknowledge_by", "update_every"):
        if key in ctx:
            ctx[key] = None
    for key, value in list(ctx.items()):
        if isinstance(value, date):
            ctx[key] = value.isoformat()
    message = letter(kind, ctx)
    assert [f.line() for f in lint(kind, message, policy, stage)] == []
    text, html = parts(message)
    assert not re.search(r"\b2026-\d\d-\d\d\b", text + html)
    if kind not in STAFF:
        assert "Dear resident," in text


@pytest.mark.parametrize("kind", [k for k in KINDS if k not in STAFF])
def test_the_letterhead_comes_from_configuration(kind: str) -> None:
    policy = PresetLibrary().get("hos-2024")
    text, html = parts(letter(kind, context(kind, policy, 1)))
    assert "1 High Street" in text and "Newtown NE1 1AA" in text
    assert '<img src="https://landlord.example/logo.png"' in html
    bare = {**context(kind, policy, 1), "landlord_address": [], "logo_url": ""}
    text, html = parts(letter(kind, bare))
    assert "1 High Street" not in text and "<img" not in html


@pytest.mark.parametrize("subject, name", [
    # CVE-2024-6923: an encoded word holding CR LF, in the resident's subject or name
    ("x =?utf-8?b?eA0KQ29udGVudC1UeXBlOiB0ZXh0L2h0bWwNCg0KPGgxPlBheSE8L2gxPjwhLS0=?=", "Jo"),
    ("Damp", "=?utf-8?q?Sam_=3Csam=40landlord.example=3E?="),
    ("=?utf-8?q?=3D=3Futf-8=3Fq=3FDamp=3D0D=3D0ABcc=3A_x=40evil.example=3F=3D?=", "Jo"),
    ("line one\r\nBcc: x@evil.example", "Jo\r\nBcc: y@evil.example"),
])
def test_a_residents_words_never_become_headers(subject: str, name: str) -> None:
    policy = LIBRARY.get("hos-2024")
    envelope = Envelope(landlord="Example Homes", complaints_address=COMPLAINTS, to=RESIDENT,
                        to_name=name, reference=REFERENCE, subject=subject)
    message = build(envelope, "acknowledgement", context("acknowledgement", policy, 1))
    raw = message.as_bytes()
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0].lower()
    for bad in (b"\ncontent-type: text/html", b"\nbcc:", b"<h1>"):
        assert bad not in head, raw[:600]
    names = [line.split(b":")[0] for line in head.splitlines() if line[:1] not in (b" ", b"\t")]
    assert sorted(names) == sorted({*names})  # each header once
    assert names.count(b"to") == 1 and b"sam@landlord.example>" not in head.split(b"\nto:")[1][:80]


def test_letter_message_ids_do_not_come_from_the_predictable_generator(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 18, 12: a Message-ID quoted back is what ties a bounce or a reply to a letter, so
    it must not be guessable. make_msgid drew on `random` (Mersenne Twister: its state can be
    recovered from earlier output) and the clock; with both held still, two letters' ids were
    the same. They must differ, with 128 random bits, whatever `random` and the clock say."""
    import random
    import time as time_module

    from complaints.mail.letters import new_message_id

    monkeypatch.setattr(random, "getrandbits", lambda bits: 7)
    monkeypatch.setattr(random, "random", lambda: 0.5)
    monkeypatch.setattr(time_module, "time", lambda: 1_790_000_000.0)
    ids = {new_message_id("CMP-2026-000001", "complaints@landlord.example") for _ in range(50)}
    envelope = Envelope("Example Homes", "complaints@landlord.example", "jo@example.org", "Jo",
                        "CMP-2026-000001", "Your complaint")
    context = {"landlord": "Example Homes", "reason": "r", "sender": "s", "subject": "x",
               "received_at": "now", "raw_key": "k", "summary": "", "attached": False}
    built = {str(build(envelope, "quarantine_notice", context)["Message-ID"]) for _ in range(50)}
    assert len(ids) == 50 and len(built) == 50
    for message_id in ids | built:
        random_part = message_id.strip("<>").split(".", 1)[0].split("@", 1)[0]
        assert len(random_part) == 32 and int(random_part, 16) >= 0, message_id
        assert message_id.endswith("@landlord.example>")
