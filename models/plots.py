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


def round_trip_heatmap(plt, err: np.ndarray, positions: int, path: Path, clip: float = 12.0) -> None:
    """px error of the round trip at every square position (colour clipped at `clip` px, so the good area reads)."""
    grid = err.reshape(positions, positions)
    fig, ax = plt.subplots(figsize=(6.2, 5.2), constrained_layout=True)
    im = ax.imshow(np.minimum(grid, clip), origin="upper", cmap="inferno", vmin=0, vmax=clip)
    fig.colorbar(im, ax=ax, label=f"round-trip error (px, clipped at {clip:g})")
    ax.set_xlabel("square x"); ax.set_ylabel("square y")
    ax.set_title(f"square -> sine -> square: median {np.median(err):.2f} px, p95 {np.percentile(err, 95):.2f} px")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def decoded_sines(plt, grid: dict, path: Path) -> None:
    """The image the way back draws for each heard sine (pitch across, level down); + marks the position read
    from the latent."""
    images, pos = grid["images"], grid["positions"]
    n_db, n_pitch = images.shape[:2]
    fig, axes = plt.subplots(n_db, n_pitch, figsize=(1.6 * n_pitch, 1.7 * n_db + 0.4), constrained_layout=True)
    for r in range(n_db):
        for c in range(n_pitch):
            ax = axes[r, c]
            ax.imshow(np.clip(images[r, c], 0, 1), cmap="gray", vmin=0, vmax=1)
            ax.plot(pos[r, c, 0] + 0.5, pos[r, c, 1] + 0.5, "+", color="red", ms=7, mew=1.2)
            ax.set_xticks([]); ax.set_yticks([])
            if r == n_db - 1:
                ax.set_xlabel(f"{grid['pitches'][c]:.1f}", fontsize=8)
            if c == 0:
                ax.set_ylabel(f"{grid['dbs'][r]:.1f} dB", fontsize=8)
    fig.suptitle("decoded images of heard sines: MIDI pitch across, level down (+ = position read from the latent)",
                 fontsize=9)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_reverse(err: np.ndarray, grid: dict, out: Path, positions: int) -> list[Path]:
    plt = _pyplot()
    paths = [out / "round_trip_error.png", out / "decoded_sines.png"]
    round_trip_heatmap(plt, err, positions, paths[0])
    decoded_sines(plt, grid, paths[1])
    return paths
