"""The shared, torch-free pieces: square renderer (hand-computed pixels) and the mel front end."""
from __future__ import annotations

import numpy as np
import pytest

from isudt.daemon.mel import (DEFAULT_MEL, front_end, hz_to_midi, mel_filterbank, mel_vector, mel_vectors, midi_to_hz, sine,
                              sines_batch)
from isudt.daemon.square import DEFAULT_SPEC, render_all, render_square


def test_square_pixels_by_hand():
    img = render_square(10, 20)
    assert img.shape == (128, 128) and img.dtype == np.float32
    # the 2 x 2 square: rows 20-21, columns 10-11
    assert np.all(img[20:22, 10:12] == 1.0)
    # centre is (x + 1, y + 1) = (11, 21); pixel (row 21, col 15) is 4 px away: 1 - (4/128)^0.1 = 1 - 2^-0.5
    assert img[21, 15] == pytest.approx(1 - 2 ** -0.5, abs=1e-6)
    # 1 px away (row 21, col 12): 1 - (1/128)^0.1 = 1 - 2^-0.7
    assert img[21, 12] == pytest.approx(1 - 2 ** -0.7, abs=1e-6)
    # 128 px or more away: glow is 0 (row 21, col 139 is off-image; use the diagonal corner instead)
    d = np.hypot(127 - 11, 127 - 21)
    assert d > 128 * 0.9 and img[127, 127] == pytest.approx(max(0.0, 1 - (d / 128) ** 0.1), abs=1e-6)


def test_square_rejects_positions_outside_the_grid():
    for bad in ((-1, 0), (126, 0), (0, 126)):
        with pytest.raises(ValueError, match="outside"):
            render_square(*bad)


def test_render_all_matches_single_renders():
    images, xy = render_all()
    assert images.shape == (DEFAULT_SPEC.positions ** 2, 128, 128) and images.dtype == np.uint8
    for i in (0, 777, len(images) - 1):
        x, y = xy[i]
        assert np.abs(images[i] / 255.0 - render_square(int(x), int(y))).max() <= 0.5 / 255 + 1e-7


def test_midi_hz_round_trip():
    assert midi_to_hz(69) == pytest.approx(440.0)
    assert hz_to_midi(midi_to_hz(np.array([38.0, 61.3, 86.0]))) == pytest.approx([38.0, 61.3, 86.0])


def test_filterbank_is_htk_triangles_with_unit_peaks():
    fb = mel_filterbank()
    assert fb.shape == (DEFAULT_MEL.n_fft // 2 + 1, DEFAULT_MEL.n_mels)
    assert fb.max() <= 1.0 and fb.max(axis=0).min() > 0.5  # no normalisation, every band reached
    freqs = np.linspace(0, DEFAULT_MEL.sample_rate / 2, fb.shape[0])
    active = freqs[fb.sum(1) > 0]
    assert active.min() > DEFAULT_MEL.f_min and active.max() < DEFAULT_MEL.f_max


def test_mel_peak_follows_pitch_and_level_shifts_by_db():
    a = mel_vector(sine(50.0, 1.0))
    b = mel_vector(sine(70.0, 1.0))
    assert np.argmax(b) > np.argmax(a)
    quiet = mel_vector(sine(50.0, 0.1))
    # -20 dB is -20/120 in scaled units, for every band (the 80 dB clamp is relative to the peak)
    assert np.allclose(a - quiet, 20 / 120, atol=1e-9)


def reference_mel(wave: np.ndarray) -> np.ndarray:
    """The published recipe written out plainly (full spectrum, frame by frame), to check the fast one against."""
    s = DEFAULT_MEL
    x = np.pad(wave.astype(np.float64), s.n_fft // 2, mode="reflect")
    window = np.hanning(s.n_fft + 1)[:-1]
    frames = [x[i:i + s.n_fft] * window for i in range(0, len(x) - s.n_fft + 1, s.hop_length)]
    db = 10.0 * np.log10(np.maximum(np.abs(np.fft.rfft(frames, axis=1)) ** 2 @ mel_filterbank(), 1e-10))
    db = np.maximum(db, db.max() - s.top_db)
    return (db.mean(axis=0) - s.db_min) / (s.db_max - s.db_min)


def test_front_end_is_the_plain_recipe_single_and_batched():
    pitch, amp = np.array([38.0, 63.7, 86.0]), np.array([0.01, 0.5, 1.0])
    offset, sign = np.array([0, 1234, 30000]), np.array([1.0, -1.0, 1.0])
    waves = np.concatenate([sines_batch(pitch, amp, offset, sign), np.random.default_rng(1).normal(0, 0.1, (1, 8192))])
    batch = mel_vectors(waves)
    for k, wave in enumerate(waves):
        ref = reference_mel(wave)
        assert np.abs(batch[k] - ref).max() < 1e-9
        assert np.abs(mel_vector(wave) - ref).max() < 1e-9 and np.abs(front_end()(wave) - ref).max() < 1e-6
    with pytest.raises(ValueError, match="windows of 8192 samples, got 8000"):
        mel_vector(waves[0][:8000])
