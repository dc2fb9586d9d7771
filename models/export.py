"""`isudt export`: trained checkpoints -> the ONNX bundle in `exported/square-sine/` (docs/contracts.md, section 1).

One script from checkpoints to runtime files: each network is wrapped so its
ONNX graph has the contract's input/output names, exported with a dynamic
batch axis, checked against torch on random inputs (batch 1 and 7, 1e-4),
hashed into `manifest.yaml` with its provenance, then measured by
`isudt eval` and the metrics stored in the same manifest.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import platform
import zipfile
from io import BytesIO
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
import yaml
from torch import nn
from tqdm import tqdm

from isudt.daemon.bundle import sha256
from isudt.daemon.mel import DEFAULT_MEL
from isudt.daemon.square import DEFAULT_SPEC
from isudt.daemon.synths import SINE

from . import checkpoint
from .data import image_set
from .networks import (PAINTER_CHANGE, REVERSE_CHANGE, SIZE_CHANGES, ConvImageDecoder, ImageDecoder, Inversion, Mapper,
                       PainterDecoder, ReverseMapper)
from .train import build_vae, image_posteriors, sound_posterior_means

PARITY_ATOL = 1e-4


class EncoderMu(nn.Module):
    """Posterior mean only: what inference uses (no sampling)."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)[0]


class FullSizeImageDecoder(nn.Module):
    def __init__(self, decoder: ImageDecoder | PainterDecoder | ConvImageDecoder) -> None:
        super().__init__()
        self.decoder = decoder

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder.full_size(z)


def export_one(model: nn.Module, example: torch.Tensor, path: Path, in_name: str, out_name: str, opset: int) -> float:
    """Export with a dynamic batch axis; return the largest |ONNX - torch| over batch 1 and 7."""
    model.eval()
    torch.onnx.export(model, (example,), str(path), input_names=[in_name], output_names=[out_name],
                      dynamic_axes={in_name: {0: "N"}, out_name: {0: "N"}}, opset_version=opset, dynamo=False)
    return parity(model, path, example.shape[1:], in_name, scale=float(example.abs().max()) or 1.0)


def export_models(jobs: list, out: Path, opset: int, desc: str = "export") -> dict[str, dict]:
    """Export each (role, model, example input, input name, output name) to `out/<role>.onnx`, refuse any whose
    ONNX graph differs from torch by more than PARITY_ATOL, and return the manifest's `files:` entries."""
    files = {}
    for name, model, example, in_name, out_name in tqdm(jobs, desc=desc, unit="model"):
        path = out / f"{name}.onnx"
        err = export_one(model, example, path, in_name, out_name, opset)
        if err > PARITY_ATOL:
            raise RuntimeError(f"{name}: ONNX differs from torch by {err:.2e} (> {PARITY_ATOL})")
        files[name] = {"path": path.name, "sha256": sha256(path), "input": in_name, "output": out_name,
                       "parity_max_abs_err": float(f"{err:.3g}")}
    return files


def parity(model: nn.Module, path: Path, shape: tuple, in_name: str, scale: float = 1.0, seed: int = 0) -> float:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    g = torch.Generator().manual_seed(seed)
    worst = 0.0
    for batch in (1, 7):
        x = torch.rand((batch, *shape), generator=g) * scale
        with torch.no_grad():
            ref = model(x).numpy()
        got = sess.run(None, {in_name: x.numpy()})[0]
        worst = max(worst, float(np.abs(ref - got).max()))
    return worst


def latent_box(z: np.ndarray, margin: float = 0.1) -> dict:
    """The range the daemon clamps latents into: data min/max widened by `margin` of the span."""
    lo, hi = z.min(0), z.max(0)
    pad = (hi - lo) * margin
    return {"min": [round(float(v), 4) for v in lo - pad], "max": [round(float(v), 4) for v in hi + pad]}


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An .npz with fixed zip timestamps, so the same arrays always hash the same (np.savez stamps the clock)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, a in arrays.items():
            buf = BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(a), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), buf.getvalue(),
                        compress_type=zipfile.ZIP_DEFLATED)


