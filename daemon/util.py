"""Small numeric helpers shared by the daemon's stages: a measurement ring and an area resize.

Numpy only: imported by `pipeline.py` (requests), `listen.py` (the way back)
and `server.py` (latencies), none of which has to import another for them.
"""
from __future__ import annotations

import numpy as np


class Ring:
    """The last `n` samples of a measurement (ms), for p50/p99 in /status. Single writer."""

    def __init__(self, n: int = 2048) -> None:
        self.buf = np.zeros(n, np.float64)
        self.count = 0

    def add(self, v: float) -> None:
        self.buf[self.count % len(self.buf)] = v
        self.count += 1

    def values(self) -> np.ndarray:
        return self.buf[:min(self.count, len(self.buf))].copy()

    def percentiles(self, *qs: float) -> list[float]:
        data = self.values()
        if data.size == 0:
            return [0.0 for _ in qs]
        return [float(np.percentile(data, q)) for q in qs]


def resize_area(img: np.ndarray, size: int) -> np.ndarray:
    """Resize [h, w] to [size, size] float32: box (area) average when shrinking, nearest when growing.

    `np.add.reduceat` sums each output cell's source span; a span that would be
    empty (growing) degenerates to the single nearest source pixel.
    """
    a = np.asarray(img, np.float32)
    h, w = a.shape
    if h == size and w == size:
        return a
    for axis, n in ((0, h), (1, w)):
        starts = (np.arange(size) * n) // size
        ends = np.append(starts[1:], n)
        counts = np.maximum(ends - starts, 1).astype(np.float32)
        a = np.add.reduceat(a, starts, axis=axis)
        a = a / (counts[:, None] if axis == 0 else counts[None, :])
    return a
