"""The numpy reference of the C audio engine (daemon/engine.c): the same synth, kept to check it.

This was the daemon's synth until the engine moved to C. It stays as the
specification the engine must match sample for sample (tests/test_engine.py),
written in the form that is easiest to read and to check by hand.

Why it is shaped like this
--------------------------
The synth has two sides that never wait for each other:

* the **control side** (OSC / inference threads) calls `set_voice`, `set_gain`, ...
  Each call builds a new immutable `_Params` snapshot and publishes it with one
  reference assignment (atomic in CPython). A `threading.Lock` serialises the
  control threads among themselves only; the audio callback never takes it.
* the **audio side** (`render`, called from the PortAudio callback) reads that
  reference once per block and compares the targets with the ramps it is
  running. It allocates nothing (work buffers are preallocated, every numpy call
  writes through `out=`), never locks, logs or waits.

Sound:

* Phase-continuous sine per voice; float64 phase accumulators in cycles, wrapped
  to [0, 1) every block, so there is no drift over hours.
* A voice is a sine (`set_voice`) or a two-operator FM voice (`set_voice_fm`,
  daemon/synths.py's FM): y = level * sin(2 pi phase_c + index * sin(2 pi
  phase_m)), the modulator at ratio x the carrier. A sine is an FM voice at
  index 0: every voice is computed with the FM formula here (adding 0 * sin
  changes no bit), while the engine takes a plain sine path for a voice whose
  index rests at 0; the modulator phase moves on only in blocks where the
  index is not resting at 0 (the engine's FM path), and is never reset.
* The ratio glides in log2 units, the index linearly, both over `glide_ms`
  like the pitch; a silent voice takes all of them at once. The alias guard
  (daemon/synths.guard_index's rule) is applied per sample to the glided
  values, in cycles per sample: index <= (limit / carrier increment - 1) /
  ratio - 1, and >= 0.
* Pitch glides linearly in MIDI units (the log domain) over `glide_ms`, and is
  converted to Hz per sample; the level glides linearly in amplitude (like the
  published Max patch: ``dbtoa -> line~ 10 ms``). The level ramp is never
  shorter than 2 ms, even with glide 0, because a level jump is a click while a
  pitch jump of a phase-continuous sine is not.
* A silent voice takes its target pitch at once, so a voice that starts fades
  in (over `fade_ms`) at its own pitch and never sweeps from a stale one.
* Voices are summed (mono, copied to every channel), then the master gain
  (which also carries mute and the shutdown fade, each ramped), then the
  limiter.
* Limiter: a *smooth gain computer* on the peak bound of the mix. The output of
  a sum of sines can never exceed ``master * sum(amplitude_v)``; the limiter
  gain is ``min(1, threshold / bound)`` sample by sample, so the output never
  exceeds the threshold, whatever the phases. Because the bound follows the
  (ramped) amplitudes and not the waveform, the gain is continuous and does not
  follow beating between voices: no distortion, no pumping, no look-ahead
  delay. Attack is instantaneous; release is limited to a slope of
  ``1 / limiter_release_ms`` (full scale per release time), evaluated sample
  by sample, so the output does not depend on the block size. A float32 clip at
  the threshold is the last line of defence against rounding.

Cost (2-core development machine, busy with two training runs; 8 voices
gliding, 128-frame blocks at 48 kHz; tests/test_synth.py::test_render_cost
prints it): median 50-80 us per block, 2-3 % of the 2667 us block period
(target: under 10 %, 267 us). Inside the real PortAudio/JACK callback
(AudioOutput.stats, which adds the cffi bridge) the median is about 95 us.
Traced memory over 2000 blocks: no growth, transient peak < 1 KB (no
block-sized temporaries).
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

__all__ = ["SynthConfig", "Synth", "db_to_amp"]

from isudt.daemon.engine import (DB_FLOOR, MAX_GAIN_DB, MAX_GLIDE_MS, Engine, SynthConfig, _Control,  # noqa: E402
                                 db_to_amp)
from isudt.daemon.synths import ALIAS_LIMIT  # noqa: E402


@dataclass(frozen=True)
class _Params:
    """What the control side wants. Immutable: published by reference swap, read once per block."""
    pitch: np.ndarray        # [V] target MIDI pitch
    amp: np.ndarray          # [V] target linear amplitude (0: released)
    amp_ramp: np.ndarray     # [V] samples for the next level ramp of that voice
    lratio: np.ndarray       # [V] target log2(FM ratio)
    index: np.ndarray        # [V] target FM index (0: a sine voice)
    pitch_ramp: float        # samples for a pitch, ratio and index ramp (>= 1)
    master: float            # target master gain, linear (gain * not muted * not fading)
    master_ramp: float       # samples for the next master ramp (>= 1)
    fading_out: bool = False


class _Views(NamedTuple):
    """Contiguous views of the work buffers for one block length (cached, made once per length).

    No operation in render broadcasts a [V] column against a [V, n] block: numpy
    allocates an iterator buffer the size of the block for stride-0 operands, so
    per-voice ramps are written row by row instead.
    """
    pitch: np.ndarray        # [V, n] pitch, then phase increment, then phase
    sine: np.ndarray         # [V, n] sine, then voice signal
    amp: np.ndarray          # [V, n] amplitude ramp
    ratio: np.ndarray        # [V, n] log2 ratio, then ratio
    index: np.ndarray        # [V, n] index, then guarded index
    mod: np.ndarray          # [V, n] guard ceiling, then modulator increment, phase, index * sin
    pitch_rows: tuple        # V views [n] of pitch
    amp_rows: tuple          # V views [n] of amp
    ratio_rows: tuple        # V views [n] of ratio
    index_rows: tuple        # V views [n] of index
    first: np.ndarray        # [V] pitch[:, 0]
    last: np.ndarray         # [V] pitch[:, n-1]
    mfirst: np.ndarray       # [V] mod[:, 0]
    mlast: np.ndarray        # [V] mod[:, n-1]
    idx1: np.ndarray         # [n] 1..n
    mix: np.ndarray          # [n]
    mix_col: np.ndarray      # [n, 1] the same memory, broadcast onto the output channels
    master: np.ndarray       # [n]
    bound: np.ndarray        # [n]
    gain: np.ndarray         # [n]


class Synth:
    """The sine/FM synth. Control methods may be called from any thread; `render` from one audio thread."""

    def __init__(self, cfg: SynthConfig) -> None:
        self.cfg = cfg
        v, mb = cfg.voices, cfg.max_block
        self._lock = threading.Lock()
        self._ms = cfg.samplerate / 1000.0
        self._max_pitch = 69.0 + 12.0 * math.log2(0.45 * cfg.samplerate / 440.0)
        self._thr = 10.0 ** (cfg.limiter_threshold_db / 20.0)
        self._rel_rate = 1.0 / max(1.0, cfg.limiter_release_ms * self._ms)
        self._incr_offset = math.log2(440.0 / cfg.samplerate) - 69.0 / 12.0  # MIDI/12 + this -> log2(cycles/sample)
        self._alias = ALIAS_LIMIT
        self._ctl = _Control.start(v, cfg)   # the engine's bookkeeping (its `pitch` unused here)
        self._check_finite(cfg.gain_db, "gain_db")
        self._params = self._freeze(_Params(
            pitch=np.full(v, 60.0), amp=np.zeros(v), amp_ramp=np.full(v, self._samples(cfg.fade_ms)),
            lratio=np.zeros(v), index=np.zeros(v), pitch_ramp=self._samples(cfg.glide_ms),
            master=db_to_amp(self._clamp_gain(cfg.gain_db)),
            master_ramp=self._samples(cfg.fade_ms)))
        self._alloc_render_state(v, mb)

    # ------------------------------------------------------------------ setup
    def _alloc_render_state(self, v: int, mb: int) -> None:
        """Everything render touches, allocated once. Columns are [V, 1] views for broadcasting."""
        p = self._params
        self._phase, self._mphase = np.zeros(v), np.zeros(v)
        self._p_cur, self._p_goal = p.pitch.copy(), p.pitch.copy()
        self._p_step, self._p_left = np.zeros(v), np.zeros(v)
        self._r_cur, self._r_goal = p.lratio.copy(), p.lratio.copy()
        self._r_step, self._r_left = np.zeros(v), np.zeros(v)
        self._i_cur, self._i_goal = p.index.copy(), p.index.copy()
        self._i_step, self._i_left = np.zeros(v), np.zeros(v)
        self._fm = np.zeros(v, bool)
        self._a_cur, self._a_goal = np.zeros(v), np.zeros(v)
        self._a_step, self._a_left = np.zeros(v), np.zeros(v)
        self._tmp, self._tmp2 = np.zeros(v), np.zeros(v)
        self._b1, self._b2 = np.zeros(v, bool), np.zeros(v, bool)
        self._m_cur, self._m_goal, self._m_step, self._m_left = p.master, p.master, 0.0, 0.0
        self._g_prev = 1.0
        self._faded = False
        self._w_pitch = np.zeros(v * mb)
        self._w_sine = np.zeros(v * mb)
        self._w_amp = np.zeros(v * mb)
        self._w_ratio, self._w_index, self._w_mod = np.zeros(v * mb), np.zeros(v * mb), np.zeros(v * mb)
        self._w_idx = np.arange(1, mb + 1, dtype=np.float64)
        self._w_mix, self._w_master = np.zeros(mb), np.zeros(mb)
        self._w_bound, self._w_gain = np.zeros(mb), np.zeros(mb)
        self._views: dict[int, _Views] = {}

    def _views_for(self, n: int) -> _Views:
        w = self._views.get(n)
        if w is None:  # first block of this length: make the views once (block sizes are few)
            v = self.cfg.voices
            pitch = self._w_pitch[: v * n].reshape(v, n)
            amp = self._w_amp[: v * n].reshape(v, n)
            ratio = self._w_ratio[: v * n].reshape(v, n)
            index = self._w_index[: v * n].reshape(v, n)
            mod = self._w_mod[: v * n].reshape(v, n)
            mix = self._w_mix[:n]
            w = _Views(pitch, self._w_sine[: v * n].reshape(v, n), amp, ratio, index, mod, tuple(pitch), tuple(amp),
                       tuple(ratio), tuple(index), pitch[:, 0], pitch[:, n - 1], mod[:, 0], mod[:, n - 1],
                       self._w_idx[:n], mix, mix[:, None], self._w_master[:n], self._w_bound[:n], self._w_gain[:n])
            self._views[n] = w
        return w

    # --------------------------------------------------------------- control
    # the control side's arithmetic and checks are the engine's own (one definition of the rules)
    _samples = Engine._samples
    _level_ramp = Engine._level_ramp
    _check_finite = staticmethod(Engine._check_finite)
    _clamp_gain = staticmethod(Engine._clamp_gain)
    _voice_index = Engine._voice_index

    _clamp_pitch = Engine._clamp_pitch
    _clamp_fm = Engine._clamp_fm

    @staticmethod
    def _freeze(p: _Params) -> _Params:
        for a in (p.pitch, p.amp, p.amp_ramp, p.lratio, p.index):
            a.setflags(write=False)
        return p

    def _publish(self, **changes: object) -> None:
        """Build the next snapshot from the current one and swap it in (one reference assignment)."""
        self._params = self._freeze(replace(self._params, **changes))

    def _master_target(self) -> float:
        c = self._ctl
        return 0.0 if (c.muted or c.fading) else db_to_amp(self._clamp_gain(c.gain_db))

    def set_voice(self, voice: int, pitch_midi: float, db: float) -> None:
        """Set a voice's target pitch (MIDI) and level (dB, 0 = full-scale sine); starts it if silent.

        A starting voice fades in over fade_ms at this pitch; a sounding one glides over glide_ms.
        Pitch is clamped to what the sample rate can play; levels <= -120 dB mean silence.
        """
        v = self._voice_index(voice)
        pitch = self._clamp_pitch(pitch_midi)
        db = min(self._check_finite(db, "db"), MAX_GAIN_DB)
        with self._lock:
            self._start(v, "sine", pitch, db, self._ctl.ratio[v], 0.0)

    def set_voice_fm(self, voice: int, pitch_midi: float, ratio: float, index: float, db: float) -> None:
        """Set a voice's FM targets (pitch MIDI, ratio x carrier, index) and level; starts it if silent."""
        v = self._voice_index(voice)
        pitch, ratio, index, db = self._clamp_fm(pitch_midi, ratio, index, db)
        with self._lock:
            self._start(v, "fm", pitch, db, ratio, index)

    def set_voice_kind(self, voice: int, kind: str) -> None:
        """Make a voice a sine or an FM voice (its last FM ratio and index), keeping pitch and level."""
        v = self._voice_index(voice)
        if kind not in ("sine", "fm"):
            raise ValueError(f"voice kind must be sine or fm, got {kind!r}")
        with self._lock:
            c = self._ctl
            c.kind[v] = kind
            p = self._params
            lratio, index = p.lratio.copy(), p.index.copy()
            lratio[v], index[v] = math.log2(c.ratio[v]), c.index[v] if kind == "fm" else 0.0
            self._publish(lratio=lratio, index=index)

    def _start(self, v: int, kind: str, pitch: float, db: float, ratio: float, index: float) -> None:
        """One voice's new targets, as one snapshot (the lock is held)."""
        c, p = self._ctl, self._params
        pitches, amps, ramps = p.pitch.copy(), p.amp.copy(), p.amp_ramp.copy()
        lratio, indices = p.lratio.copy(), p.index.copy()
        pitches[v], amps[v], lratio[v], indices[v] = pitch, db_to_amp(db), math.log2(ratio), index
        ramps[v] = self._level_ramp() if c.active[v] else self._samples(self.cfg.fade_ms)
        c.active[v], c.db[v], c.kind[v] = True, db, kind
        if kind == "fm":
            c.ratio[v], c.index[v] = ratio, index
        self._publish(pitch=pitches, amp=amps, amp_ramp=ramps, lratio=lratio, index=indices)

    def release_voice(self, voice: int) -> None:
        """Fade that voice to silence over fade_ms (its pitch is kept while it fades)."""
        v = self._voice_index(voice)
        with self._lock:
            p = self._params
            amps, ramps = p.amp.copy(), p.amp_ramp.copy()
            amps[v], ramps[v] = 0.0, self._samples(self.cfg.fade_ms)
            self._ctl.active[v] = False
            self._publish(amp=amps, amp_ramp=ramps)

    def set_gain(self, db: float) -> None:
        """Master gain in dB (clamped to [-120, +24]); ramped over the level glide."""
        db = self._clamp_gain(self._check_finite(db, "gain"))
        with self._lock:
            self._ctl.gain_db = db
            self._publish(master=self._master_target(), master_ramp=self._level_ramp())

    def set_glide(self, ms: float) -> None:
        """Glide time for later pitch and level changes, in ms (clamped to [0, 10000])."""
        ms = min(max(self._check_finite(ms, "glide"), 0.0), MAX_GLIDE_MS)
        with self._lock:
            self._ctl.glide_ms = ms
            self._publish(pitch_ramp=self._samples(ms))

    def set_mute(self, muted: bool) -> None:
        """Mute or unmute the output, ramped over fade_ms so that it never clicks."""
        with self._lock:
            self._ctl.muted = bool(muted)
            self._publish(master=self._master_target(), master_ramp=self._samples(self.cfg.fade_ms))

    def begin_fade_out(self, ms: float | None = None) -> None:
        """Start the shutdown fade (default fade_ms). `faded_out` turns true once render reached silence."""
        ms = self.cfg.fade_ms if ms is None else min(max(self._check_finite(ms, "fade"), 0.0), MAX_GLIDE_MS)
        with self._lock:
            self._ctl.fading = True
            self._publish(master=0.0, master_ramp=self._samples(ms), fading_out=True)

    @property
    def faded_out(self) -> bool:
        """True once a shutdown fade has reached silence in `render` (never true if render is not running)."""
        return self._faded

    def snapshot(self) -> dict:
        """Targets per voice, gain, mute and glide (for /status); plus the limiter's current gain."""
        with self._lock:
            c, p = self._ctl, self._params
            voices = [{"voice": i, "active": c.active[i], "pitch": float(p.pitch[i]),
                       "db": float(c.db[i]) if c.active[i] else None} for i in range(self.cfg.voices)]
            return {"voices": voices, "gain_db": c.gain_db, "muted": c.muted, "glide_ms": c.glide_ms,
                    "fade_ms": self.cfg.fade_ms, "fading_out": c.fading, "faded_out": self._faded,
                    "limiter_threshold_db": self.cfg.limiter_threshold_db,
                    "limiter_gain_db": 20.0 * math.log10(max(self._g_prev, 1e-12))}

    # ----------------------------------------------------------------- audio
    def render(self, out: np.ndarray) -> None:
        """Fill `out` (float32 [frames, channels]) with the next block. Audio thread only; allocation-free."""
        frames = out.shape[0]
        mb = self.cfg.max_block
        if frames == 0:
            return
        if frames <= mb:
            self._render_block(out, frames)
            return
        for start in range(0, frames, mb):  # larger than max_block: rare, costs a view per chunk
            n = min(mb, frames - start)
            self._render_block(out[start:start + n], n)

    def _render_block(self, out: np.ndarray, n: int) -> None:
        p = self._params            # the one read of the shared snapshot for this block
        w = self._views_for(n)
        self._retarget(p)
        self._retarget_master(p)
        # pitch ramp (MIDI) -> cycles per sample; log2 ratio ramp -> ratio; index ramp -> alias guard
        np.equal(self._i_cur, 0.0, out=self._fm)
        np.less_equal(self._i_left, 0.0, out=self._b1)
        np.logical_and(self._fm, self._b1, out=self._fm)
        np.logical_not(self._fm, out=self._fm)             # the voices the engine renders as FM in this block
        _ramp_rows(w.pitch_rows, self._p_cur, self._p_step, self._p_left, w.idx1)
        np.multiply(w.pitch, 1.0 / 12.0, out=w.pitch)
        np.add(w.pitch, self._incr_offset, out=w.pitch)
        np.exp2(w.pitch, out=w.pitch)
        _ramp_rows(w.ratio_rows, self._r_cur, self._r_step, self._r_left, w.idx1)
        np.exp2(w.ratio, out=w.ratio)
        _ramp_rows(w.index_rows, self._i_cur, self._i_step, self._i_left, w.idx1)
        np.divide(self._alias, w.pitch, out=w.mod)         # ceiling = (limit / incr - 1) / ratio - 1
        np.subtract(w.mod, 1.0, out=w.mod)
        np.divide(w.mod, w.ratio, out=w.mod)
        np.subtract(w.mod, 1.0, out=w.mod)
        np.minimum(w.index, w.mod, out=w.index)
        np.maximum(w.index, 0.0, out=w.index)
        # modulator: increment = carrier's * ratio -> running phase (kept only for the FM voices)
        np.multiply(w.pitch, w.ratio, out=w.mod)
        np.add(w.mfirst, self._mphase, out=w.mfirst)
        np.add.accumulate(w.mod, axis=1, out=w.mod)
        np.remainder(w.mlast, 1.0, out=self._tmp)
        np.copyto(self._mphase, self._tmp, where=self._fm)
        np.multiply(w.mod, 2.0 * math.pi, out=w.mod)
        np.sin(w.mod, out=w.mod)
        np.multiply(w.mod, w.index, out=w.mod)
        # carrier: running phase (wrapped each block) -> sin(2 pi phase + index * sin(2 pi modulator phase))
        np.add(w.first, self._phase, out=w.first)
        np.add.accumulate(w.pitch, axis=1, out=w.pitch)
        np.remainder(w.last, 1.0, out=self._phase)
        np.multiply(w.pitch, 2.0 * math.pi, out=w.sine)
        np.add(w.sine, w.mod, out=w.sine)
        np.sin(w.sine, out=w.sine)
        # level ramp, voice sum
        _ramp_rows(w.amp_rows, self._a_cur, self._a_step, self._a_left, w.idx1)
        np.multiply(w.sine, w.amp, out=w.sine)
        np.add.reduce(w.sine, axis=0, out=w.mix)
        # master gain ramp, then the limiter's gain computer on the peak bound
        np.minimum(w.idx1, self._m_left, out=w.master)
        np.multiply(w.master, self._m_step, out=w.master)
        np.add(w.master, self._m_cur, out=w.master)
        self._limiter_gain(w)
        np.multiply(w.mix, w.master, out=w.mix)
        np.multiply(w.mix, w.gain, out=w.mix)
        np.copyto(out, w.mix_col, casting="same_kind")
        np.minimum(out, self._thr, out=out)      # (np.clip is a slow python wrapper)
        np.maximum(out, -self._thr, out=out)
        self._advance(n, p)

    def _limiter_gain(self, w: _Views) -> None:
        """gain[k] = min(required[k], gain[k-1] + release_rate), required = min(1, thr / (master * sum amp)).

        The recursion is evaluated in closed form so that it stays vectorised:
        gain[k] = min(g_prev + r (k+1), min_{j<=k} required[j] + r (k-j)), with a
        running minimum of (required[j] - r (j+1)). Same result for any block size.
        """
        np.add.reduce(w.amp, axis=0, out=w.bound)
        np.multiply(w.bound, w.master, out=w.bound)
        np.maximum(w.bound, self._thr, out=w.bound)
        np.divide(self._thr, w.bound, out=w.bound)            # required gain, <= 1
        np.multiply(w.idx1, self._rel_rate, out=w.gain)       # r (k+1)
        np.subtract(w.bound, w.gain, out=w.bound)
        np.minimum.accumulate(w.bound, out=w.bound)
        np.add(w.bound, w.gain, out=w.bound)                  # best gain reachable from the dips in this block
        np.add(w.gain, self._g_prev, out=w.gain)              # ceiling from the previous block
        np.minimum(w.gain, w.bound, out=w.gain)
        self._g_prev = float(w.gain[-1])

    def _retarget(self, p: _Params) -> None:
        """Start new linear ramps for voices whose targets moved since the last block."""
        silent, chg, tmp = self._b1, self._b2, self._tmp
        # a silent voice takes its target pitch at once: starting voices never glide from a stale pitch
        np.equal(self._a_cur, 0.0, out=silent)
        np.equal(self._a_left, 0.0, out=chg)
        np.logical_and(silent, chg, out=silent)
        np.copyto(self._p_cur, p.pitch, where=silent)
        np.copyto(self._p_goal, p.pitch, where=silent)
        np.copyto(self._p_left, 0.0, where=silent)
        for target, cur, goal, left in ((p.lratio, self._r_cur, self._r_goal, self._r_left),
                                        (p.index, self._i_cur, self._i_goal, self._i_left)):
            np.copyto(cur, target, where=silent)
            np.copyto(goal, target, where=silent)
            np.copyto(left, 0.0, where=silent)
        _start_ramps(p.pitch, p.pitch_ramp, self._p_cur, self._p_goal, self._p_step, self._p_left, chg, tmp)
        _start_ramps(p.lratio, p.pitch_ramp, self._r_cur, self._r_goal, self._r_step, self._r_left, chg, tmp)
        _start_ramps(p.index, p.pitch_ramp, self._i_cur, self._i_goal, self._i_step, self._i_left, chg, tmp)
        _start_ramps(p.amp, p.amp_ramp, self._a_cur, self._a_goal, self._a_step, self._a_left, chg, tmp)

    def _retarget_master(self, p: _Params) -> None:
        if p.master != self._m_goal:
            self._m_goal = p.master
            self._m_left = p.master_ramp
            self._m_step = (p.master - self._m_cur) / p.master_ramp

    def _advance(self, n: int, p: _Params) -> None:
        """Move the ramp states on by n samples; a finished ramp lands exactly on its goal."""
        _advance_ramps(n, self._p_cur, self._p_goal, self._p_step, self._p_left, self._tmp, self._tmp2, self._b1)
        _advance_ramps(n, self._r_cur, self._r_goal, self._r_step, self._r_left, self._tmp, self._tmp2, self._b1)
        _advance_ramps(n, self._i_cur, self._i_goal, self._i_step, self._i_left, self._tmp, self._tmp2, self._b1)
        _advance_ramps(n, self._a_cur, self._a_goal, self._a_step, self._a_left, self._tmp, self._tmp2, self._b1)
        step = min(float(n), self._m_left)
        self._m_cur += self._m_step * step
        self._m_left -= step
        if self._m_left <= 0.0:
            self._m_cur, self._m_left = self._m_goal, 0.0
        if p.fading_out and self._m_left == 0.0 and self._m_cur == 0.0:
            self._faded = True


