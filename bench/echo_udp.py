"""A UDP echo server in Python asyncio on uvloop: the floor the daemon's control path is measured against.

    python bench/echo_udp.py [PORT]      # prints "port N" once listening; SIGTERM ends it

bench/bench_floor.py runs it as a process of its own beside the daemon and the C
echo (bench/echo_udp.c). It is the daemon's transport with nothing behind it:
the same interpreter, the same event loop (uvloop) and the same datagram
endpoint kind, answering each datagram with itself. What a round trip to it
costs is what any Python asyncio UDP server pays on this machine before doing
any work, so the daemon's targets are written as "echo-py + a margin".

Nothing but the standard library and uvloop is imported: the process stays as
small as such a server can be.
"""
from __future__ import annotations

import asyncio
import sys
from typing import Any

import uvloop


class Echo(asyncio.DatagramProtocol):
    """Send every datagram back to where it came from, unchanged."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        assert self.transport is not None
        self.transport.sendto(data, addr)


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(Echo, local_addr=("127.0.0.1", port))
    print(f"port {transport.get_extra_info('sockname')[1]}", flush=True)
    await asyncio.Event().wait()          # forever: SIGTERM's default action ends the process


def main() -> int:
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and not sys.argv[1].isdigit()):
        print(f"usage: {sys.argv[0]} [PORT]", file=sys.stderr)
        return 2
    uvloop.run(serve(int(sys.argv[1]) if len(sys.argv) == 2 else 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
