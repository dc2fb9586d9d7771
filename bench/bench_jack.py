"""The audio side of the benchmark, in a real JACK server: callback time and underruns, idle vs loaded, both bundles.

    python bench/bench_daemon.py --jack        # this, then the usual rows with the daemon playing into JACK
    python bench/bench_jack.py                 # this alone, both shipped bundles (about 3 minutes)
    python bench/bench_jack.py --quick         # 3 s windows: a smoke run, not figures
    python bench/bench_jack.py --bundle digits-fm --window 20
    python bench/bench_jack.py --backend portaudio   # audio.backend for the daemon (native JACK client or PortAudio)

Starts `jackd -R -d dummy -r 48000 -p 128` (falling back to --no-realtime when
realtime scheduling is refused, and saying so) and, for each bundle in turn
(`square-sine`: sine voices; `digits-fm`: FM voices), a daemon with 16 voices
(the daemon's default) playing it into JACK (`bundle.path`, so a SIGHUP reloads
the same bundle), every voice sounding. Five windows of the same length on
the same daemon:

- idle: nothing to do; the VM's own xruns (CPU steal) show up here;
- full control load, from a sender process (bench/soak.py --sender), round-robin
  over the 16 voices: square-sine `/voice/N/pictslider` 1,000/s + `/voice/N/frame`
  (128 x 128) 100/s + `/voice/N/latent/{image,sound}` 200/s; digits-fm (no
  squares) `/voice/N/frame` (28 x 28) 1,100/s + latents 200/s;
- the same load with 3 SIGHUP reloads in it;
- 3 `/bundle NAME` switches (to the other shipped bundle, back, and to it
  again; each waits for its `/bundle` reply) under a load every bundle takes:
  `/voice/N/frame` (28 x 28) 1,100/s + latents 200/s, the latents of either
  bundle in turn (those of the bundle not playing are refused with /error);
  then one more switch back, outside the windows;
- idle again.

Goals (issues 8 and 16): callback p99 under full load <= 2 x the idle p99 of
the same run (the first idle window, before any load) and <= 5 % of the block (133 us at 128 frames / 48 kHz);
underruns under load, across reloads and across switches no more than idle
(per second of window, against the worse of the two idle windows). Callback
times are the engine's own (clock_gettime around the C callback), read from
/status at the end of each window: its p50/p99 are over the last 4096
callbacks (10.9 s), so windows of 12 s (the default) hold only their own;
its max is since the daemon started.
jackd's xruns are counted per window from its log (lines naming a client
that was not finished are attributed to that client). The audio backend is
the one /status.reply names (`audio_backend`), where it names one.
"""
from __future__ import annotations

import argparse
import json
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Client, machine, merge, random_points, start_daemon, write_results  # noqa: E402
from isudt.daemon.bundle import load_manifest, shipped_bundles  # noqa: E402
from isudt.daemon.osc_codec import encode_message  # noqa: E402

WINDOW_S = 12.0
QUICK_WINDOW_S = 3.0
VOICES = 16
SQUARE_LOAD = {"pictslider": 1000.0, "frame": 100.0, "latent": 200.0}     # frames 128 x 128
PICTURE_LOAD = {"frame": 1100.0, "latent": 200.0}                          # frames 28 x 28: every world takes them
RELOADS = 3
SWITCHES = 3
SWITCH_TIMEOUT_S = 30.0
BLOCK_US = 1e6 * 128 / 48000
TARGETS = {"callback_p99_us_load": ("<=", 0.05 * BLOCK_US), "callback_p99_vs_idle": ("<=", 2.0)}
XRUN_CLIENT = re.compile(r"client = (\S+) was not finished")


def load_for(man: Any) -> tuple[dict[str, float], int]:
    """The full control load for a bundle (rates, frame side): its /pictslider where it has squares."""
    return (dict(SQUARE_LOAD), 128) if man.square is not None else (dict(PICTURE_LOAD), 28)


def backend_of(status: dict[str, Any]) -> str | None:
    """The audio backend: as /status.reply names it (`audio_backend`, or any pair named like it), else as its
    `device` string says (`...; native JACK client)` or `...; PortAudio)`), else None."""
    if "audio_backend" in status:
        return str(status["audio_backend"])
    named = next((str(v) for k, v in status.items() if "backend" in k), None)
    if named is not None:
        return named
    device = str(status.get("device", ""))
    if "native JACK client" in device:
        return "jack (native; from the device string)"
    if "PortAudio" in device:
        return "portaudio (from the device string)"
    return None


