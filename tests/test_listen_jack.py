"""The loop, closed through real audio (issue 10's acceptance test), on a private JACK server.

`isudt serve --device system --input system`: one duplex PortAudio stream.
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

from support.daemon import Daemon, OscClient, daemon_factory  # noqa: F401  (fixture)
from support.jack import JackServer, jackd_rt  # noqa: F401  (fixture)

pytestmark = pytest.mark.jack

SEED = 10
POSITIONS = 20
MEDIAN_LIMIT_PX = 4.0


def jack_client(name: str) -> Any:
    import jack
    return jack.Client(name, no_start_server=True)


def daemon_ports(client: Any, timeout: float = 10.0) -> tuple[str, str]:
    """(first output port, first input port) of the daemon's PortAudio client (the one with an input)."""
    deadline = time.monotonic() + timeout
    while True:
        ins = sorted(p.name for p in client.get_ports("PortAudio", is_input=True, is_audio=True))
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


def start(daemon_factory: Any, server: JackServer) -> Daemon:  # noqa: F811
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


def test_the_daemon_hears_itself_and_sees_the_square_back(jackd_rt: JackServer, daemon_factory: Any) -> None:  # noqa: F811
    d = start(daemon_factory, jackd_rt)
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
    print(f"\nloop through JACK ({'realtime' if jackd_rt.realtime else 'no-realtime'} jackd), seed {SEED}:")
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
    assert np.median(live_vs_models) <= 1.0, live_vs_models
    assert np.median(errors) <= MEDIAN_LIMIT_PX, (f"loop median {np.median(errors):.2f} px; the same positions "
                                                  f"through /image/sine: {np.median(offline):.2f} px")


class SineClient:
    """A JACK client playing a phase-continuous sine at (MIDI pitch, dB) into one port."""

    def __init__(self, pitch: float, db: float) -> None:
        self.client = jack_client("isudt-sine")
        self.port = self.client.outports.register("out")
        self.set(pitch, db)
        self._n = 0
        self.xruns = 0                     # as jackd reports them to this client
        self.client.set_process_callback(self._process)
        self.client.set_xrun_callback(self._on_xrun)
        self.client.activate()

    def _on_xrun(self, delay_usecs: float) -> None:
        self.xruns += 1

    def set(self, pitch: float, db: float) -> None:
        self.hz, self.amp = 440.0 * 2 ** ((pitch - 69.0) / 12.0), 10 ** (db / 20.0)

    def _process(self, frames: int) -> None:
        t = (self._n + np.arange(frames)) / self.client.samplerate
        self.port.get_array()[:] = self.amp * np.sin(2 * np.pi * self.hz * t)
        self._n += frames

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()


def test_a_sine_at_the_input_reads_as_image_sine(jackd_rt: JackServer, daemon_factory: Any) -> None:  # noqa: F811
    d = start(daemon_factory, jackd_rt)
    tone = SineClient(60.0, -12.0)
    found = []
    try:
        _, inp = daemon_ports(tone.client)
        feed_only(tone.client, tone.port.name, inp)
        c = d.client()
        tones_db = [(48.0, -14.0), (60.0, -6.0), (66.5, -10.0), (74.0, -3.0), (79.0, -16.0)]
        # asked before listening starts: once it does, live /square replies stream to this client too
        wants = [c.request("/image/sine", pitch, db, reply="/square") for pitch, db in tones_db]
        c.send("/image/listen", 1)
        for (pitch, db), want in zip(tones_db, wants):
            # up to 3 tries of a tone heard wrong: on a loaded VM jackd drops blocks in bursts (a late block of
            # this Python tone client is silence at the input, and one dropped block moves the heard square
            # ~50 px, with the old sound encoder as with the new); a real difference is wrong every time
            for attempt in range(3):
                xruns0 = tone.xruns
                tone.set(pitch, db if attempt % 2 == 0 else db - 0.001)   # a new tone starts a fresh window
                last_square(c, 0.4)                      # the window fills with the new tone
                squares, _ = last_square(c, 0.4)
                assert squares, (pitch, db)
                # the square most of the ~10 analyses agree on
                values, counts = np.unique(np.array(squares), axis=0, return_counts=True)
                heard = values[np.argmax(counts)].tolist()
                row = (pitch, db, want, heard, float(np.hypot(*np.subtract(heard, want))), len(squares),
                       tone.xruns - xruns0, attempt + 1)
                if row[4] <= 1.0:
                    break
            found.append(row)
        st = d.status()
    finally:
        tone.close()
    for pitch, db, want, got, e, n, xr, tries in found:
        print(f"sine {pitch:5.1f} {db:6.1f} dB: /image/sine {want}, heard {got} (most of {n}), {e:.2f} px; "
              f"jackd xruns meanwhile {xr}; try {tries}")
    # at most one of the five may be off: jackd drops blocks in bursts when the VM is loaded (a late Python
    # tone client's block is silence at the input, and a sine with gaps is another sound); the xrun count
    # printed above says when that happened; two would be a real difference
    assert sum(f[4] > 1.0 for f in found) <= 1, found
    assert abs(st["input_level_db"] - -16.0) < 0.5 and st["silent_frames"] == 0
