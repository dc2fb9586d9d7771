"""Inference: staging (newest per voice wins beyond the direct limit, counted), batching, ordering, errors.

Fake models make the arithmetic visible (pitch = 60 + z0 after the mapper's
+1); one test runs the real bundle.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from isudt.daemon.messages import (FrameRequest, LatentImageRequest, LatentSoundRequest, PositionRequest,
                                   VoiceOff)
from isudt.daemon.pipeline import Pipeline, Result
from isudt.daemon.square import SquareSpec, render_square
from isudt.daemon.util import Ring, resize_area

@dataclass
class FakeManifest:
    image_size: int = 128
    square: SquareSpec = SquareSpec()


@dataclass
class FakeModels:
    """pitch = 60 + z0, dB = -10 + z1; images encode to (mean*100, 0)."""

    manifest: FakeManifest = field(default_factory=FakeManifest)
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
        if self.fail:
            raise RuntimeError("ORT said no")
        return z.copy()

    def invert(self, mel: np.ndarray) -> np.ndarray:
        return np.stack([60 + mel[:, 0] + self.offset, -10 + mel[:, 1]], 1).astype(np.float32)


class Harness:
    """The daemon's use of the pipeline in miniature: stage, take, run, play each result in order."""

    def __init__(self, models: FakeModels, voices: int = 4, direct_limit: int = 16, table: bool = False) -> None:
        self.played: list[tuple[int, float, float]] = []
        self.released: list[int] = []
        self.results: list[Result] = []
        self.p = Pipeline(models, voices, direct_limit=direct_limit, position_table=table)

    def flush(self) -> list[Result]:
        out = self.p.run(self.p.take())
        for r in out:
            if r.release:
                self.released.append(r.request.voice)
            elif r.params is not None:
                self.played.append((r.request.voice, *r.params))
        self.results += out
        return out

    @property
    def errors(self) -> list[tuple[str, str]]:
        return [(r.request.address, r.error) for r in self.results if r.error is not None]


def snd(voice: int, k: float, prefix: str = "") -> LatentSoundRequest:
    return LatentSoundRequest(voice, prefix, z=np.array([k, 0], np.float32), address=prefix + "/latent/sound",
                              reply_to=("127.0.0.1", 1))


def test_up_to_the_direct_limit_every_request_is_run_in_order() -> None:
    h = Harness(FakeModels(), direct_limit=4)
    for k in (1, 2, 3, 4):
        h.p.stage(snd(0, k))
    assert h.p.pending() == 4
    out = h.flush()
    assert [p for _, p, _ in h.played] == [61.0, 62.0, 63.0, 64.0]
    assert h.p.pending() == 0 and h.p.counters.coalesced == 0 and h.p.counters.handled == 4
    assert out[-1].params == (64.0, -10.0) and out[-1].request.reply_to == ("127.0.0.1", 1)


def test_beyond_the_direct_limit_the_newest_request_per_voice_wins_and_the_rest_are_counted() -> None:
    h = Harness(FakeModels(), voices=2, direct_limit=4)
    for k in range(10):                  # voices 0, 1, 0, 1, ...: the newest are k = 8 (voice 0) and 9 (voice 1)
        h.p.stage(snd(k % 2, k))
    h.flush()
    assert h.played == [(0, 68.0, -10.0), (1, 69.0, -10.0)]
    assert h.p.counters.coalesced == 8 and h.p.counters.handled == 2 and h.p.counters.batches == 1


def test_pending_voices_run_as_one_batch() -> None:
    m = FakeModels()
    h = Harness(m, voices=8)
    for v in range(8):
        h.p.stage(snd(v, v, f"/voice/{v}" if v else ""))
    h.flush()
    assert ("decode", 8) in m.calls and h.p.counters.batches == 1
    assert sorted(v for v, _, _ in h.played) == list(range(8))
    assert {r.request.prefix for r in h.results} == {""} | {f"/voice/{v}" for v in range(1, 8)}


