"""One contract, two stores: the in-memory store (adapters/memory.py) the service's tests run on
must answer every port as the DynamoDB store does on DynamoDB Local. Each test runs on both.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from complaints.adapters.memory import InMemoryStore
from complaints.adapters.store import Store
from complaints.domain.agenda import AgendaRules
from complaints.domain.case import Complaint, Letter, LetterStatus
from complaints.domain.record import record_of
from complaints.service.clock import StatutoryClock, waker
from complaints.service.ports import CaseStore
from complaints.service.records import (
    ConcurrentUpdate,
    DuplicateDelivery,
    MessageRecord,
    Quarantined,
    StoreError,
    stored_of,
)

AT = datetime(2026, 5, 22, 9, 0, tzinfo=UTC)  # Fri 22 May 2026


@pytest.fixture(params=["memory", "dynamodb"])
def any_store(request: pytest.FixtureRequest, clock: StatutoryClock) -> CaseStore:
    wake = waker(clock, AgendaRules())
    if request.param == "memory":
        return InMemoryStore(wake=wake)
    endpoint: str = request.getfixturevalue("dynamodb_local")
    store = Store(f"contract-{uuid.uuid4().hex[:12]}", "eu-west-2", endpoint, wake=wake)
    store.create_table()
    return store


def new_case(clock: StatutoryClock, n: int = 1, received: date = date(2026, 5, 22),
             resident: str = "") -> Complaint:
    resident = resident or f"r{n}@example.org"
    case = Complaint(reference="", landlord="Example Homes", policy="hos-2024", nation="england",
                     resident=resident, resident_name="Jo", subject=f"case {n}", received_at=AT,
                     received_on=received, source_message=f"m{n}", parties={resident})
    case.open_stage(AT, lambda s, r, a: clock.deadlines("hos-2024", s, r, a))
    return case


def message(key: str, at: datetime = AT, **more: object) -> MessageRecord:
    return MessageRecord("in", key, at, "r1@example.org", ("complaints@landlord.example",),
                         "Damp", f"inbound/{key}", f"<{key}@example.org>", **more)  # type: ignore[arg-type]


def opened(store: CaseStore, clock: StatutoryClock, n: int = 1, **kwargs: object) -> Complaint:
    return store.create_case(new_case(clock, n, **kwargs), f"key-{n}",  # type: ignore[arg-type]
                             message(f"key-{n}"), 2026)


def test_a_case_is_numbered_stored_and_loaded_as_it_was(any_store: CaseStore,
                                                        clock: StatutoryClock) -> None:
    first, second = opened(any_store, clock, 1), opened(any_store, clock, 2)
    assert (first.reference, second.reference) == ("CMP-2026-000001", "CMP-2026-000002")
    assert (stored_of(first).version, stored_of(first).events) == (1, len(first.timeline))
    loaded = any_store.load(first.reference)
    assert loaded == first and loaded is not None and stored_of(loaded).version == 1
    assert any_store.load("CMP-2026-999999") is None
    assert any_store.inbound("key-1") == {"reference": first.reference, "outcome": "created"}
    assert any_store.inbound("key-9") is None


def test_a_redelivery_is_a_duplicate_and_takes_no_number(any_store: CaseStore,
                                                         clock: StatutoryClock) -> None:
    first = opened(any_store, clock, 1)
    with pytest.raises(DuplicateDelivery) as dup:
        any_store.create_case(new_case(clock, 1), "key-1", message("key-1"), 2026)
    assert dup.value.outcome == {"reference": first.reference, "outcome": "created"}
    case = any_store.load(first.reference)
    assert case is not None
    case.flag(AT, "urgent", "x")
    with pytest.raises(DuplicateDelivery):
        any_store.save(case, inbound_key="key-1")
    assert opened(any_store, clock, 2).reference == "CMP-2026-000002"


def test_the_optimistic_lock_and_the_marker_written_with_the_change(
        any_store: CaseStore, clock: StatutoryClock) -> None:
    reference = opened(any_store, clock).reference
    a, b = any_store.load(reference), any_store.load(reference)
    assert a is not None and b is not None
    a.flag(AT, "urgent", "first")
    any_store.save(a, (message("reply-1", AT + timedelta(hours=1)),), inbound_key="reply-1",
                   outcome="appended")
    assert stored_of(a).version == 2
    b.flag(AT, "other", "stale")
    with pytest.raises(ConcurrentUpdate):
        any_store.save(b, inbound_key="reply-2")
    assert any_store.inbound("reply-2") is None  # nothing of a refused write is kept
    assert any_store.inbound("reply-1") == {"reference": reference, "outcome": "appended"}
    loaded = any_store.load(reference)
    assert loaded is not None and loaded.flags == {"urgent"} and stored_of(loaded).version == 2


def test_messages_in_order_attachments_listed_without_their_bytes(
        any_store: CaseStore, clock: StatutoryClock) -> None:
    case = opened(any_store, clock)
    attachment = {"filename": "mould.jpg", "size": 3, "sha256": "0" * 64, "payload": b"abc"}
    later = message("reply-1", AT + timedelta(hours=2), attachments=(attachment,), text="more")
    any_store.save(case, (later,))
    [first, second] = any_store.messages(case.reference)
    assert (first["key"], second["key"]) == ("key-1", "reply-1")
    assert second["attachments"] == [{"filename": "mould.jpg", "size": 3, "sha256": "0" * 64}]
    assert (second["text"], second["from"], second["to"]) == (
        "more", "r1@example.org", ["complaints@landlord.example"])


def test_a_letters_message_ids_find_its_case(any_store: CaseStore,
                                             clock: StatutoryClock) -> None:
    case = opened(any_store, clock)
    case.letters["receipt-1"] = Letter("receipt", "receipt-1", case.resident, "<ours@x>",
                                       LetterStatus.SENT, sent_message_id="<ses@amazonses.com>")
    any_store.save(case)
    assert any_store.reference_for_message_id("<ours@x>") == case.reference
    assert any_store.reference_for_message_id(" <ses@amazonses.com> ") == case.reference
    assert any_store.reference_for_message_id("<other@x>") is None


def test_quarantine_once_and_notices_by_token_or_message_id(any_store: CaseStore) -> None:
    entry = Quarantined("q-1", AT, "no usable sender", "inbound/q-1", "", "hello", review=True)
    assert any_store.quarantine(entry) is True
    assert any_store.quarantine(entry) is False  # a redelivery
    [kept] = any_store.quarantined()
    assert (kept["key"], kept["review"], kept["from"], kept["raw_key"]) == (
        "q-1", True, "", "inbound/q-1")
    assert any_store.inbound("q-1") == {"reference": None, "outcome": "quarantined",
                                        "reason": "no usable sender"}
    any_store.record_notice("Abc123", "q-1", ("<notice@x>", ""), AT)
    assert any_store.noticed(token="abc123") == "q-1"
    assert any_store.noticed(message_id="<notice@x>") == "q-1"
    assert any_store.noticed(token="other") is None
    assert any_store.reference_for_message_id("<notice@x>") is None  # a notice is no case's


def test_the_resident_register(any_store: CaseStore) -> None:
    row = {"email": "jane@example.org", "nation": "scotland", "tenancy_reference": "T-1"}
    assert any_store.put_residents([row]) == 1
    assert any_store.resident("Jane@Example.org") == row
    assert any_store.resident("bob@example.org") is None


def test_rate_counts_over_a_sliding_hour_with_plus_tags_folded(any_store: CaseStore,
                                                              clock: StatutoryClock) -> None:
    at = datetime(2026, 5, 22, 9, 59, 40, tzinfo=UTC)
    assert [any_store.count_attempt("jo@example.org", at) for _ in range(3)] == [1, 2, 3]
    assert any_store.count_attempt("Jo+form@example.org", at + timedelta(seconds=30)) == 4
    any_store.uncount_attempt("jo@example.org", at)
    assert any_store.sent_in_the_last_hour("jo@example.org", at + timedelta(minutes=30)) == 3
    assert any_store.sent_in_the_last_hour("jo@example.org", at + timedelta(minutes=62)) == 0
    assert any_store.count_attempt("team@landlord.example", at) == 1
    assert any_store.sent_in_the_last_hour("team@landlord.example", at) == 1
    any_store.count_attempt("jane@example.org", at)
    any_store.count_attempt("Jane+x@example.org", at)
    assert any_store.sent_in_the_last_hour("jane@example.org", at + timedelta(minutes=59)) == 2


def test_the_indexes_for_the_sweep_the_due_list_and_a_residents_cases(
        any_store: CaseStore, clock: StatutoryClock) -> None:
    early = opened(any_store, clock, 1, received=date(2026, 5, 22))  # acknowledge by 1 Jun
    late = opened(any_store, clock, 2, received=date(2026, 7, 1), resident="r1@example.org")
    assert any_store.due_before("Example Homes", date(2026, 6, 2)) == [early.reference]
    assert any_store.due_before("Other", date(2027, 1, 1)) == []
    assert list(any_store.due_for_sweep("Example Homes", date(2026, 5, 1))) == []
    assert list(any_store.due_for_sweep("Example Homes", date(2026, 12, 31))) == [
        early.reference, late.reference]
    assert set(any_store.cases_for_sender("R1@example.org")) == {early.reference,
                                                                 late.reference}
    assert set(any_store.all_references()) == {early.reference, late.reference}
    early.withdraw(AT, "resident", "resolved")
    any_store.save(early)
    assert any_store.due_before("Example Homes", date(2027, 1, 1)) == [late.reference]


def test_records_filed_by_month_and_imports_only_over_what_they_read(
        any_store: CaseStore, clock: StatutoryClock) -> None:
    case = opened(any_store, clock)
    found = any_store.records("Example Homes", date(2026, 5, 1), date(2026, 5, 31))
    assert found == {case.reference: record_of(case)}
    assert any_store.records("Example Homes", date(2026, 6, 1), date(2026, 6, 30)) == {}
    [now] = any_store.cases_now([case.reference, "CMP-2026-999999"]).values()
    assert (stored_of(now).version, stored_of(now).events, now.timeline) == (
        1, len(case.timeline), [])
    stale = new_case(clock, 5)
    stale.reference, stored_of(stale).version = case.reference, 0  # read when there was no case
    fresh = new_case(clock, 6)
    fresh.reference = "CMP-2025-000100"
    refused = any_store.put_imported([stale, fresh])
    assert list(refused) == [case.reference] and "not overwritten" in refused[case.reference]
    assert stored_of(fresh).version == 1
    imported = any_store.load("CMP-2025-000100")
    assert imported is not None and imported.subject == "case 6"
    assert len(imported.timeline) == len(fresh.timeline)


def test_a_write_of_more_than_a_hundred_items_is_refused_whole(
        any_store: CaseStore, clock: StatutoryClock) -> None:
    case = opened(any_store, clock)
    many = tuple(message(f"m-{n:03d}", AT + timedelta(seconds=n)) for n in range(101))
    with pytest.raises(StoreError):
        any_store.save(case, many)
    assert [m["key"] for m in any_store.messages(case.reference)] == ["key-1"]
    stored = any_store.load(case.reference)
    assert stored is not None and stored_of(stored).version == 1


def test_once_marks_are_claimed_by_one_taken_over_after_the_lease_and_done_once(
        any_store: CaseStore) -> None:
    """The weekly digest's marks (service/ports.Once): one claimant at a time, a dead one's
    claim taken over after the lease with its data kept, done for good, tries counted."""
    import threading

    lease = timedelta(minutes=15)
    key = "digest:Example Homes:2026-06-01:lee@landlord.example"
    won: list[dict[str, object]] = []
    barrier = threading.Barrier(4)

    def claim(n: int) -> None:
        barrier.wait()
        mark = any_store.claim_once(key, f"sweep:{n}", AT, lease, 3, {"message_id": f"<m{n}>"})
        if mark is not None:
            won.append(mark)

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    [first] = won  # one of four at once
    assert first["claims"] == 1 and first["done_at"] is None
    assert any_store.once(key) == first
    assert any_store.claim_once(key, "sweep:late", AT + timedelta(minutes=14), lease, 3,
                                {}) is None  # the claim is fresh
    assert not any_store.done_once(key, "sweep:other", AT, {"x": 1})  # not the holder's
    taken = any_store.claim_once(key, "sweep:next", AT + lease, lease, 3, {"message_id": "<x>"})
    assert taken is not None and taken["claims"] == 2 and taken["claimed_by"] == "sweep:next"
    assert taken["data"] == first["data"]  # the Message-ID first given is kept
    assert not any_store.done_once(key, str(first["claimed_by"]), AT + lease, {})  # overtaken
    assert any_store.claim_once(key, "sweep:3", AT + 2 * lease, lease, 3, {}) is not None
    assert any_store.claim_once(key, "sweep:4", AT + 3 * lease, lease, 3, {}) is None  # 3 tries
    assert any_store.done_once(key, "sweep:3", AT + 3 * lease, {"message_id": "<sent>"})
    done = any_store.once(key)
    assert done is not None and done["done_at"] == "2026-05-22T09:45:00Z"
    assert done["outcome"] == {"message_id": "<sent>"}
    assert any_store.claim_once(key, "sweep:5", AT + timedelta(days=1), lease, 9, {}) is None
    assert any_store.once("digest:Example Homes:2026-06-08") is None
