"""The synths a world can sound through, torch-free: their parameters, the alias guard and a numpy renderer.

This is the one definition of each synth. Training (`models/synth_torch.py`
renders the same formulas in torch, checked against this file in the tests),
evaluation, the bundle manifest's `synth:` section and the runtime all read
it, so a model only ever hears what the daemon can play.

- `sine`: (pitch in MIDI, level in dB), the published world.
- `fm`: a two-operator FM voice, (pitch, ratio, index): carrier at the MIDI
  pitch, modulator at ratio x carrier, modulation index; the level is the
  voice's own (`FM_LEVEL_DB`, configurable per world), as in the FM world of
  the paper's first author.

The **alias guard** keeps an FM voice below Nyquist: the index is lowered so
that the highest sideband Carson's rule counts, `fc * (1 + (index + 1) *
ratio)`, stays at or below `0.45 * samplerate`. Everyone who renders FM
applies it (training, the reference synth, the engine).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike

from .mel import midi_to_hz

ALIAS_LIMIT = 0.45          # of the sample rate: the guard's ceiling for the highest counted sideband
ALIAS_RULE = "fc * (1 + (index + 1) * ratio) <= 0.45 * samplerate (index lowered, never below 0)"
FM_LEVEL_DB = -12.0         # the FM voice's own level (dBFS) unless a world sets another


@dataclass(frozen=True)
class SynthParam:
    """One synth parameter as the manifest's `synth.params` lists it."""

    name: str
    unit: str
    min: float
    max: float
    scale: str = "linear"   # "linear" or "log": how the parameter is sampled and how the models see it

    def to_unit(self, v: np.ndarray) -> np.ndarray:
        """Natural units -> [0, 1] along the parameter's scale (log parameters in log space)."""
        v = np.asarray(v, np.float64)
        if self.scale == "log":
            return (np.log(v) - np.log(self.min)) / (np.log(self.max) - np.log(self.min))
        return (v - self.min) / (self.max - self.min)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, np.float64)
        if self.scale == "log":
            return np.exp(np.log(self.min) + u * (np.log(self.max) - np.log(self.min)))
        return self.min + u * (self.max - self.min)


@dataclass(frozen=True)
class SynthDef:
    """A synth kind and its parameters, in the order the models and the engine take them."""

    kind: str
    params: tuple[SynthParam, ...]
    level_db: float = 0.0   # FM: the voice's fixed level; sine: unused (its level is a parameter)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def to_unit(self, values: np.ndarray) -> np.ndarray:
        """[B, N] natural -> [B, N] in [0, 1] per parameter scale."""
        values = np.asarray(values, np.float64)
        return np.stack([p.to_unit(values[:, k]) for k, p in enumerate(self.params)], 1)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, np.float64)
        return np.stack([p.from_unit(u[:, k]) for k, p in enumerate(self.params)], 1)

    def manifest(self) -> dict:
        """The manifest's `synth:` section."""
        out: dict = {"kind": self.kind, "params": [asdict(p) for p in self.params]}
        if self.kind == "fm":
            out |= {"level_db": self.level_db, "alias_guard": ALIAS_RULE}
        return out


SINE = SynthDef("sine", (SynthParam("pitch", "MIDI", 38.0, 86.0), SynthParam("db", "dB", -40.0, 0.0)))
FM = SynthDef("fm", (SynthParam("pitch", "MIDI", 38.0, 86.0), SynthParam("ratio", "x carrier", 0.1, 10.0, "log"),
                     SynthParam("index", "", 0.1, 10.0, "log")), level_db=FM_LEVEL_DB)
SYNTHS = {"sine": SINE, "fm": FM}


def synth_def(kind: str, level_db: float | None = None) -> SynthDef:
    """The definition of a synth kind (FM at another fixed level when `level_db` is given)."""
    if kind not in SYNTHS:
        raise ValueError(f"unknown synth {kind!r}: choose {', '.join(SYNTHS)}")
    d = SYNTHS[kind]
    if level_db is not None and kind == "fm":
        d = SynthDef(d.kind, d.params, float(level_db))
    return d


