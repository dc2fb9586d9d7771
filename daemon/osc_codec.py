"""The OSC 1.0 wire format, both ways: a strict decoder and the reply encoders. Pure: no sockets, no policy.

Why our own decoder rather than python-osc's `OscMessage`/`OscBundle`: the
daemon faces strangers' phones for weeks, and python-osc's parser skips
unknown type tags with a `logging.warning` per datagram (a flood becomes a log
flood and a half-parsed message), does not check padding or trailing bytes,
and recurses without limit into nested bundles. This decoder is small,
bounds-checked, refuses anything that is not exactly OSC 1.0 (+ `h`, `d`,
`T`, `F`, `N`, `S`), never raises anything but `DecodeError`, and is faster on
the hot path. The tests check that it decodes everything python-osc's
builder produces exactly as python-osc does.

Bundle time tags are ignored: every message runs on arrival (like python-osc's
`strict_timing=False`), so a bundle stamped in the future cannot park work on
the loop.

Clients (`isudt send`, the benchmark, the tests) import this module alone;
the daemon's side of the socket (allow list, rate limits, dispatch) is
`osc_server.py`.
"""
from __future__ import annotations

import math
import struct
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

import numpy as np

if TYPE_CHECKING:
    from .listen import Seen

_I32 = struct.Struct(">i")
_I64 = struct.Struct(">q")
_F32 = struct.Struct(">f")
_F64 = struct.Struct(">d")
_BUNDLE = b"#bundle\0"
MAX_ADDRESS = 255


