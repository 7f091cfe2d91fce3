"""Worked examples derived by hand from the seeds and shared/regulation.md.

Each expected date was counted on a paper calendar for 2026-27 (England & Wales: Good Friday
3 Apr, Easter Monday 6 Apr, 4 & 25 May, 31 Aug, 25 & 28 Dec 2026, 1 Jan 2027; Scotland: 1-2 Jan,
3 Apr, 4 & 25 May, 15 Jun (proclaimed), 3 Aug, 30 Nov, 25 & 28 Dec 2026, 1 & 4 Jan 2027).
The comment on each case shows the count.
"""

from __future__ import annotations

from datetime import date

import pytest

from complaints.service.clock import StatutoryClock

D = date.fromisoformat


def due(clock: StatutoryClock, policy: str, stage: int, received: str,
        acknowledged: str | None = None) -> tuple[str, str | None, str, str | None, bool]:
    r = clock.deadlines(policy, stage, D(received), D(acknowledged) if acknowledged else None)

    def iso(d: date | None) -> str | None:
        return d.isoformat() if d else None

    return (r.day_one.isoformat(), iso(r.acknowledge_by), r.respond_by.isoformat(),
            iso(r.respond_by_extended), r.provisional)


CASES = [
    # --- shared/regulation.md §2, example A: received Fri 22 May 2026 (Mon 25 May holiday)
    # HOS: WD1 Tue 26 May; 5th WD Mon 1 Jun; acknowledged Wed 27 -> 10 WD Wed 10 Jun; +10 Wed 24 Jun
    ("A hos", "hos-2024", 1, "2026-05-22", "2026-05-27",
     ("2026-05-26", "2026-06-01", "2026-06-10", "2026-06-24", False)),
    # SPSO: day 1 Fri 22 May -> day 5 Fri 29 May; day 10 Fri 5 Jun
    ("A spso s1", "spso-mchp", 1, "2026-05-22", None,
     ("2026-05-22", None, "2026-05-29", "2026-06-05", False)),
    # SPSO straight to stage 2: day 3 Wed 27 May; day 20 Mon 22 Jun (15 Jun not counted)
    ("A spso s2", "spso-mchp", 2, "2026-05-22", None,
     ("2026-05-22", "2026-05-27", "2026-06-22", None, False)),
    # --- example B: received Sat 13 Jun 2026
    # HOS: WD1 Mon 15 Jun -> ack Fri 19 Jun; acknowledged then -> Fri 3 Jul; stage 2 Fri 17 Jul
    ("B hos s1", "hos-2024", 1, "2026-06-13", "2026-06-19",
     ("2026-06-15", "2026-06-19", "2026-07-03", "2026-07-17", False)),
    ("B hos s2", "hos-2024", 2, "2026-06-13", "2026-06-19",
     ("2026-06-15", "2026-06-19", "2026-07-17", "2026-08-14", False)),
    # SPSO: day 1 Tue 16 Jun (15 Jun holiday) -> day 5 Mon 22 Jun; s2: day 3 Thu 18, day 20 Mon 13 Jul
    ("B spso s1", "spso-mchp", 1, "2026-06-13", None,
     ("2026-06-16", None, "2026-06-22", "2026-06-29", False)),
    ("B spso s2", "spso-mchp", 2, "2026-06-13", None,
     ("2026-06-16", "2026-06-18", "2026-07-13", None, False)),
    # --- Thursday before Easter, England: day 0 Thu 2 Apr; Fri 3 & Mon 6 off;
    # ack: Tue 7(1) Wed 8 Thu 9 Fri 10 Mon 13(5); provisional respond 10 WD after Mon 13 = Mon 27 Apr;
    # extension +10: Tue 28 ... Fri 1 May(4), Mon 4 May off, Tue 5(5) ... Tue 12 May(10)
    ("Easter hos", "hos-2024", 1, "2026-04-02", None,
     ("2026-04-07", "2026-04-13", "2026-04-27", "2026-05-12", True)),
    # Same Thursday in Scotland: Easter Monday is a working day. Thu 2(1) Mon 6(2) Tue 7 Wed 8 Thu 9(5);
    # day 10: Fri 10(6) Mon 13 Tue 14 Wed 15 Thu 16(10)
    ("Easter spso", "spso-mchp", 1, "2026-04-02", None,
     ("2026-04-02", None, "2026-04-09", "2026-04-16", False)),
    # --- 23 Dec 2026, England: Thu 24(1), 25 & 28 off, Tue 29(2) Wed 30 Thu 31(4), 1 Jan off, Mon 4(5)
    # acknowledged Thu 24 Dec: Tue 29(1) ... Mon 4(4) ... Tue 12 Jan(10); +10 -> Tue 26 Jan
    ("23 Dec hos", "hos-2024", 1, "2026-12-23", "2026-12-24",
     ("2026-12-24", "2027-01-04", "2027-01-12", "2027-01-26", False)),
    # --- 31 Dec 2026, Scotland: Thu 31(1); Fri 1 & Mon 4 Jan (2 Jan observed) off; Tue 5(2) ... Fri 8(5)
    ("31 Dec spso s1", "spso-mchp", 1, "2026-12-31", None,
     ("2026-12-31", None, "2027-01-08", "2027-01-15", False)),
    # stage 2: day 3 Wed 6 Jan; day 20 Fri 29 Jan 2027
    ("31 Dec spso s2", "spso-mchp", 2, "2026-12-31", None,
     ("2026-12-31", "2027-01-06", "2027-01-29", None, False)),
    # --- 12 Jun 2026 in Scotland (Fri before the proclaimed Mon 15 Jun):
    # Fri 12(1), Mon 15 off, Tue 16(2) Wed 17 Thu 18 Fri 19(5); day 10 Fri 26 Jun
    ("12 Jun west-whitlawburn", "west-whitlawburn", 1, "2026-06-12", None,
     ("2026-06-12", None, "2026-06-19", "2026-06-26", False)),
    # Homes Plus Scotland stage 2 from Fri 12 Jun: its own rule (20 WD from acknowledgement,
    # 000 §9.5) is looser than the SPSO model's (20 WD from the escalation request, 003 ¶137), so
    # the model's applies (issue 8). Day one Fri 12 (1), Mon 15 is Scotland's one-off holiday,
    # Tue 16 (2) ... Fri 10 Jul (20); ack day 3 Wed 17; its own +10 beyond -> Fri 24 Jul
    ("12 Jun homes-plus-scotland s2", "homes-plus-scotland", 2, "2026-06-12", None,
     ("2026-06-12", "2026-06-17", "2026-07-10", "2026-07-24", False)),
    # acknowledged on the holiday itself (Mon 15): the response date no longer moves with it
    ("ack on holiday homes-plus-scotland", "homes-plus-scotland", 2, "2026-06-12", "2026-06-15",
     ("2026-06-12", "2026-06-17", "2026-07-10", "2026-07-24", False)),
    # ... across Christmas: Wed 23 Dec (1), Thu 24 (2), Fri 25 and Mon 28 (Boxing Day moved)
    # holidays, Tue 29 (3) = ack, Wed 30 (4), Thu 31 (5), Fri 1 Jan and Mon 4 Jan (2 Jan moved)
    # holidays, Tue 5 (6) ... Mon 25 Jan 2027 (20); +10 -> Mon 8 Feb
    ("Christmas homes-plus-scotland s2", "homes-plus-scotland", 2, "2026-12-23", None,
     ("2026-12-23", "2026-12-29", "2027-01-25", "2027-02-08", False)),
    # ... from Sat 2 Jan 2027 (a holiday, moved to Mon 4): day one Tue 5 Jan, day 3 Thu 7,
    # day 20 Mon 1 Feb; +10 -> Mon 15 Feb
    ("2 January homes-plus-scotland s2", "homes-plus-scotland", 2, "2027-01-02", None,
     ("2027-01-05", "2027-01-07", "2027-02-01", "2027-02-15", False)),
    # ... across Easter 2026 (Good Friday 3 Apr; Scotland works Easter Monday): Thu 2 Apr (1),
    # Mon 6 (2), Tue 7 (3) = ack, ... Thu 30 Apr (20); +10 skips Mon 4 May -> Fri 15 May
    ("Easter homes-plus-scotland s2", "homes-plus-scotland", 2, "2026-04-02", None,
     ("2026-04-02", "2026-04-07", "2026-04-30", "2026-05-15", False)),
    # --- weekend receipt, Connect (counts from receipt): day 0 Sat 13 Jun; ack Fri 19 Jun;
    # respond 10th WD Fri 26 Jun; +10 -> Fri 10 Jul (England works on 15 Jun)
    ("weekend connect", "connect-housing", 1, "2026-06-13", None,
     ("2026-06-15", "2026-06-19", "2026-06-26", "2026-07-10", False)),
    # --- bank holiday receipt, My Space: Mon 25 May is day 0; ack Mon 1 Jun; respond Mon 8 Jun;
    # total 20 from receipt -> Mon 22 Jun
    ("bank holiday my-space", "my-space", 1, "2026-05-25", None,
     ("2026-05-26", "2026-06-01", "2026-06-08", "2026-06-22", False)),
    # My Space review from Fri 23 Oct 2026: ack Fri 30 Oct; 20th WD Fri 20 Nov; total 30 -> Fri 4 Dec
    ("my-space s2", "my-space", 2, "2026-10-23", None,
     ("2026-10-26", "2026-10-30", "2026-11-20", "2026-12-04", False)),
    # --- Housing Solutions stage 2 from Thu 24 Dec: ack Tue 5 Jan 2027; acknowledged Wed 30 Dec
    # -> 20th WD Thu 28 Jan; +20 -> Thu 25 Feb
    ("Christmas housing-solutions s2", "housing-solutions", 2, "2026-12-24", "2026-12-30",
     ("2026-12-29", "2027-01-05", "2027-01-28", "2027-02-25", False)),
    # --- Homes Plus England is HOS: Thursday before Easter, acknowledged Wed 8 Apr:
    # 10 WD after Wed 8 Apr = Wed 22 Apr; +10 = Thu 7 May (4 May off)
    ("Easter homes-plus-england", "homes-plus-england", 1, "2026-04-02", "2026-04-08",
     ("2026-04-07", "2026-04-13", "2026-04-22", "2026-05-07", False)),
    # --- more per preset
    # Connect stage 2 from Wed 23 Dec: ack Thu 24(1) Tue 29 Wed 30 Thu 31 Mon 4 Jan(5);
    # respond 20 from the request: ... Mon 25 Jan(20); +10: Tue 26 ... Mon 8 Feb(10)
    ("Christmas connect s2", "connect-housing", 2, "2026-12-23", None,
     ("2026-12-24", "2027-01-04", "2027-01-25", "2027-02-08", False)),
    # Housing Solutions, received Sun 29 Mar 2026 (the BST change day): Mon 30(1) Tue 31 Wed 1
    # Thu 2(4), Good Friday & Easter Monday off, Tue 7 Apr(5); provisional respond 10 WD after
    # Tue 7 = Tue 21 Apr; +10: Wed 22 ... Fri 1 May(8), Mon 4 off, Tue 5(9), Wed 6 May(10)
    ("BST weekend housing-solutions", "housing-solutions", 1, "2026-03-29", None,
     ("2026-03-30", "2026-04-07", "2026-04-21", "2026-05-06", True)),
    # Homes Plus Scotland, Thursday before Easter: as the model CHP, day 5 Thu 9, day 10 Thu 16 Apr
    ("Easter homes-plus-scotland", "homes-plus-scotland", 1, "2026-04-02", None,
     ("2026-04-02", None, "2026-04-09", "2026-04-16", False)),
    # West Whitlawburn stage 2 from 31 Dec: day 3 Wed 6 Jan, day 20 Fri 29 Jan 2027
    ("31 Dec west-whitlawburn s2", "west-whitlawburn", 2, "2026-12-31", None,
     ("2026-12-31", "2027-01-06", "2027-01-29", None, False)),
    # Homes Plus England stage 2 from Wed 23 Dec, acknowledged Tue 29 Dec: 20 WD after it
    # Wed 30(1) Thu 31(2) Mon 4(3) ... Wed 27 Jan(20); +20 -> Wed 24 Feb 2027
    ("Christmas homes-plus-england s2", "homes-plus-england", 2, "2026-12-23", "2026-12-29",
     ("2026-12-24", "2027-01-04", "2027-01-27", "2027-02-24", False)),
]


