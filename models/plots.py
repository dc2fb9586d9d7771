"""PNG plots of a bundle's evaluation: latent spaces and the end-to-end (x, y) -> sound maps."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def scatter_pair(plt, points: np.ndarray, colours: list[tuple[np.ndarray, str]], title: str, path: Path,
                 background: np.ndarray | None = None) -> None:
    fig, axes = plt.subplots(1, len(colours), figsize=(5.2 * len(colours), 4.6), constrained_layout=True)
    for ax, (c, label) in zip(np.atleast_1d(axes), colours):
        if background is not None:
            ax.scatter(background[:, 0], background[:, 1], s=2, c="0.85", label="sound latents (sine grid)")
        sc = ax.scatter(points[:, 0], points[:, 1], s=1.5, c=c, cmap="viridis")
        fig.colorbar(sc, ax=ax, label=label)
        ax.set_xlabel("z0"); ax.set_ylabel("z1"); ax.set_title(f"{title}, coloured by {label}")
        ax.set_aspect("equal", adjustable="datalim")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def heatmap_pair(plt, pitch: np.ndarray, db: np.ndarray, positions: int, path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), constrained_layout=True)
    for ax, grid, label, cmap in ((axes[0], pitch, "MIDI pitch", "magma"), (axes[1], db, "level (dB)", "cividis")):
        im = ax.imshow(grid.reshape(positions, positions), origin="upper", cmap=cmap)
        fig.colorbar(im, ax=ax, label=label)
        ax.set_xlabel("square x"); ax.set_ylabel("square y"); ax.set_title(f"(x, y) -> {label}")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_all(a: dict, out: Path, positions: int) -> list[Path]:
    plt = _pyplot()
    paths = [out / n for n in ("image_latents.png", "sound_latents.png", "mapped_latents.png", "end_to_end.png")]
    scatter_pair(plt, a["z_img"], [(a["xy"][:, 0], "x"), (a["xy"][:, 1], "y")], "image posterior means", paths[0])
    scatter_pair(plt, a["z_snd"], [(a["g_pitch"], "pitch"), (a["g_amp"], "amplitude")], "sound posterior means", paths[1])
    scatter_pair(plt, a["z_map"], [(a["xy"][:, 0], "x"), (a["xy"][:, 1], "y")], "mapped image latents", paths[2],
                 background=a["z_snd"])
    heatmap_pair(plt, a["pitch"], a["db"], positions, paths[3])
    return paths
