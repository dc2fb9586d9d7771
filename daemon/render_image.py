"""`isudt render --to-image SOUND OUT`: the way back, offline; a sound file heard as pictures.

The file is heard the way the live listener hears its input (`listen.hear`:
at each frame time the newest samples, the window aligned to an upward zero
crossing, the same silence rule and readout), and each frame's picture (the
image decoder's, or the published square at the read position) goes to an
animated GIF or a folder of PNG frames, with the positions in a CSV beside it.

The CLI's `isudt render` enters here (`main`): `--to-image` stays, anything
else goes to `render.main`; the flags, messages and exit codes (`render.guarded`)
are those of `isudt render`.
"""
from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from . import render
from .render import RenderError, progress_bar


@dataclass(frozen=True)
class HearFrame:
    """One analysis of the file at time t: what the live listener would hear when its newest sample is there."""

    t: float
    level_db: float
    seen: Any                  # listen.Seen, None when silent (nothing is guessed there)

    @property
    def silent(self) -> bool:
        return self.seen is None


def read_sound(path: Path, samplerate: int) -> tuple[np.ndarray, int]:
    """Any file libsndfile reads -> mono float64 at `samplerate`, and the file's own rate.

    Mono: the mean of the channels (as a mixer would fold them). Another rate
    is converted by linear interpolation: exact for the pitches the models
    hear (72..1176 Hz), only content above the new Nyquist could alias.
    """
    import soundfile as sf

    if not path.is_file():
        raise RenderError(f"{path}: no such file")
    try:
        data, rate = sf.read(str(path), dtype="float64", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as e:
        raise RenderError(f"{path.name}: not a sound file libsndfile can read ({e})") from None
    mono = data.mean(axis=1) if data.shape[1] else np.zeros(0)
    if not np.all(np.isfinite(mono)):
        raise RenderError(f"{path.name}: contains NaN or infinity")
    if rate != samplerate and len(mono):
        n = int(round(len(mono) * samplerate / rate))
        mono = np.interp(np.arange(n) * (rate / samplerate), np.arange(len(mono)), mono)
    return mono, int(rate)


def frame_ends(n_samples: int, samplerate: int, fps: float) -> np.ndarray:
    """Sample indices where the analyses end: at 1/fps, 2/fps, ... up to the end of the file (at least one)."""
    count = max(1, int(math.floor(n_samples / samplerate * fps + 1e-9)))
    ends = np.rint(np.arange(1, count + 1) * samplerate / fps).astype(np.int64)
    return np.minimum(ends, n_samples)


def hear_file(mono: np.ndarray, way_back: Any, silence_db: float, fps: float, progress: bool) -> list[HearFrame]:
    """Every frame through the live listener's analysis (`listen.hear`): at each frame time the input ring's
    newest samples, the window aligned to an upward zero crossing, the same silence rule and readout."""
    from .listen import ALIGN_SAMPLES, hear, samples_at

    spec = way_back.front_end.spec
    ends = frame_ends(len(mono), spec.sample_rate, fps)
    frames: list[HearFrame] = []
    bar = progress_bar(len(ends), "hearing", "frame", progress)
    for e in ends:
        level, seen = hear(samples_at(mono, int(e), spec.n_samples + ALIGN_SAMPLES), way_back, silence_db,
                           spec.n_samples)
        frames.append(HearFrame(float(e) / spec.sample_rate, level, seen))
        bar.update(1)
    bar.close()
    return frames


def frame_pictures(frames: Sequence[HearFrame], square: Any, kind: str, size: int | None = None) -> np.ndarray:
    """uint8 [N, H, W]: the decoded picture, or the published square at the read position; black when silent.

    `square` is None in a world without squares: then only the decoded picture, `size` a side."""
    from .square import render_square

    if square is None and kind != "decoded":
        raise RenderError("--picture square: this bundle's world has no squares; use --picture decoded")
    side = square.size if square is not None else int(size or 0)
    out = np.zeros((len(frames), side, side), np.uint8)
    for k, f in enumerate(frames):
        if f.seen is not None:
            out[k] = f.seen.picture if kind == "decoded" else \
                np.rint(np.clip(render_square(int(f.seen.x), int(f.seen.y), square), 0.0, 1.0) * 255.0)
    return out


def write_positions(path: Path, frames: Sequence[HearFrame]) -> None:
    """time, x, y, level_db, silent: x and y empty for a silent frame (nothing is guessed there) and in a world
    without squares (no position to read)."""
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time", "x", "y", "level_db", "silent"])
        for fr in frames:
            level = f"{fr.level_db:.3f}" if math.isfinite(fr.level_db) else "-inf"
            x = None if fr.silent or fr.seen is None else fr.seen.x
            y = None if fr.silent or fr.seen is None else fr.seen.y
            w.writerow([f"{fr.t:.6f}", "" if x is None else f"{x:g}", "" if y is None else f"{y:g}",
                        level, int(fr.silent)])


def image_outputs(out: Path) -> tuple[Path | None, Path | None, Path]:
    """(GIF path, frames folder, CSV path) for OUT: `x.gif` -> x.gif + x.csv; a folder -> PNGs + positions.csv."""
    if out.suffix.lower() == ".gif":
        if not out.parent.is_dir():
            raise RenderError(f"{out.parent}: output folder does not exist")
        return out, None, out.with_suffix(".csv")
    if out.suffix and not out.is_dir():
        raise RenderError(f"{out}: --to-image writes an animated .gif, or PNG frames into a folder (no suffix)")
    if not out.parent.is_dir():
        raise RenderError(f"{out.parent}: output folder does not exist")
    return None, out, out / "positions.csv"


def write_pictures(pics: np.ndarray, gif: Path | None, folder: Path | None, fps: float, scale: int) -> None:
    """Through Pillow: PNG frames (frame_00001.png, ...) into `folder`, or one animated GIF at `fps`."""
    from PIL import Image

    images = [Image.fromarray(p, "L") for p in pics]
    if scale > 1:
        images = [im.resize((im.width * scale, im.height * scale), Image.Resampling.NEAREST) for im in images]
    if folder is not None:
        folder.mkdir(exist_ok=True)
        for k, im in enumerate(images, 1):
            im.save(folder / f"frame_{k:05d}.png", optimize=False)
        return
    assert gif is not None, "image_outputs gives a GIF path or a folder"
    tmp = gif.with_name(gif.name + ".partial")
    try:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], loop=0,
                       duration=max(20, int(round(1000.0 / fps))), optimize=False)
        os.replace(tmp, gif)
    finally:
        tmp.unlink(missing_ok=True)


