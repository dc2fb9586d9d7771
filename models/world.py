"""A world: an image domain, a synth and the sizes of both latent spaces, from `configs/worlds/<name>.yaml`.

The square -> sine world keeps its own stages (`models/train.py`, `ear.py`,
`reverse.py`); every other world (MNIST digits -> FM, the user's folder ->
sine or FM) is described by one `WorldConfig` and trained by
`models/world_train.py`. The sound data of a world is its synth played at
random parameters through the world's mel front end (`SoundDomain`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from importlib import resources
from pathlib import Path

import numpy as np
import yaml
from tqdm import tqdm

from isudt.daemon.mel import MelSpec, mel_vectors
from isudt.daemon.synths import SynthDef, render, synth_def


@dataclass
class ImageStage:
    latent: int = 3
    width: int = 32
    res_blocks: int = 2
    epochs: int = 40
    batch_size: int = 64
    lr: float = 1e-3
    disc_lr: float = 1e-4
    warmup_epochs: int = 1
    w_rec: float = 1000.0
    w_kld: float = 1.0
    w_tc: float = 2.0
    grad_clip: float = 1.0
    init_logvar: float = -2.0
    disc_hidden: int = 32
    disc_layers: int = 2


@dataclass
class SoundStage:
    latent: int = 3
    width: int = 256
    epochs: int = 40
    steps_per_epoch: int = 400
    batch_size: int = 64
    lr: float = 1e-3
    disc_lr: float = 1e-4
    warmup_epochs: int = 2
    w_rec: float = 100.0
    w_kld: float = 0.45
    w_tc: float = 10.0
    grad_clip: float = 0.5
    init_logvar: float = 0.0
    disc_hidden: int = 128
    disc_layers: int = 4
    n_sounds: int = 16384


@dataclass
class InversionStage:
    steps: int = 4000
    batch_size: int = 1024
    lr: float = 2e-3
    hidden: int = 128
    recon_fraction: float = 0.75


@dataclass
class MapperStage:
    epochs: int = 120
    batch_size: int = 256
    lr: float = 5e-4
    warmup_epochs: int = 5
    w_locality: float = 1.0
    w_cycle: float = 1.0
    w_mmd: float = 1.0
    cycle_ramp: tuple[int, int] = (10, 60)
    align_spread: float = 0.8
    grad_clip: float = 0.5


@dataclass
class EarStage:
    """The ear: the sound encoder refined on the voices the forward direction plays (the decoder is kept)."""

    epochs: int = 30
    batch_size: int = 256
    lr: float = 1e-3
    warmup_epochs: int = 2
    phases: int = 4            # played phases (random offsets) per training image
    w_keep: float = 0.1        # random synth sounds keep the trained encoder's means
    keep_sounds: int = 4096
    grad_clip: float = 1.0


@dataclass
class ReverseStage:
    epochs: int = 60
    batch_size: int = 256
    lr: float = 1e-3
    warmup_epochs: int = 3
    w_locality: float = 0.3
    phases: int = 4            # played phases (random offsets) per training image
    grad_clip: float = 0.5


@dataclass
class WorldConfig:
    """Everything that defines a world; each stage reads its own section."""

    name: str = "custom"
    data: str = "mnist5k"       # "mnist5k", "digits" or a folder of pictures
    image_size: int = 32
    held_out: float = 0.1
    synth: str = "fm"           # "fm" or "sine"
    level_db: float = -12.0     # FM: the voice's own level
    seed: int = 0
    mel: dict = field(default_factory=dict)   # overrides of the MelSpec fields (the manifest's front end)
    image: ImageStage = field(default_factory=ImageStage)
    sound: SoundStage = field(default_factory=SoundStage)
    inversion: InversionStage = field(default_factory=InversionStage)
    mapper: MapperStage = field(default_factory=MapperStage)
    ear: EarStage = field(default_factory=EarStage)
    reverse: ReverseStage = field(default_factory=ReverseStage)

    @property
    def mel_spec(self) -> MelSpec:
        return replace(MelSpec(), **self.mel)

    @property
    def synth_def(self) -> SynthDef:
        return synth_def(self.synth, self.level_db)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["mapper"]["cycle_ramp"] = list(self.mapper.cycle_ramp)
        return d


SECTIONS = {"image": ImageStage, "sound": SoundStage, "inversion": InversionStage, "mapper": MapperStage,
            "ear": EarStage, "reverse": ReverseStage}


def _section(cls, values: dict, where: str):
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown {where} key(s) {unknown}; allowed: {sorted(known)}")
    if "cycle_ramp" in values:
        values = values | {"cycle_ramp": tuple(values["cycle_ramp"])}
    return cls(**values)


def world_from_dict(values: dict) -> WorldConfig:
    """A `WorldConfig` from a YAML mapping; unknown keys anywhere are errors naming them."""
    values = dict(values)
    stages = {k: _section(cls, values.pop(k, None) or {}, k) for k, cls in SECTIONS.items()}
    cfg = _section(WorldConfig, values, "world")
    for k, v in stages.items():
        setattr(cfg, k, v)
    MelSpec(**cfg.mel)          # a bad mel key fails here, naming it
    synth_def(cfg.synth)
    return cfg


def shipped_worlds() -> list[str]:
    folder = resources.files("isudt.models").joinpath("configs/worlds")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_world(name_or_path: str, **overrides) -> WorldConfig:
    """A shipped world by name (`digits-fm`) or a YAML file; `overrides` replace top-level keys (data, synth...)."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        values = yaml.safe_load(path.read_text()) or {}
    elif name_or_path in shipped_worlds():
        text = resources.files("isudt.models").joinpath(f"configs/worlds/{name_or_path}.yaml").read_text()
        values = yaml.safe_load(text) or {}
    else:
        raise ValueError(f"world {name_or_path!r}: not a YAML file nor a shipped world ({', '.join(shipped_worlds())})")
    values |= {k: v for k, v in overrides.items() if v is not None}
    return world_from_dict(values)


@dataclass
class SoundDomain:
    """Mel vectors of the synth at random parameters (uniform on each parameter's scale) and random phases."""

    mel: np.ndarray      # float32 [N, n_mels]
    unit: np.ndarray     # float32 [N, P] parameters in [0, 1] on their scales
    params: np.ndarray   # float64 [N, P] natural units (before the alias guard, which the synth applies)


def sound_domain(synth: SynthDef, spec: MelSpec, n: int, seed: int, chunk: int = 512,
                 progress: bool = True) -> SoundDomain:
    """`n` random sounds of `synth`, rendered by the one numpy definition and the numpy mel front end."""
    rng = np.random.default_rng(seed)
    unit = rng.random((n, len(synth.params)))
    params = synth.from_unit(unit)
    offset = rng.integers(0, spec.sample_rate - spec.n_samples, n)
    mels = []
    for k in tqdm(range(0, n, chunk), desc=f"{synth.kind} sounds", disable=not progress, leave=False, mininterval=1.0):
        waves = render(synth, params[k:k + chunk], spec.n_samples, spec.sample_rate, offset[k:k + chunk])
        mels.append(mel_vectors(waves, spec))
    return SoundDomain(np.concatenate(mels).astype(np.float32), unit.astype(np.float32), params)
