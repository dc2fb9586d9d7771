"""The published mel front end in numpy: the reference the torch version is tested against.

sine -> |STFT|^2 (Hann, centred, reflect) -> HTK mel (no normalisation) -> dB
(floor 1e-10, top_db 80 below the example's maximum) -> mean over time ->
linear map [-70 dB, 50 dB] -> [0, 1]. Also used by `isudt eval` to make test
sines without torch.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@dataclass(frozen=True)
class MelSpec:
    sample_rate: int = 48000
    n_fft: int = 4096
    hop_length: int = 2048
    n_mels: int = 64
    f_min: float = 72.0
    f_max: float = 1176.0
    n_samples: int = 8192
    top_db: float = 80.0
    db_min: float = -70.0
    db_max: float = 50.0
    pitch_min: float = 38.0
    pitch_max: float = 86.0
    amp_min: float = 0.01
    amp_max: float = 1.0


DEFAULT_MEL = MelSpec()


def hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m: np.ndarray | float) -> np.ndarray:
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def midi_to_hz(p: np.ndarray | float) -> np.ndarray:
    return 440.0 * 2.0 ** ((np.asarray(p, dtype=np.float64) - 69.0) / 12.0)


def hz_to_midi(f: np.ndarray | float) -> np.ndarray:
    return 69.0 + 12.0 * np.log2(np.asarray(f, dtype=np.float64) / 440.0)


def mel_filterbank(spec: MelSpec = DEFAULT_MEL) -> np.ndarray:
    """Triangular HTK-mel filters [n_freqs, n_mels], unnormalised (peak 1)."""
    n_freqs = spec.n_fft // 2 + 1
    freqs = np.linspace(0, spec.sample_rate / 2, n_freqs)
    m_pts = np.linspace(hz_to_mel(spec.f_min), hz_to_mel(spec.f_max), spec.n_mels + 2)
    f_pts = mel_to_hz(m_pts)
    f_diff = np.diff(f_pts)
    slopes = f_pts[None, :] - freqs[:, None]
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return np.maximum(0.0, np.minimum(down, up))


def sine(pitch: float, amplitude: float, spec: MelSpec = DEFAULT_MEL, offset: int = 0, sign: float = 1.0) -> np.ndarray:
    """n_samples of a sine at MIDI `pitch`, starting `offset` samples into the tone."""
    t = (np.arange(spec.n_samples) + offset) / spec.sample_rate
    return sign * amplitude * np.sin(2 * np.pi * midi_to_hz(pitch) * t)


class MelFrontEnd:
    """The scaled mel vectors of waveforms of exactly n_samples, with everything that does not depend on them precomputed.

    The one implementation of the front end (training data, evaluation and the
    live listener all call it). Only the FFT bins the filterbank uses are kept
    (the others have zero weight): that makes one window ~3x faster than the
    full spectrum, which is what keeps `/image/sine` within its 2 ms.
    """

    def __init__(self, spec: MelSpec = DEFAULT_MEL) -> None:
        self.spec = spec
        fb = mel_filterbank(spec)
        used = np.flatnonzero(fb.any(axis=1))
        self._bins = slice(0, int(used[-1]) + 1)
        self._fb = np.ascontiguousarray(fb[self._bins])
        self._window = np.hanning(spec.n_fft + 1)[:-1]       # periodic Hann, as torch.hann_window
        self._pad = spec.n_fft // 2
        n_frames = 1 + spec.n_samples // spec.hop_length
        self._idx = np.arange(n_frames)[:, None] * spec.hop_length + np.arange(spec.n_fft)[None, :]

    def batch(self, waves: np.ndarray) -> np.ndarray:
        """float64 [B, n_mels] of waves [B, n_samples]."""
        s = self.spec
        if np.shape(waves)[-1] != s.n_samples:
            raise ValueError(f"the mel front end takes windows of {s.n_samples} samples, got {np.shape(waves)[-1]}")
        x = np.pad(np.asarray(waves, np.float64), ((0, 0), (self._pad, self._pad)), mode="reflect")
        spectrum = np.fft.rfft(x[:, self._idx] * self._window, axis=2)[:, :, self._bins]     # [B, T, F]
        power = spectrum.real ** 2 + spectrum.imag ** 2
        db = 10.0 * np.log10(np.maximum(power @ self._fb, 1e-10))                            # [B, T, M]
        db = np.maximum(db, db.max(axis=(1, 2), keepdims=True) - s.top_db)
        return (db.mean(axis=1) - s.db_min) / (s.db_max - s.db_min)

    def __call__(self, wave: np.ndarray) -> np.ndarray:
        """float32 [n_mels] of one window of exactly n_samples."""
        return self.batch(np.asarray(wave)[None])[0].astype(np.float32)


@lru_cache(maxsize=4)
def front_end(spec: MelSpec = DEFAULT_MEL) -> MelFrontEnd:
    """The shared `MelFrontEnd` of a spec (it only holds constants)."""
    return MelFrontEnd(spec)


def mel_vectors(waves: np.ndarray, spec: MelSpec = DEFAULT_MEL) -> np.ndarray:
    """The scaled mel vectors of a batch [B, n_samples] (float64 [B, n_mels])."""
    return front_end(spec).batch(waves)


def mel_vector(wave: np.ndarray, spec: MelSpec = DEFAULT_MEL) -> np.ndarray:
    """The 64-value scaled mel vector of one waveform (float64)."""
    return mel_vectors(np.asarray(wave)[None], spec)[0]


def sines_batch(pitch: np.ndarray, amplitude: np.ndarray, offset: np.ndarray | None = None,
                sign: np.ndarray | None = None, spec: MelSpec = DEFAULT_MEL) -> np.ndarray:
    """[B, n_samples] sines (see `sine`)."""
    pitch = np.asarray(pitch, dtype=np.float64)
    offset = np.zeros(len(pitch)) if offset is None else np.asarray(offset, dtype=np.float64)
    sign = np.ones(len(pitch)) if sign is None else np.asarray(sign, dtype=np.float64)
    t = (np.arange(spec.n_samples)[None, :] + offset[:, None]) / spec.sample_rate
    return sign[:, None] * np.asarray(amplitude)[:, None] * np.sin(2 * np.pi * midi_to_hz(pitch)[:, None] * t)
