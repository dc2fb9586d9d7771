"""`isudt eval` for a world with no ground truth: five measured targets, on held-out images, with onnxruntime.

What a listener hears is what counts, so the sound side is measured on the
audio the synth plays (numpy reference synth at the inversion's parameters,
alias guard applied), described by standard descriptors, not on the sound
VAE's own reconstructions:

- `locality`: Spearman between pairwise distances of the image latents and of
  the played sounds' z-scored descriptors (level, spectral centroid, spread,
  flatness, pitch; a descriptor that does not vary, like an FM voice's level,
  is left out);
- `class_kept`: digit accuracy of 5-NN (leave-one-out) on the descriptors over
  the same on the image latents;
- `range`: share of the 6 x 6 x 6 cells over the synth's parameters (each on
  its own scale, index after the alias guard) that the held-out images visit;
- `cycle`: |encode(render(params(map(z)))) - map(z)|, median, relative to the
  sound latent's RMS spread (that of the sound encoder's means of random synth
  sounds);
- `way_back`: a played sound -> sound encoder -> reverse mapper -> image
  decoder, classified by 5-NN on the training images' pixels, as often the
  source digit as the image's own reconstruction is (ratio).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
import yaml

from isudt.daemon.mel import mel_vectors
from isudt.daemon.synths import SynthDef, guard_index, render, synth_from_manifest

from .evaluate import spearman
from .image_data import load_domain
from .world import WorldConfig, sound_domain, world_from_dict

TARGETS = {"locality": 0.6, "class_kept": 0.9, "range": 0.25, "cycle": 0.1, "way_back": 0.8}
LOWER_IS_BETTER = {"cycle"}
K_NEIGHBOURS = 5
GRID = 6


@dataclass
class WorldModels:
    """The seven ONNX sessions of a world bundle, each a function of a float32 batch."""

    root: Path
    manifest: dict

    def __post_init__(self) -> None:
        self._s = {name: ort.InferenceSession(str(self.root / f["path"]), providers=["CPUExecutionProvider"])
                   for name, f in self.manifest["files"].items() if str(f["path"]).endswith(".onnx")}

    def run(self, name: str, x: np.ndarray, batch: int = 512) -> np.ndarray:
        s = self._s[name]
        feed = s.get_inputs()[0].name
        return np.concatenate([s.run(None, {feed: np.ascontiguousarray(x[i:i + batch], np.float32)})[0]
                               for i in range(0, len(x), batch)])


def world_of(manifest: dict) -> WorldConfig:
    return world_from_dict(manifest["world"]["config"])


def descriptors(waves: np.ndarray, sample_rate: int) -> np.ndarray:
    """[B, 5]: level (dB RMS), spectral centroid and spread (log2 Hz), flatness, pitch (log2 Hz, autocorrelation)."""
    n = waves.shape[1]
    spec = np.abs(np.fft.rfft(waves * np.hanning(n), axis=1)) ** 2 + 1e-20
    freqs = np.fft.rfftfreq(n, 1.0 / sample_rate)
    p = spec / spec.sum(1, keepdims=True)
    centroid = (p * freqs).sum(1)
    spread = np.sqrt((p * (freqs - centroid[:, None]) ** 2).sum(1))
    flatness = np.exp(np.log(spec).mean(1)) / spec.mean(1)
    level = 10 * np.log10(np.mean(waves ** 2, axis=1) + 1e-20)
    ac = np.fft.irfft(np.abs(np.fft.rfft(waves, 2 * n, axis=1)) ** 2, axis=1)[:, :n]
    lo, hi = int(sample_rate / 2000), int(sample_rate / 30)
    lag = lo + np.argmax(ac[:, lo:hi], axis=1)
    pitch = np.log2(sample_rate / lag)
    return np.stack([level, np.log2(centroid + 1e-9), np.log2(spread + 1e-9), flatness, pitch], 1)


def zscore(d: np.ndarray) -> np.ndarray:
    """Columns z-scored; a column that does not vary (std < 1e-6 of its scale) is dropped."""
    std = d.std(0)
    keep = std > 1e-6 * (np.abs(d).mean(0) + 1e-12)
    return (d[:, keep] - d[:, keep].mean(0)) / std[keep]


def pair_spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman between the two point sets' pairwise distances (every pair)."""
    iu = np.triu_indices(len(a), 1)
    da = np.linalg.norm(a[:, None] - a[None], axis=-1)[iu]
    db = np.linalg.norm(b[:, None] - b[None], axis=-1)[iu]
    return spearman(da, db)


def knn_loo_accuracy(x: np.ndarray, labels: np.ndarray, k: int = K_NEIGHBOURS) -> float:
    """Leave-one-out k-NN accuracy (majority vote, ties to the nearest)."""
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    return float((vote(np.argsort(d, 1)[:, :k], labels) == labels).mean())


def vote(neighbours: np.ndarray, labels: np.ndarray) -> np.ndarray:
    out = np.empty(len(neighbours), np.int64)
    for i, row in enumerate(labels[neighbours]):
        counts = np.bincount(row, minlength=10)
        best = np.flatnonzero(counts == counts.max())
        out[i] = next(v for v in row if v in best)
    return out


def knn_classify(train: np.ndarray, train_labels: np.ndarray, query: np.ndarray, k: int = K_NEIGHBOURS,
                 chunk: int = 256) -> np.ndarray:
    out = []
    sq = (train ** 2).sum(1)
    for i in range(0, len(query), chunk):
        q = query[i:i + chunk]
        d = sq[None] - 2 * q @ train.T
        out.append(vote(np.argsort(d, 1)[:, :k], train_labels))
    return np.concatenate(out)


