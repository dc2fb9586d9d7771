"""The synth alone (no audio device): glide, clicks, limiter, accuracy, allocation, cost.

A "click" is measured as the largest sample-to-sample step: a steady sine of
amplitude A at frequency f never steps more than A * 2 sin(pi f / sr), so any
transition whose largest step stays near that bound has no discontinuity.
"""
from __future__ import annotations

import ctypes
import math
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isudt.daemon.engine import Engine as Synth, SynthConfig, db_to_amp  # the C engine, by its role
from support.audio_analysis import (dominant_pitch, level_db, max_step, midi_to_hz, steady_step_bound, tones,
                                    zero_crossing_hz)

SR = 48000
BLOCK = 128
THR = 10 ** (-1.0 / 20)


def play(synth: Synth, seconds: float, block: int = BLOCK) -> np.ndarray:
    """Render `seconds` of audio in blocks, as the audio callback would."""
    n_blocks = max(1, math.ceil(seconds * SR / block))
    buf = np.zeros((block, 2), np.float32)
    res = np.empty((n_blocks * block, 2), np.float32)
    for i in range(n_blocks):
        synth.render(buf)
        res[i * block:(i + 1) * block] = buf
    return res


def make(**kw) -> Synth:
    return Synth(SynthConfig(samplerate=SR, **kw))


def steady(pitch: float, db: float) -> float:
    return steady_step_bound(pitch, db_to_amp(db), SR)


# --------------------------------------------------------------------- glide
@pytest.mark.parametrize("start, end", [((40, -40), (80, -6)), ((80, -6), (40, -46))])
def test_40_semitone_40_db_jump_has_no_discontinuity(start, end):
    s = make()
    s.set_voice(0, *start)
    play(s, 0.1)
    s.set_voice(0, *end)
    y = play(s, 0.3)
    top = max(start, end)                       # the steady sine at the highest frequency
    tail_step = max_step(y[-4800:]) if end == top else steady(*top)
    assert max_step(y) <= 1.02 * max(tail_step, steady(*top)) + 1e-4
    assert abs(dominant_pitch(y[-9600:], SR) - end[0]) < 0.02
    assert abs(level_db(y[-9600:]) - end[1]) < 0.1


def test_glide_zero_still_never_steps_the_level():
    s = make(glide_ms=0.0)
    s.set_voice(0, 60, -40)
    play(s, 0.1)
    s.set_voice(0, 72, -3)
    y = play(s, 0.05)
    assert max_step(y) <= 1.02 * steady(72, -3) + 1e-4


def test_pitch_glides_in_the_log_domain():
    """Halfway through a 1 s glide from MIDI 48 to 72 the pitch is 60 (linear Hz would give about 64)."""
    s = make(glide_ms=1000.0)
    s.set_voice(0, 48, -6)
    play(s, 0.1)
    s.set_voice(0, 72, -6)
    y = play(s, 1.0)
    mid = y[int(0.45 * SR):int(0.55 * SR)]
    assert abs(dominant_pitch(mid, SR) - 60.0) < 0.3


def test_default_glide_reaches_the_target_in_10_ms():
    s = make()
    s.set_voice(0, 60, -6)
    play(s, 0.1)
    s.set_voice(0, 72, -6)
    y = play(s, 0.05)
    after = y[int(0.011 * SR):int(0.05 * SR)]
    assert abs(zero_crossing_hz(after, SR) / midi_to_hz(72) - 1) < 0.005


# ------------------------------------------------------- starts, stops, mute
def test_voice_starts_from_silence_at_its_own_pitch():
    s = make()
    s.set_voice(0, 40, -6)
    play(s, 0.1)
    s.release_voice(0)
    assert np.all(play(s, 0.1)[-BLOCK:] == 0.0)
    s.set_voice(0, 81, -6)                      # 880 Hz; a stale glide would start near 82 Hz
    y = play(s, 0.1)
    assert abs(float(y[0, 0])) < 0.01
    assert max_step(y) <= 1.02 * steady(81, -6) + 1e-4
    assert abs(zero_crossing_hz(y[:int(0.02 * SR)], SR) / 880.0 - 1) < 0.005
    assert abs(level_db(y[int(0.05 * SR):]) - (-6)) < 0.1


