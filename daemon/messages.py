"""The OSC namespace in code (docs/contracts.md, section 2): (address, arguments) -> a validated request, or a refusal.

Pure functions and dataclasses, no I/O, so that validation can be tested
exhaustively (hypothesis) without sockets, and so that everything after this
point can trust its inputs.

Policy (the same rule everywhere; this docstring is its reference):
- Numbers: `i`, `h`, `f` and `d` are all numbers; integers may arrive as
  floats (Pd sends only floats). NaN and infinity are refused everywhere.
- Discrete things are *refused* when out of range: square positions (after
  rounding to the nearest integer), voice indices, frame sizes, argument
  counts, blob sizes. A refused message changes nothing.
- Continuous things are *clamped* into range and the message is played:
  latents into the bundle's trained box (`latent_range` in the manifest),
  `/frame/list` pixel values into [0, 1], `/gain` into [-120, +24] dB,
  `/glide` into [0, 10000] ms. Each clamped message is counted (`clamped` in
  `/status.reply`), so a client can see that it is outside the trained range.
- The way back (docs/contracts.md, section 3: `/image/...`): `/image/sine` clamps its pitch
  into [0, 127] MIDI and its level into [-120, 0] dB (a full-scale sine is the
  loudest the input can hear); `/image/latent/sound` clamps like
  `/latent/sound`; `/image/mel` must have exactly the manifest's n_mels
  values, all finite (refused otherwise, never clamped: a client's own
  features are passed on as sent). None of these input addresses is a reply
  address, and every reply of the way back is in REPLY_ADDRESSES.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .limits import GAIN_DB, GLIDE_MS, SILENT_DB

MAX_LIST_SIDE = 64

# the sound-producing addresses, valid bare (voice 0) or under /voice/N/
SOUND_ADDRESSES = ("/pictslider", "/frame", "/frame/list", "/latent/image", "/latent/sound")
CONTROL_ADDRESSES = ("/gain", "/glide", "/mute", "/status", "/state", "/off", "/subscribe", "/unsubscribe",
                     "/bundle")
# what the daemon only ever sends; as input each is refused silently (see Refused.silent). `/state`,
# `/off` and `/voice/N/off` are inputs without arguments and replies with them; `/bundle` is an input with
# no argument or a name, and a reply with two (`/bundle name model_id`).
REPLY_ADDRESSES = ("/error", "/status.reply", "/sineparams", "/subscribed", "/unsubscribed", "/state/voice",
                   "/heartbeat", "/square", "/image/latent", "/picture", "/picture/list", "/image/silent",
                   "/synthparams", "/state/synth", "/state/latent")
# the way back (sound -> image): answered at once on the event loop, never queued behind sound requests
IMAGE_ADDRESSES = ("/image/sine", "/image/mel", "/image/latent/sound", "/image/listen")
SINE_PITCH_RANGE = (0.0, 127.0)     # MIDI
SINE_DB_RANGE = (SILENT_DB, 0.0)    # dB re a full-scale sine


class Refused(Exception):
    """A message that is not played; `reason` goes into `/error address reason`.

    `silent`: the message is one of the daemon's own replies (fed back by a
    misconfigured reply target or another daemon); it is counted but never
    answered, so two daemons cannot keep a reply ping-pong going.
    """

    def __init__(self, address: str, reason: str, silent: bool = False) -> None:
        super().__init__(f"{address}: {reason}")
        self.address = address
        self.reason = reason
        self.silent = silent


@dataclass(frozen=True)
class Limits:
    """What validation needs to know: from the config (voices, blob size) and the bundle manifest."""

    voices: int
    positions: int            # /pictslider x, y in [0, positions)
    image_latent: int
    sound_latent: int
    image_lo: np.ndarray
    image_hi: np.ndarray
    sound_lo: np.ndarray
    sound_hi: np.ndarray
    max_blob_bytes: int = 65536
    n_mels: int = 64          # /image/mel length
    no_squares: str = ""      # a world without squares (positions 0): why /pictslider is refused, naming the world

    @classmethod
    def from_manifest(cls, manifest: Any, voices: int, max_blob_bytes: int) -> "Limits":
        square = manifest.square
        why = "" if square is not None else no_squares(manifest)
        return cls(voices, square.positions if square is not None else 0, manifest.image_latent, manifest.sound_latent,
                   np.asarray(manifest.image_box.lo, np.float32), np.asarray(manifest.image_box.hi, np.float32),
                   np.asarray(manifest.sound_box.lo, np.float32), np.asarray(manifest.sound_box.hi, np.float32),
                   max_blob_bytes, int(manifest.n_mels), why)


def no_squares(manifest: Any) -> str:
    """Why `/pictslider` is refused in a world without squares: one line naming the world and the bundle."""
    return f"the {manifest.image_world} world of bundle {manifest.name} has no squares (only the square world does)"


# --- requests -----------------------------------------------------------------

@dataclass(slots=True)
class Request:
    """Something for one voice, run in arrival order by the pipeline (newest per voice wins under load)."""

    voice: int
    prefix: str = ""              # "" or "/voice/N": replies mirror the request's address
    clamped: bool = False
    t_received: float = 0.0       # time.perf_counter() when the datagram arrived
    reply_to: Any = None          # the sender's address (for reply_to_sender), set by the server
    address: str = ""             # the full address it came in on, for an /error after inference


@dataclass(slots=True)
class PositionRequest(Request):
    x: int = 0
    y: int = 0


@dataclass(slots=True)
class FrameRequest(Request):
    """Pixels as sent: uint8 [h, w] (blob, scale 1/255) or float32 [h, w] in [0, 1] (list)."""

    pixels: np.ndarray = field(default_factory=lambda: np.zeros((1, 1), np.uint8))


@dataclass(slots=True)
class LatentImageRequest(Request):
    z: np.ndarray = field(default_factory=lambda: np.zeros(2, np.float32))


@dataclass(slots=True)
class LatentSoundRequest(Request):
    z: np.ndarray = field(default_factory=lambda: np.zeros(2, np.float32))


@dataclass(slots=True)
class VoiceOff(Request):
    """Release the voice; queued in the voice's slot so it cannot overtake an earlier request."""


