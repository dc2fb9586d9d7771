"""The loop, closed through real audio (issue 10's acceptance test), on a private JACK server.

`isudt serve --device system --input system`: one duplex PortAudio stream,
on a realtime jackd in synchronous mode (`jackd_sync`): this VM's dummy
driver wakes late ~100 times a second, and in JACK2's default asynchronous
mode each late client then leaves a repeated or missing block in what the
others read; one such block in the 170 ms window moves the heard square by
~50 px (measured: 4 of 15 tones heard wrong with async, 0 of 15 with -S, on
the same machine and hour). These tests judge what the daemon hears, so the
graph must deliver it whole; the xrun tests keep the default mode.
Its first output port is wired to its own input port (system:capture
disconnected), so the daemon hears exactly what it plays. For 20 seeded
positions: /pictslider x y, then the /square replies of the next second; the
last one must be near (x, y). Plus: a sine that a test JACK client plays into
the input reads the same square as `/image/sine pitch dB`.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from support.daemon import Daemon, OscClient
from support.jack import DAEMON_CLIENT, CycleCounter, JackServer

pytestmark = pytest.mark.jack

SEED = 10
POSITIONS = 20
MEDIAN_LIMIT_PX = 4.0


def jack_client(name: str) -> Any:
    import jack
    return jack.Client(name, no_start_server=True)


def daemon_ports(client: Any, timeout: float = 10.0) -> tuple[str, str]:
    """(first output port, first input port) of the daemon's JACK client (the one with an input)."""
    deadline = time.monotonic() + timeout
    while True:
        ins = sorted(p.name for p in client.get_ports(DAEMON_CLIENT, is_input=True, is_audio=True))
        if ins:
            owner = ins[0].split(":")[0]
            outs = sorted(p.name for p in client.get_ports(owner + ":", is_output=True, is_audio=True))
            if outs:
                return outs[0], ins[0]
        assert time.monotonic() < deadline, [p.name for p in client.get_ports()]
        time.sleep(0.05)


def feed_only(client: Any, source: str, dest: str) -> None:
    """`dest` hears `source` and nothing else."""
    for p in client.get_all_connections(dest):
        client.disconnect(p.name, dest)
    client.connect(source, dest)


def start(daemon_factory: Any, server: JackServer) -> Daemon:
    return daemon_factory({"audio": {"device": "system", "input": "system"}, "osc": {"state_rate": 1}},
                          env=server.env())


def last_square(c: OscClient, seconds: float) -> tuple[list[list[float]], int]:
    """The /square replies of the next `seconds`, and how many /image/silent came with them."""
    squares, silent = [], 0
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        m = c.recv(left)
        if m is None:
            break
        if m[0] == "/square":
            squares.append(m[1])
        silent += m[0] == "/image/silent"
    return squares, silent


def test_the_daemon_hears_itself_and_sees_the_square_back(jackd_sync: JackServer, daemon_factory: Any) -> None:
    d = start(daemon_factory, jackd_sync)
    wiring = jack_client("isudt-loop-wiring")
    try:
        out, inp = daemon_ports(wiring)
        feed_only(wiring, out, inp)
        c = d.client()
        assert c.request("/image/listen", 1, reply="/image/silent") is not None   # nothing plays yet
        rng = np.random.default_rng(SEED)
        xy = rng.integers(0, 126, (POSITIONS, 2))
        rows = []
        for x, y in xy:
            c.drain(0.0)
            c.send("/pictslider", int(x), int(y))
            squares, silent = last_square(c, 1.0)
            assert squares, f"no /square within 1 s of /pictslider {x} {y} ({silent} silent)"
            sx, sy = squares[-1]
            rows.append((int(x), int(y), sx, sy, float(np.hypot(sx - x, sy - y)), len(squares)))
        # the same positions without audio: /sineparams -> /image/sine (the models' own round trip); stop
        # listening first, or a live /square could pass for the answer
        st = d.status()
        c.send("/image/listen", 0)
        c.drain(0.2)
        offline = []
        for x, y, *_ in rows:
            pitch, db = c.request("/pictslider", x, y)
            sx, sy = c.request("/image/sine", pitch, db, reply="/square")
            offline.append(float(np.hypot(sx - x, sy - y)))
    finally:
        wiring.close()
    errors = [r[4] for r in rows]
    print(f"\nloop through JACK ({'realtime' if jackd_sync.realtime else 'no-realtime'} jackd), seed {SEED}:")
    print("   x    y  ->  square x  square y   error px  offline px  replies")
    for (x, y, sx, sy, e, n), off in zip(rows, offline):
        print(f"{x:4d} {y:4d}  -> {sx:8.1f}  {sy:8.1f}  {e:9.2f}  {off:10.2f}  {n:7d}")
    print(f"median error {np.median(errors):.2f} px (limit {MEDIAN_LIMIT_PX}); the same positions through "
          f"/image/sine (no audio): median {np.median(offline):.2f} px; analyses {st['analyses']}, "
          f"underruns {st['underruns']}, analysis p99 {st['analysis_p99_ms']} ms")
    print("errors:", [round(e, 2) for e in errors])
    assert st["listening"] == 1 and st["input_device"] == "system"
    # what the daemon hears through real audio is what its models make of the played tone, position by
    # position: the live path (capture, window, front end, models, readout) loses nothing
    live_vs_models = [abs(e - off) for e, off in zip(errors, offline)]
    assert max(live_vs_models) <= 1.0, live_vs_models
    assert np.median(errors) <= MEDIAN_LIMIT_PX, (f"loop median {np.median(errors):.2f} px; the same positions "
                                                  f"through /image/sine: {np.median(offline):.2f} px")


