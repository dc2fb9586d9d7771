"""OSC decoding, validation and the datagram handler: coercion, every refusal, rate limits, allow list.

No sockets: the handler is driven directly with bytes, replies are captured.
Property tests (hypothesis) check that the decoder agrees with python-osc on
everything python-osc builds, and that no byte string makes the handler raise.
"""
from __future__ import annotations

import math
import socket
import struct
import time
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from isudt.daemon.messages import (FrameRequest, Gain, Glide, LatentImageRequest, LatentSoundRequest, Limits,
                                   Mute, PositionRequest, Refused, StatusQuery, VoiceOff, validate)
from isudt.daemon.osc_codec import DecodeError, decode_message, decode_packet, encode_floats, encode_message
from isudt.daemon.osc_server import AllowList, OscServer, ReplySender, TokenBucket

LIMITS = Limits(voices=8, positions=126, image_latent=2, sound_latent=2,
                image_lo=np.array([-1, -1], np.float32), image_hi=np.array([1, 1], np.float32),
                sound_lo=np.array([-2, -0.5], np.float32), sound_hi=np.array([2, 0.5], np.float32),
                max_blob_bytes=65536)
LOCAL = ("127.0.0.1", 50000)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Capture(ReplySender):
    def __init__(self) -> None:
        super().__init__(None, None, True)
        self.out: list[tuple[str, list[Any], Any]] = []

    def send(self, data: bytes, sender: Any = None) -> None:
        (address, args), = decode_packet(data)
        self.out.append((address, args, sender))


class FakeBackend:
    def __init__(self) -> None:
        self.submitted: list[Any] = []
        self.controls: list[Any] = []
        self.flushes = 0

    def limits(self) -> Limits:
        return LIMITS

    def submit(self, r: Any) -> None:
        self.submitted.append(r)

    def flush(self) -> None:
        self.flushes += 1

    def control(self, c: Any) -> None:
        self.controls.append(c)

    def status_pairs(self) -> list[tuple[str, Any]]:
        return [("received", 1), ("provider", "cpu"), ("inference_p99_ms", 0.5)]


def make_server(**kw: Any) -> tuple[OscServer, FakeBackend, Capture]:
    backend, cap = FakeBackend(), Capture()
    kw.setdefault("error_rate", 1e6)
    kw.setdefault("error_burst", 1_000_000)
    return OscServer(backend, cap, AllowList(["127.0.0.0/8", "::1/128"]), **kw), backend, cap


def msg(address: str, *args: Any) -> bytes:
    b = OscMessageBuilder(address)
    for a in args:
        b.add_arg(a)
    return b.build().dgram


# --- codec -------------------------------------------------------------------

osc_args = st.lists(st.one_of(
    st.integers(-2**31, 2**31 - 1),
    st.floats(width=32, allow_nan=False),
    st.text(alphabet=st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)), max_size=20),
    st.binary(min_size=1, max_size=40),
    st.booleans(),
), max_size=8)
addresses = st.from_regex(r"/[a-z0-9_]{1,12}(/[a-z0-9_]{1,8}){0,3}", fullmatch=True)


@SETTINGS
@given(addresses, osc_args)
def test_decoder_agrees_with_python_osc(address: str, args: list) -> None:
    dgram = msg(address, *args)
    got_address, got = decode_message(dgram)
    ref = OscMessage(dgram)
    assert got_address == ref.address
    assert got == ref.params


@SETTINGS
@given(addresses, osc_args)
def test_encoder_is_read_back_by_python_osc(address: str, args: list) -> None:
    ref = OscMessage(encode_message(address, args))
    assert ref.address == address
    for a, b in zip(args, ref.params, strict=True):
        if isinstance(a, float):
            assert b == pytest.approx(a, rel=1e-6) or (math.isinf(a) and math.isinf(b))
        else:
            assert a == b


