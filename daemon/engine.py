"""The audio engine's Python API: the synth's control side in Python, its sound in C (engine.c).

Why it is shaped like this
--------------------------
The audio thread runs no Python at all: PortAudio calls `isudt_pa_callback`
(engine.c) directly, with the engine as its userdata, the way python-rtmixer
does. So the callback can never wait for the GIL behind the event loop or an
inference call, and its cost does not depend on what Python is doing.

The control side stays here and stays readable. Each control call works out
the new *target* (pitch, level, ramp lengths in samples: the same rules the
numpy synth had, which is kept in tests/support/reference_synth.py as the
reference) and pushes one command into the engine's lock-free
single-producer/single-consumer FIFO; the engine applies everything queued at
the start of its next block (like scsynth's command FIFO). CFFI releases the
GIL around each C call, so several Python threads could otherwise push at
once: a `threading.Lock` makes them one producer. The audio thread never
takes it.

Sound (engine.c does it, as the reference did):
* phase-continuous voices, each a sine or a two-operator FM voice (the
  synths of daemon/synths.py): y = level * sin(carrier phase + index *
  sin(modulator phase)), the modulator at ratio x the carrier; a sine is an
  FM voice at index 0, so switching kinds glides the index instead of
  jumping, and a sine voice costs what it always did;
* pitch glides linearly in MIDI units over glide_ms, an FM voice's ratio in
  log2 units and its index linearly over the same glide (no zipper noise);
* the FM alias guard (synths.guard_index's rule) is applied per sample to
  the glided values, in the engine: no setting folds back above Nyquist;
  the level glides linearly in amplitude, never faster than 2 ms (a level jump
  is a click, a pitch jump of a continuous sine is not);
* a silent voice takes its new pitch (and timbre) at once and fades in over fade_ms;
* voices are summed, then the master gain (which carries mute and the
  shutdown fade, each ramped), then a limiter on the peak bound of the mix
  (gain = min(1, threshold / (master * sum of levels)), released at a limited
  slope): the output never exceeds the threshold, with no look-ahead delay.

The engine's memory is owned here and freed only after the stream that calls
it is closed (`close()`); PortAudio keeps the callback alive, not the userdata.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import limits
from ._engine import ffi, lib
from .mel import midi_to_hz
from .status import EngineStats
from .synths import ALIAS_LIMIT, SynthDef, guard_index

__all__ = ["SynthConfig", "Engine", "db_to_amp", "EngineQueueFull", "VOICE_KINDS"]

MIN_LEVEL_RAMP_MS = 2.0   # a level jump must never be a step (a click)
DB_FLOOR = limits.SILENT_DB        # at or below this a voice target is silence
MAX_GAIN_DB = limits.GAIN_DB[1]
MAX_GLIDE_MS = limits.GLIDE_MS[1]
MAX_VOICES = int(lib.ISUDT_MAX_VOICES)   # = limits.VOICES[1] (tests/test_engine.py checks)
PUSH_TIMEOUT_S = 0.05     # a full FIFO (audio stalled) waits this long, then the change is refused
VOICE_KINDS = ("sine", "fm")          # daemon/synths.py's synths, as the engine plays them
FM_RATIO = (1.0 / 64.0, 64.0)         # an FM ratio is clamped into this (the models use 0.1-10: synths.FM)
FM_INDEX = (0.0, 100.0)               # an FM index is clamped into this before the alias guard


class EngineQueueFull(RuntimeError):
    """The command FIFO stayed full (the audio side is not consuming); the change was not made."""


def db_to_amp(db: float) -> float:
    """Linear amplitude of a level in dB (full scale sine = 0 dB); DB_FLOOR and below is 0."""
    return 0.0 if db <= DB_FLOOR else 10.0 ** (db / 20.0)


@dataclass
class SynthConfig:
    samplerate: int = limits.DEFAULT_SAMPLERATE
    voices: int = limits.DEFAULT_VOICES
    channels: int = 2
    glide_ms: float = limits.DEFAULT_GLIDE_MS   # pitch (MIDI units) and level glide
    gain_db: float = limits.DEFAULT_GAIN_DB     # master gain
    limiter_threshold_db: float = -1.0
    limiter_release_ms: float = 50.0
    fade_ms: float = 30.0             # voice start/stop, mute and shutdown fades
    max_block: int = limits.BLOCKSIZE[1]
    in_channels: int = 0              # input channels of a duplex stream (0: output only)

    def __post_init__(self) -> None:
        if self.samplerate <= 0 or self.voices < 1 or self.channels < 1 or self.max_block < 1:
            raise ValueError("samplerate, voices, channels and max_block must be positive")
        if self.voices > MAX_VOICES:
            raise ValueError(f"voices must be at most {MAX_VOICES}, got {self.voices}")
        if self.limiter_threshold_db > 0.0:
            raise ValueError("limiter_threshold_db must be <= 0 dBFS")
        for name in ("glide_ms", "limiter_release_ms", "fade_ms"):
            if not (0.0 <= getattr(self, name) <= MAX_GLIDE_MS):
                raise ValueError(f"{name} must be within [0, {MAX_GLIDE_MS:g}] ms")

    @classmethod
    def from_config(cls, cfg: Any, **overrides: Any) -> SynthConfig:
        """The engine's settings from the daemon's `config.Config` (its `synth` and `audio` sections), the one
        place they are converted; `overrides` for what a caller decides itself (`isudt render`: its own rate,
        channels, voices and block size, and no input)."""
        s, a = cfg.synth, cfg.audio
        values: dict[str, Any] = dict(
            samplerate=a.samplerate, voices=s.voices, channels=a.channels, glide_ms=s.glide_ms, gain_db=s.gain_db,
            limiter_threshold_db=s.limiter_threshold_db, limiter_release_ms=s.limiter_release_ms, fade_ms=s.fade_ms,
            in_channels=a.input_channels if a.input is not None else 0)
        values.update(overrides)
        return cls(**values)


@dataclass
class _Control:
    """What the control side last asked for (for /status and /state); guarded by Engine._lock."""
    active: list[bool]
    pitch: list[float]
    db: list[float]
    gain_db: float
    muted: bool = False
    fading: bool = False
    glide_ms: float = 10.0
    kind: list[str] = field(default_factory=list)      # per voice, VOICE_KINDS (all "sine" at start)
    ratio: list[float] = field(default_factory=list)   # per voice, the last FM ratio (kept while it plays a sine)
    index: list[float] = field(default_factory=list)   # per voice, the last FM index asked for (before the guard)

    @classmethod
    def start(cls, voices: int, cfg: SynthConfig) -> _Control:
        """Every voice silent, a sine at MIDI 60; FM ratio 1, index 0 until one is set."""
        return cls(active=[False] * voices, pitch=[60.0] * voices, db=[DB_FLOOR] * voices, gain_db=cfg.gain_db,
                   glide_ms=cfg.glide_ms, kind=["sine"] * voices, ratio=[1.0] * voices, index=[0.0] * voices)


class Engine:
    """The synth. Control methods may be called from any thread; the sound is made in C."""

    def __init__(self, cfg: SynthConfig) -> None:
        self.cfg = cfg
        self._ms = cfg.samplerate / 1000.0
        self._max_pitch = 69.0 + 12.0 * math.log2(0.45 * cfg.samplerate / 440.0)
        self._check_finite(cfg.gain_db, "gain_db")
        self._lock = threading.Lock()
        self._seq = 0
        self.refused = 0                  # changes refused because the FIFO stayed full
        v = cfg.voices
        self._ctl = _Control.start(v, cfg)
        self._amp_ramp = [self._samples(cfg.fade_ms)] * v   # per voice, the level ramp last sent (the engine's)
        c = ffi.new("isudt_config *")
        c.samplerate, c.voices, c.channels = cfg.samplerate, v, cfg.channels
        c.in_channels, c.max_block = cfg.in_channels, cfg.max_block
        c.limiter_threshold = 10.0 ** (cfg.limiter_threshold_db / 20.0)
        c.limiter_release = 1.0 / max(1.0, cfg.limiter_release_ms * self._ms)
        c.start_pitch = 60.0
        c.start_master = db_to_amp(self._clamp_gain(cfg.gain_db))
        c.start_master_ramp = c.start_amp_ramp = self._samples(cfg.fade_ms)
        c.start_pitch_ramp = self._samples(cfg.glide_ms)
        c.alias_limit = ALIAS_LIMIT
        ptr = lib.isudt_engine_new(c)
        if ptr == ffi.NULL:
            raise MemoryError("isudt: the audio engine could not be created")
        self._ptr: Any = ffi.gc(ptr, lib.isudt_engine_free)   # freed by close() or when collected
        self._cmd = ffi.new("isudt_cmd *")
        self._p_set = False              # whether _cmd.p holds anything but zeros (ffi.new zeroes it)
        self._stats = ffi.new("isudt_stats *")
        self._times = np.zeros(int(lib.ISUDT_TIMING_RING), np.float32)

    # ---------------------------------------------------------------- C side
    @property
    def callback(self) -> Any:
        """The PortAudio callback (a C function pointer) for sounddevice's `_StreamBase`."""
        return ffi.addressof(lib, "isudt_pa_callback")

    @property
    def userdata(self) -> Any:
        """The engine pointer, as the callback's userdata. Valid until `close()`."""
        return ffi.cast("void *", self._ptr)

    def close(self) -> None:
        """Free the engine. Only once no stream or clock can call it any more."""
        with self._lock:
            ptr, self._ptr = self._ptr, None
        if ptr is not None:
            ffi.release(ptr)

    def render(self, out: np.ndarray) -> None:
        """Fill `out` (C-contiguous float32 [frames, channels]) with the next block: offline, tests, null clock.

        Goes through the same C callback as PortAudio, so it is timed and counted the same way.
        Never call it while a stream plays this engine (the FIFO has one consumer).
        """
        if out.dtype != np.float32 or not out.flags.c_contiguous or out.ndim != 2 or out.shape[1] != self.cfg.channels:
            raise ValueError(f"render needs a C-contiguous float32 [frames, {self.cfg.channels}] array")
        lib.isudt_pa_callback(ffi.NULL, ffi.from_buffer("float[]", out), out.shape[0], ffi.NULL, 0, self._ptr)

    def process(self, inp: np.ndarray, out: np.ndarray) -> None:
        """One duplex block (capture `inp` [frames, in_channels], render into `out`) as the callback does."""
        lib.isudt_pa_callback(ffi.from_buffer("float[]", inp), ffi.from_buffer("float[]", out), out.shape[0],
                              ffi.NULL, 0, self._ptr)

    def read_input(self, n: int) -> tuple[np.ndarray, int]:
        """The newest n captured (mono) input samples and the total captured so far."""
        buf = np.zeros(n, np.float32)
        total = lib.isudt_read_input(self._ptr, ffi.from_buffer("float[]", buf), n)
        return buf, int(total)

    def _push(self, kind: int, voice: int = 0, a: float = 0.0, b: float = 0.0, c: float = 0.0,
              p: tuple[float, ...] = ()) -> None:
        """Queue one command (caller holds the lock). Waits briefly if the FIFO is full, then refuses."""
        if self._ptr is None:            # closed (shutdown): nothing plays any more
            return
        self._seq += 1
        cmd = self._cmd
        cmd.kind, cmd.voice, cmd.a, cmd.b, cmd.c, cmd.seq = kind, voice, a, b, c, self._seq
        if p or self._p_set:             # the extra parameters: written only when they change (the hot path is sine)
            cmd.p = (*p, 0.0, 0.0, 0.0, 0.0)[:4]
            self._p_set = bool(p)
        deadline = None
        while not lib.isudt_push(self._ptr, cmd):
            now = time.monotonic()
            deadline = deadline or now + PUSH_TIMEOUT_S
            if now > deadline:
                self.refused += 1
                raise EngineQueueFull("the audio engine is not taking commands (audio stalled?)")
            time.sleep(0.0005)

    # --------------------------------------------------------------- control
    def _samples(self, ms: float) -> float:
        return float(max(1, round(ms * self._ms)))

    def _level_ramp(self) -> float:
        return self._samples(max(self._ctl.glide_ms, MIN_LEVEL_RAMP_MS))

    @staticmethod
    def _check_finite(x: float, what: str) -> float:
        x = float(x)
        if not math.isfinite(x):
            raise ValueError(f"{what} must be a finite number, got {x!r}")
        return x

    @staticmethod
    def _clamp_gain(db: float) -> float:
        return min(max(db, limits.GAIN_DB[0]), limits.GAIN_DB[1])

    def _voice_index(self, voice: int | float) -> int:
        if isinstance(voice, float) and voice.is_integer():
            voice = int(voice)
        if not isinstance(voice, (int, np.integer)) or not 0 <= voice < self.cfg.voices:
            raise IndexError(f"voice must be an integer in [0, {self.cfg.voices - 1}], got {voice!r}")
        return int(voice)

    def _push_master(self, ramp: float, fading: bool = False) -> None:
        c = self._ctl
        master = 0.0 if (c.muted or c.fading) else db_to_amp(self._clamp_gain(c.gain_db))
        self._push(lib.ISUDT_CMD_MASTER, int(fading or c.fading), master, ramp)

    def _clamp_pitch(self, pitch_midi: float) -> float:
        return min(max(self._check_finite(pitch_midi, "pitch"), 0.0), self._max_pitch)

    def _clamp_fm(self, pitch_midi: float, ratio: float, index: float, db: float) -> tuple[float, float, float, float]:
        """An FM voice's targets, checked and clamped (pitch as a sine's; ratio and index into FM_RATIO, FM_INDEX)."""
        ratio = min(max(self._check_finite(ratio, "ratio"), FM_RATIO[0]), FM_RATIO[1])
        index = min(max(self._check_finite(index, "index"), FM_INDEX[0]), FM_INDEX[1])
        return self._clamp_pitch(pitch_midi), ratio, index, min(self._check_finite(db, "db"), MAX_GAIN_DB)

    def _push_voice(self, v: int, amp: float, ramp: float) -> None:
        """One command with all of voice v's targets as _ctl holds them, at level `amp` (caller holds the lock).

        A sine command sends the engine's index to 0 (the ratio is kept), an FM
        one carries log2(ratio) and the index: each command is the voice's whole target.
        """
        c = self._ctl
        if c.kind[v] == "fm":
            self._push(lib.ISUDT_CMD_VOICE_FM, v, c.pitch[v], amp, ramp, (math.log2(c.ratio[v]), c.index[v]))
        else:
            self._push(lib.ISUDT_CMD_VOICE, v, c.pitch[v], amp, ramp)
        self._amp_ramp[v] = ramp

    def _start_voice(self, v: int, kind: str, pitch: float, db: float, ratio: float | None = None,
                     index: float | None = None) -> None:
        """Set voice v's kind and targets and start it if silent (caller holds the lock)."""
        c = self._ctl
        ramp = self._level_ramp() if c.active[v] else self._samples(self.cfg.fade_ms)
        old = (c.kind[v], c.pitch[v], c.ratio[v], c.index[v])
        c.kind[v], c.pitch[v] = kind, pitch
        if ratio is not None and index is not None:
            c.ratio[v], c.index[v] = ratio, index
        try:
            self._push_voice(v, db_to_amp(db), ramp)
        except EngineQueueFull:          # refused: the control side keeps what the engine still has
            c.kind[v], c.pitch[v], c.ratio[v], c.index[v] = old
            raise
        c.active[v], c.db[v] = True, db

    def set_voice(self, voice: int, pitch_midi: float, db: float) -> None:
        """Set a voice's target pitch (MIDI) and level (dB, 0 = full-scale sine); starts it if silent.

        The voice becomes (or stays) a sine: an FM voice glides its index to 0 over glide_ms.
        A starting voice fades in over fade_ms at this pitch; a sounding one glides over glide_ms.
        Pitch is clamped to what the sample rate can play; levels <= -120 dB mean silence.
        """
        v = self._voice_index(voice)
        pitch = self._clamp_pitch(pitch_midi)
        db = min(self._check_finite(db, "db"), MAX_GAIN_DB)
        with self._lock:
            self._start_voice(v, "sine", pitch, db)

    def set_voice_fm(self, voice: int, pitch_midi: float, ratio: float, index: float, db: float) -> None:
        """Set a voice's FM targets (carrier MIDI pitch, ratio x carrier, index) and level; starts it if silent.

        The voice becomes (or stays) an FM voice; every parameter glides over
        glide_ms (pitch in MIDI units, ratio in log2 units, index linearly), so
        a sine voice turning FM grows its index from 0 and never clicks. The
        engine lowers the index it plays by the alias guard (`played_params`
        says what it plays). `db` is the voice's level: a bundle's
        synth.level_db for the models' FM.
        """
        v = self._voice_index(voice)
        pitch, ratio, index, db = self._clamp_fm(pitch_midi, ratio, index, db)
        with self._lock:
            self._start_voice(v, "fm", pitch, db, ratio, index)

    def set_voice_params(self, voice: int, synth: SynthDef, values: Sequence[float]) -> None:
        """Play `values` (natural units, in `synth.params` order) on a voice: what a bundle's models give.

        sine: (pitch, db); fm: (pitch, ratio, index) at synth.level_db. The
        daemon need not know the kinds apart: this is the one call per result.
        """
        if len(values) != len(synth.params):
            raise ValueError(f"synth {synth.kind!r} takes {len(synth.params)} values {list(synth.names)}, "
                             f"got {len(values)}")
        if synth.kind == "sine":
            self.set_voice(voice, values[0], values[1])
        elif synth.kind == "fm":
            self.set_voice_fm(voice, values[0], values[1], values[2], synth.level_db)
        else:
            raise ValueError(f"the engine plays {', '.join(VOICE_KINDS)}, not {synth.kind!r}")

    def set_voice_kind(self, voice: int, kind: str) -> None:
        """Make a voice a sine or an FM voice, keeping its pitch and level (for a bundle switch).

        fm takes the voice's last FM ratio and index (ratio 1, index 0 if it
        never had any: it sounds as the sine until `set_voice_fm`). The index
        glides like any parameter, so this never clicks, even on a sounding
        voice; the daemon still switches bundles under a fade, because the
        new bundle's tones are others.
        """
        v = self._voice_index(voice)
        if kind not in VOICE_KINDS:
            raise ValueError(f"voice kind must be one of {', '.join(VOICE_KINDS)}, got {kind!r}")
        with self._lock:
            c = self._ctl
            old, c.kind[v] = c.kind[v], kind
            try:   # the level's target and ramp as they are: only the timbre changes
                self._push_voice(v, db_to_amp(c.db[v]) if c.active[v] else 0.0, self._amp_ramp[v])
            except EngineQueueFull:
                c.kind[v] = old
                raise

    def release_voice(self, voice: int) -> None:
        """Fade that voice to silence over fade_ms (its pitch and timbre are kept while it fades)."""
        v = self._voice_index(voice)
        with self._lock:
            self._push_voice(v, 0.0, self._samples(self.cfg.fade_ms))
            self._ctl.active[v] = False

    def voice_kind(self, voice: int) -> str:
        """The kind the control side last gave the voice ("sine" or "fm")."""
        v = self._voice_index(voice)
        with self._lock:
            return self._ctl.kind[v]

    def played_params(self, voice: int) -> tuple[float, ...]:
        """What the voice plays once its glides settle, in its synth's parameter order (for /synthparams).

        sine: (pitch, db); fm: (pitch, ratio, index after the alias guard),
        after the engine's clamps. The guard is synths.guard_index, the rule
        the engine applies per sample (so a reply shows the index really heard).
        """
        v = self._voice_index(voice)
        with self._lock:
            c = self._ctl
            kind, pitch, db, ratio, index = c.kind[v], c.pitch[v], c.db[v], c.ratio[v], c.index[v]
        if kind == "sine":
            return (pitch, db)
        played = guard_index(midi_to_hz(pitch), ratio, index, self.cfg.samplerate)
        return (pitch, ratio, float(played))

    def set_gain(self, db: float) -> None:
        """Master gain in dB (clamped to [-120, +24]); ramped over the level glide."""
        db = self._clamp_gain(self._check_finite(db, "gain"))
        with self._lock:
            self._ctl.gain_db = db
            self._push_master(self._level_ramp())

    def set_glide(self, ms: float) -> None:
        """Glide time for later pitch and level changes, in ms (clamped to [0, 10000])."""
        ms = min(max(self._check_finite(ms, "glide"), limits.GLIDE_MS[0]), limits.GLIDE_MS[1])
        with self._lock:
            self._push(lib.ISUDT_CMD_PITCH_RAMP, 0, self._samples(ms))
            self._ctl.glide_ms = ms

    def set_mute(self, muted: bool) -> None:
        """Mute or unmute the output, ramped over fade_ms so that it never clicks."""
        with self._lock:
            self._ctl.muted = bool(muted)
            self._push_master(self._samples(self.cfg.fade_ms))

    def begin_fade_out(self, ms: float | None = None) -> None:
        """Start the shutdown fade (default fade_ms). `faded_out` turns true once the engine reached silence."""
        ms = self.cfg.fade_ms if ms is None else min(max(self._check_finite(ms, "fade"), 0.0), MAX_GLIDE_MS)
        with self._lock:
            self._ctl.fading = True
            self._push_master(self._samples(ms), fading=True)

    # ----------------------------------------------------------------- state
    def stats(self) -> EngineStats:
        """The engine's counters (blocks, underruns, commands applied, ...), read without stopping it."""
        if self._ptr is None:
            return EngineStats()
        lib.isudt_get_stats(self._ptr, self._stats)
        s = self._stats
        return EngineStats(blocks=int(s.blocks), frames=int(s.frames), underruns=int(s.underruns),
                           input_overflows=int(s.input_overflows), applied=int(s.applied), last_seq=int(s.last_seq),
                           pushed=self._seq, refused=self.refused, input_written=int(s.input_written),
                           last_callback_ns=int(s.last_callback_ns), max_callback_us=float(s.max_callback_us),
                           limiter_gain=float(s.limiter_gain), master=float(s.master),
                           faded_out=bool(s.faded_out), active_voices=int(s.active_voices))

    def callback_us(self) -> np.ndarray:
        """The newest callback durations (us), up to ISUDT_TIMING_RING of them."""
        n = lib.isudt_callback_times(self._ptr, ffi.from_buffer("float[]", self._times), len(self._times))
        return self._times[:n].copy()

    @property
    def faded_out(self) -> bool:
        """True once a shutdown fade has reached silence in the engine (never true if nothing renders)."""
        return self.stats().faded_out

    def snapshot(self) -> dict:
        """Targets per voice, gain, mute and glide (for /status); plus the limiter's current gain."""
        with self._lock:
            c = self._ctl
            voices = [{"voice": i, "active": c.active[i], "pitch": c.pitch[i],
                       "db": c.db[i] if c.active[i] else None} for i in range(self.cfg.voices)]
            out = {"voices": voices, "gain_db": c.gain_db, "muted": c.muted, "glide_ms": c.glide_ms,
                   "fade_ms": self.cfg.fade_ms, "fading_out": c.fading}
        st = self.stats()
        out.update(faded_out=st.faded_out, limiter_threshold_db=self.cfg.limiter_threshold_db,
                   limiter_gain_db=20.0 * math.log10(max(st.limiter_gain, 1e-12)))
        return out


def lock_memory() -> str | None:
    """mlockall(MCL_CURRENT | MCL_FUTURE), so a page fault cannot stall a block. None, or why it failed."""
    err = lib.isudt_lock_memory()
    if err == 0:
        return None
    import os
    return f"mlockall failed: {os.strerror(err)} (raise LimitMEMLOCK, or run without audio.mlock)"