# --- everything else: four kinds, each handled its own way (osc_server.OscServer's dispatch table) --------

@dataclass(slots=True)
class Control:
    """Output controls (`/gain`, `/glide`, `/mute`, `/off`), applied at once on the event loop."""

    clamped: bool = False


@dataclass(slots=True)
class Gain(Control):
    db: float = 0.0


@dataclass(slots=True)
class Glide(Control):
    ms: float = 10.0


@dataclass(slots=True)
class Mute(Control):
    on: bool = False


@dataclass(slots=True)
class AllOff(Control):
    """`/off`: every voice off (the panic button); each release queued behind that voice's requests."""


@dataclass(slots=True)
class Query:
    """Questions (`/status`, `/state`): change nothing, answered to the asker (rate-limited)."""

    clamped: bool = False


@dataclass(slots=True)
class StatusQuery(Query):
    pass


@dataclass(slots=True)
class StateQuery(Query):
    """`/state`: the daemon's state (gain, glide, mute, listening, model, voices), answered to the sender."""


@dataclass(slots=True)
class BundleQuery(Query):
    """`/bundle [NAME]`: which bundle plays (no name), or a switch to the bundle NAME, answered to the asker.

    Only the form is checked here (one string at most); whether NAME is a bundle the daemon may switch to
    (a name, never a path; shipped or in `bundle.reload_dirs`) is the backend's to say (`server.Runtime.bundle`).
    """

    name: str | None = None


@dataclass(slots=True)
class Subscription:
    """`/subscribe [port]`, `/unsubscribe [port]`: the subscriber table, for (sender host, port or sender port)."""

    clamped: bool = False
    port: int | None = None


@dataclass(slots=True)
class Subscribe(Subscription):
    """`/subscribe [port]`: every reply and status message also goes to (sender host, port or sender port)."""


@dataclass(slots=True)
class Unsubscribe(Subscription):
    pass


