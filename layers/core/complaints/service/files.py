"""The files a resident adds to a complaint on the web form: which are taken, told by their bytes
(never by the name or what the browser claimed), why any other is refused, in the resident's
words, and the name each is kept under. The web form (service/webform.py) asks; this decides.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib

ACCEPT = (".jpg,.jpeg,.png,.gif,.webp,.heic,.heif,.pdf,.doc,.docx,.odt,.txt,"
          "image/jpeg,image/png,image/gif,image/webp,image/heic,application/pdf,text/plain")
MAX_UNPACKED = 100 * 2**20  # a Word or OpenDocument file's parts, all together, unpacked
_ZIP_DOCUMENTS = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                  "odt": "application/vnd.oasis.opendocument.text"}

# the extensions a file of each type may keep (the first is given where it has none of them)
EXTENSIONS = {"image/jpeg": ("jpg", "jpeg"), "image/png": ("png",), "image/gif": ("gif",),
              "image/webp": ("webp",), "image/heic": ("heic", "heif"),
              "application/pdf": ("pdf",), "text/plain": ("txt",), "application/msword": ("doc",),
              **{t: (e,) for e, t in _ZIP_DOCUMENTS.items()}}


def typed_name(name: str, content_type: str) -> str:
    """The kept copy is named by what its bytes are: a GIF named poly.html (a polyglot that a
    browser or mshta would run) is kept as poly_html.gif."""
    allowed = EXTENSIONS[content_type]
    _, dot, ext = name.rpartition(".")
    if dot and ext.lower() in allowed:
        return name
    return f"{name.replace('.', '_')}.{allowed[0]}"


def safe_filename(name: str) -> str:
    """Letters (any script), digits, dot, dash and underscore; at most 100 characters, keeping
    the extension."""
    safe = re.sub(r"[^\w.-]+", "_", name).strip("._") or "file"
    stem, dot, ext = safe.rpartition(".")
    if not dot or len(ext) > 10:
        return safe[:100]
    return f"{stem[:100 - len(ext) - 1]}.{ext}"


NOT_ON_THE_LIST = ("The selected file must be a JPG, PNG, GIF, WebP or HEIC photo, or a PDF, "
                   "Word, OpenDocument or plain text document")
UNREADABLE = ("The selected file could not be read: it may be damaged or protected by a "
              "password. Save it again, or as a PDF, and upload it")
MARKUP_IN_TEXT = ("The selected text file has web page code in it (a tag such as <p> or <img "
                  "src=...>): save it as a PDF and upload that")
TOO_BIG_UNPACKED = (f"The selected document unpacks to more than {MAX_UNPACKED // 2**20} MB: "
                    "save it as a PDF and upload that")


def sniff(data: bytes, filename: str) -> str | None:
    """The file's type from its first bytes (never from what the browser claimed); None for
    anything not on the list (HTML and SVG can carry scripts, executables are refused)."""
    return check_file(data, filename)[0]


def check_file(data: bytes, filename: str) -> tuple[str | None, str]:
    """(the file's type, "") or (None, why it is refused, in the resident's words)."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ""
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif", ""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ""
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heif"):
        return "image/heic", ""
    if data.startswith(b"%PDF-"):
        return "application/pdf", ""
    if data.startswith(b"PK\x03\x04") and ext in _ZIP_DOCUMENTS:
        problem = _zip_document_problem(data, ext)
        return (None, problem) if problem else (_ZIP_DOCUMENTS[ext], "")
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") and ext == "doc":
        return "application/msword", ""
    if ext == "txt":
        text = _as_text(data)
        # a page or a picture in words is still a page or a picture (scripts and all)
        if text is not None and not _looks_like_html(text):
            return "text/plain", ""
        if text is not None:
            return None, MARKUP_IN_TEXT
    return None, NOT_ON_THE_LIST


# Text a browser could take for a page, by shape, never by a list of known tags (an unknown
# <xss onpointerover=...> runs its handler as well as any): a comment, doctype or XML
# declaration ("<!", "<?"), UTF-7's "<" ("+ADw"), a closing tag ("</" and a letter), a tag with
# nothing after its name ("<p>", "<br/>", "<svg/onload=...>"), a tag with a value after its name
# ("<img src=x>", "<marquee onstart=...>"; a name of letters, digits and "-", as every
# element's is, known or not), an event handler after any "<" and a letter (on+letters=, even
# on a tag named "<jo@x" or "<a:b"), or a script or style tag (their content is code). Still
# text: "<" before anything but a letter ("3 < 5", "<3", "<£50>"), words in brackets ("<John
# Smith>"), an address or link quoted in them ("<jo@example.com>", "<https://example.org/?a=1>").
# One word alone in brackets ("<Tenant>") is a tag with nothing after its name: refused.
_MARKUP = re.compile(
    r"<[!?]|\+ADw|</[A-Za-z]|<[A-Za-z][A-Za-z0-9-]*+(?:[/>]|\s[^<>]*?=)"
    r"|<(?:script|style)(?![^\s/>])", re.IGNORECASE)
