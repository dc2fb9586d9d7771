"""Inference: validated requests in, `Result`s out, on the caller's thread; newest per voice wins under load.

Why inline, batched and with no thread of its own: on the machine this was
measured on, waking a second thread cost more than these models do at batch
1 (a GIL hand-off, and a cold start paid twice); the measurements are in
docs/measurements.md ("The control path").

Why staging and newest-per-voice: a control surface sends positions, not
commands; when requests arrive faster than inference, only the newest per
voice matters. The OSC side stages every request read in one drain of the
socket (`stage`) and then runs them (`take` + `run`). Up to `direct_limit`
staged requests are all answered, as one batched run per stage (so a fast
client, or a burst after the machine stalled for a few milliseconds, loses
nothing, and a backlog costs less per request); beyond that only the newest
per voice is run and the replaced ones are counted as `coalesced`. Each drain
therefore costs at most one batched inference of at most `direct_limit`
requests, whatever the input rate: memory and latency stay bounded and the
last reply reflects the last input. A `VoiceOff` is staged like any request,
so it can never overtake an earlier request for its voice.

`/pictslider` positions form a finite set (126 x 126 for the published
square) and the square image is a pure function of (x, y), so its result is
too: a per-bundle `PositionTable` remembers each position's parameters once
computed, and the server fills it ahead of use while the daemon is idle, in
chunks of about half a millisecond paced to a quarter of one core (`fill`).
It is kept because the measurements say so (docs/measurements.md, "The position
table"). Only the square world has positions: in another world (digits-fm)
the table is empty and `/pictslider` is refused (messages.validate, and here
should a reload have changed the world under a staged request).

Frames: in the square world a `/frame` is area-resized to the image size as
it always was (its replies are pinned); in other worlds it is fitted as the
world's training data was (`imagefit.fit_image`: aspect kept, centred on
black, Pillow BOX), so any width x height works.

`run` only computes: it returns `Result`s and touches neither the synth nor
the wire. The server applies them to the synth and the OSC side encodes the
replies; `isudt render` uses the same `run` (table off), so an offline render
plays exactly what the daemon would.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .messages import (FrameRequest, LatentImageRequest, LatentSoundRequest, PositionRequest, Request,
                       VoiceOff, no_squares)
from .imagefit import fit_image
from .square import render_square
from .util import Ring, resize_area

log = logging.getLogger(__name__)

DIRECT_LIMIT = 64   # staged requests answered in full per drain; beyond it, newest per voice wins
FILL_BUDGET_MS = 0.5   # one idle-fill chunk of the position table takes about this long


class ModelsLike(Protocol):
    """The part of `bundle.Models` inference uses (fakes in tests)."""

    manifest: Any

    def encode_image(self, images: np.ndarray) -> np.ndarray: ...
    def map(self, z_image: np.ndarray) -> np.ndarray: ...
    def decode(self, z_sound: np.ndarray) -> np.ndarray: ...
    def invert(self, mel: np.ndarray) -> np.ndarray: ...


@dataclass(slots=True)
class Result:
    """What one request comes to: parameters to play, a release, or a reason it failed.

    `params` is the bundle's synth's parameters in `manifest.synth.params`
    order ((MIDI pitch, dB) for a sine, (pitch, ratio, index) for FM), all
    finite, or None for a release (`VoiceOff`) and for a failure (`error`
    set). `z_sound` is the mapped sound latent, for `/latent/image` only (it
    is echoed to the client). `played` is set by whoever plays it when the
    engine plays something else than asked (FM: the index after the alias
    guard, `Engine.played_params`); the reply says `/synthparams` with it.
    """

    request: Request
    params: tuple[float, ...] | None = None
    z_sound: tuple[float, ...] | None = None
    error: str | None = None
    played: tuple[float, ...] | None = None

    @property
    def release(self) -> bool:
        return isinstance(self.request, VoiceOff) and self.error is None


class PositionTable:
    """The synth's parameters for every square position of one bundle; NaN where not computed yet.

    Empty (0 positions, always complete) in a world without squares.
    """

    def __init__(self, positions: int, n_params: int = 2) -> None:
        self.positions = positions
        self.values = np.full((positions, positions, n_params), np.nan, np.float32)   # [y, x, params]
        self.filled = 0
        self.cursor = 0          # next flat index (y * P + x) the idle fill looks at

    @classmethod
    def of(cls, models: ModelsLike) -> PositionTable:
        man = models.manifest
        synth = getattr(man, "synth", None)
        return cls(man.square.positions if man.square is not None else 0, len(synth.params) if synth else 2)

    def get(self, x: int, y: int) -> tuple[float, ...] | None:
        v = self.values[y, x]
        if v[0] != v[0]:  # NaN: not computed yet
            return None
        return tuple(float(a) for a in v)

    def put(self, x: int, y: int, *params: float) -> None:
        if self.values[y, x, 0] != self.values[y, x, 0]:
            self.filled += 1
        self.values[y, x] = params

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
    """Written only by the thread that stages and runs (the event loop in the daemon)."""

    handled: int = 0       # requests completed (a result to play, or a release)
    coalesced: int = 0     # staged requests replaced by a newer one for the same voice before they ran
    errors: int = 0        # requests that failed in inference (answered with /error)
    batches: int = 0       # inference runs (one per stage per drain)
    table_hits: int = 0    # /pictslider answered from the position table
    warm_passes: int = 0   # keep_warm passes (between requests; results dropped)


WARM_FRAME = np.zeros((28, 28), np.uint8)   # what keep_warm passes through the frame path


def frame_image(pixels: np.ndarray, size: int, square_world: bool) -> np.ndarray:
    """A `/frame`'s pixels (uint8 or floats in [0, 1]) as the image encoder's `size x size` input.

    The square world's frames as they always were (area-resized: its replies
    are pinned); the others as their training data was fitted.
    """
    scaled = pixels.astype(np.float32) * (1.0 / 255.0) if pixels.dtype == np.uint8 else pixels
    return resize_area(scaled, size) if square_world else fit_image(scaled, size)


class Pipeline:
    """Staging (newest per voice beyond `direct_limit`), the position table and batched inference.

    Everything runs on the caller's thread (the event loop in the daemon).
    """

    def __init__(self, models: ModelsLike, voices: int, *, direct_limit: int = DIRECT_LIMIT,
                 position_table: bool = True) -> None:
        self.voices = voices
        self.direct_limit = direct_limit
        self.position_table = position_table
        self.fill_chunk = 1
        self._models = models
        self._table = PositionTable.of(models)
        self._staged: list[Request] = []
        self.counters = PipelineCounters()
        self.inference_ms = Ring()

    @property
    def models(self) -> ModelsLike:
        return self._models

    @property
    def table(self) -> PositionTable:
        return self._table

    def swap(self, models: ModelsLike, fill_chunk: int = 1) -> None:
        """Use another bundle (and a new, empty table) from the next run on: between drains, never mid-batch."""
        self._models = models
        self._table = PositionTable.of(models)
        self.fill_chunk = fill_chunk

    # --- staging -------------------------------------------------------------------

    def stage(self, req: Request) -> None:
        """Keep the request until `take`; nothing is computed yet."""
        self._staged.append(req)

    def pending(self) -> int:
        return len(self._staged)

    def take(self) -> list[Request]:
        """The staged requests to run now, in arrival order: all of them, or the newest per voice.

        All when there are at most `direct_limit` (so a fast but steady client
        gets every reply); otherwise one per voice, the newest, and the others
        are counted as coalesced. Order between voices follows the newest
        requests' arrival.
        """
        staged, self._staged = self._staged, []
        if len(staged) <= self.direct_limit:
            return staged
        newest: dict[int, int] = {}
        for i, r in enumerate(staged):
            newest[r.voice] = i
        keep = sorted(newest.values())
        self.counters.coalesced += len(staged) - len(keep)
        return [staged[i] for i in keep]

    # --- inference -----------------------------------------------------------------

    def warmup(self, models: ModelsLike | None = None) -> int:
        """Run every path at batch 1 and at the largest batch, so the first real request is not the slow one.

        ORT plans memory per input shape; doing it here keeps it off a request.
        Returns the idle-fill chunk for these models: as many positions as fit
        in FILL_BUDGET_MS, from the timing of a batch of 8 (kept for `models`
        only when they are the current ones).
        """
        m = models or self._models
        man = m.manifest
        per_image_ms = 1.0
        first = render_square(0, 0, man.square) if man.square is not None else \
            np.zeros((man.image_size, man.image_size), np.float32)
        for k in (1, max(self.direct_limit, self.voices), 8, 8):
            img = np.stack([first[None]] * k)
            t = time.perf_counter()
            m.invert(m.decode(m.map(m.encode_image(img))))
            per_image_ms = (time.perf_counter() - t) * 1e3 / k + 0.07   # + rendering the square
        chunk = int(max(1, min(32, FILL_BUDGET_MS // max(per_image_ms, 1e-3))))
        if models is None:
            self.fill_chunk = chunk
        return chunk

    def keep_warm(self) -> None:
        """One batch-1 pass through every network, results dropped: keeps their code and weights in cache.

        Why: on the machines measured, a batch-1 ORT call after ~10 ms of idling
        costs 5-10x one made right after another (docs/measurements.md, "The
        control path"); a performer's slider at 20 messages a second hits exactly
        that. Passing through the networks every few milliseconds while nothing
        else runs keeps the next request's path hot, for ~2 % of one core.
        """
        m = self._models
        image = frame_image(WARM_FRAME, m.manifest.image_size, m.manifest.square is not None)
        m.invert(m.decode(m.map(m.encode_image(image[None, None]))))
        self.counters.warm_passes += 1

    def fill(self) -> int:
        """Compute the next chunk of missing table entries (call only while idle); returns how many."""
        if not self.position_table or self._table.complete:
            return 0
        models, table = self._models, self._table
        positions = table.next_missing(self.fill_chunk)
        if not positions:
            return 0
        imgs = np.stack([render_square(x, y, models.manifest.square) for x, y in positions])[:, None]
        params = models.invert(models.decode(models.map(models.encode_image(imgs))))
        for (x, y), p in zip(positions, params):
            if np.isfinite(p).all():
                table.put(x, y, *map(float, p))
        return len(positions)

    def run(self, batch: list[Request], models: ModelsLike | None = None) -> list[Result]:
        """One batched pass: a `Result` per request, in order; never raises for a model's failure.

        The order in which requests are stacked per stage (images, then latent
        images, then latent sounds) is part of what `isudt render` promises:
        the same input gives byte-identical output.
        """
        models = models or self._models
        if not batch:
            return []
        table = self._table if self.position_table and models is self._models else None
        hits = self._lookup(batch, table)
        if models.manifest.square is None:   # no squares in this world (validation refuses them; a reload may not)
            for k, r in enumerate(batch):
                if isinstance(r, PositionRequest):
                    self.counters.errors += 1
                    hits[k] = Result(r, error=no_squares(models.manifest))
        todo = [r for k, r in enumerate(batch) if k not in hits] if hits else batch
        t0 = time.perf_counter()
        params, z_sound, failed = self._infer(todo, models)
        if params is not None:
            self.counters.batches += 1
            self.inference_ms.add((time.perf_counter() - t0) * 1e3)
        computed = iter([self._result(k, r, params, z_sound, failed) for k, r in enumerate(todo)])
        out = [hits[k] if k in hits else next(computed) for k in range(len(batch))]
        if table is not None:
            for res in out:
                r = res.request
                if isinstance(r, PositionRequest) and res.params is not None:
                    table.put(r.x, r.y, *res.params)
        return out

    def _lookup(self, batch: list[Request], table: PositionTable | None) -> dict[int, Result]:
        """The `/pictslider` requests the table answers, by index in the batch."""
        hits: dict[int, Result] = {}
        if table is None:
            return hits
        for k, r in enumerate(batch):
            if isinstance(r, PositionRequest):
                p = table.get(r.x, r.y)
                if p is not None:
                    hits[k] = Result(r, p)
        self.counters.table_hits += len(hits)
        self.counters.handled += len(hits)
        return hits

    def _infer(self, batch: list[Request], models: ModelsLike) -> tuple[dict[int, tuple[float, ...]] | None,
                                                                       dict[int, np.ndarray], str | None]:
        """(index -> params, index -> z_sound, failure) for the batch; None when nothing needed a model."""
        size = models.manifest.image_size
        square_world = models.manifest.square is not None
        images: list[np.ndarray] = []
        image_idx: list[int] = []
        z_img: list[np.ndarray] = []
        z_img_idx: list[int] = []
        z_snd: list[np.ndarray] = []
        z_snd_idx: list[int] = []
        for k, r in enumerate(batch):
            if isinstance(r, PositionRequest):
                images.append(render_square(r.x, r.y, models.manifest.square))
                image_idx.append(k)
            elif isinstance(r, FrameRequest):
                images.append(frame_image(r.pixels, size, square_world))
                image_idx.append(k)
            elif isinstance(r, LatentImageRequest):
                z_img.append(r.z)
                z_img_idx.append(k)
            elif isinstance(r, LatentSoundRequest):
                z_snd.append(r.z)
                z_snd_idx.append(k)
        if not (images or z_img or z_snd):
            return None, {}, None
        out: dict[int, tuple[float, ...]] = {}
        z_sound_out: dict[int, np.ndarray] = {}
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
            p = models.invert(models.decode(np.stack(z_snd)))
            for j, k in enumerate(z_snd_idx):
                out[k] = tuple(float(v) for v in p[j])
        except Exception as e:  # ORT errors (e.g. a shape that the new bundle does not take)
            reason = f"inference failed: {str(e).splitlines()[0][:120] if str(e) else e.__class__.__name__}"
            log.warning("%s", reason)
            return {}, {}, reason
        return out, z_sound_out, None

    def _result(self, k: int, r: Request, params: dict[int, tuple[float, ...]] | None,
                z_sound: dict[int, np.ndarray], failed: str | None) -> Result:
        if isinstance(r, VoiceOff):
            self.counters.handled += 1
            return Result(r)
        p = (params or {}).get(k)
        if p is None or not all(map(math.isfinite, p)):
            self.counters.errors += 1
            return Result(r, error=failed or "the model produced a non-finite result")
        self.counters.handled += 1
        zs = z_sound.get(k) if isinstance(r, LatentImageRequest) else None   # echoed for /latent/image only
        return Result(r, p, None if zs is None else tuple(float(v) for v in zs))

