"""The console is readable at 1280 px and on a 390 px phone, labelled, and of enough contrast."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.chrome import viewport

#: Slow (a real browser): left out of `make test-fast`, run by `make test`.
pytestmark = pytest.mark.slow

AUDIT = (Path(__file__).parent / "audit.js").read_text()


def audit(page, check: str) -> list[str]:
    return page.driver.execute_script(f"{AUDIT}\nreturn {check}();")


def open_everything(page):
    """Every operation open and one answer of each kind rendered, so every style is on screen."""
    for block in page.find_all("details.op"):
        if block.get_attribute("open") is None:
            page.find("summary", block).click()
    for block in page.find_all("details.op")[:2]:
        page.find("button[type=submit]", block).click()
    page.expected_failures.add("/segment")
    page.wait(lambda d: all(s.text for s in page.find_all(".answer .status")[:2]))


def test_wide_screen_puts_the_journal_beside_try_it(page):
    try_it, journal = page.find("#try").rect, page.find("#journal").rect
    assert journal["x"] >= try_it["x"] + try_it["width"]
    assert page.driver.execute_script("return document.documentElement.scrollWidth") <= 1280


@pytest.mark.parametrize("width", [1280, 390])
def test_nothing_overflows_and_everything_is_named_and_legible(page, width):
    viewport(page.driver, width, 844)
    page.open()
    open_everything(page)
    assert page.driver.execute_script("return document.documentElement.scrollWidth") <= width
    if width == 390:
        try_it, journal = page.find("#try").rect, page.find("#journal").rect
        assert journal["y"] >= try_it["y"] + try_it["height"]  # one column
        sizes = page.driver.execute_script(
            "return [...document.querySelectorAll('input, select, button')]"
            ".map(e => e.getBoundingClientRect()).filter(r => r.width).map(r => r.right)"
        )
        assert max(sizes) <= width  # every control fits on the phone
    assert audit(page, "unnamedControls") == []
    assert audit(page, "lowContrast") == []
