"""Recorded OSC sessions: a JSON-lines file of timestamped messages, for `isudt render`.

Why JSON lines: one message per line can be appended while a session runs
(a crash loses at most the last line), read back in a stream, diffed, and
written by hand or by any OSC tool with a few lines of script.

The format (version 1), one JSON object per line, UTF-8:

    {"isudt_session": 1, "created": "2026-11-21T20:00:00Z"}        optional header
    {"t": 0.0,   "address": "/pictslider", "args": [10, 20]}
    {"t": 0.05,  "address": "/voice/1/latent/sound", "args": [-0.2, 0.01]}
    {"t": 0.1,   "address": "/frame", "args": [{"blob": "<base64>"}]}
    {"t": 0.12,  "address": "/gain", "args": [-6]}

- `t`: seconds since the session started (a number >= 0). Messages are
  played in order of `t`; equal times keep file order.
- `address`, `args`: the OSC message as the daemon received it. Arguments are
  JSON numbers, strings, booleans, null, or `{"blob": BASE64}` for OSC blobs.
- Blank lines and lines starting with `#` are ignored; so is any key not
  listed here (room for later versions).
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, TextIO

FORMAT_VERSION = 1


class SessionError(Exception):
    """A line that is not a valid session message; the message names the file and line."""


@dataclass(frozen=True)
class Message:
    t: float
    address: str
    args: tuple[Any, ...]
    line: int  # 1-based line in the file, for error messages


def encode_arg(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"blob": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)  # JSON has no NaN; keep it visible as a string (the daemon refuses it either way)
    return v


def decode_arg(v: Any, where: str) -> Any:
    if isinstance(v, dict):
        if set(v) != {"blob"} or not isinstance(v["blob"], str):
            raise SessionError(f"{where}: an object argument must be {{\"blob\": BASE64}}")
        try:
            return base64.b64decode(v["blob"], validate=True)
        except (binascii.Error, ValueError):
            raise SessionError(f"{where}: blob is not valid base64") from None
    if isinstance(v, (list,)):
        raise SessionError(f"{where}: arguments must be numbers, strings, booleans, null or blobs, not lists")
    return v


def parse_line(text: str, source: str, line: int) -> Message | None:
    """One line -> a Message, None for headers/comments/blank lines, or SessionError."""
    where = f"{source}, line {line}"
    text = text.strip()
    if not text or text.startswith("#"):
        return None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise SessionError(f"{where}: not JSON ({e.msg})") from None
    if not isinstance(obj, dict):
        raise SessionError(f"{where}: each line must be a JSON object")
    if "isudt_session" in obj:
        if obj["isudt_session"] != FORMAT_VERSION:
            raise SessionError(f"{where}: session format {obj['isudt_session']!r} is not supported "
                               f"(this isudt reads version {FORMAT_VERSION})")
        return None
    t, address, args = obj.get("t"), obj.get("address"), obj.get("args", [])
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t < 0:
        raise SessionError(f"{where}: t = {t!r} must be a number of seconds >= 0")
    if not isinstance(address, str) or not address.startswith("/"):
        raise SessionError(f"{where}: address = {address!r} must be a string starting with '/'")
    if not isinstance(args, list):
        raise SessionError(f"{where}: args must be a list")
    return Message(float(t), address, tuple(decode_arg(a, f"{where}: args[{i}]") for i, a in enumerate(args)), line)


def read_session(path: str | Path) -> list[Message]:
    """All messages of a session file, sorted by time (stable)."""
    path = Path(path)
    messages = []
    with path.open(encoding="utf-8") as f:
        for n, text in enumerate(f, 1):
            m = parse_line(text, path.name, n)
            if m is not None:
                messages.append(m)
    messages.sort(key=lambda m: m.t)
    return messages


def looks_like_session(path: str | Path) -> bool:
    """A `.jsonl` file, or a file whose first meaningful line is a JSON object."""
    path = Path(path)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return True
    try:
        with path.open(encoding="utf-8") as f:
            for text in f:
                text = text.strip()
                if text and not text.startswith("#"):
                    return text.startswith("{")
    except (OSError, UnicodeDecodeError):
        return False
    return False


class SessionWriter:
    """Append messages as they arrive (for a `--record` option of the server, or for tools).

    Times are taken from a monotonic clock relative to the writer's creation
    unless given; each line is flushed so a crash keeps everything before it.
    """

    def __init__(self, path: str | Path) -> None:
        self.file: TextIO = Path(path).open("w", encoding="utf-8")
        self.start = time.monotonic()
        header = {"isudt_session": FORMAT_VERSION,
                  "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        self.file.write(json.dumps(header) + "\n")

    def write(self, address: str, args: Any, t: float | None = None) -> None:
        t = time.monotonic() - self.start if t is None else t
        line = {"t": round(t, 6), "address": address, "args": [encode_arg(a) for a in args]}
        self.file.write(json.dumps(line, separators=(",", ":")) + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> "SessionWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def iter_lines(messages: list[Message]) -> Iterator[str]:
    """Messages back to JSON lines (used by tests to write sessions)."""
    yield json.dumps({"isudt_session": FORMAT_VERSION})
    for m in messages:
        yield json.dumps({"t": m.t, "address": m.address, "args": [encode_arg(a) for a in m.args]})
