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
from tests.conftest import REPO, SmtpOutbox

SAMPLE = json.loads((REPO / "infra" / "events" / "ses-email-receiving.json").read_text())


@pytest.fixture()
def aws_env(monkeypatch: pytest.MonkeyPatch, dynamodb_local: str, outbox: SmtpOutbox,
            tmp_path: Path) -> Iterator[Any]:
    table = f"complaints-{tmp_path.name[-12:].replace('_', '-')}"
    for key, value in {
        "COMPLAINTS_TABLE": table, "COMPLAINTS_DYNAMODB_ENDPOINT": dynamodb_local,
        "COMPLAINTS_RAW_BUCKET": "raw-mail", "COMPLAINTS_RAW_PREFIX": "inbound/",
        "COMPLAINTS_SMTP_RELAY": f"127.0.0.1:{outbox.port}", "AWS_DEFAULT_REGION": "eu-west-2",
        "COMPLAINTS_DATA_DIR": str(tmp_path), "COMPLAINTS_CACHE_DIR": str(tmp_path / "cache"),
    }.items():
        monkeypatch.setenv(key, value)
    for cached in (settings, bootstrap.store, bootstrap.parts, bootstrap.sender, bootstrap.mail_config,
                   bootstrap.clock, bootstrap.presets, bootstrap.raw_mail, bootstrap.webform,
                   bootstrap.form_secret):
        cached.cache_clear()

    bootstrap.store().create_table()
    # moto stands in for S3 only; DynamoDB calls go through to DynamoDB Local
    with mock_aws(config={"core": {"passthrough": {"services": ["dynamodb"]}}}):
        s3 = boto3.client("s3", region_name="eu-west-2")
        s3.create_bucket(Bucket="raw-mail",
                         CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        yield s3
    for cached in (settings, bootstrap.store, bootstrap.parts, bootstrap.sender, bootstrap.mail_config,
                   bootstrap.raw_mail, bootstrap.webform, bootstrap.form_secret):
        cached.cache_clear()


def ses_event(message_id: str) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(SAMPLE)
    event["Records"][0]["ses"]["mail"]["messageId"] = message_id
    event["Records"][0]["ses"]["mail"]["timestamp"] = "2026-05-22T09:00:00.000Z"
    return event


def test_the_same_ses_event_three_times_is_one_case_and_one_letter(aws_env: Any, outbox: SmtpOutbox) -> None:
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


# --- the web form's handler, with an HTTP API v2 event and the raw store in S3 ---------------


def http_event(method: str, path: str, body: str = "", cookie: str = "",
               query: dict[str, str] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "$default", "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": {"content-type": "application/x-www-form-urlencoded", "host": "form.example",
                    "x-forwarded-proto": "https"},
        "requestContext": {"domainName": "form.example", "stage": "$default",
                           "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                    "sourceIp": "198.51.100.7", "userAgent": "test"}},
        "isBase64Encoded": False, "body": body,
    }
    if cookie:
        event["cookies"] = [f"__Host-complaints_form={cookie}"]  # https: the prefixed name
    if query:
        event["queryStringParameters"] = query
    return event


def test_the_web_form_handler_opens_a_case_and_offers_a_presigned_s3_upload(
        aws_env: Any, monkeypatch: pytest.MonkeyPatch, outbox: SmtpOutbox) -> None:
    import base64
    import re
    import urllib.parse

    from complaints.handlers.webform import handler as web

    monkeypatch.setenv("COMPLAINTS_FORM_SECRET", "x" * 40)
    for cached in (settings, bootstrap.webform, bootstrap.form_secret):
        cached.cache_clear()
    blank = web(http_event("GET", "/complaint"), LocalContext())
    assert blank["statusCode"] == 200
    cookie = blank["cookies"][0].split(";")[0].split("=", 1)[1]
    assert blank["cookies"][0].startswith("__Host-complaints_form=")
    assert "Secure" in blank["cookies"][0]  # https: the cookie never goes over plain http
    assert blank["headers"]["Strict-Transport-Security"].startswith("max-age=")
    token = re.search(r'name="csrf" value="([^"]+)"', blank["body"])
    assert token
    body = urllib.parse.urlencode({
        "csrf": token.group(1), "full-name": "Jo Bloggs", "email": "jo@example.org",
        "contact-preference": "email", "property-postcode": "LS1 4AP", "on-behalf": "myself",
        "what-happened": "The heating has been off for a week."})
    posted = web(http_event("POST", "/complaint", body, cookie), LocalContext())
    assert posted["statusCode"] == 303, posted["body"]
    location = posted["headers"]["Location"]
    stored = aws_env.list_objects_v2(Bucket="raw-mail", Prefix="webform/")["Contents"]
    assert len(stored) == 1  # the submission as received, in S3
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    page = web(http_event("GET", "/complaint/sent", query=query), LocalContext())
    assert page["statusCode"] == 200
    action = re.search(r'<form method="post" action="([^"]+)" enctype', page["body"])
    assert action and "raw-mail" in action.group(1)
    assert urllib.parse.urlsplit(action.group(1)).netloc in page["headers"][
        "Content-Security-Policy"]  # the policy lets the page post to the bucket
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page["body"]))
    import html

    policy = json.loads(base64.b64decode(html.unescape(fields["policy"])))
    conditions = policy["conditions"]
    reference = re.search(r"CMP-\d{4}-\d{6}", location)
    assert reference
    assert ["starts-with", "$key", html.unescape(fields["key"]).removesuffix("${filename}")] in \
        conditions and html.unescape(fields["key"]).startswith(f"uploads/{reference.group(0)}/")
    assert ["content-length-range", 1, 10 * 1024 * 1024] in conditions
    assert {"success_action_redirect": html.unescape(fields["success_action_redirect"])} in \
        conditions
    assert html.unescape(fields["success_action_redirect"]).startswith(
        "https://form.example/complaint/files?c=")
    # the browser's upload, as S3 would store it, then its return: checked, kept, removed
    key = html.unescape(fields["key"]).replace("${filename}", "boiler.pdf")
    put = aws_env.put_object(Bucket="raw-mail", Key=key, Body=b"%PDF-1.7 the engineer's report")
    unproven = web(http_event("GET", "/complaint/files", query={
        "c": query["c"], "bucket": "raw-mail", "key": key}), LocalContext())
    assert unproven["statusCode"] == 400  # no ETag: nothing says this is the file uploaded
    back = web(http_event("GET", "/complaint/files", query={
        "c": query["c"], "bucket": "raw-mail", "key": key, "etag": put["ETag"]}), LocalContext())
    assert back["statusCode"] == 303
    kept = aws_env.list_objects_v2(Bucket="raw-mail", Prefix=f"webform/{reference.group(0)}/")
    assert [o["Key"].rsplit("-", 1)[1] for o in kept["Contents"]] == ["boiler.pdf"]
    assert "Contents" not in aws_env.list_objects_v2(Bucket="raw-mail", Prefix="uploads/")


