"""Checkpoints as plain tensors and numbers: state_dicts, config dict, RNG state, history.

Loaded with `weights_only=True`, so no training object is ever unpickled.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch


def save(path: Path, state: dict) -> None:
    """Write atomically, so an interrupted run never leaves a half checkpoint behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load(path: Path) -> dict:
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}: train that stage first")
    return torch.load(path, map_location="cpu", weights_only=True)
