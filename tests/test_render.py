"""`isudt render`: inputs -> the daemon's pipeline and synth -> a WAV file, checked by analysing the WAV.

Expected parameters come straight from the bundle (render_square -> encode ->
map -> decode -> invert), independently of the render code; the rendered
tone must match them within 10 cents and 1 dB (after master gain), measured
on each step's steady part (after the 30 ms fade-in / 10 ms glide).
"""
from __future__ import annotations

import json
import struct
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
import yaml

from isudt.daemon import render
from isudt.daemon.bundle import open_bundle
from isudt.daemon.square import render_square
from isudt.daemon.util import resize_area
from support.audio_analysis import dominant_pitch, level_db, tones

SR = 48000
CENTS = 0.10        # semitones
DB_TOL = 1.0


@pytest.fixture(scope="module")
def models(bundle_dir):
    return open_bundle(bundle_dir, "cpu", 1)


def predict_images(models, images: list[np.ndarray]) -> np.ndarray:
    """[N] images [H, W] in [0, 1] -> [N, 2] (MIDI pitch, dB), the plain model chain."""
    size = models.manifest.image_size
    x = np.stack([resize_area(im.astype(np.float32), size) for im in images])[:, None]
    return models.invert(models.decode(models.map(models.encode_image(x))))


def predict_positions(models, xy: list[tuple[int, int]]) -> np.ndarray:
    return predict_images(models, [render_square(x, y, models.manifest.square) for x, y in xy])


