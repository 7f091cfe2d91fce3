"""SES receipt rule, Lambda action (after the S3 action stored the raw message).

The event carries no body: the raw MIME is read from S3 by messageId. Lambda invokes this
asynchronously and retries, and senders resend: idempotency is the mailroom's, one rule written
in the same transaction as the case (service/mailroom.py), so this handler keeps no second
record of its own. The event's own verdicts (spam, virus, SPF, DKIM, DMARC) and envelope
recipients go to the mailroom; they win over the headers stored with the message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes import SESEvent

from complaints.bootstrap import mailroom
from complaints.handlers.observability import (
    count_letters,
    count_outcomes,
    logger,
    metrics,
    outcome_line,
)
from complaints.service.mailroom import Delivery


@logger.inject_lambda_context(correlation_id_path="Records[0].ses.mail.messageId",
                              clear_state=True)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ses = SESEvent(event)
    room = mailroom()
    outcomes = []
    for record in ses.records:
        mail = record.ses.mail
        receipt = record.ses.receipt
        logger.append_keys(ses_message_id=mail.message_id)
        delivery = Delivery(
            key=mail.message_id, raw_key="",  # the mailroom's store: where S3 put it
            received_at=datetime.fromisoformat(mail.timestamp.replace("Z", "+00:00")),
            receipt=dict(receipt.raw_event), recipients=tuple(
                r.lower() for r in (receipt.raw_event.get("recipients") or [])),
            ses_from=tuple(str(v) for v in (mail.raw_event.get("commonHeaders") or {}).get(
                "from") or ()),
        )
        outcome = room.receive(delivery).to_json()
        logger.info("inbound handled", extra=outcome_line(outcome))
        outcomes.append(outcome)
    count_outcomes(outcomes)
    count_letters(room.post.take_counts())
    return {"outcomes": outcomes}
