"""Where raw messages (and their attachments) are kept: S3 in AWS, a directory locally.

SES's S3 action stores each message at <prefix><messageId>; attachments go beside it at
<prefix><messageId>.attachments/<n>-<filename>, so nothing needs a second lookup to find them.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from complaints.service.ports import RawMail
from complaints.service.records import RawMailError, UploadForm, attachment_key

__all__ = ["DirectoryRawMail", "RawMail", "RawMailError", "S3RawMail", "UploadForm",
           "attachment_key"]


def _conditions(prefix: str, redirect: str, max_bytes: int) -> list[Any]:
    """What the store checks on an upload: the key under ``prefix``, the redirect back to us,
    the size. (A plain form cannot set a file's type: it is sniffed once the file is in.)"""
    return [{"success_action_redirect": redirect}, ["starts-with", "$key", prefix],
            ["content-length-range", 1, max_bytes]]


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

    def delete(self, key: str) -> None:
        try:
            self._s3.delete_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            raise RawMailError(f"s3://{self.bucket}/{key}: {exc}") from exc

    def upload_form(self, prefix: str, redirect: str, max_bytes: int,
                    expires: timedelta, now: datetime) -> UploadForm:
        """An S3 presigned POST (signed by this function's role; S3 enforces the policy).
        ``now`` is S3's clock, not ours: the policy expires ``expires`` after signing."""
        post = self._s3.generate_presigned_post(
            Bucket=self.bucket, Key=prefix + "${filename}",
            Fields={"success_action_redirect": redirect,
                    "x-amz-server-side-encryption": "AES256"},
            Conditions=[*_conditions(prefix, redirect, max_bytes),
                        {"x-amz-server-side-encryption": "AES256"}],
            ExpiresIn=int(expires.total_seconds()))
        return UploadForm(str(post["url"]), {k: str(v) for k, v in post["fields"].items()})


class DirectoryRawMail:
    """The local stack's stand-in for the bucket: same keys, files under a directory."""

    def __init__(self, root: Path, prefix: str = "inbound/", upload_url: str = "",
                 upload_secret: Callable[[], bytes] | None = None) -> None:
        self.root, self.prefix = root, prefix
        # the local stack's stand-in for an S3 presigned POST (local/stack.py serves it); the
        # key is asked for only when an upload is signed or checked
        self.upload_url, self._upload_secret = upload_url, upload_secret

    @property
    def upload_secret(self) -> bytes:
        return self._upload_secret() if self._upload_secret is not None else b""

    def key_for(self, message_id: str) -> str:
        return f"{self.prefix}{message_id}"

    def _path(self, key: str) -> Path:
        # An S3 key is a name, not a path: "a/../b" is its own object there. Here it would be a
        # directory walk, so no key may have a "." or ".." part (or a NUL, which no path takes).
        if any(part in (".", "..") for part in key.split("/")) or "\x00" in key:
            raise RawMailError(f"InvalidArgument: the key {key[:200]!r} has a '.' or '..' part")
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise RawMailError(f"{key[:200]!r} leaves the mail directory")
        return path

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except OSError as exc:
            raise RawMailError(f"{key[:200]}: {exc.strerror}") from None

    def put(self, key: str, data: bytes, content_type: str = "message/rfc822") -> None:
        """Create-only, like the bucket: evidence once written is never replaced."""
        path = self._path(key)
        if not path.exists():
            # a hard link: two writers of one key never collide, and the first to finish wins,
            # as S3's If-None-Match: * does
            self._write(key, path, data, _link_unless_there)

    def _replace(self, key: str, data: bytes) -> None:
        """As S3 stores a browser's POST: a second file under one key replaces the first."""
        self._write(key, self._path(key), data, os.replace)

    @staticmethod
    def _write(key: str, path: Path, data: bytes, place: Callable[[Path, Path], None]) -> None:
        """The bytes to a private temporary name beside ``path``, then ``place``d there."""
        tmp = path.with_name(f".{os.getpid()}-{secrets.token_hex(4)}.part")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            place(tmp, path)
        except OSError as exc:  # the reason, never this machine's paths
            raise RawMailError(f"{key[:200]}: {exc.strerror}") from None
        finally:
            tmp.unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    # --- the local stand-in for S3's browser POST --------------------------------------------

    def upload_form(self, prefix: str, redirect: str, max_bytes: int,
                    expires: timedelta, now: datetime) -> UploadForm:
        if not (self.upload_url and self.upload_secret):
            raise RawMailError("uploads need the local stack (its HTTP address and secret)")
        policy = base64.b64encode(json.dumps({
            "expiration": (now + expires).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "conditions": _conditions(prefix, redirect, max_bytes)}).encode()).decode()
        return UploadForm(self.upload_url, {
            "key": prefix + "${filename}", "success_action_redirect": redirect,
            "policy": policy, "signature": self._sign(policy)})

    def _sign(self, policy: str) -> str:
        secret = self.upload_secret
        if not secret:  # never sign, or accept, with an empty key
            raise RawMailError("AccessDenied: uploads are not configured")
        return hmac.new(secret, policy.encode(), hashlib.sha256).hexdigest()

    def accept_upload(self, fields: dict[str, str], filename: str, data: bytes,
                      now: datetime) -> str:
        """Check a browser's post against its signed policy as S3 would, store the file, and
        return where to send the browser (the redirect, with bucket, key and etag)."""
        policy = fields.get("policy", "")
        if not self.upload_url or not hmac.compare_digest(
                fields.get("signature", ""), self._sign(policy)):
            raise RawMailError("AccessDenied: the policy signature does not match")
        try:
            spec = json.loads(base64.b64decode(policy, validate=True))
            expires = datetime.fromisoformat(spec["expiration"].replace("Z", "+00:00"))
            conditions = spec["conditions"]
        except (ValueError, KeyError, TypeError) as exc:
            raise RawMailError(f"InvalidPolicyDocument: {exc}") from None
        if now > expires:
            raise RawMailError("AccessDenied: the policy has expired")
        # S3 puts the browser's file name in as sent; browsers send no directories. A file name
        # here is at most 255 bytes: 150 of the name's, whole characters only.
        name = Path(filename.replace("\\", "/").replace("\x00", "")).name
        stem, dot, ext = name.rpartition(".")
        if len(name.encode()) > 150:  # shortened, keeping its extension (the type is read by it)
            ext = ext.encode()[:20].decode("utf-8", "ignore")
            room = 150 - len(ext.encode()) - 1
            name = (f"{stem.encode()[:room].decode('utf-8', 'ignore')}.{ext}" if dot and stem
                    else name.encode()[:150].decode("utf-8", "ignore"))
        key = fields.get("key", "").replace("${filename}", name if name not in ("", ".", "..")
                                            else "file")
        redirect = fields.get("success_action_redirect", "")
        for condition in conditions:
            if isinstance(condition, dict):
                if redirect != condition.get("success_action_redirect"):
                    raise RawMailError("AccessDenied: success_action_redirect is not the signed one")
            elif condition[0] == "starts-with" and not key.startswith(condition[2]):
                raise RawMailError("AccessDenied: the key is outside the signed prefix")
            elif condition[0] == "content-length-range" and len(data) < condition[1]:
                raise RawMailError("EntityTooSmall: the file is empty")
            elif condition[0] == "content-length-range" and len(data) > condition[2]:
                raise RawMailError(f"EntityTooLarge: the file is {len(data):,} bytes; at most "
                                   f"{condition[2]:,} are taken")
        self._replace(key, data)
        etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
        query = urllib.parse.urlencode({"bucket": "local", "key": key, "etag": f'"{etag}"'})
        return redirect + ("&" if "?" in redirect else "?") + query


def _link_unless_there(tmp: Path, path: Path) -> None:
    with contextlib.suppress(FileExistsError):
        os.link(tmp, path)
