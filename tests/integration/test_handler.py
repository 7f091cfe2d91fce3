"""The Lambda handler with an SES receipt event (as `sam local generate-event ses
email-receiving` shapes it) and the raw message in S3 (moto), the store on DynamoDB Local."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from complaints import bootstrap
from complaints.config import settings
from complaints.local.stack import LocalContext
from tests import mailfactory as mf
from tests.conftest import REPO, Outbox

SAMPLE = json.loads((REPO / "infra" / "events" / "ses-email-receiving.json").read_text())


@pytest.fixture()
def aws_env(monkeypatch: pytest.MonkeyPatch, dynamodb_local: str, outbox: Outbox,
            tmp_path: Path) -> Iterator[Any]:
    table = f"complaints-{tmp_path.name[-12:].replace('_', '-')}"
    for key, value in {
        "COMPLAINTS_TABLE": table, "COMPLAINTS_DYNAMODB_ENDPOINT": dynamodb_local,
        "COMPLAINTS_RAW_BUCKET": "raw-mail", "COMPLAINTS_RAW_PREFIX": "inbound/",
        "COMPLAINTS_SMTP_RELAY": f"127.0.0.1:{outbox.port}", "AWS_DEFAULT_REGION": "eu-west-2",
        "COMPLAINTS_DATA_DIR": str(tmp_path), "COMPLAINTS_CACHE_DIR": str(tmp_path / "cache"),
    }.items():
        monkeypatch.setenv(key, value)
    for cached in (settings, bootstrap.store, bootstrap.mailroom, bootstrap.clock, bootstrap.presets):
        cached.cache_clear()

    bootstrap.store().create_table()
    # moto stands in for S3 only; DynamoDB calls go through to DynamoDB Local
    with mock_aws(config={"core": {"passthrough": {"services": ["dynamodb"]}}}):
        s3 = boto3.client("s3", region_name="eu-west-2")
        s3.create_bucket(Bucket="raw-mail",
                         CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        yield s3
    for cached in (settings, bootstrap.store, bootstrap.mailroom):
        cached.cache_clear()


def ses_event(message_id: str) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(SAMPLE)
    event["Records"][0]["ses"]["mail"]["messageId"] = message_id
    event["Records"][0]["ses"]["mail"]["timestamp"] = "2026-05-22T09:00:00.000Z"
    return event


def test_the_same_ses_event_three_times_is_one_case_and_one_letter(aws_env: Any, outbox: Outbox) -> None:
    from complaints.handlers.inbound_email import handler

    aws_env.put_object(Bucket="raw-mail", Key="inbound/ses-abc123", Body=mf.message())
    results = [handler(ses_event("ses-abc123"), LocalContext()) for _ in range(3)]
    outcomes = [r["outcomes"][0] for r in results]
    assert outcomes[0]["outcome"] == "created"
    assert {o["reference"] for o in outcomes} == {outcomes[0]["reference"]}
    # one receipt to the resident (and one new-case notice to the team)
    assert [b"X-Complaints-Letter: receipt" in r for r in outbox.letters()].count(True) == 1
    assert len(outbox.letters()) == 2
    case = bootstrap.store().load(outcomes[0]["reference"])
    assert case is not None and case.received_on.isoformat() == "2026-05-22"


def test_attachments_are_stored_beside_the_raw_message_in_s3(aws_env: Any) -> None:
    from complaints.handlers.inbound_email import handler

    raw = mf.message(attachments=[("lease.pdf", "application/pdf", b"%PDF-1.4 fake")])
    aws_env.put_object(Bucket="raw-mail", Key="inbound/ses-att", Body=raw)
    [outcome] = handler(ses_event("ses-att"), LocalContext())["outcomes"]
    [attachment] = bootstrap.store().attachments(outcome["reference"])
    assert attachment["key"].startswith("inbound/ses-att.attachments/")
    body = aws_env.get_object(Bucket="raw-mail", Key=attachment["key"])["Body"].read()
    assert body == b"%PDF-1.4 fake"


def test_a_missing_raw_message_fails_loudly_for_a_retry(aws_env: Any) -> None:
    from complaints.adapters.raw_mail import RawMailError
    from complaints.handlers.inbound_email import handler

    with pytest.raises(RawMailError, match="inbound/ses-missing"):
        handler(ses_event("ses-missing"), LocalContext())
