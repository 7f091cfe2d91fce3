"""Word and OpenDocument files as an attacker (or a broken disk) makes them: zips whose parts
cannot be read, are packed as no word processor packs them, or claim to unpack to gigabytes."""

from __future__ import annotations

import io
import struct
import zipfile

ODT_MIME = b"application/vnd.oasis.opendocument.text"


def zipped(*entries: tuple[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return out.getvalue()


def good(ext: str) -> bytes:
    if ext == "odt":
        return zipped(("mimetype", ODT_MIME), ("content.xml", b"<office:document/>" * 50))
    return zipped(("[Content_Types].xml", b"<Types/>" * 50), ("word/document.xml",
                                                             b"<w:document/>" * 50))


def _spoil(data: bytes, name: bytes) -> bytes:
    """The named member's compressed bytes overwritten with bytes that are not deflate data."""
    spoilt = bytearray(data)
    at = spoilt.index(name) + len(name)  # its local header's name: the data follows
    spoilt[at:at + 8] = b"\xff" * 8
    return bytes(spoilt)


def bad_deflate(ext: str) -> bytes:
    """The first part is not deflate data: zlib.error where it is read (the outside attack)."""
    return _spoil(good(ext), b"mimetype" if ext == "odt" else b"[Content_Types].xml")


def bad_later_part(ext: str) -> bytes:
    """The parts the type check reads are fine; a later one is not deflate data."""
    return _spoil(good(ext), b"content.xml" if ext == "odt" else b"word/document.xml")


def bad_crc(ext: str) -> bytes:
    data = bytearray(good(ext))
    central = data.rindex(b"PK\x01\x02")  # the last member's central record: its CRC at +16
    data[central + 16:central + 20] = b"\0\0\0\0"
    local = data.rindex(b"PK\x03\x04")
    data[local + 14:local + 18] = b"\0\0\0\0"
    return bytes(data)


def truncated(ext: str) -> bytes:
    data = good(ext)
    return data[:len(data) // 2]


def _parts(ext: str) -> list[tuple[str, bytes]]:
    return [("mimetype", ODT_MIME)] if ext == "odt" else [("[Content_Types].xml", b"<Types/>"),
                                                           ("word/document.xml", b"<w/>")]


def bomb(ext: str) -> bytes:
    """A part that really unpacks to 110 MB (from about 110 KB), and says so."""
    return zipped(*_parts(ext), ("filler.xml", b"\0" * (110 * 2**20)))


def lying_bomb(ext: str) -> bytes:
    """The same part, its central record claiming it unpacks to 1,000 bytes."""
    data = bytearray(bomb(ext))
    central = data.rindex(b"PK\x01\x02")
    data[central + 24:central + 28] = struct.pack("<I", 1_000)
    return bytes(data)


def claims_to_be_huge(ext: str) -> bytes:
    """The central directory says a part unpacks to 4 GB (it does not)."""
    data = bytearray(good(ext))
    central = data.rindex(b"PK\x01\x02")
    data[central + 24:central + 28] = struct.pack("<I", 0xFFFF0000)
    return bytes(data)


def many_parts(ext: str) -> bytes:
    return zipped(*_parts(ext), *((f"p/{n}", b"") for n in range(6_000)),
                  method=zipfile.ZIP_STORED)


def bzip2_packed(ext: str) -> bytes:
    return zipped(*_parts(ext), method=zipfile.ZIP_BZIP2)


def encrypted(ext: str) -> bytes:
    """The traditional PKWARE encryption flag set on every part (as a password-protected zip)."""
    data = bytearray(good(ext))
    for header, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(header)
        while at >= 0:
            data[at + flags_at] |= 0x1
            at = data.find(header, at + 4)
    return bytes(data)


def encrypted_in_local_headers_only(ext: str) -> bytes:
    """The encryption flag in each part's own header, not in the directory (an outside attack:
    zipfile reads the directory and saw a sound file; a program reading local headers does not)."""
    data = bytearray(good(ext))
    at = data.find(b"PK\x03\x04")
    while at >= 0:
        data[at + 6] |= 0x1
        at = data.find(b"PK\x03\x04", at + 4)
    return bytes(data)


def method_differs_in_local_header(ext: str) -> bytes:
    """A part's own header says stored where the directory says deflated."""
    data = bytearray(good(ext))
    at = data.rfind(b"PK\x03\x04")
    data[at + 8:at + 10] = struct.pack("<H", zipfile.ZIP_STORED)
    return bytes(data)


BAD = {"bad deflate": bad_deflate, "bad later part": bad_later_part, "bad crc": bad_crc,
       "truncated": truncated, "bomb": bomb, "lying bomb": lying_bomb, "claims to be huge": claims_to_be_huge,
       "many parts": many_parts, "bzip2 packed": bzip2_packed, "encrypted": encrypted,
       "encrypted in local headers only": encrypted_in_local_headers_only,
       "method differs in a local header": method_differs_in_local_header}
