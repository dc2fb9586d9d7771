"""The two latent planes the web page draws behind the voices, computed once per bundle (off the request path).

- The image plane: the image latent box tiled with the image decoder's
  pictures on a `tiles x tiles` grid (a mosaic PNG per slice).
- The sound plane: the sound latent box on a `cells x cells` grid, each point
  run through the sound decoder and the inversion and coloured by the synth's
  parameters as the manifest's `synth:` section lists them: the pitch (or the
  first parameter) is the hue, the level (a sine's dB) or the FM index (or
  the last parameter) the brightness.

Latents of more than two dimensions are shown as 2-D slices through the
first two axes: `slices` values along the third axis (the page's slider),
any further axes at the box's centre. Rows run from the box's top (z1 max) to
its bottom, columns from z0 min to z0 max: the page maps latents the same way.

Pure numpy + Pillow; the models are anything with the `bundle.Models` methods.
Run it in a thread (`WebServer` does): it takes a few hundred milliseconds.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TILES = 12          # image plane: pictures per side
TILE_PX = 32        # ... each this many pixels a side
CELLS = 64          # sound plane: points per side
SLICES = 9          # values along a third latent axis
CHUNK = 512         # points per model run
GAMMA = 0.7         # the image plane's contrast stretch (display only)


@dataclass
class Plane:
    """One latent plane: PNGs per slice, the slice values, and what the page needs to draw it."""

    kind: str                       # "image" | "sound"
    dim: int                        # the latent's size
    lo: list[float]
    hi: list[float]
    slices: list[float]             # values of axis 2 (empty for a 2-D latent)
    pngs: list[bytes]               # one per slice (one when there are no slices)
    available: bool = True          # False: the bundle cannot draw it (e.g. no image decoder); pngs are blank
    legend: dict = field(default_factory=dict)

    def info(self) -> dict:
        return {"kind": self.kind, "dim": self.dim, "lo": self.lo, "hi": self.hi, "slices": self.slices,
                "available": self.available, "legend": self.legend, "count": len(self.pngs)}


def png(rgb_or_grey: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb_or_grey)).save(buf, "PNG", optimize=False, compress_level=3)
    return buf.getvalue()


def slice_values(lo: np.ndarray, hi: np.ndarray, slices: int = SLICES) -> list[float]:
    """The third axis' values, evenly over its range (none for a 2-D latent)."""
    if len(lo) < 3:
        return []
    return [float(v) for v in np.linspace(lo[2], hi[2], slices)]


def grid(lo: np.ndarray, hi: np.ndarray, n: int, third: float | None) -> np.ndarray:
    """[n * n, dim] points: cell centres of the box's first two axes, row-major from the top row (z1 max)
    down; axis 2 at `third`, further axes at the centre."""
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    dim = len(lo)
    u = (np.arange(n) + 0.5) / n
    xs = lo[0] + u * (hi[0] - lo[0])
    ys = hi[1] - u * (hi[1] - lo[1])          # top row first
    pts = np.empty((n, n, dim), np.float32)
    pts[..., :] = ((lo + hi) / 2).astype(np.float32)
    pts[..., 0] = xs[None, :]
    pts[..., 1] = ys[:, None]
    if dim >= 3 and third is not None:
        pts[..., 2] = third
    return pts.reshape(n * n, dim)


def _chunked(fn: Any, x: np.ndarray) -> np.ndarray:
    return np.concatenate([fn(x[i:i + CHUNK]) for i in range(0, len(x), CHUNK)])


