"""The way back (docs/contracts.md, section 3) without audio hardware: listen.py's analysis, the /image addresses and their /errors."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from isudt.daemon.bundle import NO_WAY_BACK, open_bundle
from isudt.daemon.listen import (ALIGN_SAMPLES, Listener, Seen, WayBack, align_window, level_db,
                                 picture_of, samples_at, window_start)
from isudt.daemon.mel import DEFAULT_MEL, front_end, midi_to_hz, sine

SR = DEFAULT_MEL.sample_rate
N = DEFAULT_MEL.n_samples


@pytest.fixture(scope="module")
def way_back(bundle_dir: Path) -> WayBack:
    return WayBack(open_bundle(bundle_dir, "cpu", way_back=True), picture_size=64, picture_list=True)


def tone(pitch: float, db: float, n: int, phase: float = 0.0) -> np.ndarray:
    t = np.arange(n) / SR
    return (10 ** (db / 20) * np.sin(2 * np.pi * midi_to_hz(pitch) * t + phase)).astype(np.float32)


class FakeInput:
    """`Engine.read_input` over a buffer the test sets; `total` advances on every read unless frozen."""

    def __init__(self) -> None:
        self.signal = np.zeros(N + ALIGN_SAMPLES, np.float32)
        self.total = 0
        self.frozen = False

    def __call__(self, n: int) -> tuple[np.ndarray, int]:
        if not self.frozen:
            self.total += 1920
        return self.signal[-n:].copy(), self.total


def listener(way_back: WayBack, inp: FakeInput) -> tuple[Listener, list[tuple[Seen | None, float]]]:
    heard: list[tuple[Seen | None, float]] = []
    return Listener(inp, lambda: way_back, lambda s, lvl: heard.append((s, lvl)), 25.0, -60.0), heard


# ------------------------------------------------------------------ level and window
def test_level_reads_a_sine_in_db_and_silence_as_the_floor() -> None:
    assert abs(level_db(tone(60, -12, N)) - -12.0) < 0.05
    assert level_db(np.zeros(N, np.float32)) == -120.0


@pytest.mark.parametrize("phase", [0.3, 1.9, 3.5, 5.9])
def test_window_starts_at_an_upward_zero_crossing(phase: float) -> None:
    x = tone(50, -6, N + ALIGN_SAMPLES, phase)
    s = window_start(x, N)
    period = SR / midi_to_hz(50)
    assert x[s - 1] < 0 <= x[s] and ALIGN_SAMPLES - period < s <= ALIGN_SAMPLES   # the newest crossing
    w = align_window(x, N)
    assert len(w) == N and abs(w[0]) < 1e-3 and w[1] > 0      # starts at phase 0, going up (to a sample fraction)
    assert window_start(np.ones(N + 10, np.float32), N) == 10                      # no crossing: the newest


def test_samples_at_is_the_input_ring_then() -> None:
    """Offline (render --to-image), the input at a sample: the n before it, zeros before the file starts."""
    x = np.arange(1.0, 11.0)
    assert samples_at(x, 10, 4).tolist() == [7, 8, 9, 10] and samples_at(x, 3, 5).tolist() == [0, 0, 1, 2, 3]
    assert samples_at(x, 0, 2).tolist() == [0, 0]


def test_picture_is_area_averaged() -> None:
    img = np.zeros((128, 128), np.float32)
    img[:2, :2] = 1.0
    p = picture_of(img, 64)
    assert p.dtype == np.uint8 and p.shape == (64, 64) and p[0, 0] == 255 and p.sum() == 255
    assert picture_of(img, 48)[0, 0] > 0


def test_the_way_back_does_not_import_the_forward_pipeline() -> None:
    """listen.py takes its ring and its resize from daemon/util.py, not from pipeline.py."""
    import subprocess
    import sys
    code = "import sys, isudt.daemon.listen; print('isudt.daemon.pipeline' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# ------------------------------------------------------------------- the way back
def test_image_sine_is_the_evaluations_round_trip(way_back: WayBack) -> None:
    """/image/sine makes the mel as models/evaluate.py does and reads the position as the manifest says."""
    from isudt.models.evaluate import load_position_table, recover, sine_mels

    pitch, db = np.array([45.0, 60.0, 72.5, 80.0]), np.array([-18.0, -6.0, -10.0, -1.0])
    models = way_back.models
    _, pos = recover(models, sine_mels(pitch, db), load_position_table(models), models.manifest.square.positions)
    for k in range(len(pitch)):
        seen = way_back.from_sine(float(pitch[k]), float(db[k]))
        assert (seen.x, seen.y) == tuple(pos[k])
        assert seen.picture.shape == (64, 64) and seen.small is not None and seen.small.shape == (32, 32)


def test_silence_is_said_once_per_silence(way_back: WayBack) -> None:
    inp = FakeInput()
    lis, heard = listener(way_back, inp)
    for _ in range(5):
        assert lis.analyse_once() is None
    assert [s for s, _ in heard] == [None] and lis.counters.silent_frames == 5 and lis.counters.analyses == 0
    inp.signal[:] = tone(60, -12, len(inp.signal), 1.0)
    assert lis.analyse_once() is not None
    inp.signal[:] = tone(60, -70, len(inp.signal))      # below -60 dB: silence again, said once more
    lis.analyse_once(), lis.analyse_once()
    assert [s is None for s, _ in heard] == [True, False, True] and lis.counters.silences == 2
    assert heard[-1][1] < -60 and lis.counters.silent_frames == 7


def test_a_heard_sine_gives_the_square_of_image_sine(way_back: WayBack) -> None:
    """A live sine at any phase is read at the phase the models know: the same square as /image/sine."""
    inp = FakeInput()
    lis, heard = listener(way_back, inp)
    rng = np.random.default_rng(3)
    for pitch, db in [(50.0, -12.0), (62.0, -4.0), (75.0, -15.0), (68.0, -8.0)]:
        inp.signal[:] = tone(pitch, db, len(inp.signal), float(rng.uniform(0, 2 * np.pi)))
        seen = lis.analyse_once()
        want = way_back.from_sine(pitch, db)
        assert seen is not None and np.hypot(seen.x - want.x, seen.y - want.y) <= 1.0, (pitch, db, seen, want)
    assert lis.counters.analyses == 4 and abs(lis.counters.level_db - -8.0) < 0.1


def test_no_new_input_is_not_analysed_again(way_back: WayBack) -> None:
    inp = FakeInput()
    inp.signal[:] = tone(60, -12, len(inp.signal))
    lis, heard = listener(way_back, inp)
    lis.analyse_once()
    inp.frozen = True
    lis.analyse_once()
    assert lis.counters.analyses == 1 and lis.counters.stale == 1 and len(heard) == 1


# ------------------------------------------------------------------- the daemon
def test_image_addresses_answer_and_refuse(daemon_factory: Any) -> None:
    d = daemon_factory({"listen": {"picture_size": 32, "picture_list": True}})
    c = d.client()
    c.send("/image/sine", 60, -12)
    got = c.drain(0.3)
    assert [m for m, _ in got] == ["/square", "/image/latent", "/picture", "/picture/list"]
    square, z, pic, lst = (a for _, a in got)
    assert all(0 <= v <= 125 and float(v).is_integer() for v in square) and len(z) == 2
    assert pic[:2] == [32, 32] and isinstance(pic[2], bytes) and len(pic[2]) == 32 * 32
    assert lst[:2] == [32, 32] and len(lst) == 2 + 32 * 32 and all(0 <= v <= 1 for v in lst[2:])
    # the same sine as the client's own mel vector, and its latent: the same square
    mel = front_end()(sine(60, 10 ** (-12 / 20)))
    assert c.request("/image/mel", *map(float, mel), reply="/square") == square
    assert c.request("/image/latent/sound", 0.1, 0.2, reply="/square") is not None
    c.drain(0.2)
    refusals = {
        ("/image/sine", (60,)): "expects pitch dB, got 1 argument",
        ("/image/sine", (float("nan"), -6)): "NaN",
        ("/image/sine", (60, "loud")): "dB must be a number",
        ("/image/mel", tuple([0.5] * 63)): "expects a mel vector of 64 values, got 63",
        ("/image/mel", tuple([0.5] * 63 + [float("inf")])): "NaN and infinity",
        ("/image/latent/sound", (0.1,)): "expects 2 latent coordinates",
        ("/image/latent/sound", (0.1, float("nan"))): "NaN",
        ("/image/listen", ()): "expects 1 (listen) or 0 (stop)",
        ("/image/listen", (1,)): "no audio input is configured: start the daemon with --input DEVICE",
    }
    for (address, args), reason in refusals.items():
        err = c.request(address, *args, reply="/error")
        assert err[0] == address and reason in err[1], (address, err)
    st = d.status()
    assert st["errors"] == len(refusals) and st["way_back"] == 1 and st["listening"] == 0
    assert st["input_device"] == "none" and st["analyses"] == 0 and st["silent_frames"] == 0
    c.send("/image/listen", 0)                   # stopping what does not run: fine, and no reply
    assert c.drain(0.2) == []


def test_a_bundle_without_the_way_back_says_so(daemon_factory: Any, bundle_dir: Path, tmp_path: Path) -> None:
    b = tmp_path / "forward-only"
    shutil.copytree(bundle_dir, b, ignore=shutil.ignore_patterns("__*", "reverse_mapper.onnx", "position_table.npz"))
    man = yaml.safe_load((b / "manifest.yaml").read_text())
    for role in ("reverse_mapper", "position_table"):
        man["files"].pop(role, None)
    (b / "manifest.yaml").write_text(yaml.safe_dump(man, sort_keys=False))
    d = daemon_factory({"bundle": {"path": str(b)}})
    c = d.client()
    for address, args in [("/image/sine", (60, -12)), ("/image/mel", tuple([0.5] * 64)),
                          ("/image/latent/sound", (0.0, 0.0)), ("/image/listen", (1,))]:
        assert c.request(address, *args, reply="/error") == [address, NO_WAY_BACK]
    assert c.request("/pictslider", 40, 80) is not None      # the forward direction is unaffected
    assert d.status()["way_back"] == 0
