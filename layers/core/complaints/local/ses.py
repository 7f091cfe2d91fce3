"""What SES adds to received mail, locally: the verdict and Authentication-Results headers above
the stored message, and the SES receipt event the inbound handler is invoked with.

Local verdicts: a message carrying the EICAR test string gets a virus FAIL and one carrying
GTUBE a spam FAIL, as real scanners do. SPF passes for loopback clients; DMARC passes when the
From domain matches the envelope sender's, so staff mail is "authenticated" only when it says
who it is consistently.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime, getaddresses
from typing import Any

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
GTUBE = b"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"


def local_dmarc(raw: bytes, mail_from: str) -> str:
    """The local stand-in for DMARC: pass when the From domain is the envelope sender's."""
    from_domain = _from_domain(raw)
    envelope_domain = mail_from.rpartition("@")[2].lower()
    return "pass" if from_domain and from_domain == envelope_domain else "fail"


def ses_headers(raw: bytes, mail_from: str, peer: str, at: datetime) -> bytes:
    """What SES puts above a received message before the S3 action stores it."""
    from_domain = _from_domain(raw)
    dmarc = local_dmarc(raw, mail_from)
    virus = "FAIL" if EICAR in raw else "PASS"
    spam = "FAIL" if GTUBE in raw else "PASS"
    quoted_from = '"' + mail_from.replace("\\", "\\\\").replace('"', '\\"') + '"'
    lines = [
        f"Return-Path: <{mail_from}>",
        f"Received: from {peer} by local-inbound-smtp (complaints local stack); "
        f"{format_datetime(at)}",
        f"X-SES-Spam-Verdict: {spam}",
        f"X-SES-Virus-Verdict: {virus}",
        f"Authentication-Results: amazonses.com; spf=pass (loopback client) "
        f"smtp.mailfrom={quoted_from}; dkim=none; dmarc={dmarc} header.from={from_domain or 'none'}",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def _from_domain(raw: bytes) -> str:
    """The domain DMARC would be evaluated for: the From address parsed as the service does."""
    from complaints.mail.inbound import parse

    return parse(raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0] + b"\r\n\r\n").sender_from.domain


def _header(raw: bytes, name: bytes) -> str:
    """The first ``name`` header, unfolded (RFC 5322 2.2.3), as SES reports it in commonHeaders."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    lines = head.splitlines()
    for at, line in enumerate(lines):
        if line.lower().startswith(name.lower() + b":"):
            value = [line.split(b":", 1)[1]]
            for more in lines[at + 1:]:
                if more[:1] not in (b" ", b"\t"):
                    break
                value.append(more)
            return b" ".join(v.strip() for v in value).decode("utf-8", "replace").strip()
    return ""


def ses_event(message_id: str, raw: bytes, mail_from: str, recipients: list[str],
              at: datetime, dmarc: str = "fail") -> dict[str, Any]:
    """An SES receipt event shaped like `sam local generate-event ses email-receiving`."""
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    return {"Records": [{
        "eventSource": "aws:ses", "eventVersion": "1.0",
        "ses": {
            "mail": {
                "commonHeaders": {
                    "from": [_header(raw, b"From")],
                    "to": [a for _, a in getaddresses([_header(raw, b"To")]) if a],
                    "messageId": _header(raw, b"Message-ID"),
                    "subject": _header(raw, b"Subject"),
                },
                "destination": recipients,
                "headers": [],
                "headersTruncated": False,
                "messageId": message_id,
                "source": mail_from,
                "timestamp": stamp,
            },
            "receipt": {
                "action": {"type": "Lambda", "invocationType": "Event",
                           "functionArn": "arn:aws:lambda:eu-west-2:000000000000:function:local"},
                "recipients": recipients,
                "spamVerdict": {"status": "FAIL" if GTUBE in raw else "PASS"},
                "virusVerdict": {"status": "FAIL" if EICAR in raw else "PASS"},
                "spfVerdict": {"status": "PASS"},
                "dkimVerdict": {"status": "GRAY"},
                "dmarcVerdict": {"status": dmarc.upper()},
                "processingTimeMillis": 1,
                "timestamp": stamp,
            },
        },
    }]}
