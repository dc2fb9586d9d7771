"""`isudt export --world W`: a world's checkpoints -> its bundle folder `exported/<name>/` (docs/contracts.md).

The same path as the square world's export (`models/export.py`): each
network wrapped to the contract's input/output names, exported with a
dynamic batch axis, checked against torch, hashed into `manifest.yaml` with
its provenance; then `isudt eval` measures the bundle and its metrics go
into the same manifest. A world's manifest adds `world:`, the image
source (`image.source`, with the data file's sha256) and the `synth:`
section (kind, each parameter's name/unit/min/max/scale, the alias guard).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import platform
from pathlib import Path

import onnxruntime as ort
import torch

from .export import EncoderMu, FullSizeImageDecoder, export_models, final_losses, latent_box, write_manifest
from . import checkpoint
from .world import WorldConfig, world_from_dict
from .world_train import (WORLD_STAGES, frozen, image_domain, image_vae_of, inversion_of, mapper_of, posteriors,
                          sound_vae_of, sounds_of, stage_ck, train_images)
from .networks import ReverseMapper

IMAGE_FIT = "aspect kept: centred on black at the longer side, then Pillow BOX resize (isudt.daemon.imagefit.fit_image)"


def export_world(cfg: WorldConfig, runs: Path, out: Path, opset: int = 17) -> dict:
    """Write every ONNX file and the manifest (metrics empty: `isudt eval` fills them)."""
    out.mkdir(parents=True, exist_ok=True)
    cks = {s: stage_ck(runs, s) for s in WORLD_STAGES if s != "ear" or (runs / s / "checkpoint.pt").exists()}
    # the ear's checkpoint: the same decoder, the encoder refined on the played voices (runs from before it: the VAE's)
    image_vae, sound_vae = image_vae_of(cks["image"]), sound_vae_of(cks.get("ear", cks["sound"]))
    mapper, inversion = mapper_of(cks["mapper"]), inversion_of(cks["inversion"])
    reverse = frozen(ReverseMapper, cks["reverse"])
    spec, synth, size = cfg.mel_spec, cfg.synth_def, cfg.image_size
    li, ls = image_vae.latent_dim, sound_vae.latent_dim
    jobs = [
        ("image_encoder", EncoderMu(image_vae.encoder), torch.rand(1, 1, size, size), "image", "mu"),
        ("image_decoder", FullSizeImageDecoder(image_vae.decoder), torch.randn(1, li), "z_image", "image"),
        ("mapper", mapper, torch.randn(1, li), "z_image", "z_sound"),
        ("sound_encoder", EncoderMu(sound_vae.encoder), torch.rand(1, spec.n_mels), "mel", "mu"),
        ("sound_decoder", sound_vae.decoder, torch.randn(1, ls), "z_sound", "mel"),
        ("inversion", inversion, torch.rand(1, spec.n_mels), "mel", "params"),
        ("reverse_mapper", reverse, torch.randn(1, ls), "z_sound", "z_image"),
    ]
    files = export_models(jobs, out, opset, desc=f"export {cfg.name}")
    files["inversion"]["method"] = (f"MLP regressor mel({spec.n_mels}) -> the {synth.kind} synth's parameters "
                                    f"({', '.join(synth.names)}) in natural units, each learnt on its own scale")
    if "ear" in cks:
        files["sound_encoder"]["method"] = ("the sound VAE's encoder refined by the ear stage (decoder unchanged): the "
                                            "voices the forward direction plays, heard at several phases, encode back "
                                            "to the sound latent they were decoded from; random synth sounds keep the "
                                            "trained encoder's means")
    files["reverse_mapper"]["method"] = ("the mapper's shape as a residual on the inverse of its alignment, trained on "
                                         "the sound-encoder means of the voices the forward direction plays (numpy "
                                         "synth and mel front end, several start phases per image)")
    with torch.no_grad():
        z_img = posteriors(image_vae.encode, train_images(cfg))[0].numpy()
        z_snd = posteriors(sound_vae.encode, torch.from_numpy(sounds_of(cfg, 4096, cfg.seed + 123).mel))[0].numpy()
    domain = image_domain(cfg)
    manifest = {
        "format": "isudt-bundle/1",
        "model_id": "",
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "world": {"name": cfg.name, "config": cfg.as_dict()},
        "image": {"height": size, "width": size, "channels": 1, "latent_dim": li, "source": domain.record(),
                  "fit": IMAGE_FIT, "latent_range": latent_box(z_img)},
        "sound": {"sample_rate": spec.sample_rate, "n_fft": spec.n_fft, "win_length": spec.n_fft,
                  "hop_length": spec.hop_length, "n_mels": spec.n_mels, "f_min": spec.f_min, "f_max": spec.f_max,
                  "n_samples": spec.n_samples, "top_db": spec.top_db, "db_range": [spec.db_min, spec.db_max],
                  "mel_scale": "htk", "latent_dim": ls, "latent_range": latent_box(z_snd)},
        "synth": synth.manifest(),
        "files": files,
        "provenance": {
            "torch": str(torch.__version__), "onnxruntime": str(ort.__version__), "opset": opset,
            "python": platform.python_version(),
            "stages": {s: {"epochs_or_steps": ck.get("epoch", ck.get("step")), "final_losses": final_losses(ck),
                           "wall_seconds": ck.get("wall_seconds")}
                       for s, ck in cks.items()},
        },
        "metrics": {},
    }
    digest = hashlib.sha256("".join(f["sha256"] for f in files.values()).encode()).hexdigest()[:12]
    manifest["model_id"] = f"isudt-{cfg.name}-{digest}"
    write_manifest(out, manifest)
    return manifest



def world_of_runs(runs: Path) -> WorldConfig | None:
    """The world a run folder was trained as (every world stage's checkpoint keeps it), or None (the square world)."""
    path = runs / "image" / "checkpoint.pt"
    if not path.exists():
        return None
    ck = checkpoint.load(path)
    return world_from_dict(ck["world"]) if "world" in ck else None


def main_world(args, cfg: WorldConfig | None = None) -> int:
    """`isudt export --world W [--runs R] [--out DIR]` (or `--runs R` of a world's training, whose checkpoints name
    the world): export, then measure unless --no-eval."""
    from .world import load_world

    cfg = cfg or load_world(args.world)
    out = Path(args.out or f"exported/{cfg.name}")
    runs = Path(args.runs if args.runs != "runs" else f"runs/{cfg.name}")
    manifest = export_world(cfg, runs, out, args.opset)
    print(f"exported {manifest['model_id']} to {out}/")
    if not args.no_eval:
        from .world_eval import evaluate_world, print_verdicts

        plots = Path("docs/eval") / cfg.name if out.resolve() == Path(f"exported/{cfg.name}").resolve() else out / "eval"
        print_verdicts(evaluate_world(out, plots))
        print(f"metrics stored in {out}/manifest.yaml, plots in {plots}/")
    return 0
