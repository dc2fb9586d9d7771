"""The way back, live: what the daemon hears -> where the square is, and its picture.

One job: turn sound into the replies of the way back (docs/contracts.md, section 3). `WayBack` does the
computation for one input (a mel vector, a sine, a sound-latent point);
`Listener` runs it on the live input at `listen.rate` analyses a second.

Why on the event loop (`call_at`), not a thread: one analysis is ~1-2 ms of
numpy + three small ONNX runs (bench/bench_listen.py measures it), a
thread would add GIL hand-offs and wake-ups that cost as much, and on the
loop an analysis can never race a bundle swap or a reply. The audio thread
never waits for it: the C engine captures the input into its own lock-free
ring and `Engine.read_input` copies the newest samples out at our pace.

The analysis (per tick):
1. read the newest `n_samples` (8,192 = 170 ms at 48 kHz) plus up to
   ALIGN_SAMPLES more, and start the window at the newest upward zero
   crossing within those extra samples (to a fraction of a sample). The bundle's models were trained and
   evaluated on sines that start at phase 0 going up (manifest
   `reverse.sines`); the front end's reflect padding makes the edge frames
   depend on that phase (the random-phase round trip is ~7 px worse at the
   median, docs/eval/metrics.json), so a live sine is read at the phase the
   models know. The window is then at most ALIGN_SAMPLES (21 ms) older than
   the newest sample.
2. its level, dB relative to a full-scale sine (RMS * sqrt 2, so a sine
   played at L dB reads L). Below `silence_db` nothing is guessed: no
   `/square`; instead `/image/silent level` once when a silence begins
   (and once when listening starts in silence), and `silent_frames` counts
   every silent tick.
3. otherwise the manifest's mel front end (numpy, `daemon.mel.MelFrontEnd`
   with the bundle's own `sound:` fields, `Manifest.mel`: the code the
   training data went through) -> sound encoder -> reverse mapper -> the
   position read off the latent as the manifest says (nearest entry of
   position_table's z[y, x]; the square world only, other worlds have no
   `/square`) and the picture from the image decoder.

Steps 1-3 are `hear` (one window) and `samples_at` (what the input ring
holds at a given sample): the live `Listener` and the offline
`isudt render --to-image` (daemon/render.py) both go through them, so the
same audio gives the same square live and offline.
"""
from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

import numpy as np

from .mel import DEFAULT_MEL, MelFrontEnd, MelSpec, front_end, sine
from .util import Ring, resize_area

log = logging.getLogger(__name__)

ALIGN_SAMPLES = 1024          # the window may start this much earlier, at an upward zero crossing
LIST_SIDE = 32                # /picture/list is always 32 x 32 (clients without blobs)
SILENT_DB = -120.0            # the level of digital silence


# --- the front end -----------------------------------------------------------------


def level_db(wave: np.ndarray) -> float:
    """Level in dB relative to a full-scale sine (RMS * sqrt 2): a sine at amplitude a reads 20 log10 a."""
    ms = float(np.dot(wave, wave)) / max(len(wave), 1)
    return 10.0 * math.log10(2.0 * ms) if ms > 0.0 else SILENT_DB


def window_start(x: np.ndarray, n: int) -> int:
    """Where the n-sample window starts in x: at the newest upward zero crossing (x[s-1] < 0 <= x[s]) that
    leaves n samples, or at len(x) - n (the newest n samples) when there is none (noise, DC)."""
    extra = len(x) - n
    if extra <= 0:
        return max(extra, 0)
    head = x[:extra + 1]
    ups = np.flatnonzero((head[:-1] < 0.0) & (head[1:] >= 0.0))
    return int(ups[-1]) + 1 if ups.size else extra


def align_window(x: np.ndarray, n: int) -> np.ndarray:
    """n samples of x from `window_start`, moved back by the fraction of a sample where x crosses zero.

    Linear interpolation between neighbours: below 1.2 kHz at 48 kHz it
    changes a sine's level by less than 0.03 dB, and it removes up to 9
    degrees of start phase (enough to move the square by a pixel).
    """
    s = window_start(x, n)
    if s == 0 or not (x[s - 1] < 0.0 <= x[s]):
        return x[s:s + n]
    a = float(-x[s - 1] / (x[s] - x[s - 1]))          # the crossing is at s - 1 + a, a in (0, 1]
    return (1.0 - a) * x[s - 1:s - 1 + n] + a * x[s:s + n]


