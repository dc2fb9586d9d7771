"""Soak and flood the daemon for a long time; report memory growth, underruns and error counters.

    python bench/soak.py                          # 600 s at full control load (null audio)
    python bench/soak.py --seconds 60 --jack      # CI length, playing into a private jackd (dummy driver, -R)
    python bench/soak.py --mode flood --seconds 10 --senders 2 --sockets 4 --jack

Soak: the benchmark's full control load, from several voices at once:
`/voice/N/pictslider` at 2000/s (the sustained target in docs/architecture.md),
`/voice/N/frame` (128 x 128 uint8 squares) at 300/s and `/voice/N/latent/image`
+ `/voice/N/latent/sound` at 300/s, round-robin over the voices, paced by a
sender in its own process (so the sampler never competes with it for the
GIL). The daemon's resident memory (VmRSS) is sampled every second;
**growth** is the RSS at the end (mean of the last 3 samples) against the RSS
when warm-up ends (first 20 % of the run; mean of the 3 samples there), in
percent (target < 5 %). A least-squares slope over the post-warm-up samples
is reported too (MB/min), as is the peak.

Flood: `tests/support/fuzz.py flood` senders (half junk, half valid, as fast
as they can) for `--seconds`; reports the achieved send rate, the rate that
reached the daemon's socket (the kernel drops the rest), /error replies that
came back to the senders (rate-limited), underruns, RSS before/peak/after.

With --jack the daemon plays into a private `jackd -R -d dummy` (falling
back to --no-realtime if realtime scheduling is refused), and the soak first
measures the underruns of the same daemon *idle* for `--idle-seconds`: this
VM's CPU steal causes some xruns whatever the code does, so the load is judged
against that baseline (target: no more underruns per minute than idle).

Both print a table and write JSON to bench/results/ (or --out).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
FUZZ = ROOT / "tests" / "support" / "fuzz.py"

from common import Client, Daemon, machine, square_frames, start_daemon, write_results  # noqa: E402
from isudt.daemon.bundle import load_manifest  # noqa: E402
from isudt.daemon.osc_codec import encode_message  # noqa: E402

GROWTH_TARGET_PCT = 5.0
WARMUP_FRACTION = 0.2


# --- the load (runs in a child process: `soak.py --sender ...`) -------------------------

def sender(port: int, seconds: float, voices: int, rates: dict[str, float], seed: int = 1,
           bundles: tuple[str, ...] = ("square-sine",), frame_side: int = 128) -> dict[str, Any]:
    """Send the control load, paced every millisecond; count replies. Returns the counts as a dict.

    `bundles` (names or folders) give the latents' sizes and boxes; with more than one, the latent requests
    take each bundle's in turn (a load that keeps half its latents valid across `/bundle` switches; the
    others are refused with /error). `/pictslider` needs the first bundle to have squares; frames are
    `frame_side` a side (`common.square_frames`), which every bundle takes.
    """
    from isudt.daemon.bundle import resolve_bundle

    mans = [load_manifest(resolve_bundle(b), verify=False) for b in bundles]
    spec = mans[0].square
    if rates.get("pictslider", 0) > 0 and spec is None:
        raise SystemExit(f"--pictslider: bundle {mans[0].name} has no squares")
    P = spec.positions if spec is not None else 0
    rng = random.Random(seed)
    frames = square_frames(64, frame_side, np.random.default_rng(seed))

    def make(kind: str, i: int) -> bytes:
        v = i % voices
        if kind == "pictslider":
            return encode_message(f"/voice/{v}/pictslider", [rng.randrange(P), rng.randrange(P)])
        if kind == "frame":
            return encode_message(f"/voice/{v}/frame", [frames[i % len(frames)]])
        man = mans[(i // 2) % len(mans)]
        box, address = (man.image_box, "latent/image") if i % 2 else (man.sound_box, "latent/sound")
        z = box.lo + (box.hi - box.lo) * np.array([rng.random() for _ in box.lo])
        return encode_message(f"/voice/{v}/{address}", [float(x) for x in z])

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("127.0.0.1", 0))
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    sent = {k: 0 for k in rates}
    replies = {"sineparams": 0, "synthparams": 0, "latent_sound": 0, "error": 0, "other": 0}
    failed = 0

    def drain() -> None:
        while True:
            try:
                data = sock.recv(65536)
            except (BlockingIOError, InterruptedError, ConnectionRefusedError):
                return
            if b"/sineparams\0" in data[:32]:
                replies["sineparams"] += 1
            elif b"/synthparams\0" in data[:32]:
                replies["synthparams"] += 1
            elif data.startswith(b"/error\0"):
                replies["error"] += 1
            elif b"/latent/sound\0" in data[:32]:
                replies["latent_sound"] += 1
            else:
                replies["other"] += 1

    print("ready", flush=True)      # set up: a caller may start its window now (the JSON line comes last)
    t0 = time.perf_counter()
    end = t0 + seconds
    while (now := time.perf_counter()) < end:
        elapsed = now - t0
        for kind, rate in rates.items():
            due = int(elapsed * rate)
            while sent[kind] < due:
                try:
                    sock.send(make(kind, sent[kind]))
                except OSError:
                    failed += 1
                sent[kind] += 1
        drain()
        time.sleep(0.001)
    took = time.perf_counter() - t0
    stop = time.monotonic() + 0.5
    while time.monotonic() < stop:
        drain()
        time.sleep(0.01)
    sock.close()
    return {"seconds": took, "sent": sent, "rates": {k: n / took for k, n in sent.items()},
            "replies": replies, "send_failed": failed}


# --- helpers ------------------------------------------------------------------------------------

@contextlib.contextmanager
def maybe_jack(use: bool) -> Iterator[dict[str, str]]:
    """A private jackd (dummy driver) for the run, or nothing. Yields the daemon's extra config."""
    if not use:
        yield {}
        return
    sys.path.insert(0, str(ROOT / "tests"))
    from support.jack import jack_server
    with jack_server(rescan_portaudio=False, realtime=True) as server:   # sets JACK_DEFAULT_SERVER
        os.environ["JACK_NO_START_SERVER"] = "1"
        yield {"device": "system", "server": server.name, "realtime": server.realtime}