def parse_synth(section: object) -> SynthDef:
    """A manifest's `synth:` section as a `SynthDef`, of any kind (ValueError naming what is malformed).

    Any kind parses, so `isudt bundles` can list a bundle this daemon cannot
    play; whether it can is `synth_from_manifest`'s (and the serving loader's) question.
    """
    kind = section.get("kind") if isinstance(section, dict) else None
    if not isinstance(kind, str) or not kind:
        raise ValueError("synth.kind must be a name (e.g. sine)")
    assert isinstance(section, dict)
    entries = section.get("params")
    if not isinstance(entries, list) or not entries:
        raise ValueError("synth.params must be a list of {name, unit, min, max, scale}")
    params = []
    for k, e in enumerate(entries):
        try:
            p = SynthParam(str(e["name"]), str(e.get("unit", "")), float(e["min"]), float(e["max"]),
                           str(e.get("scale", "linear")))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ValueError(f"synth.params[{k}] needs name, min and max ({err.__class__.__name__}: {err})") from None
        if not (np.isfinite(p.min) and np.isfinite(p.max) and p.min < p.max) or p.scale not in ("linear", "log") \
                or (p.scale == "log" and p.min <= 0):
            raise ValueError(f"synth parameter {p.name!r} needs finite min < max and scale linear or log (log: min > 0)")
        params.append(p)
    if len({p.name for p in params}) != len(params):
        raise ValueError("synth.params names repeat")
    return SynthDef(kind, tuple(params), float(section.get("level_db", 0.0)))


def synth_from_manifest(section: object) -> SynthDef:
    """A `SynthDef` of a known kind from a manifest's `synth:` section (ValueError naming what is wrong)."""
    synth = parse_synth(section)
    if synth.kind not in SYNTHS:
        raise ValueError(f"synth kind {synth.kind!r} is unknown (known: {', '.join(SYNTHS)})")
    if synth.names != SYNTHS[synth.kind].names:
        raise ValueError(f"synth {synth.kind!r} takes parameters {list(SYNTHS[synth.kind].names)}, the manifest lists "
                         f"{list(synth.names)}")
    return synth


def guard_index(fc: ArrayLike, ratio: ArrayLike, index: ArrayLike, sample_rate: float) -> np.ndarray:
    """The alias guard: `index` lowered so that fc * (1 + (index + 1) * ratio) <= 0.45 * sample_rate."""
    ceiling = (ALIAS_LIMIT * sample_rate / np.asarray(fc, np.float64) - 1.0) / np.asarray(ratio, np.float64) - 1.0
    return np.clip(np.minimum(index, ceiling), 0.0, None)


def fm_wave(pitch: np.ndarray, ratio: np.ndarray, index: np.ndarray, n_samples: int, sample_rate: int,
            level_db: float = FM_LEVEL_DB, offset: np.ndarray | None = None) -> np.ndarray:
    """[B, n_samples] float64 FM tones: a * sin(wc t + I sin(wm t)), `offset` samples into each tone.

    The phases are computed from t in float64, as the training renderer does
    (the engine accumulates them per sample; both agree to far below 1e-6 over
    one window).
    """
    pitch, ratio, index = (np.atleast_1d(np.asarray(v, np.float64)) for v in (pitch, ratio, index))
    fc = midi_to_hz(pitch)
    idx = guard_index(fc, ratio, index, sample_rate)
    off = np.zeros(len(pitch)) if offset is None else np.asarray(offset, np.float64)
    t = (np.arange(n_samples)[None, :] + off[:, None]) / sample_rate
    amp = 10.0 ** (level_db / 20.0)
    return amp * np.sin(2 * np.pi * fc[:, None] * t + idx[:, None] * np.sin(2 * np.pi * (fc * ratio)[:, None] * t))


def render(synth: SynthDef, params: np.ndarray, n_samples: int, sample_rate: int,
           offset: np.ndarray | None = None) -> np.ndarray:
    """[B, n_samples] of `synth` at natural-unit `params` [B, N] (the synth's own parameter order)."""
    params = np.atleast_2d(np.asarray(params, np.float64))
    if synth.kind == "fm":
        return fm_wave(params[:, 0], params[:, 1], params[:, 2], n_samples, sample_rate, synth.level_db, offset)
    off = np.zeros(len(params)) if offset is None else np.asarray(offset, np.float64)
    t = (np.arange(n_samples)[None, :] + off[:, None]) / sample_rate
    return 10.0 ** (params[:, 1:2] / 20.0) * np.sin(2 * np.pi * midi_to_hz(params[:, 0])[:, None] * t)
