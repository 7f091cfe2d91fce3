"""The Ombudsman evidence bundle: one case's whole record, as a zip an investigator can open.

``complaints bundle REF --out FILE.zip`` (issue 12). The zip holds:

- ``timeline.json``: the case as ``complaints show --json`` gives it, with every message record
  (each naming the file that holds it in the bundle, ``in_bundle``);
- ``timeline.html``: the same as an accessible, self-contained page (no scripts, nothing
  fetched): the case summary, deadlines, breaches, letters, messages, then the timeline;
- ``inbound/NNN-<key>.eml``: every message as received, the raw bytes SES (or the local SMTP
  server) stored, numbered in order of arrival; a web form submission is its ``.json`` as
  received, a file added on the form the file itself (``inbound/NNN-<filename>``);
- ``attachments/NNN-AAA-<filename>``: the attachments of inbound message NNN, as stored
  beside it when it arrived;
- ``letters/<letter id>.eml``: every letter that went, byte for byte as it was handed to the
  mail service (service/post.py keeps each attempt's bytes; the sent record names the copy of
  the attempt that went);
- ``manifest.json``: every other file with its size, SHA-256 and where it came from, and what
  should be there and is not (``missing``: a letter sent before letters were kept, an object
  the raw store cannot give), with the reason. Nothing is ever made up to fill a gap.

The same case gives the same bytes: entries sorted by path, each dated by its own record (the
message's arrival, the letter's sending, the case's last event; never the time of the call),
fixed permissions, DEFLATE at a fixed level, JSON with sorted keys, and no "generated at" in
the page. A case that changed (a note, a letter) gives a different timeline and manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Protocol

from complaints import rendering
from complaints.domain.calendar import LONDON
from complaints.domain.case import Complaint
from complaints.rendering import instant, london_time, plain

TEMPLATE: Final = "bundle/timeline.html.j2"
COMPRESSION_LEVEL = 9
_PERMISSIONS = 0o100644 << 16  # a regular file, rw-r--r--, whoever unpacks it
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


class CaseRecords(Protocol):
    """What the bundle reads from the store (adapters/store.py's Store)."""

    def load(self, reference: str) -> Complaint | None: ...
    def messages(self, reference: str) -> list[dict[str, Any]]: ...


class RawObjects(Protocol):
    """What the bundle reads from the raw store (adapters/raw_mail.py's RawMail)."""

    def get(self, key: str) -> bytes: ...


@dataclass
class _Contents:
    files: dict[str, tuple[bytes, dict[str, Any], datetime | None]] = field(default_factory=dict)
    missing: list[dict[str, Any]] = field(default_factory=list)

    def add(self, path: str, data: bytes, source: dict[str, Any], at: datetime | None) -> None:
        if path in self.files:  # keys are unique per case; never overwrite evidence silently
            raise ValueError(f"two files would be bundled as {path}")
        self.files[path] = (data, source, at)

    def lack(self, path: str, reason: str, source: dict[str, Any]) -> None:
        self.missing.append({"path": path, "reason": reason, "source": source})


def build_bundle(store: CaseRecords, raw_mail: RawObjects, reference: str) -> bytes:
    """The bundle of one case, as the bytes of a zip file. Unknown reference: ValueError."""
    case = store.load(reference)
    if case is None:
        raise ValueError(f"no complaint {reference}")
    messages = sorted(store.messages(reference), key=lambda m: (m.get("at", ""), m.get("key", "")))
    contents = _Contents()
    in_bundle: dict[int, dict[str, Any]] = {}  # message index -> where its parts went
    inbound = [(i, m) for i, m in enumerate(messages) if m.get("direction") == "in"]
    for n, (i, message) in enumerate(inbound, start=1):
        in_bundle[i] = _inbound(contents, raw_mail, n, message)
    for i, message in enumerate(messages):
        if message.get("direction") == "out":
            in_bundle[i] = _letter(contents, raw_mail, message)

    # the record's own latest time (a back-dated step is appended with an earlier one)
    as_of = max((e.at for e in case.timeline), default=case.received_at)
    data = case.to_json()
    data["messages"] = [{**m, **in_bundle.get(i, {})} for i, m in enumerate(messages)]
    contents.add("timeline.json", _json(data), {"kind": "timeline", "format": "json"}, as_of)
    contents.add("timeline.html", _page(case, data, contents, as_of).encode("utf-8"),
                 {"kind": "timeline", "format": "html"}, as_of)

    manifest = {
        "reference": case.reference,
        "as_of": _utc(as_of),
        "files": [{"path": path, "size": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                   "source": source}
                  for path, (body, source, _) in sorted(contents.files.items())],
        "missing": sorted(contents.missing, key=lambda m: str(m["path"])),
    }
    entries = {path: (body, at) for path, (body, _, at) in contents.files.items()}
    entries["manifest.json"] = (_json(manifest), as_of)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(entries):
            body, at = entries[path]
            info = zipfile.ZipInfo(path, date_time=_zip_time(at))
            info.create_system = 3  # unix: the permissions below mean what they say
            info.external_attr = _PERMISSIONS
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, body, compress_type=zipfile.ZIP_DEFLATED,
                             compresslevel=COMPRESSION_LEVEL)
    return out.getvalue()


