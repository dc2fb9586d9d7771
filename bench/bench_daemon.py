"""Benchmark `isudt serve` from a client on the same machine: round trips, sustained rates, overload, start-up, memory.

    python bench/bench_daemon.py            # about 2 minutes
    python bench/bench_daemon.py --full     # longer runs, repeated start-ups (about 6 minutes)
    python bench/bench_daemon.py --set inference.threads=2   # any config override, repeatable
    python bench/bench_daemon.py --jack     # audio windows in jackd -R (bench_jack.py), then round trips on JACK

Starts the daemon as a subprocess (`start_daemon`: null audio device unless
--device), talks OSC over loopback like a real client, prints a markdown table
against the targets of issue 8 (the control path without hops) and writes
everything as JSON to bench/results/.

What is measured, and how:
- start to ready: Popen until the daemon's `isudt ready:` line (Python start included).
- round trips at 20 msg/s: send, wait for the reply, next message 50 ms later;
  random positions/frames/latents, so nothing repeats. At this rate the
  daemon is idle between requests, so these are the *cold* figures a
  performer's controller sees, not the back-to-back ones; the same requests
  back to back (next one as soon as the reply is in) are reported beside
  them, and `machine_cold_penalty` measures what this machine charges for
  being idle: one small ORT call (the bundle's inversion model) back to back
  and after a 50 ms sleep, in this process, with no daemon involved.
- everything with the position table off (the targets are defined without
  it); then, once, `/pictslider` against a daemon whose table has filled.
- sustained rate: open-loop sending at a fixed rate for a few seconds; a rate
  counts as "answered in full" when every request got its reply (none was
  coalesced) and the p99 round trip stayed under 50 ms. Replies are paired
  with requests in order, which is exact when all are answered.
- above capacity: the daemon must coalesce; we report how long after the last
  request the last reply came (bounded = not seconds behind) and whether that
  last reply is the answer to the last request.
- resident memory (VmRSS, and the peak VmHWM) after the load; audio underruns
  and callback time from `/status`.
Run it on an otherwise idle machine for numbers you report: it warns when the
load average says the machine is busy.
"""
from __future__ import annotations

import argparse
import random
import select
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Client, machine, merge, pct, start_daemon, write_results  # noqa: E402
from isudt.daemon.bundle import default_bundle_dir, load_manifest  # noqa: E402
from isudt.daemon.osc_codec import decode_packet, encode_message  # noqa: E402
from isudt.daemon.square import render_square  # noqa: E402

# issue 8, "Targets": the control path without hops (20 msg/s round trips; sustained rates answered in full)
TARGETS = {
    "latent_image_p50_ms": ("<=", 0.2), "latent_image_p99_ms": ("<=", 0.5),
    "latent_sound_p50_ms": ("<=", 0.2), "latent_sound_p99_ms": ("<=", 0.5),
    "frame_p99_ms": ("<=", 1.5), "pictslider_p99_ms": ("<=", 1.0),
    "pictslider_sustained_per_s": (">=", 1500), "frame_sustained_per_s": (">=", 1000),
    "start_to_ready_s": ("<", 1.0), "rss_mb": ("<", 150.0),
}


# --- measurements ----------------------------------------------------------------

def round_trips(client: Client, messages: list[bytes], rate: float, reply: str = "/sineparams") -> dict[str, Any]:
    """Closed loop at `rate`: one request, its reply, then wait for the next tick."""
    client.drain()
    times, lost = [], 0
    period = 1.0 / rate
    nxt = time.perf_counter()
    for data in messages:
        now = time.perf_counter()
        if nxt > now:
            time.sleep(nxt - now)
        t = time.perf_counter()
        client.send(data)
        if client.wait_for(reply, 1.0) is None:
            lost += 1
        else:
            times.append((time.perf_counter() - t) * 1e3)
        nxt += period
    return {**pct(times), "lost": lost, "rate": rate}