class DecodeError(Exception):
    """A datagram that is not valid OSC; `address` is set when the message's address could be read."""

    def __init__(self, reason: str, address: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.address = address


# --- decoding -----------------------------------------------------------------

def _string(data: bytes, i: int, end: int, what: str, address: str = "") -> tuple[str, int]:
    z = data.find(b"\0", i, end)
    if z < 0:
        raise DecodeError(f"{what} has no terminating zero byte", address)
    nxt = (z + 4) & ~3
    if nxt > end:
        raise DecodeError(f"{what} is not padded to a multiple of 4 bytes", address)
    if nxt - z > 1 and data[z + 1:nxt].count(0) != nxt - z - 1:
        raise DecodeError(f"{what} has non-zero padding", address)
    try:
        return data[i:z].decode("utf-8"), nxt
    except UnicodeDecodeError:
        raise DecodeError(f"{what} is not UTF-8", address) from None


def decode_message(data: bytes, start: int = 0, end: int | None = None) -> tuple[str, list[Any]]:
    """One OSC message in data[start:end] -> (address, args). Raises DecodeError only."""
    end = len(data) if end is None else end
    address, i = _string(data, start, end, "address")
    if not address.startswith("/"):
        raise DecodeError("address must start with '/'")
    if len(address) > MAX_ADDRESS or not address.isascii() or not address.isprintable() or " " in address:
        raise DecodeError("address must be printable ASCII without spaces, at most 255 characters", address[:64])
    if i == end:
        return address, []
    tags, i = _string(data, i, end, "type tag string", address)
    if not tags.startswith(","):
        raise DecodeError("type tag string must start with ','", address)
    args: list[Any] = []
    for t in tags[1:]:
        if t == "i" or t == "f":
            if i + 4 > end:
                raise DecodeError(f"payload too short for its type tags ({tags})", address)
            args.append((_I32 if t == "i" else _F32).unpack_from(data, i)[0])
            i += 4
        elif t == "s" or t == "S":
            s, i = _string(data, i, end, "string argument", address)
            args.append(s)
        elif t == "b":
            if i + 4 > end:
                raise DecodeError(f"payload too short for its type tags ({tags})", address)
            n = _I32.unpack_from(data, i)[0]
            i += 4
            if n < 0 or i + n > end:
                raise DecodeError("blob size runs past the end of the message", address)
            pad = (-n) % 4
            if i + n + pad > end:
                raise DecodeError("blob is not padded to a multiple of 4 bytes", address)
            if pad and data[i + n:i + n + pad].count(0) != pad:
                raise DecodeError("blob has non-zero padding", address)
            args.append(data[i:i + n])
            i += n + pad
        elif t == "h" or t == "d":
            if i + 8 > end:
                raise DecodeError(f"payload too short for its type tags ({tags})", address)
            args.append((_I64 if t == "h" else _F64).unpack_from(data, i)[0])
            i += 8
        elif t == "T":
            args.append(True)
        elif t == "F":
            args.append(False)
        elif t == "N":
            args.append(None)
        else:
            raise DecodeError(f"unsupported type tag {t!r}", address)
    if i != end:
        raise DecodeError(f"payload longer than its type tags ({tags}) say", address)
    return address, args


def decode_packet(data: bytes, max_depth: int = 4, max_messages: int = 64) -> list[tuple[str, list[Any]]]:
    """A datagram (message or bundle, nested up to max_depth) -> its messages in order.

    All or nothing: if any part is malformed, the whole datagram is refused, so
    a bad bundle never half-applies.
    """
    n = len(data)
    if n == 0:
        raise DecodeError("empty datagram")
    if n % 4:
        raise DecodeError("not OSC: length is not a multiple of 4")
    out: list[tuple[str, list[Any]]] = []
    _decode_element(data, 0, n, 0, out, max_depth, max_messages)
    return out


def _decode_element(data: bytes, start: int, end: int, depth: int, out: list, max_depth: int, max_messages: int) -> None:
    first = data[start:start + 1]
    if first == b"/":
        if len(out) >= max_messages:
            raise DecodeError(f"more than {max_messages} messages in one datagram")
        out.append(decode_message(data, start, end))
        return
    if first != b"#" or not data.startswith(_BUNDLE, start, end):
        raise DecodeError("not OSC: neither a message ('/') nor a bundle ('#bundle')")
    if depth >= max_depth:
        raise DecodeError(f"bundles nested deeper than {max_depth}")
    if end - start < 16:
        raise DecodeError("bundle too short for its time tag")
    i = start + 16  # time tag ignored: everything runs on arrival
    while i < end:
        if i + 4 > end:
            raise DecodeError("bundle element size runs past the end")
        size = _I32.unpack_from(data, i)[0]
        i += 4
        if size <= 0 or size % 4 or i + size > end:
            raise DecodeError("bundle element has a bad size")
        _decode_element(data, i, i + size, depth + 1, out, max_depth, max_messages)
        i += size


# --- encoding -----------------------------------------------------------------

def _pad(s: str) -> bytes:
    b = s.encode("utf-8") + b"\0"
    return b + b"\0" * (-len(b) % 4)


_padded = lru_cache(maxsize=256)(_pad)  # addresses and type tags repeat: cache them


def _f32(x: float) -> bytes:
    try:
        return _F32.pack(x)
    except OverflowError:  # beyond float32: say so with an infinity rather than fail the reply
        return _F32.pack(math.copysign(math.inf, x))


def encode_message(address: str, args: Iterable[Any] = ()) -> bytes:
    """Build one OSC message. Python ints -> `i` (`f` beyond int32, for Pd), floats -> `f`, str -> `s`, bytes -> `b`."""
    tags = [","]
    parts: list[bytes] = []
    for a in args:
        if isinstance(a, bool):
            tags.append("T" if a else "F")
        elif isinstance(a, int):
            if -0x80000000 <= a <= 0x7FFFFFFF:
                tags.append("i")
                parts.append(_I32.pack(a))
            else:
                tags.append("f")
                parts.append(_f32(float(a)))
        elif isinstance(a, float):
            tags.append("f")
            parts.append(_f32(a))
        elif isinstance(a, str):
            tags.append("s")
            parts.append(_pad(a))
        elif isinstance(a, (bytes, bytearray)):
            tags.append("b")
            parts.append(_I32.pack(len(a)) + bytes(a) + b"\0" * (-len(a) % 4))
        elif a is None:
            tags.append("N")
        else:  # numpy scalars and friends
            tags.append("f")
            parts.append(_f32(float(a)))
    return _padded(address) + _padded("".join(tags)) + b"".join(parts)


def encode_floats(address: str, values: Sequence[float]) -> bytes:
    """The hot reply (`/sineparams p db`): address and tags cached, one struct.pack."""
    return _padded(address) + _padded("," + "f" * len(values)) + struct.pack(f">{len(values)}f", *values)


def image_replies(seen: "Seen") -> Iterator[bytes]:
    """The way back's replies for one result, in this order: `/square x y` (the square world only),
    `/image/latent z...`, `/picture w h blob` (uint8 grey, row-major) and, when the result has one,
    `/picture/list 32 32 v...`.

    A generator: the caller sends `/square` before the picture is drawn (the image decoder is the
    slow step), so the position arrives first and soonest."""
    if seen.x is not None and seen.y is not None:
        yield encode_floats("/square", (seen.x, seen.y))
    yield encode_floats("/image/latent", seen.z_image)
    pic = seen.picture
    yield encode_message("/picture", [pic.shape[1], pic.shape[0], pic.tobytes()])
    if seen.small is not None:
        h, w = seen.small.shape
        yield (_padded("/picture/list") + _padded(",ii" + "f" * (h * w)) + _I32.pack(w) + _I32.pack(h)
               + np.ascontiguousarray(seen.small, ">f4").tobytes())
