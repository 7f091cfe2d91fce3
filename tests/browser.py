"""A headless-Chromium harness for browser tests: Debian's chromium and chromedriver, axe-core checks.

`make test` installs the browser (apt: chromium, chromium-driver, fonts-dejavu-core) and axe-core
(npm, infra/package.json). Nothing here lets Selenium Manager look for, or download, a browser or a
driver: both paths are given explicitly.

Test modules use the module-scoped `browser` fixture by importing this module's fixture under the
name their tests ask for::

    from tests import browser as harness

    browser = harness.browser  # one Chromium for the module

    def test_form(browser: WebDriver) -> None:
        browser.get(url)
        violations = harness.axe_violations(browser)
        assert not violations, harness.describe(violations)
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import TypedDict, cast

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

REPO = Path(__file__).resolve().parent.parent
AXE_JS = REPO / "infra" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
WINDOW_SIZE = (1024, 900)
INSTALL_HINT = "run make test: it installs chromium and chromium-driver"
AXE_TIMEOUT_S = 30
HTML_MAX = 160  # a violating node's outerHTML, shortened for assertion messages


class BrowserMissing(RuntimeError):
    """Chromium, its driver or axe-core is not installed on this machine."""


class AxeNode(TypedDict):
    target: str  # the CSS selector axe gives the node (frames and shadow roots joined by " >> ")
    html: str  # its outerHTML, shortened


class AxeViolation(TypedDict):
    id: str  # the rule, e.g. "label", "image-alt"
    impact: str  # "minor" | "moderate" | "serious" | "critical"
    help: str
    nodes: list[AxeNode]


def _executable(name: str, debian_path: str) -> str:
    found = shutil.which(name) or (debian_path if Path(debian_path).is_file() else None)
    if found is None:
        raise BrowserMissing(f"{name} is not installed (not on PATH, no {debian_path}): {INSTALL_HINT}")
    return found


def chromium_driver(width: int = WINDOW_SIZE[0], height: int = WINDOW_SIZE[1]) -> webdriver.Chrome:
    """A new headless Chromium; the caller quits it (a WebDriver is also a context manager).

    `with chromium_driver() as driver: ...` quits it on leaving the block. width x height is the
    window's size: headless Chromium keeps room for its (invisible) toolbars, so the viewport is
    smaller (1024x757 for the default window, with Chromium 156). Raises BrowserMissing if
    chromium or chromedriver is not installed.
    """
    binary = _executable("chromium", "/usr/bin/chromium")
    driver_path = _executable("chromedriver", "/usr/bin/chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    options.add_argument("--headless=new")
    options.add_argument("--no-sandbox")  # the tests run as root (CI, dev containers)
    options.add_argument("--disable-dev-shm-usage")  # containers' /dev/shm is small
    options.add_argument(f"--window-size={width},{height}")
    options.add_argument("--disable-extensions")
    options.add_argument("--no-first-run")
    # An explicit driver path means Selenium never runs Selenium Manager (which would download).
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    driver.set_script_timeout(AXE_TIMEOUT_S)
    return driver


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """One headless Chromium for a test module, quit after its last test."""
    driver = chromium_driver()
    try:
        yield driver
    finally:
        driver.quit()


# --- axe-core -------------------------------------------------------------------------------

@cache
def _axe_source() -> str:
    if not AXE_JS.is_file():
        raise BrowserMissing(f"{AXE_JS} is missing: run make test (it runs npm ci in infra/)")
    return AXE_JS.read_text(encoding="utf-8")


# Content-Security-Policy does not block this. chromedriver runs execute_script and
# execute_async_script through the DevTools protocol (Runtime.callFunctionOn), which the page's CSP
# does not govern: under `default-src 'none'; style-src 'self'` the page's own inline <script> is
# refused, yet a WebDriver script runs, and even eval() inside one does. So axe is injected as
# is, with no Page.setBypassCSP, and the page is checked under the very policy it is served with;
# axe itself adds no style or script to the page, so it trips none of the policy's rules
# (tests/e2e/test_browser_harness.py asserts both). Were a future Chromium to enforce CSP here,
# `driver.execute_cdp_cmd("Page.setBypassCSP", {"enabled": True})` before `driver.get` is the fix.
_RUN_AXE = """
const done = arguments[arguments.length - 1];
const tags = arguments[0], htmlMax = arguments[1];
const short = (html, max) => html.length > max ? html.slice(0, max - 1) + "\u2026" : html;
window.axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
  .then(result => done({violations: result.violations.map(v => ({
      id: v.id, impact: v.impact || "", help: v.help,
      nodes: v.nodes.map(n => ({
        target: n.target.map(t => Array.isArray(t) ? t.join(" >> ") : String(t)).join(" >> "),
        html: short(n.html, htmlMax)}))}))}),
        error => done({error: String(error && error.stack || error)}));
