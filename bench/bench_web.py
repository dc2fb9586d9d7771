"""The web page's cost: 16 voices moving with 0 and with 4 pages open (headless Chromium).

Per condition, one fresh daemon (null audio, 16 voices, the web page on a free port); a client moves all 16
voices with `/voice/N/latent/image` at a steady rate (RATE_HZ per voice, round robin) along circles, and
times each `/voice/N/sineparams` reply against the latest request for that voice (the round trip). After
WARM_S, for MEASURE_S: the audio callback's p99 (`callback_us_p99` of `/status.reply`, sampled every
second: the newest callbacks' p99, the median and the worst of the samples are kept), the round trip's
p50/p99, and, with pages open, each page's own frame time (performance.now() around its draw, read back from
`window.isudt.frameMs`), which should stay under 16 ms.

    python bench/bench_web.py [--measure 15] [--pages 4] [--out FILE]

Prints a table and writes bench/results/web-<time>.json. Needs Debian's chromium + chromium-driver.
"""
from __future__ import annotations

import argparse
import math
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from common import Client, machine, start_daemon, write_results   # noqa: I001 (bench/ is on sys.path)
from support.browser import chrome, wait_js   # noqa: I001 (common puts tests/ on sys.path)
from isudt.daemon.osc_codec import encode_floats

VOICES = 16
RATE_HZ = 20.0          # requests per voice per second (320/s in all)
WARM_S = 3.0


def browser() -> Any:
    return chrome((1300, 800))


class Mover:
    """Moves every voice at RATE_HZ; times each /voice/N/sineparams against that voice's latest request."""

    def __init__(self, addr: tuple[str, int], box: tuple[np.ndarray, np.ndarray]) -> None:
        self.client = Client(addr)
        self.lo, self.hi = box
        self.sent = [0.0] * VOICES
        self.rtt_ms: list[float] = []
        self.measuring = False
        self.stop = threading.Event()
        self.sent_count = 0
        self.replies = 0

    def run_sender(self) -> None:
        period = 1.0 / (RATE_HZ * VOICES)
        t_next = time.perf_counter()
        k = 0
        while not self.stop.is_set():
            n = k % VOICES
            a = 0.05 * k / VOICES + n * 2 * math.pi / VOICES
            u = np.array([0.5 + 0.35 * math.cos(a), 0.5 + 0.35 * math.sin(a)])
            z = self.lo + u * (self.hi - self.lo)
            self.sent[n] = time.perf_counter()
            self.client.send(encode_floats(f"/voice/{n}/latent/image", (float(z[0]), float(z[1]))))
            self.sent_count += 1
            k += 1
            t_next += period
            delay = t_next - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            else:
                t_next = time.perf_counter()

    def run_receiver(self) -> None:
        rx = re.compile(r"^/voice/(\d+)/sineparams$")
        while not self.stop.is_set():
            m = self.client.recv(0.2)
            if m is None:
                continue
            hit = rx.match(m[0])
            if hit:
                self.replies += 1
                if self.measuring:
                    self.rtt_ms.append((time.perf_counter() - self.sent[int(hit.group(1))]) * 1e3)


