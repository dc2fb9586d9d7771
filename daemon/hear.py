"""The way back, sound -> image, in numpy and onnxruntime only: shared by the live listener and `render --to-image`.

Why one module: the live daemon (`/image/listen`, `/image/sine`, `/image/mel`)
and the offline `isudt render --to-image` must place the same sound on the
same square, so both go through the same steps, in the order the models were
measured in (`models/evaluate.py`, manifest `reverse:`):

    last n_samples of mono audio -> level (silence gate) -> the manifest's mel
    front end (`mel.mel_vectors`) -> sound encoder -> reverse mapper -> image
    latent -> position (nearest entry of the position table) + decoded picture

No torch: the front end is `daemon.mel`, the models run through the daemon's
bundle loader. Nothing here keeps state between calls except caches that
depend only on the bundle, so a result depends only on its input.

API (for the live side):
- `Hearer(models, silence_db=-60.0)`: `models` opened with (at least)
  `HEAR_ROLES`; `hearer.analyse(samples)` -> `Heard`; batched variants
  `from_waves`, `from_mels`, `from_sound_latents`, `pictures`.
- `analyse(samples, models)` -> `(x, y, z_image, picture)` or `None` for
  silence (a `Hearer` per `models`, cached).
"""
from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from .mel import MelSpec, mel_filterbank, mel_vectors

# the models the way back needs (the image decoder only for pictures)
HEAR_ROLES = ("sound_encoder", "reverse_mapper", "image_decoder")
SILENCE_DB = -60.0
BATCH = 256


class HearError(Exception):
    """The bundle cannot hear: no reverse mapper, no position table, or a front end it does not describe."""


@dataclass(frozen=True)
class Heard:
    """One analysis. `x`, `y` are None when the input was silent (nothing is guessed then)."""

    level_db: float
    silent: bool
    x: float | None = None
    y: float | None = None
    z_image: np.ndarray | None = None     # [Li] float32
    picture: np.ndarray | None = None     # [H, W] float32 in [0, 1], the image decoder's output


def mel_spec(manifest_raw: dict) -> MelSpec:
    """The manifest's `sound:` front end as a MelSpec: the daemon holds no constants about the models."""
    s = manifest_raw.get("sound", {})
    try:
        lo, hi = (float(v) for v in s.get("db_range", (-70.0, 50.0)))
        if int(s.get("win_length", s["n_fft"])) != int(s["n_fft"]):
            raise HearError("manifest: sound.win_length must equal n_fft (the front end uses a full-length window)")
        return MelSpec(sample_rate=int(s["sample_rate"]), n_fft=int(s["n_fft"]), hop_length=int(s["hop_length"]),
                       n_mels=int(s["n_mels"]), f_min=float(s["f_min"]), f_max=float(s["f_max"]),
                       n_samples=int(s["n_samples"]), top_db=float(s.get("top_db", 80.0)), db_min=lo, db_max=hi)
    except (KeyError, TypeError, ValueError) as e:
        raise HearError(f"manifest: the sound section does not describe the mel front end ({e})") from None


def level_db(samples: np.ndarray) -> float:
    """20 log10(sqrt(2) * RMS): a sine's amplitude in the synth's dB (0 dB = full scale), -inf for zeros.

    RMS, not peak, so a click does not open the gate; scaled so a sine reads
    the dB that `/sineparams` would give it.
    """
    x = np.asarray(samples, np.float64)
    rms = math.sqrt(float(np.mean(x * x))) if x.size else 0.0
    return 20.0 * math.log10(math.sqrt(2.0) * rms) if rms > 0 else -math.inf


def last_window(mono: np.ndarray, end: int, n: int) -> np.ndarray:
    """The n samples before index `end`, zeros before the start (a listener that just began hears silence)."""
    start = end - n
    if start >= 0:
        return mono[start:end]
    return np.concatenate([np.zeros(-start, mono.dtype), mono[:max(0, end)]])


