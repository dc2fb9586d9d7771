"""`isudt train STAGE`: load the stage config, pick the device, run the trainer.

Also runnable as `python -m isudt.models.cli_train STAGE ...` (the same flags:
both parsers are built by `isudt.daemon.cli.add_train_arguments`).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from isudt.daemon.cli import TRAIN_STAGES as ORDER, add_train_arguments


def stage_overrides(stage: str, runs: Path, epochs: int | None) -> dict:
    """Epoch/step count from the command line, and the earlier stages' run folders under `runs`."""
    overrides: dict = {"steps" if stage == "inversion" else "epochs": epochs}
    if stage in ("mapper", "ear", "reverse"):
        overrides |= {"image_run": str(runs / "image"), "sound_run": str(runs / "sound")}
    if stage == "inversion":
        overrides["sound_run"] = str(runs / "sound")
    if stage in ("ear", "reverse"):
        overrides |= {"mapper_run": str(runs / "mapper"), "inversion_run": str(runs / "inversion")}
    if stage == "reverse":
        overrides["ear_run"] = str(runs / "ear")
    return overrides


def is_world(args: argparse.Namespace) -> bool:
    """A world other than the square one: --world, or --data/--synth naming something else than square/sine."""
    return bool(getattr(args, "world", None) or getattr(args, "data", None) not in (None, "square")
                or getattr(args, "synth", None) not in (None, "sine"))


def main_world(args: argparse.Namespace) -> int:
    """`isudt train STAGE --world W [--data D] [--synth S]`: the stages of models/world_train.py."""
    from .world import load_world
    from .world_train import WORLD_STAGES, train_world

    name = None if args.world else f"{Path(args.data or 'mnist5k').name}-{args.synth or 'fm'}"
    cfg = load_world(args.world or "digits-fm", data=args.data, synth=args.synth, name=name)
    if args.stage not in (*WORLD_STAGES, "all"):
        print(f"isudt train: stage {args.stage!r} is for the square world only; a world has "
              f"{', '.join(WORLD_STAGES)}", file=sys.stderr)
        return 2
    from .distributed import launched
    if launched() and args.stage not in ("image", "sound"):
        print(f"isudt train: under torchrun only the image and sound stages run data-parallel; run "
              f"{args.stage!r} as a plain process", file=sys.stderr)
        return 2
    # a world's stages never share the square world's run folders
    runs = Path(args.runs) if args.runs != "runs" else Path("runs") / cfg.name
    print(f"[{cfg.name}] data {cfg.data}, synth {cfg.synth}, runs in {runs}/", flush=True)
    for stage in WORLD_STAGES if args.stage == "all" else (args.stage,):
        if args.epochs:
            section = getattr(cfg, stage)
            setattr(section, "steps" if stage == "inversion" else "epochs", args.epochs)
        train_world(stage, cfg, runs, args.device, resume=args.resume)
    return 0


def main(args: argparse.Namespace) -> int:
    import torch

    from .config import load_config
    from .stages import train

    if args.threads:
        torch.set_num_threads(args.threads)
    if is_world(args):
        try:
            return main_world(args)
        except ValueError as e:      # a bad world file, data source or key: one line naming it
            print(f"isudt train: {e}", file=sys.stderr)
            return 2
    stages = ORDER if args.stage == "all" else (args.stage,)
    runs = Path(args.runs)
    for stage in stages:
        cfg = load_config(stage, args.config if args.stage != "all" else None, **stage_overrides(stage, runs, args.epochs))
        train(stage, cfg, runs / stage, args.device, resume=args.resume)
    return 0


def parser() -> argparse.ArgumentParser:
    return add_train_arguments(argparse.ArgumentParser(prog="python -m isudt.models.cli_train",
                                                       description="train one stage (torch)"))


if __name__ == "__main__":
    sys.exit(main(parser().parse_args()))