@dataclass(slots=True)
class WayBackRequest:
    """The way back (sound -> image): `/image/...`, answered by the backend at once (no voice, no staging)."""

    clamped: bool = False


@dataclass(slots=True)
class ImageRequest(WayBackRequest):
    """A sound to see now (`/image/sine`, `/image/mel`, `/image/latent/sound`), computed on the event loop.

    Not a voice `Request`: it plays nothing, so it has no place in a voice's
    newest-wins slot, and its cost (~1-2 ms) is that of one sound request.
    Replies: /square x y, /image/latent z..., /picture w h blob (+ /picture/list).
    """


@dataclass(slots=True)
class ImageSine(ImageRequest):
    """`/image/sine pitch dB`: the daemon makes the sine's mel itself (the mirror of /pictslider)."""

    pitch: float = 60.0
    db: float = -12.0


@dataclass(slots=True)
class ImageMel(ImageRequest):
    """`/image/mel v0 .. v63`: a client's own mel vector, scaled as in the manifest."""

    mel: np.ndarray = field(default_factory=lambda: np.zeros(64, np.float32))


@dataclass(slots=True)
class ImageLatentSound(ImageRequest):
    """`/image/latent/sound z0 z1`: a point of the sound latent space (clamped into the trained box)."""

    z: np.ndarray = field(default_factory=lambda: np.zeros(2, np.float32))


@dataclass(slots=True)
class Listen(WayBackRequest):
    """`/image/listen 1|0`: start / stop analysing the live audio input."""

    on: bool = False


Message = Request | Control | Query | Subscription | WayBackRequest   # what `validate` returns


# --- argument coercion --------------------------------------------------------

def _number(address: str, v: Any, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise Refused(address, f"{what} must be a number, got {_kind(v)}")
    f = float(v)
    if not math.isfinite(f):
        raise Refused(address, f"{what} is {v!r}: NaN and infinity are refused")
    return f


def _integral(address: str, v: Any, what: str) -> int:
    """A count or size: an int, or a float with an integral value (Pd)."""
    f = _number(address, v, what)
    if f != math.floor(f):
        raise Refused(address, f"{what} must be a whole number, got {f:g}")
    return int(f)


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, (bytes, bytearray)):
        return "a blob"
    if v is None:
        return "nil"
    return type(v).__name__


def _count(address: str, args: Sequence, n: int, what: str) -> None:
    if len(args) != n:
        raise Refused(address, f"expects {what}, got {len(args)} argument{'s' if len(args) != 1 else ''}")


def _port(address: str, args: Sequence) -> int | None:
    if len(args) > 1:
        raise Refused(address, f"expects nothing or a port, got {len(args)} arguments")
    if not args:
        return None
    port = _integral(address, args[0], "port")
    if not 1 <= port <= 65535:
        raise Refused(address, f"port {port} is not 1..65535")
    return port


def _latent(address: str, args: Sequence, dim: int, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, bool]:
    _count(address, args, dim, f"{dim} latent coordinates")
    z = np.array([_number(address, v, f"z{i}") for i, v in enumerate(args)], np.float32)
    clamped = np.clip(z, lo, hi)
    return clamped, bool(np.any(clamped != z))


# --- the namespace ------------------------------------------------------------

def split_voice(address: str, voices: int) -> tuple[int, str, str]:
    """`/voice/N/rest` -> (N, "/rest", "/voice/N"); any other address -> (0, address, "")."""
    if not address.startswith("/voice/"):
        return 0, address, ""
    num, sep, rest = address[7:].partition("/")
    if not sep or not rest:
        raise Refused(address, "expects /voice/N/<pictslider|frame|frame/list|latent/image|latent/sound|off>")
    if not num.isdigit() or not num.isascii() or len(num) > 4:
        raise Refused(address, f"voice index must be 0..{voices - 1}")
    n = int(num)
    if n >= voices:
        raise Refused(address, f"voice {n} does not exist; voices are 0..{voices - 1}")
    return n, "/" + rest, f"/voice/{n}"


