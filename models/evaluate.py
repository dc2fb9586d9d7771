"""`isudt eval`: measure a bundle through onnxruntime (the daemon's own loader), not torch.

Writes `metrics.json` (value, target, pass for each metric of the models
issue) and PNG plots of the latent spaces and the end-to-end maps. Needs
numpy, onnxruntime and matplotlib only, so it runs wherever the daemon runs.
"""
from __future__ import annotations

import argparse
import json
import operator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from isudt.daemon.bundle import Models, load_manifest
from isudt.daemon.mel import DEFAULT_MEL, mel_vectors, sines_batch
from isudt.daemon.square import render_square

N_PAIRS = 20_000
SEED = 0


@dataclass(frozen=True)
class Target:
    op: str        # ">=" or "<="
    bound: float
    what: str

    def met(self, value: float) -> bool:
        return {">=": operator.ge, "<=": operator.le}[self.op](value, self.bound)


TARGETS = {
    "image_layout_spearman": Target(">=", 0.97, "Spearman rho, pairwise distances of (x, y) vs image posterior means"),
    "sound_layout_spearman": Target(">=", 0.85, "Spearman rho, pairwise distances of (pitch/48, amplitude) vs sound posterior means, 64x64 grid"),
    "distance_keeping_pearson": Target(">=", 0.95, "Pearson r, pairwise distances of image means vs mapped points"),
    "cycle_agreement_median_l2": Target("<=", 0.10, "median L2 between mapped point and the sound encoder's mean of its decoded spectrum"),
    "pitch_reach": Target(">=", 0.50, "(p95 - p5 of pitch over all square positions) / 48"),
    "end_to_end_order_spearman": Target(">=", 0.80, "Spearman rho, pairwise distances of (x, y) vs (pitch/48, dB/40)"),
    "smoothness_max_semitones": Target("<=", 1.0, "largest pitch change between neighbouring square positions"),
    "inversion_pitch_median_error": Target("<=", 0.5, "median |pitch error| (semitones), 1,000 off-grid sines through the sound VAE"),
    "inversion_db_median_error": Target("<=", 1.5, "median |level error| (dB), same sines"),
}


def rankdata(a: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank), as Spearman needs."""
    order = np.argsort(a, kind="mergesort")
    ranks = np.empty(len(a), dtype=np.float64)
    ranks[order] = np.arange(len(a), dtype=np.float64)
    sorted_a = a[order]
    boundaries = np.flatnonzero(np.diff(sorted_a)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(a)]))
    for s, e in zip(starts, ends):
        if e - s > 1:
            ranks[order[s:e]] = (s + e - 1) / 2.0
    return ranks


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return pearson(rankdata(a), rankdata(b))


def random_pairs(n: int, k: int = N_PAIRS, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, n, k), rng.integers(0, n, k)
    keep = i != j
    return i[keep], j[keep]


def pair_distances(points: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    return np.linalg.norm(points[i] - points[j], axis=1)


def layout_rho(truth: np.ndarray, latent: np.ndarray, rank: bool = True) -> float:
    i, j = random_pairs(len(truth))
    f = spearman if rank else pearson
    return f(pair_distances(truth, i, j), pair_distances(latent, i, j))


def batched(fn, x: np.ndarray, batch: int = 512) -> np.ndarray:
    return np.concatenate([fn(x[k:k + batch]) for k in range(0, len(x), batch)])


def encode_all_squares(models: Models) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of every position and the image posterior mean of its square (row-major in y)."""
    spec = models.manifest.square
    p = spec.positions
    xy = np.array([(x, y) for y in range(p) for x in range(p)], dtype=np.float64)
    z = []
    buf = np.empty((p, 1, spec.size, spec.size), dtype=np.float32)
    for y in range(p):
        for x in range(p):
            render_square(x, y, spec, out=buf[x, 0])
        z.append(models.encode_image(buf))
    return xy, np.concatenate(z)


