"""The PNG evidence of a world bundle (`isudt eval`): latent tiles, clusters, synth parameters, the way back."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from isudt.daemon.synths import SynthDef

from .plots import _pyplot

Decoder = Callable[[np.ndarray], np.ndarray]   # image latents [N, Li] -> pictures [N, 1, S, S] (the bundle's decoder)


def latent_tiles(plt, decode: Decoder, z_img: np.ndarray, path: Path, n: int = 12) -> None:
    """The image latent space tiled with decoded images: axes 1 x 2 on a grid, one panel per slice of axis 3."""
    lo, hi = np.percentile(z_img, 2, axis=0), np.percentile(z_img, 98, axis=0)
    third = [np.percentile(z_img[:, 2], q) for q in (10, 50, 90)] if z_img.shape[1] > 2 else [None]
    fig, axes = plt.subplots(1, len(third), figsize=(5 * len(third), 5.2))
    for ax, z3 in zip(np.atleast_1d(axes), third):
        g1, g2 = np.linspace(lo[0], hi[0], n), np.linspace(hi[1], lo[1], n)
        grid = np.array([[a, b] + ([z3] if z3 is not None else []) for b in g2 for a in g1], np.float32)
        tiles = decode(grid)[:, 0]
        side = tiles.shape[-1]
        mosaic = tiles.reshape(n, n, side, side).transpose(0, 2, 1, 3).reshape(n * side, n * side)
        ax.imshow(mosaic, cmap="gray", vmin=0, vmax=1, extent=(lo[0], hi[0], lo[1], hi[1]), aspect="auto")
        ax.set_xlabel("image latent 1"); ax.set_ylabel("image latent 2")
        ax.set_title("decoded images" + (f", latent 3 = {z3:.2f}" if z3 is not None else ""))
    fig.tight_layout(); fig.savefig(path, dpi=90); plt.close(fig)


def clusters(plt, z_img: np.ndarray, z_snd: np.ndarray, labels: np.ndarray, path: Path) -> None:
    """Held-out digits in the image latent and, mapped, in the sound latent, one colour per digit."""
    pairs = [(0, 1), (0, 2), (1, 2)] if z_img.shape[1] > 2 else [(0, 1)]
    fig, axes = plt.subplots(2, len(pairs), figsize=(4.5 * len(pairs), 8.5), squeeze=False)
    for row, (z, name) in enumerate(((z_img, "image latent"), (z_snd, "sound latent (mapped)"))):
        for col, (a, b) in enumerate(pairs):
            ax = axes[row, col]
            sc = ax.scatter(z[:, a], z[:, b], c=labels, cmap="tab10", vmin=-0.5, vmax=9.5, s=7)
            ax.set_xlabel(f"{name} {a + 1}"); ax.set_ylabel(f"{name} {b + 1}")
    fig.colorbar(sc, ax=axes, ticks=range(10), label="digit", shrink=0.6)
    fig.suptitle("held-out digits: per-digit clusters in both latent spaces")
    fig.savefig(path, dpi=90); plt.close(fig)


def synth_params(plt, unit: np.ndarray, labels: np.ndarray, synth: SynthDef, path: Path) -> None:
    """Where the held-out images land in the synth's parameter space (each on its own scale, as played)."""
    n = len(synth.params)
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    fig, axes = plt.subplots(1, len(pairs), figsize=(4.6 * len(pairs), 4.4), squeeze=False)
    for ax, (a, b) in zip(axes[0], pairs):
        pa, pb = synth.params[a], synth.params[b]
        ax.scatter(pa.from_unit(unit[:, a]), pb.from_unit(unit[:, b]), c=labels, cmap="tab10", vmin=-0.5, vmax=9.5, s=7)
        ax.set_xscale("log" if pa.scale == "log" else "linear"); ax.set_yscale("log" if pb.scale == "log" else "linear")
        ax.set_xlim(pa.min, pa.max); ax.set_ylim(pb.min, pb.max)
        ax.set_xlabel(f"{pa.name} ({pa.unit})" if pa.unit else pa.name)
        ax.set_ylabel(f"{pb.name} ({pb.unit})" if pb.unit else pb.name)
        ax.grid(alpha=0.3)
    fig.suptitle(f"held-out images as played by the {synth.kind} synth (colour: digit)")
    fig.tight_layout(); fig.savefig(path, dpi=90); plt.close(fig)


def way_back(plt, images: np.ndarray, recon: np.ndarray, back: np.ndarray, labels: np.ndarray, path: Path,
             n: int = 12) -> None:
    """Rows: the held-out image, its reconstruction, and the picture drawn back from its played sound."""
    pick = np.concatenate([np.flatnonzero(labels == d)[:2] for d in range(10)])[:n] if (labels >= 0).all() else np.arange(n)
    fig, axes = plt.subplots(3, len(pick), figsize=(1.1 * len(pick), 3.7))
    for col, i in enumerate(pick):
        for row, (img, name) in enumerate(((images[i], "image"), (recon[i], "decoded"), (back[i], "way back"))):
            ax = axes[row, col]
            ax.imshow(img, cmap="gray", vmin=0, vmax=1); ax.set_xticks([]); ax.set_yticks([])
            if col == 0:
                ax.set_ylabel(name, fontsize=8)
    fig.suptitle("image -> sound -> image (sound encoder, reverse mapper, image decoder)", fontsize=9)
    fig.tight_layout(); fig.savefig(path, dpi=90); plt.close(fig)


def plot_world(decode: Decoder, a: dict, synth: SynthDef, out: Path) -> list[Path]:
    plt = _pyplot()
    paths = [out / "image_latent.png", out / "digit_clusters.png", out / "synth_params.png"]
    latent_tiles(plt, decode, a["z_img"], paths[0])
    clusters(plt, a["z_img"], a["z_snd"], a["labels"], paths[1])
    synth_params(plt, a["unit"], a["labels"], synth, paths[2])
    if "back" in a:
        paths.append(out / "way_back.png")
        way_back(plt, a["images"], a["recon"], a["back"], a["labels"], paths[3])
    return paths
