"""Measure what a synth or the daemon really played: pitch, level, clicks, gaps.

All functions take a 1-D signal, or a 2-D [frames, channels] array of which
they analyse the first channel (the synth writes the same mono mix to every
channel; compare channels yourself where that matters). Pitch is MIDI
(69 = A4 = 440 Hz), level is dB of a peak-equivalent sine (0 dB = full-scale
sine), so results compare directly with `/sineparams pitch dB`.

Accuracy: `dominant_pitch` is within 2 cents for a steady sine of >= 0.2 s
(Hann window, 8x zero padding, parabolic interpolation on the log magnitude);
`tones` gives each peak's level within about 0.1 dB when tones are a few
semitones apart.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from isudt.daemon import mel

__all__ = ["Tone", "mono", "dominant_pitch", "level_db", "max_step", "find_gaps", "tones",
           "hz_to_midi", "midi_to_hz", "nonsilent", "steady_step_bound", "zero_crossing_hz",
           "longest_clean_segment", "longest_steady_sine"]

_PAD = 8  # zero-padding factor: makes the parabolic interpolation's bias negligible


class Tone(NamedTuple):
    midi: float
    db: float
    hz: float


def hz_to_midi(hz: float) -> float:
    return float(mel.hz_to_midi(hz))


def midi_to_hz(midi: float) -> float:
    return float(mel.midi_to_hz(midi))


def mono(x: np.ndarray) -> np.ndarray:
    """The first channel as float64 (1-D input is returned as float64)."""
    x = np.asarray(x)
    if x.ndim == 2:
        x = x[:, 0]
    if x.ndim != 1:
        raise ValueError(f"expected [frames] or [frames, channels], got shape {x.shape}")
    return x.astype(np.float64, copy=False)


def _spectrum(x: np.ndarray) -> tuple[np.ndarray, float, int]:
    """Magnitude spectrum scaled so that a sine of amplitude A peaks at A; plus window sum, FFT size."""
    x = mono(x)
    if len(x) < 64:
        raise ValueError("need at least 64 samples")
    win = np.hanning(len(x))
    nfft = 1 << int(math.ceil(math.log2(len(x) * _PAD)))
    mag = np.abs(np.fft.rfft(x * win, nfft)) * (2.0 / win.sum())
    return mag, win.sum(), nfft


def _interpolate(mag: np.ndarray, k: int) -> tuple[float, float]:
    """Parabola through the log magnitudes at k-1, k, k+1: (fractional bin, peak magnitude)."""
    if k <= 0 or k >= len(mag) - 1:
        return float(k), float(mag[k])
    a, b, c = np.log(np.maximum(mag[k - 1:k + 2], 1e-300))
    denom = a - 2.0 * b + c
    delta = 0.0 if denom == 0.0 else 0.5 * (a - c) / denom
    return k + delta, float(math.exp(b - 0.25 * (a - c) * delta))


def dominant_pitch(x: np.ndarray, sr: float) -> float:
    """MIDI pitch of the strongest spectral peak (above 20 Hz)."""
    return tones(x, sr, 1)[0].midi


def tones(x: np.ndarray, sr: float, n: int, min_hz: float = 20.0) -> list[Tone]:
    """The n strongest spectral peaks, strongest first, each as (midi, dB, Hz).

    Peaks closer than the window's main lobe (4 bins of the unpadded FFT) to a
    stronger one are its side lobes and are skipped.
    """
    mag, _, nfft = _spectrum(x)
    lo = int(math.ceil(min_hz * nfft / sr))
    is_peak = np.zeros(len(mag), bool)
    is_peak[1:-1] = (mag[1:-1] > mag[:-2]) & (mag[1:-1] >= mag[2:])
    is_peak[:lo] = False
    candidates = np.flatnonzero(is_peak)
    candidates = candidates[np.argsort(mag[candidates])[::-1]]
    guard = 4 * nfft / len(mono(x))
    found: list[Tone] = []
    kept: list[float] = []
    for k in candidates:
        if any(abs(k - j) < guard for j in kept):
            continue
        kf, peak = _interpolate(mag, int(k))
        hz = float(kf * sr / nfft)
        found.append(Tone(hz_to_midi(hz), 20.0 * math.log10(max(peak, 1e-12)), hz))
        kept.append(float(k))
        if len(found) == n:
            break
    if not found:
        raise ValueError("no spectral peak found (silence?)")
    return found


def level_db(x: np.ndarray) -> float:
    """Level of a sine in dB from its RMS: 20 log10(sqrt(2) * rms); 0 dB is a full-scale sine."""
    rms = float(np.sqrt(np.mean(mono(x) ** 2)))
    return 20.0 * math.log10(max(math.sqrt(2.0) * rms, 1e-12))


def max_step(x: np.ndarray) -> float:
    """Largest sample-to-sample difference over all channels: a click shows up here."""
    x = np.asarray(x, dtype=np.float64)
    if len(x) < 2:
        return 0.0
    return float(np.max(np.abs(np.diff(x, axis=0))))


def steady_step_bound(midi: float, amplitude: float, sr: float) -> float:
    """Largest step of a steady sine: A * 2 sin(pi f / sr) (about A * 2 pi f / sr)."""
    return amplitude * 2.0 * math.sin(math.pi * min(midi_to_hz(midi) / sr, 0.5))


def find_gaps(x: np.ndarray, min_len: int = 16, eps: float = 0.0) -> list[tuple[int, int]]:
    """Runs of at least min_len samples with |x| <= eps, as (start, length); dropouts are exact zeros."""
    quiet = np.abs(mono(x)) <= eps
    if not quiet.any():
        return []
    edges = np.diff(np.concatenate(([0], quiet.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(s), int(e - s)) for s, e in zip(starts, ends) if e - s >= min_len]


def nonsilent(x: np.ndarray, threshold_db: float = -60.0) -> np.ndarray:
    """x from its first to its last sample above threshold_db (full scale = 0 dB); empty if none."""
    loud = np.flatnonzero(np.abs(mono(x)) > 10.0 ** (threshold_db / 20.0))
    if len(loud) == 0:
        return np.asarray(x)[:0]
    return np.asarray(x)[loud[0]:loud[-1] + 1]


def zero_crossing_hz(x: np.ndarray, sr: float) -> float:
    """Frequency from the rising zero crossings (for short stretches where an FFT is too coarse)."""
    x = mono(x)
    rising = np.flatnonzero((x[:-1] < 0.0) & (x[1:] >= 0.0))
    if len(rising) < 2:
        return 0.0
    # sub-sample crossing times by linear interpolation
    t = rising + x[rising] / (x[rising] - x[rising + 1])
    return float((len(t) - 1) * sr / (t[-1] - t[0]))


def longest_clean_segment(x: np.ndarray, limit: float) -> np.ndarray:
    """The longest stretch of x without a sample-to-sample step above `limit`.

    A loaded machine makes the non-realtime JACK server skip cycles; the
    recording then has discontinuities that are the server's, not the
    daemon's. Analyse pitch and level on the longest clean stretch; use
    `steady_step_bound(pitch, amplitude, sr) * 1.5` or so as the limit.
    """
    x = np.asarray(x)
    return _longest_between(x, np.flatnonzero(np.abs(np.diff(mono(x))) > limit) + 1)


def _longest_between(x: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """The longest stretch of x between consecutive cut positions (a cut at i separates x[i-1] from x[i])."""
    edges = np.concatenate(([0], cuts, [len(x)]))
    k = int(np.argmax(np.diff(edges)))
    return x[edges[k]:edges[k + 1]]


def longest_steady_sine(x: np.ndarray, tolerance: float = 0.02, block: int = 256) -> np.ndarray:
    """The longest stretch of a steady sine x with no jump in its phase or level.

    Why not `longest_clean_segment`: a dropped or repeated 128-sample block
    (jackd or a Python JACK client missing its cycle on a loaded VM) jumps a
    440 Hz sine's phase by 0.17 of a cycle, and that step can stay under any
    step bound; near the middle of an FFT window it moves the peak by ~3 Hz.
    A steady sine obeys x[n] + x[n-2] = c x[n-1] exactly, with c = 2 cos(w);
    c is the median of per-block least-squares fits (robust to the broken
    blocks), and a residual above `tolerance` times the sine's amplitude
    marks a break (a phase jump of more than about `tolerance` radians).
    It finds jumps, not a second tone: a weak tone far from the first one
    hardly moves the residual. Works on the first channel; returns the same
    rows of x.
    """
    x = np.asarray(x)
    m = mono(x)
    if len(m) < 2 * block:
        return x[:0]
    outer, mid = m[2:] + m[:-2], m[1:-1]
    n = len(mid) // block * block
    num = (outer[:n] * mid[:n]).reshape(-1, block).sum(axis=1)
    den = (mid[:n] ** 2).reshape(-1, block).sum(axis=1)
    c = float(np.median(num[den > 0] / den[den > 0])) if (den > 0).any() else 0.0
    amplitude = math.sqrt(2.0) * float(np.sqrt(np.mean(m ** 2)))
    breaks = np.flatnonzero(np.abs(outer - c * mid) > tolerance * max(amplitude, 1e-12))
    return _longest_between(x, breaks + 1)    # residual n covers samples n..n+2: cut after n+1
