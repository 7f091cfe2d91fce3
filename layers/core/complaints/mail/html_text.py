"""HTML to plain text in one linear pass.

The standard library's ``html.parser`` is quadratic on some inputs on the Pythons Lambda runs
(``"<a " * 50_000`` takes minutes on 3.11.7), and a regex like ``<[^>]*>`` rescans to the end of
the input from every unclosed ``<``. This scanner looks at each character a bounded number of
times: tags are matched with ``[^<>]*`` (stopping at the next ``<``), and comments and skipped
elements are found with ``str.find``/one forward search from the current position. A hidden
element is skipped to its own end by one forward scan that counts same-name tags nested in it
(and passes comments and script/style content over whole), so a child's "</div>" never ends it.
"""

from __future__ import annotations

import html
import re
from typing import Final

# Possessive quantifiers: a "<" followed by a long run of letters with no ">" must fail in one
# pass, not try every split of the run between the name and the attributes. A quoted attribute
# value may hold a ">" (title=">"), as a browser reads it, but never a "<", so no match crosses
# the next "<" and every character is looked at by one match at most; a tag that does not match
# that way is matched as before, to its first ">".
_TAG: Final = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9]*+)(?:[^<>\"']++|\"[^\"<]*+\"|'[^'<]*+')*+>"
    r"|<(/?)([A-Za-z][A-Za-z0-9]*+)[^<>]*+>")
# whose content is not markup: the first "</name" ends it (nothing nests inside)
_RAW_TEXT: Final = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed",
                              "noframes", "plaintext"})
_SKIPPED: Final = frozenset({"script", "style", "head", "template", "noscript"})
_VOID: Final = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                          "meta", "param", "source", "track", "wbr"})
_BREAKS: Final = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                            "blockquote", "pre", "table", "ul", "ol", "hr", "section", "article"})
_CELLS: Final = frozenset({"td", "th", "img", "input"})
# What a reader cannot see: the hidden attribute, and the styles that hide an element (display,
# visibility, Outlook's mso-hide, a zero font size or opacity: the usual hidden "preheader").
# aria-hidden is not here: it hides from screen readers only, and what it marks is on screen.
_HIDDEN: Final = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)|mso-hide\s*:\s*all"
    r"|font-size\s*:\s*(?:0+(?:\.0*)?|\.0+)(?:px|pt|em|rem|%)?(?![\w.%])"
    r"|opacity\s*:\s*(?:0+(?:\.0*)?|\.0+)%?(?![\w.%])|\shidden[\s>=/]",
    re.IGNORECASE)
_CSS_COMMENT: Final = re.compile(r"/\*(?:[^*]|\*(?!/))*+(?:\*/|$)")
_CSS_ESCAPE: Final = re.compile(r"\\([0-9A-Fa-f]{1,6}\s?|.)", re.DOTALL)
_SPACES: Final = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES: Final = re.compile(r"\n[ ]*(?:\n[ ]*)+")


