"""`isudt render INPUT OUTPUT.wav`: the live daemon, played into a file instead of a sound card
(`isudt render --to-image SOUND OUT`, the way back, is `render_image.py`, which the CLI enters first).

Why it reuses the daemon's parts rather than a shortcut: a render is how a
user with no sound card hears the system, and how tests pin down what the
daemon plays. So every input becomes the OSC request the daemon would get
(`messages.validate`: the same rounding, refusals and latent clamping), the
requests run through the daemon's own inference
(`Pipeline.run`: the same square renderer, frame resizing and model
chain), and the parameters drive the same `Synth` that the audio callback
runs, block by block, with changes taking effect at block boundaries as they
do live. Nothing here depends on wall-clock time, threads or random numbers,
so the same input gives a byte-identical file.

Inputs:
- a folder of images, one step each, in natural name order (frame2 before
  frame10): `.npy` ([H, W], uint8 0..255 or float 0..1), and `.pgm` (P5/P2,
  8 or 16 bit), `.png`, `.jpg` through Pillow;
- a CSV with a header: `x,y` (square positions), or `image_z0,image_z1,...` /
  `sound_z0,sound_z1,...` (latent points), plus optional `voice` and `time`
  (seconds; without it, row i plays at i / fps);
- a recorded OSC session (JSON lines, see `session_log`).

Files are read and written through libraries, not by hand: WAV through
`soundfile` (libsndfile), images through Pillow.
"""
from __future__ import annotations

import csv
import math
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .engine import EngineQueueFull
from .limits import BLOCKSIZE, CHANNELS, SAMPLERATE, VOICES
from .messages import FrameRequest, Gain, Glide, Limits, Message, Mute, Refused, Request, StatusQuery, validate
from .synths import SINE

IMAGE_SUFFIXES = {".npy", ".pgm", ".png", ".jpg", ".jpeg"}
FORMATS = ("pcm16", "pcm24", "float32")
BATCH = 256  # requests per inference batch: large enough to amortise ORT's per-call cost


class RenderError(Exception):
    """An input or option problem; the message names the file, row/line and value. Exit code 2."""


# --- timeline -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One validated request or control at a time on the timeline; `origin` says where it came from."""

    t: float
    item: Message
    origin: str


@dataclass
class Timeline:
    steps: list[Step]
    end: float                 # seconds until which the last state is held
    refused: list[str]         # session messages the daemon would have refused (kept for the summary)


# --- images -------------------------------------------------------------------------------------

def natural_key(name: str) -> list:
    """frame2 < frame10: digit runs compare as numbers."""
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", name)]


def read_npy(path: Path) -> np.ndarray:
    try:
        a = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise RenderError(f"{path.name}: not a readable .npy array ({e})") from None
    a = np.squeeze(a)
    if a.ndim != 2:
        raise RenderError(f"{path.name}: a grey image must be [H, W] (got shape {a.shape})")
    if a.dtype == np.uint8:
        return a
    if a.dtype == bool or np.issubdtype(a.dtype, np.number):
        f = a.astype(np.float32)
        if not np.all(np.isfinite(f)):
            raise RenderError(f"{path.name}: contains NaN or infinity")
        return f.clip(0.0, 1.0)  # like /frame/list: values clamped into [0, 1]
    raise RenderError(f"{path.name}: dtype {a.dtype} is not an image")


