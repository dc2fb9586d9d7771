"""Subscriptions (bounded, expiring) and the state messages pushed to subscribers."""
from __future__ import annotations

from isudt.daemon.status import SILENT_DB, DaemonState, state_messages
from isudt.daemon.subscribers import Subscribers, format_address


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_table_is_bounded_and_refuses_newcomers_not_renewals() -> None:
    clock = Clock()
    subs = Subscribers(limit=3, ttl_s=60, clock=clock)
    assert all(subs.subscribe(("127.0.0.1", p)) for p in (1, 2, 3))
    assert not subs.subscribe(("127.0.0.1", 4)) and subs.refused == 1
    assert subs.subscribe(("127.0.0.1", 2))                  # a renewal still works when full
    assert subs.targets() == [("127.0.0.1", 1), ("127.0.0.1", 2), ("127.0.0.1", 3)]


def test_subscriptions_expire_without_renewal() -> None:
    clock = Clock()
    subs = Subscribers(limit=8, ttl_s=60, clock=clock)
    subs.subscribe(("127.0.0.1", 1))
    clock.t += 30
    subs.subscribe(("127.0.0.1", 2))
    clock.t += 30                                           # the first is 60 s old, the second 30 s
    assert subs.targets() == [("127.0.0.1", 2)]
    clock.t += 29.9
    assert len(subs) == 1 and ("127.0.0.1", 2) in subs
    clock.t += 0.2
    assert subs.targets() == []


def test_unsubscribe_and_addresses() -> None:
    subs = Subscribers()
    subs.subscribe(("::1", 9000, 0, 0))
    assert format_address(("::1", 9000, 0, 0)) == "[::1]:9000" and format_address(("127.0.0.1", 5)) == "127.0.0.1:5"
    assert subs.unsubscribe(("::1", 9000, 0, 0)) and not subs.unsubscribe(("::1", 9000, 0, 0))


def _snap(gain: float = 0.0, pitch0: float = 60.0, active0: bool = False) -> dict:
    voices = [{"voice": i, "active": False, "pitch": 60.0, "db": None} for i in range(3)]
    voices[0] = {"voice": 0, "active": active0, "pitch": pitch0, "db": -12.0 if active0 else None}
    return {"gain_db": gain, "glide_ms": 10.0, "muted": False, "voices": voices}


def test_state_in_full_then_only_what_changed() -> None:
    a = DaemonState.from_snapshot(_snap(), listening=False, model_id="m1")
    full = state_messages(a)
    assert full[0] == ("/state", [0.0, 10.0, 0, 0, "m1"])
    assert full[1:] == [("/state/voice", [n, 0, 60.0, SILENT_DB]) for n in range(3)]
    b = DaemonState.from_snapshot(_snap(pitch0=64.0, active0=True), listening=False, model_id="m1")
    assert state_messages(b, since=a) == [("/state/voice", [0, 1, 64.0, -12.0])]
    c = DaemonState.from_snapshot(_snap(gain=-6.0, pitch0=64.0, active0=True), listening=True, model_id="m1")
    assert state_messages(c, since=b) == [("/state", [-6.0, 10.0, 0, 1, "m1"])]
    assert state_messages(c, since=c) == []


def test_the_bundles_synth_follows_the_head_in_full_and_again_when_a_reload_switches_it() -> None:
    sine = ("sine", (("pitch", "MIDI"), ("db", "dB")))
    fm = ("fm", (("pitch", "MIDI"), ("ratio", "x carrier"), ("index", "")))
    a = DaemonState.from_snapshot(_snap(), listening=False, model_id="m1", synth=sine)
    full = state_messages(a)
    assert full[:2] == [("/state", [0.0, 10.0, 0, 0, "m1"]), ("/state/synth", ["sine", 2, "pitch", "MIDI", "db", "dB"])]
    assert [m for m, _ in full[2:]] == ["/state/voice"] * 3
    assert state_messages(a, since=a) == []
    b = DaemonState.from_snapshot(_snap(), listening=False, model_id="m2", synth=fm)
    assert state_messages(b, since=a) == [("/state", [0.0, 10.0, 0, 0, "m2"]),
                                          ("/state/synth", ["fm", 3, "pitch", "MIDI", "ratio", "x carrier", "index", ""])]
