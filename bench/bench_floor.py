"""The daemon's control path against its floor, measured in the same run: a C and a Python (uvloop) UDP echo beside it.

    python bench/bench_floor.py             # both shipped bundles, 15 s windows (about 4 minutes)
    python bench/bench_floor.py --quick     # 3 s windows: a smoke run (under a minute)
    python bench/bench_floor.py --bundle digits-fm --window 20

Issue 16's targets are written against what this machine can do at all, not
against fixed numbers: a round trip to the daemon is compared with a round
trip to an echo server that does nothing, measured in the same minutes. Three
servers run side by side, each a process of its own:

- echo-C (bench/echo_udp.c, compiled here with gcc -O2 -Wall -Wextra -Werror
  into a temporary folder): one blocking recvfrom and one sendto;
- echo-py (bench/echo_udp.py): Python asyncio on uvloop, the daemon's own
  transport with nothing behind it;
- the daemon (`isudt serve`, null audio device, 16 voices, the bundle by
  `bundle.path`, position table off), for each shipped bundle in turn
  (`square-sine`: 2-D latents, sine; `digits-fm`: 3-D latents, FM).

Round trips at 20/s per server, interleaved: the client sends one request,
waits for its reply, and the next request goes to the next server 1/60 s
later (the order rotates every round), so every server sees a request every
50 ms (idle in between, as a performer's controller leaves it) and every row
is measured under the same machine conditions, seconds apart. The echo
servers get the very datagrams the daemon gets (the same payload sizes) and
send them back; a daemon round trip ends at its `/sineparams` or
`/synthparams` reply (the sound that plays). One window per request kind:
`/latent/image`, `/latent/sound`, `/frame` with a 128 x 128 and a 28 x 28
blob (lone blobs: square pictures). The client is this process, doing
nothing else meanwhile (blocking receive, sleeps between sends, garbage
collection off during a window); the daemon's reply is recognised by its
first bytes, not decoded, so each row pays the same client cost.

Then, with digits-fm: 16 voices driven at 1,000 requests a second in all
(`/voice/N/frame` 28 x 28, `/voice/N/latent/image`, `/voice/N/frame`,
`/voice/N/latent/sound` in turn, voices round-robin), measured by a client
process of its own that does nothing else (`bench_floor.py --rtt`: asyncio on
uvloop, sends timed by the event loop's timer, never a busy loop; replies
paired with requests per voice, in order); the same client against echo-py
at the same load gives that row's floor.

Targets (issue 16): `/latent/*` p50 <= echo-py p50 + 0.3 ms and p99 <=
echo-py p99 + 1 ms; `/frame` p50 <= echo-py p50 + 0.8 ms; 16 voices at
1,000/s: every reply received (none coalesced, no /error) and p99 < 10 ms.
Prints one table and writes JSON to bench/results/floor-<date>-<host>.json.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (Client, bundle_config, machine, merge, pct, random_latents, random_points,  # noqa: E402
                    square_frames, start_daemon, write_results)
from isudt.daemon.bundle import load_manifest, shipped_bundles  # noqa: E402
from isudt.daemon.osc_codec import encode_message  # noqa: E402

BENCH = Path(__file__).resolve().parent
RATE = 20.0                      # requests per second to each server
WINDOW_S = 15.0
QUICK_WINDOW_S = 3.0
VOICES = 16
VOICES_RATE = 1000.0             # requests per second in all, over the 16 voices
VOICES_BUNDLE = "digits-fm"
KINDS = ("latent_image", "latent_sound", "frame128", "frame28")
LABELS = {"latent_image": "`/latent/image`", "latent_sound": "`/latent/sound`",
          "frame128": "`/frame` 128 x 128", "frame28": "`/frame` 28 x 28"}
# issue 16, "Targets": margins over echo-py (ms) for each kind and quantile
MARGINS = {("latent_image", "p50"): 0.3, ("latent_image", "p99"): 1.0, ("latent_sound", "p50"): 0.3,
           ("latent_sound", "p99"): 1.0, ("frame128", "p50"): 0.8, ("frame28", "p50"): 0.8}
VOICES_P99_MS = 10.0
PARAMS_REPLIES = (b"/sineparams\0", b"/synthparams\0")


# --- the servers -----------------------------------------------------------------------------------

@dataclass
class Server:
    """A server process on loopback that printed `port N` when it started listening."""

    name: str
    proc: subprocess.Popen
    port: int

    @property
    def addr(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def stop(self) -> int | None:
        self.proc.terminate()
        try:
            return self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)


def start_server(name: str, cmd: list[str], timeout: float = 15.0) -> Server:
    """Start `cmd` and read its `port N` line (bounded: a server that says nothing in `timeout` s is an error)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline() if ready else ""
    if not line.startswith("port "):
        proc.kill()
        _, err = proc.communicate(timeout=5)
        raise SystemExit(f"{name} did not start ({' '.join(cmd)}): {line!r} {err[-1000:]}")
    return Server(name, proc, int(line.split()[1]))


