"""The Lambda context the handlers read, for invocations on the local stack."""

from __future__ import annotations


class LocalContext:
    """What the handler reads from a Lambda context, for local invocations."""

    function_name = "complaints-inbound-email-local"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:eu-west-2:000000000000:function:local"
    memory_limit_in_mb = 512
    aws_request_id = "local"
    log_group_name = log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000
