"""The web form's rules without any I/O: fields, tokens and file types.

Given a posted body, `form.parse_body` and `form.check` say what is wrong in the resident's
terms, or give a Submission; tokens are refused when altered, swapped, old or from another
purpose; `sniff` types a file by its bytes, never by its name alone.
"""

from __future__ import annotations

import io
import urllib.parse
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import hypothesis
import pytest
from hypothesis import strategies as st

from complaints.service.files import _ELEMENTS, check_file, sniff
from complaints.web import form
from complaints.web.tokens import (
    TokenError,
    check_form_token,
    is_browser_id,
    new_browser_id,
    new_form_token,
    seal,
    unseal,
)
from tests import bad_documents

SECRET = b"k" * 32
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
OWN = frozenset({"complaints@landlord.example"})


def fields(**changes: str) -> dict[str, str]:
    base = {"full-name": "Jo Bloggs", "email": "jo@example.org", "contact-preference": "email",
            "property-postcode": "LS1 4AP", "what-happened": "A leak.", "on-behalf": "myself"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def test_a_complete_form_is_a_submission_with_the_postcode_normalised() -> None:
    checked = form.check(fields(**{"property-postcode": " eh11yz "}), True, OWN)
    assert checked.errors == {}
    assert checked.submission is not None
    assert checked.submission.postcode is not None
    assert (checked.submission.postcode.text, checked.submission.postcode.nation) == (
        "EH1 1YZ", "scotland")


@pytest.mark.parametrize("changes, field, message", [
    ({"full-name": ""}, "full-name", "Enter your full name"),
    ({"contact-preference": ""}, "contact-preference", "Select how you would like us to contact you"),
    ({"contact-preference": "pigeon"}, "contact-preference", "Select how you would like us"),
    ({"contact-preference": "phone"}, "phone", "Enter your telephone number"),
    ({"contact-preference": "post"}, "postal-address", "Enter your postal address"),
    ({"email": "jo@@example.org"}, "email", "correct format"),
    ({"email": "complaints@landlord.example"}, "email", "not one of ours"),
    ({"email": "Complaints+CMP-2026-000001@landlord.example"}, "email", "not one of ours"),
    ({"email": "sam@landlord.example"}, "email", "give the resident's address"),
    ({"email": "noreply@example.org"}, "email", "can receive our replies"),
    ({"email": "no_reply@example.org"}, "email", "can receive our replies"),
    ({"email": "x@sub.landlord.example"}, "email", "give the resident's address"),
    ({"email": "mailer-daemon@example.org"}, "email", "can receive our replies"),
    ({"email": "a..b@example.org"}, "email", "correct format"),
    ({"email": ".a@example.org"}, "email", "correct format"),
    ({"phone": "call me"}, "phone", "Enter a telephone number, like"),
    ({"property-postcode": "LS1"}, "property-postcode", "Enter a real UK postcode"),
    ({"property-postcode": "AA1 1AA"}, "property-postcode", "Enter a real UK postcode"),
    ({"property-postcode": "QQ1 1QQ"}, "property-postcode", "Enter a real UK postcode"),
    ({"full-name": "\u200b\u200b"}, "full-name", "Enter your full name"),
    ({"what-happened": "x" * 10_001}, "what-happened", "What went wrong must be 10,000"),
    ({"property-postcode": ""}, "property-postcode", "Enter the postcode of the property"),
    ({"what-happened": "   \n  "}, "what-happened", "Enter what went wrong"),
    ({"on-behalf": ""}, "on-behalf", "Select who the complaint is for"),
    ({"on-behalf": "someone-else"}, "resident-name", "Enter the full name of the resident"),
    ({"on-behalf": "someone-else", "resident-name": "Pat"}, "consent", "has agreed"),
    ({"support-needs": "x" * 2001}, "support-needs", "2,000 characters or fewer"),
])
def test_each_problem_is_named_on_its_field(changes: dict[str, str], field: str,
                                            message: str) -> None:
    checked = form.check(fields(**changes), True, OWN, frozenset({"landlord.example"}))
    assert checked.submission is None
    assert message in checked.errors[field]


def test_letters_by_post_go_to_the_property_unless_another_address_is_given() -> None:
    checked = form.check(fields(**{"contact-preference": "post", "email": "",
                                   "property-address": "1 Mill Lane\nBradford"}), True, OWN)
    assert checked.submission is not None
    assert checked.submission.postal_address == "1 Mill Lane\nBradford"


def test_errors_come_in_page_order_and_keep_what_was_typed() -> None:
    checked = form.check(fields(**{"what-happened": "", "full-name": "", "email": "bad"}), True, OWN)
    assert list(checked.errors) == ["full-name", "email", "what-happened"]
    assert checked.values["email"] == "bad"


def test_anonymous_only_where_allowed_and_never_dropping_what_was_typed() -> None:
    anonymous = {"anonymous": "yes", "full-name": "", "email": "", "contact-preference": "",
                 "property-postcode": ""}
    checked = form.check(fields(**anonymous), True, OWN)
    assert checked.submission is not None and checked.submission.anonymous
    assert checked.submission.name == checked.submission.email == ""
    refused = form.check(fields(**anonymous), False, OWN)
    assert "cannot take anonymous complaints" in refused.errors["anonymous"]
    named = form.check(fields(**{**anonymous, "full-name": "Jo"}), True, OWN)
    assert "remove your name" in named.errors["anonymous"]


def test_a_full_form_in_a_three_byte_script_fits() -> None:
    body = urllib.parse.urlencode({**fields(), "what-happened": "\u09a6" * 10_000,
                                   "outcome-sought": "\u4e2d" * 5_000}).encode()
    parsed, _, _ = form.parse_body(body)
    assert form.check(parsed, True, OWN).submission is not None


def test_postcodes_outside_the_four_nations_are_to_confirm_not_england() -> None:
    checked = form.check(fields(**{"property-postcode": "JE2 3AA"}), True, OWN)
    assert checked.submission is not None and checked.submission.postcode is not None
    assert checked.submission.postcode.nation == "crown-dependency"


def test_text_is_normalised_before_it_is_measured() -> None:
    checked = form.check(fields(**{"full-name": "Jo\x00\x1b[31m  Bloggs\u2028\u202e",
                                   "what-happened": "line 1\r\nline 2\x07"}), True, OWN)
    assert checked.submission is not None
    assert checked.submission.name == "Jo [31m Bloggs"
    assert checked.submission.what_happened == "line 1\nline 2"
    # no two words are run together: other line breaks are line breaks, controls are spaces
    checked = form.check(fields(**{"full-name": "Jane\x00Doe",
                                   "what-happened": "Mould\u2028Bcc\x0bdamp\x85wet\u200bness"}),
                         True, OWN)
    assert checked.submission is not None and checked.submission.name == "Jane Doe"
    assert checked.submission.what_happened == "Mould\nBcc\ndamp\nwetness"
    checked = form.check(fields(**{"full-name": "Jo\u061c Bloggs\U000e0041\U000e0042"}), True, OWN)
    assert checked.submission is not None and checked.submission.name == "Jo Bloggs"


@pytest.mark.parametrize("body, words", [
    (b"a=1&a=2", "a field we did not ask for"),
    (b"email=1&email=2", "twice"),
    (b"email=%FF", "characters we could not read"),
    (b"email=jo%zz@example.org", "not encoded as a browser encodes it"),
    (b"full-name=Jo%4", "not encoded as a browser encodes it"),
    (b"email=%ED%A0%80", "characters we could not read"),
    ("email=j\u00f6".encode(), "characters we could not read"),
    (b"x" * (form.MAX_BODY + 1), "larger than"),
    (b"&".join(b"f%d=1" % n for n in range(50)), "too many fields"),
])
def test_posts_no_browser_would_send_are_refused_whole(body: bytes, words: str) -> None:
    with pytest.raises(form.BadPost, match=words):
        form.parse_body(body)


def test_the_token_and_honeypot_are_taken_out_of_the_fields() -> None:
    body = urllib.parse.urlencode({"email": "jo@example.org", "csrf": "t", "website": "w"}).encode()
    assert form.parse_body(body) == ({"email": "jo@example.org"}, "t", "w")


def test_a_form_token_is_good_only_with_its_cookie_unaltered_and_in_time() -> None:
    browser, other = new_browser_id(), new_browser_id()
    token = new_form_token(SECRET, browser, NOW)
    assert is_browser_id(browser) and not is_browser_id("x" * 24 + "!")
    nonce = check_form_token(SECRET, token, browser, NOW + timedelta(hours=3), timedelta(hours=4))
    assert token.startswith(nonce + ".")
    second_tab = new_form_token(SECRET, browser, NOW)  # one cookie, two forms: both good
    assert check_form_token(SECRET, second_tab, browser, NOW, timedelta(hours=4)) != nonce
    _, stamp, sig = token.split(".")
    for given, cookie, at, why in (
            ("", browser, NOW, "missing"),
            (token, "", NOW, "did not send the form's cookie"),
            (token, other, NOW, "not issued to this browser"),
            (f"{nonce}.{int(stamp) + 3600}.{sig}", browser, NOW, "not issued to this browser"),
            (token, browser, NOW + timedelta(hours=5), "expired"),
            (token, browser, NOW - timedelta(hours=1), "future"),
            ("a.b.c.d", browser, NOW, "malformed")):
        with pytest.raises(TokenError, match=why):
            check_form_token(SECRET, given, cookie, at, timedelta(hours=4))
    with pytest.raises(TokenError, match="not issued to this browser"):
        check_form_token(b"another secret of 32 bytes......", token, browser, NOW,
                         timedelta(hours=4))


def test_a_sealed_link_is_bound_to_its_purpose_and_expires() -> None:
    token = seal(SECRET, "sent", "CMP-2026-000001", NOW + timedelta(hours=2))
    assert unseal(SECRET, "sent", token, NOW) == "CMP-2026-000001"
    with pytest.raises(TokenError, match="not one we issued"):
        unseal(SECRET, "form", token, NOW)
    with pytest.raises(TokenError, match="not one we issued"):
        unseal(SECRET, "sent", token.replace("000001", "000002"), NOW)
    with pytest.raises(TokenError, match="expired"):
        unseal(SECRET, "sent", token, NOW + timedelta(hours=3))


def test_a_kept_file_is_named_by_its_type() -> None:
    from complaints.service.files import typed_name

    assert typed_name("poly.html", "image/gif") == "poly_html.gif"
    assert typed_name("report.pdf.hta", "application/pdf") == "report_pdf_hta.pdf"
    assert typed_name("noext", "image/png") == "noext.png"
    assert typed_name("Photo.JPEG", "image/jpeg") == "Photo.JPEG"


def zipped(*entries: tuple[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("data, name, kind", [
    (b"\xff\xd8\xff\xe0rest", "photo.jpg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\nrest", "x.png", "image/png"),
    (b"GIF89a...", "x.gif", "image/gif"),
    (b"RIFF\0\0\0\0WEBPVP8 ", "x.webp", "image/webp"),
    (b"\0\0\0\x18ftypheic", "x.heic", "image/heic"),
    (b"%PDF-1.7", "letter.pdf", "application/pdf"),
    (zipped(("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")),
     "letter.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (zipped(("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"<x/>")),
     "letter.odt", "application/vnd.oasis.opendocument.text"),
    (b"PK\x03\x04rest", "letter.docx", None),  # not even a zip
    (zipped(("evil.html", b"<script>alert(1)</script>")), "doc.docx", None),
    (zipped(("evil.html", b"<script>alert(1)</script>")), "z.odt", None),
    (b"Plain words, \xc2\xa3 sign", "notes.txt", "text/plain"),
    (b"Rent \xa3500, Windows-1252", "notes.txt", "text/plain"),
    ("Rent \u00a3500".encode("utf-16"), "notes.txt", "text/plain"),
    (b"<!DOCTYPE html><script>alert(1)</script>", "h.txt", None),
    (b"\x0c<html><body><script>alert(1)</script>", "note.txt", None),
    (b"<!-- x --><img src=x onerror=alert(1)>", "c.txt", None),
    (b"Dear sir\n<p>hidden</p>", "p.txt", None),
    (b"click <a href=javascript:alert(1)>here</a>", "a.txt", None),
    (b"+ADw-html+AD4-+ADw-script+AD4-", "u7.txt", None),
    (b"From: Jane <jane@example.org>\nI <3 my flat; damp < 2 weeks old", "mail.txt", "text/plain"),
    ("\u0634\u0643\u0648\u0649\u200f \u0628\u062e\u0635\u0648\u0635 soft\u00adhyphen\u2028line".encode(),
     "arabic.txt", "text/plain"),
    ("reads \u202egnp.exe".encode(), "rlo.txt", None),
    (b"  <svg onload=alert(1)>", "svg.txt", None),
    (b"words\x1b[31m and an escape", "notes.txt", None),
    (b"<html><script>alert(1)</script>", "photo.png", None),
    (b"<svg onload=alert(1)>", "x.svg", None),
    (b"PK\x03\x04rest", "archive.zip", None),
    (b"MZ\x90\x00", "setup.exe", None),
    (b"\xff\xfe\x00\x00", "notes.txt", None),
])
def test_a_file_is_typed_by_its_bytes(data: bytes, name: str, kind: str | None) -> None:
    assert sniff(data, name) == kind


# --- documents that cannot be read are refused with the reason, never raised (issue 18) --------

@pytest.mark.parametrize("ext", ["odt", "docx"])
@pytest.mark.parametrize("how", sorted(bad_documents.BAD))
def test_a_document_that_cannot_be_read_is_refused_with_the_reason(ext: str, how: str) -> None:
    # given a Word or OpenDocument file spoilt one way (a part not deflate data: zlib.error)
    data = bad_documents.BAD[how](ext)
    # when it is checked
    kind, reason = check_file(data, f"letter.{ext}")
    # then it is refused, saying why, and nothing is raised
    assert kind is None and sniff(data, f"letter.{ext}") is None
    assert reason.startswith("The selected ")
    if how in ("bomb", "claims to be huge"):
        assert "unpacks to more than 100 MB" in reason
    elif how != "many parts":
        assert "could not be read" in reason


@pytest.mark.parametrize("ext", ["odt", "docx"])
def test_a_sound_document_is_still_a_document(ext: str) -> None:
    assert check_file(bad_documents.good(ext), f"letter.{ext}")[1] == ""
    assert sniff(bad_documents.good(ext), f"letter.{ext}") is not None


@hypothesis.settings(max_examples=200, deadline=None)
@hypothesis.given(ext=st.sampled_from(["odt", "docx"]), at=st.integers(0, 10_000),
       spoilt=st.binary(min_size=1, max_size=16))
def test_a_document_spoilt_anywhere_is_typed_or_refused_never_raised(ext: str, at: int,
                                                                     spoilt: bytes) -> None:
    data = bytearray(bad_documents.good(ext))
    at %= len(data)
    data[at:at + len(spoilt)] = spoilt
    kind, reason = check_file(bytes(data), f"letter.{ext}")
    assert (kind is None) == bool(reason)


# --- .txt: markup by its shape, not by a list of tags (issue 18, defect 10) ----------------------

@pytest.mark.parametrize("text", [
    "<marquee onstart=alert(1)>",  # the outside attack's three: tags on no list
    "<select autofocus onfocus=alert(1)>",
    "Dear sir, <xss onpointerover=alert(1)>hover here",
    "<details open ontoggle=alert(1)>", "<x/onclick=alert(1)>", "<X ONCLICK = alert(1)>",
    "<video><source onerror=alert(1)>", "<jo@example.com onmouseover=alert(1)>",
    '<a:b title=">" onclick=alert(1)>', "<custom-el data-x=1>", "<img\nsrc=x\nonerror=alert(1)>",
    "<p>", "<br/>", "<blink>", "</xmp>", "<script>alert(1)", "<STYLE>@import url(//x.example)",
    "<style media>a{}", "<svg/onload=alert(1)>", "<math href=javascript:alert(1)>",
    "Dear <Tenant>",  # one word alone in brackets is a tag with nothing after its name
    # a second outside attack: an element's name with bare attributes (no "=")
    "<p title>Call 0800 000 000 now to claim", "<h1 a>URGENT", "<base href>", "<IMG SRC>",
    "<svg viewBox>", "<input autofocus>",
])
def test_text_with_any_tag_shape_is_refused(text: str) -> None:
    assert sniff(f"Rent \u00a3500\n{text}\nthanks".encode(), "notes.txt") is None


@pytest.mark.parametrize("text", [
    "I paid <\u00a350> and 3 < 5, so x<y",
    "From: <John Smith> and <Jo Bloggs (tenant)>",
    "Reply to <jo@example.com> or <complaints+CMP-2026-000001@landlord.example>",
    "See <https://www.landlord.example/repairs?id=5&x=1> and <www.example.org/a=b>",
    "I <3 my home; damp < 2 weeks; 10<20; a <-> b; <<< 5 = ok",
    "The on/off switch: online=yes", "<£50 = fair>", "x <1 onclick=2>",
])
def test_plain_text_with_angle_brackets_is_still_text(text: str) -> None:
    assert sniff(text.encode(), "notes.txt") == "text/plain"


_TAG_NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,12}", fullmatch=True)
_WORDS = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="<>=\r",
                                        exclude_categories=("Cc", "Cf", "Cs")), max_size=40)


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(before=_WORDS, after=_WORDS, name=_TAG_NAMES,
       attribute=st.one_of(_TAG_NAMES, st.from_regex(r"on[a-z]{1,12}", fullmatch=True)),
       gap=st.sampled_from([" ", "\n", "\t", "/", "  x "]), value=_WORDS)
