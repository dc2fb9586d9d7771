"""Datagram generators for the live fuzzer and the floods: valid and invalid OSC, each with what it must do.

Why each datagram carries its expected effect: the live fuzz test does not
just check that the daemon survived, it checks that its counters add up to
exactly what was sent. So every generated datagram says how many OSC
messages the daemon will count as `received`, how many of those it must
refuse (`errors`) and how many it plays with clamped values (`clamped`);
summing them over a run gives the exact counter deltas to expect.

The mix is deterministic (seeded `random.Random`), so a failure can be
replayed. Kinds (the `kind` label, used for the report):

decode errors (the whole datagram is refused; counts as one received message):
  not_osc, truncated, bad_padding, tag_mismatch, unterminated_string,
  unknown_tag, bad_bundle, deep_bundle, huge_bundle
validation errors (decoded, then refused one message at a time):
  unknown_address, wrong_count, wrong_type, nan_inf, position_out_of_range,
  bad_voice, blob_wrong_size, blob_empty, blob_oversized, blob_not_square,
  list_bad
valid (played or applied; some clamped):
  pictslider (voice 0 only: the run's last one is what voice 0 must play),
  frame, frame_wh, frame_list, latent_image, latent_sound (voices 1..3),
  latent_clamped, gain, glide, unmute, status, voice_off, bundle_ok,
  bundle_future (future time tag: runs at once), bundle_mixed (valid + refused)

Run as a script it is a flood sender for a subprocess (a second core for
the flood, and no GIL shared with the test)::

    python tests/support/fuzz.py flood --port P --seconds 3 --sockets 4 --mix junk
"""
from __future__ import annotations

import argparse
import json
import math
import random
import socket
import struct
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

if __name__ == "__main__":   # run as a script: make `isudt` importable the same way the tests do
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from isudt.daemon.osc_codec import encode_message  # noqa: E402

NAN, INF = float("nan"), float("inf")
_I32 = struct.Struct(">i")
FUTURE = struct.pack(">II", 0xFFFFFFF0, 0)          # NTP seconds near 2106: far in the future
IMMEDIATE = b"\0" * 7 + b"\x01"


@dataclass(frozen=True)
class Datagram:
    """One datagram and what the daemon must count for it."""

    kind: str
    data: bytes
    received: int = 1          # OSC messages the daemon counts as received
    errors: int = 0            # of those, refused (an /error each, rate-limited)
    clamped: int = 0           # played with values clamped into range
    position: tuple[int, int] | None = None    # a valid voice-0 /pictslider: (x, y)
    gain_db: float | None = None               # a valid /gain, after clamping
    glide_ms: float | None = None              # a valid /glide, after clamping


@dataclass(frozen=True)
class Box:
    """A latent range (from the bundle manifest): valid latents are drawn inside it."""

    lo: tuple[float, ...]
    hi: tuple[float, ...]


@dataclass
class Limits:
    """What the generator must know about the daemon it fuzzes (config + manifest)."""

    positions: int = 126
    voices: int = 4
    image_box: Box = Box((0.0, 0.0), (1.0, 1.0))
    sound_box: Box = Box((0.0, 0.0), (1.0, 1.0))
    max_blob_bytes: int = 8192
    max_bundle_depth: int = 4
    max_bundle_messages: int = 64

    @classmethod
    def from_bundle(cls, bundle_dir: Path, **kw: Any) -> "Limits":
        from isudt.daemon.bundle import load_manifest
        m = load_manifest(bundle_dir, verify=False)
        return cls(positions=m.square.positions,
                   image_box=Box(tuple(map(float, m.image_box.lo)), tuple(map(float, m.image_box.hi))),
                   sound_box=Box(tuple(map(float, m.sound_box.lo)), tuple(map(float, m.sound_box.hi))), **kw)


# --- raw building blocks ----------------------------------------------------------

def pad(b: bytes) -> bytes:
    """An OSC string: the bytes, a zero, zeros to a multiple of 4."""
    b = b + b"\0"
    return b + b"\0" * (-len(b) % 4)


