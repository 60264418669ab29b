"""``make screenshots``: the console at 1280 px and on a 390 px phone, into docs/img/.

A seeded mock with a little traffic (so the journal has rows), one Try-it answer rendered.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.chrome import chromium, viewport
from tests.conftest import AUTH, PROGRAM
from tests.harness import live_server

SIZES = {"console-1280.png": (1280, 900), "console-390.png": (390, 844)}


def traffic(base_url: str) -> None:
    """What an app under development might have sent: successes, a 422, a 404."""
    with httpx.Client(base_url=base_url) as client:
        client.get("/segments", params={"segment_basis": "labels", "size": 5}, headers=PROGRAM)
        segments = client.get("/v3/marketing/segments", headers=AUTH).json()["results"]
        client.get(f"/v3/marketing/segments/{segments[0]['id']}", headers=AUTH)
        client.get("/segment", params={"labels": "cat-tents", "min_weight": 2}, headers=PROGRAM)
        client.get("/v3/marketing/lists", headers=AUTH)


def shoot(driver: Any, base_url: str, path: Path, width: int, height: int) -> None:
    wait = WebDriverWait(driver, 10, poll_frequency=0.05)
    viewport(driver, width, height)
    driver.get(base_url + "/__mockserver/")
    traffic(base_url)
    driver.find_element(By.CSS_SELECTOR, "#try-actionhub-get_segment_segment_get summary").click()
    block = driver.find_element(By.ID, "try-actionhub-get_segments_segments_get")
    block.find_element(By.CSS_SELECTOR, "summary").click()
    select = block.find_element(By.CSS_SELECTOR, '[data-name="segment_basis"] select')
    Select(select).select_by_visible_text("assets")
    block.find_element(By.CSS_SELECTOR, '[data-name="size"] input').send_keys("2")
    block.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#entries > li")) >= 6)
    wait.until(lambda d: block.find_element(By.CSS_SELECTOR, ".answer .status").text)
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(path))
    print(f"wrote {path}")


def main(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    with live_server() as server, chromium() as driver:
        for name, (width, height) in SIZES.items():
            shoot(driver, server.url, target / name, width, height)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img"))
