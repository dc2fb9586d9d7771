"""`isudt train STAGE`: load the stage config, pick the device, run the trainer."""
from __future__ import annotations

import argparse
from pathlib import Path

ORDER = ("image", "sound", "inversion", "mapper")


def main(args: argparse.Namespace) -> int:
    import torch

    from .config import load_config
    from .train import train

    if args.threads:
        torch.set_num_threads(args.threads)
    stages = ORDER if args.stage == "all" else (args.stage,)
    runs = Path(args.runs)
    for stage in stages:
        key = "steps" if stage == "inversion" else "epochs"
        overrides = {key: args.epochs}
        if stage == "mapper":
            overrides |= {"image_run": str(runs / "image"), "sound_run": str(runs / "sound")}
        if stage == "inversion":
            overrides["sound_run"] = str(runs / "sound")
        cfg = load_config(stage, args.config if args.stage != "all" else None, **overrides)
        train(stage, cfg, runs / stage, args.device, resume=args.resume)
    return 0
