"""Subscriptions, pushed state, heartbeats, voice offs and reply loops, against a real `isudt serve`."""
from __future__ import annotations

import random
import socket
import time
from typing import Any

from isudt.daemon.osc_codec import decode_packet, encode_message
from support.daemon import OscClient


def collect(c: OscClient, seconds: float) -> list[tuple[str, list[Any]]]:
    out = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        m = c.recv(left)
        if m is not None:
            out.append(m)
    return out


def test_subscriber_gets_replies_state_and_heartbeats(daemon_factory: Any) -> None:
    d = daemon_factory()
    listener, sender = d.client(), d.client()
    sender.send("/subscribe", listener.port)
    assert listener.wait_for("/subscribed") == [listener.port, 60.0]
    got = collect(listener, 1.3)
    heads = [a for m, a in got if m == "/state"]
    voices = [a for m, a in got if m == "/state/voice"]
    assert heads and heads[0][:4] == [0.0, 10.0, 0, 0] and heads[0][4] == d.status()["model_id"]
    assert sorted(v[0] for v in voices) == [0, 1, 2, 3] and all(v[1:] == [0, 60.0, -120.0] for v in voices)
    assert any(m == "/heartbeat" for m, _ in got)
    # another client's request: the subscriber hears the reply too, and the voice's new state
    pitch, db = d.client().request("/voice/2/pictslider", 40, 80, reply="/voice/2/sineparams")
    assert listener.wait_for("/voice/2/sineparams") == [pitch, db]
    v2 = listener.wait_for("/state/voice")
    assert v2[:2] == [2, 1] and abs(v2[2] - pitch) < 1e-3 and abs(v2[3] - db) < 1e-3
    st = d.status()
    assert st["subscribers"] == 1 and st["subscriber"] == f"127.0.0.1:{listener.port}"
    # gain, mute: pushed as the daemon has them
    sender.send("/gain", -6)
    sender.send("/mute", 1)
    deadline = time.monotonic() + 2
    while (m := listener.wait_for("/state"))[:3] != [-6.0, 10.0, 1]:
        assert time.monotonic() < deadline, m
    sender.send("/unsubscribe", listener.port)
    assert listener.wait_for("/unsubscribed") == [listener.port]
    listener.drain(0.2)
    assert [m for m, _ in collect(listener, 1.3)] == [] and d.status()["subscribers"] == 0


def test_voice_off_and_panic_reply_and_stop_voices(daemon_factory: Any) -> None:
    d = daemon_factory()
    c = d.client()
    for v in range(4):
        c.request(f"/voice/{v}/latent/sound", 0.1 * v, -0.2, reply=f"/voice/{v}/sineparams")
    assert d.status()["active_voices"] == 4
    assert c.request("/voice/1/off", reply="/voice/1/off") == [1]
    assert d.status()["active_voices"] == 3
    assert c.request("/off", reply="/off") == [1]
    st = d.status()
    assert st["active_voices"] == 0 and st["errors"] == 0


def test_every_reply_fed_back_ends_within_two_steps(daemon_factory: Any) -> None:
    """A daemon whose replies come back to it (or reach another daemon) cannot start an endless exchange."""
    d = daemon_factory({"listen": {"picture_list": True}})
    c = d.client()
    c.send("/subscribe", c.port)
    for address, args in [("/image/sine", (60, -12)), ("/image/mel", tuple([0.0] * 64)), ("/pictslider", (40, 80)), ("/latent/image", (0.0, 0.5)), ("/voice/1/latent/sound", (0.1, 0.1)),
                          ("/voice/1/off", ()), ("/off", ()), ("/state", ()), ("/status", ()), ("/nope", ()),
                          ("/unsubscribe", (c.port,)), ("/subscribe", (c.port,))]:
        c.send(address, *args)
    replies = collect(c, 1.2)
    kinds = {m for m, _ in replies}
    assert {"/sineparams", "/latent/sound", "/voice/1/sineparams", "/voice/1/off", "/off", "/state", "/state/voice",
            "/status.reply", "/error", "/subscribed", "/unsubscribed", "/heartbeat",
            "/square", "/image/latent", "/picture", "/picture/list"} <= kinds, kinds
    c.send("/unsubscribe", c.port)
    c.drain(0.3)
    fed = {m: a for m, a in replies} | {"/image/silent": [-120.0]}   # the live stream's silence reply, too
    for address, args in fed.items():
        step1 = [m for m in feed(c, address, args) if m[0] != "/unsubscribed"]
        step2 = [m2 for m in step1 for m2 in feed(c, *m)]
        assert step2 == [], (address, step1, step2)


def feed(c: OscClient, address: str, args: list[Any]) -> list[tuple[str, list[Any]]]:
    """Send one reply back to the daemon as if it were a request; what does it answer?"""
    c.send(address, *args)
    return c.drain(0.15)


def test_subscribe_abuse_is_bounded_expires_and_amplifies_nothing(daemon_factory: Any) -> None:
    """10,000 /subscribe datagrams naming 40 ports, from 40 sockets: at most the configured 8 are kept,
    each datagram gets at most one small direct reply, pushes reach only the kept ones, and they expire."""
    d = daemon_factory({"osc": {"max_subscribers": 8, "subscription_ttl_s": 2.0, "error_rate_limit": 20}})
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(40)]
    rng = random.Random(7)
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
            s.setblocking(False)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        ports = [s.getsockname()[1] for s in socks]
        target = (d.host, d.port)
        sent, received = 0, []
        for i in range(10_000):
            rng.choice(socks).sendto(encode_message("/subscribe", [rng.choice(ports)]), target)
            sent += 1
            if i % 200 == 0:
                time.sleep(0.01)                              # paced: the loopback buffer keeps them all
                received += read_all(socks)
        time.sleep(0.5)
        received += read_all(socks)
        st = d.status()
        direct = [(p, m, n) for p, m, n in received if m in ("/subscribed", "/error")]
        pushed_to = {p for p, m, _ in received if m in ("/state", "/state/voice", "/heartbeat")}
        print(f"\nsubscribe abuse: sent {sent}, direct replies {len(direct)}, received {len(received)} in all, "
              f"subscribers {st['subscribers']}, refused {st['subscribers_refused']}, pushes to {len(pushed_to)} ports")
        assert st["subscribers"] == 8 and st["subscribers_refused"] > 0
        assert len(direct) <= sent                        # at most one direct reply per datagram ...
        assert all(n <= (32 if m == "/subscribed" else 128) for _, m, n in direct), \
            sorted({(m, n) for _, m, n in direct})      # ... and a small one (the request is 20 bytes)
        assert len(pushed_to) <= 8
        assert len(received) <= sent + 8 * 40            # direct replies + the 8 subscribers' state and heartbeats
        time.sleep(2.5)                                    # no renewal: all of them expire
        assert d.status()["subscribers"] == 0
    finally:
        for s in socks:
            s.close()


def read_all(socks: list[socket.socket]) -> list[tuple[int, str, int]]:
    """Every message waiting on `socks`: (the socket's port, address, size of its datagram in bytes)."""
    out = []
    for s in socks:
        while True:
            try:
                data = s.recv(65536)
            except BlockingIOError:
                break
            for m, _ in decode_packet(data):
                out.append((s.getsockname()[1], m, len(data)))
    return out