"""


def axe_violations(driver: WebDriver, tags: Sequence[str] = WCAG_TAGS) -> list[AxeViolation]:
    """Run axe-core on the current page, only the rules with these tags; its violations, if any."""
    if not driver.execute_script("return typeof window.axe === 'object';"):
        driver.execute_script(_axe_source())
    outcome = cast(dict[str, object], driver.execute_async_script(_RUN_AXE, list(tags), HTML_MAX))
    if "error" in outcome:
        raise RuntimeError(f"axe.run failed: {outcome['error']}")
    return cast(list[AxeViolation], outcome["violations"])


def describe(violations: Sequence[AxeViolation]) -> str:
    """One line per violation, for an assertion message."""
    lines = []
    for v in violations:
        nodes = "; ".join(f"{n['target']} {n['html']}" for n in v["nodes"][:3])
        more = f" (+{len(v['nodes']) - 3} more)" if len(v["nodes"]) > 3 else ""
        lines.append(f"{v['id']} [{v['impact']}] {v['help']}: {nodes}{more}")
    return "\n".join(lines) if lines else "no violations"


# --- screenshots ----------------------------------------------------------------------------

def full_page_screenshot(driver: webdriver.Chrome, path: Path | str) -> Path:
    """A PNG of the whole document, beyond the viewport too; parent directories are created."""
    metrics = cast(dict[str, dict[str, float]], driver.execute_cdp_cmd("Page.getLayoutMetrics", {}))
    content = metrics.get("cssContentSize") or metrics["contentSize"]
    clip = {"x": 0, "y": 0, "width": max(1.0, content["width"]), "height": max(1.0, content["height"]),
            "scale": 1}
    shot = cast(dict[str, str], driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(base64.b64decode(shot["data"]))
    return target


# --- navigation -----------------------------------------------------------------------------

def _gone(element: WebElement) -> bool:
    # Chromium reports an element of a replaced document as stale, or, caught mid-navigation,
    # as an inspector error ("Node with given id does not belong to the document"): both mean
    # the old page has gone, which selenium's staleness_of only knows in the first form.
    try:
        element.is_enabled()
    except WebDriverException:
        return True
    return False


def next_page(driver: WebDriver, before: WebElement, url_check: Callable[[str], bool] | None = None,
              timeout: float = 20) -> None:
    """Wait until `before` (an element of the old page) has gone and the new page has loaded,
    its URL passing `url_check` where given (a redirect chain passes through several pages)."""
    def arrived(d: WebDriver) -> bool:
        if not _gone(before):
            return False
        try:
            loaded = d.execute_script("return document.readyState") == "complete"
            return loaded and (url_check is None or url_check(d.current_url))
        except WebDriverException:  # the document changed under the script: look again
            return False

    WebDriverWait(driver, timeout).until(arrived)


# --- keyboard only --------------------------------------------------------------------------

def attribute_is(name: str, value: str) -> Callable[[WebElement], bool]:
    """A predicate for `tab_to`: the element's attribute `name` equals `value`."""
    return lambda element: element.get_dom_attribute(name) == value


def _label(element: WebElement) -> str:
    attrs = (f"{a}={element.get_dom_attribute(a)!r}" for a in ("id", "name", "type")
             if element.get_dom_attribute(a))
    return f"<{element.tag_name} {' '.join(attrs)}>".replace(" >", ">")


def tab_to(driver: WebDriver, element_predicate: Callable[[WebElement], bool],
           max_tabs: int = 200) -> WebElement:
    """Press TAB until the focused element matches; return it. Always moves focus at least once.

    Raises AssertionError, listing where focus went, if no match within `max_tabs` presses.
    """
    visited: list[str] = []
    for _ in range(max_tabs):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        active = driver.switch_to.active_element
        if element_predicate(active):
            return active
        visited.append(_label(active))
    raise AssertionError(f"no match after {max_tabs} TABs; focus went: {' -> '.join(visited[:30])}")


def type_keys(driver: WebDriver, text: str) -> None:
    """Type into the focused element, as a keyboard would (Keys.ENTER, Keys.SPACE etc. too)."""
    ActionChains(driver).send_keys(text).perform()