# --- observability: correlation ids, metrics, no personal data in a log line (issue 19) -------


class Emitted:
    """What the functions say in one test: their log lines (through a handler of our own on the
    Logger, with its formatter) and the EMF documents Metrics prints to stdout."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        import io
        import logging

        from complaints.handlers.observability import logger

        self.capsys, self.buffer = capsys, io.StringIO()
        self.handler = logging.StreamHandler(self.buffer)
        self.handler.setFormatter(logger.registered_formatter)
        self.logger = logger
        logger._logger.addHandler(self.handler)

    def read(self) -> str:
        return self.buffer.getvalue() + self.capsys.readouterr().out


@pytest.fixture()
def stdout(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Emitted]:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    emitted = Emitted(capsys)
    capsys.readouterr()
    yield emitted
    emitted.logger._logger.removeHandler(emitted.handler)


def _emitted(out: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(log lines, EMF metric documents) from what the functions wrote to stdout."""
    logs: list[dict[str, Any]] = []
    emf: list[dict[str, Any]] = []
    for line in out.splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        (emf if isinstance(doc, dict) and "_aws" in doc else logs).append(doc)
    return logs, emf


def test_the_inbound_function_logs_its_correlation_id_and_counts_without_personal_data(
        aws_env: Any, stdout: Emitted) -> None:
    """Given a complaint from Jane and a second delivery of it, then every log line carries the
    SES message id as its correlation id, the EMF documents count one complaint opened, one
    duplicate and the letters, and no line holds her address, her name or her words."""
    from complaints.handlers.inbound_email import handler

    raw = mf.message(sender="Jane Resident <jane.resident@example.org>",
                     body="Black mould in the bathroom; my son Tom has asthma.")
    aws_env.put_object(Bucket="raw-mail", Key="inbound/ses-obs1", Body=raw)
    handler(ses_event("ses-obs1"), LocalContext())
    handler(ses_event("ses-obs1"), LocalContext())
    out = stdout.read()
    logs, emf = _emitted(out)
    handled = [line for line in logs if line.get("message") == "inbound handled"]
    assert len(handled) == 2
    assert {line["correlation_id"] for line in handled} == {"ses-obs1"}
    assert handled[0]["outcome"] == "created" and handled[0]["reference"].startswith("CMP-")
    assert all(line.get("function_request_id") == "local" for line in handled)  # the context
    counts: dict[str, float] = {}
    for doc in emf:
        for metric in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            value = doc[metric["Name"]]
            counts[metric["Name"]] = counts.get(metric["Name"], 0) + sum(
                value if isinstance(value, list) else [value])
    assert counts["ComplaintsOpened"] == 1 and counts["DuplicateDeliveries"] == 1
    assert counts["LettersSent"] == 2  # the receipt and the team's notice, once
    for private_bit in ("jane.resident", "Jane Resident", "mould", "asthma", "Tom"):
        assert private_bit not in out, private_bit


def test_the_web_form_and_the_sweep_carry_their_own_correlation_ids(
        aws_env: Any, monkeypatch: pytest.MonkeyPatch, stdout: Emitted) -> None:
    """The web form's log lines carry the HTTP API's request id; the sweep's, the schedule's
    execution id; each writes its metrics (a form refusal counted, the sweep's errors)."""
    from complaints.handlers.deadline_sweep import handler as sweep
    from complaints.handlers.webform import handler as web

    monkeypatch.setenv("COMPLAINTS_FORM_SECRET", "x" * 40)
    for cached in (settings, bootstrap.webform, bootstrap.form_secret, bootstrap.sweep):
        cached.cache_clear()
    event = http_event("POST", "/complaint", "full-name=Jo+Bloggs&email=jo%40example.org")
    event["requestContext"]["requestId"] = "req-123"
    assert web(event, LocalContext())["statusCode"] in (400, 403)
    sweep({"schedule": "daily", "scheduled_time": "2026-05-22T07:00:00Z",
           "execution_id": "exec-456"}, LocalContext())
    out = stdout.read()
    logs, emf = _emitted(out)
    assert any(line.get("correlation_id") == "req-123" for line in logs)
    assert any(line.get("correlation_id") == "exec-456" and line.get("message") == "sweep done"
               for line in logs)
    names = {m["Name"] for doc in emf for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert "FormRefused" in names
    assert "jo@example.org" not in out and "Jo Bloggs" not in out