def test_fast_float_reply_matches_general_encoder() -> None:
    assert encode_floats("/sineparams", (61.5, -7.25)) == encode_message("/sineparams", [61.5, -7.25])


def test_the_codec_imports_nothing_of_the_server() -> None:
    """Clients (`isudt send`, bench/, the tests' helpers) take the wire format alone."""
    import subprocess
    import sys
    code = ("import sys, isudt.daemon.osc_codec; "
            "print(sorted(m for m in sys.modules if m.startswith('isudt.daemon.') and m != 'isudt.daemon.osc_codec'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise_from_the_handler(data: bytes) -> None:
    srv, backend, cap = make_server()
    srv.handle(data, LOCAL)
    c = srv.counters
    assert c.datagrams == 1
    assert c.received >= 1 or data.startswith(b"#bundle")
    assert c.received == c.errors + c.handled + len(backend.submitted)
    assert all(a in ("/error", "/status.reply") for a, _, _ in cap.out)


@SETTINGS
@given(addresses, osc_args, st.data())
def test_mutated_messages_never_raise(address: str, args: list, data: st.DataObject) -> None:
    dgram = bytearray(msg(address, *args))
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "cut", "extend"]))
        if op == "flip" and dgram:
            i = data.draw(st.integers(0, len(dgram) - 1))
            dgram[i] = data.draw(st.integers(0, 255))
        elif op == "cut" and dgram:
            del dgram[data.draw(st.integers(0, len(dgram) - 1)):]
        else:
            dgram += data.draw(st.binary(max_size=8))
    srv, _, _ = make_server()
    srv.handle(bytes(dgram), LOCAL)   # must not raise
    try:
        decode_packet(bytes(dgram))
    except DecodeError:
        pass


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"),
    (b"hello world!", "not OSC"),
    (b"/abc", "no terminating zero"),
    (b"/ab\0\0\0\0\0", "must start with ','"),
    (b"/abc\0\0\0\x01", "non-zero padding"),
    (b"/abc\0\0\0\0,i\0\0", "too short"),
    (b"/abc\0\0\0\0,q\0\0", "unsupported type tag"),
    (b"/abc\0\0\0\0,[i]\0\0\0\0\0\0\0\0", "unsupported type tag"),
    (b"/abc\0\0\0\0,i\0\0\0\0\0\x01\0\0\0\x02", "payload longer"),
    (b"/abc\0\0\0\0ii\0\0", "must start with ','"),
    (b"/abc\0\0\0\0,s\0\0abcd", "no terminating zero"),
    (b"/abc\0\0\0\0,b\0\0\0\0\0\x10abcd", "blob size"),
    (b"/a b\0\0\0\0", "printable ASCII"),
    (b"/\xff\xfe\0", "UTF-8"),
    (b"#bundle\0\0\0\0\0\0\0\0\x01\0\0\0\x05", "bad size"),
    (b"#bundle\0\0\0\0\0", "bundle too short for its time tag"),   # 12 bytes: a whole number of words
])
def test_malformed_datagrams_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    if len(data) % 4:
        reason = reason if reason in ("empty",) else "multiple of 4"
    srv, backend, cap = make_server()
    srv.handle(data, LOCAL)
    assert not backend.submitted and not backend.controls
    assert srv.counters.errors == 1
    (address, (_, why), to), = cap.out
    assert address == "/error" and reason in why and to == LOCAL


# --- validation: coercion and policy --------------------------------------------

def run(address: str, *args: Any) -> Any:
    return validate(address, list(args), LIMITS)


def test_pd_floats_are_accepted_for_ints() -> None:
    r = run("/pictslider", 40.0, 80.0)
    assert isinstance(r, PositionRequest) and (r.x, r.y, r.voice) == (40, 80, 0)
    assert (run("/pictslider", 40.4, 79.6).x, run("/pictslider", 40.4, 79.6).y) == (40, 80)
    r = run("/frame", 2.0, 3.0, bytes(6))
    assert isinstance(r, FrameRequest) and r.pixels.shape == (3, 2)
    assert isinstance(run("/mute", 1.0), Mute) and run("/mute", 1.0).on and not run("/mute", 0).on
    assert run("/mute", True).on


