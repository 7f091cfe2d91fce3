"""SES receipt rule, Lambda action (after the S3 action stored the raw message).

The event carries no body: the raw MIME is read from S3 by messageId. Lambda invokes this
asynchronously and retries, so each message is idempotent on its SES messageId (Powertools
idempotency, records in the complaints table); a delivery that failed half way is finished by
the retry (see service/mailroom.py).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import SESEvent
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from complaints.bootstrap import mailroom, store
from complaints.service.mailroom import Delivery

logger = Logger(service="complaints")
_WEEK = 7 * 24 * 3600


@functools.cache
def _idempotency() -> tuple[DynamoDBPersistenceLayer, IdempotencyConfig]:
    import boto3

    table = store()
    persistence = DynamoDBPersistenceLayer(
        table_name=table.table, key_attr="PK", sort_key_attr="SK",
        static_pk_value="IDEMPOTENCY#inbound_email",
        boto3_client=boto3.client("dynamodb", region_name=table.region, endpoint_url=table.host),
    )
    return persistence, IdempotencyConfig(event_key_jmespath="key", expires_after_seconds=_WEEK)


@functools.cache
def _receive() -> Any:
    persistence, config = _idempotency()

    @idempotent_function(data_keyword_argument="delivery", persistence_store=persistence,  # type: ignore[untyped-decorator]
                         config=config)
    def receive(delivery: dict[str, Any]) -> dict[str, Any]:
        outcome = mailroom().receive(Delivery(
            key=delivery["key"], raw_key=delivery["raw_key"],
            received_at=datetime.fromisoformat(delivery["received_at"].replace("Z", "+00:00")),
        ))
        logger.info("inbound handled", extra=outcome.to_json())
        return outcome.to_json()

    return receive


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ses = SESEvent(event)
    if context is not None:  # lets an in-progress record expire with the invocation
        _idempotency()[1].register_lambda_context(context)
    raw_mail = mailroom().raw_mail
    outcomes = []
    for record in ses.records:
        mail = record.ses.mail
        logger.append_keys(ses_message_id=mail.message_id)
        delivery = {"key": mail.message_id, "raw_key": raw_mail.key_for(mail.message_id),
                    "received_at": mail.timestamp}
        outcomes.append(_receive()(delivery=delivery))
    return {"outcomes": outcomes}
