"""What the daemon reports, typed and formatted: `/status.reply` and `/state` (docs/contracts.md, 2.2-2.3).

Pure: no I/O, no clocks. The audio side reports typed snapshots
(`EngineStats` from `Engine.stats()`, `AudioStats` from `AudioOutput.stats()`);
the server gathers them with its own counters into a `StatusReport`, and this
module turns that into `/status.reply`'s name/value pairs, in the wire order.

`/state`: the state the daemon owns (gain, glide, mute, listening, model,
voices), as clients are told it. Why: a control surface must show what the
daemon *does*, not what was last clicked; a daemon that restarts must be seen
to have restarted. So the daemon pushes its state to subscribers: in full to
a new subscriber, then whenever it changes, at most `rate` times a second
(newest wins), and only the voices that changed. This module works out *what*
to say; the OSC side encodes and sends it.

Messages:
    /state gain_db glide_ms muted listening model_id
    /state/synth kind n name1 unit1 ... nameN unitN   (the bundle's synth; after the head, when known)
    /state/latent image_dims sound_dims   (the bundle's latent sizes; after /state/synth, when known)
    /state/voice N active pitch db        (db = -120 for a silent voice)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

SILENT_DB = -120.0

Message = tuple[str, list[Any]]
Pair = tuple[str, Any]

# /status.reply's `audio_errors`: kept on the wire for the clients that show it. Nothing counts audio errors
# since the callback is C (engine.c): it cannot raise, and what goes wrong is counted as underruns,
# retries or a lost state.
AUDIO_ERRORS = 0


# --- the audio side's snapshots -------------------------------------------------------------------

@dataclass(frozen=True)
class EngineStats:
    """The C engine's counters (`Engine.stats()`), read without stopping it; all zero before it exists."""

    blocks: int = 0                 # callbacks rendered
    frames: int = 0
    underruns: int = 0
    input_overflows: int = 0
    applied: int = 0                # commands applied by the audio thread ...
    last_seq: int = 0               # ... and the sequence number of the last one
    pushed: int = 0                 # commands pushed by the control side
    refused: int = 0                # pushes refused because the FIFO stayed full
    input_written: int = 0          # samples captured into the input ring
    last_callback_ns: int = 0       # CLOCK_MONOTONIC; 0: never
    max_callback_us: float = 0.0
    limiter_gain: float = 1.0
    master: float = 0.0
    faded_out: bool = False
    active_voices: int = 0


@dataclass(frozen=True)
class AudioStats:
    """The audio output's state and counters (`AudioOutput.stats()`); the defaults say "nothing known"."""

    state: str = "?"                # running, null, lost, stopped, ...
    device: str = "?"
    null: bool = False
    samplerate: int = 0
    blocksize: int = 0
    underruns: int = 0
    callbacks: int = 0
    retries: int = 0
    recoverable: bool = True
    callback_us_p50: float = 0.0    # over the engine's newest callbacks
    callback_us_p99: float = 0.0
    callback_us_max: float = 0.0    # since the start
    block_us: float = 0.0
    last_callback: float = 0.0      # time.monotonic()'s clock; 0: never
    warning: str | None = None
    input: str | None = None
    input_overflows: int = 0


# --- /status.reply --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ListenStatus:
    """The way back's part of /status.reply (raw values; rounded when formatted)."""

    way_back: bool
    listening: bool
    input_device: str | None
    input_level_db: float
    analyses: int
    silent_frames: int
    silences: int
    stale: int
    failed: int
    analysis_ms: Sequence[float]         # p50, p99
    image_ms: Sequence[float]


