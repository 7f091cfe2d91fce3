"""HTML made text (mail/html_text.py): what the reader saw, and nothing hidden (issue 18).

Given HTML whose hidden parts (display:none, the hidden attribute, script, template, ...) hold
other elements, when it is made text, then everything inside a hidden element is left out, to
that element's own end, however it nests; what is on screen (aria-hidden too) is kept.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaints.mail.html_text import html_to_text
from complaints.mail.inbound import parse
from tests import mailfactory as mf

SECRET = "#withdraw"

HIDDEN = {
    # the shape the outside attack used: a child's </div> ended the skip early
    "nested child div": '<div style="display:none"><div>x</div>#withdraw</div>',
    "same name three deep": "<div hidden><div><div>a</div></div>#withdraw</div>",
    "unclosed children and voids": "<div hidden><p>one<li>two<br><img src=x><hr>#withdraw</div>",
    "no close tag at all": '<div style="display:none">#withdraw',
    "close tag inside a comment": "<div hidden><!-- </div> -->#withdraw</div>",
    "close tag inside a script": "<div hidden><script>'</div>'</script>#withdraw</div>",
    "close tag inside a style": "<div hidden><style>a{}</div></style>#withdraw</div>",
    "close tag with an attribute": "<div hidden><div></div x>#withdraw</div>",
    "upper case": '<DIV STYLE="DISPLAY:NONE"><Div>x</DIV>#withdraw</div>',
    "span": '<span style="display:none"><span>x</span>#withdraw</span>',
    "table cell": '<td hidden><td>x</td>#withdraw</td>',
    "visibility hidden": '<p style="visibility:hidden"><p>x</p>#withdraw</p>',
    "quoted > before the style": '<div title=">"\nstyle="display:none">\n#withdraw</div>',
    "entity in the style": '<div style="display&#58;none"><div></div>#withdraw</div>',
    "css comment in the style": '<div style="display:/**/none"><div></div>#withdraw</div>',
    "css escape in the style": '<div style="display:n\\6f ne">#withdraw</div>',
    "outlook mso-hide": '<div style="mso-hide:all"><div></div>#withdraw</div>',
    "zero font size": '<span style="font-size:0px"><b>x</b>#withdraw</span>',
    "zero opacity": '<div style="opacity:0"><div></div>#withdraw</div>',
    "template in template": "<template><template></template>#withdraw</template>",
    "noscript in noscript": "<noscript><noscript></noscript>#withdraw</noscript>",
    "script with a fake close": "<script>'</scripty>'\n#withdraw</script>",
    "head left open": "<head><title>t</title><style></style>#withdraw<body>",
}


@pytest.mark.parametrize("name", sorted(HIDDEN))
def test_hidden_content_is_skipped_to_the_end_of_its_element(name: str) -> None:
    # given hidden markup, then visible text after it
    markup = HIDDEN[name] + "<p>Visible after</p>"
    # when
    text = html_to_text(markup)
    # then
    assert SECRET not in text
    assert "Visible after" in text or name in ("no close tag at all",)


@pytest.mark.parametrize("markup, shown", [
    ('<div aria-hidden="true">on screen</div>', "on screen"),  # hidden from screen readers only
    ('<div style="font-size:0.5em">small</div>', "small"),
    ('<div style="opacity:0.5">faint</div>', "faint"),
    ('<input type="hidden" name="x">after a hidden input', "after a hidden input"),
    ('<div class="hidden-xs">a class name</div>', "a class name"),
    ("<p title='Bob&#39;s'>quoted</p>", "quoted"),
    ("<p class=x don't>apostrophe</p>", "apostrophe"),
    ('<div hidden/>self-closing hides to its end</div><p>then shown</p>', "then shown"),
])
def test_what_is_on_screen_is_kept(markup: str, shown: str) -> None:
    assert shown in html_to_text(markup)


def test_a_void_element_marked_hidden_hides_only_itself() -> None:
    assert html_to_text('<img hidden src=x>#note seen<br hidden>') == "#note seen"


def test_quoted_history_is_still_quoted_however_it_nests() -> None:
    text = html_to_text("<div>#note mine</div><blockquote><div>#close<blockquote>#withdraw"
                        "</blockquote><div>#close</div></blockquote>")
    assert text.split("\n")[0] == "#note mine"
    assert all(line.startswith(">") for line in text.split("\n")[1:] if line.strip())


# any tree of elements, comments, voids and unclosed children (of other names) inside

_NAMES = st.sampled_from(["div", "span", "p", "b", "table", "td", "template"])


def _trees(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(
        st.sampled_from(["text", "<br>", "<img src=x>", "<!-- </div></span> -->", "<li>open",
                         "<p>unclosed", "<script>'</div></span>'</script>", "a < b", "&amp;"]),
        st.text(alphabet="abc <>/#", max_size=8).map(
            lambda s: s.replace("<", "&lt;").replace(">", "&gt;")))
    if depth == 0:
        return leaf
    inner = st.lists(_trees(depth - 1), max_size=4).map("".join)
    return st.one_of(leaf, st.tuples(_NAMES, inner).map(lambda t: f"<{t[0]}>{t[1]}</{t[0]}>"))


@settings(max_examples=300, deadline=None)
@given(name=_NAMES, how=st.sampled_from(['style="display:none"', "hidden",
                                         'style="visibility: hidden"']),
       before=_trees(2), after=_trees(2))
def test_nothing_inside_a_hidden_element_is_ever_text(name: str, how: str, before: str,
                                                       after: str) -> None:
    markup = f"<p>Dear Sam</p><{name} {how}>{before}{SECRET}{after}</{name}><p>Kept</p>"
    text = html_to_text(markup)
    assert SECRET not in text
    assert "Dear Sam" in text
    if f"<{name}>unclosed" not in before + after:  # else hidden to the end: erring on hiding
        assert "Kept" in text


def test_hidden_text_in_a_residents_html_only_mail_is_not_the_case_text() -> None:
    # given an HTML-only complaint with a hidden part that nests a div
    raw = mf.message(body="x").replace(b'Content-Type: text/plain; charset="utf-8"',
                                       b'Content-Type: text/html; charset="utf-8"')
    head = raw.split(b"\n\n", 1)[0]
    html = ('<div>The roof leaks at 4 Elm Row.</div><div style="display:none"><div>x</div>'
            "I withdraw my complaint.</div><p>Please fix it.</p>")
    # when
    mail = parse(head + b"\n\n" + html.encode())
    # then
    assert "The roof leaks" in mail.text and "Please fix it." in mail.text
    assert "withdraw" not in mail.text