def run_render(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "isudt.daemon.cli", "render", "--quiet", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def read_wav(path: Path) -> np.ndarray:
    """PCM16/24 WAV -> float64 [frames, channels]."""
    with wave.open(str(path)) as w:
        assert w.getframerate() == SR
        raw, width, ch = w.readframes(w.getnframes()), w.getsampwidth(), w.getnchannels()
    if width == 2:
        return np.frombuffer(raw, "<i2").reshape(-1, ch) / 32767.0
    b = np.frombuffer(raw, np.uint8).reshape(-1, 3)
    ints = (b[:, 0].astype(np.int32) | (b[:, 1].astype(np.int32) << 8) | (b[:, 2].astype(np.int32) << 16))
    ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
    return (ints / 8388607.0).reshape(-1, ch)


def segment(x: np.ndarray, start: float, stop: float) -> np.ndarray:
    return x[int(start * SR):int(stop * SR)]


def assert_tone(seg: np.ndarray, pitch: float, db: float, what: str) -> None:
    got_p, got_db = dominant_pitch(seg, SR), level_db(seg)
    assert abs(got_p - pitch) < CENTS, f"{what}: pitch {got_p:.3f}, expected {pitch:.3f}"
    assert abs(got_db - db) < DB_TOL, f"{what}: level {got_db:.2f} dB, expected {db:.2f}"


def write_config(tmp_path: Path, synth: dict) -> Path:
    p = tmp_path / "render.yaml"
    p.write_text(yaml.safe_dump({"synth": synth}))
    return p


POSITIONS = [(5, 5), (60, 100), (120, 30)]


def write_positions(path: Path) -> Path:
    path.write_text("x,y\n" + "".join(f"{x},{y}\n" for x, y in POSITIONS))
    return path


# --- what the WAV sounds like -------------------------------------------------------------------

@pytest.mark.process
def test_positions_play_the_predicted_tones(tmp_path: Path, models) -> None:
    """3 positions held 0.5 s each (fps 2), master gain -6 dB: each steady part matches invert's output."""
    expected = predict_positions(models, POSITIONS)
    gain = -6.0
    out = tmp_path / "pos.wav"
    r = run_render(write_positions(tmp_path / "pos.csv"), out, "--fps", 2,
                   "--config", write_config(tmp_path, {"gain_db": gain}))
    assert r.returncode == 0, r.stderr
    x = read_wav(out)
    assert x.shape[1] == 2 and np.array_equal(x[:, 0], x[:, 1])
    assert len(x) >= 1.5 * SR
    for i, (pitch, db) in enumerate(expected):
        assert_tone(segment(x, 0.5 * i + 0.06, 0.5 * i + 0.46), float(pitch), float(db) + gain, f"step {i}")
    assert np.max(np.abs(x[-64:])) < 1e-3, "the file must end faded out, not with a click"


@pytest.mark.process
def test_same_input_gives_identical_bytes(tmp_path: Path) -> None:
    csv_path = write_positions(tmp_path / "pos.csv")
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    assert run_render(csv_path, a, "--fps", 7).returncode == 0
    assert run_render(csv_path, b, "--fps", 7).returncode == 0
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.process
def test_an_fm_bundle_renders_fm_deterministically(tmp_path: Path) -> None:
    """`--bundle digits-fm`: each step's steady part is the FM (fm_wave, alias guard included) the models ask
    for, at the bundle's FM level; the same input gives the same bits; --params has the synth's columns."""
    import soundfile as sf

    from isudt.daemon.synths import FM, fm_wave

    fm = open_bundle("digits-fm", "cpu", 1)
    zs = [(-1.54, -2.82, -0.42), (1.63, -2.82, 2.16)]     # a rich FM tone, and one the alias guard tames
    want = fm.invert(fm.decode(fm.map(np.asarray(zs, np.float32)))).astype(np.float64)
    csv_path = tmp_path / "z.csv"
    csv_path.write_text("image_z0,image_z1,image_z2\n" + "".join(",".join(map(str, z)) + "\n" for z in zs))
    a, b, params = tmp_path / "a.wav", tmp_path / "b.wav", tmp_path / "p.csv"
    r = run_render(csv_path, a, "--bundle", "digits-fm", "--fps", 2, "--format", "float32", "--params", params)
    assert r.returncode == 0, r.stderr
    assert run_render(csv_path, b, "--bundle", "digits-fm", "--fps", 2, "--format", "float32").returncode == 0
    assert a.read_bytes() == b.read_bytes()
    assert params.read_text().splitlines()[0] == "time,voice,pitch,ratio,index,origin"
    x, sr = sf.read(str(a))
    assert sr == SR

    def spectrum(v: np.ndarray) -> np.ndarray:
        mag = np.abs(np.fft.rfft((v - v.mean()) * np.hanning(len(v))))
        return mag[np.fft.rfftfreq(len(v), 1.0 / SR) <= 8000.0]

    for i, p in enumerate(want):
        seg = segment(x, 0.5 * i + 0.1, 0.5 * i + 0.45)[:, 0]
        ref = fm_wave(p[0], p[1], p[2], len(seg), SR)[0]
        assert np.corrcoef(spectrum(seg), spectrum(ref))[0, 1] >= 0.99, f"step {i}"
        assert abs(level_db(seg) - FM.level_db) < DB_TOL, f"step {i}"
    # and back: a world without squares has no position to read, only the decoded digit at its own size
    gif = tmp_path / "back.gif"
    r = run_render("--to-image", a, gif, "--bundle", "digits-fm", "--fps", 10)
    assert r.returncode == 0, r.stderr
    rows = (tmp_path / "back.csv").read_text().splitlines()
    assert rows[0] == "time,x,y,level_db,silent" and all(row.split(",")[1:3] == ["", ""] for row in rows[1:])
    from PIL import Image
    with Image.open(gif) as im:
        assert im.size[0] % 32 == 0 and im.size[0] == im.size[1]
    r = run_render("--to-image", a, tmp_path / "sq.gif", "--bundle", "digits-fm", "--picture", "square")
    assert r.returncode == 2 and "has no squares" in r.stderr


def write_pgm(path: Path, img: np.ndarray, binary: bool, maxval: int) -> np.ndarray:
    """Write a greymap; returns the image as the file holds it (quantised)."""
    q = np.rint(img * maxval).astype(np.int64)
    h, w = q.shape
    if binary:
        dtype = ">u2" if maxval > 255 else np.uint8
        path.write_bytes(f"P5\n# made by test_render\n{w} {h}\n{maxval}\n".encode() + q.astype(dtype).tobytes())
    else:
        body = "\n".join(" ".join(map(str, row)) for row in q)
        path.write_text(f"P2\n{w} {h}\n# comment\n{maxval}\n{body}\n")
    return (q / maxval).astype(np.float32)


@pytest.mark.process
def test_folder_of_images(tmp_path: Path, models) -> None:
    """.npy, P5 (16 bit, and at half size: resized like /frame) and P2, in natural order (frame2 < frame10)."""
    spec = models.manifest.square
    folder = tmp_path / "frames"
    folder.mkdir()
    a = render_square(10, 100, spec)
    np.save(folder / "frame1.npy", a)
    b = write_pgm(folder / "frame2.pgm", render_square(64, 64, spec)[::2, ::2], binary=True, maxval=65535)
    c = write_pgm(folder / "frame10.pgm", render_square(110, 20, spec), binary=False, maxval=255)
    (folder / "notes.txt").write_text("not an image: ignored\n")
    expected = predict_images(models, [a, b, c])
    out = tmp_path / "frames.wav"
    r = run_render(folder, out, "--fps", 2, "--params", tmp_path / "p.csv",
                   "--config", write_config(tmp_path, {"gain_db": -6.0}))  # keeps loud tones off the limiter
    assert r.returncode == 0, r.stderr
    assert "3 steps" in r.stdout
    origins = [line.split(",")[-1] for line in (tmp_path / "p.csv").read_text().splitlines()[1:]]
    assert origins == ["frame1.npy", "frame2.pgm", "frame10.pgm"]
    x = read_wav(out)
    for i, (pitch, db) in enumerate(expected):
        assert_tone(segment(x, 0.5 * i + 0.06, 0.5 * i + 0.46), float(pitch), float(db) - 6.0, f"image {i}")


@pytest.mark.process
def test_latent_csv_with_voice_and_time_is_clamped_like_the_daemon(tmp_path: Path, models) -> None:
    """image_z rows (unsorted times, two voices, one point far outside the trained box) -> /voice/N/latent/image."""
    box = models.manifest.image_box
    inside = (box.lo + box.hi) / 2
    outside = box.hi + 10.0
    path = tmp_path / "lat.csv"
    path.write_text("time,voice,image_z0,image_z1\n"
                    f"0.5,1,{outside[0]},{outside[1]}\n"
                    f"0.0,0,{inside[0]},{inside[1]}\n")
    r = run_render(path, tmp_path / "lat.wav", "--params", tmp_path / "p.csv", "--voices", 2)
    assert r.returncode == 0, r.stderr
    rows = [line.split(",") for line in (tmp_path / "p.csv").read_text().splitlines()[1:]]
    assert [(float(t), int(v)) for t, v, *_ in rows] == [(0.0, 0), (0.5, 1)]
    want = models.invert(models.decode(models.map(np.stack([inside, box.hi]).astype(np.float32))))
    got = np.array([[float(p), float(d)] for _, _, p, d, _ in rows])
    np.testing.assert_allclose(got, want, atol=1e-4)


def session_lines(models) -> list[dict]:
    z1 = [float(v) for v in models.manifest.sound_box.lo]
    return [
        {"isudt_session": 1},
        {"t": 0.0, "address": "/pictslider", "args": [10, 20]},
        {"t": 0.0, "address": "/voice/1/latent/sound", "args": z1},
        {"t": 0.5, "address": "/voice/1/off", "args": []},
        {"t": 0.5, "address": "/no/such/thing", "args": [1]},
        {"t": 1.0, "address": "/gain", "args": [-12.0]},
        {"t": 1.5, "address": "/mute", "args": [1]},
        {"t": 1.5, "address": "/status", "args": []},
    ]


@pytest.mark.process
def test_recorded_session(tmp_path: Path, models) -> None:
    lines = session_lines(models)
    path = tmp_path / "session.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in lines) + "\n")
    out = tmp_path / "session.wav"
    r = run_render(path, out, "--tail", 0.5, "--config", write_config(tmp_path, {"gain_db": -6.0}))
    assert r.returncode == 0, r.stderr
    assert "1 message(s) skipped" in r.stderr and "/no/such/thing" in r.stderr
    (p0, d0), = predict_positions(models, [(10, 20)])
    (p1, d1), = models.invert(models.decode(np.array([lines[2]["args"]], np.float32)))
    x = read_wav(out)
    assert len(x) >= 2.0 * SR
    both = segment(x, 0.06, 0.46)
    if abs(p0 - p1) > 1.0:  # far enough apart to resolve both voices
        found = sorted(t.midi for t in tones(both, SR, 2))
        np.testing.assert_allclose(found, sorted([p0, p1]), atol=CENTS)
    assert_tone(segment(x, 0.56, 0.96), float(p0), float(d0) - 6.0, "voice 0 alone after /voice/1/off")
    assert_tone(segment(x, 1.06, 1.46), float(p0), float(d0) - 12.0, "after /gain -12 (was -6 from the config)")
    assert level_db(segment(x, 1.56, 1.96)) < -90.0, "after /mute 1"


@pytest.mark.process
def test_float32_and_pcm24(tmp_path: Path) -> None:
    csv_path = write_positions(tmp_path / "pos.csv")
    for fmt in ("pcm16", "pcm24", "float32"):
        assert run_render(csv_path, tmp_path / f"{fmt}.wav", "--format", fmt).returncode == 0
    ref = read_wav(tmp_path / "pcm16.wav")
    np.testing.assert_allclose(read_wav(tmp_path / "pcm24.wav"), ref, atol=1.5 / 32767)
    data = (tmp_path / "float32.wav").read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE" and struct.unpack("<I", data[4:8])[0] == len(data) - 8
    tag, ch, rate, _, align, bits = struct.unpack("<HHIIHH", data[20:36])
    assert (tag, ch, rate, align, bits) == (3, 2, SR, 8, 32)
    pos = data.index(b"data")
    n = struct.unpack("<I", data[pos + 4:pos + 8])[0]
    f = np.frombuffer(data[pos + 8:pos + 8 + n], "<f4").reshape(-1, 2)
    np.testing.assert_allclose(f, ref, atol=1.0 / 32767)


# --- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("body,words", [
    ("x,y\n10,20\n12,abc\n", ["row 2", "line 3", "y = 'abc'", "not a number"]),
    ("x,y\n130,5\n", ["row 1", "x = 130", "outside 0..125"]),
    ("x,y\n10\n", ["row 1", "expected 2 values"]),
    ("x,y,voice\n10,20,16\n", ["row 1", "voice = '16'", "--voices"]),   # 16 voices by default: 0..15
    ("image_z0,image_z1,image_z2\n1,2,3\n", ["2 dimensions", "image_z0, image_z1"]),
    ("a,b\n1,2\n", ["header a, b"]),
])
@pytest.mark.process
def test_bad_csv_is_a_clear_message(tmp_path: Path, body: str, words: list[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(body)
    out = tmp_path / "bad.wav"
    r = run_render(path, out)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("isudt render: bad.csv"), r.stderr
    for w in words:
        assert w in r.stderr, (w, r.stderr)
    assert "Traceback" not in r.stderr
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


@pytest.mark.process
def test_bad_session_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"t": 0, "address": "/pictslider", "args": [1, 2]}\n{"t": -1, "address": "/gain", "args": [0]}\n')
    r = run_render(path, tmp_path / "s.wav")
    assert r.returncode == 2 and "s.jsonl, line 2" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.process
def test_unknown_input_kind(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"\x00\x01")
    r = run_render(path, tmp_path / "x.wav")
    assert r.returncode == 2 and "not a folder of images" in r.stderr


# --- readers ------------------------------------------------------------------------------------

def test_pgm_reader_both_encodings(tmp_path: Path) -> None:
    """P5 (8 and 16 bit) and P2 through Pillow, each scaled by its own maxval; a short file is a clear error."""
    img = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    for binary, maxval in ((True, 255), (True, 1023), (False, 255)):
        p = tmp_path / f"i{binary}{maxval}.pgm"
        held = write_pgm(p, img, binary, maxval)
        np.testing.assert_allclose(render.read_image(p), held, atol=1e-4)
    (tmp_path / "short.pgm").write_bytes(b"P5 4 3 255\n\x00\x01")
    with pytest.raises(render.RenderError, match="short.pgm: cannot decode"):
        render.read_image(tmp_path / "short.pgm")


def test_png_jpeg_through_pillow(tmp_path: Path) -> None:
    """8- and 16-bit grey PNG, colour PNG (Rec. 601 luma, alpha dropped) and JPEG."""
    from PIL import Image

    img = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    Image.fromarray(np.rint(img * 255).astype(np.uint8), "L").save(tmp_path / "a.png")
    np.testing.assert_allclose(render.read_image(tmp_path / "a.png"), img, atol=0.5 / 255)
    Image.fromarray(np.rint(img * 65535).astype(np.uint16)).save(tmp_path / "b16.png")
    np.testing.assert_allclose(render.read_image(tmp_path / "b16.png"), img, atol=1e-4)
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 1], rgba[..., 3] = 200, 10
    Image.fromarray(rgba, "RGBA").save(tmp_path / "c.png")
    np.testing.assert_allclose(render.read_image(tmp_path / "c.png"), 0.587 * 200 / 255, atol=1.0 / 255)
    Image.fromarray(np.full((16, 16), 128, np.uint8), "L").save(tmp_path / "d.jpg", quality=95)
    np.testing.assert_allclose(render.read_image(tmp_path / "d.jpg"), 128 / 255, atol=2.0 / 255)
    (tmp_path / "e.png").write_bytes(b"not a png")
    with pytest.raises(render.RenderError, match="e.png: cannot decode"):
        render.read_image(tmp_path / "e.png")