def xruns_in(log: str) -> dict[str, Any]:
    """jackd's xrun lines in `log`: all of them, and those naming a client that was late, per client."""
    lines = [line for line in log.splitlines() if "xrun" in line.lower()]
    late: dict[str, int] = {}
    for line in log.splitlines():
        if (m := XRUN_CLIENT.search(line)):
            late[m.group(1)] = late.get(m.group(1), 0) + 1
    return {"lines": len(lines), "late_clients": late}


def sound_every_voice(c: Client, man: Any, seed: int) -> None:
    """One `/voice/N/latent/image` per voice (the bundle's own size): all 16 voices sounding."""
    for v, z in enumerate(random_points(man.image_box, VOICES, np.random.default_rng(seed))):
        c.send(encode_message(f"/voice/{v}/latent/image", [float(x) for x in z]))
    time.sleep(0.3)
    c.drain()


def wait_reloads(c: Client, n: int, timeout: float = SWITCH_TIMEOUT_S) -> int:
    """Poll /status until `reloads` reaches `n` (a SIGHUP reload runs off the loop); the count reached."""
    deadline = time.monotonic() + timeout
    got = 0
    while time.monotonic() < deadline:
        got = c.status().get("reloads", 0)
        if got >= n:
            break
        time.sleep(0.2)
    return got


def switch(c: Client, name: str) -> tuple[list | None, float]:
    """`/bundle NAME` and its `/bundle name model_id` reply (None if none came); seconds it took."""
    c.drain()
    t = time.monotonic()
    c.send(encode_message("/bundle", [name]))
    reply = c.wait_for("/bundle", SWITCH_TIMEOUT_S)
    return reply, time.monotonic() - t


