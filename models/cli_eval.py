"""`isudt eval`: the square world's metrics (`evaluate.py`) or a world's five targets (`world_eval.py`), by manifest.

Its own module so that neither evaluation imports the other (`world_eval` uses `evaluate`'s statistics).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import yaml


def main(args: argparse.Namespace) -> int:
    from isudt.daemon.bundle import default_bundle_dir

    bundle = Path(args.bundle) if args.bundle else default_bundle_dir()
    if "world" in (yaml.safe_load((bundle / "manifest.yaml").read_text()) or {}):
        from .world_eval import main_world

        return main_world(bundle, args)
    from .evaluate import main as evaluate_square

    return evaluate_square(args)