def bundle_command(reference: str, out: Path) -> dict[str, Any]:
    """``complaints bundle REF --out FILE.zip``, against the configured store and raw mail.
    Writes the zip (replacing ``out`` only once it is whole) and says what it wrote."""
    from complaints.bootstrap import raw_mail, store

    out = Path(out)
    if not out.parent.is_dir():
        raise ValueError(f"cannot write {out}: {out.parent} is not a directory")
    data = build_bundle(store(), raw_mail(), reference)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return {"reference": manifest["reference"], "out": str(out), "files": len(manifest["files"]),
            "missing": len(manifest["missing"]), "bytes": len(data)}


# --- what goes in ---------------------------------------------------------------------------


def _inbound(contents: _Contents, raw_mail: RawObjects, n: int,
             message: dict[str, Any]) -> dict[str, Any]:
    """One message as received (its raw bytes), then its attachments."""
    raw_key = str(message.get("raw_key") or "")
    verdict = str(message.get("verdict") or "")
    attachments = list(message.get("attachments") or [])
    at = instant(message.get("at"))
    if verdict == "web form file":  # the file is the message: bundled once, under inbound/
        name = _inert(_safe(str(attachments[0].get("filename") if attachments else "")
                            or raw_key.rsplit("/", 1)[-1]))
        path, kind = f"inbound/{n:03d}-{name}", "web form file"
        attachments = [a for a in attachments if a.get("key") != raw_key]
    elif verdict == "web form" or raw_key.endswith(".json"):
        path, kind = f"inbound/{n:03d}-{_safe(str(message.get('key', '')))}.json", "web form submission"
    else:
        path, kind = f"inbound/{n:03d}-{_safe(str(message.get('key', '')))}.eml", "inbound message"
    source = {"kind": kind, "key": raw_key, "message": message.get("key", ""),
              "at": message.get("at", ""), "from": message.get("from", "")}
    placed: dict[str, Any] = {"in_bundle": None}
    if _fetch(contents, raw_mail, path, raw_key, source, at,
              "the message was recorded without its raw bytes"):
        placed["in_bundle"] = path
    shelved = []
    for a_n, attachment in enumerate(attachments, start=1):
        key = str(attachment.get("key") or "")
        a_path = (f"attachments/{n:03d}-{a_n:03d}-"
                  f"{_inert(_safe(str(attachment.get('filename') or '')))}")
        a_source = {"kind": "attachment", "key": key, "message": path,
                    "filename": attachment.get("filename", ""),
                    "content_type": attachment.get("content_type", ""),
                    "recorded_sha256": attachment.get("sha256", "")}
        ok = _fetch(contents, raw_mail, a_path, key, a_source, at,
                    "the attachment was listed without a stored copy (it stays inside the "
                    "message as received)")
        shelved.append(a_path if ok else None)
    if shelved:
        placed["attachments_in_bundle"] = shelved
    return placed


def _letter(contents: _Contents, raw_mail: RawObjects, message: dict[str, Any]) -> dict[str, Any]:
    """One letter as sent, from the copy Post kept of the attempt that went."""
    letter_id = str(message.get("key") or "")
    path = f"letters/{_safe(letter_id)}.eml"
    raw_key = str(message.get("raw_key") or "")
    source = {"kind": "letter", "key": raw_key, "letter": letter_id,
              "letter_kind": message.get("verdict", ""), "to": message.get("to", []),
              "at": message.get("at", ""), "message_id": message.get("message_id", "")}
    kind = str(message.get("verdict") or "").replace("_", " ")
    ok = _fetch(contents, raw_mail, path, raw_key, source, instant(message.get("at")), (
        f"no copy of its bytes as sent exists: it was sent {message.get('at', '')} before "
        "letters were kept, or its copy could not be written (the timeline's "
        f"'{kind} letter sent' entry then says why); its record, with the Message-ID, is in "
        "timeline.json"))
    return {"in_bundle": path if ok else None}