def window(d: Any, c: Any, server: Any, seconds: float, load: dict[str, float] | None = None,
           bundles: str = "", frame_side: int = 128, reloads: int = 0,
           switches: tuple[str, ...] = ()) -> dict[str, Any]:
    """One measurement window on a running daemon: underruns, callback p50/p99/max, jackd's xruns, the sender's
    counts; `reloads` SIGHUPs or `switches` (/bundle names, each waited for) spread over it."""
    sender = None
    if load:
        sender = subprocess.Popen([sys.executable, str(ROOT / "bench" / "soak.py"), "--sender", "--port", str(d.addr[1]),
                                   "--seconds", str(seconds), "--voices", str(VOICES), "--bundle", bundles,
                                   "--frame-side", str(frame_side),
                                   *[a for k in ("pictslider", "frame", "latent") for a in (f"--{k}", str(load.get(k, 0)))]],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert sender.stdout is not None          # the window starts when the sender is set up and sending
        if not select.select([sender.stdout], [], [], 60.0)[0] or sender.stdout.readline().strip() != "ready":
            sender.kill()
            raise RuntimeError(f"the load sender did not start: {sender.communicate(timeout=10)[1][-1000:]}")
    st0 = c.status()
    log0 = server.log()
    t0 = time.monotonic()
    events = [("reload", "") for _ in range(reloads)] + [("switch", name) for name in switches]
    done: list[dict[str, Any]] = []
    for i, (kind, name) in enumerate(events):       # spread over the window (a slow switch pushes the next ones)
        time.sleep(max(0.0, t0 + (i + 1) * seconds / (len(events) + 1) - time.monotonic()))
        if kind == "reload":
            d.proc.send_signal(signal.SIGHUP)
            done.append({"reload_at_s": time.monotonic() - t0})
        else:
            reply, took = switch(c, name)
            done.append({"switch_to": name, "reply": reply, "seconds": took})
    time.sleep(max(0.0, seconds - (time.monotonic() - t0)))
    if reloads:
        wait_reloads(c, st0.get("reloads", 0) + reloads)
    took = time.monotonic() - t0
    st1 = c.status()                              # the sender stops sending about now (its `seconds` are up)
    log1 = server.log()
    sent: dict[str, Any] = {}
    if sender is not None:
        out, err = sender.communicate(timeout=seconds + 60)
        sent = json.loads(out.strip().splitlines()[-1]) if sender.returncode == 0 else {"error": err[-1000:]}
    return {"seconds": took, "load": load or {}, "reloads": reloads, "events": done,
            "underruns": st1["underruns"] - st0["underruns"],
            "callbacks": st1["audio_callbacks"] - st0["audio_callbacks"],
            "callback_us_p50": st1["callback_us_p50"], "callback_us_p99": st1["callback_us_p99"],
            "callback_us_max": st1["callback_us_max"], "reloaded": st1["reloads"] - st0["reloads"],
            "handled": st1["handled"] - st0["handled"], "errors": st1["errors"] - st0["errors"],
            "jackd_xruns": xruns_in(log1[len(log0):] if log1.startswith(log0) else ""),
            "backend": backend_of(st1), "device": st1.get("device"), "sender": sent}


def run_bundle(server: Any, work: Path, base: dict[str, Any], path: Path, other: str, seconds: float,
               seed: int = 1) -> dict[str, Any]:
    """One daemon playing the bundle at `path` into JACK: idle, load, reloads, switches (with `other`), idle."""
    man = load_manifest(path, verify=False)
    name = man.name
    load, side = load_for(man)
    cfg = merge(base, {"synth": {"voices": VOICES}, "inference": {"position_table": False},
                       "bundle": {"path": str(path)}})
    d = start_daemon(work, cfg, "system")
    c = Client(d.addr)
    out: dict[str, Any] = {"bundle": name, "model_id": man.model_id, "synth": man.synth.kind if man.synth else None,
                           "load_rates": load, "frame_side": side}
    try:
        time.sleep(1.0)
        sound_every_voice(c, man, seed)
        time.sleep(0.5)
        print(f"JACK {name}: idle window ...", flush=True)
        out["idle"] = window(d, c, server, seconds)
        print(f"JACK {name}: full control load ...", flush=True)
        out["load"] = window(d, c, server, seconds, load, str(path), side)
        print(f"JACK {name}: full load with {RELOADS} reloads ...", flush=True)
        out["reloads"] = window(d, c, server, seconds, load, str(path), side, reloads=RELOADS)
        if other:
            print(f"JACK {name}: {SWITCHES} /bundle switches ({other} and back) under load ...", flush=True)
            names = tuple(other if i % 2 == 0 else name for i in range(SWITCHES))
            out["switches"] = window(d, c, server, seconds, PICTURE_LOAD, f"{path},{other}", 28, switches=names)
            if names[-1] != name:
                reply, took = switch(c, name)                    # back, outside the windows
                out["switch_back"] = {"reply": reply, "seconds": took}
        sound_every_voice(c, man, seed + 1)
        time.sleep(0.5)
        print(f"JACK {name}: idle again ...", flush=True)
        out["idle_after"] = window(d, c, server, seconds)
        out["status_end"] = c.status()
    finally:
        rc, stop_s = d.stop()
    out["exit"], out["stop_s"] = rc, stop_s
    return out


def run(work: Path, base: dict[str, Any], bundles: list[str] | None = None, seconds: float = WINDOW_S) -> dict[str, Any]:
    """Start jackd (realtime if allowed) and measure each bundle's windows (default: the one `base` names,
    else every shipped one); each switches to another shipped bundle and back."""
    from support.jack import jack_server

    shipped = shipped_bundles()
    if bundles is None:
        given = base.get("bundle", {}).get("path")
        bundles = [given] if given else list(shipped)
    paths = [shipped[b] if b in shipped else Path(b).resolve() for b in bundles]
    out: dict[str, Any] = {"window_s": seconds, "voices": VOICES, "bundles": {}}
    with jack_server(rescan_portaudio=False, realtime=True) as server:
        out["jackd_realtime"] = server.realtime
        for path in paths:
            others = [n for n in shipped if n != path.name]
            out["bundles"][path.name] = run_bundle(server, work, base, path, others[0] if others else "", seconds)
        log = server.log()
    out["jackd_xruns"] = xruns_in(log)
    return out


def verdicts(b: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """Each window's goal (text, met) against the same run's idle windows."""
    idle = [b[k] for k in ("idle", "idle_after") if k in b]
    idle_rate = max(w["underruns"] / max(w["seconds"], 1e-9) for w in idle)
    idle_p99 = b["idle"]["callback_us_p99"]          # before any load (idle again may hold the switches' tail)
    out: dict[str, tuple[str, bool]] = {}

    def no_more(w: dict[str, Any]) -> bool:
        return w["underruns"] / max(w["seconds"], 1e-9) <= idle_rate + 1e-12

    w = b["load"]
    bound = min(TARGETS["callback_p99_us_load"][1], TARGETS["callback_p99_vs_idle"][1] * idle_p99)
    ok = w["callback_us_p99"] <= bound and no_more(w)
    out["load"] = (f"p99 <= min(133, 2 x idle {idle_p99:.0f}) = {bound:.0f} us, underruns <= idle", ok)
    w = b["reloads"]
    out["reloads"] = (f"underruns <= idle, {RELOADS} reloads done ({w['reloaded']})",
                      no_more(w) and w["reloaded"] == RELOADS)
    if "switches" in b:
        w = b["switches"]
        good = sum(1 for e in w["events"] if e.get("reply") and e["reply"][0] == e["switch_to"])
        out["switches"] = (f"underruns <= idle, {SWITCHES} switches answered ({good})",
                           no_more(w) and good == SWITCHES)
    return out


def print_table(r: dict[str, Any]) -> None:
    mode = "jackd -R (realtime)" if r["jackd_realtime"] else "jackd --no-realtime (realtime refused)"
    print(f"\nAudio in JACK ({mode}, dummy driver, 48 kHz, 128 frames = {BLOCK_US:.0f} us), {r['voices']} voices, "
          f"{r['window_s']:g} s windows on one daemon per bundle")
    if r["window_s"] * 48000 / 128 < 4096:
        print(f"(windows shorter than the {4096 * 128 / 48000:.1f} s of callbacks /status's p50/p99/max span: each "
              "window's callback figures include the previous window's; a smoke run)")
    for name, b in r["bundles"].items():
        w0 = b["idle"]
        print(f"\n{name} ({b['synth']} voices; audio backend: {w0['backend'] or 'not reported'}, device "
              f"{w0['device']}); load {b['load_rates']}/s, frames {b['frame_side']} a side")
        print("\n| window | underruns | jackd xruns (late clients) | callback p50 / p99 / max since start (us) "
              "| p99 of the block "
              "| goal |\n| --- | --- | --- | --- | --- | --- |")
        goals = verdicts(b)
        for key, label in (("idle", "idle"), ("load", "full control load"),
                           ("reloads", f"full load + {RELOADS} SIGHUP reloads"),
                           ("switches", f"{SWITCHES} `/bundle` switches under load"), ("idle_after", "idle again")):
            if key not in b:
                continue
            w = b[key]
            xr = w["jackd_xruns"]
            late = ", ".join(f"{k} {v}" for k, v in xr["late_clients"].items()) or "-"
            goal = ""
            if key in goals:
                text, ok = goals[key]
                goal = f"{text}: {'ok' if ok else 'MISSED'}"
            print(f"| {label} ({w['seconds']:.1f} s) | {w['underruns']} | {xr['lines']} ({late}) | "
                  f"{w['callback_us_p50']:.0f} / {w['callback_us_p99']:.0f} / {w['callback_us_max']:.0f} | "
                  f"{100 * w['callback_us_p99'] / BLOCK_US:.1f} % | {goal} |")
        if "switches" in b:
            took = [e["seconds"] for e in b["switches"]["events"] if "seconds" in e]
            print(f"| `/bundle` switch, request to reply | {', '.join(f'{t:.2f}' for t in took)} s | | | | |")
        print(f"| daemon exit | {b['exit']} in {b['stop_s']:.3f} s | | | | 0 |")


def main() -> int:
    import tempfile

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--window", type=float, default=None, help=f"seconds per window (default {WINDOW_S:g})")
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_WINDOW_S:g} s windows: a smoke run, not figures")
    ap.add_argument("--bundle", action="append", default=None,
                    help="a shipped bundle's name or a bundle folder (repeatable; default: every shipped one)")
    ap.add_argument("--backend", choices=["auto", "portaudio", "jack"], default=None,
                    help="the daemon's audio.backend (default: the daemon's own default)")
    ap.add_argument("--out", default=None, help="JSON path (default bench/results/jack-<date>-<host>.json)")
    a = ap.parse_args()
    info = machine()
    if info["loadavg_at_start"][0] > 0.5 * (info["cores"] or 1):
        print(f"WARNING: load average {info['loadavg_at_start'][0]:.2f} on {info['cores']} cores: "
              "the machine is busy, these numbers are not final", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="isudt-bench-jack-"))
    base = {"osc": {"port": 0, "reply_port": 0, "reply_to_sender": True},
            "inference": {"providers": "cpu"}, "logging": {"level": "warning"}}
    if a.backend:
        base["audio"] = {"backend": a.backend}
    r = run(work, base, a.bundle, a.window or (QUICK_WINDOW_S if a.quick else WINDOW_S))
    r["machine"] = info
    r["quick"] = a.quick
    print_table(r)
    write_results(r, a.out, f"jack-{time.strftime('%Y%m%d-%H%M%S')}-{info['host']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
