"""Generated data sets: the square images and the sine mel vectors, computed once.

Nothing is downloaded. Images come from the torch-free renderer the daemon
uses; mel vectors from `torch_mel`, the published front end in torch
(checked against `isudt.daemon.mel` in the tests).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from isudt.daemon.mel import DEFAULT_MEL, MelSpec, mel_filterbank, midi_to_hz
from isudt.daemon.square import DEFAULT_SPEC, SquareSpec, render_all


@dataclass
class ImageSet:
    images: torch.Tensor  # uint8 [N, 1, H, W]
    xy: torch.Tensor      # int64 [N, 2]

    def batch(self, idx: torch.Tensor) -> torch.Tensor:
        return self.images[idx].float().div_(255.0)


def image_set(spec: SquareSpec = DEFAULT_SPEC, subset: int = 0, seed: int = 0) -> ImageSet:
    """All 15,876 images as one uint8 tensor (or a seeded random subset, for tests)."""
    images, xy = render_all(spec)
    imgs = torch.from_numpy(images).unsqueeze(1)
    xy_t = torch.from_numpy(xy)
    if subset:
        idx = torch.randperm(len(imgs), generator=torch.Generator().manual_seed(seed))[:subset]
        imgs, xy_t = imgs[idx], xy_t[idx]
    return ImageSet(imgs, xy_t)


class TorchMel:
    """The published mel front end in torch: stft -> power -> HTK mel -> dB -> time mean -> scale."""

    def __init__(self, spec: MelSpec = DEFAULT_MEL) -> None:
        self.spec = spec
        self.fb = torch.from_numpy(mel_filterbank(spec)).float()
        self.window = torch.hann_window(spec.n_fft)

    def __call__(self, wave: torch.Tensor) -> torch.Tensor:
        s = self.spec
        stft = torch.stft(wave, s.n_fft, s.hop_length, s.n_fft, self.window, center=True,
                          pad_mode="reflect", return_complex=True)
        power = stft.real ** 2 + stft.imag ** 2            # [B, F, T]
        mel = torch.einsum("bft,fm->bmt", power, self.fb)
        db = 10.0 * torch.log10(torch.clamp(mel, min=1e-10))
        peak = db.amax(dim=(1, 2), keepdim=True)
        db = torch.maximum(db, peak - s.top_db)
        return (db.mean(dim=2) - s.db_min) / (s.db_max - s.db_min)


def sines(pitch: torch.Tensor, amp: torch.Tensor, offset: torch.Tensor, sign: torch.Tensor,
          spec: MelSpec = DEFAULT_MEL) -> torch.Tensor:
    """[B, n_samples] sines, computed in float64 for phase accuracy at large offsets."""
    t = (torch.arange(spec.n_samples, dtype=torch.float64)[None, :] + offset[:, None].double()) / spec.sample_rate
    f = torch.from_numpy(midi_to_hz(pitch.double().numpy()))[:, None]
    return (sign[:, None].double() * amp[:, None].double() * torch.sin(2 * torch.pi * f * t)).float()


@dataclass
class SoundSet:
    """Unit-amplitude mel vectors for a dense random pitch set.

    The dB front end is shift-invariant in level (the 80 dB clamp is relative
    to the example's own peak, and the 1e-10 floor is 60 dB below anything a
    -40 dB tone reaches), so a tone of amplitude a has exactly the unit
    vector plus 20 log10(a) / 120. Sampling the amplitude per batch therefore
    gives continuous, on-the-fly data at the cost of one addition.
    """

    unit_mel: torch.Tensor  # [P, M] scaled mel of amplitude-1 tones
    pitch: torch.Tensor     # [P] MIDI
    spec: MelSpec

    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """n random examples: (mel [n, M], pitch [n], amplitude [n])."""
        idx = torch.randint(len(self.pitch), (n,), generator=generator)
        s = self.spec
        amp = s.amp_min + (s.amp_max - s.amp_min) * torch.rand(n, generator=generator)
        return self.with_amplitude(idx, amp), self.pitch[idx], amp

    def with_amplitude(self, idx: torch.Tensor, amp: torch.Tensor) -> torch.Tensor:
        s = self.spec
        return self.unit_mel[idx] + (20.0 * torch.log10(amp))[:, None] / (s.db_max - s.db_min)


def sound_set(n_pitches: int = 16384, seed: int = 0, spec: MelSpec = DEFAULT_MEL, chunk: int = 1024) -> SoundSet:
    """Random pitches (uniform MIDI), offsets within one second, random sign; unit amplitude."""
    g = torch.Generator().manual_seed(seed)
    pitch = spec.pitch_min + (spec.pitch_max - spec.pitch_min) * torch.rand(n_pitches, generator=g, dtype=torch.float64)
    offset = torch.randint(0, spec.sample_rate - spec.n_samples, (n_pitches,), generator=g)
    sign = torch.where(torch.rand(n_pitches, generator=g) < 0.5, -1.0, 1.0)
    front = TorchMel(spec)
    mels = [front(sines(pitch[i:i + chunk], torch.ones(len(pitch[i:i + chunk])), offset[i:i + chunk], sign[i:i + chunk], spec))
            for i in range(0, n_pitches, chunk)]
    return SoundSet(torch.cat(mels), pitch.float(), spec)
