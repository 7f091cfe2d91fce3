"""The web form in a real headless Chromium against the local stack, with axe-core.

Given `complaints local up`, when a resident fills in the form with a mouse, with the keyboard
alone, with JavaScript off or on a small phone screen, then they reach a confirmation with a
reference, the case is in DynamoDB Local and the receipt letter in the outbox; errors are
summarised at the top and linked to their fields; and axe finds no WCAG 2.2 A/AA violation on
the empty form, the form with errors, or the confirmation page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from tests import browser as harness
from tests.e2e.test_local_stack import Stack, started

browser = harness.browser  # one Chromium for the module
REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "docs" / "web-form.png"  # shown in the README; remade by every run
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
       b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92"
       b"\xef\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = started(tmp_path_factory, "browser", COMPLAINTS_FORM_POSTS_PER_HOUR="1000")
    yield running
    running.stop()


def url(stack: Stack, path: str = "/complaint") -> str:
    return f"http://127.0.0.1:{stack.http_port}{path}"


def no_violations(driver: WebDriver) -> None:
    violations = harness.axe_violations(driver)
    assert not violations, harness.describe(violations)


def no_alert(driver: WebDriver) -> None:
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - a script that ran would have opened one


def fill(driver: WebDriver, values: dict[str, str]) -> None:
    for name, value in values.items():
        field = driver.find_element(By.ID, name)
        field.clear()
        field.send_keys(value)


def choose(driver: WebDriver, element_id: str) -> None:
    driver.find_element(By.CSS_SELECTOR, f"label[for='{element_id}']").click()


def submit(driver: WebDriver, press: str | None = None) -> None:
    """Send the form (click, or a key on the focused button) and wait for the next page."""
    page = driver.find_element(By.TAG_NAME, "html")
    if press is None:
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    else:
        harness.type_keys(driver, press)
    harness.next_page(driver, page)


def reference_on_page(driver: WebDriver) -> str:
    found = re.fullmatch(r"CMP-\d{4}-\d{6}", driver.find_element(By.CLASS_NAME, "reference").text)
    assert found, driver.page_source[:500]
    return found.group(0)


RESIDENT = {"full-name": "Amira Khan", "email": "amira.khan@example.org",
            "property-address": "Flat 4, 12 Mill Lane\nBradford", "property-postcode": "BD1 1AA",
            "what-happened": "Water has come through the kitchen ceiling since 3 November. "
                             "Two repair appointments were missed without notice.",
            "outcome-sought": "Repair the leak and the ceiling, and an apology."}


def test_the_empty_form_is_accessible_and_pictured_for_the_readme(browser: webdriver.Chrome,
                                                                  stack: Stack) -> None:
    browser.get(url(stack))
    assert browser.title == "Make a complaint \u2013 Example Homes"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Make a complaint to Example Homes"
    no_violations(browser)
    harness.full_page_screenshot(browser, SCREENSHOT)
    assert SCREENSHOT.read_bytes().startswith(b"\x89PNG")


def test_a_resident_fills_in_the_form_and_gets_a_reference(browser: webdriver.Chrome,
                                                           stack: Stack) -> None:
    browser.get(url(stack))
    fill(browser, RESIDENT)
    choose(browser, "contact-preference")  # email
    choose(browser, "on-behalf")  # myself
    submit(browser)
    assert browser.find_element(By.CLASS_NAME, "panel-title").text == "Complaint received"
    reference = reference_on_page(browser)
    no_violations(browser)
    case = stack.cli("show", reference, "--json")
    assert case["channel"] == "web form" and case["resident"] == "amira.khan@example.org"
    assert case["home"]["postcode"] == "BD1 1AA"
    respond_by = case["deadlines"]["respond_by"]
    from datetime import date

    d = date.fromisoformat(respond_by)
    assert f"{d:%A} {d.day} {d:%B %Y}" in browser.find_element(By.TAG_NAME, "main").text
    receipts = [r for r in stack.letters("receipt") if reference.encode() in r]
    assert len(receipts) == 1 and b"amira.khan@example.org" in receipts[0]


def test_errors_are_summarised_linked_and_accessible(browser: webdriver.Chrome,
                                                     stack: Stack) -> None:
    browser.get(url(stack))
    fill(browser, {"email": "amira.khan@", "what-happened": "<script>alert(1)</script> leak"})
    submit(browser)
    assert browser.title.startswith("Error: ")
    summary = browser.find_element(By.CLASS_NAME, "error-summary")
    assert summary.get_attribute("role") == "alert"
    links = {a.text: a.get_attribute("href") for a in summary.find_elements(By.TAG_NAME, "a")}
    assert "Enter your full name" in links and "Enter the postcode of the property" in links
    assert any(t.startswith("Enter an email address in the correct format") for t in links)
    no_alert(browser)
    assert browser.find_element(By.ID, "what-happened").get_attribute("value") == \
        "<script>alert(1)</script> leak"  # kept, as text
    assert browser.find_element(By.ID, "email").get_attribute("value") == "amira.khan@"
    no_violations(browser)
    summary.find_element(By.LINK_TEXT, "Enter your full name").click()
    assert browser.switch_to.active_element.get_attribute("id") == "full-name"
    error = browser.find_element(By.ID, "full-name-error").get_attribute("textContent") or ""
    assert " ".join(error.split()) == "Error: Enter your full name"  # "Error:" for screen readers


def test_the_form_can_be_sent_with_the_keyboard_alone(browser: webdriver.Chrome,
                                                      stack: Stack) -> None:
    browser.get(url(stack))
    browser.find_element(By.TAG_NAME, "body").click()
    skip = harness.tab_to(browser, lambda e: e.get_attribute("class") == "skip-link")
    assert skip.text == "Skip to main content"
    for name in ("full-name", "email", "property-postcode", "what-happened"):
        harness.tab_to(browser, harness.attribute_is("id", name))
        harness.type_keys(browser, {"full-name": "Kai Morgan", "email": "kai@example.org",
                                    "property-postcode": "M1 1AE",
                                    "what-happened": "The lift has been broken for six weeks."}[name])
    harness.tab_to(browser, harness.attribute_is("id", "contact-preference"))
    harness.type_keys(browser, Keys.SPACE)
    harness.tab_to(browser, harness.attribute_is("id", "on-behalf"))
    harness.type_keys(browser, Keys.SPACE)
    button = harness.tab_to(browser, lambda e: e.tag_name == "button")
    assert button.text == "Send complaint"
    submit(browser, Keys.ENTER)
    reference = reference_on_page(browser)
    assert stack.cli("show", reference, "--json")["resident"] == "kai@example.org"


def test_it_works_with_javascript_off_on_a_small_phone(stack: Stack) -> None:
    options_driver = harness.chromium_driver(width=360, height=740)
    try:
        options_driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        options_driver.get(url(stack))
        width = options_driver.execute_script(  # runs: WebDriver is not the page's script
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], f"the page scrolls sideways on a phone: {width}"
        fill(options_driver, {**RESIDENT, "email": "phone.user@example.org"})
        choose(options_driver, "contact-preference")
        choose(options_driver, "on-behalf")
        submit(options_driver)
        reference = reference_on_page(options_driver)
        assert stack.cli("show", reference, "--json")["resident"] == "phone.user@example.org"
    finally:
        options_driver.quit()


def test_a_photo_is_added_from_the_confirmation_page(browser: webdriver.Chrome, stack: Stack,
                                                     tmp_path: Path) -> None:
    browser.get(url(stack))
    fill(browser, {**RESIDENT, "email": "photos@example.org"})
    choose(browser, "contact-preference")
    choose(browser, "on-behalf")
    submit(browser)
    reference = reference_on_page(browser)
    photo = tmp_path / "ceiling.png"
    photo.write_bytes(PNG)
    browser.find_element(By.ID, "file").send_keys(str(photo))
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.XPATH, "//button[text()='Upload file']").click()
    # the store, then /complaint/files, then the confirmation again: three pages
    harness.next_page(browser, page, lambda at: at.endswith("#files"))
    assert "ceiling.png (" in browser.find_element(By.TAG_NAME, "main").text
    no_violations(browser)
    case = stack.cli("show", reference, "--json")
    assert [e for e in case["timeline"] if e["event"] == "file added"]
    not_a_photo = tmp_path / "invoice.png"
    not_a_photo.write_bytes(b"<html><script>alert(1)</script></html>")
    browser.find_element(By.ID, "file").send_keys(str(not_a_photo))
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.XPATH, "//button[text()='Upload file']").click()
    harness.next_page(browser, page, lambda at: "/complaint/files" in at)
    assert "must be a JPG, PNG" in browser.find_element(By.CLASS_NAME, "error-summary").text
    no_alert(browser)
    no_violations(browser)
