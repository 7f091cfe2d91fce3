"""The resident register's rows settle a case's nation unasked, so they must agree with
themselves; anything unreadable is refused with its line, and nothing is loaded."""

from __future__ import annotations

import pytest

from complaints.service.residents import RegisterError, parse_register

HEAD = "email,name,postcode,nation,local_authority,tenancy_reference\n"


@pytest.mark.parametrize(("row", "error"), [
    ("a@example.org,A,G72 8PG,england,,T1", "postcode G72 8PG is in scotland but the nation"),
    ("a@example.org,A,G72 8PG,,Manchester,T1", "is not one this service knows"),
    ("a@example.org,A,NE1 4ST,,Glasgow City,T1", "the local authority says scotland"),
    ("a@example.org,A,TD15 1AA,,Narnia,T1", "not one this service knows"),
    ("a@example.org,A,TD15 1AA,,,T1", "on a border"),
    ("a@example.org,A,CF10 1AA,scotland,Cardiff,T1", "postcode CF10 1AA is in wales"),
])
def test_a_row_that_contradicts_itself_is_refused_with_its_line(row: str, error: str) -> None:
    with pytest.raises(RegisterError) as refused:
        parse_register(HEAD + "ok@example.org,OK,NE1 4ST,england,,T0\n" + row + "\n")
    [problem] = refused.value.errors
    assert problem["line"] == 3 and error in problem["error"]


def test_rows_that_agree_load() -> None:
    rows = parse_register(HEAD + "a@example.org,A,TD15 1AA,,Scottish Borders,T1\n"
                          "b@example.org,B,NE1 4ST,,Newcastle upon Tyne,T2\n")
    assert [(r.email, r.nation) for r in rows] == [("a@example.org", "scotland"),
                                                  ("b@example.org", "england")]


@pytest.mark.parametrize(("text", "line", "error"), [
    ("email,email,postcode,tenancy_reference\n", 1, "given twice"),
    (HEAD + 'a@example.org,"A,NE1 4ST,england,,T1\n', 2, "cannot be read"),
    (HEAD + "a@example.org,A\x00,NE1 4ST,england,,T1\n", 2, "NUL"),
    (HEAD + "a@example.org," + "x" * 300_000 + ",NE1 4ST,england,,T1\n", 2, "cannot be read"),
])
def test_an_unreadable_file_is_refused_not_half_read(text: str, line: int, error: str) -> None:
    with pytest.raises(RegisterError) as refused:
        parse_register(text)
    assert refused.value.errors[0]["line"] == line and error in refused.value.errors[0]["error"]
