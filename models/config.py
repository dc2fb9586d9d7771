"""Training configuration: one dataclass per stage, defaults in `configs/*.yaml`."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path

import yaml


@dataclass
class VAEConfig:
    """A FactorVAE stage (image or sound)."""

    seed: int = 0
    epochs: int = 40
    batch_size: int = 256
    steps_per_epoch: int = 0      # 0: one pass over the data set (image); sound data is synthesised
    lr: float = 1e-3
    disc_lr: float = 1e-4
    warmup_epochs: int = 2
    cosine_decay: bool = False    # after the warm-up, decay the rate to 0 along a cosine (the painter's refit)
    w_rec: float = 1000.0
    w_kld: float = 0.3
    kld_growth: float = 1.01      # w_kld *= growth after an epoch whose last rec loss < threshold
    kld_threshold: float = 1e-4
    w_tc: float = 2.0
    grad_clip: float = 0.5
    latent: int = 2
    width: int = 32
    res_blocks: int = 2           # image only
    pool: int = 4                 # image only: average-pool factor before the encoder
    disc_hidden: int = 16
    disc_layers: int = 2
    subset: int = 0               # image only: train on a random subset (tests)
    n_pitches: int = 16384        # sound only: size of the precomputed pitch set
    init_logvar: float = -6.0     # initial posterior log-variance (small noise avoids early posterior collapse)
    decoder: str = "broadcast"    # image only: "broadcast" (pooled 32 x 32) or "painter" (full 128 x 128)
    paint_width: int = 16         # image only: the painter's per-pixel MLP width
    paint_pixels: int = 1024      # image only: pixels the painter reconstructs per image and step
    w_peak: float = 1000.0        # image only: weight of the painter's point-on-the-brightest-pixel term
    head_steps: int = 0           # image only: after the epochs, steps refitting the painter's point on posterior means
    encoder_from: str = ""        # a run whose trained encoder this one starts from (e.g. the shipped one)
    freeze_encoder: bool = False  # with encoder_from: train the decoder only (a new decoder for a kept latent)
    level_dist: str = "linear"    # sound only: amplitudes uniform in "linear" amplitude (published) or in "db"
    w_phase: float = 0.0          # sound only, with phase_views: weight of |mu(phase a) - mu(phase b)|^2 (same tone)
    phase_views: int = 0          # sound only: phases per pitch; > 1 reconstructs their mean (phase-invariant latent)


@dataclass
class MapperConfig:
    seed: int = 0
    epochs: int = 150
    batch_size: int = 512
    lr: float = 5e-4
    warmup_epochs: int = 10
    w_locality: float = 1.0
    w_cycle: float = 1.0
    cycle_ramp: tuple[int, int] = (30, 100)   # epochs over which the cycle weight goes 0 -> w_cycle
    align_spread: float = 1.0     # image latent aligned to this fraction of the sound latent's spread
    identity_start: bool = True   # residual starts at zero (the aligned identity); False: published plain init
    grad_clip: float = 0.5
    image_run: str = "runs/image"
    sound_run: str = "runs/sound"
    subset: int = 0


@dataclass
class InversionConfig:
    seed: int = 0
    steps: int = 4000
    batch_size: int = 1024
    lr: float = 2e-3
    hidden: int = 128
    recon_fraction: float = 0.75  # share of each batch that is the sound VAE's reconstruction
    sound_run: str = "runs/sound"
    n_pitches: int = 16384


@dataclass
class EarConfig:
    """The ear: the sound encoder refined on the sines the forward direction plays (decoder frozen).

    Each played sine (phase 0, and a seeded random phase at weight
    `w_phase`) is pulled to the sound latent the forward direction decoded
    it from, as is the decoder's own spectrum of that latent (`w_decoded`);
    random sines keep the trained encoder's mean (`w_keep`) and stay
    reconstructable by the frozen decoder (`w_recon`). See `models/ear.py`.
    """

    seed: int = 0
    epochs: int = 300
    batch_size: int = 256
    lr: float = 1e-3
    warmup_epochs: int = 30       # then a cosine decay to 0 over the remaining epochs
    w_phase: float = 0.3
    w_keep: float = 0.1
    w_recon: float = 0.1
    w_decoded: float = 0.2        # the decoder's spectrum of a played latent encodes back to it (cycle agreement)
    random_sines: int = 16384
    grad_clip: float = 1.0
    checkpoint_every: int = 10    # epochs between checkpoints (and the monitor's px figures)
    image_run: str = "runs/image"
    sound_run: str = "runs/sound"
    mapper_run: str = "runs/mapper"
    inversion_run: str = "runs/inversion"
    subset: int = 0               # positions (tests)


@dataclass
class ReverseConfig:
    """The reverse mapper: sound latent -> image latent, on what the daemon will hear.

    Trained on sound-encoder means of the sines the forward direction plays
    (one per position at offset 0 / sign +1, plus `played_phases - 1` seeded
    random offsets and signs) and of random sines from the sound VAE's
    training distribution. Losses: `loop` (played sine back to the image
    latent that played it), and the published mapper's pair mirrored:
    `locality` to the aligned start point and `cycle` through the image
    decoder and encoder.
    """

    seed: int = 0
    epochs: int = 15
    batch_size: int = 512
    lr: float = 5e-4
    warmup_epochs: int = 2
    w_loop: float = 1.0
    w_locality: float = 0.1
    w_cycle: float = 0.1
    cycle_ramp: tuple[int, int] = (3, 8)      # epochs over which the cycle weight goes 0 -> w_cycle
    cycle_batch: int = 32         # share of each batch sent through image decoder + encoder (the costly part)
    played_phases: int = 4        # sines per position: offset 0 / sign +1, then seeded random offsets and signs
    random_sines: int = 16384     # unpaired sines (pitch, amplitude uniform as in the sound VAE's data)
    random_fraction: float = 0.25 # share of each batch drawn from the random sines (locality + cycle only)
    grad_clip: float = 0.5
    image_run: str = "runs/image"
    sound_run: str = "runs/sound"
    mapper_run: str = "runs/mapper"
    inversion_run: str = "runs/inversion"
    ear_run: str = "runs/ear"     # the refined sound encoder the daemon ships ("": the sound VAE's own)
    subset: int = 0               # positions (tests)


STAGES = {"image": VAEConfig, "sound": VAEConfig, "mapper": MapperConfig, "inversion": InversionConfig,
          "ear": EarConfig, "reverse": ReverseConfig}


def load_config(stage: str, path: str | Path | None = None, **overrides) -> VAEConfig | MapperConfig | InversionConfig | EarConfig | ReverseConfig:
    """Stage defaults from the packaged YAML, then `path`, then keyword overrides; unknown keys are errors."""
    cls = STAGES[stage]
    values = yaml.safe_load(resources.files("isudt.models").joinpath(f"configs/{stage}.yaml").read_text()) or {}
    if path is not None:
        values.update(yaml.safe_load(Path(path).read_text()) or {})
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown {stage} config key(s) {unknown}; allowed: {sorted(known)}")
    if "cycle_ramp" in values:
        values["cycle_ramp"] = tuple(values["cycle_ramp"])
    return cls(**values)


def as_dict(cfg) -> dict:
    d = asdict(cfg)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}
