"""Generated data sets: the square images and the sine mel vectors, computed once.

Nothing is downloaded. Images come from the torch-free renderer the daemon
uses; mel vectors from `torch_mel`, the published front end in torch
(checked against `isudt.daemon.mel` in the tests).
"""
from __future__ import annotations

import math
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

    With `views` (several phases of each pitch: offsets and signs), a sample
    is one random phase, and `sample_with_target` also returns the mean over
    that pitch's phases: the level of a sine's mel vector moves by ~2 dB with
    its phase (edge frames of the reflect-padded STFT), and a sound VAE that
    reconstructs the phase-averaged vector learns a latent that ignores it.
    """

    unit_mel: torch.Tensor  # [P, M] scaled mel of amplitude-1 tones (one phase each)
    pitch: torch.Tensor     # [P] MIDI
    spec: MelSpec
    views: torch.Tensor | None = None  # [P, V, M] V phases of each tone (views[:, 0] == unit_mel)
    level_dist: str = "linear"  # amplitude uniform in "linear" amplitude (published) or in "db"

    def __post_init__(self) -> None:
        self.mean_mel = self.views.mean(1) if self.views is not None else self.unit_mel

    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """n random examples: (mel [n, M], pitch [n], amplitude [n])."""
        mel, _, pitch, amp = self.sample_with_target(n, generator)
        return mel, pitch, amp

    def sample_with_target(self, n: int, generator: torch.Generator | None = None):
        """(mel, phase-averaged mel, pitch, amplitude) of n random examples (target == mel without views)."""
        idx = torch.randint(len(self.pitch), (n,), generator=generator)
        s = self.spec
        amp = random_amplitudes(n, s, self.level_dist, generator)
        shift = (20.0 * torch.log10(amp))[:, None] / (s.db_max - s.db_min)
        if self.views is None:
            mel = self.unit_mel[idx] + shift
            return mel, mel, self.pitch[idx], amp
        view = torch.randint(self.views.shape[1], (n,), generator=generator)
        self._last_idx = idx
        return self.views[idx, view] + shift, self.mean_mel[idx] + shift, self.pitch[idx], amp

    def sample_two_phases(self, n: int, generator: torch.Generator | None = None):
        """Like `sample_with_target`, plus a second, independently drawn phase of the same tones (needs views)."""
        assert self.views is not None, "sample_two_phases needs views"
        mel, target, pitch, amp = self.sample_with_target(n, generator)
        view = torch.randint(self.views.shape[1], (n,), generator=generator)
        idx = self._last_idx
        shift = target - self.mean_mel[idx]
        return mel, self.views[idx, view] + shift, target, pitch, amp

    def with_amplitude(self, idx: torch.Tensor, amp: torch.Tensor) -> torch.Tensor:
        s = self.spec
        return self.unit_mel[idx] + (20.0 * torch.log10(amp))[:, None] / (s.db_max - s.db_min)


def random_amplitudes(n: int, spec: MelSpec, level_dist: str = "linear",
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """Linear amplitudes in [amp_min, amp_max], uniform in amplitude (published) or in dB.

    Uniform in amplitude, 90% of the tones are louder than -20 dB, so the
    sound latent has little room for the quiet half of its 40 dB; uniform in
    dB spreads it evenly over the levels.
    """
    u = torch.rand(n, generator=generator)
    if level_dist == "linear":
        return spec.amp_min + (spec.amp_max - spec.amp_min) * u
    if level_dist == "db":
        lo, hi = math.log10(spec.amp_min), math.log10(spec.amp_max)
        return 10.0 ** (lo + (hi - lo) * u)
    raise ValueError(f"level_dist must be 'linear' or 'db', not {level_dist!r}")


def sound_set(n_pitches: int = 16384, seed: int = 0, spec: MelSpec = DEFAULT_MEL, chunk: int = 1024,
              phase_views: int = 0, level_dist: str = "linear") -> SoundSet:
    """Random pitches (uniform MIDI), offsets within one second, random sign; unit amplitude.

    `phase_views` > 1 adds that many phases per pitch in all (the first is the
    single-phase set, drawn exactly as without views).
    """
    g = torch.Generator().manual_seed(seed)
    pitch = spec.pitch_min + (spec.pitch_max - spec.pitch_min) * torch.rand(n_pitches, generator=g, dtype=torch.float64)
    offset = torch.randint(0, spec.sample_rate - spec.n_samples, (n_pitches,), generator=g)
    sign = torch.where(torch.rand(n_pitches, generator=g) < 0.5, -1.0, 1.0)
    front = TorchMel(spec)

    def mels(off: torch.Tensor, sg: torch.Tensor) -> torch.Tensor:
        return torch.cat([front(sines(pitch[i:i + chunk], torch.ones(len(pitch[i:i + chunk])), off[i:i + chunk],
                                      sg[i:i + chunk], spec)) for i in range(0, n_pitches, chunk)])

    unit = mels(offset, sign)
    views = None
    if phase_views > 1:
        extra = []
        for _ in range(phase_views - 1):
            off = torch.randint(0, spec.sample_rate - spec.n_samples, (n_pitches,), generator=g)
            sg = torch.where(torch.rand(n_pitches, generator=g) < 0.5, -1.0, 1.0)
            extra.append(mels(off, sg))
        views = torch.stack([unit, *extra], dim=1)
    return SoundSet(unit, pitch.float(), spec, views, level_dist)


def numpy_sine_mels(pitch: np.ndarray, db: np.ndarray, offset: np.ndarray | None = None, sign: np.ndarray | None = None,
                    spec: MelSpec = DEFAULT_MEL, chunk: int = 256, desc: str | None = None) -> np.ndarray:
    """Scaled mel vectors (float32 [B, M]) of sines at (MIDI pitch, dB), through the daemon's numpy front end.

    The reverse direction is trained on exactly what the daemon computes from
    a heard sine, not on the torch re-implementation.
    """
    from tqdm import tqdm

    from isudt.daemon.mel import mel_vectors, sines_batch

    amp = 10.0 ** (np.asarray(db, np.float64) / 20.0)
    out = []
    for k in tqdm(range(0, len(pitch), chunk), desc=desc, disable=desc is None, leave=False, mininterval=1.0):
        sl = slice(k, k + chunk)
        waves = sines_batch(pitch[sl], amp[sl], None if offset is None else offset[sl], None if sign is None else sign[sl], spec)
        out.append(mel_vectors(waves, spec))
    return np.concatenate(out).astype(np.float32) if out else np.zeros((0, spec.n_mels), np.float32)


def random_phases(n: int, rng: np.random.Generator, spec: MelSpec = DEFAULT_MEL) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random (offset within one second, sign) pairs, as the sound VAE's data draws them."""
    return rng.integers(0, spec.sample_rate - spec.n_samples, n), np.where(rng.random(n) < 0.5, -1.0, 1.0)