class Hearer:
    """The way back for one bundle; caches the filterbank and the position table (they depend only on it)."""

    def __init__(self, models: Any, silence_db: float = SILENCE_DB) -> None:
        m = models.manifest
        for role in ("sound_encoder", "reverse_mapper"):
            if role not in models.sessions:
                raise HearError(f"bundle {m.model_id}: no {role} session (open it with roles=HEAR_ROLES)")
        if "position_table" not in m.files:
            raise HearError(f"bundle {m.model_id}: no position_table (manifest files.position_table)")
        self.models = models
        self.spec = mel_spec(m.raw)
        self.fb = mel_filterbank(self.spec)
        self.positions = m.square.positions
        with np.load(m.files["position_table"]) as f:
            table = np.asarray(f["z"], np.float32)
        if table.shape != (self.positions, self.positions, m.image_latent):
            raise HearError(f"{m.files['position_table']}: z has shape {table.shape}, expected "
                            f"[{self.positions}, {self.positions}, {m.image_latent}]")
        self.table = table.reshape(-1, m.image_latent).astype(np.float64)
        self.table_sq = (self.table ** 2).sum(1)
        self.silence_db = float(silence_db)

    # --- batched steps -------------------------------------------------------------------
    def mels(self, waves: np.ndarray) -> np.ndarray:
        """[N, n_samples] mono at the bundle's rate -> [N, n_mels] float32 (the manifest's scaling)."""
        out = [mel_vectors(waves[k:k + BATCH], self.spec, self.fb) for k in range(0, len(waves), BATCH)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, self.spec.n_mels), np.float32)

    def from_sound_latents(self, z_sound: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """[N, Ls] -> (positions [N, 2] float (x, y), image latents [N, Li])."""
        z = self._run("reverse_mapper", z_sound)
        return self.positions_of(z), z

    def from_mels(self, mels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """[N, n_mels] -> (positions [N, 2], image latents [N, Li])."""
        return self.from_sound_latents(self._run("sound_encoder", mels))

    def positions_of(self, z_image: np.ndarray) -> np.ndarray:
        """(x, y) of the nearest position-table latent (the manifest's `from_latent` readout), float64."""
        z = np.asarray(z_image, np.float64)
        idx = np.argmin(self.table_sq[None, :] - 2.0 * z @ self.table.T, axis=1) if len(z) else np.zeros(0, int)
        return np.stack([idx % self.positions, idx // self.positions], 1).astype(np.float64)

    def pictures(self, z_image: np.ndarray) -> np.ndarray:
        """[N, Li] -> [N, H, W] float32 in [0, 1]: what the image decoder makes of each latent."""
        if "image_decoder" not in self.models.sessions:
            raise HearError("no image_decoder session: open the bundle with roles=HEAR_ROLES for pictures")
        return np.clip(self._run("image_decoder", z_image)[:, 0], 0.0, 1.0)

    def _run(self, role: str, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float32)
        parts = [self.models.run(role, x[k:k + BATCH]) for k in range(0, len(x), BATCH)]
        return np.concatenate(parts) if parts else np.zeros((0,), np.float32)

    # --- one analysis ----------------------------------------------------------------------
    def analyse(self, samples: np.ndarray, picture: bool = True) -> Heard:
        """The last n_samples of `samples` (mono at the bundle's rate); silence below `silence_db` is not guessed."""
        wave = last_window(np.asarray(samples, np.float64).reshape(-1), len(samples), self.spec.n_samples)
        level = level_db(wave)
        if not level >= self.silence_db:
            return Heard(level, True)
        pos, z = self.from_mels(self.mels(wave[None, :]))
        pic = self.pictures(z)[0] if picture and "image_decoder" in self.models.sessions else None
        return Heard(level, False, float(pos[0, 0]), float(pos[0, 1]), z[0], pic)


_HEARERS: "weakref.WeakKeyDictionary[Any, Hearer]" = weakref.WeakKeyDictionary()


def analyse(samples: np.ndarray, models: Any,
            silence_db: float = SILENCE_DB) -> tuple[float, float, np.ndarray, np.ndarray | None] | None:
    """(x, y, z_image, picture) for the last n_samples of mono `samples`, or None when they are silent."""
    h = _HEARERS.get(models)
    if h is None or h.silence_db != silence_db:
        h = _HEARERS[models] = Hearer(models, silence_db)
    heard = h.analyse(samples)
    return None if heard.silent else (heard.x, heard.y, heard.z_image, heard.picture)