def condition(work: Path, pages: int, measure_s: float) -> dict[str, Any]:
    d = start_daemon(work, {"synth": {"voices": VOICES}, "web": {"enabled": True, "port": 0}})
    url = re.search(r"\| web (http://\S+)", d.driver.ready_line).group(1)   # type: ignore[union-attr]
    drivers = []
    try:
        for _ in range(pages):
            b = browser()
            drivers.append(b)
            b.get(url)
        for b in drivers:
            wait_js(b, "return isudt.connected && isudt.hello && isudt.hello.planes && isudt.frames > 0", 20.0)
        box_lo, box_hi = (np.asarray(v, np.float64) for v in (drivers[0].execute_script(
            "return isudt.hello.image_box") if drivers else _box()))
        mover = Mover(d.addr, (box_lo, box_hi))
        threads = [threading.Thread(target=mover.run_sender, daemon=True),
                   threading.Thread(target=mover.run_receiver, daemon=True)]
        for t in threads:
            t.start()
        time.sleep(WARM_S)
        for b in drivers:
            b.execute_script("isudt.frameMs = []; isudt.framesAtStart = isudt.frames")
        probe = Client(d.addr)
        cb: list[float] = []
        underruns0 = probe.status().get("underruns", 0)
        mover.measuring = True
        t_end = time.monotonic() + measure_s
        while time.monotonic() < t_end:
            time.sleep(1.0)
            s = probe.status()
            if "callback_us_p99" in s:
                cb.append(float(s["callback_us_p99"]))
        mover.measuring = False
        final = probe.status()
        frame_ms: list[float] = []
        frames = 0
        for b in drivers:
            frame_ms += [float(v) for v in b.execute_script("return isudt.frameMs")]
            frames += int(b.execute_script("return isudt.frames - isudt.framesAtStart"))
        mover.stop.set()
        for t in threads:
            t.join(2)
        rtt = np.asarray(mover.rtt_ms)
        fm = np.asarray(frame_ms) if frame_ms else np.zeros(1)
        return {
            "pages": pages, "measure_s": measure_s, "voices": VOICES, "rate_per_voice_hz": RATE_HZ,
            "requests_sent": mover.sent_count, "replies": mover.replies, "rtt_samples": int(rtt.size),
            "rtt_p50_ms": float(np.percentile(rtt, 50)) if rtt.size else None,
            "rtt_p99_ms": float(np.percentile(rtt, 99)) if rtt.size else None,
            "callback_us_p99_median": float(np.median(cb)) if cb else None,
            "callback_us_p99_worst": float(max(cb)) if cb else None,
            "callback_us_max": final.get("callback_us_max"), "block_us": final.get("block_us"),
            "underruns": int(final.get("underruns", 0)) - int(underruns0),
            "coalesced": final.get("coalesced"),
            "page_frames_per_s": frames / measure_s / max(1, pages) if pages else None,
            "page_draw_ms_p50": float(np.percentile(fm, 50)) if pages else None,
            "page_draw_ms_p99": float(np.percentile(fm, 99)) if pages else None,
            "page_draw_ms_max": float(fm.max()) if pages else None,
        }
    finally:
        for b in drivers:
            b.quit()
        d.stop()


def _box() -> tuple[list[float], list[float]]:
    from isudt.daemon.bundle import default_bundle_dir, load_manifest
    m = load_manifest(default_bundle_dir(), verify=False)
    return list(map(float, m.image_box.lo)), list(map(float, m.image_box.hi))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--measure", type=float, default=15.0, help="seconds measured per condition")
    ap.add_argument("--pages", type=int, default=4)
    ap.add_argument("--out")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [condition(Path(tmp), 0, args.measure), condition(Path(tmp), args.pages, args.measure)]

    def f(v: Any, digits: int = 2) -> str:
        return "-" if v is None else f"{v:.{digits}f}"

    print(f"\n16 voices moving at {RATE_HZ:g} Hz each (/voice/N/latent/image), null audio, {args.measure:g} s each")
    print("| pages | callback p99 us (median / worst) | underruns | /latent/image rtt p50 / p99 ms "
          "| page draw ms p50 / p99 / max | page frames/s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['pages']} | {f(r['callback_us_p99_median'], 1)} / {f(r['callback_us_p99_worst'], 1)} "
              f"| {r['underruns']} | {f(r['rtt_p50_ms'], 3)} / {f(r['rtt_p99_ms'], 3)} "
              f"| {f(r['page_draw_ms_p50'])} / {f(r['page_draw_ms_p99'])} / {f(r['page_draw_ms_max'])} "
              f"| {f(r['page_frames_per_s'], 1)} |")
    with_pages = rows[1]
    ok = with_pages["page_draw_ms_p99"] is not None and with_pages["page_draw_ms_p99"] < 16.0
    print(f"page frame time under 16 ms (p99): {'yes' if ok else 'NO'}")
    write_results({"benchmark": "web", "machine": machine(), "rows": rows, "page_frame_under_16ms": ok},
                  args.out, f"web-{time.strftime('%Y%m%d-%H%M%S')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