def config_silence_db(args: Any) -> float:
    """The live listener's silence threshold (`listen.silence_db`), so a file and the live input gate alike."""
    from . import config as config_mod

    try:
        cfg = config_mod.load(args.config) if getattr(args, "config", None) else config_mod.load()
    except config_mod.ConfigError as e:
        raise RenderError("; ".join(e.problems)) from None
    listen = getattr(cfg, "listen", None)
    return float(getattr(listen, "silence_db", -60.0))


def to_image(args: Any) -> int:
    """`isudt render --to-image IN OUT`: the file heard the way the live listener hears, frame by frame."""
    from .bundle import NO_WAY_BACK, BundleError, open_bundle
    from .listen import WayBack

    fps = float(getattr(args, "fps", None) or 20.0)
    scale = int(getattr(args, "scale", None) or 1)
    silence = getattr(args, "silence_db", None)
    silence = float(config_silence_db(args) if silence is None else silence)
    if not (math.isfinite(fps) and 0 < fps <= 1000) or not 1 <= scale <= 16 or not math.isfinite(silence):
        raise RenderError("--fps must be in (0, 1000], --scale 1..16, --silence-db a number")
    gif, folder, csv_path = image_outputs(Path(args.output))
    try:
        models = open_bundle(getattr(args, "bundle", None), getattr(args, "providers", None) or "cpu", 1,
                             way_back=True)
    except BundleError as e:
        raise RenderError(f"bundle: {e}") from None
    if not models.way_back:
        raise RenderError(f"bundle {models.manifest.model_id}: {NO_WAY_BACK}")
    way_back = WayBack(models, picture_size=models.manifest.image_size)
    rate_in = way_back.front_end.spec.sample_rate
    mono, rate = read_sound(Path(args.input), rate_in)
    frames = hear_file(mono, way_back, silence, fps, not getattr(args, "quiet", False))
    write_pictures(frame_pictures(frames, models.manifest.square, getattr(args, "picture", None) or "decoded",
                                  models.manifest.image_size), gif, folder, fps, scale)
    write_positions(csv_path, frames)
    silent = sum(f.silent for f in frames)
    print(f"wrote {gif or folder} and {csv_path}: {len(frames)} frames at {fps:g} fps from "
          f"{len(mono) / rate_in:.2f} s ({rate} Hz), {silent} silent")
    return 0


def main(args: Any) -> int:
    """The CLI's `isudt render`: `--to-image` here (the way back), anything else `render.main` (sound out)."""
    if getattr(args, "to_image", False):
        return render.guarded(to_image, args)
    return render.main(args)
