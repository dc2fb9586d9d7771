"""Fit any grey picture to a bundle's square image size, aspect kept: the one fit training and `/frame` share.

A picture of another shape is centred on a black square of its longer side
(the worlds' images are bright things on black), then resized with Pillow's
area-averaging `BOX` filter, which shrinks without aliasing and grows by
nearest-like boxes. Training a world on a folder or on MNIST goes through
this function, so a frame sent live looks like the training data.
"""
from __future__ import annotations

import numpy as np
from PIL import Image


def pad_square(img: np.ndarray) -> np.ndarray:
    """[h, w] -> [s, s] with s = max(h, w), the picture centred on zeros."""
    h, w = img.shape
    s = max(h, w)
    if h == w:
        return img
    out = np.zeros((s, s), img.dtype)
    y, x = (s - h) // 2, (s - w) // 2
    out[y:y + h, x:x + w] = img
    return out


def fit_image(img: np.ndarray, size: int) -> np.ndarray:
    """float32 [size, size] in the input's value range, from a grey [h, w] picture of any shape."""
    a = np.asarray(img, np.float32)
    if a.ndim != 2 or min(a.shape) < 1:
        raise ValueError(f"a picture must be 2-D grey [height, width], got shape {a.shape}")
    a = pad_square(a)
    if a.shape[0] == size:
        return a
    return np.asarray(Image.fromarray(a, mode="F").resize((size, size), Image.Resampling.BOX), np.float32)
