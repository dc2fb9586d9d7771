"""A real screenshot of the web page: a daemon (null device) serving BUNDLE, seven voices moving along arcs.

    python docs/web/screenshot.py digits-fm docs/web/digits-fm.png
    python docs/web/screenshot.py square-sine docs/web/square-sine.png

Starts `isudt serve --bundle BUNDLE` (tests/support/daemon.py: the null device, 8 voices, the page on a free
port), opens the page in Debian's headless Chromium (chromium + chromium-driver), moves voices 0-6 along
arcs of the image latent box with `/voice/N/latent/image` over OSC (their trails), asks the way back for
one sine (`/image/sine 62 -12`: the dashed ring and the picture under *way back*), and saves the whole
page (SIZE wide, as tall as it is).
A 3-D latent's third value is the middle slice the page shows (the box's centre), so no dot is dimmed.
"""
from __future__ import annotations

import math
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from support.browser import chrome, wait_js  # noqa: E402
from support.daemon import start_daemon  # noqa: E402

SIZE = (1260, 637)


def main(bundle: str, out: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        d = start_daemon(Path(tmp), {"web": {"enabled": True, "port": 0}, "synth": {"voices": 8, "gain_db": -3.0},
                                     "bundle": {"path": bundle}}, ready_timeout=60.0)
        driver = chrome(SIZE, False, "--hide-scrollbars")
        try:
            url = re.search(r"\| web (http://\S+)", d.ready_line).group(1)
            driver.set_window_size(*SIZE)
            driver.get(url)
            wait_js(driver, "var h = isudt.hello; return h && h.planes && ['image', 'sound'].every(function (p) {"
                            " var i = isudt.planes[p]; return i.length && i.every(function (x) { return x.complete; });"
                            " }) && isudt.frames > 0", 60.0)
            h = driver.execute_script("return isudt.hello")
            lo, hi = h["image_box"]
            mid = [(a + b) / 2 for a, b in zip(lo, hi)]
            c = d.client()
            c.send("/gain", -3.0)
            steps = 16
            for n in range(7):                       # seven arcs over the box, each its own centre and turn
                cx = lo[0] + (0.25 + 0.5 * ((n * 0.37) % 1.0)) * (hi[0] - lo[0])
                cy = lo[1] + (0.25 + 0.5 * ((n * 0.61 + 0.2) % 1.0)) * (hi[1] - lo[1])
                r = 0.18 + 0.04 * (n % 3)
                a0 = n * 0.9
                for k in range(steps):
                    a = a0 + 1.6 * k / (steps - 1)
                    z = list(mid)
                    z[0] = cx + r * math.cos(a) * (hi[0] - lo[0])
                    z[1] = cy + r * math.sin(a) * (hi[1] - lo[1])
                    c.send(f"/voice/{n}/latent/image", *[min(max(v, l), u) for v, l, u in zip(z, lo, hi)])
                    time.sleep(0.05)
            c.send("/image/sine", 62.0, -12.0)
            wait_js(driver, "return isudt.heard && Object.keys(isudt.dots.image).length >= 7", 10.0)
            time.sleep(1.0)                          # meters settle, the status line is written
            height = driver.execute_script("return Math.ceil(document.documentElement.scrollHeight)")
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",   # the whole page, nothing cut off
                                   {"width": SIZE[0], "height": max(SIZE[1], height), "deviceScaleFactor": 1,
                                    "mobile": False})
            time.sleep(0.5)
            out.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(out))
            errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
            if errors:
                print("console errors:", errors, file=sys.stderr)
                return 1
        finally:
            driver.quit()
            d.stop()
    print(out)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    raise SystemExit(main(sys.argv[1], Path(sys.argv[2])))
