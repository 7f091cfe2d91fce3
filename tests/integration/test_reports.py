"""History import and the reports' definitions, worked by hand, on DynamoDB Local.

Given cases imported from a CSV (and one live service request), when `Reports` counts a period,
then TSM CH01/CH02 and the Scottish indicators come out exactly as worked below: on time, late,
extended within and beyond the cap, acknowledged late, never acknowledged, over Christmas and
Easter, in both nations, on both sides of 31 March / 1 April.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from complaints.adapters.store import Store
from complaints.domain.commands import NotAComplaint
from complaints.domain.measures import Period, per_1000, percent
from complaints.service.clock import StatutoryClock
from complaints.service.history import COLUMNS, History, cases_csv
from complaints.service.mailroom import Mailroom
from complaints.service.reports import Reports

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
HEADER = ",".join(COLUMNS)


def csv_of(*rows: dict[str, str]) -> str:
    return "\n".join([HEADER, *(",".join(r.get(c, "") for c in COLUMNS) for r in rows)]) + "\n"


def row(reference: str, policy: str, received: str, **more: str) -> dict[str, str]:
    return {"reference": reference, "policy": policy, "received": received, "channel": "email",
            **more}


# hos-2024, stage 1, received Fri 22 May 2026: day one Tue 26 May (Mon 25 May is a bank holiday),
# acknowledge by Mon 1 Jun; acknowledged Wed 27 May -> respond by Wed 10 Jun, extended at most to
# Wed 24 Jun (10 more working days).
ENGLAND_MAY = [
    row("E-ON-TIME", "hos-2024", "2026-05-22", stage1_acknowledged="2026-05-27",
        stage1_responded="2026-06-10", stage1_outcome="upheld", category="repairs",
        compensation="150.00", tenure="LCRA"),
    row("E-LATE", "hos-2024", "2026-05-22", stage1_acknowledged="2026-05-27",
        stage1_responded="2026-06-11", stage1_outcome="not-upheld", category="repairs"),
    # extended to the cap and answered by it: late, but within with extensions
    row("E-EXT-OK", "hos-2024", "2026-05-22", stage1_acknowledged="2026-05-27",
        stage1_extended_to="2026-06-24", stage1_responded="2026-06-24",
        stage1_outcome="partly-upheld", category="damp"),
    # extended beyond the cap (Thu 25 Jun): not within even with extensions
    row("E-EXT-BEYOND", "hos-2024", "2026-05-22", stage1_acknowledged="2026-05-27",
        stage1_extended_to="2026-06-25", stage1_responded="2026-06-25",
        stage1_outcome="upheld", category="damp"),
    # acknowledged late (Wed 3 Jun): the response counts from the real acknowledgement: Wed 17 Jun
    row("E-ACK-LATE", "hos-2024", "2026-05-22", stage1_acknowledged="2026-06-03",
        stage1_responded="2026-06-17", stage1_outcome="upheld"),
    # never acknowledged: from acknowledge_by (Mon 1 Jun): respond by Mon 15 Jun; Tue 16 is late
    row("E-NO-ACK", "hos-2024", "2026-05-22", stage1_responded="2026-06-16",
        stage1_outcome="not-upheld"),
    # refused: received, never answered
    row("E-REFUSED", "hos-2024", "2026-05-22", refused="2026-05-26",
        refused_reason="the matter is before the court"),
]
# Christmas: received Tue 23 Dec 2025, day one Wed 24 Dec; 25 and 26 Dec and 1 Jan are
# holidays: acknowledge by Fri 2 Jan 2026, respond by Fri 16 Jan (reporting year 2025).
ENGLAND_CHRISTMAS = [
    row("E-XMAS", "hos-2024", "2025-12-23", stage1_acknowledged="2026-01-02",
        stage1_responded="2026-01-16", stage1_outcome="upheld"),
]
# Easter and the year boundary: stage 2 requested Tue 31 Mar 2026 (reporting year 2025), day one
# Wed 1 Apr; Good Friday and Easter Monday: acknowledge by Thu 9 Apr, respond by Fri 8 May (the
# early May bank holiday, Mon 4 May, skipped). Answered Fri 8 May 2026: reporting year 2026.
ENGLAND_EASTER = [
    row("E-EASTER", "hos-2024", "2026-03-02", stage1_acknowledged="2026-03-04",
        stage1_responded="2026-03-18", stage1_outcome="not-upheld", escalated="2026-03-31",
        stage2_acknowledged="2026-04-09", stage2_responded="2026-05-08",
        stage2_outcome="partly-upheld", compensation="75.50"),
    row("E-APRIL-1", "hos-2024", "2026-04-01"),  # received on 1 April: reporting year 2026
]
# spso-mchp: day one is the day of receipt. Stage 1 received Fri 22 May 2026: day 5 Fri 29 May
# (Mon 25 May a holiday in Scotland too), at most Fri 5 Jun with an extension. Stage 2 requested
# Wed 1 Apr 2026: Good Friday is a holiday, Easter Monday is not: acknowledge by Mon 6 Apr (day
# 3), respond by Wed 29 Apr (day 20).
SCOTLAND = [
    row("S-ON-TIME", "spso-mchp", "2026-05-22", stage1_responded="2026-05-29",
        stage1_outcome="resolved"),  # 5 working days taken
    row("S-EXTENDED", "spso-mchp", "2026-05-22", stage1_extended_to="2026-06-05",
        stage1_responded="2026-06-04", stage1_outcome="upheld"),  # 9 working days taken
    row("S-STAGE-2", "spso-mchp", "2026-03-10", stage1_responded="2026-03-16",
        stage1_outcome="not-upheld", escalated="2026-04-01", stage2_acknowledged="2026-04-08",
        stage2_responded="2026-04-29", stage2_outcome="upheld"),  # 20 working days at stage 2
]


@pytest.fixture()
def imported(store: Store, clock: StatutoryClock) -> Store:
    result = History(store, clock, "Example Homes").import_csv(
        csv_of(*ENGLAND_MAY, *ENGLAND_CHRISTMAS, *ENGLAND_EASTER, *SCOTLAND), "history.csv", NOW)
    assert result == {"imported": 13, "errors": []}
    return store


def test_an_import_is_all_or_nothing_and_a_reimport_updates(store: Store,
                                                            clock: StatutoryClock) -> None:
    history = History(store, clock, "Example Homes")
    bad = csv_of(*ENGLAND_MAY[:2], row("BAD", "hos-2024", "2026-05-22",
                                       stage1_responded="2026-05-21", stage1_outcome="upheld"),
                 row("WORSE", "no-such-policy", "22/05/2026"))
    result = history.import_csv(bad, "bad.csv", NOW)
    assert result["imported"] == 0
    assert result["errors"] == [
        {"line": 4, "error": "stage1_responded 2026-05-21 is before received 2026-05-22"},
        {"line": 5, "error": result["errors"][1]["error"]}]
    assert "no-such-policy" in result["errors"][1]["error"]
    assert list(store.all_references()) == []  # nothing stored
    assert history.import_csv(csv_of(*ENGLAND_MAY), "h.csv", NOW, dry_run=True) == {
        "imported": 7, "errors": [], "dry_run": True}
    assert list(store.all_references()) == []
    assert history.import_csv(csv_of(*ENGLAND_MAY), "h.csv", NOW)["imported"] == 7
    changed = dict(ENGLAND_MAY[1], stage1_responded="2026-06-10")  # E-LATE, corrected
    assert history.import_csv(csv_of(*ENGLAND_MAY[:1], changed), "h.csv", NOW)["imported"] == 2
    assert sorted(store.all_references()) == sorted(r["reference"] for r in ENGLAND_MAY)
    case = store.load("E-LATE")
    assert case is not None and case.imported and case.responded_on[1] == date(2026, 6, 10)
    assert [e.event for e in case.timeline] == ["imported"]
    assert "history" not in case.timeline[0].detail and "h.csv line 3" in case.timeline[0].detail
    report = Reports(store, clock, "Example Homes").tsm(Period.year(2026), 1000)
    assert report["CH01"]["stage1"]["count"] == 7  # once each, after two imports
    assert report["CH02"]["stage1"]["within"] == 3  # the corrected E-LATE is now on time


def test_a_row_without_a_reference_gets_the_same_one_each_time(store: Store,
                                                               clock: StatutoryClock) -> None:
    history = History(store, clock, "Example Homes")
    text = csv_of(row("", "hos-2024", "2026-05-22", resident_email="jo@example.org"))
    history.import_csv(text, "a.csv", NOW)
    history.import_csv(text, "a.csv", NOW)
    (reference,) = store.all_references()
    assert reference.startswith("IMP-")


def test_tsm_counts_english_cases_exactly(imported: Store, clock: StatutoryClock) -> None:
    tsm = Reports(imported, clock, "Example Homes").tsm(Period.year(2026), 4000)
    # received 1 Apr 2026 - 31 Mar 2027: the 7 May cases (the refused one too) and 1 April;
    # E-EASTER's stage 1 (2 Mar) and stage 2 request (31 Mar), and Christmas, fall in 2025
    assert tsm["CH01"] == {"stage1": {"count": 8, "per_1000": 2.0},
                           "stage2": {"count": 0, "per_1000": 0.0}}
    # answered in the year at stage 1: the 6 May cases (not the refused one); within:
    # E-ON-TIME, E-ACK-LATE; with extensions also E-EXT-OK (not E-EXT-BEYOND)
    assert tsm["CH02"]["stage1"] == {"responded": 6, "within": 2, "percent": 33.3,
                                     "within_with_extensions": 3,
                                     "percent_with_extensions": 50.0}
    # stage 2 answered Fri 8 May 2026, its last day, though requested in the year before
    assert tsm["CH02"]["stage2"] == {"responded": 1, "within": 1, "percent": 100.0,
                                     "within_with_extensions": 1,
                                     "percent_with_extensions": 100.0}
    assert tsm["period"] == {"from": "2026-04-01", "to": "2027-03-31"}
    before = Reports(imported, clock, "Example Homes").tsm(Period.year(2025), 4000)
    # 2025: E-EASTER's stage 1 and its stage 2 request, and Christmas (answered Fri 16 Jan
    # 2026, its last day: within)
    assert before["CH01"]["stage1"]["count"] == 2 and before["CH01"]["stage2"]["count"] == 1
    assert before["CH02"]["stage1"] == {"responded": 2, "within": 2, "percent": 100.0,
                                        "within_with_extensions": 2,
                                        "percent_with_extensions": 100.0}
    assert before["CH02"]["stage2"]["responded"] == 0


def test_the_scottish_indicators_count_scottish_cases_exactly(imported: Store,
                                                              clock: StatutoryClock) -> None:
    scotland = Reports(imported, clock, "Example Homes").scotland(Period.year(2026))
    # stage 1 received in the year: the two May cases (S-STAGE-2's stage 1 was in March)
    assert scotland["stage1"] == {"received": 2, "responded": 2, "within": 1, "percent": 50.0,
                                  "within_with_extensions": 2, "percent_with_extensions": 100.0,
                                  "average_working_days": 7.0}  # (5 + 9) / 2
    assert scotland["stage2"] == {"received": 1, "responded": 1, "within": 1, "percent": 100.0,
                                  "within_with_extensions": 1, "percent_with_extensions": 100.0,
                                  "average_working_days": 20.0}


def test_a_service_request_counts_in_neither(mailroom: Mailroom, store: Store,
                                             clock: StatutoryClock, deliver: object) -> None:
    from tests import mailfactory as mf

    outcome = deliver(mf.message(sender="pat@example.org", body="The lift is broken."),  # type: ignore[operator]
                      at=NOW)
    mailroom.casework.run(outcome.reference, (
        NotAComplaint("a repair request: booked for Thursday"),), "sam@landlord.example",
        "cli-1", NOW)
    period = Period(date(2026, 11, 1), date(2026, 11, 30))
    reports = Reports(store, clock, "Example Homes")
    assert reports.records(period)[0].not_a_complaint
    assert reports.tsm(period, 100)["CH01"]["stage1"]["count"] == 0
    deliver(mf.message(sender="kim@example.org", body="A complaint."), at=NOW)  # type: ignore[operator]
    assert reports.tsm(period, 100)["CH01"]["stage1"]["count"] == 1


def test_staff_categorise_a_live_case_from_their_mailbox_and_the_reports_follow(
        mailroom: Mailroom, store: Store, clock: StatutoryClock, deliver: object) -> None:
    from complaints.mail.staff_reply import parse_reply
    from tests import mailfactory as mf

    outcome = deliver(mf.message(sender="pat@example.org", body="Mould again."),  # type: ignore[operator]
                      at=NOW)
    reports = Reports(store, clock, "Example Homes")
    period = Period(date(2026, 11, 1), date(2026, 11, 30))
    assert reports.annual_figures(period, 100).categories == {"uncategorised": 1}
    reply = parse_reply("#category Repairs - damp and mould\n#tenure lcra\n", NOW.date())
    _, results = mailroom.casework.run(outcome.reference, reply.commands, "sam@landlord.example",
                                       "cli-2", NOW)
    assert [r.done for r in results] == [True, True]
    [record] = reports.records(period)
    assert (record.category, record.tenure) == ("Repairs - damp and mould", "LCRA")
    assert reports.annual_figures(period, 100).categories == {"Repairs - damp and mould": 1}
    exported = cases_csv([store.load(outcome.reference)])  # type: ignore[list-item]
    assert ",LCRA,pat@example.org,Repairs - damp and mould," in exported


def test_categories_typed_differently_are_counted_together(store: Store,
                                                           clock: StatutoryClock) -> None:
    history = History(store, clock, "Example Homes")
    spellings = ["Repairs", "repairs", "Repairs ", "REPAIRS", "Damp  and mould", "damp and mould"]
    history.import_csv(csv_of(*(row(f"CAT-{n}", "hos-2024", "2026-06-01", category=c)
                                for n, c in enumerate(spellings))), "c.csv", NOW)
    figures = Reports(store, clock, "Example Homes").annual_figures(Period.year(2026), 100)
    assert figures.categories == {"Repairs": 4, "Damp and mould": 2}
    # one line of text, as #category takes it: a no-break space is a space, a control is refused
    tidy = history.import_csv(csv_of(row("CAT-NBSP", "hos-2024", "2026-06-02",
                                         category="Repairs\u00a0-  leaks")), "c.csv", NOW)
    case = store.load("CAT-NBSP")
    assert tidy["imported"] == 1 and case is not None and case.category == "Repairs - leaks"
    hostile = history.import_csv(csv_of(
        row("CAT-ESC", "hos-2024", "2026-06-02", category="Repairs\x1b[31m"),
        row("CAT-RLO", "hos-2024", "2026-06-02", category="Repairs\u202egnp.exe"),
        row("CAT-REF", "hos-2024", "2026-06-02", refused="2026-06-03",
            refused_reason="out of time\x07")), "c.csv", NOW)
    assert [e["line"] for e in hostile["errors"]] == [2, 3, 4] and hostile["imported"] == 0
    assert "control or invisible" in hostile["errors"][0]["error"]


def test_rounding_is_half_up_and_empty_wholes_are_null() -> None:
    assert percent(1, 8) == 12.5 and percent(1, 16) == 6.3 and percent(0, 0) is None
    assert per_1000(9, 4000) == 2.3  # 2.25, half up (Python's round() would give 2.2)
    assert per_1000(1, 0) is None


def test_cases_csv_can_be_imported_back(imported: Store, clock: StatutoryClock) -> None:
    cases = list(imported.cases_now(sorted(imported.all_references())).values())
    text = cases_csv(sorted(cases, key=lambda c: c.reference))
    assert text.splitlines()[0] == HEADER
    assert "E-EASTER,hos-2024,2026-03-02,email,,,,2026-03-04,,2026-03-18,not-upheld,2026-03-31," \
           "2026-04-09,,2026-05-08,partly-upheld,,,,75.50" in text
    again = History(imported, clock, "Example Homes").import_csv(text, "cases.csv", NOW,
                                                                   dry_run=True)
    assert again == {"imported": 13, "errors": [], "dry_run": True}


def test_an_open_imported_case_is_reminded_of_what_is_to_come_not_of_last_year(
        store: Store, clock: StatutoryClock) -> None:
    from complaints.domain.agenda import AgendaRules, agenda

    # received Mon 16 Nov 2026, never acknowledged: acknowledge by Mon 23 Nov (passed at the
    # import on Tue 24 Nov), respond by Mon 7 Dec (provisional)
    History(store, clock, "Example Homes").import_csv(
        csv_of(row("OPEN-1", "hos-2024", "2026-11-16")), "h.csv", NOW)
    case = store.load("OPEN-1")
    assert case is not None and case.status.value == "received"
    policy = clock.presets.get("hos-2024")
    left = agenda(case, policy, clock.calendar_for(policy), AgendaRules())
    assert left and all(t.act_on > date(2026, 11, 24) for t in left)
    assert {(t.kind, t.step, t.due) for t in left if t.kind == "reminder"} == {
        ("reminder", "response", date(2026, 12, 7))}
    assert any(k.startswith("overdue:1:acknowledgement") for k in case.sweep_done)


def test_cases_csv_never_hands_a_spreadsheet_a_formula(store: Store, clock: StatutoryClock) -> None:
    history = History(store, clock, "Example Homes")
    history.import_csv(csv_of(row("F-1", "hos-2024", "2026-05-22",
                                  category='"=HYPERLINK(""http://evil.example"",""x"")"',
                                  refused="2026-05-26", refused_reason="-1+1")), "f.csv", NOW)
    text = cases_csv(list(store.cases_now(["F-1"]).values()))
    line = text.splitlines()[1]
    assert ",'=HYPERLINK(" in line.replace('"', "") and ",'-1+1," in line
    again = history.import_csv(text, "cases.csv", NOW)
    assert again == {"imported": 1, "errors": []}
    case = store.load("F-1")
    assert case is not None and case.category.startswith("=HYPERLINK(")  # as the resident's
    assert case.refusal_reason == "-1+1"


def test_the_import_refuses_our_own_numbering_future_dates_and_lets_a_case_close_early(
        store: Store, clock: StatutoryClock, mailroom: Mailroom, deliver: object) -> None:
    from tests import mailfactory as mf

    live = deliver(mf.message(sender="amy@example.org", body="A live complaint."), at=NOW)  # type: ignore[operator]
    history = History(store, clock, "Example Homes")
    result = history.import_csv(csv_of(
        row("CMP-2026-000002", "hos-2024", "2026-05-01"),
        row("cmp-2026-000009", "hos-2024", "2026-05-01"),
        row("FUTURE", "hos-2024", "2026-12-01"),
        row("EARLY-CLOSE", "hos-2024", "2026-05-22", stage1_acknowledged="2026-05-27",
            stage1_extended_to="2026-06-24", stage1_responded="2026-06-10",
            stage1_outcome="upheld", closed="2026-06-12")), "h.csv", NOW)
    assert [(e["line"], e["error"].split(":")[0]) for e in result["errors"]] == [
        (2, "reference 'CMP-2026-000002' contains this service's own numbering (CMP-YYYY-NNNNNN)"),
        (3, "reference 'cmp-2026-000009' contains this service's own numbering (CMP-YYYY-NNNNNN)"),
        (4, "received 2026-12-01 is in the future")]
    assert list(store.all_references()) == [live.reference]  # nothing imported
    assert history.import_csv(csv_of(row("EARLY-CLOSE", "hos-2024", "2026-05-22",
                                         stage1_acknowledged="2026-05-27",
                                         stage1_extended_to="2026-06-24",
                                         stage1_responded="2026-06-10", stage1_outcome="upheld",
                                         closed="2026-06-12")), "h.csv", NOW)["imported"] == 1
    # the next live complaint still gets the next reference
    after = deliver(mf.message(sender="bob@example.org", body="Another."), at=NOW)  # type: ignore[operator]
    assert after.outcome == "created" and after.reference.endswith("000002")


def test_breaches_count_neither_steps_after_closing_nor_responses_within_an_extension(
        store: Store, clock: StatutoryClock) -> None:
    History(store, clock, "Example Homes").import_csv(csv_of(
        # closed 5 Oct, before its acknowledgement fell due (8 Oct): nothing missed
        row("CLOSED-EARLY", "hos-2024", "2026-10-01", closed="2026-10-05"),
        # answered inside an extension within the cap: not a missed response
        row("EXTENDED", "hos-2024", "2026-05-22", stage1_acknowledged="2026-05-27",
            stage1_extended_to="2026-06-24", stage1_responded="2026-06-20",
            stage1_outcome="upheld"),
        # answered late with no extension: a missed response
        row("LATE", "hos-2024", "2026-05-22", stage1_acknowledged="2026-05-27",
            stage1_responded="2026-06-11", stage1_outcome="upheld")), "h.csv", NOW)
    figures = Reports(store, clock, "Example Homes").annual_figures(Period.year(2026), 100)
    assert figures.breaches["stage1"] == {"acknowledgement": 0, "response": 1}
    assert figures.acknowledgements["stage1"] == {"due": 2, "on_time": 2}


def test_an_import_and_live_saves_share_a_bundle_without_losing_either(
        store: Store, clock: StatutoryClock, mailroom: Mailroom, deliver: object) -> None:
    from tests import mailfactory as mf

    history = History(store, clock, "Example Homes")
    rows = [row(f"OLD-{n}", "hos-2024", "2026-11-02") for n in range(40)]  # every shard
    history.import_csv(csv_of(*rows), "h.csv", NOW)
    client = store._connection.client

    def counters() -> dict[str, int]:
        return {i["SK"]["S"]: int(i["n"]["N"]) for i in client.query(
            TableName=store.table, KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": "REPORT#Example Homes#2026-11"}})["Items"]}

    before = counters()
    live = deliver(mf.message(sender="ivy@example.org", body="Live."), at=NOW)  # type: ignore[operator]
    after = counters()
    # the live save counted its change, so an import's conditional put of that item sees it
    assert sum(after.values()) == sum(before.values()) + 1
    history.import_csv(csv_of(*rows), "h.csv", NOW)  # a re-import, after the live save
    found = store.records("Example Homes", date(2026, 11, 1), date(2026, 11, 30))
    assert live.reference in found and len(found) == 41


def test_a_refused_request_for_stage_2_leaves_stage_1_answered(store: Store,
                                                                clock: StatutoryClock) -> None:
    # stage 1 answered within time (respond by Wed 10 Jun, as E-ON-TIME), then the request for
    # stage 2 refused: the refusal ends stage 2, never stage 1's answer
    History(store, clock, "Example Homes").import_csv(csv_of(
        row("S2-REFUSED", "hos-2024", "2026-05-22", stage1_acknowledged="2026-05-27",
            stage1_responded="2026-06-09", stage1_outcome="not-upheld", escalated="2026-06-15",
            refused="2026-06-16", refused_reason="already answered")), "h.csv", NOW)
    reports = Reports(store, clock, "Example Homes")
    tsm = reports.tsm(Period.year(2026), 1000)
    assert tsm["CH01"] == {"stage1": {"count": 1, "per_1000": 1.0},
                           "stage2": {"count": 1, "per_1000": 1.0}}
    assert tsm["CH02"]["stage1"]["responded"] == 1 and tsm["CH02"]["stage1"]["within"] == 1
    assert tsm["CH02"]["stage2"]["responded"] == 0
    figures = reports.annual_figures(Period.year(2026), 1000)
    assert figures.outcomes["stage1"] == {"not-upheld": 1}
    assert figures.acknowledgements == {"stage1": {"due": 1, "on_time": 1},
                                        "stage2": {"due": 0, "on_time": 0}}
    assert figures.refusals == {"already answered": 1}


def test_a_reimport_with_other_dates_leaves_no_copy_in_the_months_it_left(
        store: Store, clock: StatutoryClock) -> None:
    history = History(store, clock, "Example Homes")
    reports = Reports(store, clock, "Example Homes")
    september, autumn = Period(date(2026, 9, 1), date(2026, 9, 30)), Period(date(2026, 9, 1),
                                                                             date(2026, 10, 31))
    history.import_csv(csv_of(row("MOVED", "hos-2024", "2026-09-01",
                                  stage1_acknowledged="2026-09-02", stage1_responded="2026-09-10",
                                  stage1_outcome="upheld")), "h.csv", NOW)
    assert reports.tsm(september, 1000)["CH02"]["stage1"]["within"] == 1
    # the previous system's record corrected: received 1 Oct, acknowledged Fri 2 Oct, so respond
    # by Fri 16 Oct; answered 30 Oct is late
    history.import_csv(csv_of(row("MOVED", "hos-2024", "2026-10-01",
                                  stage1_acknowledged="2026-10-02", stage1_responded="2026-10-30",
                                  stage1_outcome="upheld")), "h.csv", NOW)
    assert reports.records(september) == []
    assert reports.tsm(september, 1000)["CH01"]["stage1"]["count"] == 0
    ch02 = reports.tsm(autumn, 1000)["CH02"]["stage1"]
    assert (ch02["responded"], ch02["within"]) == (1, 0)


def test_an_imported_case_is_worked_and_its_letters_go(mailroom: Mailroom, store: Store,
                                                         clock: StatutoryClock, outbox: object,
                                                         deliver: object) -> None:
    import email

    from complaints.domain.commands import Acknowledge
    from complaints.mail import lint
    from tests import mailfactory as mf

    # references from a previous system, not in this service's numbering
    for reference in ("OLD/2026/17", "old.18"):
        History(store, clock, "Example Homes").import_csv(csv_of(
            row(reference, "hos-2024", "2026-11-20", resident_email="ann@example.org")),
            "h.csv", NOW)
        _, results = mailroom.casework.run(reference, (Acknowledge(
            "the repair to the boiler was missed twice; you would like it fixed and an apology"),),
            "sam@landlord.example", f"cli-{reference}", NOW)
        assert [r.done for r in results] == [True]
        case = store.load(reference)
        assert case is not None and "letter-failed" not in case.flags
        [ack] = [x for x in case.letters.values() if x.kind == "acknowledgement"]
        assert ack.status == "sent"
        [sent] = [raw for raw in outbox.letters()  # type: ignore[attr-defined]
                  if b"X-Complaints-Letter: acknowledgement" in raw and reference.encode() in raw]
        # check-letter on the file finds the reference in Reply-To's +tag, as no CMP- is there
        policy = clock.presets.get("hos-2024")
        assert lint.check("acknowledgement", sent, policy, clock.presets.regime_for("england")) == []
        # the resident's reply joins the case by the letter it answers
        letter_id = email.message_from_bytes(sent)["Message-ID"]
        reply = deliver(mf.message(sender="ann@example.org", subject="Re: your complaint",  # type: ignore[operator]
                                   to=f"complaints+{reference}@landlord.example",
                                   body="Thank you, the boiler is still broken.",
                                   headers={"In-Reply-To": letter_id}), at=NOW)
        assert (reply.outcome, reply.reference) == ("appended", reference)


def test_compensation_is_pounds_in_plain_digits(store: Store, clock: StatutoryClock) -> None:
    result = History(store, clock, "Example Homes").import_csv(csv_of(*(
        row(f"PAY-{n}", "hos-2024", "2026-06-01", stage1_responded="2026-06-05",
            stage1_outcome="upheld", compensation=amount)
        for n, amount in enumerate(("\u0661\u0662\u0663", "££5", "\uff15", "£5", "5.50")))),
        "h.csv", NOW, dry_run=True)
    assert [e["line"] for e in result["errors"]] == [2, 3, 4]
    assert all("not an amount in pounds" in e["error"] for e in result["errors"])


# --- issue 18, defect 2: the check and the write are one decision --------------------------------


def test_a_reimport_never_overwrites_a_case_staff_worked_on_after_its_check(
        store: Store, clock: StatutoryClock, mailroom: Mailroom, outbox: object,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from complaints.domain.commands import Acknowledge

    history = History(store, clock, "Example Homes")
    history.import_csv(csv_of(
        row("RACE-ACK", "hos-2024", "2026-11-02", resident_email="ann@example.org"),
        row("RACE-MOVED", "hos-2024", "2026-11-03")), "h.csv", NOW)
    # the previous system's corrected file moves both cases to October and adds one
    again = csv_of(row("RACE-ACK", "hos-2024", "2026-10-01", resident_email="ann@example.org",
                       category="repairs"),
                   row("RACE-MOVED", "hos-2024", "2026-10-05", category="damp"),
                   row("RACE-NEW", "hos-2024", "2026-10-06"))
    write = store.put_imported

    def staff_acknowledge_between_check_and_write(cases: list[Any]) -> Any:
        # every row has been checked (RACE-ACK untouched then); now staff acknowledge it
        _, results = mailroom.casework.run("RACE-ACK", (Acknowledge("the boiler"),),
                                           "sam@landlord.example", "cli-race", NOW)
        assert [r.done for r in results] == [True]
        return write(cases)

    monkeypatch.setattr(store, "put_imported", staff_acknowledge_between_check_and_write)
    result = history.import_csv(again, "again.csv", NOW)
    assert result["imported"] == 2 and result["errors"] == []
    [left] = result["not_overwritten"]
    assert (left["line"], left["reference"]) == (2, "RACE-ACK")
    assert "changed while the import ran" in left["reason"]
    # the staff change survives whole: the acknowledgement, its letter, the timeline
    case = store.load("RACE-ACK")
    assert case is not None and case.received_on == date(2026, 11, 2)
    assert case.acknowledged_on == NOW.date() and case.category == ""
    assert case.timeline[0].event == "imported" and len(case.timeline) > 1
    assert "again.csv" not in " ".join(e.detail for e in case.timeline)
    assert [x.status for x in case.letters.values() if x.kind == "acknowledgement"] == ["sent"]
    moved = store.load("RACE-MOVED")
    assert moved is not None and moved.received_on == date(2026, 10, 5)
    # the month bundles say what the case items say: RACE-ACK stays filed in November as staff
    # left it (acknowledged), never in October; RACE-MOVED left November for October
    october = store.records("Example Homes", date(2026, 10, 1), date(2026, 10, 31))
    november = store.records("Example Homes", date(2026, 11, 1), date(2026, 11, 30))
    assert sorted(october) == ["RACE-MOVED", "RACE-NEW"]
    assert sorted(november) == ["RACE-ACK"]
    stage = november["RACE-ACK"].stage(1)
    assert stage is not None and stage.acknowledged == NOW.date()
    assert october["RACE-MOVED"].category == "damp"


def test_an_import_never_overwrites_a_case_created_after_its_check(
        store: Store, clock: StatutoryClock, monkeypatch: pytest.MonkeyPatch) -> None:
    # two imports of overlapping files at once: the second finds no RACE-BOTH when it checks,
    # the first writes it before the second does
    history = History(store, clock, "Example Homes")
    other = History(Store(store.table, store.region, store.host, wake=store.wake), clock,
                    "Example Homes")
    write = store.put_imported

    def the_other_import_first(cases: list[Any]) -> Any:
        assert other.import_csv(csv_of(row("RACE-BOTH", "hos-2024", "2026-09-01",
                                           category="first")), "first.csv", NOW)["imported"] == 1
        return write(cases)

    monkeypatch.setattr(store, "put_imported", the_other_import_first)
    result = history.import_csv(csv_of(row("RACE-ONLY", "hos-2024", "2026-09-02"),
                                       row("RACE-BOTH", "hos-2024", "2026-10-01",
                                           category="second")), "second.csv", NOW)
    assert result["imported"] == 1
    [left] = result["not_overwritten"]
    assert (left["line"], left["reference"]) == (3, "RACE-BOTH")
    assert "created while the import ran" in left["reason"]
    case = store.load("RACE-BOTH")
    assert case is not None and case.category == "first" and case.received_on == date(2026, 9, 1)
    assert "first.csv" in case.timeline[0].detail
    assert sorted(store.records("Example Homes", date(2026, 9, 1), date(2026, 10, 31))) == [
        "RACE-BOTH", "RACE-ONLY"]
    assert store.records("Example Homes", date(2026, 10, 1), date(2026, 10, 31)) == {}


# --- issue 18, defect 6: this service's numbering, anywhere in a reference ------------------------


REFERENCES_HOLDING_OURS = ["CMP-2026-000001/x", "x/cmp-2026-000001", "OLD.CMP-2026-000001.2",
                           "CMP-2026-0000012", "ACMP-2026-000001"]


def test_an_import_refuses_any_reference_that_holds_our_numbering(store: Store,
                                                                   clock: StatutoryClock) -> None:
    result = History(store, clock, "Example Homes").import_csv(csv_of(
        row("OLD-FINE", "hos-2024", "2026-05-01"),
        *(row(r, "hos-2024", "2026-05-01") for r in REFERENCES_HOLDING_OURS)), "h.csv", NOW)
    assert result["imported"] == 0
    assert [e["line"] for e in result["errors"]] == [3, 4, 5, 6, 7]
    assert all("contains this service's own numbering (CMP-YYYY-NNNNNN)" in e["error"]
               for e in result["errors"])
    assert "CMP-2026-000001/x" in result["errors"][0]["error"]
    assert list(store.all_references()) == []


def test_the_import_command_refuses_them_too(cli_env: dict[str, str], dynamodb_local: str,
                                             tmp_path: Any) -> None:
    import json
    import uuid

    from tests.integration.test_cli import run

    env = dict(cli_env, COMPLAINTS_DYNAMODB_ENDPOINT=dynamodb_local,
               COMPLAINTS_TABLE=f"complaints-{uuid.uuid4().hex[:10]}",
               COMPLAINTS_DATA_DIR=str(tmp_path / "nostack"), AWS_ACCESS_KEY_ID="local",
               AWS_SECRET_ACCESS_KEY="local")
    Store(env["COMPLAINTS_TABLE"], "eu-west-2", dynamodb_local).create_table()
    path = tmp_path / "history.csv"
    path.write_text(csv_of(row("OLD-FINE", "hos-2024", "2026-05-01"),
                           row("CMP-2026-000001/x", "hos-2024", "2026-05-01")))
    out = run(env, "import", str(path), "--json")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    report = json.loads(out.stdout)
    assert report["imported"] == 0 and [e["line"] for e in report["errors"]] == [3]
    assert "contains this service's own numbering" in report["errors"][0]["error"]
    text = run(env, "import", str(path))
    assert text.returncode == 1 and text.stderr.startswith("line 3: reference 'CMP-2026-000001/x'")
    assert list(Store(env["COMPLAINTS_TABLE"], "eu-west-2", dynamodb_local).all_references()) == []
