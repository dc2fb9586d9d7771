"""`isudt send ADDRESS [ARGS...]`: send one OSC message to the daemon and print what comes back.

How replies reach it: the daemon replies to the sender by default
(`osc.reply_to_sender: true`), so `send` binds an ephemeral UDP port, sends
from it and listens on it. If a daemon is configured not to reply to senders,
`--listen 12341` makes `send` listen on the reply target instead (only when
no patch is already listening there).

Arguments: `40` is an int, `40.5` / `1e-3` / `nan` a float, anything else a
string; `--blob FILE` appends a file's bytes as a blob (e.g. a raw 128x128
grey image for /frame). Exit status: 0, or 1 when an `/error` came back.
"""
from __future__ import annotations

import argparse
import re
import socket
import sys
import time
from typing import Any

from .osc_codec import DecodeError, decode_packet, encode_message

_INT = re.compile(r"[+-]?\d+\Z")


def parse_arg(text: str) -> Any:
    """`40` -> int, `40.0` -> float, else the string itself."""
    if _INT.match(text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


def format_args(args: list[Any]) -> str:
    out = []
    for a in args:
        if isinstance(a, float):
            out.append(f"{a:.6g}")
        elif isinstance(a, (bytes, bytearray)):
            out.append(f"<blob {len(a)} bytes>")
        else:
            out.append(str(a))
    return " ".join(out)


def main(args: argparse.Namespace) -> int:
    values: list[Any] = [parse_arg(a) for a in args.args]
    blob = getattr(args, "blob", None)
    if blob:
        with open(blob, "rb") as f:
            values.append(f.read())
    if not args.address.startswith("/"):
        print(f"isudt send: an OSC address starts with '/', got {args.address!r}", file=sys.stderr)
        return 2
    data = encode_message(args.address, values)
    infos = socket.getaddrinfo(args.host, args.port, type=socket.SOCK_DGRAM)
    family, _, _, _, target = infos[0]
    sock = socket.socket(family, socket.SOCK_DGRAM)
    listen = getattr(args, "listen", None)
    try:
        sock.bind(("::" if family == socket.AF_INET6 else "", listen or 0))
    except OSError as e:
        print(f"isudt send: cannot listen on port {listen}: {e.strerror or e}", file=sys.stderr)
        return 2
    sock.sendto(data, target)
    got_error = False
    replies = 0
    deadline = time.monotonic() + max(0.0, args.wait)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            packet, _ = sock.recvfrom(65536)
        except (socket.timeout, OSError):
            break
        try:
            messages = decode_packet(packet, max_depth=4, max_messages=1024)
        except DecodeError as e:
            print(f"(undecodable reply: {e.reason})")
            continue
        for address, rargs in messages:
            replies += 1
            got_error |= address == "/error"
            print(f"{address} {format_args(rargs)}".rstrip(), flush=True)
    sock.close()
    if args.wait > 0 and replies == 0:
        print(f"isudt send: no reply within {args.wait:g} s (controls like /gain do not reply; "
              f"a daemon with reply_to_sender off answers to its reply target: try --listen 12341)",
              file=sys.stderr)
    return 1 if got_error else 0