def position_table(image_encoder: Path, batch: int = 126) -> np.ndarray:
    """[P, P, Li] image-encoder means (the exported ONNX file) of every rendered square, indexed [y, x].

    Rendered in float like `/pictslider` (not the uint8 training copy), so the
    table holds exactly the latents the daemon's encoder gives.
    """
    from isudt.daemon.square import render_square

    sess = ort.InferenceSession(str(image_encoder), providers=["CPUExecutionProvider"])
    p, size = DEFAULT_SPEC.positions, DEFAULT_SPEC.size
    buf = np.empty((p, 1, size, size), np.float32)
    rows = []
    for y in tqdm(range(p), desc="position table", leave=False):
        for x in range(p):
            render_square(x, y, DEFAULT_SPEC, out=buf[x, 0])
        rows.append(sess.run(None, {"image": buf})[0])
    return np.stack(rows).astype(np.float32)


POSITION_READOUT = {
    "from_latent": {
        "method": "nearest",
        "file": "position_table",
        "array": "z",
        "how": "z[y, x] ([P, P, latent_dim], float32) is the image encoder's mean of the square at (x, y); a latent "
               "reads as the (x, y) of the nearest table entry (Euclidean)",
    },
    "from_image": {
        "method": "brightest_block",
        "block": DEFAULT_SPEC.square,
        "how": "the top-left (x, y), x and y in [0, positions), of the block x block window of the decoded image "
               "with the largest sum",
    },
}


def load_stage(runs: Path, stage: str) -> dict:
    return checkpoint.load(runs / stage / "checkpoint.pt")


def final_losses(ck: dict) -> dict:
    last = ck["history"][-1] if ck["history"] else {}
    return {k: round(float(v), 6) for k, v in last.items()}