def test_natural_order() -> None:
    names = ["f10.pgm", "f2.pgm", "f1.pgm", "F3.pgm"]
    assert sorted(names, key=render.natural_key) == ["f1.pgm", "f2.pgm", "F3.pgm", "f10.pgm"]


def test_session_writer_round_trip(tmp_path: Path) -> None:
    """What a recorder writes (blobs as base64, a header line) reads back as the same messages."""
    from isudt.daemon.session_log import SessionWriter, read_session

    blob = bytes(range(256)) * 4
    with SessionWriter(tmp_path / "rec.jsonl") as w:
        w.write("/pictslider", [3, 4.5], t=0.25)
        w.write("/frame", [32, 32, blob], t=0.0)
        w.write("/status", [])
    msgs = read_session(tmp_path / "rec.jsonl")
    # sorted by t: /frame (0), /status (clock time since the writer opened: tiny), /pictslider (0.25)
    assert [(m.address, m.line) for m in msgs] == [("/frame", 3), ("/status", 4), ("/pictslider", 2)]
    assert msgs[0].args == (32, 32, blob) and msgs[2].args == (3, 4.5)
    assert 0.0 <= msgs[1].t < 0.25


# --- the way back: render --to-image --------------------------------------------------

@pytest.fixture(scope="module")
def way_back(bundle_dir):
    from isudt.daemon.listen import WayBack
    return WayBack(open_bundle(bundle_dir, "cpu", 1, way_back=True), picture_size=128)