def validate(address: str, args: Sequence[Any], limits: Limits) -> Message:
    """Turn one decoded OSC message into a request or raise Refused (never anything else)."""
    voice, addr, prefix = split_voice(address, limits.voices)
    if addr in REPLY_ADDRESSES or (addr in ("/off", "/state") and args):
        raise Refused(address, "a reply of the daemon's, not a request", silent=True)
    if prefix:
        if addr == "/off":
            return VoiceOff(voice, prefix)
        if addr not in SOUND_ADDRESSES:
            raise Refused(address, f"unknown address under /voice/{voice}; known: "
                                   + ", ".join(a[1:] for a in SOUND_ADDRESSES) + ", off")
    if addr == "/pictslider":
        if limits.no_squares:
            raise Refused(address, limits.no_squares)
        _count(address, args, 2, "x y")
        x = _number(address, args[0], "x")
        y = _number(address, args[1], "y")
        xi, yi = int(math.floor(x + 0.5)), int(math.floor(y + 0.5))
        p = limits.positions
        if not (0 <= xi < p and 0 <= yi < p):
            raise Refused(address, f"position ({x:g}, {y:g}) outside 0..{p - 1}")
        return PositionRequest(voice, prefix, x=xi, y=yi)
    if addr == "/frame":
        return _frame_blob(address, args, limits, voice, prefix)
    if addr == "/frame/list":
        return _frame_list(address, args, voice, prefix)
    if addr == "/latent/image":
        z, c = _latent(address, args, limits.image_latent, limits.image_lo, limits.image_hi)
        return LatentImageRequest(voice, prefix, clamped=c, z=z)
    if addr == "/latent/sound":
        z, c = _latent(address, args, limits.sound_latent, limits.sound_lo, limits.sound_hi)
        return LatentSoundRequest(voice, prefix, clamped=c, z=z)
    if addr == "/gain":
        _count(address, args, 1, "a gain in dB")
        db = _number(address, args[0], "gain")
        g = min(max(db, GAIN_DB[0]), GAIN_DB[1])
        return Gain(clamped=g != db, db=g)
    if addr == "/glide":
        _count(address, args, 1, "a glide time in ms")
        ms = _number(address, args[0], "glide")
        m = min(max(ms, GLIDE_MS[0]), GLIDE_MS[1])
        return Glide(clamped=m != ms, ms=m)
    if addr == "/mute":
        _count(address, args, 1, "0 or 1")
        v = args[0]
        on = v if isinstance(v, bool) else _number(address, v, "mute") != 0
        return Mute(on=bool(on))
    if addr == "/status":
        _count(address, args, 0, "no arguments")
        return StatusQuery()
    if addr == "/state":
        return StateQuery()
    if addr == "/off":
        return AllOff()
    if addr == "/bundle":
        return _bundle(address, args)
    if addr in ("/subscribe", "/unsubscribe"):
        port = _port(address, args)
        return Subscribe(port=port) if addr == "/subscribe" else Unsubscribe(port=port)
    if addr in IMAGE_ADDRESSES:
        return _image(address, addr, args, limits)
    raise Refused(address, "unknown address; known: " + ", ".join(SOUND_ADDRESSES + CONTROL_ADDRESSES
                                                                  + IMAGE_ADDRESSES) + ", /voice/N/...")


def _bundle(address: str, args: Sequence) -> BundleQuery:
    """`/bundle` or `/bundle NAME` (a string); `/bundle name model_id` is the daemon's own reply (silent)."""
    if len(args) == 2 and all(isinstance(a, str) for a in args):
        raise Refused(address, "a reply of the daemon's, not a request", silent=True)
    if len(args) > 1:
        raise Refused(address, f"expects nothing or a bundle name, got {len(args)} arguments")
    if not args:
        return BundleQuery()
    name = args[0]
    if not isinstance(name, str):
        raise Refused(address, f"expects a bundle name (a string), got {_kind(name)}")
    return BundleQuery(name=name)


def _clamp(v: float, lo_hi: tuple[float, float]) -> float:
    return min(max(v, lo_hi[0]), lo_hi[1])