def grid_coverage(unit: np.ndarray, cells: int = GRID) -> float:
    idx = np.clip((unit * cells).astype(int), 0, cells - 1)
    flat = np.ravel_multi_index(tuple(idx.T), (cells,) * unit.shape[1])
    return float(len(np.unique(flat)) / cells ** unit.shape[1])


def played_unit(synth: SynthDef, params: np.ndarray, sample_rate: int) -> np.ndarray:
    """Parameters as played (the alias guard lowers an FM index) on their own scales, clipped to [0, 1]."""
    played = np.array(params, np.float64)
    if synth.kind == "fm":
        fc = 440.0 * 2.0 ** ((played[:, 0] - 69.0) / 12.0)
        played[:, 2] = np.maximum(guard_index(fc, played[:, 1], played[:, 2], sample_rate), synth.params[2].min)
    return np.clip(synth.to_unit(played), 0.0, 1.0)


def measure_world(root: Path, max_items: int = 500) -> tuple[dict, dict]:
    """(metrics, arrays for the plots) of the world bundle in `root`."""
    manifest = yaml.safe_load((root / "manifest.yaml").read_text())
    cfg = world_of(manifest)
    synth = synth_from_manifest(manifest["synth"])
    spec = cfg.mel_spec
    models = WorldModels(root, manifest)
    domain = load_domain(cfg.data, cfg.image_size, cfg.held_out, cfg.seed)
    images, labels = domain.split("test")
    images, labels = images[:max_items], labels[:max_items]
    train_images, train_labels = domain.split("train")

    z_img = models.run("image_encoder", images[:, None])
    z_snd = models.run("mapper", z_img)
    params = models.run("inversion", models.run("sound_decoder", z_snd)).astype(np.float64)
    waves = render(synth, params, spec.n_samples, spec.sample_rate)
    desc = zscore(descriptors(waves, spec.sample_rate))
    heard = models.run("sound_encoder", mel_vectors(waves, spec).astype(np.float32))
    real = models.run("sound_encoder", sound_domain(synth, spec, 2048, cfg.seed + 99, progress=False).mel)
    rms_spread = float(np.sqrt(((real - real.mean(0)) ** 2).sum(1).mean()))
    labelled = bool((labels >= 0).all())

    metrics: dict = {
        "locality": pair_spearman(z_img, desc),
        "range": grid_coverage(played_unit(synth, params, spec.sample_rate)),
        "cycle": float(np.median(np.linalg.norm(heard - z_snd, axis=1)) / rms_spread),
    }
    arrays = {"z_img": z_img, "z_snd": z_snd, "params": params, "labels": labels, "images": images,
              "unit": played_unit(synth, params, spec.sample_rate)}
    if labelled:
        acc_sound, acc_image = knn_loo_accuracy(desc, labels), knn_loo_accuracy(z_img, labels)
        metrics["class_kept"] = acc_sound / acc_image
        metrics["class_accuracy_sound"], metrics["class_accuracy_image"] = acc_sound, acc_image
        flat_train = train_images.reshape(len(train_images), -1)
        back = models.run("image_decoder", models.run("reverse_mapper", heard))[:, 0]
        recon = models.run("image_decoder", z_img)[:, 0]
        acc_back = float((knn_classify(flat_train, train_labels, back.reshape(len(back), -1)) == labels).mean())
        acc_recon = float((knn_classify(flat_train, train_labels, recon.reshape(len(recon), -1)) == labels).mean())
        metrics["way_back"] = acc_back / acc_recon if acc_recon > 0 else 0.0
        metrics["way_back_accuracy"], metrics["reconstruction_accuracy"] = acc_back, acc_recon
        arrays |= {"back": back, "recon": recon}
    metrics["held_out_images"] = int(len(images))
    return {k: round(float(v), 4) if isinstance(v, float) else v for k, v in metrics.items()}, arrays


def verdicts(metrics: dict) -> dict:
    """Each target with its measured value and whether it is met."""
    out = {}
    for name, target in TARGETS.items():
        if name in metrics:
            v = metrics[name]
            out[name] = {"value": v, "target": target, "met": bool(v <= target if name in LOWER_IS_BETTER else v >= target)}
    return out


def evaluate_world(root: Path, out: Path | None, plots: bool = True) -> dict:
    """Measure, write metrics.json (and the plots) to `out`, store the metrics in the bundle's manifest."""
    metrics, arrays = measure_world(root)
    result = {"measured": metrics, "targets": verdicts(metrics)}
    path = root / "manifest.yaml"
    manifest = yaml.safe_load(path.read_text())
    manifest["metrics"] = result
    path.write_text(yaml.safe_dump(manifest, sort_keys=False, width=120))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
        if plots:
            from .world_plots import plot_world
            models = WorldModels(root, manifest)
            plot_world(lambda z: models.run("image_decoder", z), arrays, synth_from_manifest(manifest["synth"]), out)
    return result


def print_verdicts(result: dict) -> None:
    print(f"{'target':<12} {'value':>8} {'goal':>8}  met")
    for name, v in result["targets"].items():
        goal = f"{'<=' if name in LOWER_IS_BETTER else '>='}{v['target']}"
        print(f"{name:<12} {v['value']:>8.3f} {goal:>8}  {'yes' if v['met'] else 'NO'}")


def main_world(bundle: Path, args) -> int:
    """`isudt eval --bundle <world bundle>`: plots to docs/eval/<bundle name>/ unless --out names another folder."""
    out = Path(args.out)
    if out == Path("docs/eval"):
        out = out / bundle.resolve().name
    result = evaluate_world(bundle, out, plots=not args.no_plots)
    print_verdicts(result)
    print(f"wrote {out}/metrics.json" + ("" if args.no_plots else " and plots"))
    return 0 if all(v["met"] for v in result["targets"].values()) else 1