def _fetch(contents: _Contents, raw_mail: RawObjects, path: str, key: str,
           source: dict[str, Any], at: datetime | None, no_key: str) -> bool:
    if not key:
        contents.lack(path, no_key, source)
        return False
    try:
        data = raw_mail.get(key)
    except Exception as exc:  # RawMailError, or S3's own: say so, never invent the bytes
        contents.lack(path, f"the raw store could not give {key}: {str(exc)[:300]}", source)
        return False
    contents.add(path, data, source, at)
    return True


# --- the page -------------------------------------------------------------------------------


def _page(case: Complaint, data: dict[str, Any], contents: _Contents, as_of: datetime) -> str:
    deadlines = data.get("deadlines") or {}
    summary = [
        ("Reference", case.reference), ("Landlord", data.get("landlord", "")),
        ("Status", data.get("status", "")), ("Stage", data.get("stage", "")),
        ("Policy", data.get("policy", "")), ("Nation", data.get("nation", "")),
        ("Channel", data.get("channel", "")), ("Resident", data.get("resident", "")),
        ("Subject", data.get("subject", "")),
        ("Received", f"{london_time(data.get('received_at'))} (counted from "
                     f"{data.get('received_on', '')})"),
        ("Acknowledged", data.get("acknowledged_on") or "not acknowledged"),
        ("Extended to", data.get("extended_to") or "no extension"),
        ("Handler", data.get("handler") or "none assigned"),
        ("Outcomes", ", ".join(f"stage {k}: {v}" for k, v in sorted(
            (data.get("outcomes") or {}).items())) or "none yet"),
        ("Flags", ", ".join(data.get("flags") or []) or "none"),
    ]
    for label, key in (("Refused", "refused_on"), ("Closed", "closed_on"),
                       ("Disposition", "disposition")):
        if data.get(key):
            summary.append((label, data[key]))
    messages = [m for m in data.get("messages", []) if m.get("direction") == "in"]
    letters = []
    sent = {m.get("key"): m for m in data.get("messages", []) if m.get("direction") == "out"}
    for letter in data.get("letters", []):
        record = sent.get(letter.get("id"), {})
        letters.append({**letter, "in_bundle": record.get("in_bundle"),
                        "sent_at": record.get("at", "")})
    # in the order they went (then those that did not), as the timeline tells it
    letters.sort(key=lambda x: (not x["sent_at"], x["sent_at"], str(x.get("id", ""))))
    order = {k: n for n, k in enumerate(_DEADLINE_ORDER)}
    shown = sorted(deadlines.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
    return rendering.environment().get_template(TEMPLATE).render(
        reference=case.reference, landlord=data.get("landlord", ""), summary=summary,
        deadlines=[(k, plain(v)) for k, v in shown],
        breaches=data.get("breaches") or [], letters=letters, messages=messages,
        remedies=data.get("remedies") or [], extensions=data.get("extensions") or [],
        timeline=data.get("timeline") or [], missing=sorted(contents.missing,
                                                            key=lambda m: str(m["path"])),
        as_of=_utc(as_of))


_DEADLINE_ORDER = ("stage", "policy", "nation", "received", "day_one", "acknowledge_by",
                   "acknowledged", "respond_by", "respond_by_extended", "provisional")


# --- determinism ----------------------------------------------------------------------------


def _json(data: Any) -> bytes:
    return (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _safe(name: str, limit: int = 100) -> str:
    """A zip entry's name part: ASCII letters, digits, dot, dash, underscore (no directories,
    nothing hidden), keeping the extension."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "file"
    stem, dot, ext = safe.rpartition(".")
    if not dot or len(ext) > 10 or not stem:
        return safe[:limit]
    return f"{stem[:limit - len(ext) - 1]}.{ext}"


# A resident's file linked from timeline.html opens in the investigator's browser (file://):
# report.html or drawing.svg would run its scripts there, and a name with an extension browsers
# have no type for may be sniffed as HTML. Only types a browser shows inertly, or hands to
# another program, keep their name; anything else gets .txt added, so a click shows its text.
# The manifest keeps the name each file came with.
_INERT: Final = frozenset({
    "png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff", "heic", "heif", "pdf", "txt",
    "csv", "rtf", "doc", "docx", "odt", "xls", "xlsx", "ods", "ppt", "pptx", "odp", "eml",
    "msg", "dat", "zip", "mp3", "m4a", "wav", "ogg", "mp4", "mov", "avi", "webm", "json"})


def _inert(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return name if dot and stem and ext.lower() in _INERT else f"{name}.txt"


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _zip_time(at: datetime | None) -> tuple[int, int, int, int, int, int]:
    """The record's own time, in London (what an investigator's unzip shows)."""
    if at is None:
        return _EPOCH
    local = at.astimezone(LONDON)
    if local.year < 1980:
        return _EPOCH
    return (local.year, local.month, local.day, local.hour, local.minute, local.second)


__all__ = ["build_bundle", "bundle_command"]
