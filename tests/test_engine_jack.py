"""The C engine in a real JACK server while Python is at its worst: the audio must not notice.

The engine runs in a subprocess together with a thread that hogs the GIL (a
C-level `sum` holds it for several ms at a time, longer than a 2.7 ms block) and a thread that writes
10,000 parameter changes a second. The recorder lives in this process (its
JACK callback is Python and must not share the hog's GIL). We check that every
change was applied, in order (the engine reports how many it applied and the
sequence number of the last one), that the recording has no gap and no click
that a JACK xrun does not excuse, and that the final state sounds as set.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from support.audio_analysis import longest_steady_sine, midi_to_hz, tones
from test_robustness import XrunRecorder, assert_clean, audio_defects, click_bound, conclusive

SR = 48000

_SCRIPT = textwrap.dedent("""
    import json, math, sys, threading, time
    import numpy as np
    from isudt.daemon.audio_out import AudioConfig, AudioOutput
    from isudt.daemon.engine import Engine, SynthConfig
    engine = Engine(SynthConfig(glide_ms=20.0))
    out = AudioOutput(AudioConfig(device="system"), engine)
    for v in range(8):
        engine.set_voice(v, 50 + 3 * v, -24.0)
    out.start()
    print("running", flush=True)
    sys.stdin.readline()                              # the recorder is listening
    stop = threading.Event()
    hog_calls = [0]

    def hog():
        while not stop.is_set():
            sum(range(300_000))                       # holds the GIL for the whole call (> a block)
            hog_calls[0] += 1

    def writer(seconds, rate):
        n, t0 = 0, time.monotonic()
        while (t := time.monotonic() - t0) < seconds:
            due = int(t * rate)
            while n < due:
                v = n % 8
                engine.set_voice(v, 50 + 3 * v + 2 * math.sin(2 * math.pi * (0.5 + 0.1 * v) * n / rate),
                                 -24.0 + 3 * math.sin(2 * math.pi * 0.3 * n / rate))
                n += 1
            time.sleep(0.002)
        return n

    threading.Thread(target=hog, daemon=True).start()
    t0 = time.monotonic()
    written = writer(4.0, 10_000)
    rate = written / (time.monotonic() - t0)
    for v in range(1, 8):
        engine.release_voice(v)
    engine.set_voice(0, 69.0, -12.0)
    stop.set()
    time.sleep(0.8)                                   # long enough that the final tone outlasts some xruns
    s = engine.stats()
    us = engine.callback_us()
    print(json.dumps({"pushed": s.pushed, "applied": s.applied, "last_seq": s.last_seq,
                      "written": written, "rate": rate, "hog_calls": hog_calls[0], "underruns": s.underruns,
                      "blocks": s.blocks, "p50_us": float(np.percentile(us, 50)),
                      "p99_us": float(np.percentile(us, 99)), "max_us": s.max_callback_us}), flush=True)
    sys.stdin.readline()
    out.stop()
""")


@pytest.mark.jack
@pytest.mark.slow
def test_engine_ignores_a_gil_hog_and_10000_changes_per_second(jackd_rt) -> None:
    """(The recording's xrun excuses are bounded by test_robustness.assert_clean: an inconclusive run is skipped
    here, measured again under CI.)"""
    conclusive(lambda: gil_hog_run(jackd_rt), "recording under the GIL hog")


def gil_hog_run(jackd_rt) -> None:
    server = jackd_rt
    proc = subprocess.Popen([sys.executable, "-c", _SCRIPT], env=server.env(), text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    rec = XrunRecorder(seconds=12).start(wait=False)
    try:
        assert proc.stdout.readline().strip() == "running", proc.stderr.read()
        rec.wait_for_source(timeout=5)
        rec.wait_for_signal(timeout=5)
        rec.clear()
        proc.stdin.write("go\n")
        proc.stdin.flush()
        result = json.loads(proc.stdout.readline())
        x = rec.samples()
        xruns = list(rec.xrun_frames)
        proc.stdin.write("stop\n")
        proc.stdin.flush()
        assert proc.wait(15) == 0, proc.stderr.read()
    finally:
        rec.stop()
        if proc.poll() is None:
            proc.kill()
    print(f"\nrealtime jackd: {server.realtime}; {json.dumps(result)}; jackd xruns {len(xruns)}")
    # every change applied, in order: the FIFO's count and the last sequence number say so
    total = result["written"] + 8                      # + 7 releases + the final set
    assert result["pushed"] == result["applied"] == result["last_seq"] == total + 8   # + 8 initial voices
    # the writer shares the GIL with the hog: it aims at 10,000/s and gets what the GIL leaves it (3,900-5,000/s in
    # this round's runs on the 2-core VM, over 5,000 in earlier rounds; the engine refused none: pushed == applied
    # above). What this bounds is the Python writer's share of the GIL, not the engine.
    assert result["rate"] > 2500 and result["hog_calls"] >= 10
    # no unexcused gap or click over the whole loaded stretch
    defects = audio_defects(x, click_bound(75.0))
    # about 5 s were loaded; a saturated VM makes jackd itself skip cycles (its own xruns, which shorten
    # the recording: 3.7 s once in CI), so ask for enough audio to judge, not for jackd's wall clock
    assert defects["seconds"] > 2.5, f"jackd ran only {defects['seconds']:.2f} s of the loaded stretch"
    # the final state plays: 440 Hz at -12 dB (+ the limiter's -1 dB never reached at this level), judged on
    # the longest stretch of the last 0.6 s with no phase jump: one block that jackd drops or repeats moves an
    # FFT's estimate by ~3 Hz (seen in CI, 456 xruns in the run); a wrong final state is wrong everywhere
    steady = longest_steady_sine(x[-int(0.6 * SR):, 0])
    assert len(steady) >= 2048, f"no stretch of the final tone without a jackd xrun ({len(steady)} samples)"
    (tone,) = tones(steady, SR, 1)
    assert abs(tone.hz - midi_to_hz(69.0)) < 1.0 and abs(tone.db + 12.0) < 0.5, (tone, len(steady))
    assert result["p99_us"] < 1e6 * 128 / SR        # the callback's own time stays far below a block
    assert_clean(defects, xruns, "recording under the GIL hog")      # no gap at all; clicks only at xruns (bounded)