def open_loop(client: Client, messages: list[bytes], rate: float, seconds: float) -> dict[str, Any]:
    """Send at `rate` for `seconds` (no waiting for replies); collect every reply with its arrival time.

    One thread does both, polling the socket until each send is due: a second
    Python thread would fight the sender for the GIL and add its own latency.
    """
    client.drain()
    sock = client.sock
    sock.setblocking(False)
    arrivals: list[tuple[float, bytes]] = []

    def collect(until: float) -> None:
        while True:
            left = until - time.perf_counter()
            ready, _, _ = select.select([sock], [], [], max(0.0, left))
            if not ready:
                if left <= 0:
                    return
                continue
            now = time.perf_counter()
            while True:
                try:
                    data = sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    break
                arrivals.append((now, data))
            if time.perf_counter() >= until:
                return

    n = int(rate * seconds)
    sent: list[float] = []
    t0 = time.perf_counter()
    for i in range(n):
        collect(t0 + i / rate)
        sock.sendto(messages[i % len(messages)], client.addr)
        sent.append(time.perf_counter())
    t_last = sent[-1]
    deadline = time.perf_counter() + 3.0
    while time.perf_counter() < deadline:
        before = len(arrivals)
        collect(time.perf_counter() + 0.3)
        if len(arrivals) == before and arrivals:
            break
    sock.setblocking(True)
    replies = [(t, decode_packet(d)[0]) for t, d in arrivals]
    replies = [(t, m) for t, m in replies if m[0] == "/sineparams"]
    achieved = n / (t_last - t0) if n > 1 else 0.0
    out: dict[str, Any] = {"rate": rate, "achieved_send_rate": achieved, "sent": n, "replies": len(replies),
                           "last_reply_after_last_send_ms": (replies[-1][0] - t_last) * 1e3 if replies else None}
    if len(replies) == n:
        out["latency"] = pct([(t - s) * 1e3 for (t, _), s in zip(replies, sent)])
    out["last_reply"] = replies[-1][1][1] if replies else None
    return out


def sustained(client: Client, make: Any, rates: list[float], seconds: float) -> tuple[float, list[dict]]:
    best, runs = 0.0, []
    for rate in rates:
        r = open_loop(client, make(int(rate * seconds)), rate, seconds)
        full = r["replies"] == r["sent"] and r.get("latency", {}).get("p99", 1e9) < 50.0 \
            and r["achieved_send_rate"] >= 0.95 * rate
        r["answered_in_full"] = full
        runs.append(r)
        print(f"  {rate:>7.0f}/s: sent {r['sent']}, replies {r['replies']}, "
              f"p99 {r.get('latency', {}).get('p99', float('nan')):.2f} ms, in full: {full}", flush=True)
        if full:
            best = rate
        else:
            break
        time.sleep(0.3)
    return best, runs


# --- main -----------------------------------------------------------------------------