def samples_at(mono: np.ndarray, end: int, n: int) -> np.ndarray:
    """The n samples of `mono` before index `end`, as the input ring holds them then: zeros before the start
    (a listener that just began hears silence)."""
    start = end - n
    if start >= 0:
        return mono[start:end]
    return np.concatenate([np.zeros(-start, mono.dtype), mono[:max(0, end)]])


# --- the computation ---------------------------------------------------------------

@dataclass
class Seen:
    """What one sound comes to: the square's top-left corner, the image latent and the picture.

    `x`, `y` are None in a world without squares (no `/square` reply).

    The picture is drawn (image decoder, the costly step) only when first
    asked for, so a reply can send `/square` before the picture is made.
    """

    x: float | None
    y: float | None
    z_image: tuple[float, ...]
    draw: Callable[[], tuple[np.ndarray, np.ndarray | None]] = field(repr=False, compare=False)

    @cached_property
    def _pictures(self) -> tuple[np.ndarray, np.ndarray | None]:
        return self.draw()

    @property
    def picture(self) -> np.ndarray:
        """uint8 [size, size]"""
        return self._pictures[0]

    @property
    def small(self) -> np.ndarray | None:
        """float32 [32, 32] in [0, 1], for /picture/list (when enabled)"""
        return self._pictures[1]


