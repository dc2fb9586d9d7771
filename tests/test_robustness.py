"""Robustness of the live daemon (issue 5): fuzzing, floods, lost devices, bad bundles, reloads, who may talk.

Everything here runs `isudt serve` as a real subprocess and talks to it over
loopback; the JACK tests record what it played on a private jackd and look
for gaps (runs of exact zeros) and clicks (sample steps above what the
loudest, highest legitimate tone can produce). Unit-level decoding and
validation (every refusal, rate-limit arithmetic, allow-list matching,
hypothesis properties) are covered in tests/test_osc.py and not repeated.

Tolerance for jackd's own xruns, and its bounds: on a loaded 2-core VM
an asynchronous jackd skips or repeats cycles (10 to 190 xruns in 8 s with
the daemon idle, depending on the load), which leaves discontinuities in
*our recording* that the daemon did not cause. So the tests that judge what
was heard, not when (fuzz, reloads), run on a synchronous jackd
(`jackd_sync`, `-S`: a late client delays the cycle instead of breaking
the others' audio). `XrunRecorder` notes where each xrun was reported; a
click is excused only if an xrun was reported near it (`unexplained`:
21 ms before to 43 ms after), a gap (a run of exact zeros: what a render
that outputs nothing leaves) never. And the excuse is bounded: a recording
that needed an excuse while the windows cover more than XRUN_SHARE_MAX of
it is *inconclusive* (`assert_clean` raises `Inconclusive`; `conclusive`
skips the test with the measured share on a developer's machine, measures
once more under CI and fails if it is still inconclusive): never passed.
Pitch is measured on the longest clean stretch (as tests/test_serve_e2e.py
and tests/test_audio_out.py do). What this cannot see: a daemon *stall*
(its callback late) also makes jackd report an xrun; stalls are bounded
instead by the engine's own callback times and the callback counts.

Numbers measured here are printed (`-s` shows them) and summarised in
docs/robustness.md.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from isudt.daemon.bundle import default_bundle_dir
from isudt.daemon.osc_codec import DecodeError, decode_packet
from support.audio_analysis import find_gaps, longest_clean_segment, max_step, midi_to_hz, tones
from support.daemon import Daemon, OscClient, child_env, merged, run_serve, serve_command
from support.fuzz import Limits, Mix, Totals, msg, pad
from support.jack import CycleCounter, Recorder, jack_server, jackd_available, require_jackd
from support.require import in_ci

SR = 48000
THRESHOLD_DB = -1.0          # the synth's limiter threshold (config default): no output sample exceeds it
XRUN_BEFORE, XRUN_AFTER = 1024, 2048   # frames: where a jackd xrun report excuses a click (see unexplained)
XRUN_SHARE_MAX = 0.25   # the most of a recording the excuse windows may cover when a defect needed one (assert_clean)
BLOCK_US = 1e6 * 128 / SR               # the block period: the engine's callback must stay under it
FUZZ_DATAGRAMS = 20_000
FUZZ_SECONDS = 8.0
FLOOD_SECONDS = 3.0
FUZZ_SRC = Path(__file__).resolve().parent / "support" / "fuzz.py"
JACK_BASE = {"audio": {"device": "system", "samplerate": SR, "blocksize": 128}}


# --- helpers -------------------------------------------------------------------------

def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024.0


def copy_bundle(dst: Path) -> Path:
    """A private, writable copy of the packaged bundle (never touch exported/ itself)."""
    shutil.copytree(default_bundle_dir(), dst, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    return dst


def manifest_of(bundle: Path) -> dict:
    return yaml.safe_load((bundle / "manifest.yaml").read_text())


def write_manifest(bundle: Path, manifest: dict) -> None:
    (bundle / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))


def click_bound(max_pitch: float, amplitude: float = 10 ** (THRESHOLD_DB / 20)) -> float:
    """The largest sample step legitimate output can have.

    The output is limiter * gain * sum(a_v sin(phase_v)) and never exceeds
    `amplitude` (the limiter threshold), so a step is at most
    amplitude * 2 sin(pi f_max / sr) from the oscillators, plus what the
    ramps (level >= 2 ms, gain, limiter release) add per sample: 2 % of the
    amplitude covers a full-scale level change over 2 ms.
    """
    return amplitude * 2.0 * math.sin(math.pi * min(midi_to_hz(max_pitch) / SR, 0.5)) * 1.02 + 0.02 * amplitude


class XrunRecorder(Recorder):
    """A `Recorder` that also notes *where* in the recording each jackd xrun was reported (frames written)."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.xrun_frames: list[int] = []

    def _on_xrun(self, delay_usecs: float) -> None:
        self._xruns += 1
        self.xrun_frames.append(self._written)

    def _on_clear(self) -> None:
        self.xrun_frames = []


def audio_defects(x: np.ndarray, bound: float, min_gap: int = 64) -> dict[str, Any]:
    """Clicks (steps above `bound`, grouped into events 256 samples apart) and gaps (>= min_gap exact zeros)."""
    mono = np.asarray(x, np.float64)[:, 0] if np.ndim(x) == 2 else np.asarray(x, np.float64)
    over = np.flatnonzero(np.abs(np.diff(mono)) > bound)
    clicks = over[np.concatenate(([True], np.diff(over) > 256))] if len(over) else over
    gaps = find_gaps(mono, min_gap)
    return {"clicks": [int(i) for i in clicks], "gaps": [s for s, _ in gaps], "gap_lengths": [n for _, n in gaps],
            "gap_samples": sum(n for _, n in gaps),
            "max_step": max_step(mono), "bound": bound, "seconds": len(mono) / SR}


def unexplained(defects: dict[str, Any], xrun_frames: list[int], kinds: tuple[str, ...] = ("clicks", "gaps")) -> list[int]:
    """Defect positions that no jackd xrun excuses: every gap, and each click with no xrun reported near it.

    A jackd xrun leaves a discontinuity (a click) in the recording, never a
    run of zeros (measured: hundreds of xruns, no gap, including with the
    daemon's callback stalled 20 ms on purpose; a render that outputs zeros
    does show as gaps). The C engine never writes zeros while it plays, so a
    gap is the daemon's and is never excused. (The one run of zeros once
    seen in CI at the start of a window, 128 frames long, fits the
    recorder's own race: `Recorder.clear` could restart the count while a
    block was being written, leaving the ring's stale first block, zeros
    from before the sound, at the window's start; fixed in support/jack.py.) An xrun is reported to the recording client from
    JACK's notification thread, some time after the discontinuity it leaves:
    1 to 129 frames after it on a moderately loaded machine, up to ~1300
    frames either side when the machine is saturated. A click is excused by
    an xrun reported from XRUN_BEFORE frames before it to XRUN_AFTER frames
    after it (21 ms / 43 ms); how much of a recording that may cover is
    bounded in `assert_clean`.
    """
    xr = np.asarray(sorted(set(xrun_frames)), np.int64)
    out = []
    for kind in kinds:
        for pos in defects[kind]:
            near = len(xr) > 0 and np.any((xr >= pos - XRUN_BEFORE) & (xr <= pos + XRUN_AFTER))
            if kind == "gaps" or not near:
                out.append(pos)
    return out


def xrun_coverage(xrun_frames: list[int], frames: int) -> float:
    """Fraction of the recording inside some xrun's excuse window: how much the click check could miss."""
    if frames <= 0:
        return 0.0
    covered = np.zeros(frames, bool)
    for p in set(xrun_frames):
        covered[max(0, p - XRUN_AFTER):max(0, min(frames, p + XRUN_BEFORE + 1))] = True
    return float(covered.mean())


class Inconclusive(Exception):
    """A recording whose clean verdict leaned on xrun excuses covering more than XRUN_SHARE_MAX of it."""