@dataclass(frozen=True)
class StatusReport:
    """Everything /status.reply says, gathered by the server (raw values; rounded when formatted)."""

    version: str
    model_id: str
    provider: str
    device: str
    audio_state: str
    audio_ok: bool
    samplerate: int
    blocksize: int
    voices: int
    received: int
    handled: int
    coalesced: int
    errors: int
    dropped: int
    pending: int
    clamped: int
    errors_unreplied: int
    datagrams: int
    overflowed: int
    replies_failed: int
    table_hits: int
    subscribers: int
    subscribers_refused: int
    table_filled: int
    inference_ms: Sequence[float]        # p50, p99
    latency_ms: Sequence[float]
    audio: AudioStats
    synth: dict                          # Engine.snapshot()
    reloads: int
    uptime_s: float
    listen: ListenStatus
    subscriber_addresses: tuple[str, ...]
    synth_kind: str = "sine"                                   # the bundle's synth and its parameters
    synth_params: tuple[tuple[str, str], ...] = (("pitch", "MIDI"), ("db", "dB"))   # (name, unit) each
    warm_passes: int = 0                                       # inference.keep_warm_ms passes so far

    def pairs(self) -> list[Pair]:
        return status_pairs(self)


def status_pairs(r: StatusReport) -> list[Pair]:
    """/status.reply's name/value pairs, in the order of docs/contracts.md 2.3."""
    pairs: list[Pair] = [
        ("version", r.version), ("model_id", r.model_id), ("provider", r.provider), ("device", r.device),
        ("audio_state", r.audio_state), ("audio_ok", int(r.audio_ok)),
        ("samplerate", r.samplerate), ("blocksize", r.blocksize), ("voices", r.voices),
        ("received", r.received), ("handled", r.handled), ("coalesced", r.coalesced), ("errors", r.errors),
        ("dropped", r.dropped), ("pending", r.pending), ("clamped", r.clamped),
        ("errors_unreplied", r.errors_unreplied), ("datagrams", r.datagrams), ("overflowed", r.overflowed),
        ("replies_failed", r.replies_failed), ("table_hits", r.table_hits), ("subscribers", r.subscribers),
        ("subscribers_refused", r.subscribers_refused), ("table_filled", r.table_filled),
        ("inference_p50_ms", round(r.inference_ms[0], 4)), ("inference_p99_ms", round(r.inference_ms[1], 4)),
        ("latency_p50_ms", round(r.latency_ms[0], 4)), ("latency_p99_ms", round(r.latency_ms[1], 4)),
    ]
    pairs += audio_pairs(r.audio)
    snap = r.synth
    pairs += [("gain_db", float(snap["gain_db"])), ("muted", int(snap["muted"])),
              ("glide_ms", float(snap["glide_ms"])),
              ("active_voices", sum(1 for v in snap["voices"] if v["active"])),
              ("limiter_gain_db", round(float(snap["limiter_gain_db"]), 2)),
              ("reloads", r.reloads), ("uptime_s", round(r.uptime_s, 1))]
    pairs += listen_pairs(r.listen)
    pairs += synth_pairs(r.synth_kind, r.synth_params)     # added last (before the subscribers): older readers
    pairs += [("warm_passes", r.warm_passes)]
    pairs += [("subscriber", a) for a in r.subscriber_addresses]
    return pairs


def audio_pairs(a: AudioStats) -> list[Pair]:
    pairs: list[Pair] = [
        ("underruns", int(a.underruns)), ("audio_callbacks", int(a.callbacks)), ("audio_errors", AUDIO_ERRORS),
        ("audio_retries", int(a.retries)), ("audio_recoverable", int(a.recoverable)),
        ("callback_us_p50", round(float(a.callback_us_p50), 1)), ("callback_us_p99", round(float(a.callback_us_p99), 1)),
        ("callback_us_max", round(float(a.callback_us_max), 1)), ("block_us", round(float(a.block_us), 1))]
    if a.warning:
        pairs.append(("audio_warning", str(a.warning)[:200]))
    return pairs


def listen_pairs(s: ListenStatus) -> list[Pair]:
    """The way back's counters."""
    return [("way_back", int(s.way_back)), ("listening", int(s.listening)),
            ("input_device", s.input_device or "none"), ("input_level_db", round(s.input_level_db, 2)),
            ("analyses", s.analyses), ("silent_frames", s.silent_frames), ("silences", s.silences),
            ("listen_stale", s.stale), ("listen_failed", s.failed),
            ("analysis_p50_ms", round(s.analysis_ms[0], 4)), ("analysis_p99_ms", round(s.analysis_ms[1], 4)),
            ("image_p50_ms", round(s.image_ms[0], 4)), ("image_p99_ms", round(s.image_ms[1], 4))]