def test_any_tag_with_an_attribute_value_is_refused(before: str, after: str, name: str,
                                                      attribute: str, gap: str, value: str) -> None:
    text = f"{before}<{name}{gap}{attribute}={value}>{after}"
    assert sniff(text.encode(), "notes.txt") is None


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(before=_WORDS, after=_WORDS, who=st.lists(_TAG_NAMES, min_size=2, max_size=4)
                  .filter(lambda w: w[0].lower() not in _ELEMENTS),  # <p title> is markup
       user=st.from_regex(r"[a-z0-9.+_-]{1,12}", fullmatch=True),
       amount=st.integers(0, 10_000))
def test_names_addresses_and_sums_in_brackets_are_text(before: str, after: str, who: list[str],
                                                      user: str, amount: int) -> None:
    text = (f"{before} <{' '.join(who)}> wrote from <{user}@example.org>: I paid <\u00a3{amount}>"
            f" and {amount} < {amount + 1}. {after}")
    assert sniff(text.encode(), "notes.txt") == "text/plain"


def test_a_long_file_name_keeps_its_extension_on_the_local_store(tmp_path: Path) -> None:
    """The local stand-in shortens a name to fit a file system, never by its extension: a
    document is typed by it."""
    from complaints.adapters.raw_mail import DirectoryRawMail

    store = DirectoryRawMail(tmp_path, upload_url="http://127.0.0.1:8080/_local/upload",
                             upload_secret=lambda: b"k" * 32)
    redirect = "http://127.0.0.1:8080/complaint/files?c=x"
    post = store.upload_form("uploads/CMP-2026-000001/ab/", redirect, 1000, timedelta(hours=1),
                             NOW)
    for name in ("\u82e6\u60c5\u306e\u8a73\u7d30" * 12 + ".docx", "\U00020000" * 60 + ".txt"):
        back = store.accept_upload(post.fields, name, b"data", NOW)
        key = urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)["key"][0]
        kept = key.rsplit("/", 1)[1]
        assert kept.endswith(name.rsplit(".", 1)[1]) and len(kept.encode()) <= 150
        assert name.startswith(kept.rsplit(".", 1)[0])  # whole characters only
        assert (tmp_path / key).read_bytes() == b"data"
