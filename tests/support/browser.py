"""Debian's headless Chromium through selenium, for the web page's tests, its benchmark and its screenshots.

No browser download works here: the page is driven by the `chromium` and
`chromium-driver` packages (`.ci/setup.sh` installs them), with the
driver's path given and `--headless=new --no-sandbox`.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

CHROMEDRIVER = "/usr/bin/chromedriver"


def installed() -> bool:
    return Path(CHROMEDRIVER).exists() and bool(shutil.which("chromium") or Path("/usr/bin/chromium").exists())


def chrome(size: tuple[int, int] = (1300, 900), console_log: bool = False, *extra: str) -> Any:
    """A headless Chromium of `size`; with `console_log` its console messages can be read (`get_log("browser")`)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    o = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", f"--window-size={size[0]},{size[1]}", "--disable-gpu", *extra):
        o.add_argument(a)
    if console_log:
        o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=o)


def wait_js(driver: Any, script: str, timeout: float = 10.0, poll: float = 0.02) -> Any:
    """The first truthy value `script` returns in the page, polled until `timeout` (then TimeoutError)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = driver.execute_script(script)
        if v:
            return v
        time.sleep(poll)
    raise TimeoutError(f"timed out waiting for {script}")
