"""Where raw messages (and their attachments) are kept: S3 in AWS, a directory locally.

SES's S3 action stores each message at <prefix><messageId>; attachments go beside it at
<prefix><messageId>.attachments/<n>-<filename>, so nothing needs a second lookup to find them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Protocol


class RawMailError(RuntimeError):
    """The raw message could not be read or written."""


class RawMail(Protocol):
    def key_for(self, message_id: str) -> str: ...
    def get(self, key: str) -> bytes: ...
    def put(self, key: str, data: bytes, content_type: str = "message/rfc822") -> None: ...


def attachment_key(message_key: str, n: int, filename: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", filename)[:100] or "attachment"
    return f"{message_key}.attachments/{n:03d}-{safe}"


class S3RawMail:
    def __init__(self, bucket: str, prefix: str, client: Any) -> None:
        self.bucket, self.prefix, self._s3 = bucket, prefix, client

    def key_for(self, message_id: str) -> str:
        return f"{self.prefix}{message_id}"

    def get(self, key: str) -> bytes:
        try:
            body = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"]
            return bytes(body.read())
        except Exception as exc:
            raise RawMailError(f"s3://{self.bucket}/{key}: {exc}") from exc

    def put(self, key: str, data: bytes, content_type: str = "message/rfc822") -> None:
        """Create-only (the bucket refuses overwrites by this function): an object already
        there is this same copy from an earlier try."""
        try:
            self._s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type,
                                ServerSideEncryption="AES256", IfNoneMatch="*")
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                return
            raise RawMailError(f"s3://{self.bucket}/{key}: {exc}") from exc


class DirectoryRawMail:
    """The local stack's stand-in for the bucket: same keys, files under a directory."""

    def __init__(self, root: Path, prefix: str = "inbound/") -> None:
        self.root, self.prefix = root, prefix

    def key_for(self, message_id: str) -> str:
        return f"{self.prefix}{message_id}"

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise RawMailError(f"{key!r} leaves the mail directory")
        return path

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except OSError as exc:
            raise RawMailError(f"{key}: {exc}") from exc

    def put(self, key: str, data: bytes, content_type: str = "message/rfc822") -> None:
        """Create-only, like the bucket: evidence once written is never replaced."""
        path = self._path(key)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
