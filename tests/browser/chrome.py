"""Debian's Chromium driven by Selenium: no browser download, no network, nothing left running."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Headless as root in a closed network: without the background-networking flags Chromium's
#: own services try the network and the closed network refuses connections.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)
MISSING = (
    "BROWSER TESTS SKIPPED: no chromium + chromedriver on this machine and none could be "
    "installed (`make chromium` installs Debian's chromium and chromium-driver as root)"
)


def find_chromium() -> tuple[str, str] | None:
    """``(browser, driver)`` paths: $MOCKSERVER_CHROMIUM / $MOCKSERVER_CHROMEDRIVER, else PATH."""
    browser = os.environ.get("MOCKSERVER_CHROMIUM") or shutil.which("chromium")
    driver = os.environ.get("MOCKSERVER_CHROMEDRIVER") or shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def processes_using(marker: str) -> list[int]:
    """Pids whose command line holds ``marker`` (our browser's own profile directory)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker.encode() in (proc / "cmdline").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A headless Chromium with a fresh profile; quit, and checked gone, on exit."""
    from selenium import webdriver

    found = find_chromium()
    if found is None:
        raise RuntimeError(MISSING)
    browser, driver_path = found
    profile = tempfile.mkdtemp(prefix="mockserver-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    service = webdriver.ChromeService(executable_path=driver_path, log_output=subprocess.DEVNULL)
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()
        for pid in processes_using(profile):  # ours alone: the profile path is unique
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(profile, ignore_errors=True)


def viewport(driver: Any, width: int, height: int) -> None:
    """Exactly ``width`` CSS pixels wide; below 500 px a phone (the meta viewport applies)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500},
    )


def network_requests(driver: Any) -> list[dict[str, Any]]:
    """Requests the page sent since the last call (from the performance log): method, url..."""
    sent = []
    for line in driver.get_log("performance"):
        message = json.loads(line["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            sent.append(message["params"]["request"])
    return sent
