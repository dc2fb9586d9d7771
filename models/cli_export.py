"""`isudt export`: the square world's export, or a world's (`--world`, or a run folder whose checkpoints name one).

Its own module so that neither export imports the other (`world_export` builds on `export`).
"""
from __future__ import annotations

import argparse
from pathlib import Path


def main(args: argparse.Namespace) -> int:
    from .world_export import main_world, world_of_runs

    if getattr(args, "world", None):
        return main_world(args)
    trained_world = world_of_runs(Path(args.runs))
    if trained_world is not None:          # `isudt train --data/--synth` runs: their checkpoints name the world
        return main_world(args, trained_world)
    from .export import main as export_square

    return export_square(args)