def conclusive(measure, what: str):
    """`measure()`, or, where its recording was inconclusive: a skip with the measured share on a developer's
    machine; under CI one more measurement, failed if that one is inconclusive too. Never a silent pass."""
    try:
        return measure()
    except Inconclusive as e:
        if not in_ci():
            pytest.skip(f"{what}: inconclusive on this machine, {e}")
        print(f"\n{what}: inconclusive ({e}); CI: measuring once more")
    try:
        return measure()
    except Inconclusive as e:
        pytest.fail(f"{what}: inconclusive twice under CI, {e}", pytrace=False)


def nearest_xruns(positions: list[int], xrun_frames: list[int]) -> list[int | None]:
    """For a failure message: the signed distance (frames) from each defect to the nearest reported xrun."""
    xr = np.asarray(sorted(set(xrun_frames)), np.int64)
    return [int(xr[np.argmin(np.abs(xr - p))] - p) if len(xr) else None for p in positions]


def assert_clean(defects: dict[str, Any], xrun_frames: list[int], what: str) -> float:
    """No gap, no click without an xrun at it; and a verdict that leaned on an excuse only counts while the
    excuse windows cover at most XRUN_SHARE_MAX of the recording (above it: `Inconclusive`, for `conclusive`).
    A recording with no click at all is clean whatever the xruns. Returns the share the windows cover."""
    bad = unexplained(defects, xrun_frames)
    assert not bad, (
        f"{what}: {len(bad)} of {len(defects['clicks'])} click events / {len(defects['gaps'])} gaps not excused "
        f"(gaps never are; at frames {bad[:10]}, nearest xruns {nearest_xruns(bad[:10], xrun_frames)}; max step {defects['max_step']:.3f}, bound {defects['bound']:.3f}; "
        f"{len(set(xrun_frames))} xruns in {defects['seconds']:.1f} s)")
    share = xrun_coverage(xrun_frames, round(defects["seconds"] * SR))
    if defects["clicks"] and share > XRUN_SHARE_MAX:
        raise Inconclusive(f"{len(defects['clicks'])} clicks excused by {len(set(xrun_frames))} jackd xruns whose "
                           f"windows cover {100 * share:.0f}% of the {defects['seconds']:.1f} s recording "
                           f"(ceiling {100 * XRUN_SHARE_MAX:.0f}%)")
    return share


def measured_tone(rec: Recorder, pitch: float, amplitude: float, attempts: int = 12) -> float:
    """MIDI pitch of the longest clean 0.5 s stretch (jackd's own xruns cut around), retrying on a bad window."""
    best = None
    for _ in range(attempts):
        x = rec.record(0.5)
        clean = longest_clean_segment(x, 1.5 * click_bound(pitch, amplitude) + 1e-4)
        if len(clean) >= 0.25 * SR:
            return tones(clean, SR, 1)[0].midi
        best = clean if best is None or len(clean) > len(best) else best
    if best is not None and len(best) >= 0.1 * SR:
        return tones(best, SR, 1)[0].midi
    raise AssertionError("no clean stretch of >= 0.1 s in any recording window (machine overloaded?)")


def decode_all(data: bytes) -> list[tuple[str, list[Any]]]:
    try:
        return decode_packet(data, 4, 1024)
    except DecodeError:
        return [("<undecodable>", [])]


def drain(sock: socket.socket, into: list[tuple[str, list[Any]]]) -> None:
    while True:
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        into.extend(decode_all(data))


def send_paced(client: OscClient, datagrams: list[bytes], seconds: float) -> tuple[list, float]:
    """Send evenly over `seconds`, draining replies between bursts; returns (replies, elapsed)."""
    sock, target = client.sock, client.target
    sock.setblocking(False)
    replies: list[tuple[str, list[Any]]] = []
    n, i = len(datagrams), 0
    t0 = time.perf_counter()
    deadline = t0 + 3 * seconds + 10
    while i < n:
        due = min(n, int((time.perf_counter() - t0) / seconds * n) + 1)
        while i < due:
            try:
                sock.sendto(datagrams[i], target)
                i += 1
            except BlockingIOError:
                break
        drain(sock, replies)
        assert time.perf_counter() < deadline, "sending took far too long"
        time.sleep(0.002)
    elapsed = time.perf_counter() - t0
    quiet_until = time.monotonic() + 0.5
    while time.monotonic() < quiet_until:
        before = len(replies)
        drain(sock, replies)
        if len(replies) != before:
            quiet_until = time.monotonic() + 0.3
        time.sleep(0.01)
    sock.setblocking(True)
    return replies, elapsed


def counters(st: dict[str, Any]) -> dict[str, int]:
    return {k: int(st[k]) for k in ("datagrams", "overflowed", "received", "handled", "coalesced", "errors", "dropped", "clamped",
                                    "pending", "errors_unreplied", "underruns", "audio_callbacks")}


def delta(after: dict[str, Any], before: dict[str, Any]) -> dict[str, int]:
    a, b = counters(after), counters(before)
    return {k: a[k] - b[k] for k in a}


def start_flooder(port: int, seconds: float, mix: str = "mixed", sockets: int = 1, rate: float | None = None,
                  seed: int = 1, positions: list[tuple[int, int]] | None = None,
                  start_at: float | None = None) -> subprocess.Popen:
    cmd = [sys.executable, str(FUZZ_SRC), "flood", "--port", str(port), "--seconds", str(seconds),
           "--sockets", str(sockets), "--mix", mix, "--seed", str(seed)]
    if rate is not None:
        cmd += ["--rate", str(rate)]
    if positions:
        cmd += ["--positions", json.dumps(positions)]
    if start_at is not None:
        cmd += ["--start-at", repr(start_at)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)


def flooder_result(proc: subprocess.Popen, timeout: float) -> dict[str, Any]:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-2000:]
    return json.loads(out.strip().splitlines()[-1])


class RssSampler:
    """Samples a process's VmRSS every `period` seconds in a thread (bounded by stop())."""

    def __init__(self, pid: int, period: float = 0.2) -> None:
        self.pid, self.period = pid, period
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append(rss_mb(self.pid))
            except (OSError, AttributeError):
                return
            self._stop.wait(self.period)

    def __enter__(self) -> "RssSampler":
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join(2)


def jack_daemon(daemon_factory, server, extra: dict | None = None, env: dict | None = None) -> Daemon:
    cfg: dict[str, dict] = {k: dict(v) for k, v in JACK_BASE.items()}
    for k, v in (extra or {}).items():
        cfg.setdefault(k, {}).update(v)
    return daemon_factory(cfg, env={**server.env(), **(env or {})}, ready_timeout=25.0)


def voice0_amplitude(db: float, gain_db: float) -> float:
    return min(10 ** ((db + gain_db) / 20), 10 ** (THRESHOLD_DB / 20))


# --- 1. the live fuzzer ---------------------------------------------------------------------

def test_fuzz_generator_expectations_match_the_handler() -> None:
    """The harness itself: every generated datagram's expected counts are what the real handler counts.

    Without this the live test's exact counter checks could pass or fail for
    the generator's reasons, not the daemon's.
    """
    from isudt.daemon.messages import Limits as DaemonLimits
    from isudt.daemon.osc_server import AllowList, OscServer, ReplySender

    class Backend:
        def limits(self) -> DaemonLimits:
            z, o = np.zeros(2, np.float32), np.ones(2, np.float32)
            return DaemonLimits(voices=4, positions=126, image_latent=2, sound_latent=2, image_lo=z, image_hi=o,
                                sound_lo=z, sound_hi=o, max_blob_bytes=8192)

        def submit(self, r: Any) -> None:
            pass

        def flush(self) -> None:
            pass

        def control(self, c: Any) -> None:
            pass

        def status_pairs(self) -> list:
            return []

    srv = OscServer(Backend(), ReplySender(None, None, False), AllowList(["127.0.0.0/8"]))
    mix = Mix(Limits(voices=4), seed=3)
    wrong = []
    for d in mix.take(4000):
        before = (srv.counters.received, srv.counters.errors, srv.counters.clamped)
        srv.handle(d.data, ("127.0.0.1", 1))
        got = (srv.counters.received - before[0], srv.counters.errors - before[1], srv.counters.clamped - before[2])
        if got != (d.received, d.errors, d.clamped):
            wrong.append((d.kind, got, (d.received, d.errors, d.clamped)))
    assert not wrong, wrong[:5]
    assert len(mix.counts) >= 35, sorted(mix.counts)      # every kind came up