def test_release_fades_to_exact_silence_without_a_click():
    s = make()
    s.set_voice(3, 84, -3)
    play(s, 0.1)
    s.release_voice(3)
    y = play(s, 0.1)
    assert max_step(y) <= 1.02 * steady(84, -3) + 1e-4
    assert np.all(y[int(0.04 * SR):] == 0.0)


def test_mute_toggles_are_ramped():
    s = make()
    s.set_voice(0, 84, -3)
    play(s, 0.1)
    parts = []
    for muted in (True, False, True, False, True):
        s.set_mute(muted)
        parts.append(play(s, 0.012))            # toggled again before the ramp ends
    parts.append(play(s, 0.1))
    y = np.concatenate(parts)
    assert max_step(y) <= 1.02 * steady(84, -3) + 1e-4
    assert np.all(y[-BLOCK:] == 0.0)
    s.set_mute(False)
    assert abs(level_db(play(s, 0.2)[int(0.05 * SR):]) - (-3)) < 0.1


def test_shutdown_fade_reaches_silence_and_reports_it():
    s = make()
    for v in range(4):
        s.set_voice(v, 60 + 7 * v, -12)
    play(s, 0.1)
    s.begin_fade_out(50)
    assert not s.faded_out
    y = play(s, 0.05 + 2 * BLOCK / SR)
    assert s.faded_out
    assert np.all(y[-BLOCK:] == 0.0)
    assert max_step(y) <= 1.02 * sum(steady(60 + 7 * v, -12) for v in range(4)) + 1e-4
    s.set_voice(5, 70, 0)                       # nothing plays after the shutdown fade
    assert np.all(play(s, 0.05) == 0.0)


# ------------------------------------------------------------------- limiter
def test_eight_loud_voices_never_exceed_the_threshold_or_click():
    s = make(gain_db=12.0)
    pitches = [38, 45, 52, 59, 66, 73, 80, 86]
    for v, p in enumerate(pitches):
        s.set_voice(v, p, 0.0)
    y = play(s, 1.0)
    for v in range(0, 8, 2):
        s.release_voice(v)
    y2 = play(s, 0.3)
    s.set_voice(0, 86, 6.0)
    y3 = play(s, 0.3)
    for part in (y, y2, y3):
        assert np.max(np.abs(part)) <= THR + 1e-6
        assert max_step(part) <= 1.02 * steady_step_bound(86, THR, SR)


def test_limiter_leaves_quiet_signals_alone_and_recovers():
    s = make()
    s.set_voice(0, 69, -6)
    assert abs(level_db(play(s, 0.2)[int(0.05 * SR):]) - (-6)) < 0.02
    for v in range(1, 8):
        s.set_voice(v, 50 + 3 * v, 0)
    play(s, 0.2)
    for v in range(1, 8):
        s.release_voice(v)
    y = play(s, 0.5)                            # 30 ms fade + 50 ms release (full scale)
    assert abs(level_db(y[int(0.3 * SR):]) - (-6)) < 0.02


def test_output_does_not_depend_on_the_block_size():
    """Ramps, phase and limiter release are per sample: any blocking gives the same signal."""
    def run(blocks: list[int]) -> np.ndarray:
        s = make()
        out, pos = [], 0
        for n in blocks:
            if pos == 0:
                for v in range(8):
                    s.set_voice(v, 40 + 5 * v, -2)
            if pos == 12800:
                s.release_voice(3)
                s.set_voice(1, 90, 0)
            buf = np.zeros((n, 2), np.float32)
            s.render(buf)
            out.append(buf)
            pos += n
        return np.concatenate(out)
    a = run([256] * 96)
    b = run([1, 7, 248, 1000, 3000, 5000, 3544, 4096, 13, 5000, 2667])   # 5000 > max_block: chunked
    assert len(a) == len(b) == 24576 and max_step(a) > 0
    assert np.allclose(a, b, atol=1e-5)


