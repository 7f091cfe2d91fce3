"""HTML to plain text in one linear pass.

The standard library's ``html.parser`` is quadratic on some inputs on the Pythons Lambda runs
(``"<a " * 50_000`` takes minutes on 3.11.7), and a regex like ``<[^>]*>`` rescans to the end of
the input from every unclosed ``<``. This scanner looks at each character a bounded number of
times: tags are matched with ``[^<>]*`` (stopping at the next ``<``), and comments and skipped
elements are found with ``str.find``/one forward search from the current position.
"""

from __future__ import annotations

import html
import re
from typing import Final

# Possessive quantifiers: a "<" followed by a long run of letters with no ">" must fail in one
# pass, not try every split of the run between the name and the attributes.
_TAG: Final = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*+)[^<>]*+>")
_SKIPPED: Final = frozenset({"script", "style", "head", "template", "noscript"})
_BREAKS: Final = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                            "blockquote", "pre", "table", "ul", "ol", "hr", "section", "article"})
_CELLS: Final = frozenset({"td", "th", "img", "input"})
_HIDDEN: Final = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|\shidden[\s>=/]",
                            re.IGNORECASE)
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
        name = tag.group(2).lower()
        pos = tag.end()
        hidden = not tag.group(1) and _HIDDEN.search(tag.group(0)) is not None
        if not tag.group(1) and (name in _SKIPPED or hidden):
            # hidden text is not what the reader saw: it must not become the case's text (or
            # a staff command nobody could see)
            closing = re.compile(rf"</{name}\s*+>", re.IGNORECASE).search(markup, pos)
            pos = n if closing is None else closing.end()
        elif name == "blockquote":  # quoted history: marked as plain text marks it, with ">"
            out.append("\n\x02" if tag.group(1) else "\n\x01")
        elif name in _BREAKS:
            out.append("\n")
        elif name in _CELLS:
            out.append(" ")
    text = html.unescape("".join(out).replace("\x00", ""))
    text = _SPACES.sub(" ", text)
    if "\x01" in text:
        text = _quote_blocks(text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def _quote_blocks(text: str) -> str:
    """Lines inside <blockquote> get "> ", as a plain-text client quotes them."""
    lines, depth = [], 0
    for line in text.split("\n"):
        depth += line.count("\x01") - line.count("\x02")
        line = line.replace("\x01", "").replace("\x02", "")
        depth = max(depth, 0)
        lines.append(("> " * depth + line) if depth and line.strip() else line)
    return "\n".join(lines)