def parse_sets(items: list[str]) -> dict[str, Any]:
    """`--set section.key=value` (value parsed as YAML) -> a nested config dict."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or "." not in key:
            raise SystemExit(f"--set {item!r}: expected section.key=value")
        section, name = key.split(".", 1)
        out.setdefault(section, {})[name] = yaml.safe_load(value)
    return out


class Workload:
    """Random request datagrams of each kind (seeded), so nothing repeats between runs of one kind."""

    def __init__(self, manifest: Any, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.spec, self.P = manifest.square, manifest.square.positions
        self.image_box, self.sound_box = manifest.image_box, manifest.sound_box
        self.frames_pool = [encode_message("/frame", [np.round(render_square(self.rng.randrange(self.P),
                                                                            self.rng.randrange(self.P), self.spec)
                                                               * 255).astype(np.uint8).tobytes()])
                            for _ in range(64)]

    def positions(self, n: int) -> list[bytes]:
        return [encode_message("/pictslider", [self.rng.randrange(self.P), self.rng.randrange(self.P)])
                for _ in range(n)]

    def frames(self, n: int) -> list[bytes]:
        return [self.frames_pool[i % len(self.frames_pool)] for i in range(n)]

    def _latents(self, address: str, box: Any, n: int) -> list[bytes]:
        lo, hi = box.lo, box.hi
        return [encode_message(address, [float(v) for v in lo + (hi - lo) * np.array([self.rng.random() for _ in lo])])
                for _ in range(n)]

    def latent_images(self, n: int) -> list[bytes]:
        return self._latents("/latent/image", self.image_box, n)

    def latent_sounds(self, n: int) -> list[bytes]:
        return self._latents("/latent/sound", self.sound_box, n)


def machine_cold_penalty(bundle: Path, n: int = 60) -> dict[str, float]:
    """p50 us of one batch-1 inversion run back to back, and after 50 ms of sleep (no daemon involved)."""
    import onnxruntime as ort

    from isudt.daemon.bundle import session_options

    sess = ort.InferenceSession(str(bundle / "inversion.onnx"), session_options(1), providers=["CPUExecutionProvider"])
    x = np.zeros((1, sess.get_inputs()[0].shape[1]), np.float32)
    out: dict[str, float] = {}
    for name, gap in (("hot_us", 0.0), ("after_50ms_idle_us", 0.05)):
        times = []
        for _ in range(n):
            if gap:
                time.sleep(gap)
            t = time.perf_counter()
            sess.run(None, {"mel": x})
            times.append((time.perf_counter() - t) * 1e6)
        out[name] = float(np.percentile(times, 50))
    return out


def above_capacity(c: Client, make: Callable[[int], list[bytes]], rate: float, secs: float) -> dict[str, Any]:
    """Far beyond capacity: bounded (the last reply soon after the last send) and the last input wins."""
    msgs = make(int(rate * secs))
    r = open_loop(c, msgs, rate, secs)
    time.sleep(0.3)
    c.drain()
    c.send(msgs[(int(rate * secs) - 1) % len(msgs)])
    expect = c.wait_for("/sineparams", 2.0)
    r["expected_last"] = expect
    r["last_reply_is_last_input"] = bool(expect and r["last_reply"] and np.allclose(expect, r["last_reply"], atol=1e-4))
    return r


def table_full(work: Path, base: dict, device: str, load: Workload, n: int, wait_s: float) -> dict[str, Any]:
    """`/pictslider` at 20 msg/s once the daemon's position table has filled (in idle time), if it does in `wait_s`."""
    d = start_daemon(work, merge(base, {"inference": {"position_table": True}}), device)
    c = Client(d.addr)
    t = time.perf_counter()
    total = load.P * load.P
    while (filled := c.status().get("table_filled", 0)) < total and time.perf_counter() - t < wait_s:
        time.sleep(1.0)
    fill_s = time.perf_counter() - t
    print(f"position table: {filled}/{total} filled in {fill_s:.0f} s", flush=True)
    r = round_trips(c, load.positions(n), 20) if filled >= total else {"n": 0}
    d.stop()
    return {**r, "filled": filled, "fill_s": fill_s}