def test_ints_and_doubles_are_numbers() -> None:
    r = run("/latent/sound", 1, 0)
    assert isinstance(r, LatentSoundRequest) and r.z.tolist() == [1.0, 0.0] and not r.clamped


@pytest.mark.parametrize("address, args, reason", [
    ("/pictslider", [126, 0], "outside 0..125"),
    ("/pictslider", [-1, 0], "outside"),
    ("/pictslider", [125.6, 0], "outside"),
    ("/pictslider", [float("nan"), 1], "NaN"),
    ("/pictslider", [float("inf"), 1], "NaN and infinity"),
    ("/pictslider", [1], "expects x y"),
    ("/pictslider", [1, 2, 3], "expects x y"),
    ("/pictslider", ["a", 2], "must be a number, got a string"),
    ("/pictslider", [True, 2], "got a boolean"),
    ("/pictslider", [None, 2], "got nil"),
    ("/latent/image", [0.1], "expects 2 latent"),
    ("/latent/sound", [0.1, float("-inf")], "NaN"),
    ("/latent/sound", [b"ab", 1], "got a blob"),
    ("/frame", [], "expects blob"),
    ("/frame", [b""], "empty blob"),
    ("/frame", [bytes(15)], "not a square"),
    ("/frame", [bytes(70000)], "over the limit"),
    ("/frame", ["abc"], "expects a blob"),
    ("/frame", [4, 4, bytes(15)], "needs 16"),
    ("/frame", [4.5, 4, bytes(18)], "whole number"),
    ("/frame", [0, 4, b""], "at least 1"),
    ("/frame", [4, 4, 5], "must be a blob"),
    ("/frame/list", [2, 2, 0.1, 0.2, 0.3], "needs 4"),
    ("/frame/list", [65, 1] + [0.0] * 65, "1..64"),
    ("/frame/list", [1, 1, "x"], "must be a number"),
    ("/frame/list", [1, 1, float("nan")], "NaN"),
    ("/frame/list", [1], "expects w h"),
    ("/voice/8/pictslider", [1, 1], "voices are 0..7"),
    ("/voice/x/pictslider", [1, 1], "voice index"),
    ("/voice/99999999/pictslider", [1, 1], "voice index"),
    ("/voice/1", [], "expects /voice/N/"),
    ("/voices", [], "unknown address"),
    ("/voice/1/", [], "expects /voice/N/"),
    ("/voice/1/gain", [0], "unknown address under /voice/1"),
    ("/voice/1/off", [1], "a reply of the daemon's"),
    ("/gain", [], "a gain in dB"),
    ("/gain", [float("nan")], "NaN"),
    ("/glide", ["fast"], "must be a number"),
    ("/mute", [], "0 or 1"),
    ("/status", [1], "no arguments"),
    ("/nope", [], "unknown address"),
    ("/sineparams", [1, 2], "a reply of the daemon's"),
])
def test_refusals_name_the_problem(address: str, args: list, reason: str) -> None:
    with pytest.raises(Refused) as e:
        validate(address, args, LIMITS)
    assert reason in e.value.reason and e.value.address == address
    # and through the handler: /error address reason, nothing submitted
    srv, backend, cap = make_server()
    srv.handle(encode_message(address, args), LOCAL)
    assert not backend.submitted and not backend.controls
    # a reply fed back is refused without an answer (no reply ping-pong); anything else gets /error
    assert cap.out == ([] if e.value.silent else [("/error", [address, e.value.reason], LOCAL)])


