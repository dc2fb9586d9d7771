"""daemon/synths.py: the one definition of each synth, its alias guard, and the torch renderer that trains on it."""
from __future__ import annotations

import numpy as np
import pytest
from support.require import require_module

from isudt.daemon.mel import midi_to_hz
from isudt.daemon.synths import ALIAS_LIMIT, FM, SINE, fm_wave, guard_index, render, synth_def, synth_from_manifest

SR = 48000


def random_fm(n: int, seed: int = 0) -> np.ndarray:
    return FM.from_unit(np.random.default_rng(seed).random((n, 3)))


def test_fm_parameters_are_the_three_named_in_order_with_log_scales() -> None:
    assert FM.names == ("pitch", "ratio", "index")
    assert [(p.min, p.max, p.scale) for p in FM.params] == [(38.0, 86.0, "linear"), (0.1, 10.0, "log"), (0.1, 10.0, "log")]


def test_unit_scale_round_trips_and_log_parameters_are_geometric() -> None:
    params = random_fm(200)
    np.testing.assert_allclose(FM.from_unit(FM.to_unit(params)), params, rtol=1e-12)
    assert FM.params[1].from_unit(0.5) == pytest.approx(1.0)      # the geometric middle of 0.1 .. 10


def test_alias_guard_keeps_the_highest_counted_sideband_under_045_fs() -> None:
    params = random_fm(5000, seed=1)
    fc = midi_to_hz(params[:, 0])
    index = guard_index(fc, params[:, 1], params[:, 2], SR)
    assert np.all(fc * (1 + (index + 1) * params[:, 1]) <= ALIAS_LIMIT * SR * (1 + 1e-12))
    assert np.all(index <= params[:, 2]) and np.all(index >= 0)
    untouched = fc * (1 + (params[:, 2] + 1) * params[:, 1]) <= ALIAS_LIMIT * SR
    assert untouched.any() and (~untouched).any()                # the random draw reaches both sides of the rule
    np.testing.assert_array_equal(index[untouched], params[untouched, 2])


def test_guarded_fm_puts_almost_no_energy_above_the_guard() -> None:
    """The worst corner (top pitch, ratio 10, index 10): after the guard, < 1% of the energy lies above 0.45 fs."""
    wave = fm_wave(np.array([86.0]), np.array([10.0]), np.array([10.0]), 8192, SR)[0]
    power = np.abs(np.fft.rfft(wave * np.hanning(len(wave)))) ** 2
    freqs = np.fft.rfftfreq(len(wave), 1 / SR)
    assert power[freqs > ALIAS_LIMIT * SR].sum() / power.sum() < 0.01
    unguarded = np.sin(2 * np.pi * midi_to_hz(86) * np.arange(8192) / SR
                       + 10 * np.sin(2 * np.pi * 10 * midi_to_hz(86) * np.arange(8192) / SR))
    p2 = np.abs(np.fft.rfft(unguarded * np.hanning(8192))) ** 2
    assert p2[freqs > ALIAS_LIMIT * SR].sum() / p2.sum() > 0.05    # the check can fail: without the guard it would


def test_fm_level_is_the_voices_own() -> None:
    wave = render(synth_def("fm", -6.0), random_fm(8), 48000, SR)
    np.testing.assert_allclose(np.sqrt((wave ** 2).mean(1)), 10 ** (-6 / 20) / np.sqrt(2), rtol=0.02)


def test_sine_renders_pitch_and_level() -> None:
    wave = render(SINE, np.array([[69.0, -20.0]]), 48000, SR)[0]
    spectrum = np.abs(np.fft.rfft(wave))
    assert np.argmax(spectrum) == 440
    assert wave.max() == pytest.approx(0.1, rel=1e-3)


def test_manifest_section_round_trips_and_wrong_parameters_are_named() -> None:
    assert synth_from_manifest(FM.manifest()) == FM
    assert "alias_guard" in FM.manifest()
    bad = FM.manifest() | {"params": FM.manifest()["params"][::-1]}
    with pytest.raises(ValueError, match="takes parameters"):
        synth_from_manifest(bad)
    with pytest.raises(ValueError, match="unknown"):
        synth_from_manifest(FM.manifest() | {"kind": "granular"})


def test_torch_renderer_matches_the_numpy_definition() -> None:
    torch = require_module("torch", "ISUDT_REQUIRE_TORCH")
    from isudt.models.synth_torch import render as render_torch

    params = random_fm(64, seed=3)
    offset = np.random.default_rng(4).integers(0, 40000, 64)
    ref = render(FM, params, 8192, SR, offset)
    got = render_torch(FM, torch.from_numpy(params), 8192, SR, torch.from_numpy(offset)).numpy()
    assert np.abs(got - ref).max() < 1e-6
    sine_params = np.array([[50.0, -10.0], [80.0, -30.0]])
    np.testing.assert_allclose(render_torch(SINE, torch.from_numpy(sine_params), 4096, SR).numpy(),
                               render(SINE, sine_params, 4096, SR), atol=1e-6)


def test_torch_renderer_passes_gradients_to_every_parameter() -> None:
    torch = require_module("torch", "ISUDT_REQUIRE_TORCH")
    from isudt.models.synth_torch import render as render_torch

    p = torch.tensor([[60.0, 2.0, 1.5]], dtype=torch.float64, requires_grad=True)
    render_torch(FM, p, 1024, SR).pow(2).sum().backward()
    assert p.grad is not None and torch.all(p.grad != 0)
