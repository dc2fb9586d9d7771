"""The C audio engine against the numpy reference synth, sample for sample, and its FIFO and counters.

The reference (tests/support/reference_synth.py) is the synth the daemon played
before the engine moved to C; the engine must sound the same within 1e-6 on
any parameter schedule, at any block size, including glides, fades, mute, the
shutdown fade and limiting.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isudt.daemon.engine import Engine, EngineQueueFull, SynthConfig
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
            eng.set_voice(8, 60.0, 0.0)
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