def sound_grid(n: int = 64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 64 x 64 grid of sines (pitch linear in [38, 86], amplitude linear in [0.01, 1]) as mel vectors."""
    s = DEFAULT_MEL
    pitch, amp = np.meshgrid(np.linspace(s.pitch_min, s.pitch_max, n), np.linspace(s.amp_min, s.amp_max, n))
    pitch, amp = pitch.ravel(), amp.ravel()
    mel = np.concatenate([mel_vectors(sines_batch(pitch[k:k + 512], amp[k:k + 512])) for k in range(0, len(pitch), 512)])
    return pitch, amp, mel.astype(np.float32)


def off_grid_sines(n: int = 1000, seed: int = SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = DEFAULT_MEL
    rng = np.random.default_rng(seed + 1)
    pitch = rng.uniform(s.pitch_min, s.pitch_max, n)
    amp = rng.uniform(s.amp_min, s.amp_max, n)
    offset = rng.integers(0, s.sample_rate - s.n_samples, n)
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    mel = np.concatenate([mel_vectors(sines_batch(pitch[k:k + 500], amp[k:k + 500], offset[k:k + 500], sign[k:k + 500]))
                          for k in range(0, n, 500)])
    return pitch, 20 * np.log10(amp), mel.astype(np.float32)


def measure(models: Models, sound_encoder: Models) -> tuple[dict, dict]:
    """All metrics, plus the arrays the plots need."""
    xy, z_img = encode_all_squares(models)
    z_map = batched(models.map, z_img)
    mel_map = batched(models.decode, z_map)
    params = batched(models.invert, mel_map)
    pitch, db = params[:, 0], params[:, 1]
    z_cycle = batched(lambda m: sound_encoder.run("sound_encoder", m), mel_map)

    g_pitch, g_amp, g_mel = sound_grid()
    z_snd = batched(lambda m: sound_encoder.run("sound_encoder", m), g_mel)

    t_pitch, t_db, t_mel = off_grid_sines()
    recon = models.decode(sound_encoder.run("sound_encoder", t_mel))
    inv = models.invert(recon)

    p = models.manifest.square.positions
    grid_pitch = pitch.reshape(p, p)  # [y, x]
    smooth = max(np.abs(np.diff(grid_pitch, axis=0)).max(), np.abs(np.diff(grid_pitch, axis=1)).max())
    metrics = {
        "image_layout_spearman": layout_rho(xy, z_img),
        "sound_layout_spearman": layout_rho(np.stack([g_pitch / 48.0, g_amp], 1), z_snd),
        "distance_keeping_pearson": layout_rho(z_img, z_map, rank=False),
        "cycle_agreement_median_l2": float(np.median(np.linalg.norm(z_cycle - z_map, axis=1))),
        "pitch_reach": float((np.percentile(pitch, 95) - np.percentile(pitch, 5)) / 48.0),
        "end_to_end_order_spearman": layout_rho(xy, np.stack([pitch / 48.0, db / 40.0], 1)),
        "smoothness_max_semitones": float(smooth),
        "inversion_pitch_median_error": float(np.median(np.abs(inv[:, 0] - t_pitch))),
        "inversion_db_median_error": float(np.median(np.abs(inv[:, 1] - t_db))),
    }
    arrays = {"xy": xy, "z_img": z_img, "z_map": z_map, "pitch": pitch, "db": db,
              "g_pitch": g_pitch, "g_amp": g_amp, "z_snd": z_snd}
    return metrics, arrays


def report(metrics: dict) -> dict:
    return {k: {"value": round(float(v), 4), "target": f"{TARGETS[k].op} {TARGETS[k].bound}",
                "met": TARGETS[k].met(float(v)), "definition": TARGETS[k].what} for k, v in metrics.items()}


def evaluate_bundle(bundle: Path, out: Path | None, plots: bool = True, providers: str = "cpu") -> dict:
    """Measure `bundle`; write metrics.json (and plots) under `out`; return the report."""
    manifest = load_manifest(bundle)
    models = Models(manifest, providers, threads=2)
    sound_encoder = Models(manifest, providers, threads=2, roles=("sound_encoder",))
    metrics, arrays = measure(models, sound_encoder)
    result = report(metrics)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.json").write_text(json.dumps({"model_id": manifest.model_id, "metrics": result}, indent=2))
        if plots:
            from .plots import plot_all
            plot_all(arrays, out, manifest.square.positions)
    return result


def print_table(result: dict) -> None:
    print(f"{'metric':34} {'value':>9}  {'target':>8}  met")
    for k, r in result.items():
        print(f"{k:34} {r['value']:>9.4f}  {r['target']:>8}  {'yes' if r['met'] else 'NO'}")


def main(args: argparse.Namespace) -> int:
    from isudt.daemon.bundle import default_bundle_dir

    bundle = Path(args.bundle) if args.bundle else default_bundle_dir()
    result = evaluate_bundle(bundle, Path(args.out), plots=not args.no_plots)
    print_table(result)
    print(f"wrote {args.out}/metrics.json" + ("" if args.no_plots else " and plots"))
    return 0 if all(r["met"] for r in result.values()) else 1
