"""The published "square with glow" image, rendered without torch.

Training (models/data.py) and serving (`/pictslider`) both call this one
function, so the daemon renders exactly the pixels the image VAE was trained on.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SquareSpec:
    """Geometry of the data set; stored in the bundle manifest under `image.square`."""

    size: int = 128          # image height == width, pixels
    square: int = 2          # the white square's side, pixels
    positions: int = 126     # x, y in [0, positions)
    glow_scale: float = 128.0
    glow_exponent: float = 0.1

    def glow_lut(self) -> np.ndarray:
        """Glow as a function of squared distance, sampled at every integer d^2 that can occur.

        Pixel and square-centre coordinates are integers, so d^2 is an integer
        and a lookup table makes rendering a gather instead of a pow.
        """
        max_d2 = 2 * (self.size + 1) ** 2
        d = np.sqrt(np.arange(max_d2 + 1, dtype=np.float64))
        return (1.0 - np.clip((d / self.glow_scale) ** self.glow_exponent, 0.0, 1.0)).astype(np.float32)


DEFAULT_SPEC = SquareSpec()
_LUT_CACHE: dict[SquareSpec, np.ndarray] = {}


def _lut(spec: SquareSpec) -> np.ndarray:
    lut = _LUT_CACHE.get(spec)
    if lut is None:
        lut = _LUT_CACHE[spec] = spec.glow_lut()
    return lut


def render_square(x: int, y: int, spec: SquareSpec = DEFAULT_SPEC, out: np.ndarray | None = None) -> np.ndarray:
    """Render the square whose top-left corner is at column x, row y.

    Returns float32 [size, size] in [0, 1]: glow 1 - clip((d/scale)^exp, 0, 1)
    around the square's centre (x + side/2, y + side/2), the square itself at 1.
    """
    if not (0 <= x < spec.positions and 0 <= y < spec.positions):
        raise ValueError(f"square position ({x}, {y}) outside [0, {spec.positions})")
    n = spec.size
    half = spec.square / 2.0
    cx, cy = x + half, y + half
    cols = np.arange(n, dtype=np.float64) - cx
    rows = np.arange(n, dtype=np.float64) - cy
    d2 = rows[:, None] ** 2 + cols[None, :] ** 2
    if float(half).is_integer():
        img = _lut(spec)[d2.astype(np.int64)]
    else:  # odd square sides put the centre between pixels: compute directly
        img = (1.0 - np.clip((np.sqrt(d2) / spec.glow_scale) ** spec.glow_exponent, 0, 1)).astype(np.float32)
    if out is None:
        out = np.empty((n, n), dtype=np.float32)
    out[...] = img
    out[y:y + spec.square, x:x + spec.square] = 1.0
    return out


def render_all(spec: SquareSpec = DEFAULT_SPEC) -> tuple[np.ndarray, np.ndarray]:
    """The whole data set as uint8 [P*P, size, size] plus the (x, y) of each image.

    uint8 keeps the 15,876 images in 260 MB instead of 1 GB; the model sees
    them divided by 255 (the quantisation error, < 0.002, is far below the
    reconstruction error).
    """
    p = spec.positions
    images = np.empty((p * p, spec.size, spec.size), dtype=np.uint8)
    xy = np.empty((p * p, 2), dtype=np.int64)
    buf = np.empty((spec.size, spec.size), dtype=np.float32)
    for i, (y, x) in enumerate(np.ndindex(p, p)):
        render_square(x, y, spec, out=buf)
        images[i] = np.round(buf * 255.0).astype(np.uint8)
        xy[i] = (x, y)
    return images, xy
