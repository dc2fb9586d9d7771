"""sd_notify: the Notifier against a real datagram socket, then the daemon speaking it.

The daemon half starts `isudt serve --device null` with NOTIFY_SOCKET pointing
at a socket this test owns, as systemd would, and reads what arrives: READY=1
after start, WATCHDOG=1 every WATCHDOG_USEC/2, STATUS=, RELOADING=1 + READY=1
on SIGHUP, STOPPING=1 and exit 0 on SIGTERM.
"""
from __future__ import annotations

import os
import signal
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from isudt.daemon.notify import Notifier, watchdog_interval
from support.require import require


@pytest.fixture
def notify_socket(tmp_path: Path):
    """A bound unix datagram socket, the way systemd listens for sd_notify."""
    path = tmp_path / "notify.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(path))
    s.settimeout(2.0)
    yield str(path), s
    s.close()


def recv_lines(s: socket.socket) -> list[str]:
    return s.recv(4096).decode().split("\n")


# --- Notifier itself --------------------------------------------------------------------------

def test_no_socket_is_a_silent_no_op(monkeypatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    n = Notifier()
    assert not n.enabled
    assert n.ready() is False and n.watchdog() is False and n.stopping() is False


def test_messages_over_a_path_socket(notify_socket, monkeypatch) -> None:
    path, s = notify_socket
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    n = Notifier()
    assert n.enabled
    assert n.ready("loaded bundle x") and recv_lines(s) == ["READY=1", "STATUS=loaded bundle x"]
    assert n.ready() and recv_lines(s) == ["READY=1"]
    assert n.watchdog() and recv_lines(s) == ["WATCHDOG=1"]
    assert n.status("line one\nline two") and recv_lines(s) == ["STATUS=line one"]
    assert n.reloading() and recv_lines(s) == ["RELOADING=1"]
    assert n.stopping() and recv_lines(s) == ["STOPPING=1"]


def test_abstract_namespace_socket() -> None:
    """systemd may hand out '@name': the abstract namespace, which has no file."""
    name = f"@isudt-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind("\0" + name[1:])
        s.settimeout(2.0)
        n = Notifier(name)
        assert n.watchdog()
        assert recv_lines(s) == ["WATCHDOG=1"]


def test_a_reader_that_falls_behind_never_blocks_the_sender(notify_socket) -> None:
    """The daemon sends from its event loop: a full queue must drop the message, not wait for the reader."""
    path, s = notify_socket
    n = Notifier(path)
    sent: list[bool] = []
    sender = threading.Thread(target=lambda: sent.extend(n.watchdog() for _ in range(200)), daemon=True)
    sender.start()                                  # nobody reads: the queue fills after ~10
    sender.join(2.0)
    assert not sender.is_alive(), f"the sender blocked after {len(sent)} messages"
    assert sent[0] and not all(sent), sent.count(True)
    assert recv_lines(s) == ["WATCHDOG=1"]         # what did fit arrives intact
    while True:                                     # once read, the queue has room again
        try:
            s.recv(4096, socket.MSG_DONTWAIT)
        except (BlockingIOError, TimeoutError):     # (TimeoutError: the fixture's socket has a timeout)
            break
    assert n.status("still here")


def test_vanished_socket_never_raises(tmp_path: Path) -> None:
    path = tmp_path / "gone.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(path))
    n = Notifier(str(path))
    s.close()
    path.unlink()
    assert n.watchdog() is False  # logged nowhere, raised nowhere: the daemon keeps playing


@pytest.mark.parametrize("usec,pid,expected", [
    ("1000000", None, 0.5),
    ("10000000", "self", 5.0),
    ("1000000", "1", None),       # the watchdog is for another process
    (None, None, None),
    ("soon", None, None),
])
def test_watchdog_interval(monkeypatch, usec, pid, expected) -> None:
    for key, value in (("WATCHDOG_USEC", usec), ("WATCHDOG_PID", str(os.getpid()) if pid == "self" else pid)):
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    assert watchdog_interval() == expected


# --- the daemon speaking it -------------------------------------------------------------------

@dataclass
class Heard:
    """Every datagram the daemon sent, with its arrival time (monotonic)."""

    messages: list[tuple[float, list[str]]] = field(default_factory=list)

    def times(self, line: str) -> list[float]:
        return [t for t, lines in self.messages if line in lines]

    def prefixed(self, prefix: str) -> list[str]:
        return [ln for _, lines in self.messages for ln in lines if ln.startswith(prefix)]


def listen(s: socket.socket, heard: Heard, until: float, stop_on: str | None = None) -> bool:
    """Collect datagrams until a deadline (monotonic); with `stop_on`, return True as soon as that line arrives."""
    while (left := until - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            data = s.recv(4096)
        except socket.timeout:
            break
        lines = data.decode().split("\n")
        heard.messages.append((time.monotonic(), lines))
        if stop_on is not None and stop_on in lines:
            return True
    return False


def daemon_modules_missing() -> str | None:
    for name in ("isudt.daemon.server", "isudt.daemon.audio_out", "isudt.daemon.engine"):
        try:
            __import__(name)
        except ImportError as e:
            return f"{name} not importable yet ({e})"
    return None


@pytest.fixture
def daemon(notify_socket, tmp_path, monkeypatch):
    """`isudt serve` on the null device with the test's NOTIFY_SOCKET and a 1 s watchdog, as systemd would start it."""
    require(daemon_modules_missing(), "ISUDT_REQUIRE_DAEMON")
    from support.daemon import start_daemon

    path, s = notify_socket
    monkeypatch.delenv("WATCHDOG_PID", raising=False)  # a stray one would make the daemon think the watchdog is not its own
    d = start_daemon(tmp_path, {"audio": {"device": "null"}},
                     env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000"})
    yield d, s
    d.stop()


def wait_ready(d, s, heard: Heard) -> None:
    """The ready line on stderr has been seen already; READY=1 must be waiting in the socket."""
    if not listen(s, heard, time.monotonic() + 5.0, stop_on="READY=1"):
        pytest.fail(f"no READY=1 (exit code {d.proc.poll()}):\n{d.stderr_text()[-3000:]}")


@pytest.mark.slow
def test_daemon_ready_watchdog_status_stopping(daemon) -> None:
    d, s = daemon
    heard = Heard()
    wait_ready(d, s, heard)
    t_ready = heard.times("READY=1")[0]
    listen(s, heard, t_ready + 2.5)
    beats = [t for t in heard.times("WATCHDOG=1") if t > t_ready]
    # WATCHDOG_USEC=1 s asks for a beat every 0.5 s: 5 in 2.5 s; allow scheduling slack on 2 busy cores
    assert 3 <= len(beats) <= 7, beats
    gaps = [b - a for a, b in zip(beats, beats[1:])]
    assert max(gaps) < 0.9, gaps  # well inside the 1 s the watchdog allows
    assert 0.35 < sum(gaps) / len(gaps) < 0.7, gaps  # the period is WATCHDOG_USEC / 2
    assert heard.prefixed("STATUS="), heard.messages
    assert all(ln[len("STATUS="):].strip() for ln in heard.prefixed("STATUS=")), "STATUS= must carry a summary"

    d.send_signal(signal.SIGTERM)
    assert listen(s, heard, time.monotonic() + 5.0, stop_on="STOPPING=1"), d.stderr_text()[-3000:]
    assert d.stop() == 0, d.stderr_text()[-3000:]


@pytest.mark.slow
def test_daemon_sighup_reloads(daemon) -> None:
    d, s = daemon
    heard = Heard()
    wait_ready(d, s, heard)
    d.send_signal(signal.SIGHUP)
    if not listen(s, heard, time.monotonic() + 10.0, stop_on="RELOADING=1"):
        pytest.fail(f"no RELOADING=1 after SIGHUP:\n{d.stderr_text()[-3000:]}")
    assert listen(s, heard, time.monotonic() + 10.0, stop_on="READY=1"), "no READY=1 after the reload"
    assert d.proc.poll() is None, "SIGHUP must not stop the daemon"
    t_reloaded = heard.times("READY=1")[-1]
    listen(s, heard, t_reloaded + 1.2)
    assert [t for t in heard.times("WATCHDOG=1") if t > t_reloaded], "watchdog must keep beating after a reload"
    assert d.stop() == 0


@pytest.mark.slow
def test_daemon_refuses_a_bad_reload_and_stays_ready(daemon) -> None:
    """A broken config on SIGHUP: RELOADING=1, a log line, READY=1 again, and the daemon keeps running."""
    d, s = daemon
    heard = Heard()
    wait_ready(d, s, heard)
    good = d.config_path.read_text()
    d.config_path.write_text(good + "\nsynth: [this is not a mapping\n")
    start = len(d.log)
    d.send_signal(signal.SIGHUP)
    assert listen(s, heard, time.monotonic() + 10.0, stop_on="RELOADING=1"), d.stderr_text()[-3000:]
    assert listen(s, heard, time.monotonic() + 10.0, stop_on="READY=1"), d.stderr_text()[-3000:]
    d.wait_log(r"reload refused", timeout=5.0, start=start)
    assert d.proc.poll() is None
    t_ready = heard.times("READY=1")[-1]
    listen(s, heard, t_ready + 1.2)
    assert [t for t in heard.times("WATCHDOG=1") if t > t_ready], "the old config must keep playing"
    assert d.stop() == 0
