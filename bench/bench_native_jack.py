"""How often jackd reports the daemon's JACK client late, beside a plain C client (jack_metro), idle and loaded.

    python bench/bench_native_jack.py                  # 3 rounds x (20 s idle + 20 s loaded), about 3.5 min
    python bench/bench_native_jack.py --seconds 5 --rounds 1     # a quick look

Why: issue 16 asks the daemon to be "as robust as a native JACK client":
beside two busy-looping processes, jackd reported the daemon's client late
about 2.5 x as often as `jack_metro` at the same realtime priority. Target:
daemon count <= 1.5 x the native client's count + 3 over three rounds.

What runs, all clients of one private jackd (`jackd -R -d dummy -r 48000 -p
128`, falling back to --no-realtime, which the table says):

- the daemon on PortAudio's JACK host API (`audio.backend: portaudio`),
- the daemon on the engine's native JACK backend (`audio.backend: jack`),
- `jack_metro -b 120 -n metro` (libjack's own example client, C),

each daemon with 16 voices sounding (digits-fm by default: FM voices, the
heavier callback). Rounds alternate an idle window and a loaded window (two
`sh -c 'while :; do :; done'` processes, one per core of a 2-core machine),
so both kinds of window see the same drift of the machine.

What is counted: jackd prints (at its default log level, no -v needed)
``JackEngine::XRun: client = NAME was not finished, state = ...`` when a
client had not finished the previous cycle at the next one, and
``JackEngine::XRun: client NAME finished after current callback`` when it
finished too late. Both are "late" for NAME; the lines are counted per client
in each window's slice of jackd's log. ``JackTimedDriver::Process XRun`` (the
dummy driver itself woke late) is counted apart as "driver".

Beside the counts, the table says where each late client was (Triggered:
woken but not yet on a CPU when the next cycle began; Running: inside its
callback; after: finished past the deadline) and what the scheduler says of
each client's realtime thread over the windows (/proc/PID/task/TID/schedstat:
CPU time and runqueue wait per wake-up; page faults): the cost of each layer
at the same engine work. The "engine in C (no Python)" row is
bench/engine_jack_client.c: the daemon's engine on the native backend in a
plain C process, the same voices (--no-c-client leaves it out).

Placement (measured here, and why the default pins): under two busy loops
the kernel keeps each realtime thread where it is, and which client shares
jackd's CPU decides the counts more than anything the client does. Left to
the kernel (`--natural`), jack_metro sat on jackd's CPU and the daemon's
thread on the other (sampled 100 times a second; migrations under load:
daemon 0, jack_metro 16), and the daemon was late 13-17 times to jack_metro's
1-3 (native backend), 23-28 to 5-14 (PortAudio). Pinned in turn, half of
every window on each CPU (the default), the same pairs read 9 vs 11 and 12
vs 10 (native), 8 vs 5 (PortAudio): the comparison at the same priority and
the same placement. The C client with the daemon's engine (below) shows it
is not the daemon either: alone beside jack_metro, left to the kernel, it
was late 18 times to jack_metro's 4 (`--backends "" --natural`).

Reading it: every realtime client has jackd's client priority (SCHED_FIFO 5
beside jackd's 10), so with more clients than cores they queue behind each
other; the clients started later (the C client, jack_metro) wait longest
(see "wait us"), which makes runs with several daemons kinder to the daemons
than a daemon alone beside jack_metro (`--backends portaudio`, `--backends
jack`). Smoke runs on a shared 2-core development VM say little about the
final figures: the lead measures those on an idle machine.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Client, machine, start_daemon, write_results  # noqa: E402

LATE = re.compile(r"JackEngine::XRun: client(?: =)? (?P<name>.+?) (?:was not (?:finished|run)(?:, state = (?P<state>\w+))?"
                  r"|finished after)")
DRIVER = re.compile(r"JackTimedDriver::Process XRun|JackAudioDriver::ProcessAsync: read error")
METRO_NAME = "metro"
C_CLIENT_NAME = "engine-c"
ROOT = Path(__file__).resolve().parents[1]
BUSY = ["sh", "-c", "while :; do :; done"]
BACKENDS = ("portaudio", "jack")


def target(native: int) -> float:
    """The issue's bound on a client's late count, given the native client's count."""
    return 1.5 * native + 3


def jack_clients() -> set[str]:
    """Client names owning ports on the current server (JACK_DEFAULT_SERVER), from jack_lsp."""
    out = subprocess.run(["jack_lsp"], capture_output=True, text=True, timeout=10).stdout
    return {line.split(":", 1)[0] for line in out.splitlines() if ":" in line}