def finish_on_jack(a: argparse.Namespace, work: Path, base: dict, load: Workload, results: dict,
                   info: dict) -> int:
    """--jack: the 20 msg/s round trips again with the daemon playing into JACK (realtime), then the JSON."""
    from support.jack import jack_server

    with jack_server(rescan_portaudio=False, realtime=True):
        d = start_daemon(work, base, "system")
        c = Client(d.addr)
        time.sleep(0.5)
        for name, make in (("latent_image", load.latent_images), ("latent_sound", load.latent_sounds),
                           ("frame", load.frames), ("pictslider", load.positions)):
            results[name] = r = round_trips(c, make(200), 20)
            print(f"| `{name}` round trip p50 / p99 at 20 msg/s, playing into JACK | {r.get('p50', float('nan')):.3f}"
                  f" / {r.get('p99', float('nan')):.3f} ms | {verdict(name + '_p99_ms', r.get('p99'))} |")
        results["status_after_load"] = c.status()
        d.stop()
    write_results(results, a.out, f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{info['host']}-jack")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="longer runs (about 6 minutes)")
    ap.add_argument("--device", default="null", help="audio device for the daemon (default null)")
    ap.add_argument("--jack", action="store_true",
                    help="first the audio windows in a private jackd -R (bench_jack.py), then these rows on JACK")
    ap.add_argument("--bundle", default=None, help="bundle directory (default: the packaged one)")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="config override for the daemon under test (repeatable)")
    ap.add_argument("--out", default=None, help="JSON path (default bench/results/<date>-<host>.json)")
    a = ap.parse_args()
    full = a.full
    info = machine()
    if info["loadavg_at_start"][0] > 0.5 * (info["cores"] or 1):
        print(f"WARNING: load average {info['loadavg_at_start'][0]:.2f} on {info['cores']} cores: "
              "the machine is busy, these numbers are not final", file=sys.stderr)
    manifest = load_manifest(a.bundle or default_bundle_dir(), verify=False)
    load = Workload(manifest)
    work = Path(tempfile.mkdtemp(prefix="isudt-bench-"))
    base = merge({"osc": {"port": 0, "reply_port": 0, "reply_to_sender": True},
                  "inference": {"providers": "cpu", "position_table": False}, "logging": {"level": "warning"}},
                 parse_sets(a.set))
    if a.bundle:
        base["bundle"] = {"path": str(Path(a.bundle).resolve())}
    results: dict[str, Any] = {"machine": info, "full": full, "device": a.device, "config": base,
                               "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    if a.jack:
        import bench_jack
        results["jack_audio"] = jack = bench_jack.run(work, base)
        bench_jack.print_table(jack)
        return finish_on_jack(a, work, base, load, results, info)
    results["machine_cold_penalty"] = machine_cold_penalty(Path(a.bundle) if a.bundle else default_bundle_dir())
    print(f"machine: one small ORT run {results['machine_cold_penalty']['hot_us']:.0f} us back to back, "
          f"{results['machine_cold_penalty']['after_50ms_idle_us']:.0f} us after 50 ms idle", flush=True)

    starts = []
    for _ in range(3 if full else 2):
        d = start_daemon(work, base, a.device)
        starts.append(d.ready_s)
        rc, stop_s = d.stop()
        results.setdefault("stop", []).append({"rc": rc, "seconds": stop_s})
    results["start_to_ready_s"] = pct(starts)
    print(f"start to ready: {[round(s, 3) for s in starts]}", flush=True)

    d = start_daemon(work, base, a.device)
    c = Client(d.addr)
    time.sleep(0.5)
    results["rss_idle_mb"] = d.rss_mb()[0]
    n20 = 1200 if full else 200
    print(f"round trips at 20 msg/s ({n20} each) ...", flush=True)
    for name, make in (("latent_image", load.latent_images), ("latent_sound", load.latent_sounds),
                       ("frame", load.frames), ("pictslider", load.positions)):
        results[name] = round_trips(c, make(n20), 20)
        results[name + "_back_to_back"] = b2b = round_trips(c, make(n20), 1e9)
        print(f"  {name}: p50 {results[name].get('p50', float('nan')):.3f} ms, "
              f"p99 {results[name].get('p99', float('nan')):.3f} ms, lost {results[name]['lost']}; back to back "
              f"p50 {b2b.get('p50', float('nan')):.3f} ms", flush=True)
    secs = 5.0 if full else 2.0
    print("sustained /pictslider ...", flush=True)
    best_p, runs_p = sustained(c, load.positions, [500, 1000, 1500, 2000, 3000, 4000, 6000, 8000], secs)
    print("sustained /frame ...", flush=True)
    best_f, runs_f = sustained(c, load.frames, [250, 500, 1000, 1500, 2000, 3000, 4000], secs)
    results["pictslider_sustained"] = {"best_per_s": best_p, "runs": runs_p}
    results["frame_sustained"] = {"best_per_s": best_f, "runs": runs_f}

    print("above capacity ...", flush=True)
    over = {}
    for name, make, rate in (("pictslider", load.positions, max(4 * best_p, 20000)),
                             ("frame", load.frames, max(4 * best_f, 4000))):
        over[name] = r = above_capacity(c, make, rate, secs)
        print(f"  {name} at {rate:.0f}/s: replies {r['replies']}/{r['sent']}, last reply "
              f"{r['last_reply_after_last_send_ms'] or float('nan'):.1f} ms after the last send, reflects last input: "
              f"{r['last_reply_is_last_input']}", flush=True)
    results["above_capacity"] = over
    results["status_after_load"] = c.status()
    results["rss_after_load_mb"], results["rss_peak_mb"] = d.rss_mb()
    rc, stop_s = d.stop()
    results["stop"].append({"rc": rc, "seconds": stop_s})
    results["pictslider_table_full"] = table_full(work, base, a.device, load, n20, 150.0 if full else 90.0)

    st = results["status_after_load"]
    summary: dict[str, Any] = {f"{k}_{q}_ms": results[k].get(q) for k in ("latent_image", "latent_sound", "frame",
                                                                          "pictslider") for q in ("p50", "p99")}
    summary.update({
        "pictslider_sustained_per_s": best_p, "frame_sustained_per_s": best_f,
        "start_to_ready_s": results["start_to_ready_s"]["max"],
        "rss_mb": max(results["rss_after_load_mb"], results["rss_peak_mb"]),
        "underruns": st.get("underruns"),
    })
    results["summary"] = summary
    print_table(results, summary)
    write_results(results, a.out, f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{info['host']}{'-full' if full else ''}")
    return 0


def verdict(key: str, value: Any) -> str:
    if key not in TARGETS or value is None:
        return ""
    op, target = TARGETS[key]
    good = {"<=": value <= target, "<": value < target, ">=": value >= target, "==": value == target}[op]
    return f"{op} {target:g} {'ok' if good else 'MISSED'}"


def print_table(results: dict, summary: dict) -> None:
    m = results["machine"]
    print(f"\nMachine: {m['cpu']}, {m['cores']} cores, Python {m['python']}; load at start "
          f"{m['loadavg_at_start'][0]:.2f}; audio device {results.get('device', 'null')}")
    print("\n| measure | value | target |\n| --- | --- | --- |")
    rows = []
    for name, label in (("latent_image", "`/latent/image`"), ("latent_sound", "`/latent/sound`"),
                        ("frame", "`/frame` 128x128 blob"), ("pictslider", "`/pictslider`")):
        for q in ("p50", "p99"):
            rows.append((f"{label} round trip {q} (20 msg/s)", f"{name}_{q}_ms", "ms"))
    rows += [
        ("`/pictslider` sustained, answered in full", "pictslider_sustained_per_s", "/s"),
        ("`/frame` sustained, answered in full", "frame_sustained_per_s", "/s"),
        ("start to ready (worst)", "start_to_ready_s", "s"),
        ("resident memory (peak)", "rss_mb", "MB"),
        ("audio underruns (whole run)", "underruns", ""),
    ]
    for label, key, unit in rows:
        v = summary[key]
        shown = "n/a" if v is None else (f"{v:.3f} {unit}" if isinstance(v, float) else f"{v} {unit}")
        print(f"| {label} | {shown.strip()} | {verdict(key, v)} |")
    tf = results.get("pictslider_table_full", {})
    if tf.get("n"):
        print(f"| `/pictslider` round trip p50 / p99, position table full (filled in {tf['fill_s']:.0f} s idle) | "
              f"{tf['p50']:.3f} / {tf['p99']:.3f} ms | |")
    b2b = [f"{n.split('_')[-1] if n.startswith('latent') else n} {results[n + '_back_to_back'].get('p50', 0):.3f}"
           for n in ("latent_image", "latent_sound", "frame", "pictslider")]
    print(f"| round trip p50 back to back (image, sound, frame, pictslider) | {', '.join(b2b)} ms | |")
    cp = results["machine_cold_penalty"]
    print(f"| this machine: one small ORT run, back to back / after 50 ms idle | {cp['hot_us']:.0f} / "
          f"{cp['after_50ms_idle_us']:.0f} us | |")
    for name, r in results["above_capacity"].items():
        after = r["last_reply_after_last_send_ms"]
        print(f"| above capacity, `/{name}` at {r['rate']:.0f}/s: replies, last reply after last send, "
              f"reflects last input | {r['replies']}/{r['sent']}, "
              f"{'n/a' if after is None else f'{after:.1f} ms'}, "
              f"{'yes' if r['last_reply_is_last_input'] else 'NO'} | bounded |")
    st = results["status_after_load"]
    cb = st.get("callback_us_p99")
    if cb is not None:
        print(f"| audio callback p99 | {cb:.0f} us | |")
    print(f"| shutdown (SIGTERM to exit) | {max(s['seconds'] for s in results['stop']):.3f} s, "
          f"exit {sorted({s['rc'] for s in results['stop']})} | < 1 s, 0 |")


if __name__ == "__main__":
    sys.exit(main())