def _shrink(images: np.ndarray, px: int) -> np.ndarray:
    """[N, H, W] -> [N, px, px]: each output pixel the brightest of its block, so that a small bright shape
    (the square world's 2-pixel square) stays visible at a tile's size (nearest when growing)."""
    n, h, w = images.shape
    if h % px == 0 and w % px == 0:
        return images.reshape(n, px, h // px, px, w // px).max(axis=(2, 4))
    ys = (np.arange(px) * h) // px
    xs = (np.arange(px) * w) // px
    return images[:, ys][:, :, xs]


def image_plane(models: Any, tiles: int = TILES, tile_px: int = TILE_PX, slices: int = SLICES) -> Plane:
    """The image latent box tiled with decoded pictures (grey mosaics), or a blank plane without a decoder."""
    man = models.manifest
    lo, hi = np.asarray(man.image_box.lo, np.float32), np.asarray(man.image_box.hi, np.float32)
    values = slice_values(lo, hi, slices)
    has_decoder = "image_decoder" in getattr(models, "sessions", {}) or not hasattr(models, "sessions")
    side = tiles * tile_px
    pngs = []
    thirds: list[float | None] = list(values) or [None]
    for third in thirds:
        if not has_decoder:
            pngs.append(png(np.full((side, side), 24, np.uint8)))
            continue
        pts = grid(lo, hi, tiles, third)
        imgs = _chunked(models.decode_image, pts)[:, 0]            # [N, H, W] about [0, 1]
        small = _shrink(np.clip(imgs, 0.0, 1.0).astype(np.float32), tile_px)
        top = float(np.percentile(small, 99.5))
        small = np.clip(small / max(top, 1e-3), 0.0, 1.0) ** GAMMA      # shown, not measured: stretched
        small[:, -1, :] = small[:, :, -1] = 0.0                           # a dark line between tiles
        mosaic = small.reshape(tiles, tiles, tile_px, tile_px).transpose(0, 2, 1, 3).reshape(side, side)
        pngs.append(png((mosaic * 255.0 + 0.5).astype(np.uint8)))
    return Plane("image", len(lo), lo.tolist(), hi.tolist(), values, pngs, has_decoder,
                 {"tiles": tiles})


def colour_roles(names: tuple[str, ...]) -> tuple[int, int]:
    """(hue parameter, brightness parameter): pitch -> hue; a sine's level (db) or the FM index -> brightness;
    otherwise the first and the last parameter."""
    hue = names.index("pitch") if "pitch" in names else 0
    for name in ("db", "index", "level"):
        if name in names:
            return hue, names.index(name)
    return hue, len(names) - 1


def hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Arrays in [0, 1] -> [..., 3] uint8."""
    i = np.floor(h * 6.0).astype(np.int64) % 6
    f = h * 6.0 - np.floor(h * 6.0)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    r = np.choose(i, [v, q, p, p, t, v])
    g = np.choose(i, [t, v, v, q, p, p])
    b = np.choose(i, [p, p, t, v, v, q])
    return (np.stack([r, g, b], -1) * 255.0 + 0.5).clip(0, 255).astype(np.uint8)


HUE_SPAN = 0.8      # low pitch red ... high pitch violet (not round to red again)


def colours(synth: Any, params: np.ndarray) -> np.ndarray:
    """[N, P] natural-unit synth parameters -> [N, 3] uint8 RGB (see colour_roles)."""
    hue_k, bright_k = colour_roles(tuple(synth.names))
    p = np.asarray(params, np.float64)
    hu = np.clip(synth.params[hue_k].to_unit(p[:, hue_k]), 0.0, 1.0) if hue_k < p.shape[1] else np.zeros(len(p))
    br = np.clip(synth.params[bright_k].to_unit(p[:, bright_k]), 0.0, 1.0) if bright_k < p.shape[1] \
        else np.ones(len(p))
    bad = ~np.all(np.isfinite(p), axis=1)
    rgb = hsv_to_rgb(np.nan_to_num(hu) * HUE_SPAN, np.full(len(p), 0.85), 0.12 + 0.88 * np.nan_to_num(br))
    rgb[bad] = 0
    return rgb


def sound_plane(models: Any, cells: int = CELLS, slices: int = SLICES) -> Plane:
    """The sound latent box coloured by the synth parameters the decoder + inversion give each point."""
    from ..synths import SINE

    man = models.manifest
    synth = man.synth or SINE
    lo, hi = np.asarray(man.sound_box.lo, np.float32), np.asarray(man.sound_box.hi, np.float32)
    values = slice_values(lo, hi, slices)
    pngs = []
    thirds: list[float | None] = list(values) or [None]
    for third in thirds:
        pts = grid(lo, hi, cells, third)
        params = _chunked(lambda z: models.invert(models.decode(z)), pts)
        pngs.append(png(colours(synth, params[:, :len(synth.params)]).reshape(cells, cells, 3)))
    hue_k, bright_k = colour_roles(tuple(synth.names))
    ps = synth.params

    def describe(k: int) -> dict:
        return {"name": ps[k].name, "unit": ps[k].unit, "min": ps[k].min, "max": ps[k].max, "scale": ps[k].scale}

    return Plane("sound", len(lo), lo.tolist(), hi.tolist(), values, pngs, True,
                 {"synth": synth.kind, "hue": describe(hue_k), "brightness": describe(bright_k),
                  "hue_span": HUE_SPAN})


def compute(models: Any) -> dict[str, Plane]:
    """Both planes of one bundle."""
    return {"image": image_plane(models), "sound": sound_plane(models)}