def read_positions(path: Path) -> list[dict]:
    import csv
    with path.open() as f:
        return list(csv.DictReader(f))


def heard_live(way_back, mono: np.ndarray, ends: list[int]) -> list:
    """What the live listener (`Listener.analyse_once`) says at each end: its input ring holding `mono` up to there."""
    from isudt.daemon.listen import ALIGN_SAMPLES, Listener

    n = 8192 + ALIGN_SAMPLES
    padded = np.concatenate([np.zeros(n), mono])
    at = {"end": 0}
    lis = Listener(lambda k: (padded[at["end"] + n - k:at["end"] + n], at["end"]), lambda: way_back,
                   lambda seen, level: None, 25.0, -60.0)
    out = []
    for e in ends:
        at["end"] = e
        out.append((lis.analyse_once(), lis.counters.level_db))
    return out


@pytest.mark.process
def test_to_image_hears_a_render_as_the_live_listener_does(tmp_path: Path, way_back) -> None:
    """A rendered WAV (0.5 s of silence, then 3 positions) -> GIF + CSV: per frame the live listener's answer
    on the same samples (silent or its square), the square of /image/sine for the tone played once it fills
    the window, within 1 px; the same input gives the same bytes."""
    import soundfile as sf
    from PIL import Image

    wav = tmp_path / "pos.wav"
    (tmp_path / "p.csv").write_text("time,x,y\n" + "".join(f"{0.5 + 0.5 * i},{x},{y}\n"
                                                            for i, (x, y) in enumerate(POSITIONS)))
    config = write_config(tmp_path, {"limiter_threshold_db": 0.0})     # (5, 5) plays at -0.07 dB: not limited
    r = run_render(tmp_path / "p.csv", wav, "--fps", 2, "--format", "float32", "--params", tmp_path / "played.csv",
                   "--config", config)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "heard.gif"
    r = run_render("--to-image", wav, out, "--fps", 4)
    assert r.returncode == 0, r.stderr
    rows = read_positions(tmp_path / "heard.csv")
    mono = sf.read(str(wav), dtype="float64")[0].mean(axis=1)
    assert len(rows) == int(len(mono) / SR * 4)
    assert [float(r["time"]) for r in rows[:3]] == [0.25, 0.5, 0.75]
    assert rows[0]["silent"] == "1" and rows[0]["x"] == "" and rows[1]["silent"] == "1"   # before the first tone
    live = heard_live(way_back, mono, [int(round(float(r["time"]) * SR)) for r in rows])
    for row, (seen, level) in zip(rows, live):
        assert abs(float(row["level_db"]) - level) < 1e-3, (row, level)
        assert (row["silent"] == "1") == (seen is None), (row, seen)
        if seen is not None:
            assert abs(float(row["x"]) - seen.x) <= 1 and abs(float(row["y"]) - seen.y) <= 1, (row, seen)
            assert -40.0 < level <= 0.0
    assert sum(r["silent"] == "0" for r in rows) >= 6
    played = read_positions(tmp_path / "played.csv")      # each tone's (pitch, dB); the master gain is 0 dB
    for tone in played:
        t0 = float(tone["time"])
        steady = [r for r in rows if t0 + 0.04 + (8192 + 1024) / SR <= float(r["time"]) < t0 + 0.5]
        assert steady, tone
        want = way_back.from_sine(float(tone["pitch"]), float(tone["db"]))
        for row in steady:
            assert abs(float(row["x"]) - want.x) <= 1 and abs(float(row["y"]) - want.y) <= 1, (tone, row, want)
    with Image.open(out) as im:      # Pillow merges identical neighbours (the silent start): count the time
        assert im.size == (128, 128) and im.info.get("loop") == 0
        assert np.asarray(im.convert("L")).max() == 0            # frame 1: silent -> black
        durations = []
        for k in range(im.n_frames):
            im.seek(k)
            durations.append(im.info["duration"])
    assert sum(durations) == 250 * len(rows)
    again = tmp_path / "again.gif"
    assert run_render("--to-image", wav, again, "--fps", 4).returncode == 0
    assert again.read_bytes() == out.read_bytes()
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "heard.csv").read_bytes()


