"""OSC over UDP: the datagram protocol that ties the wire format (`osc_codec.py`) to the daemon.

Allow list, rate limits, validation and dispatch of requests in
(`OscServer.handle`), and replies out (`OscServer.answer` turns an inference
`Result` into `/sineparams` (or `/synthparams`), `/latent/sound` or `/error`; `ReplySender` sends
each to the reply target, the sender and the subscribers). The server reads the socket
itself (`OscServer.drain`, from `loop.add_reader`) rather than through an
asyncio transport: it reads *everything* waiting, then has the backend run
what that drain staged (`Backend.flush`), so a flood costs decode + validate
per datagram and one batched inference per drain, and the newest input is
never left behind in the kernel's buffer while older ones are computed.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import struct
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol, Sequence

from .messages import (AllOff, BundleQuery, Control, ImageRequest, Limits, Listen, Refused, Request, StateQuery, StatusQuery,
                       Subscribe, Unsubscribe, validate)
from .osc_codec import DecodeError, decode_packet, encode_floats, encode_message
from .status import flatten
from .subscribers import Subscribers

if TYPE_CHECKING:
    from .pipeline import Result

__all__ = ["AllowList", "Backend", "DecodeError", "OscCounters", "OscServer", "ReplySender", "TokenBucket",
           "bind_udp", "decode_packet", "encode_message", "resolve"]   # the codec's names: for older importers

log = logging.getLogger(__name__)

MAX_DATAGRAM = 65536
DRAIN_MAX = 512      # datagrams read per wake-up before the staged requests run (bounds one loop turn)
NEVER_ANSWERED = frozenset(("/error", "/status.reply"))   # replies: refused silently, never /error'd


# --- policy helpers -----------------------------------------------------------

class TokenBucket:
    """At most `rate` events a second on average, `burst` at once. Used on the event loop only."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = float(rate), float(max(burst, 1))
        self.tokens = self.burst
        self.t = time.monotonic()

    def take(self) -> bool:
        if self.rate <= 0:
            return False
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.t) * self.rate)
        self.t = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class AllowList:
    """Sender addresses admitted (CIDR ranges); the verdict per address is cached (bounded)."""

    def __init__(self, cidrs: Sequence[str]) -> None:
        self.networks = [ipaddress.ip_network(c, strict=False) for c in cidrs]
        self._cache: dict[str, bool] = {}

    def admits(self, host: str) -> bool:
        v = self._cache.get(host)
        if v is None:
            try:
                ip = ipaddress.ip_address(host.split("%", 1)[0])
                if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
                    ip = ip.ipv4_mapped
                v = any(ip in n for n in self.networks if n.version == ip.version)
            except ValueError:
                v = False
            if len(self._cache) >= 4096:
                self._cache.clear()
            self._cache[host] = v
        return v

    @property
    def loopback_only(self) -> bool:
        return all(n.is_loopback for n in self.networks)


class ReplySender:
    """Sends replies from the listening socket (so `reply to sender` comes from the port they sent to).

    sendto on UDP never blocks here (the socket is non-blocking and a full
    buffer just drops the reply, counted).
    """

    def __init__(self, sock: socket.socket | None, target: tuple | None, to_sender: bool,
                 subscribers: Subscribers | None = None) -> None:
        self.sock = sock
        self.target = target
        self.to_sender = to_sender
        self.subscribers = subscribers if subscribers is not None else Subscribers()
        self.sent = 0
        self.failed = 0

    def send(self, data: bytes, sender: Any = None) -> None:
        """To the reply target, the sender (if configured) and every subscriber, each address once."""
        if self.sock is None:
            return
        done = []
        if self.target is not None:
            self._sendto(data, self.target)
            done.append(self.target)
        if self.to_sender and sender is not None and sender not in done:
            self._sendto(data, sender)
            done.append(sender)
        for sub in self.subscribers.targets():
            if sub not in done:
                self._sendto(data, sub)

    def to(self, data: bytes, addr: Any) -> None:
        """To one address only (answers that concern only the asker, e.g. /subscribed)."""
        if self.sock is not None:
            self._sendto(data, addr)

    def broadcast(self, data: bytes, subscribers: Iterable[Any] | None = None) -> None:
        """To subscribers only (heartbeats and state pushes): `subscribers`, or all of them."""
        if self.sock is None:
            return
        for sub in (self.subscribers.targets() if subscribers is None else subscribers):
            self._sendto(data, sub)

    def _sendto(self, data: bytes, addr: Any) -> None:
        if self.sock is None:   # the callers check; this tells the type checker
            return
        try:
            self.sock.sendto(data, addr)
            self.sent += 1
        except OSError:
            self.failed += 1


# --- the protocol -------------------------------------------------------------

