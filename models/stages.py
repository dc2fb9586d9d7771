"""`train(stage, ...)`: the square world's stages by name, the entry point of `isudt train` (cli_train.py).

The dispatch lives here, above the stages, so that the stage modules import
only downwards: ear.py and reverse.py take their loops' helpers from train.py,
and train.py imports neither of them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import torch

from .ear import train_ear
from .reverse import train_reverse
from .train import train_inversion, train_mapper, train_vae

# stage -> its trainer, called as trainer(cfg, run_dir, device, resume, quiet)
STAGES: dict[str, Callable[..., dict]] = {
    "image": lambda cfg, *rest: train_vae("image", cfg, *rest),
    "sound": lambda cfg, *rest: train_vae("sound", cfg, *rest),
    "mapper": train_mapper,
    "inversion": train_inversion,
    "ear": train_ear,
    "reverse": train_reverse,
}


def train(stage: str, cfg: Any, run_dir: Path, device: str = "auto", resume: bool = False, quiet: bool = False) -> dict:
    """Train one stage (the `isudt train` entry point)."""
    torch.set_num_threads(max(1, torch.get_num_threads()))
    trainer = STAGES.get(stage)
    if trainer is None:
        raise ValueError(f"unknown stage {stage!r}: choose image, sound, mapper, inversion, ear or reverse")
    return trainer(cfg, run_dir, device, resume, quiet)