@pytest.mark.jack
def test_live_fuzz_counters_effect_and_clean_audio(jackd_sync, daemon_factory) -> None:
    """20,000 valid and invalid datagrams in 8 s against a daemon playing on JACK.

    Checks: it still answers /status; every counter moved by exactly what the
    mix implies (datagrams, received, errors, clamped; nothing pending, nothing
    dropped, no inference error); /error replies stayed under the rate limit;
    the last valid /pictslider is what /sineparams says and what JACK plays
    (within 10 cents); the recording of the whole fuzz period has no gap and
    no click beyond what jackd's own xruns explain, with those excuses
    bounded (`assert_clean`; an inconclusive recording is measured again
    under CI). On a synchronous jackd: this is about what is heard, and an
    asynchronous one skips cycles whenever the fuzzer runs.
    """
    conclusive(lambda: live_fuzz(jackd_sync, daemon_factory), "fuzz recording")


def live_fuzz(jackd, daemon_factory) -> None:
    d = jack_daemon(daemon_factory, jackd, {"osc": {"max_blob_bytes": 8192}, "synth": {"voices": 4}})
    limits = Limits.from_bundle(default_bundle_dir(), voices=4, max_blob_bytes=8192)
    mix = Mix(limits, seed=7)
    fuzz = mix.take(FUZZ_DATAGRAMS)
    last = (17, 93)
    tail = [msg("/gain", -6.0), msg("/glide", 10.0), msg("/mute", 0)] + \
        [msg(f"/voice/{v}/off") for v in (1, 2, 3)] + [msg("/pictslider", *last)]
    totals = Totals.of(fuzz)
    c = d.client()
    p0, db0 = c.request("/pictslider", 60, 60)
    with CycleCounter() as counter, XrunRecorder(seconds=60) as rec:
        rec.wait_for_signal(timeout=10)
        time.sleep(0.1)
        st0 = d.status()
        rec.clear()
        counter.clear()
        replies, elapsed = send_paced(c, [x.data for x in fuzz] + tail, FUZZ_SECONDS)
        x = rec.samples()
        xrun_frames = list(rec.xrun_frames)
        server_cycles = counter.frames / 128      # what jackd itself ran in (about) the same window
        st1 = d.status()
        sine = [args for a, args in replies if a.endswith("/sineparams")]
        final = [args for a, args in replies if a == "/sineparams"][-1]
        # an independent question for the same position must get the same answer
        c2 = d.client()
        assert c2.request("/pictslider", *last) == pytest.approx(final, abs=1e-5)
        played = measured_tone(rec, final[0], voice0_amplitude(final[1], -6.0))
    dc = delta(st1, st0)
    errors_replied = sum(1 for a, _ in replies if a == "/error")
    max_pitch = max([p0] + [float(a[0]) for a in sine])
    defects = audio_defects(x, click_bound(max_pitch))
    print(f"\nfuzz: {len(fuzz) + len(tail)} datagrams in {elapsed:.2f} s ({(len(fuzz) + len(tail)) / elapsed:.0f}/s), "
          f"{totals.valid_datagrams} valid / {totals.invalid_datagrams} invalid, {len(mix.counts)} kinds; "
          f"deltas {dc}; /error replies {errors_replied}; sineparams {len(sine)}; "
          f"audio: {len(defects['clicks'])} click events, {len(defects['gaps'])} gaps, max step {defects['max_step']:.3f} "
          f"(bound {defects['bound']:.3f}), jackd xruns {len(set(xrun_frames))} (windows cover "
          f"{100 * xrun_coverage(xrun_frames, len(x)):.0f}%), unexplained "
          f"{len(unexplained(defects, xrun_frames))}; final {final}, played {played:.3f}")

    assert d.proc.poll() is None and "Traceback" not in d.stderr_text()
    # counters add up, exactly (the +1: the /status that read st1); when the VM stalls the daemon long
    # enough for its 1 MB socket queue to fill, the kernel drops datagrams and says how many
    # (`overflowed`): then every datagram is still accounted for, and the mix's totals bound the rest
    n_tail = len(tail)
    assert dc["datagrams"] + dc["overflowed"] == len(fuzz) + n_tail + 1, (dc, totals)
    assert dc["dropped"] == 0
    if dc["overflowed"] == 0:
        assert dc["received"] == totals.received + n_tail + 1
        assert dc["errors"] == totals.errors, "every refusal counted once, and no inference errors"
        assert dc["clamped"] == totals.clamped
    else:
        print(f"the kernel dropped {dc['overflowed']} datagrams (socket queue full while the VM stalled the daemon)")
        assert dc["received"] <= totals.received + n_tail + 1 and dc["errors"] <= totals.errors
        assert dc["clamped"] <= totals.clamped
    assert st1["pending"] == 0
    assert st1["handled"] + st1["coalesced"] + st1["errors"] + st1["pending"] == st1["received"]
    # /error replies: all refusals counted, replies rate-limited (20/s, burst 20, plus the bucket's refill)
    assert errors_replied <= 20 + 20 * (elapsed + 1.0) + 2
    assert dc["errors_unreplied"] >= dc["errors"] - errors_replied - 25   # (= the mix's errors when none overflowed)
    # valid messages took effect: controls ...
    assert st1["gain_db"] == pytest.approx(-6.0) and st1["glide_ms"] == pytest.approx(10.0) and st1["muted"] == 0
    assert st1["active_voices"] == 1
    # ... and the last /pictslider is what plays
    cents = 100 * (played - final[0])
    assert abs(cents) <= 10, f"played {played:.3f}, /sineparams said {final[0]:.3f} ({cents:+.1f} cents)"
    # the daemon filled every cycle jackd ran (a loaded machine makes jackd itself skip cycles, which
    # shortens the recording: its own xruns, reported, not the daemon's; on this synchronous jackd a
    # stall shorter than jackd's client timeout delays the cycles instead, so this catches longer ones),
    # and the recording holds no gap and no click beyond those xruns
    assert dc["audio_callbacks"] >= 0.9 * server_cycles, (dc["audio_callbacks"], server_cycles)
    assert defects["seconds"] >= 0.5 * elapsed, f"jackd ran only {defects['seconds']:.2f} s of {elapsed:.2f} s"
    assert d.stop() == 0
    assert_clean(defects, xrun_frames, "fuzz recording")