@pytest.mark.process
def test_to_image_reads_other_formats_and_rates_into_png_frames(tmp_path: Path, way_back) -> None:
    """A stereo 44.1 kHz FLAC of a sine: resampled and mixed to mono; PNG frames of the square at the position."""
    import soundfile as sf
    from PIL import Image

    t = np.arange(int(0.5 * 44100)) / 44100
    tone = 0.5 * np.sin(2 * np.pi * 440.0 * t)
    sf.write(str(tmp_path / "a.flac"), np.stack([tone, tone], 1), 44100, subtype="PCM_24")
    out = tmp_path / "frames"
    r = run_render("--to-image", tmp_path / "a.flac", out, "--fps", 10, "--picture", "square", "--scale", 2)
    assert r.returncode == 0, r.stderr
    rows = read_positions(out / "positions.csv")
    pngs = sorted(out.glob("frame_*.png"))
    assert len(pngs) == len(rows) == 5
    want = way_back.from_sine(69.0, 20 * np.log10(0.5))
    last = rows[-1]
    assert last["silent"] == "0" and abs(float(last["level_db"]) - 20 * np.log10(0.5)) < 0.2
    assert abs(float(last["x"]) - want.x) <= 1 and abs(float(last["y"]) - want.y) <= 1
    with Image.open(pngs[-1]) as im:
        a = np.asarray(im)
    assert a.shape == (256, 256)
    y, x = np.unravel_index(np.argmax(a), a.shape)
    assert (x // 2, y // 2) == (int(float(last["x"])), int(float(last["y"])))   # the square at the position


@pytest.mark.parametrize("name,body,words", [
    ("x.wav", b"RIFF nonsense", ["x.wav", "not a sound file"]),
    ("missing.wav", None, ["missing.wav", "no such file"]),
])
@pytest.mark.process
def test_to_image_bad_input_is_a_clear_message(tmp_path: Path, name: str, body: bytes | None,
                                               words: list[str]) -> None:
    if body is not None:
        (tmp_path / name).write_bytes(body)
    r = run_render("--to-image", tmp_path / name, tmp_path / "o.gif")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    for w in words:
        assert w in r.stderr, r.stderr
    r = run_render("--to-image", tmp_path / name, tmp_path / "o.png")
    assert r.returncode == 2 and ".gif" in r.stderr, r.stderr
