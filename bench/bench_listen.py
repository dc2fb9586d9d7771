"""Benchmark the way back, live (issue 10): onset latency, the CPU cost of listening, the callback, /image/sine.

    python bench/bench_listen.py              # about 1.5 minutes; needs jackd (a private one is started)
    python bench/bench_listen.py --seconds 20 # longer CPU windows

Starts a private jackd (-R, falling back to --no-realtime), `isudt serve
--device system --input system` on it, and a JACK test client whose sine
feeds the daemon's input port. Prints a markdown table against the targets
and writes JSON to bench/results/listen-<date>-<host>.json.

What is measured, and how:
- onset latency: the tone client switches its sine on inside its JACK
  process callback and notes time.monotonic() there (the daemon's input
  gets that block in the same JACK cycle); the OSC client notes when the
  first /square arrives that equals the tone's steady square (what
  `/image/sine pitch dB` answers, asked beforehand), and when the first
  /square of any kind arrives (the first analysis above the silence
  threshold). 12 onsets at random times, silence in between.
- CPU cost: the daemon process's utime + stime (/proc/PID/stat) over the
  same wall time, listening to a steady tone vs not listening (same audio,
  same input), as a share of one core.
- callback p99: `/status` callback_us_p99 (the engine's newest callbacks)
  at the end of each CPU window, with and without listening.
- /image/sine round trip: request -> /square (first reply) and -> /picture
  (last reply), one request every 20 ms, random (pitch, dB), 500 requests.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.daemon import Daemon, OscClient, start_daemon  # noqa: E402
from support.jack import jack_server  # noqa: E402

RATE = 25.0
ONSETS = 12
SINE_REQUESTS = 500


class ToneClient:
    """A JACK client whose sine can be switched on at an unknown moment; notes when it really started."""

    def __init__(self, pitch: float, db: float) -> None:
        import jack
        self.client = jack.Client("isudt-bench-tone", no_start_server=True)
        self.port = self.client.outports.register("out")
        self.hz, self.amp = 440.0 * 2 ** ((pitch - 69.0) / 12.0), 10 ** (db / 20.0)
        self.want_on = False
        self.on_at: float | None = None
        self._n = 0
        self.client.set_process_callback(self._process)
        self.client.activate()

    def _process(self, frames: int) -> None:
        out = self.port.get_array()
        if not self.want_on:
            out[:] = 0.0
            self._n = 0
            return
        if self.on_at is None:
            self.on_at = time.monotonic()
        t = (self._n + np.arange(frames)) / self.client.samplerate
        out[:] = self.amp * np.sin(2 * np.pi * self.hz * t)
        self._n += frames

    def feed(self) -> None:
        """Connect to the daemon's input port (its JACK client, native or PortAudio's), and nothing else into it."""
        deadline = time.monotonic() + 10
        while not (ins := sorted(p.name for p in self.client.get_ports(r"^(isudt|PortAudio)(-[0-9]+)?:", is_input=True,
                                                                     is_audio=True))):
            if time.monotonic() > deadline:
                raise RuntimeError("the daemon's input port did not appear")
            time.sleep(0.05)
        for p in self.client.get_all_connections(ins[0]):
            self.client.disconnect(p.name, ins[0])
        self.client.connect(self.port.name, ins[0])

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def onset_latency(d: Daemon, c: OscClient, tone: ToneClient, want: list[float]) -> dict:
    rng = np.random.default_rng(0)
    first_any, first_right = [], []
    for _ in range(ONSETS):
        tone.want_on, tone.on_at = False, None
        time.sleep(0.5)                                   # the window empties: silence
        c.drain(0.02)                                     # (recv(0) returns at once: drain what waits)
        time.sleep(float(rng.uniform(0, 1 / RATE)))       # onsets at random phases of the analysis grid
        tone.want_on = True
        got_any = got_right = None
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline and got_right is None:
            m = c.recv(0.05)
            if m is None or m[0] != "/square":
                continue
            now = time.monotonic()
            got_any = got_any or now
            if m[1] == want:
                got_right = now
        if tone.on_at is not None and got_any is not None:
            first_any.append((got_any - tone.on_at) * 1e3)
        if tone.on_at is not None and got_right is not None:
            first_right.append((got_right - tone.on_at) * 1e3)
    tone.want_on = False
    return {"onsets": ONSETS, "first_square_ms": first_any, "first_right_square_ms": first_right,
            "first_square_p50_ms": pct(first_any, 50), "first_right_square_p50_ms": pct(first_right, 50),
            "first_right_square_max_ms": max(first_right) if first_right else float("nan")}


def cpu_window(d: Daemon, c: OscClient, listening: bool, seconds: float) -> dict:
    c.send("/image/listen", int(listening))
    time.sleep(0.5)
    before = d.status()
    t0, cpu0 = time.monotonic(), cpu_seconds(d.proc.pid)
    time.sleep(seconds)
    cpu1, t1 = cpu_seconds(d.proc.pid), time.monotonic()
    st = d.status()
    return {"listening": listening, "seconds": round(t1 - t0, 2), "cpu_share_of_one_core": (cpu1 - cpu0) / (t1 - t0),
            "analyses": st["analyses"] - before["analyses"], "callback_us_p99": st["callback_us_p99"],
            "callback_us_max": st["callback_us_max"], "underruns": st["underruns"] - before["underruns"],
            "analysis_p50_ms": st["analysis_p50_ms"], "analysis_p99_ms": st["analysis_p99_ms"]}


def image_sine(c: OscClient) -> dict:
    rng = np.random.default_rng(1)
    to_square, to_picture = [], []
    c.drain(0.3)
    for _ in range(SINE_REQUESTS):
        t = time.perf_counter()
        c.send("/image/sine", float(rng.uniform(44, 82)), float(rng.uniform(-18, -1)))
        got_square = None
        while True:
            m = c.recv(1.0)
            if m is None:
                break
            if m[0] == "/square":
                got_square = time.perf_counter()
            if m[0] == "/picture" and got_square is not None:
                to_square.append((got_square - t) * 1e3)
                to_picture.append((time.perf_counter() - t) * 1e3)
                break
        time.sleep(0.02)
    return {"requests": SINE_REQUESTS, "to_square_p50_ms": pct(to_square, 50), "to_square_p99_ms": pct(to_square, 99),
            "to_picture_p50_ms": pct(to_picture, 50), "to_picture_p99_ms": pct(to_picture, 99)}


def table(r: dict) -> str:
    on, off = r["cpu_listening"], r["cpu_idle"]
    extra = on["cpu_share_of_one_core"] - off["cpu_share_of_one_core"]
    target_onset = 1e3 / RATE + 50
    rows = [
        ("onset -> first /square reflecting the tone, p50 (max)",
         f"{r['onset']['first_right_square_p50_ms']:.0f} ms ({r['onset']['first_right_square_max_ms']:.0f})",
         f"<= {target_onset:.0f} ms", r["onset"]["first_right_square_p50_ms"] <= target_onset),
        ("onset -> first /square of any kind, p50", f"{r['onset']['first_square_p50_ms']:.0f} ms", "-", None),
        ("CPU of listening at 25/s (daemon, listening - not)", f"{100 * extra:.2f}% of one core", "< 5%", extra < 0.05),
        ("daemon CPU listening / not", f"{100 * on['cpu_share_of_one_core']:.2f}% / "
                                       f"{100 * off['cpu_share_of_one_core']:.2f}%", "-", None),
        ("analysis cost p50 / p99 (on the event loop)", f"{on['analysis_p50_ms']:.2f} / {on['analysis_p99_ms']:.2f} ms",
         "-", None),
        ("callback p99 listening / not", f"{on['callback_us_p99']:.0f} / {off['callback_us_p99']:.0f} us",
         f"<= {r['block_us'] / 2:.0f} us (half a block)", on["callback_us_p99"] <= r["block_us"] / 2),
        ("underruns listening / not", f"{on['underruns']} / {off['underruns']}", "-", None),
        ("/image/sine -> /square p50 / p99", f"{r['image_sine']['to_square_p50_ms']:.2f} / "
                                              f"{r['image_sine']['to_square_p99_ms']:.2f} ms", "p99 <= 2 ms",
         r["image_sine"]["to_square_p99_ms"] <= 2.0),
        ("/image/sine -> /picture (last reply) p50 / p99", f"{r['image_sine']['to_picture_p50_ms']:.2f} / "
                                                           f"{r['image_sine']['to_picture_p99_ms']:.2f} ms", "-", None),
    ]
    out = ["| measure | value | target | met |", "| --- | --- | --- | --- |"]
    out += [f"| {a} | {b} | {c} | {'-' if m is None else ('yes' if m else '**no**')} |" for a, b, c, m in rows]
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each CPU window")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    pitch, db = 62.0, -8.0
    results: dict[str, Any] = {"machine": {"host": platform.node(), "cpus": os.cpu_count(),
                                           "load_avg": os.getloadavg()}, "rate": RATE, "tone": [pitch, db]}
    with tempfile.TemporaryDirectory() as tmp, jack_server(realtime=True) as server:
        results["jackd_realtime"] = server.realtime
        d = start_daemon(Path(tmp), {"audio": {"device": "system", "input": "system"},
                                          # the /pictslider table's idle fill would share the core being measured
                                          "inference": {"position_table": False}}, env=server.env())
        tone = ToneClient(pitch, db)
        try:
            tone.feed()
            c = d.client()
            want = c.request("/image/sine", pitch, db, reply="/square")
            c.drain(0.2)
            results["block_us"] = d.status()["block_us"]
            c.send("/image/listen", 1)
            results["onset"] = onset_latency(d, c, tone, want)
            tone.want_on = True
            results["cpu_listening"] = cpu_window(d, c, True, a.seconds)
            results["cpu_idle"] = cpu_window(d, c, False, a.seconds)
            results["image_sine"] = image_sine(c)
        finally:
            tone.close()
            d.stop()
    text = table(results)
    print(text)
    out = Path(a.out) if a.out else ROOT / "bench" / "results" / \
        f"listen-{datetime.now().strftime('%Y%m%d-%H%M%S')}-{platform.node()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results | {"table": text}, indent=2, default=float))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