def test_latents_are_clamped_into_the_trained_box_and_counted() -> None:
    r = run("/latent/sound", 100.0, -100.0)
    assert r.clamped and r.z.tolist() == [2.0, -0.5]
    r = run("/latent/image", 0.5, -0.5)
    assert isinstance(r, LatentImageRequest) and not r.clamped
    srv, backend, cap = make_server()
    srv.handle(msg("/latent/sound", 100.0, 0.0), LOCAL)
    assert srv.counters.clamped == 1 and len(backend.submitted) == 1 and not cap.out


def test_continuous_controls_are_clamped() -> None:
    g = run("/gain", 100.0)
    assert isinstance(g, Gain) and g.db == 24.0 and g.clamped
    assert run("/gain", -6).db == -6.0 and not run("/gain", -6).clamped
    gl = run("/glide", -5)
    assert isinstance(gl, Glide) and gl.ms == 0.0 and gl.clamped
    fl = run("/frame/list", 1, 2, -0.5, 1.5)
    assert fl.clamped and fl.pixels.tolist() == [[0.0], [1.0]]


def test_voice_addresses_route_and_mirror() -> None:
    r = run("/voice/3/pictslider", 1, 2)
    assert isinstance(r, PositionRequest) and r.voice == 3 and r.prefix == "/voice/3"
    r = run("/voice/7/latent/image", 0, 0)
    assert isinstance(r, LatentImageRequest) and r.voice == 7
    r = run("/voice/2/off")
    assert isinstance(r, VoiceOff) and r.voice == 2
    assert isinstance(run("/voice/0/frame/list", 1, 1, 0.5), FrameRequest)
    assert isinstance(run("/status"), StatusQuery)


# --- the handler: routing, replies, rate limits, allow list, bundles -----------------

def test_requests_carry_sender_and_time() -> None:
    srv, backend, _ = make_server(clock=lambda: 123.0)
    srv.handle(msg("/pictslider", 3, 4), ("127.0.0.5", 999))
    (r,) = backend.submitted
    assert r.reply_to == ("127.0.0.5", 999) and r.t_received == 123.0 and r.address == "/pictslider"


def test_status_replies_name_value_pairs_and_is_rate_limited() -> None:
    srv, _, cap = make_server(status_rate=2.0)
    for _ in range(10):
        srv.handle(msg("/status"), LOCAL)
    assert 1 <= len(cap.out) <= 3
    address, args, _ = cap.out[0]
    assert address == "/status.reply" and args[0::2] == ["received", "provider", "inference_p99_ms"]
    assert srv.counters.handled == 10


def test_error_replies_are_rate_limited_but_all_counted() -> None:
    srv, _, cap = make_server(error_rate=10.0, error_burst=5)
    t = time.monotonic()
    for _ in range(2000):
        srv.handle(b"junk", LOCAL)
    elapsed = time.monotonic() - t
    assert srv.counters.errors == 2000
    assert len(cap.out) <= 5 + 10 * elapsed + 1
    assert srv.counters.errors_unreplied == 2000 - len(cap.out)


def test_token_bucket_refills() -> None:
    b = TokenBucket(1000.0, 2)
    assert b.take() and b.take() and not b.take()
    time.sleep(0.01)
    assert b.take()
    assert not TokenBucket(0, 5).take()


def test_every_kind_of_message_has_one_handler() -> None:
    """The four kinds besides a voice's requests are separate types, and one table sends each to its handler."""
    import dataclasses

    from isudt.daemon import messages
    osc, _, _ = make_server()
    kinds = [k for k in vars(messages).values() if isinstance(k, type) and dataclasses.is_dataclass(k)
             and k.__module__ == messages.__name__ and k is not messages.Limits and not k.__subclasses__()]
    assert len(kinds) > 15   # what `validate` returns: the leaves
    for k in kinds:
        assert callable(osc.handler(k)), k
    bases = (messages.Request, messages.Control, messages.Query, messages.Subscription, messages.WayBackRequest)
    for k in kinds:   # each message type is of exactly one kind
        assert sum(issubclass(k, b) for b in bases) == 1, k


