"""The synths of `isudt.daemon.synths` in torch, differentiable: the mapper's cycle runs through synthesis.

Same formulas, same alias guard, phases from t in float64 (a test checks this
renderer against the numpy one to 1e-6). Gradients flow from the rendered
wave back to the parameters, so `map -> decode -> invert -> render -> encode`
trains the mapper on what the synth really plays.
"""
from __future__ import annotations

import torch

from isudt.daemon.synths import ALIAS_LIMIT, SynthDef


def midi_to_hz(pitch: torch.Tensor) -> torch.Tensor:
    return 440.0 * torch.pow(2.0, (pitch - 69.0) / 12.0)


def guard_index(fc: torch.Tensor, ratio: torch.Tensor, index: torch.Tensor, sample_rate: float) -> torch.Tensor:
    """The alias guard of `isudt.daemon.synths.guard_index`."""
    ceiling = (ALIAS_LIMIT * sample_rate / fc - 1.0) / ratio - 1.0
    return torch.clamp(torch.minimum(index, ceiling), min=0.0)


def render(synth: SynthDef, params: torch.Tensor, n_samples: int, sample_rate: int,
           offset: torch.Tensor | None = None) -> torch.Tensor:
    """[B, n_samples] float32 waves of natural-unit `params` [B, N]; computed in float64."""
    p = params.double()
    off = torch.zeros(len(p), dtype=torch.float64, device=p.device) if offset is None else offset.double()
    t = (torch.arange(n_samples, dtype=torch.float64, device=p.device)[None, :] + off[:, None]) / sample_rate
    fc = midi_to_hz(p[:, 0])
    if synth.kind == "fm":
        ratio = p[:, 1]
        index = guard_index(fc, ratio, p[:, 2], sample_rate)
        amp = 10.0 ** (synth.level_db / 20.0)
        wave = amp * torch.sin(2 * torch.pi * fc[:, None] * t
                               + index[:, None] * torch.sin(2 * torch.pi * (fc * ratio)[:, None] * t))
    else:
        wave = torch.pow(10.0, p[:, 1:2] / 20.0) * torch.sin(2 * torch.pi * fc[:, None] * t)
    return wave.float()
