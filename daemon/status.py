"""The state the daemon owns (gain, glide, mute, listening, model, voices), as clients are told it.

Why: a control surface must show what the daemon *does*, not what was last
clicked; a daemon that restarts must be seen to have restarted. So the daemon
pushes its state to subscribers: in full to a new subscriber, then whenever
it changes, at most `rate` times a second (newest wins), and only the voices
that changed. This module works out *what* to say; the OSC side encodes and
sends it.

Messages:
    /state gain_db glide_ms muted listening model_id
    /state/voice N active pitch db        (db = -120 for a silent voice)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SILENT_DB = -120.0

Message = tuple[str, list[Any]]


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

    @classmethod
    def from_snapshot(cls, snap: dict, listening: bool, model_id: str) -> "DaemonState":
        """From `Engine.snapshot()` (the control side's targets) plus what the engine does not know."""
        voices = tuple(VoiceState(bool(v["active"]), round(float(v["pitch"]), 4),
                                  round(float(v["db"]), 4) if v["active"] and v["db"] is not None else SILENT_DB)
                       for v in snap["voices"])
        return cls(float(snap["gain_db"]), float(snap["glide_ms"]), bool(snap["muted"]), bool(listening),
                   str(model_id), voices)

    def head(self) -> Message:
        return "/state", [self.gain_db, self.glide_ms, int(self.muted), int(self.listening), self.model_id]

    def voice(self, n: int) -> Message:
        v = self.voices[n]
        return "/state/voice", [n, int(v.active), v.pitch, v.db]


def state_messages(state: DaemonState, since: DaemonState | None = None) -> list[Message]:
    """What to send: everything when `since` is None, else what changed since then (nothing if nothing)."""
    if since is None:
        return [state.head()] + [state.voice(n) for n in range(len(state.voices))]
    out: list[Message] = []
    if state.head() != since.head():
        out.append(state.head())
    out += [state.voice(n) for n, v in enumerate(state.voices)
            if n >= len(since.voices) or v != since.voices[n]]
    return out
