"""`complaints redrive` against the inbound function's on-failure queue (moto SQS), with the raw
mail in S3 (moto) and the store on DynamoDB Local.

Given invocation records on the queue as Lambda writes them for an asynchronous invocation that
failed every attempt (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html),
when `complaints redrive` runs, then each record's requestPayload (the SES event) goes to the
inbound handler again: a message never handled becomes its case, one handled meanwhile is a
duplicate (one case, one receipt letter), and a queue message is deleted only once handled.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from complaints import bootstrap
from complaints.cli import main
from complaints.config import settings
from complaints.local.stack import LocalContext
from tests import mailfactory as mf
from tests.conftest import Outbox
from tests.integration.test_handler import aws_env, ses_event

__all__ = ["aws_env"]  # the fixture, used here by name


def invocation_record(event: dict[str, Any], error: str) -> str:
    """Lambda's record of a failed asynchronous invocation, on its on-failure destination."""
    return json.dumps({
        "version": "1.0",
        "timestamp": "2026-05-22T09:04:12.334Z",
        "requestContext": {
            "requestId": "e4b46cbf-b738-4f9b-8880-a18cdf61200e",
            "functionArn": "arn:aws:lambda:eu-west-2:123456789012:function:"
                           "complaints-InboundEmailFunction:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                            "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": error, "errorType": "ProvisionedThroughputExceeded",
                            "stackTrace": []},
    })


def receipts(outbox: Outbox) -> int:
    return [b"X-Complaints-Letter: receipt" in r for r in outbox.letters()].count(True)


def test_redrive_from_the_on_failure_queue_is_idempotent_and_deletes_only_what_it_handled(
        aws_env: Any, outbox: Outbox, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from complaints.handlers.inbound_email import handler

    sqs = boto3.client("sqs", region_name="eu-west-2")
    queue = sqs.create_queue(QueueName="complaints-InboundFailures")["QueueUrl"]
    monkeypatch.setenv("COMPLAINTS_INBOUND_FAILURES_QUEUE", queue)
    settings.cache_clear()
    # given one message handled before its record reached the queue (the function timed out
    # after the case was saved), one never handled, and one whose raw message is not in S3
    aws_env.put_object(Bucket="raw-mail", Key="inbound/ses-handled",
                       Body=mf.message(subject="Handled once already"))
    [first] = handler(ses_event("ses-handled"), LocalContext())["outcomes"]
    assert first["outcome"] == "created" and receipts(outbox) == 1
    aws_env.put_object(Bucket="raw-mail", Key="inbound/ses-failed",
                       Body=mf.message(sender="Sam Resident <sam@example.org>",
                                       subject="Never handled"))
    for key in ("ses-handled", "ses-failed", "ses-lost"):
        sqs.send_message(QueueUrl=queue, MessageBody=invocation_record(ses_event(key), "Rate"))

    # when redrive runs
    capsys.readouterr()
    code = main(["redrive", "--json"])
    report = json.loads(capsys.readouterr().out)

    # then the one never handled is a case, the one handled is a duplicate of the same case
    assert code == 1 and report["redriven"] == 2 and report["failed"] == 1
    by_outcome = {r["outcomes"][0]["outcome"]: r["outcomes"][0] for r in report["results"] if r["ok"]}
    assert set(by_outcome) == {"created", "duplicate"}
    assert by_outcome["duplicate"]["reference"] == first["reference"]
    assert by_outcome["created"]["reference"] != first["reference"]
    [failed] = [r for r in report["results"] if not r["ok"]]
    assert "inbound/ses-lost" in failed["error"]
    assert receipts(outbox) == 2  # one receipt letter per case, none twice
    # and only the one that failed again is still on the queue
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]) == 1

    # a second redrive of the same record (its message now in S3) is a case once, then a duplicate
    aws_env.put_object(Bucket="raw-mail", Key="inbound/ses-lost",
                       Body=mf.message(sender="Ali Resident <ali@example.org>", subject="Late"))
    sqs.send_message(QueueUrl=queue, MessageBody=invocation_record(ses_event("ses-lost"), "x"))
    sqs.send_message(QueueUrl=queue, MessageBody=invocation_record(ses_event("ses-lost"), "x"))
    assert main(["redrive", "--json"]) == 0
    outcomes = [r["outcomes"][0]["outcome"] for r in json.loads(capsys.readouterr().out)["results"]]
    assert sorted(outcomes) == ["created", "duplicate"]
    assert receipts(outbox) == 3
    assert len(bootstrap.store().quarantined()) == 0


def test_a_dead_letter_queue_body_is_the_event_itself(
        aws_env: Any, outbox: Outbox, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A DLQ (not a destination) gets the event alone: redrive takes it as it is."""
    sqs = boto3.client("sqs", region_name="eu-west-2")
    queue = sqs.create_queue(QueueName="complaints-dlq")["QueueUrl"]
    aws_env.put_object(Bucket="raw-mail", Key="inbound/ses-dlq", Body=mf.message())
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(ses_event("ses-dlq")))
    sqs.send_message(QueueUrl=queue, MessageBody="not json")
    assert main(["redrive", "--queue", queue, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [r["ok"] for r in report["results"]].count(True) == 1
    assert receipts(outbox) == 1