def picture_of(image: np.ndarray, size: int) -> np.ndarray:
    """A decoded image [H, W] (about [0, 1]) -> uint8 [size, size] by area averaging."""
    h, w = image.shape
    if h % size == 0 and w % size == 0:   # the usual case (128 -> 64, 32): block means, no index arithmetic
        small = image.reshape(size, h // size, size, w // size).mean(axis=(1, 3))
    else:
        small = resize_area(image, size)
    return np.clip(np.rint(small * 255.0), 0, 255).astype(np.uint8)


class WayBack:
    """Sound -> image with one bundle's models (sound encoder, reverse mapper, image decoder; in the square world
    the position table), through the bundle's own mel front end (`Manifest.mel`)."""

    def __init__(self, models: Any, picture_size: int = 64, picture_list: bool = False) -> None:
        if not getattr(models, "way_back", False):
            raise ValueError("the models have no way back")
        self.models = models
        self.picture_size = min(picture_size, models.manifest.image_size)   # never larger than the decoded image
        self.picture_list = picture_list
        man = models.manifest
        self.positions = man.square.positions if man.square is not None else 0
        self.front_end: MelFrontEnd = front_end(getattr(man, "mel", DEFAULT_MEL))
        self._table = models.position_table      # None in a world without squares
        self._table_sq = None if self._table is None else (self._table.astype(np.float64) ** 2).sum(axis=1)
        self.inference_ms = Ring()
        self._drawn: tuple[tuple[float | None, float | None], tuple[np.ndarray, np.ndarray | None]] | None = None

    def sine_mel(self, pitch: float, db: float) -> np.ndarray:
        """The mel of the sine at (MIDI pitch, dB), made as models/evaluate.py's round trip makes it
        (daemon.mel sine, phase 0, sign +1, amplitude 10^(dB/20))."""
        return self.front_end(sine(pitch, 10.0 ** (db / 20.0), self.front_end.spec))

    def position(self, z_image: np.ndarray) -> tuple[float | None, float | None]:
        """(x, y) of the nearest position-table entry (the manifest's `from_latent` readout); (None, None) in a
        world without squares."""
        if self._table is None or self._table_sq is None:
            return None, None
        z = z_image.astype(np.float64)
        k = int(np.argmin(self._table_sq - 2.0 * (self._table @ z)))
        return float(k % self.positions), float(k // self.positions)

    def from_mel(self, mel: np.ndarray) -> Seen:
        z_sound = self.models.encode_sound(np.asarray(mel, np.float32)[None])
        return self.from_latent(z_sound[0])

    def from_sine(self, pitch: float, db: float) -> Seen:
        return self.from_mel(self.sine_mel(pitch, db))

    def from_latent(self, z_sound: np.ndarray) -> Seen:
        t = time.perf_counter()
        z_image = self.models.reverse(np.asarray(z_sound, np.float32)[None])
        self.inference_ms.add((time.perf_counter() - t) * 1e3)
        x, y = self.position(z_image[0])
        return Seen(x, y, tuple(float(v) for v in z_image[0]), lambda: self.draw(z_image, (x, y)))

    def draw(self, z_image: np.ndarray, square: tuple[float | None, float | None] | None = None
             ) -> tuple[np.ndarray, np.ndarray | None]:
        """The image decoder's picture of z_image [1, Li]: uint8 [size, size], and the /picture/list one.

        The decoder is the costly step (most of an analysis), and a held tone
        is heard at the same square 25 times a second: the picture drawn for
        the last square is kept and sent again while the square stays.
        """
        if square is not None and None in square:   # no square readout: nothing to key the cache on
            square = None
        if square is not None and self._drawn is not None and self._drawn[0] == square:
            return self._drawn[1]
        image = self.models.decode_image(z_image)[0, 0]
        small = picture_of(image, LIST_SIDE).astype(np.float32) / 255.0 if self.picture_list else None
        pictures = (picture_of(image, self.picture_size), small)
        if square is not None:
            self._drawn = (square, pictures)
        return pictures


def hear(x: np.ndarray, way_back: WayBack, silence_db: float, n: int) -> tuple[float, Seen | None]:
    """One analysis of the newest input `x` (n + up to ALIGN_SAMPLES samples): the aligned window's level and
    what it comes to, or None below `silence_db` (nothing is guessed in silence)."""
    window = align_window(x, n)
    level = level_db(window)
    if level < silence_db:
        return level, None
    return level, way_back.from_mel(way_back.front_end(window))


# --- the live analysis -------------------------------------------------------------

@dataclass
class ListenCounters:
    """Written on the event loop only."""

    analyses: int = 0          # windows analysed (each answered with /square ...)
    silent_frames: int = 0     # ticks below the silence threshold (nothing guessed)
    silences: int = 0          # /image/silent sent (once per silence)
    stale: int = 0             # ticks skipped because no new input arrived (input stalled)
    failed: int = 0            # analyses that raised (logged)
    level_db: float = SILENT_DB
    analysis_ms: Ring = field(default_factory=Ring)   # one tick's cost, read to reply built


class Listener:
    """Analyses the engine's captured input `rate` times a second while on; `emit(seen)` sends the replies.

    `emit(None, level)` means "silent" (sent once per silence). `way_back()`
    returns the current bundle's WayBack (bundles can be swapped by a reload).
    """

    def __init__(self, read_input: Callable[[int], tuple[np.ndarray, int]], way_back: Callable[[], WayBack | None],
                 emit: Callable[[Seen | None, float], None], rate: float = 25.0, silence_db: float = -60.0,
                 spec: MelSpec = DEFAULT_MEL) -> None:
        self.read_input = read_input
        self.way_back = way_back
        self.emit = emit
        self.period = 1.0 / rate
        self.silence_db = silence_db
        self.spec = spec
        self.counters = ListenCounters()
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next = 0.0
        self._silent = False
        self._last_total = -1

    @property
    def on(self) -> bool:
        return self._handle is not None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start ticking (idempotent); the first analysis runs at once."""
        if self._handle is not None:
            return
        self._loop = loop
        self._silent = False            # listening starts: a silence is reported once, afresh
        self._last_total = -1
        self._next = loop.time()
        self._handle = loop.call_at(self._next, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _tick(self) -> None:
        """One analysis, then the next tick on a fixed grid (a late tick is not made up: newest wins)."""
        assert self._loop is not None
        try:
            self.analyse_once()
        except Exception:  # a bug must not end listening for good
            self.counters.failed += 1
            log.exception("listening: the analysis failed")
        now = self._loop.time()
        self._next += self.period
        if self._next <= now:
            self._next = now + self.period
        self._handle = self._loop.call_at(self._next, self._tick)

    def analyse_once(self) -> Seen | None:
        """Read, measure, and (if not silent) analyse the newest window; emits and returns what it found."""
        wb = self.way_back()
        if wb is None:
            return None
        t = time.perf_counter()
        n = wb.front_end.spec.n_samples         # the bundle's mel window (self.spec: before a bundle is known)
        x, total = self.read_input(n + ALIGN_SAMPLES)
        if total == self._last_total:       # nothing new captured since the last tick
            self.counters.stale += 1
            return None
        self._last_total = total
        level, seen = hear(x, wb, self.silence_db, n)
        self.counters.level_db = level
        if seen is None:
            self.counters.silent_frames += 1
            if not self._silent:
                self._silent = True
                self.counters.silences += 1
                self.emit(None, level)
            return None
        self._silent = False
        self.counters.analyses += 1
        self.emit(seen, level)
        self.counters.analysis_ms.add((time.perf_counter() - t) * 1e3)
        return seen