def test_audio_checks_catch_gaps_and_clicks() -> None:
    """The detectors themselves: a clean glide passes, a dropout and a phase jump are found and not excused."""
    t = np.arange(SR) / SR
    f = np.linspace(300.0, 320.0, SR)                      # a legitimate glide
    x = (0.8 * np.sin(2 * np.pi * np.cumsum(f) / SR)).astype(np.float32)
    bound = click_bound(69.0 + 12 * math.log2(320.0 / 440.0), 0.8)
    assert audio_defects(x, bound)["clicks"] == [] and audio_defects(x, bound)["gaps"] == []
    bad = x.copy()
    bad[10_000:10_200] = 0.0                               # a 4 ms dropout
    bad[30_000:] = 0.8 * np.sin(2 * np.pi * 310.0 * t[30_000:] + 1.9)   # a phase jump
    d = audio_defects(bad, bound)
    assert d["gaps"] == [10_000] and any(abs(c - 29_999) < 2 for c in d["clicks"])
    assert sorted(unexplained(d, [])) == sorted(d["clicks"] + [10_000])
    xruns_at_defects = [c + 100 for c in d["clicks"]]
    assert unexplained(d, xruns_at_defects, ("clicks",)) == []       # an xrun at a click excuses it ...
    assert unexplained(d, xruns_at_defects + [10_100], ("gaps",)) == [10_000]   # ... never a 4 ms dropout
    assert unexplained(d, [45_000], ("clicks",)) != []               # an xrun elsewhere excuses nothing
    one_block = x.copy()
    one_block[20_000:20_128] = 0.0                         # one period of zeros the daemon wrote: never excused
    d1 = audio_defects(one_block, bound)
    assert d1["gaps"] == [20_000] and unexplained(d1, [20_128], ("gaps",)) == [20_000]
    with pytest.raises(AssertionError, match="not excused"):
        assert_clean(d1, [20_000 + k for k in range(0, 2048, 128)], "one block of zeros at 16 xruns")