def test_mixed_batch_encodes_once_and_maps_once() -> None:
    m = FakeModels()
    h = Harness(m, voices=4)
    h.p.stage(snd(3, 0))
    h.p.stage(PositionRequest(0, x=10, y=20, address="/pictslider"))
    h.p.stage(FrameRequest(1, "/voice/1", pixels=np.full((64, 64), 255, np.uint8), address="/voice/1/frame"))
    h.p.stage(LatentImageRequest(2, "/voice/2", z=np.array([0.5, 0.25], np.float32), address="/voice/2/latent/image"))
    out = h.flush()
    assert m.calls == [("encode", 2), ("map", 3), ("decode", 4)]
    by_voice = {v: p for v, p, _ in h.played}
    assert by_voice[1] == pytest.approx(60 + 100 + 1)           # white frame: mean 1 -> z0 100, +1 from map
    assert by_voice[2] == pytest.approx(61.5) and by_voice[3] == 60.0
    assert out[3].z_sound == (1.5, 1.25) and out[0].z_sound is out[1].z_sound is out[2].z_sound is None


def test_voice_off_keeps_its_place_and_replaces_what_it_follows_under_load() -> None:
    h = Harness(FakeModels(), direct_limit=4)
    h.p.stage(snd(1, 1, "/voice/1"))
    h.p.stage(VoiceOff(1, "/voice/1"))
    h.flush()
    assert [p for _, p, _ in h.played] == [61.0] and h.released == [1]      # played, then released: in order
    for k in range(5):                                                      # beyond the limit: the off is newest
        h.p.stage(snd(1, k, "/voice/1"))
    h.p.stage(VoiceOff(1, "/voice/1"))
    h.flush()
    assert h.released == [1, 1] and len(h.played) == 1 and h.p.counters.coalesced == 5
    assert h.p.counters.handled == 3


def test_inference_errors_are_results_and_the_next_run_goes_on() -> None:
    m = FakeModels(fail=True)
    h = Harness(m)
    h.p.stage(snd(0, 1))
    h.p.stage(VoiceOff(2, "/voice/2"))
    h.flush()
    assert h.errors == [("/latent/sound", "inference failed: ORT said no")] and not h.played
    assert h.released == [2]                                                # a release needs no model
    m.fail = False
    h.p.stage(snd(0, 2))
    h.flush()
    assert h.played == [(0, 62.0, -10.0)] and h.p.counters.errors == 1 and h.p.counters.handled == 2


def test_non_finite_model_output_is_not_played() -> None:
    h = Harness(FakeModels(offset=float("nan")))
    h.p.stage(snd(0, 1))
    h.flush()
    assert not h.played and h.errors and "non-finite" in h.errors[0][1]


def test_a_flood_stays_bounded_and_the_last_input_wins() -> None:
    h = Harness(FakeModels(), voices=2)
    n, per_drain = 20000, 500
    peak = 0
    for k in range(n):
        h.p.stage(snd(k % 2, k))
        peak = max(peak, h.p.pending())
        if k % per_drain == per_drain - 1:
            h.flush()
    c = h.p.counters
    assert peak <= per_drain and c.handled + c.coalesced == n and c.batches == n // per_drain
    assert h.played[-1][1] == 60 + n - 1


def test_swap_uses_the_new_models_from_the_next_run() -> None:
    h = Harness(FakeModels())
    h.p.stage(snd(0, 1))
    h.flush()
    h.p.swap(FakeModels(offset=12.0))
    h.p.stage(snd(0, 1))
    h.flush()
    assert [p for _, p, _ in h.played] == [61.0, 73.0]


SMALL = FakeManifest(image_size=16, square=SquareSpec(size=16, square=2, positions=6))


def encodes(m: FakeModels) -> int:
    return len([c for c in m.calls if c[0] == "encode"])


