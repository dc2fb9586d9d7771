"""`isudt eval`: measure a bundle through onnxruntime (the daemon's own loader), not torch.

Writes `metrics.json` (value, target, pass for each metric of the models
issue, and of the way back when the bundle has a reverse mapper) and PNG
plots of the latent spaces, the end-to-end maps, the round-trip error over
the square and the images decoded from a grid of sines. Needs numpy,
onnxruntime and matplotlib only, so it runs wherever the daemon runs.
"""
from __future__ import annotations

import argparse
import json
import operator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np

from isudt.daemon.bundle import Models, load_manifest
from isudt.daemon.mel import DEFAULT_MEL, mel_vectors, sines_batch
from isudt.daemon.square import render_square

N_PAIRS = 20_000
SEED = 0
ROUND_TRIP_POSITIONS = 2_000
ORDER_GRID = 32


@dataclass(frozen=True)
class Target:
    op: str        # ">=" or "<="
    bound: float
    what: str

    def met(self, value: float) -> bool:
        return {">=": operator.ge, "<=": operator.le}[self.op](value, self.bound)


TARGETS = {
    "image_layout_spearman": Target(">=", 0.985, "Spearman rho, pairwise distances of (x, y) vs image posterior means "
                                    "(0.97 in the models issue; 0.985 in Models v2: beat the published 0.984)"),
    "sound_layout_spearman": Target(">=", 0.85, "Spearman rho, pairwise distances of (pitch/48, amplitude) vs sound posterior means, 64x64 grid"),
    "distance_keeping_pearson": Target(">=", 0.95, "Pearson r, pairwise distances of image means vs mapped points"),
    "cycle_agreement_median_l2": Target("<=", 0.10, "median L2 between mapped point and the sound encoder's mean of its decoded spectrum"),
    "pitch_reach": Target(">=", 0.50, "(p95 - p5 of pitch over all square positions) / 48"),
    "end_to_end_order_spearman": Target(">=", 0.80, "Spearman rho, pairwise distances of (x, y) vs (pitch/48, dB/40)"),
    "smoothness_max_semitones": Target("<=", 1.0, "largest pitch change between neighbouring square positions"),
    "inversion_pitch_median_error": Target("<=", 0.5, "median |pitch error| (semitones), 1,000 off-grid sines through the sound VAE"),
    "inversion_db_median_error": Target("<=", 1.5, "median |level error| (dB), same sines"),
}
# The way back (Models v2): measured only for bundles with a reverse mapper.
REVERSE_TARGETS = {
    "round_trip_median_px": Target("<=", 2.0, "2,000 seeded positions: forward (pitch, dB) -> numpy mel of that sine "
                                   "(phase 0, sign +1) -> sound encoder -> reverse mapper -> position (manifest "
                                   "reverse.position_readout.from_latent); median px distance to the true square"),
    "round_trip_p95_px": Target("<=", 6.0, "same, 95th percentile (px)"),
    "sound_to_image_order_spearman": Target(">=", 0.9, "Spearman rho, pairwise distances of (pitch/48, dB/40) vs the "
                                            "recovered positions, 32 x 32 sines over the 5th-95th percentiles of the "
                                            "pitches and levels the forward map plays"),
    "decoded_image_within_2px": Target(">=", 0.95, "share of the 2,000 positions whose decoded image (from the encoder "
                                       "mean) has its brightest 2 x 2 block within 2 px of the square"),
}
TARGETS |= REVERSE_TARGETS
FORWARD_METRICS = tuple(k for k in TARGETS if k not in REVERSE_TARGETS)


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
    pitch_grid, amp_grid = np.meshgrid(np.linspace(s.pitch_min, s.pitch_max, n), np.linspace(s.amp_min, s.amp_max, n))
    pitch, amp = pitch_grid.ravel(), amp_grid.ravel()
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


# ---------------------------------------------------------------- the way back

def sine_mels(pitch: np.ndarray, db: np.ndarray, offset: np.ndarray | None = None, sign: np.ndarray | None = None,
              chunk: int = 256) -> np.ndarray:
    """float32 mel vectors of sines at (MIDI pitch, dB) through the daemon's numpy front end."""
    amp = 10.0 ** (np.asarray(db, np.float64) / 20.0)
    out = [mel_vectors(sines_batch(pitch[k:k + chunk], amp[k:k + chunk], None if offset is None else offset[k:k + chunk],
                                   None if sign is None else sign[k:k + chunk])) for k in range(0, len(pitch), chunk)]
    return np.concatenate(out).astype(np.float32)