def test_the_xrun_excuse_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clicks excused by xruns whose windows cover the recording are not a pass: inconclusive, a skip with the
    share here, a second measurement and a failure under CI; few xruns, or no click at all, stay conclusive."""
    f = np.linspace(300.0, 320.0, SR)
    x = (0.8 * np.sin(2 * np.pi * np.cumsum(f) / SR)).astype(np.float32)
    bound = click_bound(69.0 + 12 * math.log2(320.0 / 440.0), 0.8)
    clicky = x.copy()
    clicky[::3000] += 0.5                                  # 16 clicks a second, as a broken render would make
    d = audio_defects(clicky, bound)
    assert len(d["clicks"]) == 16
    xruns_16_per_s = [c + 100 for c in d["clicks"]]        # one reported at each: every click "excused"
    assert unexplained(d, xruns_16_per_s) == []
    assert xrun_coverage(xruns_16_per_s, len(x)) > 0.9
    with pytest.raises(Inconclusive, match=r"cover 10\d% |cover 9\d%"):
        assert_clean(d, xruns_16_per_s, "16 clicks/s at 16 xruns/s")
    # a few xruns over a few clicks: conclusive, and clean; no click at all: clean whatever the xruns
    none = audio_defects(x.copy(), bound)
    one = x.copy()
    one[24_000] += 0.5
    assert assert_clean(audio_defects(one, bound), [24_050], "one click at one xrun") < XRUN_SHARE_MAX
    assert assert_clean(none, xruns_16_per_s, "no click, 16 xruns/s") > 0.9
    # what a test does with an inconclusive run
    runs = []

    def measure() -> None:
        runs.append(1)
        assert_clean(d, xruns_16_per_s, "broken")

    monkeypatch.setattr(sys.modules[__name__], "in_ci", lambda: False)
    with pytest.raises(pytest.skip.Exception, match=r"inconclusive on this machine.*cover"):
        conclusive(measure, "here")
    assert len(runs) == 1
    monkeypatch.setattr(sys.modules[__name__], "in_ci", lambda: True)
    with pytest.raises(pytest.fail.Exception, match="inconclusive twice under CI"):
        conclusive(measure, "CI")
    assert len(runs) == 3


# --- floods ---------------------------------------------------------------------------------

def flood_run(daemon_factory, server, senders: int, sockets_per_sender: int, mix: str = "mixed") -> dict[str, Any]:
    """Flood a JACK-playing daemon from `senders` processes for FLOOD_SECONDS; measure everything around it."""
    d = jack_daemon(daemon_factory, server, {"synth": {"voices": 4}})
    c = d.client()
    p0, db0 = c.request("/pictslider", 60, 60)
    with CycleCounter() as counter, XrunRecorder(seconds=30) as rec:
        rec.wait_for_signal(timeout=10)
        time.sleep(0.2)
        st0 = d.status()
        rec.clear()
        counter.clear()
        rss0 = rss_mb(d.proc.pid)
        start_at = time.time() + 1.5                       # let every sender import and build its pool first
        procs = [start_flooder(d.port, FLOOD_SECONDS, mix, sockets_per_sender, seed=k, start_at=start_at)
                 for k in range(senders)]
        with RssSampler(d.proc.pid) as rss:
            results = [flooder_result(p, FLOOD_SECONDS + 30) for p in procs]
        x = rec.samples()
        xrun_frames = list(rec.xrun_frames)
        time.sleep(0.3)
        t = time.monotonic()
        st1 = d.status(timeout=3.0)
        status_s = time.monotonic() - t
        server_cycles = counter.frames / 128      # what jackd itself ran in (about) the same window
        # still playing, and still answering a real request right
        p1, db1 = c.request("/pictslider", 60, 60)
    dc = delta(st1, st0)
    sent = sum(r["sent"] for r in results)
    seconds = max(r["seconds"] for r in results)
    out = {"senders": senders, "sockets": senders * sockets_per_sender, "sent": sent, "seconds": seconds,
           "send_rate": sent / seconds, "arrived_rate": dc["datagrams"] / seconds,
           "errors_received": sum(r["errors_received"] for r in results),
           "replies_received": sum(r["replies_received"] for r in results),
           "rss_before_mb": rss0, "rss_max_mb": max(rss.samples or [rss0]), "rss_after_mb": rss_mb(d.proc.pid),
           "deltas": dc, "status_s": status_s, "server_cycles": server_cycles, "st1": st1, "p0": (p0, db0), "p1": (p1, db1),
           "defects": audio_defects(x, click_bound(p0)), "xrun_frames": xrun_frames}
    out["unexplained_gaps"] = unexplained(out["defects"], xrun_frames, ("gaps",))
    out["unexplained_clicks"] = unexplained(out["defects"], xrun_frames, ("clicks",))
    out["xrun_coverage"] = xrun_coverage(xrun_frames, len(x))
    print(f"\nflood x{out['sockets']} sockets / {senders} processes: sent {sent} in {seconds:.2f} s "
          f"= {out['send_rate']:.0f}/s, arrived at the daemon {out['arrived_rate']:.0f}/s; /error at the senders "
          f"{out['errors_received']}, other replies {out['replies_received']}; RSS {rss0:.1f} -> max "
          f"{out['rss_max_mb']:.1f} -> {out['rss_after_mb']:.1f} MB; deltas {dc}; /status in {status_s * 1e3:.0f} ms; "
          f"audio: {len(out['defects']['clicks'])} clicks, {len(out['defects']['gaps'])} gaps, "
          f"{len(set(xrun_frames))} xruns (windows cover {100 * out['xrun_coverage']:.0f}%), unexplained clicks "
          f"{len(out['unexplained_clicks'])}, gaps {len(out['unexplained_gaps'])}; daemon callbacks "
          f"{dc['audio_callbacks']} vs jackd cycles {server_cycles:.0f}; callback p99/max "
          f"{st1['callback_us_p99']}/{st1['callback_us_max']} us")
    assert d.stop() == 0
    assert "Traceback" not in d.stderr_text()
    return out


def check_flood(r: dict[str, Any]) -> None:
    dc, st1 = r["deltas"], r["st1"]
    # /error replies are rate-limited across all senders together (20/s, burst 20): no amplifier
    assert r["errors_received"] <= 20 + 20 * (r["seconds"] + 1.0) + 2, r["errors_received"]
    assert dc["errors"] >= 0.3 * dc["datagrams"] and dc["errors_unreplied"] >= dc["errors"] - r["errors_received"] - 25
    # every message that arrived is accounted for, nothing is left queued
    assert st1["pending"] == 0
    assert st1["handled"] + st1["coalesced"] + st1["errors"] == st1["received"]
    # the audio callback kept running through it (underruns are reported, not hidden): compared with the cycles
    # jackd really ran, counted by a client connected to nothing (CycleCounter). Under a deliberate flood of the
    # 2-core VM the daemon's client is late for some of them (0.81 of jackd's cycles in one CI rehearsal, where the
    # reload and fuzz tests keep >= 0.9); 0.7 still fails an engine that stalls 0.3 s a second.
    assert dc["audio_callbacks"] >= 0.7 * r["server_cycles"], (dc["audio_callbacks"], r["server_cycles"])
    assert st1["audio_state"] == "running" and st1["audio_ok"] == 1
    assert r["p1"] == pytest.approx(r["p0"], abs=1e-5)
    # memory bounded: no growth beyond allocator noise
    assert r["rss_max_mb"] <= r["rss_before_mb"] + 20.0 and r["rss_after_mb"] <= r["rss_before_mb"] + 10.0
    assert r["status_s"] < 1.0
    # no dropout; clicks are reported, not asserted: a saturated machine makes jackd itself skip cycles so
    # often that its xruns cover most of the recording (the fuzz and reload tests hold the click check)
    assert not r["unexplained_gaps"], (f"gaps longer than a period or with no jackd xrun at frames {r['unexplained_gaps'][:10]} "
                                       f"(nearest xruns: {nearest_xruns(r['unexplained_gaps'], r['xrun_frames'])})")
    assert r["st1"]["audio_errors"] == 0


@pytest.mark.jack
def test_flood_one_client_as_fast_as_it_can(jackd, daemon_factory) -> None:
    """One sender process, one socket, a tight loop of half junk / half valid datagrams for 3 s."""
    r = flood_run(daemon_factory, jackd, senders=1, sockets_per_sender=1)
    check_flood(r)
    assert r["send_rate"] >= 50_000, "the sender itself was starved: this run is not the flood the issue asks for"


@pytest.mark.jack
def test_flood_many_clients_at_once(jackd, daemon_factory) -> None:
    """Two sender processes with 4 sockets each (8 clients, 8 source ports) for 3 s."""
    r = flood_run(daemon_factory, jackd, senders=2, sockets_per_sender=4)
    check_flood(r)


# --- faults: the audio device disappears ----------------------------------------------------

def notify_lines(sock: socket.socket, seconds: float) -> list[tuple[float, str]]:
    """Every sd_notify line that arrives within `seconds`, with its arrival time (monotonic)."""
    out: list[tuple[float, str]] = []
    until = time.monotonic() + seconds
    while (left := until - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            data = sock.recv(4096)
        except socket.timeout:
            break
        now = time.monotonic()
        out += [(now, line) for line in data.decode(errors="replace").split("\n")]
    return out


def wait_status(d: Daemon, key: str, value: Any, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        st = d.status()
        if st.get(key) == value or time.monotonic() > deadline:
            return st
        time.sleep(0.1)


@pytest.mark.jack
def test_jackd_stops_mid_run(daemon_factory, tmp_path: Path) -> None:
    """jackd is stopped under a playing daemon, then restarted under the same name.

    What must happen (PortAudio 19.6 cannot reopen JACK in-process, see
    daemon/audio_out.py and docs/robustness.md): OSC keeps answering and
    playing into the render clock; /status says audio_state lost,
    audio_ok 0, audio_recoverable 0; WATCHDOG=1 stops, so systemd
    (WatchdogSec) restarts the process; a restart while jackd is still
    down exits non-zero with a clear line (systemd tries again); a restart
    once jackd is back plays the right pitch again.
    """
    require_jackd()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    notify = {"NOTIFY_SOCKET": str(tmp_path / "notify.sock"), "WATCHDOG_USEC": "1000000"}   # a beat every 0.5 s
    try:
        with jack_server(rescan_portaudio=False) as server:
            d = jack_daemon(daemon_factory, server, {"synth": {"voices": 4}}, env=notify)
            c = d.client()
            pitch, db = c.request("/pictslider", 40, 80)
            with Recorder() as rec:               # closed before jackd goes: a client of a dead server hangs
                rec.wait_for_signal(timeout=10)
            beats = [t for t, line in notify_lines(sock, 1.6) if line == "WATCHDOG=1"]
            assert len(beats) >= 2, "no watchdog while playing"

            server.proc.terminate()
            server.proc.wait(5)
            t_kill = time.monotonic()
            st = wait_status(d, "audio_state", "lost", 5.0)
            t_lost = time.monotonic() - t_kill
            assert st["audio_state"] == "lost" and st["audio_ok"] == 0 and st["audio_recoverable"] == 0, st
            # OSC keeps answering, requests keep being played (into the render clock) and refused as usual
            assert c.request("/pictslider", 41, 80)
            c.send("/pictslider", 999, 0)
            assert c.wait_for("/error")[0] == "/pictslider"
            d.wait_log(r"cannot reconnect within this process.*restart isudt", 5)
            # the watchdog has stopped: a beat decided just before the loss may still arrive, then silence
            notify_lines(sock, 0.6)
            later = [line for _, line in notify_lines(sock, 1.6) if line == "WATCHDOG=1"]
            assert later == [], f"WATCHDOG=1 still sent {len(later)} times with the audio device gone"
            cb = d.status()["audio_callbacks"]
            time.sleep(0.3)
            assert d.status()["audio_callbacks"] > cb, "the render clock stopped while the device is gone"

            # systemd restarts it while jackd is still down: a clear error and a non-zero exit
            early = tmp_path / "early"
            early.mkdir()
            r = run_serve(early, {**JACK_BASE}, env=server.env(), timeout=30)
            assert r.returncode == 1 and "audio: audio output device 'system' not found" in r.stderr, r.stderr[-800:]
            assert "Traceback" not in r.stderr

            with jack_server(name=server.name, rescan_portaudio=False) as again:
                time.sleep(1.0)
                st = d.status()
                assert st["audio_state"] == "lost", "the old process cannot reconnect (and must not pretend to)"
                t = time.monotonic()
                assert d.stop() == 0
                stop_s = time.monotonic() - t
                assert stop_s < 2.0 and "Traceback" not in d.stderr_text()
                # what systemd does next: a fresh process, which plays again
                d2 = jack_daemon(daemon_factory, again, {"synth": {"voices": 4}}, env=notify)
                c2 = d2.client()
                assert c2.request("/pictslider", 40, 80) == pytest.approx([pitch, db], abs=1e-5)
                with Recorder() as rec:
                    rec.wait_for_signal(timeout=10)
                    time.sleep(0.15)
                    played = measured_tone(rec, pitch, voice0_amplitude(db, 0.0))
                st2 = d2.status()
                beats2 = [t for t, line in notify_lines(sock, 1.6) if line == "WATCHDOG=1"]
                assert d2.stop() == 0
        print(f"\njackd stopped: /status said lost after {t_lost:.2f} s; old process stopped in {stop_s:.2f} s; "
              f"restart while jackd down: exit {r.returncode}; restarted process plays {played:.3f} "
              f"(said {pitch:.3f}), state {st2['audio_state']}, watchdog beats {len(beats2)} in 1.6 s")
        assert abs(100 * (played - pitch)) <= 10
        assert st2["audio_state"] == "running" and st2["audio_ok"] == 1 and len(beats2) >= 2
    finally:
        sock.close()


# --- faults: bad bundles at start and at reload -----------------------------------------------

def corrupt(kind: str, root: Path) -> Path:
    """A copy of the packaged bundle at `root`, broken the way `kind` says; returns it."""
    b = copy_bundle(root)
    man = manifest_of(b)
    if kind == "missing_file":
        (b / man["files"]["mapper"]["path"]).unlink()
    elif kind == "flipped_bytes":                    # corrupt on disk: the manifest's sha256 catches it
        f = b / man["files"]["sound_decoder"]["path"]
        data = bytearray(f.read_bytes())
        data[len(data) // 2] ^= 0xFF
        f.write_bytes(bytes(data))
    elif kind == "not_onnx":                         # sha256 updated to match: onnxruntime must refuse it
        import hashlib
        junk = b"this is not an ONNX model"
        (b / man["files"]["image_encoder"]["path"]).write_bytes(junk)
        man["files"]["image_encoder"]["sha256"] = hashlib.sha256(junk).hexdigest()
        write_manifest(b, man)
    elif kind == "manifest_dims":                    # the manifest disagrees with the models' shapes
        man["sound"]["latent_dim"] = 3
        man["sound"]["latent_range"] = {"min": [-1.0, -1.0, -1.0], "max": [1.0, 1.0, 1.0]}
        write_manifest(b, man)
    elif kind == "manifest_yaml":
        (b / "manifest.yaml").write_text("format: [isudt-bundle/1\nfiles: {")
    else:
        raise ValueError(kind)
    return b


BAD_BUNDLES = {
    "missing_file": r"mapper\.onnx: listed in the manifest but missing",
    "flipped_bytes": r"sound_decoder\.onnx: sha256 does not match the manifest",
    "not_onnx": r"image_encoder\.onnx: onnxruntime cannot load it",
    "manifest_dims": r"(mapper|sound_decoder)\.onnx: (input|output) 'z_sound' has shape .*the manifest implies \[N, 3\]",
    "manifest_yaml": r"manifest\.yaml: not valid YAML",
}


@pytest.mark.process
def test_bad_bundles_at_start_exit_1_with_one_clear_line(tmp_path: Path) -> None:
    """Each broken bundle: exit 1 (systemd restarts it), exactly one stderr line, naming the file and the problem."""
    procs = {}
    for kind in BAD_BUNDLES:
        work = tmp_path / kind
        work.mkdir()
        bundle = corrupt(kind, work / "bundle")
        cfg = work / "cfg.yaml"
        cfg.write_text(yaml.safe_dump(merged({"bundle": {"path": str(bundle)}})))
        procs[kind] = subprocess.Popen(serve_command(cfg), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                       env=child_env(), stdin=subprocess.DEVNULL)
    results = {}
    for kind, p in procs.items():
        try:
            out, err = p.communicate(timeout=40)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(5)
        results[kind] = (p.returncode, err)
    for kind, (rc, err) in results.items():
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert rc == 1, (kind, rc, err[-1000:])
        assert len(lines) == 1, (kind, lines)
        assert re.search(r"ERROR isudt: bundle: .*" + BAD_BUNDLES[kind], lines[0]), (kind, lines[0])
        assert "Traceback" not in err


def make_bundles(tmp_path: Path) -> tuple[Path, Path, dict[str, Path]]:
    """reload_dirs/good (a copy of the packaged bundle) and reload_dirs/<kind> for every broken kind."""
    rdir = tmp_path / "bundles"
    good = copy_bundle(rdir / "good")
    bad = {}
    for kind in BAD_BUNDLES:
        b = corrupt(kind, rdir / kind)
        if kind != "manifest_yaml":               # if any of them were loaded, model_id would say so
            m = manifest_of(b)
            m["model_id"] = f"broken-{kind}"
            write_manifest(b, m)
        bad[kind] = b
    return rdir, good, bad


def set_bundle(d: Daemon, path: Path, reload_dirs: list[str]) -> None:
    cfg = yaml.safe_load(d.config_path.read_text())
    cfg.setdefault("bundle", {}).update({"path": str(path), "reload_dirs": reload_dirs})
    d.config_path.write_text(yaml.safe_dump(cfg))


def sighup(d: Daemon, expect: str, timeout: float = 20.0) -> float:
    """SIGHUP, wait for a log line matching `expect`; returns the seconds it took."""
    mark = len(d.log)
    t = time.monotonic()
    d.send_signal(signal.SIGHUP)
    d.wait_log(expect, timeout, mark)
    return time.monotonic() - t


def steady_positions(c: OscClient, n: int = 12, band_db: float = 6.0) -> list[tuple[int, int, float, float]]:
    """n positions whose levels lie within `band_db` of each other: (x, y, pitch, dB), asked of the daemon."""
    grid = [(x, y) for x in range(5, 126, 20) for y in range(5, 126, 20)]
    found = [(x, y, *c.request("/pictslider", x, y)) for x, y in grid]
    found.sort(key=lambda r: r[3])
    best = max(range(len(found)), key=lambda i: sum(1 for r in found[i:] if r[3] - found[i][3] <= band_db))
    chosen = [r for r in found[best:] if r[3] - found[best][3] <= band_db][:n]
    assert len(chosen) >= 4, found
    return chosen


@pytest.mark.jack
def test_sighup_reloads_and_sigterm_under_full_load(jackd_rt, daemon_factory, tmp_path: Path) -> None:
    """A sender floods /pictslider at 2000/s (the benchmark's sustained target) through all of this:

    * three good SIGHUP reloads (the bundle re-read, re-verified, new ORT
      sessions warmed up and swapped in) cost the audio nothing, in numbers
      jackd's own lateness does not distort: in the second after each SIGHUP
      the engine ran a callback for at least 0.9 of jackd's cycles, its own
      callback time stayed under the block period (p99 over the newest 4096
      callbacks, which hold all the reload and quiet seconds, and the max
      since the start); and the recording through all of it has no gap and
      no click that a jackd xrun excuses, within `assert_clean`'s bound.
      Underruns after the SIGHUPs vs in quiet seconds are printed, not
      asserted: a benchmark row (PortAudio counts every jackd xrun as one, and
      on this 2-vCPU VM a reload's CPU burst makes jackd itself late);
    * the five broken bundles of BAD_BUNDLES in reload_dirs: each refused,
      model_id and the reload count unchanged, answers unchanged, still playing;
    * SIGTERM: exit 0 within 1 s, and the recording ends in a fade, not a cut.

    On the asynchronous (realtime where allowed) jackd: on a synchronous one
    jackd waits for a stalled daemon, so its cycles always equal the
    callbacks (tried: the daemon stopped 0.3 s after each SIGHUP still read
    1.0 callbacks per cycle); here that costs the recording jackd's xruns,
    hence `conclusive`.
    """
    runs = iter(range(2))
    conclusive(lambda: reloads_and_sigterm(jackd_rt, daemon_factory, tmp_path / f"run{next(runs)}"),
               "recording through the reloads")


def reloads_and_sigterm(jackd: Any, daemon_factory: Any, tmp_path: Path) -> None:
    rdir, good, bad = make_bundles(tmp_path)
    d = jack_daemon(daemon_factory, jackd, {"synth": {"voices": 4, "fade_ms": 30},
                                               "bundle": {"path": str(good), "reload_dirs": [str(rdir)]}})
    c = d.client()
    chosen = steady_positions(c)
    positions = [(x, y) for x, y, _, _ in chosen]
    max_pitch = max(p for _, _, p, _ in chosen)
    amp_min = min(voice0_amplitude(db, 0.0) for *_, db in chosen)
    model_id = d.status()["model_id"]
    flooder = start_flooder(d.port, 60, "valid", rate=2000, positions=positions)
    try:
        with CycleCounter() as cycle_counter, XrunRecorder(seconds=60) as rec:
            rec.wait_for_signal(timeout=10)
            time.sleep(1.0)
            rec.clear()
            quiet = {"underruns": 0, "xruns": 0, "s": 0.0, "callbacks": 0}
            hup = {"underruns": 0, "xruns": 0, "s": 0.0, "callbacks": 0, "took": [], "callbacks_per_cycle": []}
            for _ in range(3):
                for window, reload_it in ((quiet, False), (hup, True)):
                    st0, x0, f0, t0 = d.status(), len(rec.xrun_frames), cycle_counter.frames, time.monotonic()
                    if reload_it:
                        hup["took"].append(sighup(d, r"reloaded: bundle", 20))
                    time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
                    st1 = d.status()
                    cycles = (cycle_counter.frames - f0) / 128    # what jackd ran in the same second
                    window["underruns"] += st1["underruns"] - st0["underruns"]
                    window["xruns"] += len(rec.xrun_frames) - x0
                    window["s"] += time.monotonic() - t0
                    window["callbacks"] += st1["audio_callbacks"] - st0["audio_callbacks"]
                    if reload_it:
                        hup["callbacks_per_cycle"].append((st1["audio_callbacks"] - st0["audio_callbacks"]) / cycles)
            st = d.status()
            timing = {"p99_us": st["callback_us_p99"], "max_us": st["callback_us_max"],
                      "callbacks_in_windows": quiet["callbacks"] + hup["callbacks"]}
            assert st["reloads"] == 3 and st["model_id"] == model_id and st["audio_ok"] == 1
            for kind, path in bad.items():
                set_bundle(d, path, [str(rdir)])
                sighup(d, r"reload refused, keeping the old (config and )?bundle", 20)
                st = d.status()
                assert st["model_id"] == model_id and st["reloads"] == 3, (kind, st["model_id"])
                x, y, p, db = chosen[0]
                # voice 1: the flood drives voice 0, whose newest-wins coalescing may drop this request unanswered
                assert c.request("/voice/1/pictslider", x, y, reply="/voice/1/sineparams") == \
                    pytest.approx([p, db], abs=1e-5), kind
            x_load = rec.samples()
            xrun_load = list(rec.xrun_frames)
            st_before_term = d.status()
            assert st_before_term["audio_state"] == "running" and st_before_term["handled"] > 10_000

            # SIGTERM, still under load
            mark = rec.frames
            t = time.monotonic()
            d.send_signal(signal.SIGTERM)
            rc = d.proc.wait(5)
            took = time.monotonic() - t
            time.sleep(0.3)
            everything = rec.samples()                        # the ring (60 s) has not wrapped: index = frame
            start = mark - int(0.2 * SR)
            x_end = everything[start:]
            xrun_end = [f - start for f in rec.xrun_frames if f >= start]
    finally:
        flooder.kill()
        flooder.wait(5)
    defects = audio_defects(x_load, click_bound(max_pitch))
    loud = np.flatnonzero(np.abs(x_end[:, 0]) > 1e-4)
    assert len(loud), "nothing played before SIGTERM"
    played = x_end[loud[0]:loud[-1] + 1, 0]
    tail = played[-int(0.005 * SR):]
    fade_start = loud[-1] + 1 - int(0.06 * SR)
    fade = x_end[fade_start:loud[-1] + 1, 0]
    env = [float(np.max(np.abs(fade[i:i + 240]))) for i in range(0, len(fade) - 239, 240)]
    print(f"\nreloads under 2000 /pictslider/s: took {[round(x, 3) for x in hup['took']]} s; engine callbacks per "
          f"jackd cycle after each SIGHUP {[round(r, 3) for r in hup['callbacks_per_cycle']]}; callback time over the "
          f"{timing['callbacks_in_windows']} callbacks of the reload and quiet seconds: p99 {timing['p99_us']:.0f} us, max "
          f"since start {timing['max_us']:.0f} us (block {BLOCK_US:.0f} us); {len(bad)} broken bundles refused; recording "
          f"{defects['seconds']:.1f} s: {len(defects['clicks'])} clicks, {len(defects['gaps'])} gaps, unexplained "
          f"{len(unexplained(defects, xrun_load))}, xrun windows cover {100 * xrun_coverage(xrun_load, len(x_load)):.0f}%; "
          f"SIGTERM: exit {rc} in {took:.3f} s, last 5 ms peak "
          f"{np.max(np.abs(tail)):.4f} vs tone >= {amp_min:.3f}; fade envelope {[round(e, 3) for e in env]}")
    # benchmark row, not a check (see the docstring; bench/bench_jack.py measures the same on one daemon)
    print(f"BENCH reload underruns (jackd {'-R' if jackd.realtime else '--no-realtime'}): {hup['underruns']} in "
          f"{hup['s']:.1f} s after SIGHUPs vs {quiet['underruns']} in {quiet['s']:.1f} s quiet; jackd xruns "
          f"{hup['xruns']} vs {quiet['xruns']}")
    assert rc == 0 and took < 1.0, (rc, took, d.stderr_text()[-800:])
    # a fade, not a cut: the last 5 ms before silence are far below the quietest tone that could be playing
    assert len(played) > 0.1 * SR and np.max(np.abs(tail)) < 0.5 * amp_min
    assert env[-1] < 0.5 * max(env[:3])
    # no click in the fade beyond what an xrun there excuses
    fade_defects = audio_defects(fade, click_bound(max_pitch))
    assert not unexplained(fade_defects, [f - fade_start for f in xrun_end]), fade_defects
    assert "Traceback" not in d.stderr_text()
    # reloads do not cost audio, in the engine's own numbers: a callback for (nearly) every cycle jackd ran in
    # the second after each SIGHUP, and none of them, nor of the quiet seconds, took a block period
    assert min(hup["callbacks_per_cycle"]) >= 0.9, hup
    assert timing["callbacks_in_windows"] <= 4096, "the p99 must cover every callback of the windows (engine.h's ring)"
    assert timing["p99_us"] < BLOCK_US and timing["max_us"] < BLOCK_US, (timing, BLOCK_US)
    assert_clean(defects, xrun_load, "recording through the reloads")


# --- who may talk ----------------------------------------------------------------------------

def bound_client(host: str, port: int, source: str) -> OscClient:
    """An OscClient whose socket is bound to `source` (another loopback address, or a local LAN address)."""
    c = OscClient(host, port)
    c.sock.close()
    c.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.sock.bind((source, 0))
    return c


def local_lan_address() -> str | None:
    """A non-loopback IPv4 address of this machine, if it has one (a UDP 'connect' sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            ip = s.getsockname()[0]
        except OSError:
            return None
    return None if ip.startswith("127.") else ip


def test_allow_list_drops_and_counts_strangers_silently(daemon_factory) -> None:
    """Bound to 127.0.0.1, allow only 127.0.0.2/32: 127.0.0.1 gets nothing back and is counted; 127.0.0.2 is served.

    (tests/test_osc.py checks the matching rules without sockets; this is the
    real socket path, with both senders on loopback.)
    """
    d = daemon_factory({"osc": {"host": "127.0.0.1", "allow": ["127.0.0.2/32"]}})
    friend = bound_client(d.host, d.port, "127.0.0.2")
    stranger = bound_client(d.host, d.port, "127.0.0.1")
    try:
        for m in (msg("/pictslider", 1, 2), msg("/status"), b"junk", msg("/nope"), msg("/gain", -40.0)):
            stranger.send_raw(m)
        assert stranger.recv(0.5) is None, "a sender outside the allow list got a reply"
        assert friend.request("/pictslider", 1, 2)
        st = dict(zip(*[iter(friend.request("/status", reply="/status.reply"))] * 2))
        assert st["dropped"] == 5 and st["received"] == 2 and st["errors"] == 0, st
        assert st["gain_db"] == 0.0, "a dropped /gain changed the gain"
        assert stranger.recv(0.2) is None
    finally:
        friend.close()
        stranger.close()


def test_default_allow_list_is_loopback_only_on_any_interface(daemon_factory) -> None:
    """Listening on 0.0.0.0 with the default allow list: a LAN source address is dropped, loopback is served."""
    lan = local_lan_address()
    if lan is None:
        pytest.skip("no non-loopback IPv4 address on this machine")
    d = daemon_factory({"osc": {"host": "0.0.0.0"}})
    assert d.wait_log(r"listening on 0\.0\.0\.0 but osc\.allow admits only loopback senders", 2)
    outsider = bound_client("127.0.0.1", d.port, lan)
    local = bound_client("127.0.0.1", d.port, "127.0.0.1")
    try:
        outsider.send("/pictslider", 3, 4)
        outsider.send("/status")
        assert outsider.recv(0.5) is None
        assert local.request("/pictslider", 3, 4)
        st = dict(zip(*[iter(local.request("/status", reply="/status.reply"))] * 2))
        assert st["dropped"] == 2 and st["received"] == 2, st
    finally:
        outsider.close()
        local.close()


def test_two_daemons_replying_to_each_other_do_not_ping_pong(daemon_factory) -> None:
    """A's replies go to B's port and B's to A's (a misconfiguration, or the default ports of two installs
    swapped): one junk datagram must cost one /error each, not an /error ping-pong until a rate limit runs dry.
    (Before the fix: 21 and 20 errors from one datagram.)"""
    from conftest import free_udp_port
    pa, pb = free_udp_port(), free_udp_port()
    a = daemon_factory({"osc": {"port": pa, "reply_port": pb, "reply_to_sender": False}})
    b = daemon_factory({"osc": {"port": pb, "reply_port": pa, "reply_to_sender": False}})
    c = a.client()
    c.send("/no/such/address")                  # A: /error -> B: unknown /error, counted -> nothing back
    c.send("/pictslider", 3, 4)                 # A: /sineparams -> B: a reply, refused silently -> nothing back
    time.sleep(1.0)
    a.stop()
    b.stop()
    counts = []
    for d in (a, b):
        line = next(ln for ln in reversed(d.log) if "stopped (" in ln)
        counts.append(tuple(int(re.search(rf"{k} (\d+)", line).group(1)) for k in ("received", "errors")))
    assert counts == [(2, 1), (2, 2)], counts   # A: junk, /pictslider; B: A's /error and /sineparams, both silent


# --- no OSC message touches files or runs anything --------------------------------------------

def fd_targets(pid: int) -> set[str]:
    """What the process has open (files, sockets, pipes), by target."""
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            out.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    return {t for t in out if not t.startswith(("socket:", "pipe:", "anon_inode:"))}


def children(pid: int) -> list[str]:
    kids = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            kids += Path(f"/proc/{pid}/task/{tid}/children").read_text().split()
        except OSError:
            pass
    return kids


def test_no_osc_message_reads_writes_or_runs_anything(daemon_factory, tmp_path: Path) -> None:
    """Paths, shell commands and 'reload'-like addresses sent as OSC: nothing created, opened or run.

    And the one file-touching action there is, a SIGHUP reload, refuses
    bundle paths outside bundle.reload_dirs, also through `..` and symlinks.
    """
    work = tmp_path / "work"
    work.mkdir()
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    outside = copy_bundle(tmp_path / "outside" / "bundle")
    m = manifest_of(outside)
    m["model_id"] = "must-never-load"
    write_manifest(outside, m)
    (allowed / "link").symlink_to(outside, target_is_directory=True)
    d = daemon_factory({"bundle": {"reload_dirs": [str(allowed)]}})
    c = d.client()
    c.request("/pictslider", 5, 5)
    before = fd_targets(d.proc.pid)
    cwd = Path(os.readlink(f"/proc/{d.proc.pid}/cwd"))
    cwd_before = set(os.listdir(cwd))
    marker = work / "pwned"
    payloads = [str(marker), f"$(touch {marker})", f"`touch {marker}`", f"; touch {marker}", f"| touch {marker}",
                f"../../../../{marker}", "file://" + str(marker), str(outside), str(allowed / "link"),
                "/etc/passwd", "~/.bashrc"]
    addresses = ["/bundle", "/bundle/load", "/reload", "/load", "/config", "/exec", "/run", "/system", "/shell",
                 "/save", "/record", "/log", "/file", "/open", "/quit", "/shutdown", "/status/../reload",
                 "/voice/0/../../reload", "/pictslider"]
    sent = 0
    for a in addresses:
        for p in payloads:
            c.send(a, p)
            c.send(a, p.encode())
            sent += 2
    c.send_raw(pad(str(marker).encode()))                      # the path itself as an address
    c.send("/frame", str(marker).encode().ljust(64, b"\0"))   # a path as pixels: just an 8x8 image
    sent += 2
    time.sleep(0.5)
    st = d.status()
    assert st["received"] >= sent and st["reloads"] == 0 and st["model_id"] != "must-never-load"
    assert not marker.exists() and not list(work.iterdir())
    assert set(os.listdir(cwd)) == cwd_before
    assert children(d.proc.pid) == [], "the daemon started a process"
    assert fd_targets(d.proc.pid) == before, fd_targets(d.proc.pid) ^ before
    assert d.proc.poll() is None

    # SIGHUP may switch bundles only inside reload_dirs: `..` and a symlink out of it are refused
    for escape in (allowed / ".." / "outside" / "bundle", allowed / "link"):
        set_bundle(d, escape, [str(allowed)])
        sighup(d, r"reload refused.*not inside bundle\.reload_dirs", 10)
        assert d.status()["model_id"] != "must-never-load"
    # ... and a real copy inside it is accepted (so the refusals above were about the path, not the bundle)
    inside = copy_bundle(allowed / "copy")
    m["model_id"] = "allowed-copy"
    write_manifest(inside, m)
    set_bundle(d, inside, [str(allowed)])
    sighup(d, r"reloaded: bundle allowed-copy", 20)
    assert d.status()["model_id"] == "allowed-copy"
    assert d.stop() == 0


# --- soak --------------------------------------------------------------------------------------

SOAK_SECONDS = 60


@pytest.mark.process
@pytest.mark.slow
def test_soak_memory_stays_flat(tmp_path: Path) -> None:
    """bench/soak.py for 60 s at the benchmark's full control load (on jackd when there is one): RSS growth
    after warm-up < 5 %, every message answered or coalesced, no error, clean exit. The 10-minute run is
    `python bench/soak.py --jack` (docs/robustness.md has its numbers)."""
    out = tmp_path / "soak.json"
    cmd = [sys.executable, str(Path(__file__).resolve().parents[1] / "bench" / "soak.py"),
           "--seconds", str(SOAK_SECONDS), "--out", str(out)]
    if jackd_available():
        cmd += ["--jack", "--idle-seconds", "10"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=SOAK_SECONDS + 120, stdin=subprocess.DEVNULL)
    print(r.stdout[r.stdout.find("\nSoak:"):])
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(out.read_text())
    mem, cnt, load = res["memory"], res["counters"], res["load"]
    assert mem["growth_pct"] < 5.0, mem
    assert res["exit_code"] == 0 and res["stop_s"] < 1.0
    for kind, rate in res["target_rates"].items():
        assert load["rates"][kind] >= 0.9 * rate, (kind, load["rates"])
    assert cnt["errors"] == 0 and cnt["dropped"] == 0 and cnt["replies_failed"] == 0, cnt
    sent = sum(load["sent"].values())
    assert cnt["received"] >= 0.99 * sent, (cnt, sent)          # loopback at this rate loses nothing
    assert res["status_end"]["pending"] == 0
    assert cnt["handled"] + cnt["coalesced"] == cnt["received"], cnt
