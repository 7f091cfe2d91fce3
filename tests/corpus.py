"""Malformed and hostile messages. Each must end in a case or quarantine with a reason."""

from __future__ import annotations

import os

from tests.mailfactory import SES_PASS

HEAD = b"From: Jane <jane@example.org>\r\nTo: complaints@landlord.example\r\n"


def hostile() -> dict[str, bytes]:
    return {
        "empty": b"",
        "only-whitespace": b"\r\n\r\n   \r\n",
        "binary-noise": os.urandom(4096),
        "nul-bytes-in-headers": HEAD + b"Subject: a\x00b\r\n\r\nbody\x00\x00",
        "no-sender": b"To: complaints@landlord.example\r\nSubject: who am I\r\n\r\nhello",
        "garbage-from": b"From: <<<@@@>>>\r\nSubject: x\r\n\r\nhello",
        "unknown-charset": HEAD + b"Subject: =?x-klingon?Q?qapla=27?=\r\n"
        b"Content-Type: text/plain; charset=x-klingon\r\n\r\n\xe9\xe8\xff mould",
        "lying-utf8": HEAD + b"Content-Type: text/plain; charset=utf-8\r\n\r\n\xff\xfe\xc3\x28 damp",
        "bad-encoded-word": HEAD + b"Subject: =?utf-8?B?####?=\r\n\r\nbody",
        "broken-boundary": HEAD + b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\nx\r\n--",
        "unterminated-multipart": HEAD + b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nthe repair is late\r\n--B\r\n"
        b"Content-Type: application/pdf; name=x.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"JVBERi0xLjQK%%%not-base64",
        "nested-64-levels": HEAD + b"".join(
            f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode()
            for i in range(64)) + b"Content-Type: text/plain\r\n\r\ndeep\r\n",
        "huge-header": HEAD + b"Subject: " + b"A" * 300_000 + b"\r\nX-Long: " + b"y" * 200_000
        + b"\r\n\r\nhello",
        "ten-thousand-headers": HEAD + b"".join(b"X-H%d: v\r\n" % i for i in range(10_000))
        + b"\r\nhello",
        "header-injection": HEAD + b"Subject: hi\r\nBcc: everyone@example.org\r\n\r\nbody",
        "winmail-dat": HEAD + b'Content-Type: multipart/mixed; boundary="W"\r\n\r\n--W\r\n'
        b"Content-Type: text/plain\r\n\r\nsee attached\r\n--W\r\nContent-Type: application/ms-tnef;"
        b' name="winmail.dat"\r\nContent-Disposition: attachment; filename="winmail.dat"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\neJ8+IhAAAQaQCAAEAAAAAAABAAEAAQeQBgAIAAAA\r\n--W--\r\n",
        "forwarded-message": HEAD + b'Content-Type: multipart/mixed; boundary="F"\r\n\r\n--F\r\n'
        b"Content-Type: text/plain\r\n\r\nforwarding my neighbour's complaint\r\n--F\r\n"
        b"Content-Type: message/rfc822\r\n\r\nFrom: n@example.org\r\nSubject: leak\r\n\r\n"
        b"the roof leaks\r\n--F--\r\n",
        "path-traversal-filename": HEAD + b'Content-Type: multipart/mixed; boundary="P"\r\n\r\n'
        b"--P\r\nContent-Type: text/plain\r\n\r\nx\r\n--P\r\nContent-Type: application/octet-stream"
        b'\r\nContent-Disposition: attachment; filename="../../../etc/passwd"\r\n\r\nroot\r\n--P--\r\n',
        "html-only-with-script": HEAD + b"Content-Type: text/html\r\n\r\n<script>alert(1)</script>"
        b"<p>The heating &amp; hot water are off</p>",
        "spam-verdict-fail": b"X-SES-Spam-Verdict: FAIL\r\n" + HEAD + b"Subject: win\r\n\r\nprize",
        "forged-auth-below-ses": SES_PASS.replace(b"dmarc=pass", b"dmarc=fail") + HEAD
        + b"Authentication-Results: amazonses.com; dmarc=pass\r\nSubject: x\r\n\r\ny",
    }