def load_position_table(models: Models) -> np.ndarray:
    """[P*P, Li] image latents of every square, row-major in y (index = y * P + x)."""
    with np.load(models.manifest.files["position_table"]) as f:
        z = f["z"]
    return z.reshape(-1, z.shape[-1]).astype(np.float32)


def position_from_latent(z: np.ndarray, table: np.ndarray, positions: int, chunk: int = 1024) -> np.ndarray:
    """(x, y) of the nearest table latent to each z (the manifest's `from_latent` readout)."""
    t2 = (table ** 2).sum(1)
    idx = np.concatenate([np.argmin(t2[None, :] - 2.0 * z[k:k + chunk] @ table.T, axis=1)
                          for k in range(0, len(z), chunk)])
    return np.stack([idx % positions, idx // positions], 1).astype(np.float64)


def position_from_image(images: np.ndarray, positions: int, block: int = 2) -> np.ndarray:
    """Top-left (x, y) of the brightest block x block window, x, y in [0, positions) (`from_image` readout)."""
    img = images[:, 0].astype(np.float64)
    sums = cast(np.ndarray, sum(img[:, dy:dy + positions, dx:dx + positions]  # sum() types its 0 start
                                for dy in range(block) for dx in range(block)))
    flat = sums.reshape(len(img), -1).argmax(1)
    return np.stack([flat % positions, flat // positions], 1).astype(np.float64)


def decode_positions(models: Models, z_image: np.ndarray, positions: int, batch: int = 256) -> np.ndarray:
    return np.concatenate([position_from_image(models.run("image_decoder", z_image[k:k + batch]), positions)
                           for k in range(0, len(z_image), batch)])


def recover(models: Models, mel: np.ndarray, table: np.ndarray, positions: int) -> tuple[np.ndarray, np.ndarray]:
    """Heard mel -> sound encoder -> reverse mapper: (image latents, positions read from them)."""
    z = batched(lambda m: models.run("reverse_mapper", models.run("sound_encoder", m)), mel)
    return z, position_from_latent(z, table, positions)


def measure_reverse(models: Models, fwd: dict, seed: int = SEED, every_position: bool = True) -> tuple[dict, dict, dict]:
    """The way back: round trip, sound -> image order, decoded image. Returns (metrics, diagnostics, arrays).

    The metrics use the 2,000 seeded positions; `every_position` also runs
    the other 13,876 for the heat map (same metric values, 8x the time).
    """
    p = models.manifest.square.positions
    xy, pitch, db = fwd["xy"], fwd["pitch"].astype(np.float64), fwd["db"].astype(np.float64)
    table = load_position_table(models)
    sel = np.random.default_rng(seed).choice(len(xy), ROUND_TRIP_POSITIONS, replace=False)
    if not every_position:  # compute the seeded positions only, and index them as if they were all
        pick = np.zeros(len(xy), bool); pick[sel] = True
        z_back, pos = np.zeros((len(xy), table.shape[1]), np.float32), np.zeros((len(xy), 2))
        z_back[pick], pos[pick] = recover(models, sine_mels(pitch[pick], db[pick]), table, p)
    else:
        z_back, pos = recover(models, sine_mels(pitch, db), table, p)
    err = np.linalg.norm(pos - xy, axis=1)

    lo_p, hi_p = np.percentile(pitch, [5, 95])
    lo_d, hi_d = np.percentile(db, [5, 95])
    gp, gd = (a.ravel() for a in np.meshgrid(np.linspace(lo_p, hi_p, ORDER_GRID), np.linspace(lo_d, hi_d, ORDER_GRID)))
    _, g_pos = recover(models, sine_mels(gp, gd), table, p)

    decoded = decode_positions(models, fwd["z_img"][sel], p)
    rng = np.random.default_rng(seed + 2)
    offset = rng.integers(0, DEFAULT_MEL.sample_rate - DEFAULT_MEL.n_samples, len(sel))
    sign = np.where(rng.random(len(sel)) < 0.5, -1.0, 1.0)
    _, pos_phase = recover(models, sine_mels(pitch[sel], db[sel], offset, sign), table, p)
    err_phase = np.linalg.norm(pos_phase - xy[sel], axis=1)
    err_image = np.linalg.norm(decode_positions(models, z_back[sel], p) - xy[sel], axis=1)
    metrics = {
        "round_trip_median_px": float(np.median(err[sel])),
        "round_trip_p95_px": float(np.percentile(err[sel], 95)),
        "sound_to_image_order_spearman": layout_rho(np.stack([gp / 48.0, gd / 40.0], 1), g_pos),
        "decoded_image_within_2px": float(np.mean(np.linalg.norm(decoded - xy[sel], axis=1) <= 2.0)),
    }
    diagnostics = {
        "round_trip_random_phase_median_px": float(np.median(err_phase)),
        "round_trip_random_phase_p95_px": float(np.percentile(err_phase, 95)),
        "round_trip_via_decoded_image_median_px": float(np.median(err_image)),
        "round_trip_via_decoded_image_p95_px": float(np.percentile(err_image, 95)),
        **({"round_trip_all_positions_median_px": float(np.median(err))} if every_position else {}),
        "played_pitch_p5_p95": [round(float(lo_p), 3), round(float(hi_p), 3)],
        "played_db_p5_p95": [round(float(lo_d), 3), round(float(hi_d), 3)],
    }
    return metrics, diagnostics, {"rt_err": err, "table": table, "pitch_range": (lo_p, hi_p), "db_range": (lo_d, hi_d)}


def decoded_sine_grid(models: Models, table: np.ndarray, pitch_range: tuple[float, float], db_range: tuple[float, float],
                      n_pitch: int = 7, n_db: int = 5) -> dict:
    """Images decoded from a pitch x level grid of heard sines, with the positions read from their latents."""
    p = models.manifest.square.positions
    pitches, dbs = np.linspace(*pitch_range, n_pitch), np.linspace(db_range[1], db_range[0], n_db)
    gp, gd = (a.ravel() for a in np.meshgrid(pitches, dbs))
    z, pos = recover(models, sine_mels(gp, gd), table, p)
    images = models.run("image_decoder", z)[:, 0]
    return {"pitches": pitches, "dbs": dbs, "images": images.reshape(n_db, n_pitch, *images.shape[1:]),
            "positions": pos.reshape(n_db, n_pitch, 2)}


def report(metrics: dict) -> dict:
    return {k: {"value": round(float(v), 4), "target": f"{TARGETS[k].op} {TARGETS[k].bound}",
                "met": TARGETS[k].met(float(v)), "definition": TARGETS[k].what} for k, v in metrics.items()}


def has_reverse(manifest) -> bool:
    return "reverse_mapper" in manifest.files and "position_table" in manifest.files


def evaluate_bundle(bundle: Path, out: Path | None, plots: bool = True, providers: str = "cpu",
                    diagnostics: dict | None = None) -> dict:
    """Measure `bundle`; write metrics.json (and plots) under `out`; return the report.

    `diagnostics`, when given, receives the way back's measurements that have
    no target (random-phase round trip, round trip read from the decoded image).
    """
    manifest = load_manifest(bundle)
    models = Models(manifest, providers, threads=2)
    extra_roles = ("sound_encoder", "image_decoder") + (("reverse_mapper",) if has_reverse(manifest) else ())
    extra = Models(manifest, providers, threads=2, roles=extra_roles)
    metrics, arrays = measure(models, extra)
    diag: dict = {}
    if has_reverse(manifest):
        rev_metrics, diag, rev_arrays = measure_reverse(extra, arrays, every_position=plots and out is not None)
        metrics |= rev_metrics
        arrays |= rev_arrays
        if diagnostics is not None:
            diagnostics |= {k: (round(v, 4) if isinstance(v, float) else v) for k, v in diag.items()}
    result = report(metrics)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        body = {"model_id": manifest.model_id, "metrics": result} | ({"diagnostics": diag} if diag else {})
        (out / "metrics.json").write_text(json.dumps(body, indent=2))
        if plots:
            from .plots import plot_all, plot_reverse
            plot_all(arrays, out, manifest.square.positions)
            if has_reverse(manifest):
                grid = decoded_sine_grid(extra, arrays["table"], arrays["pitch_range"], arrays["db_range"])
                plot_reverse(arrays["rt_err"], grid, out, manifest.square.positions)
    return result


def print_table(result: dict) -> None:
    print(f"{'metric':34} {'value':>9}  {'target':>8}  met")
    for k, r in result.items():
        print(f"{k:34} {r['value']:>9.4f}  {r['target']:>8}  {'yes' if r['met'] else 'NO'}")


def main(args: argparse.Namespace) -> int:
    from isudt.daemon.bundle import default_bundle_dir

    bundle = Path(args.bundle) if args.bundle else default_bundle_dir()
    diagnostics: dict = {}
    result = evaluate_bundle(bundle, Path(args.out), plots=not args.no_plots, diagnostics=diagnostics)
    print_table(result)
    for k, v in diagnostics.items():
        print(f"  {k:34} {v}")
    print(f"wrote {args.out}/metrics.json" + ("" if args.no_plots else " and plots"))
    return 0 if all(r["met"] for r in result.values()) else 1
