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


STAGES = {"image": VAEConfig, "sound": VAEConfig, "mapper": MapperConfig, "inversion": InversionConfig}


def load_config(stage: str, path: str | Path | None = None, **overrides) -> VAEConfig | MapperConfig | InversionConfig:
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