# ------------------------------------------------------------------- accuracy
@pytest.mark.parametrize("pitch, db", [(38, -40), (55.5, -20), (69, -6), (86, -1.5)])
def test_rendered_pitch_and_level_match_targets(pitch, db):
    s = make()
    s.set_voice(2, pitch, db)
    y = play(s, 0.4)[int(0.05 * SR):]
    cents = (dominant_pitch(y, SR) - pitch) * 100
    assert abs(cents) < 10, cents
    assert abs(level_db(y) - db) < 0.5


def test_two_voices_give_two_tones_and_gain_applies():
    s = make()
    s.set_voice(0, 60, -12)
    s.set_voice(5, 67, -18)
    s.set_gain(-6)
    y = play(s, 0.5)[int(0.1 * SR):]
    found = sorted(tones(y, SR, 2))
    assert [round(t.midi, 2) for t in found] == [60.0, 67.0]
    assert abs(found[0].db - (-18)) < 0.2 and abs(found[1].db - (-24)) < 0.2


def test_snapshot_and_validation():
    s = make()
    s.set_voice(1, 64, -10)
    s.set_glide(25)
    s.set_gain(-3)
    snap = s.snapshot()
    assert snap["voices"][1] == {"voice": 1, "active": True, "pitch": 64.0, "db": -10.0}
    assert snap["voices"][0]["active"] is False and snap["voices"][0]["db"] is None
    assert (snap["glide_ms"], snap["gain_db"], snap["muted"]) == (25.0, -3.0, False)
    with pytest.raises(IndexError):
        s.set_voice(s.cfg.voices, 60, 0)
    with pytest.raises(IndexError):
        s.release_voice(-1)
    with pytest.raises(ValueError):
        s.set_voice(0, float("nan"), 0)
    with pytest.raises(ValueError):
        s.set_gain(float("inf"))
    s.set_voice(2.0, 200, 0)                    # Pd sends floats; pitch is clamped below Nyquist
    assert s.snapshot()["voices"][2]["pitch"] < 69 + 12 * math.log2(0.5 * SR / 440)


# -------------------------------------------------------- real-time hygiene
class _MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


_LIBC = ctypes.CDLL(None)


def c_heap_in_use() -> int:
    """Bytes the C allocator has handed out and not taken back, all arenas (glibc's mallinfo2: in-use chunks
    plus mmapped blocks). The C engine's own calloc/malloc land here; tracemalloc never sees them."""
    if not hasattr(_LIBC, "mallinfo2"):
        pytest.skip("no glibc mallinfo2 (glibc >= 2.33): cannot read the C heap")
    _LIBC.mallinfo2.restype = _MallInfo2
    m = _LIBC.mallinfo2()
    return int(m.uordblks + m.hblkhd)


C_HEAP_SLACK = 1024      # bytes over 2000 blocks: one leaked malloc per block (>= 32 B a chunk) is 64 KB


def c_heap_growth(render, blocks: int = 2000) -> int:
    c_heap_in_use()                             # its own first-call setup is not the render's
    before = c_heap_in_use()
    for _ in range(blocks):
        render()
    return c_heap_in_use() - before


def _rendering_synth() -> tuple[Synth, np.ndarray]:
    s = make()
    for v in range(8):
        s.set_voice(v, 40 + 6 * v, -3)
    buf = np.zeros((BLOCK, 2), np.float32)
    for _ in range(200):
        s.render(buf)                           # voices mid-fade first (every ramp path runs), then warm
    return s, buf