def test_reconfigure_sets_the_limits_a_reload_may_change() -> None:
    osc, _, cap = make_server(max_messages=64, error_rate=20.0, error_burst=20)
    osc.reconfigure(max_depth=2, max_messages=1, error_rate=1000.0, error_burst=1, status_rate=5.0)
    assert (osc.max_depth, osc.max_messages) == (2, 1)
    assert (osc.error_bucket.rate, osc.error_bucket.burst) == (1000.0, 1.0)
    assert (osc.status_bucket.rate, osc.status_bucket.burst) == (5.0, 5.0)


def test_senders_outside_the_allow_list_are_dropped_silently() -> None:
    srv, backend, cap = make_server()
    srv.handle(msg("/pictslider", 1, 1), ("192.168.1.20", 4000))
    srv.handle(b"junk", ("10.0.0.1", 4000))
    assert srv.counters.dropped == 2 and srv.counters.received == 0 and not cap.out and not backend.submitted
    lan = AllowList(["192.168.1.0/24"])
    assert lan.admits("192.168.1.20") and not lan.admits("192.168.2.1") and not lan.admits("127.0.0.1")
    assert AllowList(["127.0.0.0/8"]).admits("::ffff:127.0.0.1")
    assert not AllowList(["127.0.0.0/8"]).admits("not an ip")


def bundle(*elements: bytes, timetag: bytes = b"\0" * 7 + b"\x01") -> bytes:
    out = b"#bundle\0" + timetag
    for e in elements:
        out += struct.pack(">i", len(e)) + e
    return out


def test_bundles_run_every_message_on_arrival_even_with_future_time_tags() -> None:
    srv, backend, _ = make_server()
    future = struct.pack(">II", 0xFFFFFFF0, 0)   # far in the future: must not wait
    t = time.perf_counter()
    srv.handle(bundle(msg("/pictslider", 1, 1), bundle(msg("/voice/1/pictslider", 2, 2)), timetag=future), LOCAL)
    assert time.perf_counter() - t < 0.05
    assert [(r.voice, r.x) for r in backend.submitted] == [(0, 1), (1, 2)]
    assert srv.counters.received == 2


def test_python_osc_bundles_decode() -> None:
    b = OscBundleBuilder(IMMEDIATELY)
    b.add_content(_m("/gain", -6.0))
    b.add_content(_m("/mute", 0))
    srv, backend, _ = make_server()
    srv.handle(b.build().dgram, LOCAL)
    assert [type(c) for c in backend.controls] == [Gain, Mute]


def _m(address: str, *args: Any) -> Any:
    b = OscMessageBuilder(address)
    for a in args:
        b.add_arg(a)
    return b.build()


def test_deep_huge_or_broken_bundles_are_refused_whole() -> None:
    deep = msg("/pictslider", 1, 1)
    for _ in range(5):
        deep = bundle(deep)
    srv, backend, cap = make_server(max_depth=4)
    srv.handle(deep, LOCAL)
    assert not backend.submitted and "nested deeper than 4" in cap.out[-1][1][1]
    many = bundle(*[msg("/pictslider", 1, 1)] * 65)
    srv.handle(many, LOCAL)
    assert not backend.submitted and "more than 64 messages" in cap.out[-1][1][1]
    broken = bundle(msg("/pictslider", 1, 1), b"/x\0\0,i\0\0")   # second element truncated
    srv.handle(broken, LOCAL)
    assert not backend.submitted and srv.counters.errors == 3
    # a datagram nested 3000 deep (as deep as UDP allows) does not recurse past the limit
    very = msg("/a")
    for _ in range(3000):
        very = b"#bundle\0" + b"\0" * 8 + struct.pack(">i", len(very)) + very
    srv.handle(very, LOCAL)
    assert srv.counters.errors == 4