def synth_pairs(kind: str, params: Sequence[tuple[str, str]]) -> list[Pair]:
    """The bundle's synth: its kind, and its parameters' names and units, comma-separated in the synth's
    order (the order of /sineparams and /synthparams; a unit may be empty: FM's index is `pitch,ratio,index`
    in `MIDI,x carrier,`)."""
    return [("synth", kind), ("synth_params", ",".join(n for n, _ in params)),
            ("synth_units", ",".join(u for _, u in params))]


def flatten(pairs: Sequence[Pair]) -> list[Any]:
    """[(name, value), ...] -> [name, value, name, value, ...]: /status.reply's arguments."""
    out: list[Any] = []
    for k, v in pairs:
        out.append(k)
        out.append(v)
    return out


# --- /state ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoiceState:
    active: bool
    pitch: float
    db: float


@dataclass(frozen=True)
class DaemonState:
    gain_db: float
    glide_ms: float
    muted: bool
    listening: bool
    model_id: str
    voices: tuple[VoiceState, ...]
    synth: tuple[str, tuple[tuple[str, str], ...]] | None = None   # (kind, ((name, unit), ...)): /state/synth
    latent: tuple[int, int] | None = None   # (image dims, sound dims): /state/latent

    @classmethod
    def from_snapshot(cls, snap: dict, listening: bool, model_id: str,
                      synth: tuple[str, tuple[tuple[str, str], ...]] | None = None,
                      latent: tuple[int, int] | None = None) -> "DaemonState":
        """From `Engine.snapshot()` (the control side's targets) plus what the engine does not know."""
        voices = tuple(VoiceState(bool(v["active"]), round(float(v["pitch"]), 4),
                                  round(float(v["db"]), 4) if v["active"] and v["db"] is not None else SILENT_DB)
                       for v in snap["voices"])
        return cls(float(snap["gain_db"]), float(snap["glide_ms"]), bool(snap["muted"]), bool(listening),
                   str(model_id), voices, synth,
                   None if latent is None else (int(latent[0]), int(latent[1])))

    def head(self) -> Message:
        return "/state", [self.gain_db, self.glide_ms, int(self.muted), int(self.listening), self.model_id]

    def synth_message(self) -> Message | None:
        """`/state/synth kind n name1 unit1 ...`: the bundle's synth (None when not known)."""
        if self.synth is None:
            return None
        kind, params = self.synth
        return "/state/synth", [kind, len(params)] + [x for p in params for x in p]

    def latent_message(self) -> Message | None:
        """`/state/latent image_dims sound_dims`: how many values `/latent/image` and `/latent/sound` take.

        Why: a control surface (the Pd and Max control patches) must send exactly as many latent values as
        the bundle has (a wrong count is an `/error`), and a `/bundle` switch can change that count.
        """
        if self.latent is None:
            return None
        return "/state/latent", [self.latent[0], self.latent[1]]

    def voice(self, n: int) -> Message:
        v = self.voices[n]
        return "/state/voice", [n, int(v.active), v.pitch, v.db]


def state_messages(state: DaemonState, since: DaemonState | None = None) -> list[Message]:
    """What to send: everything when `since` is None, else what changed since then (nothing if nothing)."""
    synth, latent = state.synth_message(), state.latent_message()
    if since is None:
        return ([state.head()] + ([synth] if synth else []) + ([latent] if latent else [])
                + [state.voice(n) for n in range(len(state.voices))])
    out: list[Message] = []
    if state.head() != since.head():
        out.append(state.head())
    if synth is not None and synth != since.synth_message():   # a reload switched bundles
        out.append(synth)
    if latent is not None and latent != since.latent_message():
        out.append(latent)
    out += [state.voice(n) for n, v in enumerate(state.voices)
            if n >= len(since.voices) or v != since.voices[n]]
    return out