def html_to_text(markup: str) -> str:
    markup = markup.replace("\x01", "").replace("\x02", "")  # the quote marks used below
    out: list[str] = []
    pos, n = 0, len(markup)
    while pos < n:
        lt = markup.find("<", pos)
        if lt < 0:
            out.append(markup[pos:])
            break
        out.append(markup[pos:lt])
        if markup.startswith("<!--", lt):
            end = markup.find("-->", lt + 4)
            pos = n if end < 0 else end + 3
            continue
        tag = _TAG.match(markup, lt)
        if tag is None:
            if markup.startswith("<!", lt) or markup.startswith("<?", lt):
                end = markup.find(">", lt)  # doctype, CDATA, processing instruction
                pos = n if end < 0 else end + 1
            else:
                out.append("<")  # a bare "<" in text
                pos = lt + 1
            continue
        closing, name = _parts(tag)
        pos = tag.end()
        if not closing and (name in _SKIPPED or _hidden(tag.group(0))):
            # hidden text is not what the reader saw: it must not become the case's text (or
            # a staff command nobody could see), however much nests inside it
            pos = _element_end(markup, pos, name)
        elif name == "blockquote":  # quoted history: marked as plain text marks it, with ">"
            out.append("\n\x02" if closing else "\n\x01")
        elif name in _BREAKS:
            out.append("\n")
        elif name in _CELLS:
            out.append(" ")
    text = html.unescape("".join(out).replace("\x00", ""))
    text = _SPACES.sub(" ", text)
    if "\x01" in text:
        text = _quote_blocks(text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def _parts(tag: re.Match[str]) -> tuple[bool, str]:
    """(is it a closing tag, its name in lower case), from either form of _TAG."""
    if tag.group(2) is not None:
        return bool(tag.group(1)), tag.group(2).lower()
    return bool(tag.group(3)), tag.group(4).lower()


def _hidden(tag: str) -> bool:
    """The tag hides its element: its attributes as a browser reads them (entities decoded),
    its style as CSS reads it (comments out, escapes decoded), so display&#58;none and
    display:/**/n\\6f ne hide too."""
    probe = html.unescape(tag) if "&" in tag else tag
    if "/*" in probe:
        probe = _CSS_COMMENT.sub("", probe)
    if "\\" in probe:
        probe = _CSS_ESCAPE.sub(_css_char, probe)
    return _HIDDEN.search(probe) is not None


def _css_char(escape: re.Match[str]) -> str:
    code = escape.group(1)
    if len(code) == 1 and code not in "0123456789abcdefABCDEF":
        return code
    value = int(code.strip(), 16)
    return chr(value) if 0 < value <= 0x10FFFF else "\ufffd"


def _element_end(markup: str, pos: int, name: str) -> int:
    """Where the element whose start tag ends at pos ends: after the "</name>" that closes it,
    counting same-name elements nested inside, so a "</div>" of a child never ends a hidden
    <div>. Comments, and elements whose content is not markup (script, style, ...), are passed
    over whole, so a "</div>" inside them ends nothing. With no closing tag, the element runs
    to the end of the document (a browser would close it earlier, at its parent's end: hiding
    more errs on the side of the reader). One forward scan from pos: linear."""
    if name in _VOID:
        return pos
    n = len(markup)
    if name in _RAW_TEXT:
        end = _raw_text_end(markup, pos, name)
        return n if end < 0 else end
    depth = 1
    while True:
        lt = markup.find("<", pos)
        if lt < 0:
            return n
        if markup.startswith("<!--", lt):
            end = markup.find("-->", lt + 4)
            if end < 0:
                return n
            pos = end + 3
            continue
        tag = _TAG.match(markup, lt)
        if tag is None:
            pos = lt + 1
            continue
        closing, inner = _parts(tag)
        if name == "head" and inner == "body" and not closing:
            return lt  # a <head> left open ends where the body starts, as in a browser
        pos = tag.end()
        if closing:
            if inner == name:
                depth -= 1
                if depth == 0:
                    return pos
        elif inner in _RAW_TEXT:
            end = _raw_text_end(markup, pos, inner)
            if end < 0:
                return n
            pos = end
        elif inner == name:
            depth += 1


def _raw_text_end(markup: str, pos: int, name: str) -> int:
    """After the "</name>" that ends raw text begun at pos (-1 if none): as a browser ends a
    script, at the first "</script" followed by a space, "/" or ">"."""
    closing = re.compile(rf"</{name}(?=[\s/>])[^<>]*+>?", re.IGNORECASE).search(markup, pos)
    return -1 if closing is None else closing.end()


def _quote_blocks(text: str) -> str:
    """Lines inside <blockquote> get "> ", as a plain-text client quotes them."""
    lines, depth = [], 0
    for line in text.split("\n"):
        depth += line.count("\x01") - line.count("\x02")
        line = line.replace("\x01", "").replace("\x02", "")
        depth = max(depth, 0)
        lines.append(("> " * depth + line) if depth and line.strip() else line)
    return "\n".join(lines)