def build_echo_c(folder: Path) -> Path:
    """Compile bench/echo_udp.c (gnu11, -O2, every warning an error) into `folder`; the binary's path."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        raise SystemExit("bench_floor needs a C compiler (gcc) for the C echo server")
    exe = folder / "echo_udp"
    r = subprocess.run([cc, "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-o", str(exe),
                        str(BENCH / "echo_udp.c")], capture_output=True, text=True)
    if r.returncode != 0 or r.stderr.strip():
        raise SystemExit(f"echo_udp.c did not compile cleanly:\n{r.stderr}")
    return exe


# --- interleaved round trips (this process) ----------------------------------------------------------

@dataclass
class Target:
    """One server as the interleaved client sees it: a socket of its own, and what counts as the reply."""

    name: str
    client: Client
    echo: bool                  # an echo answers with the request itself; the daemon with /sineparams|/synthparams

    def is_reply(self, data: bytes) -> bool:
        return True if self.echo else data.startswith(PARAMS_REPLIES)

    def drain(self) -> None:
        """Drop whatever arrived since the last round trip (the daemon's `/latent/sound` after its params)."""
        sock = self.client.sock
        sock.setblocking(False)
        try:
            while True:
                sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            pass
        finally:
            sock.setblocking(True)

    def round_trip(self, data: bytes, timeout: float = 1.0) -> float | None:
        """Send, block until the reply, return the milliseconds (None: no reply within `timeout`)."""
        sock = self.client.sock
        t = time.perf_counter()
        sock.sendto(data, self.client.addr)
        deadline = t + timeout
        while (left := deadline - time.perf_counter()) > 0:
            sock.settimeout(left)
            try:
                reply = sock.recv(65536)
            except (socket.timeout, OSError):
                return None
            if self.is_reply(reply):
                return (time.perf_counter() - t) * 1e3
        return None


def interleaved(targets: list[Target], messages: list[bytes], rate: float) -> dict[str, Any]:
    """Each message to every target once, a round per 1/`rate` s; sends spread evenly, the order rotating."""
    slot = 1.0 / (rate * len(targets))
    times: dict[str, list[float]] = {t.name: [] for t in targets}
    lost = {t.name: 0 for t in targets}
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter() + 0.05
        for r, data in enumerate(messages):
            for j in range(len(targets)):
                tgt = targets[(r + j) % len(targets)]
                tgt.drain()
                due = t0 + (r * len(targets) + j) * slot
                if (wait := due - time.perf_counter()) > 0:
                    time.sleep(wait)
                ms = tgt.round_trip(data)
                if ms is None:
                    lost[tgt.name] += 1
                else:
                    times[tgt.name].append(ms)
    finally:
        gc.enable()
    return {name: {**pct(v), "lost": lost[name]} for name, v in times.items()}


# --- 16 voices at 1,000/s: a client process of its own (`--rtt`) -----------------------------------------

def voice_requests(bundle: str, n: int, voices: int, seed: int) -> list[tuple[int, bytes]]:
    """`n` requests (voice, datagram): voices round-robin, each voice's kinds in turn (frame 28 x 28,
    latent/image, frame, latent/sound), latents uniform in the bundle's boxes, so nothing repeats."""
    man = load_manifest(shipped_bundles()[bundle], verify=False)
    rng = np.random.default_rng(seed)
    frames = square_frames(64, 28, rng)
    images = random_points(man.image_box, n, rng)
    sounds = random_points(man.sound_box, n, rng)
    out = []
    for i in range(n):
        v, kind = i % voices, (i // voices) % 4
        if kind in (0, 2):
            out.append((v, encode_message(f"/voice/{v}/frame", [frames[i % len(frames)]])))
        elif kind == 1:
            out.append((v, encode_message(f"/voice/{v}/latent/image", [float(x) for x in images[i]])))
        else:
            out.append((v, encode_message(f"/voice/{v}/latent/sound", [float(x) for x in sounds[i]])))
    return out


class RttClient(asyncio.DatagramProtocol):
    """Pairs each reply with its voice's oldest unanswered request (the daemon answers a voice in order)."""

    def __init__(self, voices: int, echo: bool) -> None:
        self.echo = echo
        self.pending: list[deque[float]] = [deque() for _ in range(voices)]
        self.rtt: list[float] = []
        self.counts = {"params": 0, "latent_sound": 0, "error": 0, "unpaired": 0, "other": 0}

    def datagram_received(self, data: bytes, addr: Any) -> None:
        now = time.perf_counter()
        address = data[:data.find(b"\0")]
        if address.startswith(b"/voice/"):
            slash = address.find(b"/", 7)
            v, tail = int(address[7:slash]), address[slash:]
            if self.echo or tail in (b"/sineparams", b"/synthparams"):
                if self.pending[v]:
                    self.rtt.append((now - self.pending[v].popleft()) * 1e3)
                    self.counts["params"] += 1
                else:
                    self.counts["unpaired"] += 1
                return
            if tail == b"/latent/sound":
                self.counts["latent_sound"] += 1
                return
        self.counts["error" if address == b"/error" else "other"] += 1

    def error_received(self, exc: Exception) -> None:
        self.counts["other"] += 1

    def outstanding(self) -> int:
        return sum(len(q) for q in self.pending)


async def rtt_run(port: int, requests: list[tuple[int, bytes]], rate: float, voices: int, echo: bool) -> dict:
    """Send `requests` at `rate` (each when its time has come, by the loop's timer), collect the replies."""
    loop = asyncio.get_running_loop()
    proto = RttClient(voices, echo)
    transport, _ = await loop.create_datagram_endpoint(lambda: proto, local_addr=("127.0.0.1", 0),
                                                       remote_addr=("127.0.0.1", port))
    transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    late: list[float] = []
    latent_images = sum(1 for _, d in requests if b"/latent/image\0" in d[:24])
    gc.collect()
    gc.disable()
    t0 = time.perf_counter() + 0.05
    i, n = 0, len(requests)
    while i < n:
        now = time.perf_counter()
        due = min(n, int((now - t0) * rate) + 1)
        while i < due:
            v, data = requests[i]
            t = time.perf_counter()
            proto.pending[v].append(t)
            transport.sendto(data)
            late.append((t - (t0 + i / rate)) * 1e3)
            i += 1
        # whole milliseconds, at least one: uvloop's timers count in ms, and a shorter sleep returns at once
        # (a busy loop that would measure this process, not the daemon); a send up to ~1 ms late is timed from
        # when it went out, and how late it was is reported
        await asyncio.sleep(max(1, math.ceil((t0 + i / rate - time.perf_counter()) * 1e3)) / 1e3)
    t_last = time.perf_counter()
    while proto.outstanding() and time.perf_counter() - t_last < 2.0:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)                 # the last /latent/sound after its params
    gc.enable()
    transport.close()
    return {"sent": n, "latent_image_sent": latent_images, "seconds": t_last - t0,
            "achieved_rate": n / max(1e-9, t_last - t0), "replies": proto.counts, "unanswered": proto.outstanding(),
            "rtt_ms": pct(proto.rtt), "send_late_ms": pct(late), "echo": echo}


def rtt_main(a: argparse.Namespace) -> int:
    """`--rtt`: the client process of the 16-voice row; prints its result as one JSON line."""
    import uvloop

    requests = voice_requests(a.bundle_name, int(a.seconds * a.rate), a.voices, a.seed)
    print(json.dumps(uvloop.run(rtt_run(a.port, requests, a.rate, a.voices, a.echo))), flush=True)
    return 0


def voices_window(port: int, seconds: float, echo: bool) -> dict[str, Any]:
    """Run the `--rtt` client process against `port` and wait for it (this process sleeps meanwhile)."""
    cmd = [sys.executable, __file__, "--rtt", "--port", str(port), "--seconds", str(seconds), "--rate",
           str(VOICES_RATE), "--voices", str(VOICES), "--bundle-name", VOICES_BUNDLE, *(["--echo"] if echo else [])]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    if p.returncode != 0:
        return {"error": p.stderr[-2000:]}
    return json.loads(p.stdout.strip().splitlines()[-1])


# --- one bundle ---------------------------------------------------------------------------------------------

def kind_messages(kind: str, man: Any, n: int, rng: np.random.Generator) -> list[bytes]:
    if kind == "latent_image":
        return random_latents("/latent/image", man.image_box, n, rng)
    if kind == "latent_sound":
        return random_latents("/latent/sound", man.sound_box, n, rng)
    side = 128 if kind == "frame128" else 28
    pool = square_frames(64, side, rng)
    return [encode_message("/frame", [pool[i % len(pool)]]) for i in range(n)]


def run_bundle(name: str, work: Path, echoes: list[Server], window: float, voices: bool,
               seed: int, keep_warm_ms: float | None = None) -> dict[str, Any]:
    """The four kinds' interleaved windows against one daemon playing `name`; then the 16-voice row if asked."""
    man = load_manifest(shipped_bundles()[name], verify=False)
    cfg = merge({"osc": {"port": 0, "reply_port": 0, "reply_to_sender": True},
                 "inference": {"providers": "cpu", "position_table": False}, "logging": {"level": "warning"}},
                bundle_config(name))
    if keep_warm_ms is not None:   # the daemon's default otherwise
        cfg = merge(cfg, {"inference": {"keep_warm_ms": keep_warm_ms}})
    d = start_daemon(work, cfg)
    control = Client(d.addr)
    targets = [Target(s.name, Client(s.addr), echo=True) for s in echoes] + [Target("daemon", Client(d.addr), False)]
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {"bundle": name, "model_id": man.model_id, "image_latent": man.image_latent,
                           "sound_latent": man.sound_latent, "synth": man.synth.kind if man.synth else None,
                           "ready_s": d.ready_s}
    try:
        time.sleep(0.5)
        st0 = control.status()
        for kind in KINDS:
            n = max(10, int(window * RATE))
            msgs = kind_messages(kind, man, n + 10, rng)
            interleaved(targets, msgs[:10], RATE)                 # warm-up: every path run once, untimed
            r = interleaved(targets, msgs[10:], RATE)
            r["payload_bytes"] = float(np.mean([len(m) for m in msgs]))
            out[kind] = r
            print(f"  {name} {kind} ({r['payload_bytes']:.0f} B): " + ", ".join(
                f"{t} p50 {r[t].get('p50', float('nan')):.3f} / p99 {r[t].get('p99', float('nan')):.3f} ms"
                for t in r if t != "payload_bytes"), flush=True)
        if voices:
            echo_py = next(s for s in echoes if s.name == "echo-py")
            for label, port, echo in (("daemon", d.addr[1], False), ("echo-py", echo_py.port, True)):
                print(f"  {name}: {VOICES} voices at {VOICES_RATE:.0f}/s to {label} ({window:.0f} s) ...", flush=True)
                before = control.status() if not echo else {}
                r = voices_window(port, window, echo)
                if not echo:
                    time.sleep(0.2)
                    after = control.status()
                    r["daemon_counters"] = {k: after.get(k, 0) - before.get(k, 0)
                                            for k in ("received", "handled", "coalesced", "errors", "dropped",
                                                      "replies_failed", "overflowed")}
                out[f"voices_{label}"] = r
        out["status_end"] = st1 = control.status()
        out["daemon_counters"] = {k: st1.get(k, 0) - st0.get(k, 0)
                                  for k in ("received", "handled", "coalesced", "errors", "dropped", "replies_failed")}
    finally:
        rc, stop_s = d.stop()
    out["exit"], out["stop_s"] = rc, stop_s
    return out


# --- the table --------------------------------------------------------------------------------------------

def rows(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """The bundle's rows: the floor (echo-C, echo-py: no target) and the daemon against echo-py + margin."""
    out: list[dict[str, Any]] = []
    name = bundle["bundle"]
    for kind in KINDS:
        r = bundle[kind]
        size = f"{r['payload_bytes']:.0f} B"
        for t, label in (("echo-c", "echo-C"), ("echo-py", "echo-py")):
            out.append({"bundle": name, "row": f"{label}, {LABELS[kind]}'s datagram ({size})", "target": "floor",
                        "measured": f"p50 {r[t].get('p50', float('nan')):.3f} / p99 {r[t].get('p99', float('nan')):.3f}"
                                    f" ms{lost_note(r[t])}", "met": None})
        for q in ("p50", "p99"):
            dm, fl = r["daemon"].get(q), r["echo-py"].get(q)
            margin = MARGINS.get((kind, q))
            if margin is None:
                out.append({"bundle": name, "row": f"{LABELS[kind]} round trip {q}", "target": "(none)",
                            "measured": f"{dm:.3f} ms" if dm is not None else "n/a", "met": None})
                continue
            bound = None if fl is None else fl + margin
            met = None if dm is None or bound is None else bool(dm <= bound and r["daemon"]["lost"] == 0)
            out.append({"bundle": name, "row": f"{LABELS[kind]} round trip {q}",
                        "target": f"<= echo-py + {margin:g} = {bound:.3f} ms" if bound is not None else "n/a",
                        "measured": (f"{dm:.3f} ms" if dm is not None else "n/a") + lost_note(r["daemon"]),
                        "met": met, "value_ms": dm, "bound_ms": bound})
    for label in ("echo-py", "daemon"):
        v = bundle.get(f"voices_{label}")
        if v is None:
            continue
        if "error" in v:
            out.append({"bundle": name, "row": f"{VOICES} voices at {VOICES_RATE:.0f}/s, {label}", "target": "",
                        "measured": "client failed: " + v["error"].strip().splitlines()[-1], "met": False})
            continue
        rep, rtt = v["replies"], v["rtt_ms"]
        measured = (f"p50 {rtt.get('p50', float('nan')):.2f} / p99 {rtt.get('p99', float('nan')):.2f} ms; "
                    f"{rep['params']}/{v['sent']} answered at {v['achieved_rate']:.0f}/s")
        if label == "echo-py":
            out.append({"bundle": name, "row": f"{VOICES} voices' requests at {VOICES_RATE:.0f}/s to echo-py "
                        "(the same client)", "target": "floor", "measured": measured, "met": None})
            continue
        cnt = v.get("daemon_counters", {})
        complete = (rep["params"] == v["sent"] and rep["latent_sound"] == v["latent_image_sent"]
                    and rep["error"] == 0 and v["unanswered"] == 0 and cnt.get("coalesced", 0) == 0
                    and cnt.get("replies_failed", 0) == 0)
        measured += (f", {rep['latent_sound']}/{v['latent_image_sent']} `/latent/sound`, {rep['error']} /error, "
                     f"{cnt.get('coalesced', '?')} coalesced")
        p99 = rtt.get("p99")
        met = bool(complete and p99 is not None and p99 < VOICES_P99_MS
                   and v["achieved_rate"] >= 0.95 * VOICES_RATE)
        out.append({"bundle": name, "row": f"{VOICES} voices at {VOICES_RATE:.0f}/s in all (`/voice/N/frame` 28 x 28, "
                    "`/voice/N/latent/*`), own client process",
                    "target": f"every reply, p99 < {VOICES_P99_MS:g} ms", "measured": measured, "met": met,
                    "value_ms": p99})
    return out


def lost_note(r: dict[str, Any]) -> str:
    return f", {r['lost']} lost" if r.get("lost") else ""


def print_table(results: dict[str, Any]) -> None:
    m = results["machine"]
    print(f"\nMachine: {m['cpu']}, {m['cores']} cores, Python {m['python']}; load at start "
          f"{m['loadavg_at_start'][0]:.2f}; {results['window_s']:g} s windows, {RATE:g} requests/s to each server, "
          "interleaved; daemon on the null audio device, 16 voices")
    print("\n| bundle | row | target | measured | met |\n| --- | --- | --- | --- | --- |")
    for r in results["rows"]:
        met = "" if r["met"] is None else ("met" if r["met"] else "MISSED")
        print(f"| {r['bundle']} | {r['row']} | {r['target']} | {r['measured']} | {met} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--window", type=float, default=None, help=f"seconds per window (default {WINDOW_S:g})")
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_WINDOW_S:g} s windows: a smoke run, not figures")
    ap.add_argument("--bundle", action="append", default=None, choices=sorted(shipped_bundles()),
                    help="a shipped bundle (repeatable; default: every shipped one)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep-warm-ms", type=float, default=None,
                    help="the daemon's inference.keep_warm_ms (default: the daemon's own; 0 turns it off)")
    ap.add_argument("--out", default=None, help="JSON path (default bench/results/floor-<date>-<host>.json)")
    ap.add_argument("--rtt", action="store_true", help=argparse.SUPPRESS)     # the 16-voice client process
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--seconds", type=float, default=10.0, help=argparse.SUPPRESS)
    ap.add_argument("--rate", type=float, default=VOICES_RATE, help=argparse.SUPPRESS)
    ap.add_argument("--voices", type=int, default=VOICES, help=argparse.SUPPRESS)
    ap.add_argument("--bundle-name", default=VOICES_BUNDLE, help=argparse.SUPPRESS)
    ap.add_argument("--echo", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.rtt:
        return rtt_main(a)
    window = a.window or (QUICK_WINDOW_S if a.quick else WINDOW_S)
    bundles = a.bundle or list(shipped_bundles())
    info = machine()
    if info["loadavg_at_start"][0] > 0.5 * (info["cores"] or 1):
        print(f"WARNING: load average {info['loadavg_at_start'][0]:.2f} on {info['cores']} cores: "
              "the machine is busy, these numbers are not final", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="isudt-bench-floor-"))
    results: dict[str, Any] = {"machine": info, "window_s": window, "quick": a.quick, "rate_per_server": RATE,
                               "keep_warm_ms": a.keep_warm_ms,
                               "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "bundles": {}}
    echoes = [start_server("echo-c", [str(build_echo_c(work))]),
              start_server("echo-py", [sys.executable, str(BENCH / "echo_udp.py")])]
    try:
        for name in bundles:
            print(f"{name}: interleaved round trips, {window:g} s per kind ...", flush=True)
            results["bundles"][name] = run_bundle(name, work, echoes, window, name == VOICES_BUNDLE, a.seed,
                                                    a.keep_warm_ms)
    finally:
        for s in echoes:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)
    results["rows"] = [r for b in results["bundles"].values() for r in rows(b)]
    results["loadavg_at_end"] = list(os.getloadavg())
    print_table(results)
    write_results(results, a.out, f"floor-{datetime.now().strftime('%Y%m%d-%H%M%S')}-{info['host']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