def start(work: Path, jack: dict[str, str], voices: int, level: str = "warning") -> Daemon:
    cfg = {"osc": {"port": 0, "reply_port": 0, "reply_to_sender": True}, "synth": {"voices": voices},
           "inference": {"providers": "cpu"}, "logging": {"level": level}}
    return start_daemon(work, cfg, jack.get("device", "null"))


def rss(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in text.splitlines() if line.startswith("VmRSS:"))) / 1024.0


def growth(samples: list[tuple[float, float]], total: float) -> dict[str, float]:
    """RSS growth after warm-up: end vs warm-up end (percent), least-squares slope (MB/min), peak."""
    warm_end = WARMUP_FRACTION * total
    after = [(t, r) for t, r in samples if t >= warm_end]
    if len(after) < 4:
        return {"growth_pct": float("nan")}
    base = float(np.mean([r for _, r in after[:3]]))
    end = float(np.mean([r for _, r in after[-3:]]))
    t, r = np.array(after).T
    slope = float(np.polyfit(t, r, 1)[0]) * 60.0 if len(t) > 2 else 0.0
    return {"rss_start_mb": samples[0][1], "rss_warm_mb": base, "rss_end_mb": end,
            "rss_peak_after_warmup_mb": float(r.max()), "growth_pct": 100.0 * (end - base) / base,
            "slope_mb_per_min": slope, "warmup_s": warm_end}


def jack_label(jack: dict[str, Any]) -> str:
    if not jack:
        return "null"
    return "jack (dummy driver, " + ("realtime)" if jack.get("realtime") else "no realtime)")


def idle_underruns(c: Client, seconds: float) -> dict[str, float]:
    """Underruns of the daemon with nothing to do, over `seconds`: the machine's own baseline."""
    st0 = status_safe(c)
    time.sleep(seconds)
    st1 = status_safe(c)
    n = st1.get("underruns", 0) - st0.get("underruns", 0)
    return {"seconds": seconds, "underruns": n, "per_min": 60.0 * n / seconds if seconds else 0.0}