def export(runs: Path, out: Path, opset: int = 17) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    optional = tuple(s for s in ("ear", "reverse") if (runs / s / "checkpoint.pt").exists())
    cks = {s: load_stage(runs, s) for s in ("image", "sound", "mapper", "inversion") + optional}
    image_vae = build_vae("image", cks["image"]["net"]); image_vae.load_state_dict(cks["image"]["model"])
    hearing = cks.get("ear", cks["sound"])   # the ear's checkpoint: the same decoder, the refined encoder
    sound_vae = build_vae("sound", hearing["net"]); sound_vae.load_state_dict(hearing["model"])
    mapper = Mapper(**cks["mapper"]["net"]); mapper.load_state_dict(cks["mapper"]["model"])
    inversion = Inversion(**cks["inversion"]["net"]); inversion.load_state_dict(cks["inversion"]["model"])
    for m in (image_vae, sound_vae, mapper, inversion):
        m.eval()
    reverse = None
    if "reverse" in cks:
        reverse = ReverseMapper(**cks["reverse"]["net"]); reverse.load_state_dict(cks["reverse"]["model"]); reverse.eval()

    li, ls, n_mels = image_vae.latent_dim, sound_vae.latent_dim, DEFAULT_MEL.n_mels
    size = DEFAULT_SPEC.size
    jobs = [
        ("image_encoder", EncoderMu(image_vae.encoder), torch.rand(1, 1, size, size), "image", "mu"),
        ("image_decoder", FullSizeImageDecoder(image_vae.decoder), torch.randn(1, li), "z_image", "image"),
        ("mapper", mapper, torch.randn(1, li), "z_image", "z_sound"),
        ("sound_encoder", EncoderMu(sound_vae.encoder), torch.rand(1, n_mels), "mel", "mu"),
        ("sound_decoder", sound_vae.decoder, torch.randn(1, ls), "z_sound", "mel"),
        ("inversion", inversion, torch.rand(1, n_mels), "mel", "params"),
    ]
    if reverse is not None:
        jobs.append(("reverse_mapper", reverse, torch.randn(1, ls), "z_sound", "z_image"))
    files = export_models(jobs, out, opset)
    files["inversion"]["method"] = (
        "MLP regressor mel(64) -> (MIDI pitch, dB), trained on the sound VAE's reconstructions "
        "(75%) and clean mel vectors (25%) of random off-grid sines; continuous, replaces the "
        "published 128x128 nearest-neighbour snap")
    if "ear" in cks:
        files["sound_encoder"]["method"] = (
            "the sound VAE's encoder refined by `isudt train ear` (decoder unchanged): the sines the forward "
            "direction plays (phase 0 and random phases) pulled to the sound latent they were decoded from, random "
            "sines kept at the trained encoder's mean and reconstructable by the decoder")
    reverse_section = None
    if reverse is not None:
        table = out / "position_table.npz"
        write_npz(table, {"z": position_table(out / "image_encoder.onnx")})
        files["reverse_mapper"]["method"] = (
            "published mapper shape as a residual on the inverse of the forward mapper's alignment; trained on the "
            "sound-encoder means of the sines the forward direction plays (numpy mel front end, several phases per "
            "position) and of random sines: loop to the image latent that played the sine, locality to the aligned "
            "start point, cycle through the image decoder and encoder")
        files["position_table"] = {"path": table.name, "sha256": sha256(table), "arrays": {"z": "float32 [P, P, Li]"}}
        reverse_section = {"position_readout": POSITION_READOUT,
                           "sines": "the evaluation's sines start at phase 0 with sign +1 (daemon.mel.sine defaults)"}

    with torch.no_grad():
        z_img = image_posteriors(image_vae, image_set())[0].numpy()
        z_snd = sound_posterior_means(sound_vae, set_seed=123, sample_seed=0,
                                      level_dist=cks["sound"]["config"].get("level_dist", "linear")).numpy()

    manifest = {
        "format": "isudt-bundle/1",
        "model_id": "",
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "image": {"height": size, "width": size, "channels": 1, "latent_dim": li,
                  "square": {"size": DEFAULT_SPEC.square, "positions": DEFAULT_SPEC.positions,
                             "glow_scale": DEFAULT_SPEC.glow_scale, "glow_exponent": DEFAULT_SPEC.glow_exponent},
                  "latent_range": latent_box(z_img)},
        "sound": {"sample_rate": DEFAULT_MEL.sample_rate, "n_fft": DEFAULT_MEL.n_fft, "win_length": DEFAULT_MEL.n_fft,
                  "hop_length": DEFAULT_MEL.hop_length, "n_mels": n_mels, "f_min": DEFAULT_MEL.f_min,
                  "f_max": DEFAULT_MEL.f_max, "n_samples": DEFAULT_MEL.n_samples, "top_db": DEFAULT_MEL.top_db,
                  "db_range": [DEFAULT_MEL.db_min, DEFAULT_MEL.db_max], "mel_scale": "htk", "latent_dim": ls,
                  "pitch_range": [DEFAULT_MEL.pitch_min, DEFAULT_MEL.pitch_max],
                  "amplitude_range": [DEFAULT_MEL.amp_min, DEFAULT_MEL.amp_max],
                  "latent_range": latent_box(z_snd)},
        "synth_params": {"outputs": ["midi_pitch", "db"], "db_reference": "20*log10(linear amplitude), 0 dB = full scale"},
        "synth": SINE.manifest(),
        **({"reverse": reverse_section} if reverse_section else {}),
        "files": files,
        "provenance": {
            "torch": str(torch.__version__), "onnxruntime": str(ort.__version__), "opset": opset, "python": platform.python_version(),
            "size_changes_from_published": SIZE_CHANGES | ({"image_decoder": PAINTER_CHANGE} if image_vae.full_res else {})
                                           | ({"reverse_mapper": REVERSE_CHANGE} if reverse is not None else {}),
            "stages": {s: {"config": ck["config"], "epochs_or_steps": ck.get("epoch", ck.get("step")),
                           "final_losses": final_losses(ck), "seed": ck["config"]["seed"],
                           **({"weights_from": ck["source"]} if "source" in ck else {})} for s, ck in cks.items()},
        },
        "metrics": {},
    }
    digest = hashlib.sha256("".join(f["sha256"] for f in files.values()).encode()).hexdigest()[:12]
    manifest["model_id"] = f"isudt-{digest}"
    write_manifest(out, manifest)
    return manifest


def write_manifest(out: Path, manifest: dict) -> None:
    (out / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False, width=120))


def main(args: argparse.Namespace) -> int:
    """The square world's export (`models/cli_export.py` sends other worlds to `world_export`)."""
    out = Path(args.out or "exported/square-sine")
    manifest = export(Path(args.runs), out, args.opset)
    print(f"exported {manifest['model_id']} to {out}/")
    if not args.no_eval:
        from .evaluate import evaluate_bundle
        # the shipped bundle's plots go to docs/eval (the README shows them); a trial export keeps its own
        plots = Path("docs/eval") if out.resolve() == Path("exported/square-sine").resolve() else out / "eval"
        diagnostics: dict = {}
        metrics = evaluate_bundle(out, plots, diagnostics=diagnostics)
        manifest["metrics"] = metrics
        if diagnostics:
            manifest["diagnostics"] = diagnostics
        write_manifest(out, manifest)
        print(f"metrics stored in {out}/manifest.yaml")
    return 0
