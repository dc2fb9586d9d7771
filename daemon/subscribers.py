"""Who gets the daemon's replies besides the sender: subscriptions, like scsynth's `/notify`.

Why: several clients (a control patch, a synth patch, a third-party app) want
every reply and status message, and only one process can bind a given UDP
port. So a client says `/subscribe [port]` and the daemon sends everything to
each subscriber's own (host, port). The published reply target (12341) stays
for the published patch.

A subscription is cheap for a stranger to ask for, so it is bounded: at most
`limit` at once (a full table refuses newcomers rather than evicting someone
who renews), each expires `ttl_s` after its last renewal, and the caller
answers each `/subscribe` datagram with at most one small reply. Allow-list
rules apply before any of this (the OSC server drops senders it does not
admit).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

Address = tuple[Any, ...]          # a socket address: (host, port) or (host, port, flow, scope)


@dataclass
class Subscribers:
    """The subscription table. Used on the event loop only (no locking)."""

    limit: int = 8
    ttl_s: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _expires: dict[Address, float] = field(default_factory=dict)
    refused: int = 0                # subscriptions refused because the table was full

    def subscribe(self, addr: Address) -> bool:
        """Add or renew `addr`. False (and counted) when the table is full of live subscriptions."""
        self.prune()
        if addr not in self._expires and len(self._expires) >= self.limit:
            self.refused += 1
            return False
        self._expires[addr] = self.clock() + self.ttl_s
        return True

    def unsubscribe(self, addr: Address) -> bool:
        """Remove `addr`; False if it was not subscribed."""
        return self._expires.pop(addr, None) is not None

    def prune(self) -> list[Address]:
        """Drop expired subscriptions; returns them."""
        now = self.clock()
        gone = [a for a, t in self._expires.items() if t <= now]
        for a in gone:
            del self._expires[a]
        return gone

    def targets(self) -> list[Address]:
        """The live subscribers, oldest first."""
        self.prune()
        return list(self._expires)

    def __contains__(self, addr: object) -> bool:
        return addr in self._expires

    def __len__(self) -> int:
        return len(self._expires)


def format_address(addr: Address) -> str:
    host, port = addr[0], addr[1]
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
