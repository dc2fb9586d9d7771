"""The inference worker: one thread, one "latest request" slot per voice, batched ONNX runs.

Why one thread and slots rather than a queue: onnxruntime releases the GIL,
so a single worker keeps the event loop free without competing with itself
for the two cores; and a control surface sends positions, not commands — when
requests arrive faster than inference, only the newest per voice matters.
So `submit` overwrites the voice's slot (the replaced request is counted as
coalesced) and the worker takes every pending slot at once and runs them as
one batch per stage. Memory and latency stay bounded whatever the input rate,
and the last reply always reflects the last input.

`/pictslider` positions form a finite set (126 x 126 for the published
square) and the square image is a pure function of (x, y), so its result is
too: the worker keeps a per-bundle table of (pitch, dB) per position, filled
on first use and, while no request waits, ahead of use in small chunks (each
kept under ~0.5 ms so a request never waits long behind it, and paced to a
quarter of one core so the audio thread and the rest of a 2-core machine keep
theirs). Once full,
`/pictslider` costs a lookup instead of four networks, whatever the encoder's
size.

Everything that touches the synth for a voice (new parameters, release) goes
through the slot, so a `/voice/N/off` can never overtake an earlier request
for the same voice.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Protocol

import numpy as np

from .messages import (FrameRequest, LatentImageRequest, LatentSoundRequest, PositionRequest, Request,
                       VoiceOff)
from .osc_server import encode_floats, encode_message
from .square import render_square

log = logging.getLogger(__name__)


class ModelsLike(Protocol):
    """The part of `bundle.Models` the worker uses (fakes in tests)."""

    manifest: Any

    def encode_image(self, images: np.ndarray) -> np.ndarray: ...
    def map(self, z_image: np.ndarray) -> np.ndarray: ...
    def decode(self, z_sound: np.ndarray) -> np.ndarray: ...
    def invert(self, mel: np.ndarray) -> np.ndarray: ...


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

    def percentiles(self, *qs: float, also: "Ring | None" = None) -> list[float]:
        data = self.values() if also is None else np.concatenate([self.values(), also.values()])
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


class PositionTable:
    """(pitch, dB) for every square position of one bundle; NaN where not computed yet."""

    def __init__(self, positions: int) -> None:
        self.positions = positions
        self.values = np.full((positions, positions, 2), np.nan, np.float32)   # [y, x, (pitch, dB)]
        self.filled = 0
        self.cursor = 0          # next flat index (y * P + x) the idle fill looks at

    def get(self, x: int, y: int) -> tuple[float, float] | None:
        v = self.values[y, x]
        if v[0] != v[0]:  # NaN: not computed yet
            return None
        return float(v[0]), float(v[1])

    def put(self, x: int, y: int, pitch: float, db: float) -> None:
        if self.values[y, x, 0] != self.values[y, x, 0]:
            self.filled += 1
        self.values[y, x] = (pitch, db)

    @property
    def complete(self) -> bool:
        return self.filled >= self.positions * self.positions

    def next_missing(self, n: int) -> list[tuple[int, int]]:
        """Up to n positions not yet computed, scanning forward from the cursor."""
        out: list[tuple[int, int]] = []
        total = self.positions * self.positions
        flat = self.values[..., 0].reshape(-1)
        while self.cursor < total and len(out) < n:
            if flat[self.cursor] != flat[self.cursor]:
                out.append((self.cursor % self.positions, self.cursor // self.positions))
            self.cursor += 1
        return out


@dataclass
class PipelineCounters:
    """Written only by the worker, except `coalesced` (under the slot lock)."""

    handled: int = 0       # requests completed (played and answered)
    coalesced: int = 0     # requests replaced in their slot by a newer one before the worker took them
    errors: int = 0        # requests that failed in inference (answered with /error)
    batches: int = 0
    table_hits: int = 0    # /pictslider answered from the position table by the worker
    answered_on_loop: int = 0   # /pictslider answered from the table on the event loop (written there only)


class Pipeline:
    """Slots + worker thread. `submit` is called on the event loop; everything else happens in the worker."""

    def __init__(self, models: ModelsLike, voices: int, *,
                 set_voice: Callable[[int, float, float], None],
                 release_voice: Callable[[int], None],
                 reply: Callable[[bytes, Any], None],
                 error: Callable[[str, str, Any], None],
                 position_table: bool = True, fill_budget_ms: float = 0.5, fill_duty: float = 0.25) -> None:
        self.voices = voices
        self._models = models
        self.position_table = position_table
        self.fill_budget_ms = fill_budget_ms
        self.fill_duty = fill_duty
        self._fill_resume = 0.0
        self.fill_chunk = 1
        self._table = PositionTable(models.manifest.square.positions)
        self.set_voice = set_voice
        self.release_voice = release_voice
        self.reply = reply
        self.error = error
        self.counters = PipelineCounters()
        self.inference_ms = Ring()
        self.latency_ms = Ring()        # receipt -> reply, worker path
        self.loop_latency_ms = Ring()   # receipt -> reply, answered on the event loop
        self._busy = [False] * voices   # voices of the batch in flight
        self._slots: list[Request | None] = [None] * voices
        self._pending = 0
        self._inflight = 0
        self._cond = threading.Condition(threading.Lock())
        self._stop = False
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    # --- event loop side ---------------------------------------------------------

    def submit(self, req: Request) -> None:
        """Put the request in its voice's slot; a request still waiting there is replaced and counted."""
        with self._cond:
            if self._slots[req.voice] is not None:
                self.counters.coalesced += 1
            else:
                self._pending += 1
            self._slots[req.voice] = req
            self._idle.clear()
            self._cond.notify()

    def answer_now(self, req: Request) -> bool:
        """On the event loop: answer a `/pictslider` from the table without waking the worker.

        Only when its table entry exists and the voice has nothing waiting or in
        flight, so it can never overtake an earlier request for that voice.
        Saves the thread hand-off, which is most of the round trip once the
        table is full. Returns False when the request must be submitted.
        """
        if not self.position_table or not isinstance(req, PositionRequest):
            return False
        with self._cond:
            if self._slots[req.voice] is not None or self._busy[req.voice]:
                return False
            hit = self._table.get(req.x, req.y)
        if hit is None:
            return False
        self.set_voice(req.voice, hit[0], hit[1])
        self.reply(encode_floats(req.prefix + "/sineparams", hit), req.reply_to)
        self.counters.answered_on_loop += 1
        if req.t_received:
            self.loop_latency_ms.add((time.perf_counter() - req.t_received) * 1e3)
        return True

    @property
    def models(self) -> ModelsLike:
        return self._models

    def swap(self, models: ModelsLike, fill_chunk: int = 1) -> None:
        """Use another bundle from the next batch on (the batch in flight finishes on the old one)."""
        with self._cond:
            self._models = models
            self._table = PositionTable(models.manifest.square.positions)
            self.fill_chunk = fill_chunk
            self._cond.notify()

    def pending(self) -> int:
        return self._pending + self._inflight

    def wait_idle(self, timeout: float) -> bool:
        """For tests and benchmarks: True once no request is waiting or in flight."""
        return self._idle.wait(timeout)

    # --- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="isudt-inference", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 0.5) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def table(self) -> PositionTable:
        return self._table

    def warmup(self, models: ModelsLike | None = None) -> int:
        """Run every path once (and at the largest batch) so the first real request is not the slow one.

        Returns the idle-fill chunk size for these models: as many positions as
        fit in `fill_budget_ms`, from the timing of the largest batch.
        """
        m = models or self._models
        man = m.manifest
        n = max(self.voices, 2)
        for k in (1, n, n):
            img = np.stack([render_square(0, 0, man.square)[None]] * k)
            t = time.perf_counter()
            m.invert(m.decode(m.map(m.encode_image(img))))
            per_image_ms = (time.perf_counter() - t) * 1e3 / k + 0.06   # + rendering
        chunk = int(max(1, min(64, self.fill_budget_ms // max(per_image_ms, 1e-3))))
        if models is None:
            self.fill_chunk = chunk
        return chunk

    # --- worker side -------------------------------------------------------------

    def _run(self) -> None:
        while True:
            fill: list[tuple[int, int]] = []
            with self._cond:
                while self._pending == 0 and not self._stop:
                    self._idle.set()
                    if self.position_table and not self._table.complete:
                        rest = self._fill_resume - time.monotonic()
                        if rest > 0:   # pacing: the fill takes at most fill_duty of a core
                            self._cond.wait(rest)
                            continue
                        fill = self._table.next_missing(self.fill_chunk)
                        if fill:
                            break
                    self._cond.wait()
                if self._stop:
                    self._idle.set()
                    return
                models, table = self._models, self._table
                batch: list[Request] = []
                if not fill:
                    batch = [r for r in self._slots if r is not None]
                    self._slots = [None] * self.voices
                    self._inflight, self._pending = len(batch), 0
                    for r in batch:
                        self._busy[r.voice] = True
            try:
                if fill:
                    t0 = time.monotonic()
                    self.fill(fill, models, table)
                    took = time.monotonic() - t0
                    self._fill_resume = time.monotonic() + took * (1.0 / max(self.fill_duty, 0.01) - 1.0)
                else:
                    self.process(batch, models, table)
            except Exception:  # a bug in one batch must not kill the worker
                log.exception("inference batch failed")
                self.counters.errors += len(batch)
            finally:
                with self._cond:
                    self._inflight = 0
                    for r in batch:
                        self._busy[r.voice] = False

    def fill(self, positions: list[tuple[int, int]], models: ModelsLike, table: PositionTable) -> None:
        """Compute table entries ahead of use (idle time only)."""
        spec = models.manifest.square
        imgs = np.stack([render_square(x, y, spec) for x, y in positions])[:, None]
        params = models.invert(models.decode(models.map(models.encode_image(imgs))))
        for (x, y), (p, d) in zip(positions, params):
            if np.isfinite(p) and np.isfinite(d):
                table.put(x, y, float(p), float(d))

    def process(self, batch: list[Request], models: ModelsLike, table: PositionTable) -> None:
        """Run one batch: every request in it is answered (played + replied) or refused (/error)."""
        man = models.manifest
        size = man.image_size
        results: dict[int, tuple[float, float]] = {}   # index in batch -> (pitch, dB)
        z_sound_out: dict[int, np.ndarray] = {}         # for /latent/image replies
        images: list[np.ndarray] = []
        image_idx: list[int] = []
        z_img: list[np.ndarray] = []
        z_img_idx: list[int] = []
        z_snd: list[np.ndarray] = []
        z_snd_idx: list[int] = []
        for k, r in enumerate(batch):
            if isinstance(r, PositionRequest):
                hit = table.get(r.x, r.y) if self.position_table else None
                if hit is not None:
                    results[k] = hit
                    self.counters.table_hits += 1
                else:
                    images.append(render_square(r.x, r.y, man.square))
                    image_idx.append(k)
            elif isinstance(r, FrameRequest):
                px = r.pixels
                scaled = px.astype(np.float32) * (1.0 / 255.0) if px.dtype == np.uint8 else px
                images.append(resize_area(scaled, size))
                image_idx.append(k)
            elif isinstance(r, LatentImageRequest):
                z_img.append(r.z)
                z_img_idx.append(k)
            elif isinstance(r, LatentSoundRequest):
                z_snd.append(r.z)
                z_snd_idx.append(k)
        t0 = time.perf_counter()
        failed: str | None = None
        try:
            if images:
                z = models.encode_image(np.stack(images)[:, None])
                z_img = list(z) + z_img
                z_img_idx = image_idx + z_img_idx
            if z_img:
                zs = models.map(np.stack(z_img))
                for j, k in enumerate(z_img_idx):
                    z_sound_out[k] = zs[j]
                z_snd = list(zs) + z_snd
                z_snd_idx = z_img_idx + z_snd_idx
            if z_snd:
                params = models.invert(models.decode(np.stack(z_snd)))
                for j, k in enumerate(z_snd_idx):
                    results[k] = (float(params[j, 0]), float(params[j, 1]))
        except Exception as e:  # ORT errors (e.g. a shape that the new bundle does not take)
            failed = f"inference failed: {str(e).splitlines()[0][:120] if str(e) else e.__class__.__name__}"
            log.warning("%s", failed)
        if z_snd or images or z_img:
            self.counters.batches += 1
            self.inference_ms.add((time.perf_counter() - t0) * 1e3)
        for k, r in enumerate(batch):
            address = r.address or r.prefix
            if isinstance(r, VoiceOff):
                self.release_voice(r.voice)
                self.counters.handled += 1
                continue
            res = results.get(k)
            if res is None or not (np.isfinite(res[0]) and np.isfinite(res[1])):
                self.counters.errors += 1
                self.error(address, failed or "the model produced a non-finite result", r.reply_to)
                continue
            pitch, db = res
            self.set_voice(r.voice, pitch, db)
            if isinstance(r, PositionRequest) and self.position_table:
                table.put(r.x, r.y, pitch, db)
            self.reply(encode_floats(r.prefix + "/sineparams", (pitch, db)), r.reply_to)
            if isinstance(r, LatentImageRequest):
                self.reply(encode_message(r.prefix + "/latent/sound", [float(v) for v in z_sound_out[k]]), r.reply_to)
            self.counters.handled += 1
            if r.t_received:
                self.latency_ms.add((time.perf_counter() - r.t_received) * 1e3)