def _ramp_rows(rows: tuple, cur: np.ndarray, step: np.ndarray, left: np.ndarray, idx: np.ndarray) -> None:
    """rows[v][k] = cur[v] + step[v] * min(k + 1, left[v]): linear ramps that hold at their goal."""
    for row, c, s, n_left in zip(rows, cur.tolist(), step.tolist(), left.tolist()):
        if n_left <= 0.0:
            row.fill(c)
        else:
            np.minimum(idx, n_left, out=row)
            np.multiply(row, s, out=row)
            np.add(row, c, out=row)


def _start_ramps(target: np.ndarray, length: float | np.ndarray, cur: np.ndarray, goal: np.ndarray,
                 step: np.ndarray, left: np.ndarray, chg: np.ndarray, tmp: np.ndarray) -> None:
    np.not_equal(target, goal, out=chg)
    np.subtract(target, cur, out=tmp)
    np.divide(tmp, length, out=tmp)
    np.copyto(step, tmp, where=chg)
    np.copyto(left, length, where=chg)
    np.copyto(goal, target, where=chg)


def _advance_ramps(n: int, cur: np.ndarray, goal: np.ndarray, step: np.ndarray, left: np.ndarray,
                   tmp: np.ndarray, tmp2: np.ndarray, done: np.ndarray) -> None:
    np.minimum(left, float(n), out=tmp)
    np.multiply(step, tmp, out=tmp2)
    np.add(cur, tmp2, out=cur)
    np.subtract(left, tmp, out=left)
    np.less_equal(left, 0.0, out=done)
    np.copyto(cur, goal, where=done)
