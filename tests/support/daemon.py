"""Start `isudt serve` as a real subprocess for tests, talk OSC to it, stop it.

Usage (in a test module; the fixtures come from tests/conftest.py's `pytest_plugins`)::

    from support.daemon import start_daemon, run_serve, OscClient

    def test_something(daemon_factory):
        d = daemon_factory({"synth": {"voices": 2}}, args=["--log-level", "debug"])
        c = d.client()                      # a UDP socket the daemon replies to (reply_to_sender)
        c.send("/pictslider", 40, 80)
        pitch, db = c.wait_for("/sineparams")
        assert d.status()["handled"] >= 1
        assert d.stop() == 0                # SIGTERM, bounded wait, returns the exit code

- `config` is a partial config mapping merged over test defaults: OSC on a
  free port chosen by the daemon (`osc.port: 0`; the port is read back from
  the ready line), no fixed reply target (`osc.reply_port: 0`; replies go to
  the sender), the `null` audio device, 4 voices, no web page (`{"web": {"enabled": True, "port": 0}}`
  serves one; the ready line ends `| web URL`). Pass e.g.
  `{"audio": {"device": "system"}}` to play on JACK (with the jackd
  fixture's environment in `env`).
- `daemon_factory` stops every daemon it started at teardown (SIGTERM, then
  SIGKILL after 5 s) and fails loudly with the daemon's stderr if one did not
  become ready.
- `run_serve(directory, config, args)` runs a daemon that is expected to
  exit (a bad config, a missing device) and returns the CompletedProcess.
- `env` is merged over this process's environment: pass `jackd.env()` to
  play on the test's private JACK server, or `{"NOTIFY_SOCKET": path,
  "WATCHDOG_USEC": "400000"}` for sd_notify tests (those two are stripped
  from the inherited environment otherwise; JACK_NO_START_SERVER=1 is set).
- `Daemon` gives `host`/`port` (from the ready line), `client()` (an
  `OscClient` bound to an ephemeral loopback port), `status()` (the
  `/status.reply` pairs as a dict), `wait_log(regex, timeout, start)`,
  `send_signal(sig)`, `stop(sig=SIGTERM, timeout=5)` -> exit code, `log`
  (stderr lines), `ready_s` (Popen to ready line), `config_path` (edit it and
  send SIGHUP to test reloads).
- Every wait is bounded; nothing here sleeps without a deadline.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from isudt.daemon.osc_codec import DecodeError, decode_packet, encode_message

READY = re.compile(r"isudt ready: osc \[?([0-9a-fA-F.:]+?)\]?:(\d+) ")
TEST_DEFAULTS: dict[str, dict[str, Any]] = {
    "osc": {"port": 0, "reply_port": 0, "reply_to_sender": True},
    "audio": {"device": "null"},
    "synth": {"voices": 4},
    "inference": {"providers": "cpu"},
    "web": {"enabled": False},     # the web page only where a test asks for it (tests/test_web.py)
}


def merged(config: dict | None) -> dict:
    out = {k: dict(v) for k, v in TEST_DEFAULTS.items()}
    for section, values in (config or {}).items():
        out.setdefault(section, {}).update(values or {})
    return out


def serve_command(config_path: Path, args: list[str] | tuple[str, ...] = ()) -> list[str]:
    """`python -m isudt.daemon.cli serve` (not the console script: no pyenv shim start-up in the timings)."""
    return [sys.executable, "-m", "isudt.daemon.cli", "serve", "--config", str(config_path), *args]


def child_env(env: dict[str, str] | None = None) -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONUNBUFFERED"] = "1"
    e.setdefault("JACK_NO_START_SERVER", "1")   # never let PortAudio's JACK probe start a stray jackd
    e.pop("NOTIFY_SOCKET", None)                # only when a test passes its own (sd_notify tests)
    e.pop("WATCHDOG_USEC", None)
    e.update(env or {})
    return e


class OscClient:
    """A UDP socket bound to an ephemeral loopback port: sends to the daemon, receives what it replies."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        try:   # room for a flood's replies while the test is busy sending (capped by net.core.rmem_max)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        except OSError:
            pass
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]
        self.backlog: list[tuple[str, list[Any]]] = []

    def send(self, address: str, *args: Any) -> None:
        self.sock.sendto(encode_message(address, args), self.target)

    def send_raw(self, data: bytes) -> None:
        self.sock.sendto(data, self.target)

    def recv(self, timeout: float = 1.0) -> tuple[str, list[Any]] | None:
        """The next reply message (bundles flattened), or None after `timeout` seconds."""
        if self.backlog:
            return self.backlog.pop(0)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data, _ = self.sock.recvfrom(65536)
            except (socket.timeout, BlockingIOError):
                return None
            try:
                messages = decode_packet(data, 4, 1024)
            except DecodeError:
                continue
            if messages:
                self.backlog.extend(messages[1:])
                return messages[0]

    def wait_for(self, address: str, timeout: float = 2.0) -> list[Any]:
        """Arguments of the next reply to `address`, skipping others; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while True:
            m = self.recv(max(0.0, deadline - time.monotonic()))
            if m is None:
                raise AssertionError(f"no {address} within {timeout} s (got {seen[-10:]})")
            if m[0] == address:
                return m[1]
            seen.append(f"{m[0]} {m[1]}")

    def drain(self, quiet: float = 0.05) -> list[tuple[str, list[Any]]]:
        """Everything that arrives until `quiet` seconds pass without a reply."""
        out = []
        while (m := self.recv(quiet)) is not None:
            out.append(m)
        return out

    def request(self, address: str, *args: Any, reply: str = "/sineparams", timeout: float = 2.0) -> list[Any]:
        self.send(address, *args)
        return self.wait_for(reply, timeout)

    def close(self) -> None:
        self.sock.close()


@dataclass
class Daemon:
    """A running `isudt serve`. `log` holds its stderr lines (read by a thread)."""

    proc: subprocess.Popen
    config_path: Path
    host: str = ""
    port: int = 0
    ready_line: str = ""
    started_at: float = 0.0
    ready_s: float = 0.0              # seconds from Popen to the ready line
    log: list[str] = field(default_factory=list)
    clients: list[OscClient] = field(default_factory=list)
    _reader: threading.Thread | None = None
    _new_line: threading.Condition = field(default_factory=threading.Condition)

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            with self._new_line:
                self.log.append(raw.rstrip("\n"))
                self._new_line.notify_all()
        with self._new_line:
            self._new_line.notify_all()

    def wait_log(self, pattern: str, timeout: float = 5.0, start: int = 0) -> re.Match:
        """First stderr line (from index `start`) matching the regex; AssertionError with the log after timeout."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._new_line:
            while True:
                for line in self.log[start:]:
                    if (m := rx.search(line)):
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not (self._reader and self._reader.is_alive())):
                    raise AssertionError(f"no stderr line matching {pattern!r} within {timeout} s; "
                                         f"exit code {self.proc.poll()}; stderr:\n{self.stderr_text()}")
                self._new_line.wait(min(left, 0.1))

    def stderr_text(self) -> str:
        return "\n".join(self.log)

    def client(self) -> OscClient:
        c = OscClient(self.host, self.port)
        self.clients.append(c)
        return c

    def status(self, timeout: float = 2.0) -> dict[str, Any]:
        """`/status` -> `/status.reply` as a dict (name/value pairs); on no reply, fails with the daemon's log."""
        c = self.client()
        try:
            args = c.request("/status", reply="/status.reply", timeout=timeout)
        except AssertionError as e:
            raise AssertionError(f"{e}; daemon exit code {self.proc.poll()}; its log ends:\n"
                                 f"{self.stderr_text()[-2000:]}") from None
        finally:
            c.close()
            self.clients.remove(c)
        return dict(zip(args[0::2], args[1::2]))

    def send_signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 5.0) -> int:
        """Send `sig`, wait up to `timeout` s (then SIGKILL); returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._reader is not None:
            self._reader.join(2)
        for c in self.clients:
            c.close()
        self.clients.clear()
        return self.proc.returncode


def write_config(directory: Path, config: dict | None, name: str = "isudt-test.yaml") -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(merged(config), sort_keys=False))
    return path


def start_daemon(directory: Path, config: dict | None = None, args: list[str] | tuple[str, ...] = (),
                 env: dict[str, str] | None = None, ready_timeout: float = 15.0) -> Daemon:
    """Start `isudt serve` with `config` (merged over TEST_DEFAULTS) and wait for its ready line."""
    path = write_config(directory, config)
    t0 = time.monotonic()
    proc = subprocess.Popen(serve_command(path, args), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=child_env(env), start_new_session=True)
    d = Daemon(proc, path, started_at=t0)
    d._reader = threading.Thread(target=d._read, daemon=True)
    d._reader.start()
    try:
        m = d.wait_log(READY.pattern, ready_timeout)
    except AssertionError:
        d.stop(signal.SIGKILL)
        raise
    d.ready_s = time.monotonic() - t0
    d.host, d.port = m.group(1), int(m.group(2))
    d.ready_line = m.string
    return d


def run_serve(directory: Path, config: dict | None = None, args: list[str] | tuple[str, ...] = (),
              env: dict[str, str] | None = None, timeout: float = 20.0) -> subprocess.CompletedProcess:
    """Run a daemon expected to exit by itself (bad config, missing device, bad bundle)."""
    path = write_config(directory, config)
    return subprocess.run(serve_command(path, args), capture_output=True, text=True, env=child_env(env),
                          timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.fixture
def daemon_factory(tmp_path: Path) -> Iterator[Any]:
    """`daemon_factory(config=None, args=(), env=None)` -> Daemon; all are stopped at teardown."""
    started: list[Daemon] = []

    def make(config: dict | None = None, args: list[str] | tuple[str, ...] = (),
             env: dict[str, str] | None = None, ready_timeout: float = 15.0) -> Daemon:
        sub = tmp_path / f"daemon{len(started)}"
        sub.mkdir()
        d = start_daemon(sub, config, args, env, ready_timeout)
        started.append(d)
        return d

    yield make
    for d in started:
        d.stop()
