"""The DynamoDB store on DynamoDB Local: references, locking, indexes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest

from complaints.adapters.store import ConcurrentUpdate, MessageRecord, Store, StoreError
from complaints.domain.case import Complaint
from complaints.service.clock import StatutoryClock


def complaint(n: int, clock: StatutoryClock, received: date = date(2026, 5, 22)) -> Complaint:
    at = datetime(2026, 5, 22, 9, 0, tzinfo=UTC)
    case = Complaint(reference="", landlord="Example Homes", policy="hos-2024", nation="england",
                     resident=f"r{n}@example.org", resident_name="", subject=f"case {n}",
                     received_at=at, received_on=received, source_message=f"m{n}",
                     parties={f"r{n}@example.org"})
    case.open_stage(at, lambda s, r, a: clock.deadlines("hos-2024", s, r, a))
    return case


def create(store: Store, n: int, clock: StatutoryClock, received: date = date(2026, 5, 22)) -> str:
    case = complaint(n, clock, received)
    record = MessageRecord("in", f"m{n}", case.received_at, case.resident, (), "", f"raw/m{n}", "")
    return store.create_case(case, f"m{n}", record, 2026).reference


def test_references_have_no_gaps_under_concurrency(store: Store, clock: StatutoryClock) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        references = list(pool.map(lambda n: create(store, n, clock), range(40)))
    assert sorted(references) == [f"CMP-2026-{n:06d}" for n in range(1, 41)]


def test_optimistic_lock_refuses_a_stale_save(store: Store, clock: StatutoryClock) -> None:
    reference = create(store, 1, clock)
    first, second = store.load(reference), store.load(reference)
    assert first is not None and second is not None
    first.flag(datetime.now(UTC), "urgent", "vulnerable resident")
    store.save(first)
    second.flag(datetime.now(UTC), "other", "stale writer")
    with pytest.raises(ConcurrentUpdate):
        store.save(second)
    loaded = store.load(reference)
    assert loaded is not None and loaded.flags == {"urgent"}
    assert [e.event for e in loaded.timeline].count("flagged") == 1


def test_due_index_finds_open_cases_by_date_without_a_scan(store: Store, clock: StatutoryClock) -> None:
    early = create(store, 1, clock, date(2026, 5, 22))  # acknowledge by 1 Jun
    late = create(store, 2, clock, date(2026, 7, 1))  # acknowledge by 8 Jul
    assert store.due_before("Example Homes", date(2026, 6, 2)) == [early]
    assert set(store.due_before("Example Homes", date(2026, 12, 1))) == {early, late}
    assert store.due_before("Other Landlord", date(2026, 12, 1)) == []
    case = store.load(early)
    assert case is not None
    case.withdraw(datetime.now(UTC), "resident", "resolved")
    store.save(case)
    assert store.due_before("Example Homes", date(2026, 12, 1)) == [late]  # closed: off the index


def test_cases_by_sender(store: Store, clock: StatutoryClock) -> None:
    reference = create(store, 7, clock)
    assert store.cases_for_sender("R7@Example.org") == [reference]
    assert store.cases_for_sender("nobody@example.org") == []


def test_rate_counter_counts_letters_per_inbox_over_a_sliding_hour(store: Store) -> None:
    at = datetime(2026, 5, 22, 9, 30, tzinfo=UTC)
    assert store.sent_in_the_last_hour("a@example.org", at) == 0  # reading counts nothing
    assert store.sent_in_the_last_hour("a@example.org", at) == 0
    for address in ("A@example.org", "a+tag@example.org", "A+x+y@example.org"):
        store.count_attempt(address, at)  # each letter takes its place before it is sent
    assert store.sent_in_the_last_hour("a@example.org", at) == 3  # one inbox, however tagged
    assert store.sent_in_the_last_hour("a+other@example.org", at) == 3
    assert store.sent_in_the_last_hour("+a@example.org", at) == 0  # a "+" first is the name
    # a sliding hour, never shorter than 60 minutes: at 10:30 the 09:30 letters still count
    assert store.sent_in_the_last_hour("a@example.org", at + timedelta(hours=1)) == 3
    assert store.sent_in_the_last_hour("a@example.org", at + timedelta(minutes=61)) == 0


def test_form_posts_are_counted_over_a_sliding_hour(store: Store) -> None:
    """10 posts at 17:56 then, 12 minutes later, after 18:00: the 10 still count in full (a
    clock-hour counter forgot them), until the hour since them has passed."""
    before = datetime(2026, 5, 22, 17, 56, tzinfo=UTC)
    assert [store.count_attempt("form-post#x", before) for _ in range(10)] == list(
        range(1, 11))
    after = datetime(2026, 5, 22, 18, 8, tzinfo=UTC)
    assert [store.count_attempt("form-post#x", after) for _ in range(2)] == [11, 12]
    store.uncount_attempt("form-post#x", after)  # one taken back: 11 in the hour
    assert store.sent_in_the_last_hour("form-post#x", after) == 11
    # 17:56's ten leave the window after 18:56; 18:08's one stays until 19:08
    later = datetime(2026, 5, 22, 18, 57, 30, tzinfo=UTC)
    assert store.count_attempt("form-post#x", later) == 1 + 1
    assert store.count_attempt("form-post#other", later) == 1


def test_the_sweep_index_holds_each_case_on_its_first_day_of_work(
        store: Store, clock: StatutoryClock) -> None:
    """Received Fri 22 May 2026: acknowledge by Mon 1 Jun (Spring bank holiday 25 May), so the
    first reminder is Thu 28 May; a withdrawn case has no work and leaves the index."""
    reference = create(store, 1, clock)
    assert list(store.due_for_sweep("Example Homes", date(2026, 5, 27))) == []
    assert list(store.due_for_sweep("Example Homes", date(2026, 5, 28))) == [reference]
    case = store.load(reference)
    assert case is not None
    case.withdraw(datetime.now(UTC), "resident", "resolved")
    store.save(case)
    assert list(store.due_for_sweep("Example Homes", date(2030, 1, 1))) == []


def test_a_table_from_before_the_sweep_is_refused_with_what_to_do(
        dynamodb_local: str, clock: StatutoryClock) -> None:
    """A local data dir made before issue 10: DynamoDB Local cannot be trusted to add an index
    in place (it can stay CREATING for good), so starting on it says what to do instead."""
    import uuid

    from complaints.domain.agenda import AgendaRules
    from complaints.service.clock import waker

    table = f"old-{uuid.uuid4().hex[:8]}"
    old = Store(table, "eu-west-2", dynamodb_local)  # no wake: as the old code stored cases
    client = old._connection.client
    client.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in (
            "PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK")],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"},
                   {"AttributeName": "SK", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{
            "IndexName": name, "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": f"{key}PK", "KeyType": "HASH"},
                          {"AttributeName": f"{key}SK", "KeyType": "RANGE"}]}
            for name, key in (("due", "GSI1"), ("sender", "GSI2"))])
    reference = create(old, 1, clock)
    new = Store(table, "eu-west-2", dynamodb_local, wake=waker(clock, AgendaRules()))
    with pytest.raises(StoreError, match="predates the sweep index"):
        new.create_table()
    assert new.load(reference) is not None  # nothing touched


def test_a_store_that_did_not_answer_is_retried_one_that_refused_is_not() -> None:
    """Issue 18, 1: a transaction that failed because DynamoDB did not answer (restarting) was
    a StoreError, which the mailroom quarantines as refused for good; only a refusal with a
    reason (ValidationException: item too large) is for good."""
    import botocore.exceptions as be
    from pynamodb.exceptions import TransactWriteError

    from complaints.adapters.dynamodb_schema import retryable

    unanswered = TransactWriteError("Failed to write transaction items",
                                    cause=be.EndpointConnectionError(endpoint_url="http://db"))
    refused = TransactWriteError("Failed to write transaction items", cause=be.ClientError(
        {"Error": {"Code": "ValidationException", "Message": "Item size has exceeded"}},
        "TransactWriteItems"))
    throttled = TransactWriteError("Failed to write transaction items", cause=be.ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "TransactWriteItems"))
    assert (retryable(unanswered), retryable(refused), retryable(throttled)) == (
        True, False, True)
