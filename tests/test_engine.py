"""The C audio engine against the numpy reference synth, sample for sample, and its FIFO and counters.

The reference (tests/support/reference_synth.py) is the synth the daemon played
before the engine moved to C, with the FM voice added; the engine must sound
the same within 1e-6 on any parameter schedule, at any block size, including
glides, fades, mute, the shutdown fade, limiting, FM voices (ratio and index
glides, the alias guard) and voices switching between sine and FM.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isudt.daemon import synths
from isudt.daemon.engine import Engine, EngineQueueFull, SynthConfig
from support.audio_analysis import max_step
from support.reference_synth import Synth

SR = 48000
TOL = 1e-6

voice_op = st.tuples(st.just("set_voice"), st.integers(0, 7), st.floats(20, 110), st.floats(-90, 6))
ops = st.one_of(
    voice_op, voice_op, voice_op,
    st.tuples(st.just("release_voice"), st.integers(0, 7)),
    st.tuples(st.just("set_gain"), st.floats(-40, 12)),
    st.tuples(st.just("set_glide"), st.floats(0, 200)),
    st.tuples(st.just("set_mute"), st.booleans()),
    st.tuples(st.just("begin_fade_out"), st.floats(0, 60)),
)
schedule = st.lists(st.tuples(st.integers(0, 40), ops), max_size=30)

# FM voices: ratio and index beyond the clamps, pitches where the alias guard bites, kinds switched while sounding
fm_op = st.tuples(st.just("set_voice_fm"), st.integers(0, 7), st.floats(20, 110), st.floats(0.005, 150),
                  st.floats(0, 150), st.floats(-90, 6))
mixed_ops = st.one_of(
    fm_op, fm_op, fm_op, voice_op,
    st.tuples(st.just("set_voice_kind"), st.integers(0, 7), st.sampled_from(["sine", "fm"])),
    st.tuples(st.just("release_voice"), st.integers(0, 7)),
    st.tuples(st.just("set_gain"), st.floats(-40, 12)),
    st.tuples(st.just("set_glide"), st.floats(0, 200)),
    st.tuples(st.just("set_mute"), st.booleans()),
)
mixed_schedule = st.lists(st.tuples(st.integers(0, 40), mixed_ops), max_size=30)


def run_both(cfg: SynthConfig, block: int, blocks: int, sched: list) -> tuple[np.ndarray, np.ndarray]:
    """Render `blocks` blocks with both synths, applying each (block index, op) before that block."""
    ref, eng = Synth(cfg), Engine(cfg)
    try:
        out_r = np.zeros((blocks, block, cfg.channels), np.float32)
        out_e = np.zeros_like(out_r)
        by_block: dict[int, list] = {}
        for b, op in sched:
            by_block.setdefault(b % blocks, []).append(op)
        for b in range(blocks):
            for name, *args in by_block.get(b, []):
                getattr(ref, name)(*args)
                getattr(eng, name)(*args)
            ref.render(out_r[b])
            eng.render(out_e[b])
        return out_r.reshape(-1, cfg.channels), out_e.reshape(-1, cfg.channels)
    finally:
        eng.close()


@pytest.mark.parametrize("block", [1, 64, 128, 1024])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sched=schedule)
def test_engine_matches_reference(block: int, sched: list) -> None:
    blocks = max(4, 6000 // block)
    ref, eng = run_both(SynthConfig(samplerate=SR, glide_ms=15.0, fade_ms=10.0), block, blocks, sched)
    err = float(np.max(np.abs(ref - eng)))
    assert err <= TOL, f"max |engine - reference| = {err:.3g} at block {block}"


@pytest.mark.parametrize("block", [1, 64, 128, 1024])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sched=mixed_schedule)
def test_engine_matches_reference_with_fm_and_mixed_voices(block: int, sched: list) -> None:
    blocks = max(4, 6000 // block)
    ref, eng = run_both(SynthConfig(samplerate=SR, glide_ms=15.0, fade_ms=10.0), block, blocks, sched)
    err = float(np.max(np.abs(ref - eng)))
    assert err <= TOL, f"max |engine - reference| = {err:.3g} at block {block}"


def test_fm_glides_and_kind_switches_match_the_reference() -> None:
    """A fixed schedule that surely takes every FM path: glides of each parameter, the guard engaging mid-glide,
    sine -> FM -> sine on a sounding voice, a release holding its timbre, a silent voice jumping to a new one."""
    sched = [(0, ("set_voice", 0, 60.0, -6.0)), (0, ("set_voice_fm", 1, 50.0, 2.0, 3.0, -12.0)),
             (5, ("set_voice_fm", 0, 62.0, 1.5, 4.0, -6.0)),          # sine -> FM while sounding
             (10, ("set_voice_fm", 1, 100.0, 7.0, 9.0, -12.0)),       # the guard engages during the glide
             (15, ("set_voice_kind", 0, "sine")), (20, ("set_voice_kind", 0, "fm")),
             (25, ("release_voice", 1)), (40, ("set_voice_fm", 1, 40.0, 0.5, 1.0, -3.0)),
             (45, ("set_voice", 1, 45.0, -3.0)), (50, ("set_glide", 0.0)),
             (52, ("set_voice_fm", 0, 70.0, 3.0, 2.0, -6.0))]
    ref, eng = run_both(SynthConfig(samplerate=SR, glide_ms=40.0, fade_ms=10.0), 128, 60, sched)
    assert float(np.max(np.abs(eng))) > 0.1
    assert float(np.max(np.abs(ref - eng))) <= TOL


def test_fm_voice_is_the_synth_definition() -> None:
    """A steady FM voice is daemon/synths.fm_wave (training's formula, with guard_index) to 1e-6: guard on and off."""
    for pitch, ratio, index in [(57.0, 2.0, 3.0), (86.0, 10.0, 10.0), (74.0, 0.37, 6.5)]:
        eng = Engine(SynthConfig(samplerate=SR, fade_ms=0.0))
        try:
            eng.set_voice_fm(0, pitch, ratio, index, synths.FM_LEVEL_DB)
            out = np.zeros((4800, 2), np.float32)
            eng.render(out)
        finally:
            eng.close()
        want = synths.fm_wave([pitch], [ratio], [index], 4800, SR, offset=np.array([1.0]))[0]   # the engine's
        assert float(np.max(np.abs(out[:, 0] - want))) <= TOL                                     # phase is (k+1) f
        assert np.array_equal(out[:, 0], out[:, 1])


def test_played_params_report_the_alias_guard() -> None:
    eng = Engine(SynthConfig(samplerate=SR))
    try:
        eng.set_voice_fm(2, 86.0, 10.0, 10.0, -12.0)
        pitch, ratio, index = eng.played_params(2)
        fc = 440.0 * 2 ** ((86.0 - 69.0) / 12)
        assert (pitch, ratio) == (86.0, 10.0) and index == pytest.approx((0.45 * SR / fc - 1) / 10 - 1)
        assert fc * (1 + (index + 1) * ratio) == pytest.approx(0.45 * SR)
        eng.set_voice_fm(2, 40.0, 1.0, 3.0, -12.0)
        assert eng.played_params(2) == (40.0, 1.0, 3.0)               # far below the ceiling: untouched
        eng.set_voice_fm(2, 80.0, 1e6, -4.0, -12.0)                    # clamped: ratio 64, index 0
        assert eng.played_params(2) == (80.0, 64.0, 0.0)
        assert eng.voice_kind(2) == "fm"
        eng.set_voice(2, 61.0, -20.0)
        assert eng.played_params(2) == (61.0, -20.0) and eng.voice_kind(2) == "sine"
        eng.set_voice_params(3, synths.FM, [50.0, 2.0, 1.0])
        assert eng.played_params(3) == (50.0, 2.0, 1.0) and eng.snapshot()["voices"][3]["db"] == synths.FM_LEVEL_DB
        eng.set_voice_params(3, synths.SINE, [55.0, -9.0])
        assert eng.played_params(3) == (55.0, -9.0)
        with pytest.raises(ValueError, match="takes 3"):
            eng.set_voice_params(3, synths.FM, [50.0, 2.0])
        with pytest.raises(ValueError, match="kind"):
            eng.set_voice_kind(3, "saw")
        with pytest.raises(ValueError, match="index"):
            eng.set_voice_fm(3, 60.0, 1.0, math.inf, 0.0)
    finally:
        eng.close()


def test_switching_kinds_on_a_sounding_voice_never_clicks() -> None:
    """sine -> fm -> sine at full level: the index glides from and to 0, so no step exceeds the FM tone's own."""
    eng = Engine(SynthConfig(samplerate=SR, glide_ms=20.0))
    try:
        out = np.zeros((128, 2), np.float32)
        chunks = []
        for b in range(300):
            if b == 0:
                eng.set_voice(0, 60.0, -6.0)
            elif b == 40:
                eng.set_voice_fm(0, 60.0, 2.0, 5.0, -6.0)
            elif b == 120:
                eng.set_voice_kind(0, "sine")
            elif b == 200:
                eng.set_voice_kind(0, "fm")
            eng.render(out)
            chunks.append(out.copy())
        y = np.concatenate(chunks)[:, 0]
    finally:
        eng.close()
    steady_fm = max_step(y[100 * 128:120 * 128])                       # the FM tone at rest
    assert max_step(y) <= 1.05 * steady_fm
    sine = y[180 * 128:200 * 128]                                      # back to a plain sine
    assert max_step(sine) <= 1.01 * 10 ** (-6 / 20) * 2 * math.sin(math.pi * 261.63 / SR) + 1e-6


def test_loud_chord_is_limited_like_the_reference() -> None:
    """Eight voices at 0 dB: both limit to -1 dBFS, and agree while the limiter works."""
    sched = [(0, ("set_voice", v, 50.0 + 3 * v, 0.0)) for v in range(8)] + [(20, ("set_gain", 12.0))]
    ref, eng = run_both(SynthConfig(samplerate=SR), 128, 80, sched)
    assert float(np.max(np.abs(eng))) <= 10 ** (-1 / 20) + 1e-7
    assert float(np.max(np.abs(eng))) > 0.5
    assert float(np.max(np.abs(ref - eng))) <= TOL


def test_blocks_longer_than_max_block_are_split_like_the_reference() -> None:
    sched = [(0, ("set_voice", 0, 69.0, -6.0)), (1, ("set_voice", 0, 81.0, -12.0))]
    cfg = SynthConfig(samplerate=SR, max_block=64)
    ref, eng = run_both(cfg, 1000, 6, sched)
    assert float(np.max(np.abs(ref - eng))) <= TOL


def test_fifo_applies_every_command_in_order() -> None:
    eng = Engine(SynthConfig(samplerate=SR))
    try:
        out = np.zeros((128, 2), np.float32)
        for i in range(5000):
            eng.set_voice(i % 8, 40 + (i % 40), -20.0)
            if i % 100 == 99:
                eng.render(out)
        eng.render(out)
        s = eng.stats()
        assert s.applied == s.pushed == 5000 and s.last_seq == 5000
    finally:
        eng.close()


def test_full_fifo_refuses_instead_of_blocking_forever() -> None:
    """With nothing consuming, the FIFO fills; a change then waits briefly and is refused, loudly."""
    eng = Engine(SynthConfig(samplerate=SR))
    try:
        with pytest.raises(EngineQueueFull):
            for i in range(20000):
                eng.set_gain(-float(i % 10))
        assert eng.refused == 1
        eng.render(np.zeros((128, 2), np.float32))          # drains it
        eng.set_gain(-3.0)                                   # and it takes commands again
        assert eng.snapshot()["gain_db"] == -3.0
    finally:
        eng.close()


def test_duplex_capture_keeps_the_newest_input() -> None:
    eng = Engine(SynthConfig(samplerate=SR, in_channels=2))
    try:
        out = np.zeros((128, 2), np.float32)
        for b in range(10):
            inp = np.stack([np.arange(128, dtype=np.float32) + 128 * b] * 2, axis=1)
            eng.process(inp, out)
        last, total = eng.read_input(200)
        assert total == 1280
        np.testing.assert_array_equal(last, np.arange(1080, 1280, dtype=np.float32))
    finally:
        eng.close()


def test_counters_time_every_block() -> None:
    eng = Engine(SynthConfig(samplerate=SR))
    try:
        out = np.zeros((128, 2), np.float32)
        for _ in range(50):
            eng.render(out)
        us = eng.callback_us()
        assert len(us) == 50 and np.all(us > 0) and eng.stats().blocks == 50
        assert eng.stats().max_callback_us >= float(us.max()) - 1e-3
    finally:
        eng.close()


def test_bad_config_and_bad_values_are_refused() -> None:
    with pytest.raises(ValueError, match="voices"):
        SynthConfig(voices=65)
    eng = Engine(SynthConfig(samplerate=SR))
    try:
        with pytest.raises(ValueError, match="pitch"):
            eng.set_voice(0, float("nan"), 0.0)
        with pytest.raises(IndexError):
            eng.set_voice(eng.cfg.voices, 60.0, 0.0)
        assert eng.stats().pushed == 0
    finally:
        eng.close()


def test_the_shared_limits_are_the_engines() -> None:
    """daemon/limits.py's voice range is what engine.h allocates; its gain and glide ranges are what the engine clamps to."""
    from isudt.daemon import limits
    from isudt.daemon.engine import MAX_VOICES

    assert limits.VOICES[1] == MAX_VOICES
    eng = Engine(SynthConfig(samplerate=SR))
    try:
        eng.set_gain(1e9)
        eng.set_glide(-5.0)
        snap = eng.snapshot()
        assert (snap["gain_db"], snap["glide_ms"]) == (limits.GAIN_DB[1], limits.GLIDE_MS[0])
    finally:
        eng.close()