class Backend(Protocol):
    """What the OSC side needs from the rest of the daemon (server.Runtime; fakes in tests)."""

    def limits(self) -> Limits: ...
    def submit(self, request: Request) -> None: ...     # stage it; runs at the next flush
    def flush(self) -> None: ...                        # run what is staged, answering through `answer`
    def control(self, control: Control) -> None: ...
    def status_pairs(self) -> list[tuple[str, Any]]: ...
    def state_messages(self, full: bool) -> list[tuple[str, list[Any]]]: ...   # /state, /state/voice ...
    def all_off(self, reply_to: Any) -> None: ...       # stage a release of every voice
    def see(self, request: ImageRequest, sender: Any) -> str | None: ...   # the way back; None or why not
    def listen(self, on: bool, sender: Any) -> str | None: ...   # /image/listen; None or why not
    def bundle(self, name: str | None, sender: Any) -> str | None: ...   # /bundle [NAME]; None or why not


@dataclass
class OscCounters:
    """Written only on the event loop thread."""

    datagrams: int = 0     # UDP datagrams that arrived
    dropped: int = 0       # datagrams from senders outside the allow list (no reply)
    received: int = 0      # OSC messages from admitted senders (an undecodable datagram counts as one)
    handled: int = 0       # controls and /status applied here (sound requests are counted by the pipeline)
    errors: int = 0        # messages refused
    clamped: int = 0       # messages played with values clamped into range
    errors_unreplied: int = 0   # refusals not answered: rate limit, or a refused reply (/error, /status.reply)
    overflowed: int = 0    # datagrams the kernel dropped because the socket's queue was full (SO_RXQ_OVFL)


