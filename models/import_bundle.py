"""Rebuild torch checkpoints from an exported bundle, so later stages can train against shipped models.

The reverse mapper has to close the loop of the forward models that ship,
and those must not change under it. Their training checkpoints are not
versioned (runs/ is ignored), and a retrain does not reproduce them: on this
machine `isudt train image --threads 1` now gives an image VAE with layout
0.925, not the shipped 0.965. So their weights are read back from the ONNX
files. Initialisers keep their torch names, except GroupNorm's affine
parameters, which the exporter turns into Mul/Add constants in graph order.
The encoders' log-variance heads are not exported (inference uses means):
they are rebuilt as a constant log-variance of -20, so a posterior sample is
its mean. Every rebuilt network is checked against its ONNX file (1e-4).

    python -m isudt.models.import_bundle exported runs/shipped
"""
from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import yaml
from onnx import numpy_helper
from torch import nn

from . import checkpoint
from .config import STAGES, VAEConfig
from .networks import Heads, ImageVAE, Inversion, Mapper, SoundVAE
from .train import vae_net_kwargs

LOGVAR = -20.0


def initialisers(path: Path) -> tuple[dict[str, np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Named initialisers, and the unnamed Mul / Add constants (GroupNorm affine) in graph order."""
    model = onnx.load(str(path))
    init = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    muls: list[np.ndarray] = []
    adds: list[np.ndarray] = []
    for node in model.graph.node:
        for name in node.input:
            if name.startswith("onnx::") and name in init:
                (muls if node.op_type == "Mul" else adds if node.op_type == "Add" else []).append(init[name])
    return {k: v for k, v in init.items() if not k.startswith("onnx::")}, muls, adds


def fill(module: nn.Module, named: dict[str, np.ndarray], prefix: str = "", strip: str = "") -> set[str]:
    """Copy named initialisers into `module`'s state; return the state keys that were filled."""
    state = module.state_dict()
    done = set()
    for name, value in named.items():
        key = prefix + name[len(strip):] if name.startswith(strip) else None
        if key in state:
            state[key].copy_(torch.from_numpy(np.array(value)).reshape(state[key].shape))
            done.add(key)
    return done


def fill_groupnorms(module: nn.Module, muls: list[np.ndarray], adds: list[np.ndarray]) -> set[str]:
    norms = [(n, m) for n, m in module.named_modules() if isinstance(m, nn.GroupNorm)]
    if len(norms) != len(muls) or len(norms) != len(adds):
        raise ValueError(f"{len(norms)} GroupNorms, {len(muls)} Mul and {len(adds)} Add constants")
    done = set()
    with torch.no_grad():
        for (name, gn), w, b in zip(norms, muls, adds):
            gn.weight.copy_(torch.from_numpy(np.array(w)).reshape(-1)); gn.bias.copy_(torch.from_numpy(np.array(b)).reshape(-1))
            done |= {f"{name}.weight", f"{name}.bias"}
    return done


def constant_logvar(heads: Heads) -> set[str]:
    with torch.no_grad():
        heads.logvar.weight.zero_(); heads.logvar.bias.fill_(LOGVAR)
    return set()


def check(fn, path: Path, x: torch.Tensor, in_name: str) -> float:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        want = fn(x).numpy()
    return float(np.abs(sess.run(None, {in_name: x.numpy()})[0] - want).max())


def stage_config(stage: str, provenance: dict) -> dict:
    """The stage's training config from the manifest, without keys the current config no longer has."""
    cfg = provenance["stages"][stage]["config"]
    known = {f.name for f in fields(STAGES[stage])}
    out = {k: v for k, v in cfg.items() if k in known}
    if stage == "image" and cfg.get("decoder") not in ("broadcast", "painter"):
        out.pop("decoder", None)  # older bundles name the broadcast decoder "mlp"
    return out


def rebuild(bundle: Path, runs: Path) -> dict[str, float]:
    """Write runs/{image,sound,mapper,inversion}/checkpoint.pt from `bundle`; return each file's max |torch - ONNX|."""
    manifest = yaml.safe_load((bundle / "manifest.yaml").read_text())
    prov = manifest["provenance"]
    files = {k: bundle / v["path"] for k, v in manifest["files"].items()}
    g = torch.Generator().manual_seed(0)
    errors = {}

    image_cfg = stage_config("image", prov)
    image_net = vae_net_kwargs("image", VAEConfig(**image_cfg))
    image = ImageVAE(**image_net).eval()
    named, muls, adds = initialisers(files["image_encoder"])
    fill(image, named) | fill_groupnorms(image.encoder, muls, adds) | constant_logvar(image.encoder.heads)
    fill(image, initialisers(files["image_decoder"])[0])
    errors["image_encoder"] = check(lambda x: image.encode(x)[0], files["image_encoder"], torch.rand(7, 1, 128, 128, generator=g), "image")
    errors["image_decoder"] = check(image.decoder.full_size, files["image_decoder"], torch.randn(7, 2, generator=g), "z_image")

    sound_cfg = stage_config("sound", prov)
    sound_net = vae_net_kwargs("sound", VAEConfig(**sound_cfg))
    sound = SoundVAE(**sound_net).eval()
    fill(sound, initialisers(files["sound_encoder"])[0]); constant_logvar(sound.encoder.heads)
    fill(sound, initialisers(files["sound_decoder"])[0], prefix="decoder.")
    errors["sound_encoder"] = check(lambda x: sound.encode(x)[0], files["sound_encoder"], torch.rand(7, 64, generator=g), "mel")
    errors["sound_decoder"] = check(sound.decode, files["sound_decoder"], torch.randn(7, 2, generator=g), "z_sound")

    mapper = Mapper(image_net["latent"], sound_net["latent"]).eval()
    fill(mapper, initialisers(files["mapper"])[0])
    errors["mapper"] = check(mapper, files["mapper"], torch.randn(7, 2, generator=g), "z_image")
    inv_cfg = stage_config("inversion", prov)
    inv_net = {"n_mels": manifest["sound"]["n_mels"], "hidden": inv_cfg["hidden"],
               "pitch_range": list(manifest["sound"]["pitch_range"]),
               "db_range": [20 * float(np.log10(a)) for a in manifest["sound"]["amplitude_range"]]}
    inversion = Inversion(**inv_net).eval()
    fill(inversion, initialisers(files["inversion"])[0])
    errors["inversion"] = check(inversion, files["inversion"], torch.rand(7, 64, generator=g), "mel")

    bad = {k: v for k, v in errors.items() if v > 1e-4}
    if bad:
        raise RuntimeError(f"rebuilt networks differ from their ONNX files: {bad}")
    source = {"rebuilt_from": str(bundle), "model_id": manifest["model_id"]}
    for stage, net, model in (("image", image_net, image), ("sound", sound_net, sound), ("mapper", {"latent_in": 2, "latent_out": 2}, mapper),
                              ("inversion", inv_net, inversion)):
        st = prov["stages"][stage]
        count = {"epoch" if stage != "inversion" else "step": st["epochs_or_steps"]}
        checkpoint.save(runs / stage / "checkpoint.pt", {
            "stage": stage, "net": net, "config": stage_config(stage, prov), "model": model.state_dict(),
            "history": [st["final_losses"]], **count, "source": source})
    return errors


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m isudt.models.import_bundle", description=__doc__.splitlines()[0])
    p.add_argument("bundle", help="bundle directory (e.g. exported)")
    p.add_argument("runs", help="where the rebuilt stage folders go (e.g. runs/shipped)")
    args = p.parse_args()
    errors = rebuild(Path(args.bundle), Path(args.runs))
    for k, v in errors.items():
        print(f"{k:14} max |torch - onnx| = {v:.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