def test_a_bad_message_in_a_bundle_refuses_only_itself() -> None:
    """Each message in a well-formed bundle is validated on its own (a decode error refuses the datagram)."""
    srv, backend, cap = make_server()
    srv.handle(bundle(msg("/pictslider", 1, 1), msg("/pictslider", 999, 1)), LOCAL)
    assert len(backend.submitted) == 1 and cap.out[0][0] == "/error" and srv.counters.errors == 1


def test_handler_survives_backend_bugs() -> None:
    srv, backend, _ = make_server()

    def boom(r: Any) -> None:
        raise RuntimeError("bug")

    backend.submit = boom  # type: ignore[method-assign]
    srv.datagram_received(msg("/pictslider", 1, 1), LOCAL)   # logged, counted, not raised
    assert srv.counters.errors == 1


def test_a_full_socket_queue_is_counted_not_hidden() -> None:
    """Datagrams the kernel drops while the daemon is stalled (its queue full) show up in `overflowed`:
    arrived + overflowed == sent."""
    from isudt.daemon.osc_server import bind_udp
    srv, backend, _ = make_server()
    rx = bind_udp("127.0.0.1", 0, rcvbuf=4096)             # a tiny queue (the kernel's minimum applies)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sent = 2000
        for k in range(sent):
            tx.sendto(msg("/pictslider", k % 126, 1), rx.getsockname())
        time.sleep(0.05)
        srv.drain(rx, limit=10_000)
        tx.sendto(msg("/pictslider", 1, 1), rx.getsockname())   # the count rides on the next datagram read
        time.sleep(0.05)
        srv.drain(rx)
        c = srv.counters
        assert c.overflowed > 0 and c.datagrams + c.overflowed == sent + 1, (c.datagrams, c.overflowed)
    finally:
        rx.close()
        tx.close()


def test_drain_reads_everything_waiting_then_flushes_once() -> None:
    """A drain handles every datagram waiting on the socket before the backend runs any of them."""
    srv, backend, _ = make_server()
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        rx.bind(("127.0.0.1", 0))
        rx.setblocking(False)
        for k in range(5):
            tx.sendto(msg("/pictslider", k, k), rx.getsockname())
        time.sleep(0.05)
        srv.drain(rx)
        assert [r.x for r in backend.submitted] == [0, 1, 2, 3, 4] and backend.flushes == 1
        srv.drain(rx)                                     # nothing waiting: still flushes, harmlessly
        assert backend.flushes == 2 and len(backend.submitted) == 5
    finally:
        rx.close()
        tx.close()


def test_status_counts_what_arrived_before_it() -> None:
    """/status runs what is staged first, so its counters include every request that came before it."""
    srv, backend, cap = make_server()
    srv.handle(bundle(msg("/pictslider", 1, 1), msg("/status")), LOCAL)
    assert backend.flushes == 1 and cap.out[-1][0] == "/status.reply"


def test_results_are_answered_on_the_wire() -> None:
    from isudt.daemon.pipeline import Result
    srv, _, cap = make_server(error_rate=1.0, error_burst=1)
    to = ("127.0.0.9", 7)
    srv.answer(Result(LatentImageRequest(2, "/voice/2", reply_to=to), (61.5, -12.0), (0.25, -0.5)))
    srv.answer(Result(VoiceOff(2, "/voice/2", reply_to=to)))                      # a release: "/voice/2/off 1"
    srv.answer(Result(VoiceOff(3, "", reply_to=to)))                              # one voice of /off: no reply
    srv.answer(Result(PositionRequest(0, address="/pictslider", reply_to=to), error="inference failed: x"))
    srv.answer(Result(PositionRequest(0, address="/pictslider", reply_to=to), error="inference failed: y"))
    assert cap.out == [("/voice/2/sineparams", [61.5, -12.0], to), ("/voice/2/latent/sound", [0.25, -0.5], to),
                       ("/voice/2/off", [1], to),
                       ("/error", ["/pictslider", "inference failed: x"], to)]      # the second /error: rate-limited