class OscServer(asyncio.DatagramProtocol):
    """Datagram in -> allow list -> decode -> validate -> pipeline or control; every refusal -> /error."""

    def __init__(self, backend: Backend, replies: ReplySender, allow: AllowList, *,
                 max_depth: int = 4, max_messages: int = 64,
                 error_rate: float = 20.0, error_burst: int = 20, status_rate: float = 20.0,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.backend = backend
        self.replies = replies
        self.allow = allow
        self.reconfigure(max_depth=max_depth, max_messages=max_messages, error_rate=error_rate,
                         error_burst=error_burst, status_rate=status_rate)
        self.counters = OscCounters()
        self.clock = clock
        self.transport: asyncio.DatagramTransport | None = None
        # the one dispatch table: a validated message's type (its nearest listed class) -> its handler
        self.handlers: dict[type, Callable[[Any, str, Any, float], None]] = {
            Request: self._request, Control: self._control, AllOff: self._all_off,
            StatusQuery: self._status, StateQuery: self._state, BundleQuery: self._bundle,
            Subscribe: self._subscribe, Unsubscribe: self._unsubscribe,
            ImageRequest: self._see, Listen: self._listen,
        }
        self._resolved: dict[type, Callable[[Any, str, Any, float], None]] = {}

    def reconfigure(self, *, max_depth: int, max_messages: int, error_rate: float, error_burst: int,
                    status_rate: float) -> None:
        """The limits a reload may change while serving (bundle size and depth, /error and /status rates);
        the rate limits start afresh with full buckets."""
        self.max_depth = max_depth
        self.max_messages = max_messages
        self.error_bucket = TokenBucket(error_rate, error_burst)
        self.status_bucket = TokenBucket(status_rate, max(1.0, status_rate))

    # asyncio.DatagramProtocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable from a gone client, etc.
        log.debug("socket error: %s", exc)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        """One datagram, then run what it staged (the transport-driven path; `drain` batches instead)."""
        self._handle_safely(data, addr)
        self.flush()

    def drain(self, sock: socket.socket, limit: int = DRAIN_MAX) -> None:
        """Read every datagram waiting (up to `limit`), handle each, then run what they staged, once.

        Called by the event loop when the socket is readable. Reading the lot
        before computing anything is what makes coalescing work under a flood
        (the newest request is among those read) and keeps a steady client's
        requests one per turn, answered at once.
        """
        try:
            for _ in range(limit):
                try:
                    data, anc, _, addr = sock.recvmsg(MAX_DATAGRAM, ANC_SIZE)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as e:  # e.g. a queued ICMP error; the next datagram is still there
                    log.debug("socket error: %s", e)
                    continue
                for level, kind, value in anc:
                    if level == socket.SOL_SOCKET and kind == SO_RXQ_OVFL and len(value) >= 4:
                        self.counters.overflowed = struct.unpack("=I", value[:4])[0]   # the kernel's running count
                self._handle_safely(data, addr)
        finally:
            self.flush()

    def flush(self) -> None:
        try:
            self.backend.flush()
        except Exception:  # the last line of defence: a bug must not stop the server
            log.exception("unexpected error running requests")

    def _handle_safely(self, data: bytes, addr: Any) -> None:
        try:
            self.handle(data, addr)
        except Exception:  # the last line of defence: a bug must not stop the server
            self.counters.errors += 1
            log.exception("unexpected error handling a datagram from %s", addr)

    def handle(self, data: bytes, addr: Any) -> None:
        c = self.counters
        c.datagrams += 1
        if not self.allow.admits(addr[0]):
            c.dropped += 1
            return
        t = self.clock()
        try:
            messages = decode_packet(data, self.max_depth, self.max_messages)
        except DecodeError as e:
            c.received += 1
            self.refuse(e.address, e.reason, addr)
            return
        if not messages:
            return
        limits = self.backend.limits()
        for address, args in messages:
            c.received += 1
            try:
                req = validate(address, args, limits)
            except Refused as e:
                self.refuse(e.address, e.reason, addr, e.silent)
                continue
            if req.clamped:
                c.clamped += 1
            self.handler(type(req))(req, address, addr, t)

    def handler(self, kind: type) -> Callable[[Any, str, Any, float], None]:
        """The handler of a message type: the table's entry for its nearest class (PositionRequest -> Request)."""
        h = self._resolved.get(kind)
        if h is None:
            h = next((self.handlers[k] for k in kind.__mro__ if k in self.handlers), None)
            if h is None:
                raise TypeError(f"no handler for {kind.__name__}")
            self._resolved[kind] = h
        return h

    # the handlers: (message, address it came in on, sender, receipt time)
    def _request(self, req: Request, address: str, addr: Any, t: float) -> None:
        """A voice's request: staged, run at the next flush, answered by `answer`."""
        req.t_received = t
        req.reply_to = addr
        req.address = address
        self.backend.submit(req)

    def _control(self, req: Control, address: str, addr: Any, t: float) -> None:
        self.counters.handled += 1
        self.backend.control(req)

    def _all_off(self, req: AllOff, address: str, addr: Any, t: float) -> None:
        """/off: every voice released (behind its earlier requests), then `/off 1`."""
        self.counters.handled += 1
        self.backend.all_off(addr)
        self.flush()
        self.replies.send(encode_message("/off", [1]), addr)

    def _status(self, req: StatusQuery, address: str, addr: Any, t: float) -> None:
        self.counters.handled += 1
        self.flush()   # what arrived before the query is counted in its answer
        if self.status_bucket.take():
            self.replies.send(encode_message("/status.reply", flatten(self.backend.status_pairs())), addr)

    def _state(self, req: StateQuery, address: str, addr: Any, t: float) -> None:
        """/state: the full state, to the asker only (rate-limited with /status)."""
        self.counters.handled += 1
        self.flush()
        if self.status_bucket.take():
            for reply, args in self.backend.state_messages(True):
                self.replies.to(encode_message(reply, args), addr)

    def _bundle(self, req: BundleQuery, address: str, addr: Any, t: float) -> None:
        """/bundle [NAME]: the backend answers the asker (now, or when the switch is done) or says why not;
        rate-limited with /status (a switch also runs one at a time)."""
        if not self.status_bucket.take():
            self.refuse(address, "too many /status, /state and /bundle requests; try again", addr)
            return
        self.flush()   # what arrived before it plays on the bundle it was meant for
        how = getattr(self.backend, "bundle", None)
        reason = "this daemon cannot switch bundles" if how is None else how(req.name, addr)
        if reason is None:
            self.counters.handled += 1
        else:
            self.refuse(address, reason, addr)

    @staticmethod
    def _subscriber(req: Subscribe | Unsubscribe, addr: Any) -> tuple:
        """A subscription is for the sender's host and the port it names (or its own)."""
        return (addr[0], req.port if req.port is not None else addr[1], *addr[2:])

    def _subscribe(self, req: Subscribe, address: str, addr: Any, t: float) -> None:
        """/subscribe: `/subscribed port ttl_s` to that address; the table is bounded, so a full one
        refuses with /error (rate-limited)."""
        self.counters.handled += 1
        sub = self._subscriber(req, addr)
        table = self.replies.subscribers
        if table.subscribe(sub):
            self.replies.to(encode_message("/subscribed", [sub[1], float(table.ttl_s)]), sub)
        else:
            self.refuse("/subscribe", f"{table.limit} subscribers already (the most this daemon takes)", addr)

    def _unsubscribe(self, req: Unsubscribe, address: str, addr: Any, t: float) -> None:
        self.counters.handled += 1
        sub = self._subscriber(req, addr)
        self.replies.subscribers.unsubscribe(sub)
        self.replies.to(encode_message("/unsubscribed", [sub[1]]), sub)

    def _see(self, req: ImageRequest, address: str, addr: Any, t: float) -> None:
        """`/image/sine|mel|latent/sound`: answered by the backend at once (no voice, no staging)."""
        self._way_back(address, self.backend.see(req, addr), addr)

    def _listen(self, req: Listen, address: str, addr: Any, t: float) -> None:
        self._way_back(address, self.backend.listen(req.on, addr), addr)

    def _way_back(self, address: str, reason: str | None, addr: Any) -> None:
        """The way back's outcome: counted as handled, or a reason it cannot -> /error."""
        if reason is None:
            self.counters.handled += 1
        else:
            self.refuse(address, reason, addr)

    def refuse(self, address: str, reason: str, addr: Any, silent: bool = False) -> None:
        """Count a refusal and answer `/error address reason`, rate-limited.

        A refused `/error` or `/status.reply` is counted but never answered: those
        are replies (another daemon's, or our own sent back by a misconfigured
        reply target), and answering them would start an /error ping-pong between
        two daemons that only stops when a token bucket runs dry.
        """
        self.counters.errors += 1
        if silent or address in NEVER_ANSWERED:
            self.counters.errors_unreplied += 1
            return
        if self.error_bucket.take():
            self.replies.send(encode_message("/error", (address, reason)), addr)
        else:
            self.counters.errors_unreplied += 1

    def keep_warm(self) -> None:
        """Decode, validate and encode a request and its reply as `handle` and `answer` would; nothing is sent.

        The Python side of a request after ~10 ms of idling costs 3-4x a hot
        one (docs/measurements.md, "Keeping warm"); `Runtime.keep_warm` calls
        this beside the networks' pass. Nothing is counted, staged or played.
        """
        limits = self.backend.limits()
        z = [0.0] * limits.sound_latent
        for address, args in decode_packet(encode_floats("/voice/0/latent/sound", z), self.max_depth,
                                           self.max_messages):
            validate(address, args, limits)
            encode_floats("/voice/0/synthparams", z)

    def answer(self, result: "Result") -> None:
        """The replies for one inference result: `/sineparams pitch dB` (a sine bundle) or `/synthparams p1 ..
        pN` (any other synth: the parameters as the engine plays them, `Result.played`), + `/latent/sound z...`
        for `/latent/image`; nothing for a release, `/error address reason` (rate-limited) for a failure.

        Replies mirror the request's voice prefix (`/voice/N/sineparams`).
        """
        r = result.request
        if result.error is not None:
            if self.error_bucket.take():
                self.replies.send(encode_message("/error", (r.address or r.prefix, result.error)), r.reply_to)
            return
        if result.params is None:
            if result.release and r.prefix:            # /voice/N/off -> /voice/N/off 1 ("done"; not for /off)
                self.replies.send(encode_message(r.prefix + "/off", [1]), r.reply_to)
            return
        if result.played is not None:
            self.replies.send(encode_floats(r.prefix + "/synthparams", result.played), r.reply_to)
        else:
            self.replies.send(encode_floats(r.prefix + "/sineparams", result.params), r.reply_to)
        if result.z_sound is not None:
            self.replies.send(encode_floats(r.prefix + "/latent/sound", result.z_sound), r.reply_to)


SO_RXQ_OVFL = getattr(socket, "SO_RXQ_OVFL", 40)   # Linux's value; Python's socket module may not name it
ANC_SIZE = socket.CMSG_SPACE(4)


def bind_udp(host: str, port: int, rcvbuf: int = 1 << 20) -> socket.socket:
    """The listening socket, bound before anything slow happens so a busy port fails the start at once.

    A 1 MB receive buffer (the kernel doubles it, and caps it at net.core.rmem_max): big enough that
    datagrams wait in the kernel while an inline batch of frames runs, small enough that under a flood
    what is queued stays fresh. A bigger one is bufferbloat for an instrument
    (docs/measurements.md, "The receive buffer"): what a performer sends last should be what plays.
    """
    if host == "localhost":   # IPv4 loopback: the default reply target is 127.0.0.1
        host = "127.0.0.1"
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM, flags=socket.AI_NUMERICSERV)
    family, _, _, _, sockaddr = infos[0]
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    except OSError:
        pass
    try:   # every datagram then carries the count of those the kernel dropped for a full queue (Linux)
        sock.setsockopt(socket.SOL_SOCKET, SO_RXQ_OVFL, 1)
    except OSError:
        pass
    sock.bind(sockaddr)
    sock.setblocking(False)
    return sock


def resolve(host: str, port: int, family: int) -> tuple:
    """A reply target as a sockaddr for the listening socket's family (IPv4-mapped for an IPv6 socket)."""
    if family == socket.AF_INET6:
        ip = ipaddress.ip_address(socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0][4][0])
        if ip.version == 4:
            return (f"::ffff:{ip}", port, 0, 0)
        return (str(ip), port, 0, 0)
    infos = socket.getaddrinfo(host, port, family=socket.AF_INET, type=socket.SOCK_DGRAM)
    return infos[0][4]