@pytest.mark.parametrize(("policy", "stage", "received", "acknowledged", "expected"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_worked_example(clock: StatutoryClock, policy: str, stage: int, received: str,
                        acknowledged: str | None, expected: tuple[object, ...]) -> None:
    assert due(clock, policy, stage, received, acknowledged) == expected


def test_every_preset_has_worked_examples_at_both_stages() -> None:
    from tests.conftest import DESIGN_PRESET_IDS

    assert {(c[1], c[2]) for c in CASES} == {(p, s) for p in DESIGN_PRESET_IDS for s in (1, 2)}


@pytest.mark.parametrize("received", ["2026-06-12", "2026-12-23", "2027-01-02", "2026-04-02"])
def test_homes_plus_scotland_stage_2_responds_by_the_spso_models_date(
        clock: StatutoryClock, received: str) -> None:
    """The floor in action: whatever Homes Plus's own text says, its Scottish stage 2 response
    is due when the SPSO model's is (acknowledged or not)."""
    day = date.fromisoformat(received)
    model = clock.deadlines("spso-mchp", 2, day)
    for acknowledged in (None, clock.deadlines("homes-plus-scotland", 2, day).acknowledge_by):
        ours = clock.deadlines("homes-plus-scotland", 2, day, acknowledged)
        assert ours.respond_by == model.respond_by and not ours.provisional