def read_picture(path: Path) -> np.ndarray:
    """PNG, JPEG, PGM (P5/P2, 8 or 16 bit), ... through Pillow -> float32 [H, W] in [0, 1].

    Colour becomes grey by Pillow's Rec. 601 luma ("L"), alpha is dropped; 16-bit
    greymaps keep their precision (scaled by their own maximum value).
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
            return picture_array(im)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:  # Pillow's errors for a bad file
        raise RenderError(f"{path.name}: cannot decode it as an image ({e})") from None


def picture_array(im: Any) -> np.ndarray:
    """A Pillow image -> float32 [H, W] in [0, 1]."""
    if im.mode.startswith("I"):       # 16-bit PNG/PGM: Pillow scales a greymap's maxval to 0..65535
        return (np.asarray(im, np.float64) / 65535.0).clip(0.0, 1.0).astype(np.float32)
    if im.mode == "F":
        return np.nan_to_num(np.asarray(im, np.float32)).clip(0.0, 1.0)
    if im.mode != "L":
        im = im.convert("RGB").convert("L")   # palette, alpha, CMYK, ...: through RGB, then Rec. 601 luma
    return np.asarray(im, np.float32) / np.float32(255.0)


def read_image(path: Path) -> np.ndarray:
    return read_npy(path) if path.suffix.lower() == ".npy" else read_picture(path)


def image_timeline(folder: Path, fps: float) -> Timeline:
    """One `/frame` request for voice 0 per image, at i / fps; images of any size are resized like /frame."""
    files = sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
                   key=lambda p: natural_key(p.name))
    if not files:
        raise RenderError(f"{folder}: no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    steps = [Step(i / fps, FrameRequest(0, "", pixels=read_image(p)), p.name) for i, p in enumerate(files)]
    return Timeline(steps, len(files) / fps, [])


# --- CSV ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CsvLayout:
    """Which columns a CSV has, and the OSC address each row becomes."""

    kind: str                  # "pictslider", "latent/image" or "latent/sound"
    values: tuple[str, ...]    # the columns that become the message's arguments
    voice: str | None
    time: str | None


def csv_layout(header: Sequence[str], limits: Limits, name: str) -> CsvLayout:
    cols = [h.strip().lower() for h in header]
    if len(set(cols)) != len(cols):
        raise RenderError(f"{name}: repeated column in header {header}")
    voice = "voice" if "voice" in cols else None
    time_col = next((c for c in ("time", "t") if c in cols), None)
    rest = [c for c in cols if c not in (voice, time_col)]
    if set(rest) == {"x", "y"}:
        return CsvLayout("pictslider", ("x", "y"), voice, time_col)
    for space, dim in (("image", limits.image_latent), ("sound", limits.sound_latent)):
        want = tuple(f"{space}_z{i}" for i in range(dim))
        if rest and all(c.startswith(f"{space}_z") for c in rest):
            if set(rest) != set(want):
                raise RenderError(f"{name}: the bundle's {space} latent has {dim} dimensions: "
                                  f"expected columns {', '.join(want)}, got {', '.join(rest)}")
            return CsvLayout(f"latent/{space}", want, voice, time_col)
    raise RenderError(f"{name}: header {', '.join(header)} is not x,y or image_z0..  or sound_z0.. "
                      "(with optional voice and time columns)")


def csv_number(raw: str, column: str, where: str) -> float:
    text = raw.strip()
    if not text:
        raise RenderError(f"{where}: {column} is empty")
    try:
        v = float(text)
    except ValueError:
        raise RenderError(f"{where}: {column} = {raw!r} is not a number") from None
    if not math.isfinite(v):
        raise RenderError(f"{where}: {column} = {raw!r} is not a finite number")
    return v


def csv_timeline(path: Path, fps: float, limits: Limits) -> Timeline:
    """Each row -> the OSC message it stands for -> validated like the daemon does; any problem stops the render."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise RenderError(f"{path.name}: cannot read it as CSV ({e})") from None
    lines = [(n, r) for n, r in enumerate(rows, 1) if r and any(c.strip() for c in r) and not r[0].startswith("#")]
    if len(lines) < 2:
        raise RenderError(f"{path.name}: needs a header and at least one row")
    (_, header), data = lines[0], lines[1:]
    layout = csv_layout(header, limits, path.name)
    index = {h.strip().lower(): i for i, h in enumerate(header)}
    steps = []
    for k, (line, row) in enumerate(data, 1):
        where = f"{path.name} row {k} (line {line})"
        if len(row) != len(header):
            raise RenderError(f"{where}: expected {len(header)} values ({', '.join(header)}), got {len(row)}")
        args = [csv_number(row[index[c]], c, where) for c in layout.values]
        voice = csv_voice(row[index[layout.voice]], where, limits.voices) if layout.voice else None
        if layout.time:
            t = csv_number(row[index[layout.time]], layout.time, where)
            if t < 0:
                raise RenderError(f"{where}: {layout.time} = {row[index[layout.time]]!r} is negative")
        else:
            t = (k - 1) / fps
        address = f"/voice/{voice}/{layout.kind}" if voice is not None else f"/{layout.kind}"
        try:
            steps.append(Step(t, validate(address, args, limits), where))
        except Refused as e:
            shown = ", ".join(f"{c} = {row[index[c]].strip()}" for c in layout.values)
            raise RenderError(f"{where}: {shown}: {e.reason}") from None
    steps.sort(key=lambda s: s.t)
    return Timeline(steps, steps[-1].t + 1.0 / fps, [])


def csv_voice(raw: str, where: str, voices: int) -> int:
    v = csv_number(raw, "voice", where)
    if v != int(v) or not 0 <= v < voices:
        raise RenderError(f"{where}: voice = {raw!r} is not a voice 0..{voices - 1} (see --voices)")
    return int(v)


# --- OSC sessions -------------------------------------------------------------------------------