def connect_to_playback(client: str) -> None:
    """Connect `client`'s output ports to system:playback_1, _2 ... in order, as the daemon's are (jack_metro
    connects nothing itself; a client that feeds the driver is one the driver waits for, like the daemon)."""
    out = subprocess.run(["jack_lsp", "-p"], capture_output=True, text=True, timeout=10).stdout.splitlines()
    ports = [line.strip() for i, line in enumerate(out) if line.startswith(client + ":")
             and i + 1 < len(out) and "output" in out[i + 1]]
    for i, port in enumerate(ports[:2]):
        subprocess.run(["jack_connect", port, f"system:playback_{i + 1}"], capture_output=True, timeout=10)


def wait_new_client(before: set[str], timeout: float = 10.0) -> str:
    """The one client that appeared since `before` (a daemon's stream opens after its ready line, or just before)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = jack_clients() - before
        if len(new) == 1:
            return new.pop()
        time.sleep(0.1)
    raise RuntimeError(f"no single new JACK client after {timeout} s (new: {jack_clients() - before})")


def count_late(text: str) -> tuple[dict[str, int], dict[str, dict[str, int]], int]:
    """(late count per client name, the same by state, driver xruns) in a slice of jackd's log.

    The state says where the client was when the next cycle began: Triggered
    (woken, but its thread had not got a CPU yet), Running (inside its process
    callback), "after" (finished, but after the cycle's deadline).
    """
    late: dict[str, int] = {}
    states: dict[str, dict[str, int]] = {}
    driver = 0
    for line in text.splitlines():
        m = LATE.search(line)
        if m:
            name, state = m.group("name"), m.group("state") or "after"
            late[name] = late.get(name, 0) + 1
            states.setdefault(name, {})[state] = states.get(name, {}).get(state, 0) + 1
        elif DRIVER.search(line):
            driver += 1
    return late, states, driver


def rt_threads(pid: int) -> list[int]:
    """The SCHED_FIFO/SCHED_RR threads of process `pid`: libjack's process thread of each client it holds."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[38]) in (1, 2):          # stat field 41, policy: SCHED_FIFO, SCHED_RR
            found.append(int(task.name))
    return found


def schedstat(pid: int, tids: list[int]) -> tuple[int, int, int, int, int]:
    """(ns on a CPU, ns runnable but waiting for a CPU, times scheduled, page faults, CPU migrations) summed
    over `tids` (/proc/.../schedstat, minflt + majflt of /proc/.../stat, se.nr_migrations of /proc/.../sched)."""
    total = [0, 0, 0, 0, 0]
    for tid in tids:
        try:
            vals = [int(v) for v in Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()]
            fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
            sched = Path(f"/proc/{pid}/task/{tid}/sched").read_text()
        except OSError:
            continue
        vals.append(int(fields[7]) + int(fields[9]))     # stat fields 10 and 12: minflt, majflt
        m = re.search(r"se\.nr_migrations\s*:\s*(\d+)", sched)
        vals.append(int(m.group(1)) if m else 0)
        total = [a + b for a, b in zip(total, vals)]
    return total[0], total[1], total[2], total[3], total[4]


def build_c_client(work: Path) -> Path | None:
    """bench/engine_jack_client.c with the engine and the backend (the module's flags); None without gcc."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        return None
    exe = work / "engine_jack_client"
    d = ROOT / "daemon"
    subprocess.run([cc, "-std=gnu11", "-O2", "-fno-math-errno", "-Wall", "-Wextra", f"-I{d}",
                    str(ROOT / "bench" / "engine_jack_client.c"), str(d / "engine.c"), str(d / "jack_backend.c"),
                    "-lm", "-ldl", "-lpthread", "-o", str(exe)], check=True, timeout=120)
    return exe


def sound_voices(c: Client, voices: int) -> int:
    """Make every voice sound (/voice/N/latent/sound with the bundle's latent width); active voices after."""
    from isudt.daemon.osc_codec import encode_message
    c.drain()
    c.send(encode_message("/state"))
    width = 2
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        m = c.recv(0.5)
        if m is not None and m[0] == "/state/latent":
            width = int(m[1][1])
            break
    for v in range(voices):
        z = [(-0.5 + v / max(1, voices - 1)) * (1 if k % 2 == 0 else -1) for k in range(width)]
        c.send(encode_message(f"/voice/{v}/latent/sound", [float(x) for x in z]))
    time.sleep(0.5)
    return int(c.status().get("active_voices", -1))


def pin(threads: dict[str, tuple[int, list[int]]], half: int) -> dict[str, int]:
    """Client i's realtime thread on CPU (i + half) % 2: each client spends half of every window on jackd's CPU."""
    where = {}
    for i, (label, (_, tids)) in enumerate(threads.items()):
        cpu = (i + half) % 2
        for tid in tids:
            try:
                os.sched_setaffinity(tid, {cpu})
            except OSError:
                pass
        where[label] = cpu
    return where


def window(server: Any, seconds: float, loaded: bool, threads: dict[str, tuple[int, list[int]]],
           swap: bool) -> dict[str, Any]:
    """One window: jackd's log slice while `seconds` pass (with two busy loops when `loaded`), and what the
    scheduler says of each client's realtime thread (CPU time and time spent runnable but not running, per
    wake-up: the second is what a "Triggered" late client was waiting for).

    With `swap` (jackd's realtime thread pinned to CPU 0), the clients' threads are pinned to CPUs 0 and
    1 in turn, swapped at half time, and the late reports are counted per half: which client shares
    jackd's CPU decides much (measured: the one that does is woken where jackd just went to sleep, the
    other needs the other CPU, which a busy loop holds and the VM's host may have descheduled)."""
    start = len(server.log())
    before = {label: schedstat(pid, tids) for label, (pid, tids) in threads.items()}
    busy = [subprocess.Popen(BUSY) for _ in range(2)] if loaded else []
    halves = []
    try:
        if swap:
            for half in (0, 1):
                mark = len(server.log())
                where = pin(threads, half)
                time.sleep(seconds / 2)
                halves.append({"cpu": where, "late": count_late(server.log()[mark:])[0]})
        else:
            time.sleep(seconds)
    finally:
        for p in busy:
            p.kill()
            p.wait(5)
    sched = {}
    for label, (pid, tids) in threads.items():
        run, wait, slices, faults, moves = (a - b for a, b in zip(schedstat(pid, tids), before[label]))
        sched[label] = {"run_us_per_wake": run / 1e3 / max(1, slices), "wait_us_per_wake": wait / 1e3 / max(1, slices),
                        "wakes": slices, "page_faults": faults, "migrations": moves}
    text = server.log()[start:]
    late, states, driver = count_late(text)
    lines = [line for line in text.splitlines() if LATE.search(line) or DRIVER.search(line)]
    return {"loaded": loaded, "seconds": seconds, "late": late, "states": states, "driver_xruns": driver,
            "sched": sched, "halves": halves, "lines": lines[:200]}


def run(a: argparse.Namespace) -> dict[str, Any]:
    from support.jack import jack_server

    work = Path(tempfile.mkdtemp(prefix="isudt-bench-native-jack-"))
    base: dict[str, Any] = {"osc": {"port": 0, "reply_port": 0, "reply_to_sender": True}, "web": {"enabled": False},
            "inference": {"providers": "cpu", "position_table": False}, "logging": {"level": "warning"},
            "synth": {"voices": a.voices}, "bundle": {"path": a.bundle}}
    if a.mlock:
        base["audio"] = {"mlock": True}
    rows: dict[str, str] = {}          # row label -> JACK client name
    threads: dict[str, tuple[int, list[int]]] = {}   # row label -> (pid, its realtime threads)
    daemons = []
    metro = None
    c_client = None
    with jack_server(rescan_portaudio=False, realtime=True) as server:
        if not server.realtime:
            print("jackd refused realtime scheduling: running --no-realtime (the counts mean less)", flush=True)
        try:
            if a.metro_first:       # jackd triggers clients in the order they joined: metro's turn comes first
                before = jack_clients()
                metro = subprocess.Popen(["jack_metro", "-b", "120", "-n", METRO_NAME], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
                rows["jack_metro"] = wait_new_client(before)
                connect_to_playback(rows["jack_metro"])
            for backend in a.backends:
                before = jack_clients()
                d = start_daemon(work, {**base, "audio": {**base.get("audio", {}), "backend": backend}}, "system")
                daemons.append(d)
                name = wait_new_client(before)
                c = Client(d.addr)
                st = c.status()
                active = sound_voices(c, a.voices)
                rows[f"daemon ({backend})"] = name
                threads[f"daemon ({backend})"] = (d.proc.pid, rt_threads(d.proc.pid))
                print(f"daemon on {backend}: JACK client {name!r}, device {st.get('device')!r}, "
                      f"{active} voices sounding", flush=True)
            exe = build_c_client(work) if a.c_client else None
            if exe is not None:
                before = jack_clients()
                total_s = 2 * a.rounds * a.seconds + 30
                c_client = subprocess.Popen([str(exe), C_CLIENT_NAME, str(a.voices), str(total_s)],
                                            stdout=subprocess.DEVNULL)
                rows["engine in C (no Python)"] = wait_new_client(before)
                time.sleep(0.5)
                threads["engine in C (no Python)"] = (c_client.pid, rt_threads(c_client.pid))
            if metro is None:
                before = jack_clients()
                metro = subprocess.Popen(["jack_metro", "-b", "120", "-n", METRO_NAME], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
                rows["jack_metro"] = wait_new_client(before)
                connect_to_playback(rows["jack_metro"])
            time.sleep(1.0)
            threads["jack_metro"] = (metro.pid, rt_threads(metro.pid))
            if a.swap:
                for tid in rt_threads(server.proc.pid):
                    os.sched_setaffinity(tid, {0})
            print("realtime threads: " + "; ".join(f"{k} {v[1]}" for k, v in threads.items()), flush=True)
            windows = []
            for r in range(a.rounds):
                for loaded in (False, True):
                    print(f"round {r + 1}/{a.rounds}: {'loaded' if loaded else 'idle'} {a.seconds:.0f} s ...",
                          flush=True)
                    windows.append(window(server, a.seconds, loaded, threads, a.swap))
            statuses = {f"daemon ({b})": Client(d.addr).status() for b, d in zip(a.backends, daemons)}
            underruns = {k: st.get("underruns") for k, st in statuses.items()}
            engine_us = {k: {q: st.get(f"callback_us_{q}") for q in ("p50", "p99", "max")} for k, st in statuses.items()}
        finally:
            for p in (metro, c_client):
                if p is not None:
                    p.terminate()
                    p.wait(5)
            exits = [d.stop()[0] for d in daemons]
        realtime = server.realtime
    totals: dict[str, dict[str, int]] = {}
    for label, name in rows.items():
        totals[label] = {kind: sum(w["late"].get(name, 0) for w in windows if w["loaded"] == (kind == "loaded"))
                         for kind in ("idle", "loaded")}
    states: dict[str, dict[str, int]] = {}
    for label, name in rows.items():
        for w in windows:
            for k, v in w["states"].get(name, {}).items():
                states.setdefault(label, {})[k] = states.get(label, {}).get(k, 0) + v
    sched: dict[str, dict[str, float]] = {}
    for label in rows:
        for kind in ("idle", "loaded"):
            ws = [w["sched"][label] for w in windows if w["loaded"] == (kind == "loaded")]
            wakes = sum(x["wakes"] for x in ws)
            sched.setdefault(label, {})[f"run_us_{kind}"] = sum(x["run_us_per_wake"] * x["wakes"] for x in ws) / max(1, wakes)
            sched[label][f"wait_us_{kind}"] = sum(x["wait_us_per_wake"] * x["wakes"] for x in ws) / max(1, wakes)
            sched[label][f"faults_{kind}"] = sum(x["page_faults"] for x in ws)
            sched[label][f"migrations_{kind}"] = sum(x["migrations"] for x in ws)
    return {"jackd_realtime": realtime, "states": states, "sched": sched, "mlock": a.mlock,
            "metro_first": a.metro_first, "order": list(rows), "swap": a.swap,
            "by_cpu": by_cpu(windows, rows), "rounds": a.rounds, "seconds": a.seconds, "voices": a.voices,
            "bundle": a.bundle, "clients": rows, "totals": totals, "windows": windows,
            "driver_xruns": {k: sum(w["driver_xruns"] for w in windows if w["loaded"] == (k == "loaded"))
                             for k in ("idle", "loaded")},
            "daemon_underruns": underruns, "engine_callback_us": engine_us, "daemon_exits": exits}


def by_cpu(windows: list[dict[str, Any]], rows: dict[str, str]) -> dict[str, dict[str, int]]:
    """Late reports per client while its thread was on jackd's CPU (0) and on the other (1), loaded windows."""
    out: dict[str, dict[str, int]] = {label: {"jackd_cpu": 0, "other_cpu": 0} for label in rows}
    for w in windows:
        if not w["loaded"]:
            continue
        for h in w.get("halves", []):
            for label, name in rows.items():
                key = "jackd_cpu" if h["cpu"].get(label) == 0 else "other_cpu"
                out[label][key] += h["late"].get(name, 0)
    return out


def print_table(r: dict[str, Any]) -> None:
    mode = "jackd -R (realtime)" if r["jackd_realtime"] else "jackd --no-realtime (realtime REFUSED)"
    print(f"\nLate reports by jackd ({mode}, dummy 48 kHz / 128 frames), {r['rounds']} rounds of "
          f"{r['seconds']:.0f} s idle + {r['seconds']:.0f} s beside two busy loops; {r['voices']} voices "
          f"({r['bundle']}) sounding in each daemon")
    native = r["totals"]["jack_metro"]
    limit = target(native["idle"] + native["loaded"])
    print("\n| client | JACK name | idle | loaded | all | ratio to jack_metro | target <= 1.5 x native + 3 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label, t in r["totals"].items():
        total = t["idle"] + t["loaded"]
        base = native["idle"] + native["loaded"]
        ratio = f"{total / base:.2f}" if base else ("-" if total == 0 else "inf")
        goal = "" if label == "jack_metro" else f"{limit:.1f}: {'met' if total <= limit else 'MISSED'}"
        print(f"| {label} | {r['clients'][label]} | {t['idle']} | {t['loaded']} | {total} | {ratio} | {goal} |")
    d = r["driver_xruns"]
    print(f"| (dummy driver woke late) | system | {d['idle']} | {d['loaded']} | {d['idle'] + d['loaded']} | | |")
    print("\nwhere the late clients were (Triggered: woken, no CPU yet; Running: in its callback; after: finished "
          "past the deadline): " + "; ".join(f"{k} {v}" for k, v in r["states"].items()))
    if r.get("swap"):
        print("\nloaded windows, late reports by where the client's thread was pinned (half of each window each): "
              + "; ".join(f"{k} on jackd's CPU {v['jackd_cpu']}, on the other {v['other_cpu']}"
                          for k, v in r["by_cpu"].items()))
    print("\nthe clients' realtime threads (/proc schedstat, mean per wake-up): "
          "CPU time, and time runnable but waiting for a CPU")
    print("\n| client | CPU us idle | CPU us loaded | wait us idle | wait us loaded | page faults idle / loaded "
          "| CPU migrations idle / loaded |\n| --- | --- | --- | --- | --- | --- | --- |")
    for label, x in r["sched"].items():
        print(f"| {label} | {x['run_us_idle']:.1f} | {x['run_us_loaded']:.1f} | {x['wait_us_idle']:.1f} | "
              f"{x['wait_us_loaded']:.1f} | {x['faults_idle']} / {x['faults_loaded']} | "
              f"{x['migrations_idle']} / {x['migrations_loaded']} |")
    print("the engine's own callback time (its clock around the render, last ~11 s): " + "; ".join(
        f"{k} p50 {v['p50']:.0f} us, p99 {v['p99']:.0f} us" for k, v in r["engine_callback_us"].items()))
    print(f"daemon underruns (engine): {r['daemon_underruns']}; daemon exits: {r['daemon_exits']}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each idle and each loaded window")
    ap.add_argument("--voices", type=int, default=16)
    ap.add_argument("--bundle", default="digits-fm", help="a shipped bundle name (isudt bundles)")
    ap.add_argument("--backends", default=",".join(BACKENDS),
                    help="the daemon's audio.backend values to run, comma-separated (one daemon each)")
    ap.add_argument("--no-c-client", dest="c_client", action="store_false",
                    help="leave out the engine-in-C client (bench/engine_jack_client.c, the same engine work)")
    ap.add_argument("--natural", dest="swap", action="store_false",
                    help="leave the clients' threads where the kernel puts them (default: jackd's realtime thread "
                         "pinned to CPU 0, each client's to CPU 0 and 1 in turn, half of every window each)")
    ap.add_argument("--metro-first", action="store_true",
                    help="start jack_metro before the daemons (jackd triggers clients in the order they joined)")
    ap.add_argument("--mlock", action="store_true", help="the daemons lock their memory (audio.mlock)")
    ap.add_argument("--out", default=None, help="JSON path (default bench/results/native-jack-*.json)")
    a = ap.parse_args()
    a.backends = [b for b in a.backends.split(",") if b]
    if a.swap and (os.cpu_count() or 1) < 2:
        print("one CPU: nothing to pin, placement left to the kernel")
        a.swap = False
    info = machine()
    r = run(a)
    r["machine"] = info
    print_table(r)
    write_results(r, a.out, f"native-jack-{time.strftime('%Y%m%d-%H%M%S')}-{info['host']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