def status_safe(c: Client) -> dict[str, Any]:
    try:
        return c.status()
    except Exception:  # noqa: BLE001 - a reply lost under load: try again next time
        return {}


# --- soak ---------------------------------------------------------------------------------------

def soak(a: argparse.Namespace) -> dict[str, Any]:
    rates = {"pictslider": a.pictslider, "frame": a.frame, "latent": a.latent}
    work = Path(tempfile.mkdtemp(prefix="isudt-soak-"))
    with maybe_jack(a.jack) as jack:
        d = start(work, jack, a.voices)
        c = Client(d.addr)
        time.sleep(0.5)
        idle = idle_underruns(c, a.idle_seconds)
        st0 = status_safe(c)
        proc = subprocess.Popen([sys.executable, __file__, "--sender", "--port", str(d.addr[1]), "--seconds",
                                 str(a.seconds), "--voices", str(a.voices), "--pictslider", str(a.pictslider),
                                 "--frame", str(a.frame), "--latent", str(a.latent)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        t0 = time.monotonic()
        samples: list[tuple[float, float]] = []
        statuses: list[tuple[float, dict]] = []
        next_print = 10.0
        while proc.poll() is None and time.monotonic() - t0 < a.seconds + 30:
            t = time.monotonic() - t0
            samples.append((t, rss(d.proc.pid)))
            if int(t) % 5 == 0:
                st = status_safe(c)
                if st:
                    statuses.append((t, st))
            if t >= next_print:
                st = statuses[-1][1] if statuses else {}
                print(f"  {t:6.0f} s  RSS {samples[-1][1]:7.1f} MB  handled {st.get('handled', '?')}  "
                      f"coalesced {st.get('coalesced', '?')}  underruns {st.get('underruns', '?')}", flush=True)
                next_print += max(10.0, a.seconds / 10)
            time.sleep(max(0.0, 1.0 - (time.monotonic() - t0 - t)))
        out, err = proc.communicate(timeout=30)
        load = json.loads(out.strip().splitlines()[-1]) if proc.returncode == 0 else {"error": err[-2000:]}
        time.sleep(0.5)
        st1 = status_safe(c)
        rc, stop_s = d.stop()
    g = growth(samples, a.seconds)
    keys = ("received", "handled", "coalesced", "errors", "dropped", "underruns", "audio_callbacks", "replies_failed")
    return {"workdir": work, "mode": "soak", "seconds": a.seconds, "voices": a.voices, "target_rates": rates,
            "audio": jack_label(jack), "load": load, "rss_samples": samples, "idle": idle,
            "memory": g, "status_start": st0, "status_end": st1,
            "counters": {k: (st1.get(k, 0) - st0.get(k, 0)) for k in keys if k in st1},
            "callback_us_p99": st1.get("callback_us_p99"), "exit_code": rc, "stop_s": stop_s,
            "stderr_tail": d.log[-20:]}


def print_soak(r: dict[str, Any]) -> None:
    g, cnt, load = r["memory"], r["counters"], r["load"]
    ok = "ok" if g.get("growth_pct", 1e9) < GROWTH_TARGET_PCT else "MISSED"
    achieved = ", ".join(f"{k} {v:.0f}/s" for k, v in load.get("rates", {}).items())
    print(f"\nSoak: {r['seconds']:.0f} s, {r['voices']} voices, audio {r['audio']}; load achieved: {achieved}")
    print("\n| measure | value | target |\n| --- | --- | --- |")
    print(f"| RSS at start / end of warm-up ({g.get('warmup_s', 0):.0f} s) / end | {g.get('rss_start_mb', 0):.1f} / "
          f"{g.get('rss_warm_mb', 0):.1f} / {g.get('rss_end_mb', 0):.1f} MB | |")
    print(f"| RSS growth after warm-up | {g.get('growth_pct', float('nan')):+.2f} % | < {GROWTH_TARGET_PCT:g} % {ok} |")
    print(f"| RSS slope after warm-up / peak | {g.get('slope_mb_per_min', 0):+.3f} MB/min / "
          f"{g.get('rss_peak_after_warmup_mb', 0):.1f} MB | |")
    print(f"| messages received / handled / coalesced | {cnt.get('received', 0)} / {cnt.get('handled', 0)} / "
          f"{cnt.get('coalesced', 0)} | |")
    print(f"| errors / dropped / replies failed | {cnt.get('errors', 0)} / {cnt.get('dropped', 0)} / "
          f"{cnt.get('replies_failed', 0)} | 0 |")
    idle = r.get("idle", {})
    per_min = 60.0 * cnt.get("underruns", 0) / r["seconds"]
    verdict = "ok" if per_min <= idle.get("per_min", 0.0) + 1e-9 else "MISSED"
    print(f"| underruns / audio callbacks under load | {cnt.get('underruns', 0)} / {cnt.get('audio_callbacks', 0)} "
          f"({per_min:.2f}/min) | <= idle {verdict} |")
    if idle.get("seconds"):
        print(f"| underruns idle, same daemon, {idle['seconds']:.0f} s before the load | {idle['underruns']} "
              f"({idle['per_min']:.2f}/min) | baseline |")
    print(f"| callback p99 at the end | {r.get('callback_us_p99')} us | |")
    print(f"| replies at the sender | {load.get('replies', {})} | |")
    print(f"| shutdown | exit {r['exit_code']} in {r['stop_s']:.3f} s | 0, < 1 s |")


# --- flood ------------------------------------------------------------------------------------

def flood(a: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="isudt-flood-"))
    with maybe_jack(a.jack) as jack:
        d = start(work, jack, a.voices)
        c = Client(d.addr)
        time.sleep(0.5)
        st0 = status_safe(c)
        rss0 = rss(d.proc.pid)
        start_at = time.time() + 1.5
        procs = [subprocess.Popen([sys.executable, str(FUZZ), "flood", "--port", str(d.addr[1]), "--seconds",
                                   str(a.seconds), "--sockets", str(a.sockets), "--mix", a.mix, "--seed", str(k),
                                   "--start-at", repr(start_at)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for k in range(a.senders)]
        peak = rss0
        t0 = time.monotonic()
        while any(p.poll() is None for p in procs) and time.monotonic() - t0 < a.seconds + 30:
            peak = max(peak, rss(d.proc.pid))
            time.sleep(0.2)
        results = []
        for p in procs:
            out, err = p.communicate(timeout=30)
            results.append(json.loads(out.strip().splitlines()[-1]) if p.returncode == 0 else {"error": err[-500:]})
        time.sleep(0.5)
        t = time.monotonic()
        st1 = status_safe(c)
        status_s = time.monotonic() - t
        rss1 = rss(d.proc.pid)
        rc, stop_s = d.stop()
    sent = sum(r.get("sent", 0) for r in results)
    secs = max(r.get("seconds", a.seconds) for r in results)
    arrived = st1.get("datagrams", 0) - st0.get("datagrams", 0)
    return {"workdir": work, "mode": "flood", "seconds": secs, "senders": a.senders, "sockets": a.senders * a.sockets, "mix": a.mix,
            "audio": "jack (dummy driver)" if a.jack else "null", "sent": sent, "send_rate": sent / secs,
            "arrived": arrived, "arrived_rate": arrived / secs,
            "errors_received": sum(r.get("errors_received", 0) for r in results),
            "replies_received": sum(r.get("replies_received", 0) for r in results),
            "error_reply_bound": 20 + 20 * (secs + 1.0),
            "rss_before_mb": rss0, "rss_peak_mb": peak, "rss_after_mb": rss1, "status_after_s": status_s,
            "status_answered": bool(st1), "underruns": st1.get("underruns", 0) - st0.get("underruns", 0),
            "audio_callbacks": st1.get("audio_callbacks", 0) - st0.get("audio_callbacks", 0),
            "errors": st1.get("errors", 0) - st0.get("errors", 0), "senders_detail": results,
            "callback_us_p99": st1.get("callback_us_p99"), "callback_us_max": st1.get("callback_us_max"),
            "exit_code": rc, "stop_s": stop_s}


def print_flood(r: dict[str, Any]) -> None:
    print(f"\nFlood: {r['senders']} sender process(es), {r['sockets']} socket(s), mix {r['mix']}, "
          f"{r['seconds']:.1f} s, audio {r['audio']}")
    print("\n| measure | value | target |\n| --- | --- | --- |")
    print(f"| sent (achieved send rate) | {r['sent']} ({r['send_rate']:.0f}/s) | >= 50000/s |")
    print(f"| reached the daemon | {r['arrived']} ({r['arrived_rate']:.0f}/s) | |")
    print(f"| /error replies at the senders | {r['errors_received']} | <= {r['error_reply_bound']:.0f} |")
    print(f"| RSS before / peak / after | {r['rss_before_mb']:.1f} / {r['rss_peak_mb']:.1f} / {r['rss_after_mb']:.1f} MB | flat |")
    print(f"| underruns / audio callbacks during the flood | {r['underruns']} / {r['audio_callbacks']} | |")
    print(f"| audio callback p99 / max (last 4096 callbacks) | {r['callback_us_p99']} / {r['callback_us_max']} us | |")
    print(f"| /status afterwards | {'answered' if r['status_answered'] else 'NO ANSWER'} in "
          f"{1e3 * r['status_after_s']:.0f} ms | answered |")
    print(f"| shutdown | exit {r['exit_code']} in {r['stop_s']:.3f} s | 0, < 1 s |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=["soak", "flood"], default="soak")
    ap.add_argument("--seconds", type=float, default=None, help="default 600 (soak), 10 (flood)")
    ap.add_argument("--voices", type=int, default=4)
    ap.add_argument("--pictslider", type=float, default=2000.0, help="/pictslider per second (soak)")
    ap.add_argument("--frame", type=float, default=300.0, help="/frame per second (soak)")
    ap.add_argument("--latent", type=float, default=300.0, help="/latent/image + /latent/sound per second (soak)")
    ap.add_argument("--senders", type=int, default=1, help="flood sender processes")
    ap.add_argument("--sockets", type=int, default=1, help="sockets per flood sender")
    ap.add_argument("--mix", choices=["junk", "valid", "mixed"], default="mixed")
    ap.add_argument("--jack", action="store_true", help="play into a private jackd (dummy driver, realtime)")
    ap.add_argument("--idle-seconds", type=float, default=None,
                    help="idle baseline before the soak (default: 60 with --jack, else 0)")
    ap.add_argument("--out", default=None, help="JSON path (default bench/results/<mode>-<date>-<host>.json)")
    ap.add_argument("--sender", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--bundle", default="square-sine", help=argparse.SUPPRESS)      # --sender: names/dirs, comma-separated
    ap.add_argument("--frame-side", type=int, default=128, help=argparse.SUPPRESS)  # --sender: the frames' side
    a = ap.parse_args()
    if a.sender:
        print(json.dumps(sender(a.port, a.seconds, a.voices,
                                {"pictslider": a.pictslider, "frame": a.frame, "latent": a.latent},
                                bundles=tuple(a.bundle.split(",")), frame_side=a.frame_side)), flush=True)
        return 0
    if a.seconds is None:
        a.seconds = 600.0 if a.mode == "soak" else 10.0
    if a.idle_seconds is None:
        a.idle_seconds = min(60.0, a.seconds) if a.jack else 0.0
    info = machine()
    if info["loadavg_at_start"][0] > 0.5 * (info["cores"] or 1):
        print(f"NOTE: load average {info['loadavg_at_start'][0]:.2f} on {info['cores']} cores: the machine is busy",
              file=sys.stderr)
    r = soak(a) if a.mode == "soak" else flood(a)
    shutil.rmtree(r.pop("workdir"), ignore_errors=True)
    r["machine"] = info
    r["loadavg_at_end"] = os.getloadavg()
    (print_soak if a.mode == "soak" else print_flood)(r)
    write_results(r, a.out, f"{a.mode}-{datetime.now().strftime('%Y%m%d-%H%M%S')}-{info['host']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