def test_render_allocates_nothing():
    """2000 blocks of 8 gliding voices leave both heaps where they were.

    The C heap (`c_heap_in_use`, glibc's counters over every arena) is where
    the engine's own memory lives: it must not grow by more than
    C_HEAP_SLACK. The Python heap (tracemalloc: what the cffi wrapper around
    the callback allocates per call) must not grow, nor peak at half a work
    buffer. Neither sees a malloc the callback frees before it returns:
    tests/c/engine_check.c links the engine with malloc/calloc/realloc
    forbidden (test_engine_c.py), which does.
    """
    s, buf = _rendering_synth()
    c_growth = c_heap_growth(lambda: s.render(buf))
    tracemalloc.start()
    try:
        s.render(buf)
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(2000):
            s.render(buf)
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    one_buffer = 8 * BLOCK * 8                  # [voices, block] float64
    print(f"\nrender over 2000 blocks: C heap growth {c_growth} B; Python heap (tracemalloc) growth "
          f"{after - before} B, transient peak {peak - before} B")
    assert c_growth < C_HEAP_SLACK, f"the C heap grew {c_growth} B over 2000 blocks"
    assert after - before < 1024
    assert peak - before < one_buffer / 2


def test_the_c_heap_check_sees_a_leak_in_c():
    """The check above can fail: a render that leaks one 64-byte C malloc per block is caught
    (tracemalloc would see nothing of it)."""
    s, buf = _rendering_synth()
    libc = ctypes.CDLL(None)                    # its own handle: _LIBC's function types stay as they are
    libc.malloc.restype = ctypes.c_void_p
    leaked: list[int] = []

    def leaky_render() -> None:
        s.render(buf)
        leaked.append(libc.malloc(64))

    tracemalloc.start()
    try:
        growth = c_heap_growth(leaky_render)
        py_growth = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        libc.free.argtypes = [ctypes.c_void_p]
        for p in leaked:
            libc.free(p)
    assert growth >= 2000 * 64 > C_HEAP_SLACK, growth
    assert py_growth < 2000 * 64, "tracemalloc saw the C allocations (then the heap check is not needed)"


def test_render_cost():
    """Callback cost, 8 voices gliding, 128 frames at 48 kHz: printed, not asserted (shared CI machines)."""
    s = make()
    buf = np.zeros((BLOCK, 2), np.float32)
    times = []
    for i in range(2000):
        if i % 8 == 0:
            for v in range(8):
                s.set_voice(v, 40 + 5 * v + (i % 17), -3 - (i % 5))
        t0 = time.perf_counter()
        s.render(buf)
        times.append(time.perf_counter() - t0)
    us = np.array(times) * 1e6
    period = BLOCK / SR * 1e6
    print(f"\nsynth render, 8 voices, {BLOCK} frames: median {np.median(us):.0f} us "
          f"({100 * np.median(us) / period:.1f} % of {period:.0f} us), p99 {np.percentile(us, 99):.0f} us")


# ------------------------------------------------------------ property test
_op = st.one_of(
    st.tuples(st.just("voice"), st.integers(0, 7), st.floats(30, 86), st.floats(-60, 6)),
    st.tuples(st.just("release"), st.integers(0, 7)),
    st.tuples(st.just("gain"), st.floats(-20, 12)),
    st.tuples(st.just("glide"), st.floats(0, 50)),
    st.tuples(st.just("mute"), st.booleans()),
    st.tuples(st.just("render"), st.integers(1, 600)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_op, min_size=1, max_size=30))
def test_no_control_sequence_makes_a_click_or_clips(ops):
    s = make()
    chunks = []
    for op in ops + [("render", 2400)]:
        kind, *args = op
        if kind == "voice":
            s.set_voice(*args)
        elif kind == "release":
            s.release_voice(*args)
        elif kind == "gain":
            s.set_gain(*args)
        elif kind == "glide":
            s.set_glide(*args)
        elif kind == "mute":
            s.set_mute(*args)
        else:
            buf = np.zeros((args[0], 2), np.float32)
            s.render(buf)
            chunks.append(buf)
    y = np.concatenate(chunks)
    assert np.all(np.isfinite(y))
    assert np.max(np.abs(y)) <= THR + 1e-6
    # steady slope at the highest pitch and the threshold, plus the fastest level ramps (2 ms)
    assert max_step(y) <= steady_step_bound(86, THR, SR) + 0.03
