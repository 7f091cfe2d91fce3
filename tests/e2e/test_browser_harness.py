"""The browser harness itself (tests/browser.py), against a tiny local site: one Chromium for the module.

axe-core runs under a strict Content-Security-Policy and finds nothing on an accessible page, and
exactly the planted violations on another; a form is filled in and submitted by keyboard alone
and the server receives the values; a tall page's screenshot is taken whole.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from selenium import webdriver
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests import browser as harness

browser = harness.browser  # the module-scoped Chromium fixture

CSP = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def page(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en-GB">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="/site.css"></head>
<body><main>{body}</main></body>
</html>"""


# style-src 'self': the pages' styles must come from here (inline style attributes are refused)
STYLE = """body { font-family: 'DejaVu Sans', sans-serif; color: #0b0c0c; background: #fff; }
.tall p { margin: 0; height: 100px; }
"""

ACCESSIBLE = page("Make a complaint", """
<h1>Make a complaint</h1>
<script>document.documentElement.dataset.inlineScript = "ran";</script>
<form method="post" action="/submit">
  <label for="name">Your name</label>
  <input id="name" name="name" type="text" autocomplete="name">
  <label for="details">What went wrong</label>
  <input id="details" name="details" type="text">
  <button type="submit">Send</button>
</form>""")

INACCESSIBLE = page("Broken", """
<h1>Broken</h1>
<img src="/logo.png">
<input type="text" name="unlabelled">""")

FORM = page("Keyboard form", """
<h1>Keyboard form</h1>
<form method="post" action="/submit">
  <p><label for="name">Your name</label> <input id="name" name="name" type="text"></p>
  <p><label for="details">What went wrong</label> <input id="details" name="details" type="text"></p>
  <p><button type="submit" id="send">Send</button></p>
</form>""")

TALL = page("Tall", '<h1>Tall</h1><div class="tall">' + "".join(
    f"<p>Paragraph {i}</p>" for i in range(40)) + "</div>")

THANKS = page("Thank you", "<h1>Thank you</h1>")
ROUTES = {"/accessible": ACCESSIBLE, "/inaccessible": INACCESSIBLE, "/form": FORM, "/tall": TALL,
          "/thanks": THANKS}


@dataclass
class Site:
    url: str
    posts: list[dict[str, list[str]]] = field(default_factory=list)

    def wait_for_posts(self, count: int, timeout: float = 5.0) -> list[dict[str, list[str]]]:
        deadline = time.monotonic() + timeout
        while len(self.posts) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.posts


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    posts: list[dict[str, list[str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, content_type: str, body: bytes, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", CSP)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/site.css":
                self._send(200, "text/css; charset=utf-8", STYLE.encode())
            elif self.path in ROUTES:
                self._send(200, "text/html; charset=utf-8", ROUTES[self.path].encode())
            else:
                self._send(404, "text/plain; charset=utf-8", b"not found")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            posts.append(parse_qs(self.rfile.read(length).decode("utf-8"), keep_blank_values=True))
            self._send(303, "text/plain; charset=utf-8", b"", Location="/thanks")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_address[1]}", posts)
    finally:
        server.shutdown()
        server.server_close()


def test_axe_finds_nothing_on_an_accessible_page_under_a_strict_csp(
        browser: webdriver.Chrome, site: Site) -> None:
    browser.get(f"{site.url}/accessible")
    # the policy is in force: the page's own inline script was refused ...
    assert browser.execute_script("return document.documentElement.dataset.inlineScript") is None
    browser.execute_script("""
        window.cspViolations = [];
        document.addEventListener("securitypolicyviolation",
            e => window.cspViolations.push(e.violatedDirective + " " + e.blockedURI));""")
    # ... yet axe, injected through WebDriver, runs
    violations = harness.axe_violations(browser)
    assert violations == [], harness.describe(violations)
    assert browser.execute_script("return typeof window.axe.version") == "string"
    # and axe broke none of the policy's rules while it ran, though the listener would have told
    assert browser.execute_script("return window.cspViolations") == []
    browser.execute_script("""
        const style = document.createElement("style");
        style.textContent = "body { color: red; }";
        document.head.appendChild(style);""")
    WebDriverWait(browser, 5).until(lambda driver: driver.execute_script("return window.cspViolations"))
    assert browser.execute_script("return window.cspViolations") == ["style-src-elem inline"]


def test_axe_reports_the_planted_violations(browser: webdriver.Chrome, site: Site) -> None:
    browser.get(f"{site.url}/inaccessible")
    violations = harness.axe_violations(browser)
    assert sorted(v["id"] for v in violations) == ["image-alt", "label"], harness.describe(violations)
    by_id = {v["id"]: v for v in violations}
    assert [n["target"] for n in by_id["image-alt"]["nodes"]] == ["img"]
    assert by_id["label"]["nodes"][0]["html"] == '<input type="text" name="unlabelled">'
    assert by_id["label"]["impact"] == "critical"
    described = harness.describe(violations).splitlines()
    assert len(described) == 2
    assert any(line.startswith("image-alt [critical]") and "<img" in line for line in described)


@pytest.mark.parametrize("key", [Keys.ENTER, Keys.SPACE], ids=["enter", "space"])
def test_a_form_submitted_by_keyboard_alone(browser: webdriver.Chrome, site: Site, key: str) -> None:
    already = len(site.posts)
    browser.get(f"{site.url}/form")
    harness.tab_to(browser, harness.attribute_is("name", "name"))
    harness.type_keys(browser, "Siân O'Brien")
    harness.tab_to(browser, harness.attribute_is("name", "details"))
    harness.type_keys(browser, "The boiler has been broken since 3 March & nobody came")
    send = harness.tab_to(browser, lambda element: element.tag_name == "button")
    assert send.get_dom_attribute("id") == "send"
    harness.type_keys(browser, key)

    posts = site.wait_for_posts(already + 1)
    assert posts[already:] == [{"name": ["Siân O'Brien"],
                                "details": ["The boiler has been broken since 3 March & nobody came"]}]
    WebDriverWait(browser, 5).until(lambda driver: driver.title == "Thank you")


def test_tab_to_says_where_focus_went_when_nothing_matches(browser: webdriver.Chrome, site: Site) -> None:
    browser.get(f"{site.url}/form")
    with pytest.raises(AssertionError, match=r"<input id='name' name='name' type='text'>"):
        harness.tab_to(browser, harness.attribute_is("name", "nowhere"), max_tabs=5)


def test_full_page_screenshot_is_a_png_of_the_whole_page(
        browser: webdriver.Chrome, site: Site, tmp_path: Path) -> None:
    browser.get(f"{site.url}/tall")
    viewport = int(browser.execute_script("return window.innerHeight"))
    document = int(browser.execute_script("return document.documentElement.scrollHeight"))
    assert document > viewport

    shot = harness.full_page_screenshot(browser, tmp_path / "shots" / "tall.png")

    data = shot.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert height > viewport
    assert height >= document >= 4000  # 40 paragraphs of 100px: the stylesheet applied
    assert width > 0
    # the viewport is left as it was
    assert browser.execute_script("return window.innerHeight") == viewport
