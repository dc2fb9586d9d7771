"""The inference worker: newest-wins slots (coalescing, counted), batching across voices, ordering, errors.

Fake models make the worker's timing controllable (a gate holds a batch in
flight while the test submits more); one test runs the real bundle.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from isudt.daemon.messages import (FrameRequest, LatentImageRequest, LatentSoundRequest, PositionRequest,
                                   VoiceOff)
from isudt.daemon.osc_server import decode_packet
from isudt.daemon.pipeline import Pipeline, Ring, resize_area
from isudt.daemon.square import SquareSpec, render_square

TIMEOUT = 5.0


@dataclass
class FakeManifest:
    image_size: int = 128
    square: SquareSpec = SquareSpec()


@dataclass
class FakeModels:
    """pitch = 60 + z0, dB = -10 + z1; images encode to (mean*100, 0). `gate` holds decode until set."""

    manifest: FakeManifest = field(default_factory=FakeManifest)
    gate: threading.Event | None = None
    entered: threading.Event = field(default_factory=threading.Event)
    calls: list[tuple[str, int]] = field(default_factory=list)
    fail: bool = False
    offset: float = 0.0

    def encode_image(self, images: np.ndarray) -> np.ndarray:
        self.calls.append(("encode", len(images)))
        return np.stack([images.reshape(len(images), -1).mean(1) * 100, np.zeros(len(images))], 1).astype(np.float32)

    def map(self, z: np.ndarray) -> np.ndarray:
        self.calls.append(("map", len(z)))
        return z + 1.0

    def decode(self, z: np.ndarray) -> np.ndarray:
        self.calls.append(("decode", len(z)))
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(TIMEOUT)
        if self.fail:
            raise RuntimeError("ORT said no")
        return z.copy()

    def invert(self, mel: np.ndarray) -> np.ndarray:
        return np.stack([60 + mel[:, 0] + self.offset, -10 + mel[:, 1]], 1).astype(np.float32)


class Harness:
    def __init__(self, models: FakeModels, voices: int = 4, cache: bool = False) -> None:
        self.played: list[tuple[int, float, float]] = []
        self.released: list[int] = []
        self.replies: list[tuple[str, list, Any]] = []
        self.errors: list[tuple[str, str]] = []
        self.p = Pipeline(models, voices, set_voice=lambda v, p, d: self.played.append((v, p, d)),
                          release_voice=self.released.append, reply=self.reply,
                          error=lambda a, r, s: self.errors.append((a, r)), position_table=cache)
        self.p.start()

    def reply(self, data: bytes, sender: Any) -> None:
        (address, args), = decode_packet(data)
        self.replies.append((address, args, sender))

    def idle(self) -> None:
        assert self.p.wait_idle(TIMEOUT)
        time.sleep(0.01)
        assert self.p.wait_idle(TIMEOUT)

    def close(self) -> None:
        self.p.stop(1.0)


@pytest.fixture
def harness():
    made: list[Harness] = []

    def make(models: FakeModels, **kw: Any) -> Harness:
        h = Harness(models, **kw)
        made.append(h)
        return h

    yield make
    for h in made:
        h.close()


def snd(voice: int, k: float, prefix: str = "") -> LatentSoundRequest:
    return LatentSoundRequest(voice, prefix, z=np.array([k, 0], np.float32), address=prefix + "/latent/sound",
                              reply_to=("127.0.0.1", 1))


def test_newest_request_per_voice_wins_and_replaced_ones_are_counted(harness) -> None:
    gate = threading.Event()
    m = FakeModels(gate=gate)
    h = harness(m)
    h.p.submit(snd(0, 1))                 # taken at once, held in flight by the gate
    assert m.entered.wait(TIMEOUT)
    for k in (2, 3, 4, 5):                # all wait in voice 0's slot: 2, 3, 4 are replaced
        h.p.submit(snd(0, k))
    assert h.p.pending() == 2             # one in flight, one waiting: bounded whatever the rate
    gate.set()
    h.idle()
    assert [p for _, p, _ in h.played] == [61.0, 65.0]
    assert h.p.counters.coalesced == 3 and h.p.counters.handled == 2
    assert [a for a, _, _ in h.replies] == ["/sineparams", "/sineparams"]
    assert h.replies[-1][1] == [65.0, -10.0] and h.replies[-1][2] == ("127.0.0.1", 1)


def test_pending_voices_run_as_one_batch(harness) -> None:
    gate = threading.Event()
    m = FakeModels(gate=gate)
    h = harness(m, voices=8)
    h.p.submit(snd(0, 0))
    assert m.entered.wait(TIMEOUT)
    for v in range(1, 8):
        h.p.submit(snd(v, v, f"/voice/{v}"))
    gate.set()
    h.idle()
    assert ("decode", 7) in m.calls and h.p.counters.batches == 2
    assert sorted(v for v, _, _ in h.played) == list(range(8))
    assert {a for a, _, _ in h.replies} == {"/sineparams"} | {f"/voice/{v}/sineparams" for v in range(1, 8)}


def test_mixed_batch_encodes_once_and_maps_once(harness) -> None:
    gate = threading.Event()
    m = FakeModels(gate=gate)
    h = harness(m, voices=4)
    h.p.submit(snd(3, 0))
    assert m.entered.wait(TIMEOUT)
    h.p.submit(PositionRequest(0, x=10, y=20, address="/pictslider"))
    h.p.submit(FrameRequest(1, "/voice/1", pixels=np.full((64, 64), 255, np.uint8), address="/voice/1/frame"))
    h.p.submit(LatentImageRequest(2, "/voice/2", z=np.array([0.5, 0.25], np.float32), address="/voice/2/latent/image"))
    gate.set()
    h.idle()
    assert m.calls[-3:] == [("encode", 2), ("map", 3), ("decode", 3)]
    by_voice = {v: p for v, p, _ in h.played}
    assert by_voice[1] == pytest.approx(60 + 100 + 1)           # white frame: mean 1 -> z0 100, +1 from map
    assert by_voice[2] == pytest.approx(61.5)
    latent = [r for r in h.replies if r[0] == "/voice/2/latent/sound"]
    assert latent and latent[0][1] == [1.5, 1.25]


def test_voice_off_cannot_overtake_and_replaces_a_waiting_request(harness) -> None:
    gate = threading.Event()
    m = FakeModels(gate=gate)
    h = harness(m)
    h.p.submit(snd(1, 1))
    assert m.entered.wait(TIMEOUT)
    h.p.submit(snd(1, 2))
    h.p.submit(VoiceOff(1, "/voice/1"))
    gate.set()
    h.idle()
    assert [p for _, p, _ in h.played] == [61.0] and h.released == [1]
    assert h.p.counters.coalesced == 1 and h.p.counters.handled == 2


SMALL = FakeManifest(image_size=16, square=SquareSpec(size=16, square=2, positions=6))


def wait_until(cond, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


def test_positions_are_remembered_and_precomputed_per_bundle(harness) -> None:
    m = FakeModels(manifest=SMALL)
    h = harness(m, cache=True)
    h.p.fill_chunk = 4
    wait_until(lambda: h.p.table.complete)              # idle fill: 36 positions in chunks of 4
    assert h.p.table.filled == 36 and ("encode", 4) in m.calls
    n_encode = len([c for c in m.calls if c[0] == "encode"])
    for _ in range(3):
        h.p.submit(PositionRequest(0, x=5, y=2, address="/pictslider"))
        h.idle()
    assert len([c for c in m.calls if c[0] == "encode"]) == n_encode and h.p.counters.table_hits == 3
    expect = m.invert(m.decode(m.map(m.encode_image(render_square(5, 2, SMALL.square)[None, None]))))[0]
    assert h.played[-1][1:] == pytest.approx(tuple(expect))
    first = h.played[-1]
    h.p.swap(FakeModels(manifest=SMALL, offset=12.0))   # a new bundle: a new table
    h.p.submit(PositionRequest(0, x=5, y=2, address="/pictslider"))
    h.idle()
    assert h.played[-1][1] == pytest.approx(first[1] + 12.0)
    wait_until(lambda: h.p.table.complete)


def test_inference_errors_are_answered_and_the_worker_goes_on(harness) -> None:
    m = FakeModels(fail=True)
    h = harness(m)
    h.p.submit(snd(0, 1))
    h.idle()
    assert h.errors == [("/latent/sound", "inference failed: ORT said no")] and not h.played
    m.fail = False
    h.p.submit(snd(0, 2))
    h.idle()
    assert h.played == [(0, 62.0, -10.0)] and h.p.counters.errors == 1 and h.p.counters.handled == 1


def test_non_finite_model_output_is_not_played(harness) -> None:
    m = FakeModels(offset=float("nan"))
    h = harness(m)
    h.p.submit(snd(0, 1))
    h.idle()
    assert not h.played and h.errors and "non-finite" in h.errors[0][1]


def test_a_flood_stays_bounded_and_the_last_input_wins(harness) -> None:
    m = FakeModels()
    h = harness(m, voices=2)
    n = 20000
    peak = 0
    for k in range(n):
        h.p.submit(snd(k % 2, k))
        peak = max(peak, h.p.pending())
    h.idle()
    c = h.p.counters
    assert peak <= 4 and c.handled + c.coalesced == n
    assert h.played[-1][1] == 60 + n - 1 or h.played[-2][1] == 60 + n - 1


def test_ring_percentiles() -> None:
    r = Ring(100)
    assert r.percentiles(50) == [0.0]
    for v in range(1, 301):
        r.add(float(v))
    p50, p99 = r.percentiles(50, 99)
    assert 240 <= p50 <= 260 and p99 >= 295


def test_resize_area() -> None:
    a = np.arange(16, dtype=np.float32).reshape(4, 4)
    assert resize_area(a, 4) is not None and np.array_equal(resize_area(a, 4), a)
    half = resize_area(a, 2)
    assert half.tolist() == [[2.5, 4.5], [10.5, 12.5]]                   # 2x2 box means
    up = resize_area(np.array([[0, 1], [2, 3]], np.float32), 4)
    assert up.tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]   # nearest
    wide = resize_area(np.ones((3, 300), np.float32), 128)
    assert wide.shape == (128, 128) and np.allclose(wide, 1.0)
    big = resize_area(np.random.default_rng(0).random((256, 256)).astype(np.float32), 128)
    assert big.shape == (128, 128) and 0 <= big.min() and big.max() <= 1


def test_real_bundle_end_to_end(harness, bundle_dir) -> None:
    from isudt.daemon.bundle import open_bundle
    models = open_bundle(bundle_dir, "cpu")
    h = harness(models, voices=2)
    h.p.warmup()
    man = models.manifest
    img = render_square(40, 80, man.square)
    expect = models.invert(models.decode(models.map(models.encode_image(img[None, None]))))[0]
    h.p.submit(PositionRequest(0, x=40, y=80, address="/pictslider"))
    h.idle()
    assert h.played[-1][1:] == pytest.approx(tuple(expect), abs=1e-4)
    # the same image as a uint8 blob at another size lands near the same place
    blob = np.round(img * 255).astype(np.uint8)
    h.p.submit(FrameRequest(1, "/voice/1", pixels=blob, address="/voice/1/frame"))
    h.idle()
    assert h.played[-1][0] == 1 and abs(h.played[-1][1] - expect[0]) < 1.0
    z = man.image_box.lo + 0.5 * (man.image_box.hi - man.image_box.lo)
    h.p.submit(LatentImageRequest(0, z=z.astype(np.float32), address="/latent/image"))
    h.idle()
    assert [a for a, _, _ in h.replies[-2:]] == ["/sineparams", "/latent/sound"]
    assert len(h.replies[-1][1]) == man.sound_latent


def test_table_hits_are_answered_on_the_loop_unless_the_voice_is_busy(harness) -> None:
    gate = threading.Event()
    m = FakeModels(manifest=SMALL)
    h = harness(m, cache=True)
    h.p.fill_chunk = 8
    wait_until(lambda: h.p.table.complete)
    req = PositionRequest(0, x=1, y=1, address="/pictslider", t_received=time.perf_counter())
    assert h.p.answer_now(req)                              # no worker involved
    assert h.played[-1][0] == 0 and h.replies[-1][0] == "/sineparams"
    assert h.p.counters.answered_on_loop == 1 and h.p.loop_latency_ms.count == 1
    # voice 1 busy in the worker: the next /voice/1/pictslider must queue behind it, not overtake it
    m.gate = gate
    m.entered.clear()
    h.p.submit(snd(1, 7, "/voice/1"))
    assert m.entered.wait(TIMEOUT)
    assert not h.p.answer_now(PositionRequest(1, "/voice/1", x=2, y=2, address="/voice/1/pictslider"))
    h.p.submit(PositionRequest(1, "/voice/1", x=2, y=2, address="/voice/1/pictslider"))
    gate.set()
    h.idle()
    v1 = [p for v, p, _ in h.played if v == 1]
    assert v1[0] == 67.0 and len(v1) == 2                   # the latent first, then the position
    assert not h.p.answer_now(snd(0, 1))                    # only positions take this path
