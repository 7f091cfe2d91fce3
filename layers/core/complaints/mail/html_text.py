"""HTML to plain text in one linear pass.

The standard library's ``html.parser`` is quadratic on some inputs on the Pythons Lambda runs
(``"<a " * 50_000`` takes minutes on 3.11.7), and a regex like ``<[^>]*>`` rescans to the end of
the input from every unclosed ``<``. This scanner looks at each character a bounded number of
times: tags are matched with ``[^<>]*`` (stopping at the next ``<``), and comments and skipped
elements are found with ``str.find``/one forward search from the current position. A hidden
element is skipped to its own end by one forward scan that counts same-name tags nested in it
(and passes comments and script/style content over whole), so a child's "</div>" never ends it.

Quoted history is marked as a plain-text client marks it, with "> " on each line: a
<blockquote>, the quote containers of Gmail (div.gmail_quote), Yahoo (div.yahoo_quoted), Zoho
(div.zmail_extra) and Thunderbird (div.moz-cite-prefix) to their end, and from where Outlook's
and Hotmail's quoted message starts (div#appendonsend, div#divRplyFwdMsg, the border-top
separator div above its header block, hr#stopSpelling) to the end of the document. A signature
container (div.gmail_signature, div#Signature, ...) gets the "-- " line a plain-text client
puts above a signature. mail/quoting.py cuts a reply's own text at either.
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
# what marks a <div> or <hr> as the start of quoted history or a signature (ids and classes
# lower-cased, Outlook web's "x_" prefix for a quoted message's own ids removed)
_ID_OR_CLASS: Final = re.compile(r"""[\s/"'](id|class)\s*=\s*(?:"([^"<]*)"|'([^'<]*)'|([^\s<>"']+))""",
                                 re.IGNORECASE)
_QUOTE_CLASSES: Final = frozenset({"gmail_quote", "gmail_quote_container", "yahoo_quoted",
                                   "zmail_extra", "moz-cite-prefix"})
_QUOTED_REST_IDS: Final = frozenset({"appendonsend", "divrplyfwdmsg", "stopspelling",
                                     "mail-editor-reference-message-container"})
_SIGNATURE_IDS: Final = frozenset({"signature", "ms-outlook-mobile-signature"})
_SIGNATURE_CLASSES: Final = frozenset({"gmail_signature", "moz-signature"})
# Outlook desktop's line above a quoted header block
_OUTLOOK_RULE: Final = re.compile(
    r"border\s*:\s*none\s*;\s*border-top\s*:\s*solid[^;<>\"']*;\s*padding\s*:\s*3(?:\.0)?pt\s+0",
    re.IGNORECASE)


def html_to_text(markup: str) -> str:
    # the quote marks used below: \x01 opens a quote, \x02 closes one, \x03 quotes the rest
    markup = markup.replace("\x01", "").replace("\x02", "").replace("\x03", "")
    out: list[str] = []
    pos, n = 0, len(markup)
    divs = 0  # <div>s open now
    containers: list[int] = []  # for each open quote container <div>, the divs open outside it
    rest_quoted = False
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
        elif name == "div" and closing:
            divs = max(divs - 1, 0)
            out.append("\n")
            if containers and divs == containers[-1]:
                containers.pop()
                out.append("\x02")
        elif name in ("div", "hr"):
            mark = "" if rest_quoted else _mark(tag.group(0))
            if mark == "rest":
                rest_quoted = True
                out.append("\n\x03")
            elif mark == "quote" and name == "div":
                containers.append(divs)
                out.append("\n\x01")
            elif mark == "signature":
                out.append("\n-- \n")
            else:
                out.append("\n")
            if name == "div":
                divs += 1
        elif name in _BREAKS:
            out.append("\n")
        elif name in _CELLS:
            out.append(" ")
    text = html.unescape("".join(out).replace("\x00", ""))
    text = _SPACES.sub(" ", text)
    if "\x01" in text or "\x03" in text:
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
    probe = _as_css_reads(html.unescape(tag) if "&" in tag else tag)
    return _HIDDEN.search(probe) is not None


def _as_css_reads(text: str) -> str:
    """CSS text as a browser reads it: comments out, escapes decoded."""
    if "/*" in text:
        text = _CSS_COMMENT.sub("", text)
    if "\\" in text:
        text = _CSS_ESCAPE.sub(_css_char, text)
    return text


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


def _mark(tag: str) -> str:
    """What a <div> or <hr> starts: "quote" (a container of quoted history), "rest" (quoted
    history from here to the end), "signature", or ""."""
    low = tag.lower()
    if "id" not in low and "class" not in low and "border-top" not in low:
        return ""
    probe = html.unescape(tag) if "&" in tag else tag
    for match in _ID_OR_CLASS.finditer(probe):
        key = match.group(1).lower()
        value = next(v for v in match.group(2, 3, 4) if v is not None).lower()
        for word in value.split():
            while word.startswith("x_"):  # Outlook web renames the ids of a quoted message
                word = word[2:]
            if key == "id" and word in _QUOTED_REST_IDS:
                return "rest"
            if key == "class" and word in _QUOTE_CLASSES:
                return "quote"
            if (key == "id" and word in _SIGNATURE_IDS) or (key == "class" and word in _SIGNATURE_CLASSES):
                return "signature"
    return "rest" if "border-top" in low and _OUTLOOK_RULE.search(probe) else ""


def _quote_blocks(text: str) -> str:
    """Lines inside <blockquote> and the quote containers get "> ", as a plain-text client
    quotes them; every line after a \x03 gets one more."""
    lines, depth, rest = [], 0, 0
    for line in text.split("\n"):
        depth += line.count("\x01") - line.count("\x02")
        rest = rest or int("\x03" in line)
        line = line.replace("\x01", "").replace("\x02", "").replace("\x03", "")
        depth = max(depth, 0)
        lines.append(("> " * (depth + rest) + line) if depth + rest and line.strip() else line)
    return "\n".join(lines)


# --- what a reader may not have seen ---------------------------------------------------------

# Inline CSS that cannot hide text: fonts (not their size or colour), spacing, borders,
# alignment, lists, bidi, and Outlook's own mso- properties (bar mso-hide). Anything else in a
# style attribute (colour on a colour, a size, position, clip, transform, overflow, ...) can.
_PLAIN_STYLE: Final = re.compile(
    r"(?:font-(?:family|weight|style|variant|stretch)|text-(?:decoration[a-z-]*|align|transform)"
    r"|(?:margin|padding|border)(?:-[a-z]+)*|line-height|vertical-align|list-style(?:-[a-z]+)*"
    r"|direction|unicode-bidi|white-space|word-(?:wrap|break|spacing)|overflow-wrap"
    r"|box-sizing|tab-stops|page-break-[a-z]+|break-[a-z]+|orphans|widows|caret-color"
    r"|mso-(?!hide)[a-z-]+)$", re.IGNORECASE)
# an attribute follows white space or "/" (<p/style=...> is a style to a browser)
_STYLE_ATTR: Final = re.compile(r"[\s/]style\s*=\s*", re.IGNORECASE)
_STYLE_LONGEST: Final = 4_000  # a style value longer than this is not read: it counts as hiding
_COLOUR_ATTR: Final = re.compile(r"""<[a-z][^<>]*?[\s/](?:color|bgcolor|size)\s*=""", re.IGNORECASE)
_SHEET: Final = re.compile(r"<(?:style|link|svg|math|canvas|object|iframe|embed)[\s/>]",
                           re.IGNORECASE)


def concealing_styles(markup: str) -> str:
    """Why some of this HTML's text may not have been on the reader's screen ("" if none).

    Hidden elements are skipped by their usual marks (``_HIDDEN``), but CSS has more ways to
    hide text than any list: a style sheet's class rules, a colour on the same background, a
    1px size, an off-screen position, a clip, a transform, an SVG of no size. So where the text
    of an HTML-only message is to be acted on (a staff member's commands), any style sheet or
    any inline property outside a short list of ones that cannot hide text means nothing in it
    can be trusted to have been seen. One pass over the markup.
    """
    sheet = _SHEET.search(markup)
    if sheet:
        return f"a <{sheet.group(0)[1:].rstrip('/> ').lower()}> element"
    if _COLOUR_ATTR.search(markup):
        return "a colour or size attribute"
    for match in _STYLE_ATTR.finditer(markup):
        style = _attribute_value(markup, match.end())
        if style is None:
            return "an inline style that could not be read"
        style = html.unescape(style)
        if "\\" in _CSS_COMMENT.sub("", style):
            # an escaped property name or value is one a reader of the mail never typed
            return "an inline style with a CSS escape"
        for declaration in _as_css_reads(style).split(";"):
            name, _, value = (x.strip().lower() for x in declaration.partition(":"))
            if name and not _PLAIN_STYLE.match(name) and not _shown_or_skipped(name, value):
                return f"an inline style with {name[:40]!r}"
    return ""


def _attribute_value(markup: str, at: int) -> str | None:
    """The attribute value starting at ``at`` (quoted or not), or None past _STYLE_LONGEST."""
    limit = min(len(markup), at + _STYLE_LONGEST)
    if at < len(markup) and markup[at] in "\"'":
        end = markup.find(markup[at], at + 1, limit)
        return markup[at + 1:end] if end >= 0 else None
    end = at
    while end < limit and markup[end] not in " \t\r\n\f>":
        end += 1
    return markup[at:end] if end < limit or limit == len(markup) else None


_SIZE: Final = re.compile(r"(\d*\.?\d+)\s*(px|pt|em|rem|%)?")


def _shown_or_skipped(name: str, value: str) -> bool:
    """A declaration that either cannot hide text or hides it the way _HIDDEN skips (so what
    it hides was never read): display and visibility of any value, mso-hide, an opacity of 0
    or nearly 1, a font size of 0 or one a person can read."""
    value = value.replace("!important", "").strip()
    if name in ("display", "visibility", "mso-hide"):
        return True
    size = _SIZE.fullmatch(value)
    if name == "opacity" and size:
        number = float(size.group(1)) / (100 if size.group(2) == "%" else 1)
        return number == 0 or number >= 0.9
    if name == "font-size":
        if value in ("small", "medium", "large", "x-large", "xx-large", "smaller", "larger"):
            return True
        if size:
            number, unit = float(size.group(1)), size.group(2) or "px"
            return number == 0 or number >= {"px": 8, "pt": 6, "em": 0.6, "rem": 0.6, "%": 60}[unit]
    return False