def test_positions_are_remembered_and_filled_per_bundle() -> None:
    m = FakeModels(manifest=SMALL)
    h = Harness(m, table=True)
    h.p.fill_chunk = 4
    while h.p.fill():                                   # what the server does while idle, a chunk at a time
        pass
    assert h.p.table.complete and h.p.table.filled == 36 and ("encode", 4) in m.calls
    n = encodes(m)
    for _ in range(3):
        h.p.stage(PositionRequest(0, x=5, y=2, address="/pictslider"))
        h.flush()
    assert encodes(m) == n and h.p.counters.table_hits == 3 and h.p.counters.handled == 3
    expect = m.invert(m.decode(m.map(m.encode_image(render_square(5, 2, SMALL.square)[None, None]))))[0]
    assert h.played[-1][1:] == pytest.approx(tuple(expect))
    h.p.swap(FakeModels(manifest=SMALL, offset=12.0))   # a new bundle: a new, empty table
    assert h.p.table.filled == 0
    h.p.stage(PositionRequest(0, x=5, y=2, address="/pictslider"))
    h.flush()
    assert h.played[-1][1] == pytest.approx(expect[0] + 12.0) and h.p.table.filled == 1


def test_a_batch_mixes_table_hits_and_computed_requests_in_order() -> None:
    m = FakeModels(manifest=SMALL)
    h = Harness(m, table=True)
    h.p.stage(PositionRequest(0, x=1, y=1, address="/pictslider"))
    h.flush()                                           # computed once, remembered
    h.p.stage(snd(1, 3, "/voice/1"))
    h.p.stage(PositionRequest(0, x=1, y=1, address="/pictslider"))
    h.p.stage(PositionRequest(2, "/voice/2", x=2, y=2, address="/voice/2/pictslider"))
    out = h.flush()
    assert [r.request.voice for r in out] == [1, 0, 2] and h.p.counters.table_hits == 1
    assert out[1].params == h.results[0].params and m.calls[-3:] == [("encode", 1), ("map", 1), ("decode", 2)]


def test_without_the_table_every_position_is_computed() -> None:
    m = FakeModels(manifest=SMALL)
    h = Harness(m)
    for _ in range(2):
        h.p.stage(PositionRequest(0, x=1, y=1, address="/pictslider"))
        h.flush()
    assert encodes(m) == 2 and h.p.fill() == 0 and h.p.table.filled == 0 and h.p.counters.table_hits == 0


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


def test_real_bundle_end_to_end(bundle_dir) -> None:
    from isudt.daemon.bundle import open_bundle
    models = open_bundle(bundle_dir, "cpu")
    h = Harness(models, voices=2)
    h.p.warmup()
    man = models.manifest
    img = render_square(40, 80, man.square)
    expect = models.invert(models.decode(models.map(models.encode_image(img[None, None]))))[0]
    h.p.stage(PositionRequest(0, x=40, y=80, address="/pictslider"))
    h.flush()
    assert h.played[-1][1:] == pytest.approx(tuple(expect), abs=1e-4)
    # the same image as a uint8 blob at another size lands near the same place
    blob = np.round(img * 255).astype(np.uint8)
    h.p.stage(FrameRequest(1, "/voice/1", pixels=blob, address="/voice/1/frame"))
    h.flush()
    assert h.played[-1][0] == 1 and abs(h.played[-1][1] - expect[0]) < 1.0
    z = man.image_box.lo + 0.5 * (man.image_box.hi - man.image_box.lo)
    h.p.stage(LatentImageRequest(0, z=z.astype(np.float32), address="/latent/image"))
    (res,) = h.flush()
    assert res.params is not None and res.z_sound is not None and len(res.z_sound) == man.sound_latent


def test_keep_warm_passes_through_every_forward_network_and_plays_nothing() -> None:
    h = Harness(FakeModels())
    h.p.keep_warm()
    h.p.keep_warm()
    assert h.p.counters.warm_passes == 2
    assert [c for c, _ in h.p.models.calls] == ["encode", "map", "decode"] * 2
    assert h.played == [] and h.p.counters.handled == 0 and h.p.pending() == 0


@pytest.mark.parametrize("name", ["square-sine", "digits-fm"])
def test_keep_warm_runs_the_real_bundles(name: str) -> None:
    from isudt.daemon.bundle import open_bundle, shipped_bundles
    p = Pipeline(open_bundle(shipped_bundles()[name], "cpu"), 2)
    p.keep_warm()
    assert p.counters.warm_passes == 1 and p.counters.errors == 0