def tone_ports(client: Any, timeout: float = 10.0) -> list[str]:
    """Output ports of the daemons' JACK clients that have no input: the tone daemon's."""
    deadline = time.monotonic() + timeout
    while True:
        with_input = {p.name.split(":")[0] for p in client.get_ports(DAEMON_CLIENT, is_input=True, is_audio=True)}
        outs = sorted(p.name for p in client.get_ports(DAEMON_CLIENT, is_output=True, is_audio=True)
                      if p.name.split(":")[0] not in with_input)
        if outs:
            return outs
        assert time.monotonic() < deadline, [p.name for p in client.get_ports()]
        time.sleep(0.05)


LOOKS = 2     # looks at a tone at most; a second only when jackd reported an xrun during the first


def test_another_daemons_sine_at_the_input_reads_as_image_sine(jackd_sync: JackServer, daemon_factory: Any) -> None:
    """A second daemon plays the tones (its C engine), at whatever phase they reach the listener; each must
    read as `/image/sine` of the same (pitch, dB). On the synchronous jackd the input is whole, so a tone heard
    wrong gets a second look only if jackd reported an xrun while it was heard (or just before: the analysis
    window reaches 170 ms back), and LOOKS at most."""
    d = start(daemon_factory, jackd_sync)
    player = daemon_factory({"audio": {"device": "system"}, "synth": {"voices": 1}}, env=jackd_sync.env())
    wiring = jack_client("isudt-sine-wiring")
    counter = CycleCounter("isudt-sine-xruns")
    counter.start(wait=False)
    found = []
    try:
        _, inp = daemon_ports(wiring)
        feed_only(wiring, tone_ports(wiring)[0], inp)
        c, play = d.client(), player.client()
        tones = [play.request("/pictslider", x, y) for x, y in ((20, 100), (60, 60), (100, 30), (110, 90), (40, 15))]
        # asked before listening starts: once it does, live /square replies stream to this client too
        wants = [c.request("/image/sine", pitch, db, reply="/square") for pitch, db in tones]
        c.send("/image/listen", 1)
        for (x, y), (pitch, db), want in zip(((20, 100), (60, 60), (100, 30), (110, 90), (40, 15)), tones, wants):
            play.request("/pictslider", x, y)
            xruns = counter.xruns
            last_square(c, 0.4)                      # the window fills with the new tone
            for look in range(1, LOOKS + 1):
                squares, _ = last_square(c, 0.4)
                assert squares, (pitch, db)
                # the square most of the ~10 analyses agree on
                values, counts = np.unique(np.array(squares), axis=0, return_counts=True)
                heard = values[np.argmax(counts)].tolist()
                row = (pitch, db, want, heard, float(np.hypot(*np.subtract(heard, want))), len(squares), look,
                       counter.xruns - xruns)
                if row[4] <= 1.0 or row[7] == 0:     # heard right, or heard wrong with no xrun to blame
                    break
                xruns = counter.xruns
            found.append(row)
        st = d.status()
    finally:
        counter.stop()
        wiring.close()
    for pitch, db, want, got, e, n, look, xr in found:
        print(f"sine {pitch:5.1f} {db:6.1f} dB: /image/sine {want}, heard {got} (most of {n}), {e:.2f} px, "
              f"look {look}, xruns {xr}")
    assert all(f[4] <= 1.0 for f in found), ("heard wrong (a last look with 0 xruns: no xrun to blame; "
                                              f"{LOOKS} looks at most)", found)
    assert abs(st["input_level_db"] - found[-1][1]) < 0.5 and st["silent_frames"] == 0