_TAG_START = re.compile(r"<[A-Za-z]")
_HANDLER = re.compile(r"(?<![\w-])on[a-z]+\s*=", re.IGNORECASE)
# A bare attribute ("<p title>", "<base href>") has the shape of "<John Smith>", so there the
# name decides: an element HTML or SVG defines is markup, any other word is text.
_BARE_ATTRIBUTE = re.compile(r"<([A-Za-z][A-Za-z0-9]*+)\s[^<>=]*>")
_ELEMENTS = frozenset({
    "a", "abbr", "address", "area", "article", "aside", "audio", "b", "base", "bdi", "bdo",
    "blockquote", "body", "br", "button", "canvas", "caption", "center", "cite", "code", "col",
    "colgroup", "data", "datalist", "dd", "del", "details", "dfn", "dialog", "dir", "div", "dl",
    "dt", "em", "embed", "fieldset", "figcaption", "figure", "font", "footer", "form", "frame",
    "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html", "i",
    "iframe", "img", "input", "ins", "kbd", "label", "legend", "li", "link", "main", "map", "mark",
    "marquee", "math", "menu", "meta", "meter", "nav", "noembed", "noframes", "noscript", "object",
    "ol", "optgroup", "option", "output", "p", "param", "picture", "plaintext", "pre", "progress",
    "q", "rp", "rt", "ruby", "s", "samp", "script", "search", "section", "select", "slot", "small",
    "source", "span", "strike", "strong", "style", "sub", "summary", "sup", "svg", "table", "tbody",
    "td", "template", "textarea", "tfoot", "th", "thead", "time", "title", "tr", "track", "tt", "u",
    "ul", "var", "video", "wbr", "xmp", "animate", "circle", "defs", "ellipse", "foreignobject",
    "g", "image", "line", "lineargradient", "marker", "mask", "path", "pattern", "polygon",
    "polyline", "radialgradient", "rect", "set", "stop", "switch", "symbol", "text", "textpath",
    "tspan", "use", "view"})


def _looks_like_html(text: str) -> bool:
    if _MARKUP.search(text):
        return True
    if any(m.group(1).lower() in _ELEMENTS for m in _BARE_ATTRIBUTE.finditer(text)):
        return True
    tag = _TAG_START.search(text)
    return tag is not None and _HANDLER.search(text, tag.start()) is not None


# Controls other than line breaks and tabs, and the bidirectional overrides and isolates that
# make text read other than it is; other invisible marks (RLM, soft hyphen) are ordinary text.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _as_text(data: bytes) -> str | None:
    """Text as Windows and phones save it: UTF-8, UTF-16 with its byte order mark, or
    Windows-1252 ("Rent \xa3500" from Notepad); none of the characters in _NOT_TEXT."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) and not data.startswith(b"\xff\xfe\x00\x00"):
        encodings: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in data:
        return None
    else:
        encodings = ("utf-8", "cp1252")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return None if _NOT_TEXT.search(text) else text
    return None


# What reading a zip can raise on hostile bytes: a bad directory (BadZipFile, struct.error,
# EOFError, ValueError, OverflowError), a member that is not deflate data (zlib.error), a
# method zipfile lacks (NotImplementedError), a password (RuntimeError), a bad CRC (BadZipFile).
_DAMAGED: tuple[type[Exception], ...] = (
    zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error, EOFError, ValueError,
    OverflowError, NotImplementedError, RuntimeError, OSError, KeyError, IndexError)
# A Word or OpenDocument file has tens of parts and unpacks to a few times its size; a zip bomb
# has thousands, or claims gigabytes. zipfile stops a member at its declared size (and then
# checks its CRC), so the declared sizes bound the work.
MAX_MEMBERS = 5_000
_READ_CHUNK = 1 << 20


def _zip_document_problem(data: bytes, ext: str) -> str:
    """A Word or OpenDocument file is a zip with its own parts, every one of them readable
    (stored or deflated, no password, its CRC right), within the bounds above; any other zip
    is refused. "" if it is one, else why not."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if not members or len(members) > MAX_MEMBERS:
                return NOT_ON_THE_LIST
            if sum(m.file_size for m in members) > MAX_UNPACKED:
                return TOO_BIG_UNPACKED
            if any(m.flag_bits & 0x1 or m.compress_type not in (zipfile.ZIP_STORED,
                                                                 zipfile.ZIP_DEFLATED)
                   for m in members):
                return UNREADABLE  # encrypted, or packed in a way Word and LibreOffice never use
            if ext == "docx":
                if not {"[Content_Types].xml", "word/document.xml"} <= {m.filename for m in members}:
                    return NOT_ON_THE_LIST
            elif (members[0].filename != "mimetype" or members[0].file_size >= 100
                  or archive.read(members[0]).strip() != b"application/vnd.oasis.opendocument.text"):
                return NOT_ON_THE_LIST
            if _local_headers_disagree(data, members):
                return UNREADABLE  # one reader would see another file than the next
            for member in members:  # every part unpacks, to its declared size, with its CRC
                with archive.open(member) as part:
                    while part.read(_READ_CHUNK):
                        pass
    except _DAMAGED:
        return UNREADABLE
    return ""


_LOCAL_HEADER = struct.Struct("<4sHHH")  # signature, version needed, flags, method


def _local_headers_disagree(data: bytes, members: list[zipfile.ZipInfo]) -> bool:
    """Whether a part's own (local) header says other than the directory about encryption or
    packing: zipfile reads the directory, other programs the local headers, so such a file is
    two files (an outside attack set the encrypted bit in a local header only)."""
    for member in members:
        at = member.header_offset
        if at < 0 or at + _LOCAL_HEADER.size > len(data):
            return True
        signature, _, flags, method = _LOCAL_HEADER.unpack_from(data, at)
        if signature != b"PK\x03\x04" or (flags & 0x1) != (member.flag_bits & 0x1) or (
                method != member.compress_type):
            return True
    return False