def _image(address: str, addr: str, args: Sequence, limits: Limits) -> WayBackRequest:
    """The way back's inputs (see the module docstring for what is clamped and what is refused)."""
    if addr == "/image/sine":
        _count(address, args, 2, "pitch dB")
        pitch, db = _number(address, args[0], "pitch"), _number(address, args[1], "dB")
        p, d = _clamp(pitch, SINE_PITCH_RANGE), _clamp(db, SINE_DB_RANGE)
        return ImageSine(clamped=(p, d) != (pitch, db), pitch=p, db=d)
    if addr == "/image/mel":
        n = limits.n_mels
        if len(args) != n:
            raise Refused(address, f"expects a mel vector of {n} values, got {len(args)}")
        mel = np.array([_number(address, v, f"value {i}") for i, v in enumerate(args)], np.float32)
        return ImageMel(mel=mel)
    if addr == "/image/latent/sound":
        z, c = _latent(address, args, limits.sound_latent, limits.sound_lo, limits.sound_hi)
        return ImageLatentSound(clamped=c, z=z)
    _count(address, args, 1, "1 (listen) or 0 (stop)")
    v = args[0]
    return Listen(on=bool(v if isinstance(v, bool) else _number(address, v, "listen") != 0))


def _frame_blob(address: str, args: Sequence, limits: Limits, voice: int, prefix: str) -> FrameRequest:
    if len(args) == 1:
        blob = args[0]
        if not isinstance(blob, (bytes, bytearray)):
            raise Refused(address, f"expects a blob (or w h blob), got {_kind(blob)}")
        n = len(blob)
        side = math.isqrt(n)
        if n == 0:
            raise Refused(address, "empty blob")
        if n > limits.max_blob_bytes:
            raise Refused(address, f"blob of {n} bytes is over the limit of {limits.max_blob_bytes}")
        if side * side != n:
            raise Refused(address, f"blob of {n} bytes is not a square image; send w h blob for other shapes")
        w = h = side
    elif len(args) == 3:
        w = _integral(address, args[0], "w")
        h = _integral(address, args[1], "h")
        blob = args[2]
        if not isinstance(blob, (bytes, bytearray)):
            raise Refused(address, f"third argument must be a blob, got {_kind(blob)}")
        if w < 1 or h < 1:
            raise Refused(address, f"size {w} x {h}: both must be at least 1")
        if len(blob) > limits.max_blob_bytes:
            raise Refused(address, f"blob of {len(blob)} bytes is over the limit of {limits.max_blob_bytes}")
        if len(blob) != w * h:
            raise Refused(address, f"blob has {len(blob)} bytes, {w} x {h} needs {w * h}")
    else:
        raise Refused(address, f"expects blob or w h blob, got {len(args)} arguments")
    pixels = np.frombuffer(bytes(blob), np.uint8).reshape(h, w)
    return FrameRequest(voice, prefix, pixels=pixels)


def _frame_list(address: str, args: Sequence, voice: int, prefix: str) -> FrameRequest:
    if len(args) < 3:
        raise Refused(address, f"expects w h v0 v1 ... (w*h values), got {len(args)} arguments")
    w = _integral(address, args[0], "w")
    h = _integral(address, args[1], "h")
    if not (1 <= w <= MAX_LIST_SIDE and 1 <= h <= MAX_LIST_SIDE):
        raise Refused(address, f"size {w} x {h}: each side must be 1..{MAX_LIST_SIDE}")
    values = args[2:]
    if len(values) != w * h:
        raise Refused(address, f"got {len(values)} values, {w} x {h} needs {w * h}")
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise Refused(address, f"value {i} must be a number, got {_kind(v)}")
    pixels = np.array(values, np.float64)
    if not np.all(np.isfinite(pixels)):
        raise Refused(address, "NaN and infinity are refused")
    clipped = np.clip(pixels, 0.0, 1.0)
    return FrameRequest(voice, prefix, clamped=bool(np.any(clipped != pixels)),
                        pixels=clipped.astype(np.float32).reshape(h, w))