def session_timeline(path: Path, fps: float, limits: Limits) -> Timeline:
    """Replay a recording: what the daemon refuses is skipped (and reported), as it would be live."""
    from .session_log import SessionError, read_session

    try:
        messages = read_session(path)
    except SessionError as e:
        raise RenderError(str(e)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise RenderError(f"{path.name}: cannot read it ({e})") from None
    if not messages:
        raise RenderError(f"{path.name}: no messages")
    steps, refused = [], []
    for m in messages:
        where = f"{path.name} line {m.line}"
        try:
            item = validate(m.address, list(m.args), limits)
        except Refused as e:
            refused.append(f"{where}: {e.address}: {e.reason}")
            continue
        if not isinstance(item, StatusQuery):
            steps.append(Step(m.t, item, where))
    return Timeline(steps, messages[-1].t + 1.0 / fps, refused)


def load_timeline(path: Path, fps: float, limits: Limits) -> Timeline:
    from .session_log import looks_like_session

    if path.is_dir():
        return image_timeline(path, fps)
    if not path.is_file():
        raise RenderError(f"{path}: no such file or folder")
    if path.suffix.lower() == ".csv":
        return csv_timeline(path, fps, limits)
    if looks_like_session(path):
        return session_timeline(path, fps, limits)
    raise RenderError(f"{path}: not a folder of images, a .csv, or a JSON-lines OSC session (.jsonl)")


# --- inference ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Action:
    """What one step does to the synth: ("voice", v, pitch, dB), ("release", v), ("gain", dB), ..."""

    block: int
    op: str
    args: tuple


def infer(steps: Sequence[Step], models: Any, voices: int, progress: bool) -> list[tuple[str, tuple]]:
    """Each request through the daemon's own inference (`Pipeline.run`); one synth operation per step, in order.

    A played step is ("voice", (voice, *params)): the bundle's synth's parameters in its order, played by
    `apply` as the daemon plays them (`Engine.set_voice_params`).
    """
    from .pipeline import Pipeline

    pipe = Pipeline(models, voices, position_table=False)   # every step computed: same input, same bits
    requests = [(k, s.item) for k, s in enumerate(steps) if isinstance(s.item, Request)]
    by_step: dict[int, tuple[str, tuple]] = {}
    bar = progress_bar(len(requests), "inference", "step", progress)
    for start in range(0, len(requests), BATCH):
        chunk = requests[start:start + BATCH]
        for (k, r), res in zip(chunk, pipe.run([r for _, r in chunk])):
            if res.error is not None:
                raise RenderError(f"{steps[k].origin}: {r.address or r.prefix}: {res.error}")
            by_step[k] = ("release", (r.voice,)) if res.params is None else ("voice", (r.voice, *res.params))
        bar.update(len(chunk))
    bar.close()
    return [by_step[k] if k in by_step else control_op(s.item) for k, s in enumerate(steps)]


def control_op(c: Message) -> tuple[str, tuple]:
    if isinstance(c, Gain):
        return "gain", (c.db,)
    if isinstance(c, Glide):
        return "glide", (c.ms,)
    if isinstance(c, Mute):
        return "mute", (c.on,)
    return "none", ()


def apply(synth: Any, op: str, args: tuple, synth_def: Any = None) -> None:
    """One operation on the engine; a voice plays `synth_def` (the bundle's synth; None: a sine)."""
    if op == "voice":
        if synth_def is None:
            synth.set_voice(*args)
        else:
            synth.set_voice_params(args[0], synth_def, args[1:])
    elif op == "release":
        synth.release_voice(*args)
    elif op == "gain":
        synth.set_gain(*args)
    elif op == "glide":
        synth.set_glide(*args)
    elif op == "mute":
        synth.set_mute(*args)


# --- WAV output ---------------------------------------------------------------------------------

class WavWriter:
    """WAV through soundfile (libsndfile): pcm16, pcm24 or float32 (WAVE_FORMAT_IEEE_FLOAT).

    Written to `path.partial` and renamed at close, so a failed render never
    leaves a truncated file under the requested name. Byte-identical runs:
    PCM samples are quantised here (round half to even, clipped), not by
    libsndfile's converter, and float files get no PEAK chunk (libsndfile
    stamps it with the wall-clock time).
    """

    SUBTYPES = {"pcm16": "PCM_16", "pcm24": "PCM_24", "float32": "FLOAT"}

    def __init__(self, path: Path, samplerate: int, channels: int, fmt: str) -> None:
        import soundfile as sf

        self.path, self.fmt, self.channels, self.samplerate = path, fmt, channels, samplerate
        self.tmp = path.with_name(path.name + ".partial")
        self.frames = 0
        self.file = sf.SoundFile(str(self.tmp), "w", samplerate, channels, self.SUBTYPES[fmt], format="WAV")
        if fmt == "float32":
            no_peak_chunk(self.file)

    def write(self, block: np.ndarray) -> None:
        """block: float32 [frames, channels] in [-1, 1]."""
        self.frames += len(block)
        if self.fmt == "float32":
            self.file.write(np.ascontiguousarray(block, np.float32))
        elif self.fmt == "pcm16":
            self.file.write(np.rint(np.clip(block, -1.0, 1.0) * 32767.0).astype(np.int16))
        else:  # libsndfile keeps the top 24 bits of an int32
            self.file.write(np.rint(np.clip(block, -1.0, 1.0) * 8388607.0).astype(np.int32) << 8)

    def close(self) -> None:
        self.file.close()  # writes the header sizes
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            self.file.close()
        except Exception:
            pass
        self.tmp.unlink(missing_ok=True)


SFC_SET_ADD_PEAK_CHUNK = 0x1050   # libsndfile's sf_command code (sndfile.h); soundfile has no public call for it


def no_peak_chunk(f: Any) -> None:
    """Ask libsndfile not to write a PEAK chunk, whose timestamp would make two renders differ."""
    import soundfile as sf

    sf._snd.sf_command(f._file, SFC_SET_ADD_PEAK_CHUNK, sf._ffi.NULL, 0)  # noqa: SLF001 (no public API)


# --- rendering ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RenderSettings:
    samplerate: int
    channels: int
    voices: int
    blocksize: int
    fps: float
    fmt: str
    tail: float | None
    progress: bool


def schedule(steps: Sequence[Step], ops: Sequence[tuple[str, tuple]], s: RenderSettings) -> list[Action]:
    """Each step's operation at the block boundary nearest its time (the live synth changes per block too)."""
    return [Action(int(round(st.t * s.samplerate / s.blocksize)), op, args)
            for st, (op, args) in zip(steps, ops) if op != "none"]


def render_audio(actions: Sequence[Action], end: float, synth: Any, writer: WavWriter, s: RenderSettings,
                 synth_def: Any = None) -> int:
    """Run the synth block by block to `end`, then the shutdown fade; returns the frames written.

    `synth_def`: the bundle's synth (its voices play it, as the daemon's do); None: a sine.
    """
    body_blocks = max(1, math.ceil(end * s.samplerate / s.blocksize))
    fade_blocks = math.ceil(synth.cfg.fade_ms * s.samplerate / 1000.0 / s.blocksize) + 1
    total = body_blocks + fade_blocks
    per_chunk = max(1, s.samplerate // s.blocksize)      # write about once a second of audio
    chunk = np.zeros((per_chunk * s.blocksize, s.channels), np.float32)
    bar = progress_bar(total * s.blocksize / s.samplerate, "render", "s", s.progress)
    i, filled = 0, 0
    for b in range(total):
        while i < len(actions) and actions[i].block <= b:
            try:
                apply(synth, actions[i].op, actions[i].args, synth_def)
            except EngineQueueFull:
                raise RenderError(f"more changes at {b * s.blocksize / s.samplerate:.3f} s than the engine "
                                  "queues in one block (8192); spread the input's times") from None
            i += 1
        if b == body_blocks:
            synth.begin_fade_out()
        synth.render(chunk[filled * s.blocksize:(filled + 1) * s.blocksize])
        filled += 1
        if filled == per_chunk or b == total - 1:
            writer.write(chunk[:filled * s.blocksize])
            bar.update(filled * s.blocksize / s.samplerate)
            filled = 0
    bar.close()
    return total * s.blocksize


def progress_bar(total: float, desc: str, unit: str, enabled: bool):
    from tqdm import tqdm

    # disable=None: tqdm shows the bar only on a terminal, so logs and CI stay clean
    return tqdm(total=total, desc=desc, unit=unit, disable=None if enabled else True, leave=False, file=sys.stderr,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} {unit} [{elapsed}<{remaining}]"
                if unit == "s" else None)


# --- command ------------------------------------------------------------------------------------

def settings_from(args: Any, cfg: Any) -> RenderSettings:
    def pick(flag: str, default: Any) -> Any:
        v = getattr(args, flag, None)
        return default if v is None else v

    s = RenderSettings(samplerate=int(pick("samplerate", cfg.audio.samplerate)),
                       channels=int(pick("channels", cfg.audio.channels)),
                       voices=int(pick("voices", cfg.synth.voices)),
                       blocksize=int(pick("blocksize", cfg.audio.blocksize)),
                       fps=float(pick("fps", 20.0)), fmt=pick("format", "pcm16"),
                       tail=getattr(args, "tail", None), progress=not getattr(args, "quiet", False))
    for flag, value, (lo, hi) in (("samplerate", s.samplerate, SAMPLERATE), ("channels", s.channels, CHANNELS),
                                  ("voices", s.voices, VOICES), ("blocksize", s.blocksize, BLOCKSIZE)):
        if not lo <= value <= hi:
            raise RenderError(f"--{flag} {value}: must be {lo}..{hi}")
    checks = ((math.isfinite(s.fps) and 0 < s.fps <= 1000, f"--fps {s.fps:g}: must be in (0, 1000]"),
              (s.fmt in FORMATS, f"--format {s.fmt}: one of {', '.join(FORMATS)}"),
              (s.tail is None or (math.isfinite(s.tail) and s.tail >= 0), "--tail must be >= 0 seconds"))
    for ok, message in checks:
        if not ok:
            raise RenderError(message)
    return s


def synth_for(cfg: Any, s: RenderSettings, synth_def: Any = None) -> Any:
    """The engine, its voices of the bundle's synth kind (`synth_def`; None: sines), as `isudt serve` sets them."""
    from .engine import Engine, SynthConfig

    engine = Engine(SynthConfig.from_config(cfg, samplerate=s.samplerate, voices=s.voices, channels=s.channels,
                                            max_block=s.blocksize, in_channels=0))
    if synth_def is not None:
        from .server import set_voice_kinds
        set_voice_kinds(engine, synth_def, s.voices)
    return engine


def write_params(path: Path, steps: Sequence[Step], ops: Sequence[tuple[str, tuple]],
                 names: Sequence[str] = ("pitch", "db")) -> None:
    """A sidecar CSV of what each step asked of the synth (time, voice, then the synth's parameters: pitch, db
    for a sine, pitch, ratio, index for FM), for checking and plotting."""
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time", "voice", *names, "origin"])
        for st, (op, args) in zip(steps, ops):
            if op == "voice":
                w.writerow([f"{st.t:.6f}", args[0], *(f"{v:.6f}" for v in args[1:]), st.origin])


def run(args: Any) -> int:
    from . import config as config_mod
    from .bundle import BundleError, open_bundle

    try:
        cfg = config_mod.load(args.config) if getattr(args, "config", None) else config_mod.load()
    except config_mod.ConfigError as e:
        raise RenderError("; ".join(e.problems)) from None
    s = settings_from(args, cfg)
    bundle = getattr(args, "bundle", None) or cfg.bundle.path
    try:
        models = open_bundle(bundle, getattr(args, "providers", None) or "cpu", cfg.inference.threads)
    except BundleError as e:
        raise RenderError(f"bundle: {e}") from None
    limits = Limits.from_manifest(models.manifest, s.voices, cfg.osc.max_blob_bytes)
    timeline = load_timeline(Path(args.input), s.fps, limits)
    end = timeline.end if s.tail is None else (timeline.steps[-1].t if timeline.steps else 0.0) + s.tail
    ops = infer(timeline.steps, models, s.voices, s.progress)
    if getattr(args, "params", None):
        write_params(Path(args.params), timeline.steps, ops, (models.manifest.synth or SINE).names)
    out = Path(args.output)
    if not out.parent.is_dir():
        raise RenderError(f"{out.parent}: output folder does not exist")
    writer = WavWriter(out, s.samplerate, s.channels, s.fmt)
    try:
        synth_def = models.manifest.synth or SINE
        frames = render_audio(schedule(timeline.steps, ops, s), end, synth_for(cfg, s, synth_def), writer, s,
                              synth_def)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    report(out, frames, s, timeline)
    return 0


def report(out: Path, frames: int, s: RenderSettings, timeline: Timeline) -> None:
    print(f"wrote {out}: {frames / s.samplerate:.2f} s, {s.samplerate} Hz, {s.channels} ch, {s.fmt}; "
          f"{len(timeline.steps)} steps")
    if timeline.refused:
        print(f"{len(timeline.refused)} message(s) skipped, as the daemon would refuse them; first: "
              f"{timeline.refused[0]}", file=sys.stderr)


def main(args: Any) -> int:
    """`isudt render` (the CLI enters through `render_image.main`, which also takes `--to-image`)."""
    return guarded(run, args)


def guarded(command: Callable[[Any], int], args: Any) -> int:
    """Run a render command; a bad input is one line naming it (exit 2), a file error one line (exit 1)."""
    try:
        return command(args)
    except RenderError as e:
        print(f"isudt render: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"isudt render: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
        return 1