def test_flush_survives_backend_bugs() -> None:
    srv, backend, _ = make_server()

    def boom() -> None:
        raise RuntimeError("bug")

    backend.flush = boom  # type: ignore[method-assign]
    srv.datagram_received(msg("/pictslider", 1, 1), LOCAL)   # logged, not raised
    assert len(backend.submitted) == 1


def test_decode_packet_limits_are_parameters() -> None:
    with pytest.raises(DecodeError):
        decode_packet(bundle(msg("/a")), max_depth=0)
    assert decode_packet(bundle(msg("/a"), msg("/b")), max_depth=1) == [("/a", []), ("/b", [])]
    assert decode_packet(bundle()) == []


any_args = st.lists(st.one_of(
    st.integers(-2**63, 2**63 - 1), st.floats(), st.floats(width=32), st.text(max_size=5),
    st.binary(max_size=300), st.booleans(), st.none()), max_size=70)
known_addresses = st.sampled_from(["/pictslider", "/frame", "/frame/list", "/latent/image", "/latent/sound",
                                   "/gain", "/glide", "/mute", "/status", "/voice/0/off", "/voice/3/frame",
                                   "/voice/7/latent/sound", "/voice/8/pictslider", "/voice//x", "/voice/-1/off",
                                   "/bundle"])


@SETTINGS
@given(known_addresses, any_args)
def test_validation_returns_a_request_or_refuses(address: str, args: list) -> None:
    """Whatever the arguments: a request with finite, in-range values, or Refused — never another exception."""
    try:
        r = validate(address, args, LIMITS)
    except Refused as e:
        assert e.address == address and e.reason
        return
    if isinstance(r, PositionRequest):
        assert 0 <= r.x < 126 and 0 <= r.y < 126
    if isinstance(r, (LatentImageRequest, LatentSoundRequest)):
        assert np.all(np.isfinite(r.z)) and r.z.dtype == np.float32
    if isinstance(r, FrameRequest):
        assert r.pixels.ndim == 2 and r.pixels.size >= 1
        if r.pixels.dtype != np.uint8:
            assert np.all((r.pixels >= 0) & (r.pixels <= 1))
    if isinstance(r, Gain):
        assert -120 <= r.db <= 24
    if isinstance(r, Glide):
        assert 0 <= r.ms <= 10000
    assert 0 <= getattr(r, "voice", 0) < 8


def test_bundle_goes_to_the_backend_rate_limited_with_status() -> None:
    """/bundle [NAME]: the backend decides (None: it answers; a reason: /error /bundle reason); no backend
    `bundle`: refused; a reply `/bundle name model_id` fed back: dropped unanswered; rate-limited with /status."""
    srv, backend, cap = make_server(status_rate=3.0)
    srv.handle(msg("/bundle", "digits-fm"), LOCAL)
    assert cap.out[-1][:2] == ("/error", ["/bundle", "this daemon cannot switch bundles"])
    asked: list[Any] = []
    backend.bundle = lambda name, sender: asked.append((name, sender)) or (None if name != "x" else "no bundle x")
    srv.handle(msg("/bundle"), LOCAL)
    srv.handle(msg("/bundle", "x"), LOCAL)
    assert asked == [(None, LOCAL), ("x", LOCAL)]
    assert cap.out[-1][:2] == ("/error", ["/bundle", "no bundle x"])
    n = len(cap.out)
    srv.handle(msg("/bundle", "square-sine", "isudt-abc"), LOCAL)       # our own reply, fed back
    assert len(cap.out) == n and srv.counters.errors_unreplied >= 1
    for _ in range(5):                                                  # over the /status budget
        srv.handle(msg("/bundle"), LOCAL)
    assert len(asked) < 6 and cap.out[-1][1][1].startswith("too many")