def bundle(*elements: bytes, timetag: bytes = IMMEDIATE) -> bytes:
    out = b"#bundle\0" + timetag
    for e in elements:
        out += _I32.pack(len(e)) + e
    return out


def msg(address: str, *args: Any) -> bytes:
    return encode_message(address, args)


# --- the mix ------------------------------------------------------------------------

class Mix:
    """Seeded generator of `Datagram`s; `valid_ratio` of them are valid.

    Voice 0 only ever gets `/pictslider` (bare or as /voice/0/...), so the last
    valid one of a run is what voice 0 plays at its end; other sound requests go
    to voices 1..voices-1. `/mute 1` is never sent (it would be a legitimate
    gap in a recording); gains stay in [-12, 0] dB and glides in [0, 40] ms so
    the audio analysis' bounds hold.
    """

    def __init__(self, limits: Limits, seed: int = 0, valid_ratio: float = 0.5) -> None:
        self.lim = limits
        self.rng = random.Random(seed)
        self.valid_ratio = valid_ratio
        self.counts: dict[str, int] = {}
        self.last_position: tuple[int, int] | None = None
        self.valid_kinds: list[Callable[[], Datagram]] = [
            self.pictslider, self.pictslider, self.pictslider, self.frame, self.frame_wh, self.frame_list,
            self.latent_image, self.latent_sound, self.latent_clamped, self.gain, self.glide, self.unmute,
            self.status,
            self.voice_off, self.bundle_ok, self.bundle_future, self.bundle_mixed]
        self.invalid_kinds: list[Callable[[], Datagram]] = [
            self.not_osc, self.truncated, self.bad_padding, self.tag_mismatch, self.unterminated_string,
            self.unknown_tag, self.bad_bundle, self.deep_bundle, self.huge_bundle,
            self.unknown_address, self.wrong_count, self.wrong_type, self.nan_inf, self.position_out_of_range,
            self.bad_voice, self.blob_wrong_size, self.blob_empty, self.blob_oversized, self.blob_not_square,
            self.list_bad]

    # -- the stream
    def next(self) -> Datagram:
        kinds = self.valid_kinds if self.rng.random() < self.valid_ratio else self.invalid_kinds
        d = self.rng.choice(kinds)()
        self.counts[d.kind] = self.counts.get(d.kind, 0) + 1
        if d.position is not None:
            self.last_position = d.position
        return d

    def take(self, n: int) -> list[Datagram]:
        return [self.next() for _ in range(n)]

    # -- helpers
    def _voice(self) -> int:
        """A voice other than 0 (voice 0 is reserved for /pictslider)."""
        return self.rng.randrange(1, self.lim.voices)

    def _pos(self) -> tuple[int, int]:
        p = self.lim.positions
        return self.rng.randrange(p), self.rng.randrange(p)

    def _latent(self, box: Box) -> list[float]:
        return [lo + (hi - lo) * self.rng.random() for lo, hi in zip(box.lo, box.hi)]

    def _a_valid_message(self) -> tuple[bytes, tuple[int, int] | None]:
        """A valid, unclamped sound message for a bundle, and its voice-0 position if it is one."""
        r = self.rng.random()
        if r < 0.5:
            x, y = self._pos()
            return msg("/pictslider", x, y), (x, y)
        if r < 0.75:
            return msg(f"/voice/{self._voice()}/latent/sound", *self._latent(self.lim.sound_box)), None
        return msg(f"/voice/{self._voice()}/latent/image", *self._latent(self.lim.image_box)), None

    # -- valid
    def pictslider(self) -> Datagram:
        x, y = self._pos()
        style = self.rng.randrange(3)
        if style == 0:
            data = msg("/pictslider", x, y)
        elif style == 1:      # Pd sends floats (rounded to the nearest position)
            data = msg("/pictslider", x + self.rng.uniform(-0.45, 0.45), y + self.rng.uniform(-0.45, 0.45))
        else:
            data = msg("/voice/0/pictslider", x, y)
        return Datagram("pictslider", data, position=(x, y))

    def frame(self) -> Datagram:
        side = self.rng.randrange(2, int(math.isqrt(self.lim.max_blob_bytes)) + 1)
        blob = self.rng.randbytes(side * side)
        return Datagram("frame", msg(f"/voice/{self._voice()}/frame", blob))

    def frame_wh(self) -> Datagram:
        w = self.rng.randrange(1, 80)
        h = self.rng.randrange(1, max(2, min(80, self.lim.max_blob_bytes // w)))
        return Datagram("frame_wh", msg(f"/voice/{self._voice()}/frame", w, float(h), self.rng.randbytes(w * h)))

    def frame_list(self) -> Datagram:
        w, h = self.rng.randrange(1, 9), self.rng.randrange(1, 9)
        vals = [self.rng.random() for _ in range(w * h)]
        clamped = 0
        if self.rng.random() < 0.3:
            vals[0] = 7.5     # outside [0, 1]: clamped, played, counted
            clamped = 1
        return Datagram("frame_list", msg(f"/voice/{self._voice()}/frame/list", w, h, *vals), clamped=clamped)

    def latent_image(self) -> Datagram:
        return Datagram("latent_image", msg(f"/voice/{self._voice()}/latent/image", *self._latent(self.lim.image_box)))

    def latent_sound(self) -> Datagram:
        return Datagram("latent_sound", msg(f"/voice/{self._voice()}/latent/sound", *self._latent(self.lim.sound_box)))

    def latent_clamped(self) -> Datagram:
        box = self.lim.sound_box if self.rng.random() < 0.5 else self.lim.image_box
        which = "sound" if box is self.lim.sound_box else "image"
        z = [self.rng.choice((-1e6, 1e6, -3e38, 3e38)) for _ in box.lo]
        return Datagram("latent_clamped", msg(f"/voice/{self._voice()}/latent/{which}", *z), clamped=1)

    def gain(self) -> Datagram:
        db = round(self.rng.uniform(-12.0, 0.0), 2)
        return Datagram("gain", msg("/gain", db), gain_db=float(struct.unpack(">f", struct.pack(">f", db))[0]))

    def glide(self) -> Datagram:
        if self.rng.random() < 0.2:
            return Datagram("glide", msg("/glide", -50.0), clamped=1, glide_ms=0.0)
        ms = float(self.rng.randrange(0, 41))
        return Datagram("glide", msg("/glide", ms), glide_ms=ms)

    def unmute(self) -> Datagram:
        return Datagram("unmute", msg("/mute", self.rng.choice([0, 0.0, False])))

    def status(self) -> Datagram:
        return Datagram("status", msg("/status"))

    def voice_off(self) -> Datagram:
        return Datagram("voice_off", msg(f"/voice/{self._voice()}/off"))

    def _bundle_of_valid(self, kind: str, timetag: bytes) -> Datagram:
        n = self.rng.randrange(1, 6)
        parts, last = [], None
        for _ in range(n):
            m, p = self._a_valid_message()
            parts.append(m)
            last = p or last
        depth = self.rng.randrange(0, self.lim.max_bundle_depth)     # nested, but within the limit
        data = bundle(*parts, timetag=timetag)
        for _ in range(depth):
            data = bundle(data, timetag=timetag)
        return Datagram(kind, data, received=n, position=last)

    def bundle_ok(self) -> Datagram:
        return self._bundle_of_valid("bundle_ok", IMMEDIATE)

    def bundle_future(self) -> Datagram:
        tag = FUTURE if self.rng.random() < 0.5 else struct.pack(">II", int(time.time()) + 2208988800 + 3600, 0)
        return self._bundle_of_valid("bundle_future", tag)

    def bundle_mixed(self) -> Datagram:
        """A well-formed bundle: each message is validated on its own, the bad one refused, the good one played."""
        good, pos = self._a_valid_message()
        bad = msg("/pictslider", self.lim.positions + 5, 0)
        parts = [good, bad] if self.rng.random() < 0.5 else [bad, good]
        return Datagram("bundle_mixed", bundle(*parts), received=2, errors=1, position=pos)

    # -- decode errors (whole datagram refused: received 1, errors 1)
    def _err(self, kind: str, data: bytes) -> Datagram:
        return Datagram(kind, data, received=1, errors=1)

    def not_osc(self) -> Datagram:
        choices = [
            self.rng.randbytes(self.rng.randrange(1, 200)),
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            json.dumps({"pictslider": [1, 2]}).encode(),
            b"\x00" * self.rng.randrange(4, 64, 4),
            b"#bundl\0\0" + b"\0" * 8,
            b"pictslider\0\0",
        ]
        data = self.rng.choice(choices)
        if data[:1] == b"/":          # a random blob that happens to start like a message
            data = b"x" + data[1:]
        return self._err("not_osc", data)

    def truncated(self) -> Datagram:
        full = self.rng.choice([msg("/pictslider", 1, 2), msg("/frame", 4, 4, bytes(16)),
                                msg("/latent/sound", 0.1, 0.2), bundle(msg("/pictslider", 3, 3))])
        cut = self.rng.randrange(1, len(full))
        if full.startswith(b"#bundle") and cut == 16:
            cut = 12      # a bundle cut right after its time tag is an empty bundle: valid, not truncated
        return self._err("truncated", full[:cut])

    def bad_padding(self) -> Datagram:
        which = self.rng.randrange(3)
        if which == 0:
            data = b"/abc\0\x01\0\0,i\0\0" + _I32.pack(1)                    # address padding
        elif which == 1:
            data = pad(b"/pictslider") + b",ii\x07" + _I32.pack(1) + _I32.pack(2)   # type tag padding
        else:
            data = pad(b"/frame") + pad(b",b") + _I32.pack(3) + b"abc\x09"          # blob padding
        return self._err("bad_padding", data)

    def tag_mismatch(self) -> Datagram:
        which = self.rng.randrange(3)
        if which == 0:
            data = pad(b"/pictslider") + pad(b",ii") + _I32.pack(1)                  # too short
        elif which == 1:
            data = pad(b"/pictslider") + pad(b",i") + _I32.pack(1) + _I32.pack(2)   # too long
        else:
            data = pad(b"/pictslider") + pad(b",ff") + _I32.pack(1)
        return self._err("tag_mismatch", data)

    def unterminated_string(self) -> Datagram:
        which = self.rng.randrange(3)
        if which == 0:
            data = b"/pictslider_abcde"[:16]                                        # address without a zero
        elif which == 1:
            data = pad(b"/gain") + b",sss"                                          # tag string without a zero
        else:
            data = pad(b"/gain") + pad(b",s") + b"abcdefgh"                         # argument without a zero
        return self._err("unterminated_string", data)

    def unknown_tag(self) -> Datagram:
        tag = self.rng.choice([b",q", b",[ii]", b",c", b",m", b",r", b",t", b",I", b",\x7f"])
        return self._err("unknown_tag", pad(b"/pictslider") + pad(tag) + bytes(16))

    def bad_bundle(self) -> Datagram:
        which = self.rng.randrange(4)
        if which == 0:
            data = b"#bundle\0" + IMMEDIATE + _I32.pack(1000) + msg("/status")     # size past the end
        elif which == 1:
            data = b"#bundle\0"                                                     # no time tag
        elif which == 2:
            data = b"#bundle\0" + IMMEDIATE + _I32.pack(-4) + msg("/status")       # negative size
        else:
            data = bundle(msg("/pictslider", 1, 1), b"/x\0\0,i\0\0")              # a truncated element
        return self._err("bad_bundle", data)

    def deep_bundle(self) -> Datagram:
        data = msg("/pictslider", 1, 1)
        for _ in range(self.lim.max_bundle_depth + 1 + self.rng.randrange(0, 40)):
            data = bundle(data)
        return self._err("deep_bundle", data)

    def huge_bundle(self) -> Datagram:
        n = self.lim.max_bundle_messages + 1 + self.rng.randrange(0, 200)
        return self._err("huge_bundle", bundle(*[msg("/voice/1/latent/sound", 0.0, 0.0)] * n))

    # -- validation errors (one message: received 1, errors 1)
    def unknown_address(self) -> Datagram:
        a = self.rng.choice(["/foo", "/pictslider/x", "/voice/1/gain", "/voice/1", "/voices/1/pictslider",
                             "/PICTSLIDER", "/sineparams", "/voice//pictslider", "/reload", "/bundle/load",
                             "/" + "a" * 200])
        return self._err("unknown_address", msg(a, 1, 2))

    def wrong_count(self) -> Datagram:
        m = self.rng.choice([msg("/pictslider", 1), msg("/pictslider", 1, 2, 3), msg("/pictslider"),
                             msg("/latent/sound", 0.1), msg("/latent/image", *([0.1] * 9)), msg("/gain"),
                             msg("/glide", 1, 2), msg("/mute"), msg("/status", 1), msg("/voice/1/off", 0),
                             msg("/frame"), msg("/frame", 2, bytes(4)), msg("/frame/list", 2)])
        return self._err("wrong_count", m)

    def wrong_type(self) -> Datagram:
        m = self.rng.choice([msg("/pictslider", "a", 2), msg("/pictslider", True, 2), msg("/pictslider", None, 2),
                             msg("/pictslider", b"ab", 2), msg("/gain", "loud"), msg("/mute", "yes"),
                             msg("/latent/sound", "x", 0.1), msg("/frame", "not a blob"), msg("/frame", 2, 2, 5),
                             msg("/frame/list", 1, 1, "x"), msg("/frame", 2.5, 2, bytes(5))])
        return self._err("wrong_type", m)

    def nan_inf(self) -> Datagram:
        v = self.rng.choice([NAN, INF, -INF])
        m = self.rng.choice([msg("/pictslider", v, 1), msg("/latent/sound", 0.0, v), msg("/latent/image", v, v),
                             msg("/gain", v), msg("/glide", v), msg("/frame/list", 1, 1, v),
                             msg("/voice/2/latent/sound", v, 0.0)])
        return self._err("nan_inf", m)

    def position_out_of_range(self) -> Datagram:
        p = self.lim.positions
        x, y = self.rng.choice([(p, 0), (-1, 3), (0, p + 1000), (p - 0.4, 2 ** 31 - 1), (1e9, -1e9)])
        return self._err("position_out_of_range", msg("/pictslider", x, y))

    def bad_voice(self) -> Datagram:
        a = self.rng.choice([f"/voice/{self.lim.voices}/pictslider", "/voice/-1/pictslider", "/voice/x/pictslider",
                             "/voice/99999999/off", "/voice/1.0/pictslider"])
        return self._err("bad_voice", msg(a, 1, 1))

    def blob_wrong_size(self) -> Datagram:
        return self._err("blob_wrong_size", msg("/frame", 8, 8, bytes(self.rng.choice([1, 63, 65, 128]))))

    def blob_empty(self) -> Datagram:
        return self._err("blob_empty", msg("/frame", b"") if self.rng.random() < 0.5 else msg("/frame", 0, 4, b""))

    def blob_oversized(self) -> Datagram:
        n = self.rng.choice([self.lim.max_blob_bytes + 1, (math.isqrt(self.lim.max_blob_bytes) + 1) ** 2, 60000])
        return self._err("blob_oversized", msg("/frame", bytes(n)))

    def blob_not_square(self) -> Datagram:
        return self._err("blob_not_square", msg("/voice/1/frame", bytes(self.rng.choice([2, 3, 15, 17, 1000]))))

    def list_bad(self) -> Datagram:
        m = self.rng.choice([msg("/frame/list", 2, 2, 0.1, 0.2, 0.3), msg("/frame/list", 65, 1, *([0.5] * 65)),
                             msg("/frame/list", 0, 1), msg("/frame/list", 1.5, 1, 0.5)])
        return self._err("list_bad", m)


@dataclass
class Totals:
    """Expected counter deltas for a list of datagrams."""

    datagrams: int = 0
    received: int = 0
    errors: int = 0
    clamped: int = 0
    valid_datagrams: int = 0
    invalid_datagrams: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, datagrams: Iterable[Datagram]) -> "Totals":
        t = cls()
        for d in datagrams:
            t.datagrams += 1
            t.received += d.received
            t.errors += d.errors
            t.clamped += d.clamped
            if d.errors == d.received:
                t.invalid_datagrams += 1
            else:
                t.valid_datagrams += 1
            t.by_kind[d.kind] = t.by_kind.get(d.kind, 0) + 1
        return t


# --- the flood sender ----------------------------------------------------------------

def flood_pool(kind: str, limits: Limits, n: int = 512, seed: int = 1) -> list[bytes]:
    """Pre-encoded datagrams for a flood: `junk` (all refused), `valid` (/pictslider), `mixed` (half each)."""
    mix = Mix(limits, seed, valid_ratio={"junk": 0.0, "valid": 1.0, "mixed": 0.5}[kind])
    if kind == "valid":
        rng = random.Random(seed)
        return [msg("/pictslider", rng.randrange(limits.positions), rng.randrange(limits.positions)) for _ in range(n)]
    out = []
    while len(out) < n:
        d = mix.next()
        if len(d.data) <= 2048:      # a flood is about rate: keep datagrams small
            out.append(d.data)
    return out


def flood(host: str, port: int, seconds: float, pool: Sequence[bytes], sockets: int = 1,
          rate: float | None = None, drain_every: int = 256) -> dict[str, Any]:
    """Send `pool` round-robin from `sockets` sockets for `seconds` (as fast as possible, or at `rate`/s).

    Counts what comes back to each socket (`/error` separately), draining
    without blocking every `drain_every` sends and for 0.5 s at the end.
    Returns sent, seconds, achieved rate, errors_received, replies_received.
    """
    socks = []
    for _ in range(sockets):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        except OSError:
            pass
        s.bind((host, 0))
        s.connect((host, port))
        s.setblocking(False)
        socks.append(s)
    counts = {"errors_received": 0, "replies_received": 0, "send_failed": 0}

    def drain() -> None:
        for s in socks:
            while True:
                try:
                    data = s.recv(65536)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:       # ICMP unreachable from an earlier send: the daemon is gone
                    break
                if data.startswith(b"/error\0"):
                    counts["errors_received"] += 1
                else:
                    counts["replies_received"] += 1

    n_pool = len(pool)
    sent = i = 0
    t0 = time.perf_counter()
    end = t0 + seconds
    sends = [s.send for s in socks]
    while True:
        now = time.perf_counter()
        if now >= end:
            break
        if rate is not None:
            due = int((now - t0) * rate)
            if sent >= due:
                time.sleep(min(0.001, end - now))
                continue
            burst = min(drain_every, due - sent)
        else:
            burst = drain_every
        for _ in range(burst):
            try:
                sends[i % sockets](pool[i % n_pool])
            except (BlockingIOError, InterruptedError):
                counts["send_failed"] += 1
            except OSError:
                counts["send_failed"] += 1
            i += 1
        sent += burst
        drain()
    elapsed = time.perf_counter() - t0
    t_end = time.monotonic() + 0.5
    while time.monotonic() < t_end:
        drain()
        time.sleep(0.01)
    for s in socks:
        s.close()
    return {"sent": sent, "seconds": elapsed, "rate": sent / elapsed if elapsed > 0 else 0.0,
            "sockets": sockets, **counts}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="flood sender for the robustness tests (prints JSON)")
    ap.add_argument("command", choices=["flood"])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--sockets", type=int, default=1)
    ap.add_argument("--rate", type=float, default=None, help="datagrams/s (default: as fast as possible)")
    ap.add_argument("--mix", choices=["junk", "valid", "mixed"], default="mixed")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start-at", type=float, default=None, help="time.time() to start at (to align senders)")
    ap.add_argument("--positions", default=None,
                    help='JSON [[x, y], ...]: flood /pictslider at these positions only (the test knows their pitches)')
    a = ap.parse_args(argv)
    if a.positions:
        rng = random.Random(a.seed)
        pos = [tuple(p) for p in json.loads(a.positions)]
        pool = [msg("/pictslider", *rng.choice(pos)) for _ in range(512)]
    else:
        pool = flood_pool(a.mix, Limits(), seed=a.seed)
    print(json.dumps({"ready": True}), flush=True)
    if a.start_at is not None:
        time.sleep(max(0.0, a.start_at - time.time()))
    print(json.dumps(flood(a.host, a.port, a.seconds, pool, a.sockets, a.rate)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
