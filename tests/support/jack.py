"""JACK test harness: a private jackd on the dummy driver, and a client that records what is played.

Stable API (other test modules rely on it)
------------------------------------------
``jack_server(name=None, samplerate=48000, period=128, timeout=10.0, rescan_portaudio=True)``
    Context manager yielding a `JackServer`. Starts
    ``jackd --no-realtime -n NAME -d dummy -r SR -p PERIOD`` under a unique
    name, sets ``JACK_DEFAULT_SERVER=NAME`` and ``JACK_NO_START_SERVER=1`` in
    ``os.environ`` for its duration (libjack, hence PortAudio's JACK host API
    and the python ``jack`` module, honour them), waits until a client can
    connect, and terminates jackd on exit.

``jackd``
    pytest fixture (function scope) wrapping ``jack_server()``; skips the test
    when ``jackd`` is not installed, fails it in CI (``CI=true`` or
    ``ISUDT_REQUIRE_JACK=1``, which .ci/run sets; see support/require.py).

``JackServer.env(base=None) -> dict``
    Environment for a subprocess (e.g. ``isudt serve --device system``) that
    must use this server.

``Recorder(source=None, channels=2, seconds=30.0, name="isudt-recorder")``
    A python ``jack.Client`` with input ports ``in_1..in_N`` recording into a
    preallocated ring buffer. ``start(wait=True, timeout=10.0)``, ``stop()``,
    ``samples() -> float32 [frames, channels]``, ``clear()``,
    ``record(seconds)``, ``wait_for_signal(threshold=1e-4, timeout=10.0)``,
    ``frames``, ``xruns``; usable as a context manager. ``clear()`` takes
    effect in the JACK thread between two blocks (it waits for that).

``CycleCounter()``
    A ``Recorder`` connected to nothing: jackd's cycles (``frames / period``)
    and xruns, independent of any other client's timing.

``jackd_rt``, ``jackd_sync``
    Like ``jackd`` with ``-R`` where allowed; ``jackd_sync`` adds ``-S``
    (synchronous: a late client delays the cycle instead of leaving a
    repeated or missing block in what the others read).

Port names, and what to connect to
----------------------------------
* The dummy driver's device is the JACK client ``system`` with ports
  ``system:playback_1``, ``system:playback_2`` (and ``system:capture_1/2``).
  PortAudio lists it as the device ``system`` (host API "JACK Audio
  Connection Kit"), so the daemon is started with ``--device system``.
* The daemon's own JACK client (``audio.backend`` auto or jack, the default on
  a JACK device) is called ``isudt`` (``isudt-01`` ... when taken), with
  output ports ``out_1``, ``out_2`` ... and input ports ``in_1`` ...; it
  connects them to the device's ports as PortAudio does. ``DAEMON_CLIENT``
  matches either backend's client.
* PortAudio's JACK client is called ``PortAudio`` (``PortAudio-01``,
  ``-02`` ... when several processes use PortAudio: note that the test process
  itself holds one as soon as it imports ``sounddevice``); its output ports are
  ``out_0``, ``out_1``, ..., and it connects them to ``system:playback_1``,
  ``system:playback_2`` when the stream starts.
* ``Recorder()`` with ``source=None`` therefore *mirrors the system playback
  ports*: channel i records everything connected to ``system:playback_{i+1}``,
  whatever the client is called and whichever process it lives in. It keeps
  following (every 0.1 s), so a daemon that starts, or reopens its stream, after
  the recorder is picked up. ``source="PortAudio.*:out_"`` (a regular
  expression over output port names) records matching ports instead, in
  name order.

Caveats found the hard way (PortAudio 19.6, Debian libportaudio2)
-----------------------------------------------------------------
* PortAudio enumerates devices once, at ``Pa_Initialize`` (``import
  sounddevice``). `jack_server` re-initialises PortAudio in this process after
  jackd is up, and again *before* jackd is stopped, so that PortAudio drops its
  JACK client while the server is alive: a process whose PortAudio still holds
  a client of a dead JACK server aborts in ``Pa_Terminate``
  (pa_jack.c:820 assertion) and hangs in stream stop/close. Re-initialising
  needs no open streams in this process: close your ``AudioOutput`` before the
  fixture ends. Tests that kill jackd on purpose must run PortAudio in a
  subprocess and use ``jack_server(rescan_portaudio=False)``.
* jackd runs with ``--no-realtime``; on a loaded machine the dummy driver
  wakes late and JACK reports xruns (printed in its log). `Recorder.xruns`
  counts them so tests can tell the server's xruns from the daemon's.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from .require import require

__all__ = ["JackServer", "jack_server", "jackd", "jackd_rt", "jackd_sync", "Recorder", "CycleCounter", "reinit_portaudio",
           "jackd_available", "DAEMON_CLIENT"]

# The daemon's JACK client, whichever backend plays (a regular expression over port names, for get_ports):
# the native one is "isudt", PortAudio's "PortAudio"; JACK adds "-01", "-02" ... to a name that is taken.
# Not "isudt-recorder" or "isudt-cycles" (this module's clients).
DAEMON_CLIENT = r"^(isudt|PortAudio)(-[0-9]+)?:"

_ENV_KEYS = ("JACK_DEFAULT_SERVER", "JACK_NO_START_SERVER")


def jackd_available() -> bool:
    return shutil.which("jackd") is not None


@dataclass
class JackServer:
    """A running private jackd."""
    name: str
    samplerate: int
    period: int
    proc: subprocess.Popen
    log_path: Path
    playback_ports: tuple[str, ...] = field(default=("system:playback_1", "system:playback_2"))
    realtime: bool = False

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for a subprocess that must use this server (and never start another)."""
        env = dict(os.environ if base is None else base)
        env["JACK_DEFAULT_SERVER"] = self.name
        env["JACK_NO_START_SERVER"] = "1"
        return env

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None


def reinit_portaudio() -> bool:
    """Re-initialise PortAudio in this process so that it sees the JACK server of the current env.

    Only if sounddevice is already imported (a later import initialises with the
    current environment anyway). Needs no open PortAudio stream in this process.
    Returns whether it re-initialised.
    """
    sd = sys.modules.get("sounddevice")
    if sd is None:
        return False
    while sd._initialized > 0:   # counted; 0 after an AudioOutput on the native JACK backend dropped PortAudio
        sd._terminate()
    sd._initialize()
    return True


def _quiet_jack() -> None:
    """libjack prints 'Cannot connect to server socket' for every failed probe; keep test output readable."""
    try:
        import jack
        jack.set_error_function(lambda msg: None)
        jack.set_info_function(lambda msg: None)
    except Exception:  # noqa: BLE001 - cosmetics only
        pass


def _wait_until_connectable(server: JackServer, timeout: float) -> None:
    import jack
    deadline = time.monotonic() + timeout
    while True:
        if not server.alive:
            raise RuntimeError(f"jackd {server.name} exited with {server.proc.returncode}:\n{server.log()}")
        try:
            client = jack.Client("isudt-probe", servername=server.name, no_start_server=True)
        except jack.JackOpenError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"jackd {server.name} not reachable after {timeout} s:\n{server.log()}")
            time.sleep(0.05)
            continue
        client.close()
        return


SERVER_NAMES = 8   # JACK's registry has 8 server slots


def _free_server_name() -> str:
    """A server name no running jackd uses, from a small fixed set.

    JACK's shared registry has 8 server slots, and reclaims a slot left by a
    jackd that died without cleaning up only when a new server registers
    under the *same name*. Unique names per test would fill the registry after
    a few unclean exits ("Too many servers already active"); a fixed set of
    names keeps reusing (and so reclaiming) the same slots.
    """
    running = subprocess.run(["pgrep", "-a", "-x", "jackd"], capture_output=True, text=True).stdout
    for i in range(SERVER_NAMES):
        name = f"isudt-test-{i}"
        if f"-n {name} " not in running:
            return name
    raise RuntimeError(f"all {SERVER_NAMES} test jackd names are in use:\n{running}")


def _stop_process(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


@contextmanager
def jack_server(name: str | None = None, samplerate: int = 48000, period: int = 128,
                timeout: float = 10.0, rescan_portaudio: bool = True,
                realtime: bool = False, synchronous: bool = False) -> Iterator[JackServer]:
    """Start a private jackd (dummy driver) and point this process's env at it.

    realtime=True asks for realtime scheduling (`-R`, works as root or with
    rtprio limits) and falls back to `--no-realtime` if jackd refuses it;
    `JackServer.realtime` says which one runs. synchronous=True (`-S`) makes
    each cycle wait for every client: a client that is late delays the cycle
    instead of leaving a repeated or missing block in what the others read
    (JACK2's default, asynchronous mode, does that). For tests of *what* is
    heard, not *when*.
    """
    if not jackd_available():
        raise FileNotFoundError("jackd is not installed (Debian: apt-get install jackd2)")
    name = name or _free_server_name()
    log_file = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)
    mode = "-R" if realtime else "--no-realtime"
    cmd = ["jackd", mode, *(["-S"] if synchronous else []), "-n", name, "-d", "dummy", "-r", str(samplerate),
           "-p", str(period)]
    proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if realtime:
        time.sleep(0.3)
        if proc.poll() is not None:        # realtime refused: the fallback the daemon documents too
            cmd[1] = "--no-realtime"
            proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log_file.close()
    server = JackServer(name, samplerate, period, proc, Path(log_file.name), realtime=cmd[1] == "-R")
    saved = {k: os.environ.get(k) for k in _ENV_KEYS}
    _quiet_jack()
    try:
        os.environ.update(server.env({}))
        _wait_until_connectable(server, timeout)
        if rescan_portaudio:
            reinit_portaudio()
        yield server
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if rescan_portaudio and server.alive:
            reinit_portaudio()   # drop PortAudio's JACK client while the server still lives
        _stop_process(proc)
        try:
            os.unlink(log_file.name)
        except OSError:
            pass


def require_jackd() -> None:
    """Skip the test when jackd is not installed, or fail it in CI (CI=true, or ISUDT_REQUIRE_JACK=1)."""
    require(None if jackd_available() else "jackd is not installed (Debian: apt-get install jackd2)",
            "ISUDT_REQUIRE_JACK")


@pytest.fixture
def jackd_rt() -> Iterator[JackServer]:
    """Like `jackd`, with realtime scheduling (`-R`) where the system allows it (`JackServer.realtime`)."""
    require_jackd()
    with jack_server(realtime=True) as server:
        yield server


@pytest.fixture
def jackd_sync() -> Iterator[JackServer]:
    """Like `jackd_rt`, in synchronous mode (`-S`): late clients delay the cycle instead of breaking the audio
    the others read. For tests that judge what a client hears (the way back), not its timing."""
    require_jackd()
    with jack_server(realtime=True, synchronous=True) as server:
        yield server


@pytest.fixture
def jackd() -> Iterator[JackServer]:
    """A private jackd for one test (about 0.5 s to start). See the module docstring."""
    require_jackd()
    with jack_server() as server:
        yield server


class Recorder:
    """Records JACK audio into a preallocated ring buffer (the newest `seconds` are kept).

    source=None mirrors the system playback ports (channel i <- every port
    connected to system:playback_{i+1}); a string is a regular expression over
    output port names (matches sorted by name, port i -> channel i).
    """

    def __init__(self, source: str | None = None, channels: int = 2, seconds: float = 30.0,
                 name: str = "isudt-recorder", servername: str | None = None, follow: bool = True) -> None:
        import jack
        _quiet_jack()
        self.source = source
        self.channels = channels
        self._client = jack.Client(name, servername=servername, no_start_server=True)
        self.samplerate = self._client.samplerate
        self._inports = [self._client.inports.register(f"in_{i + 1}") for i in range(channels)]
        self._buf = np.zeros((max(1, int(seconds * self.samplerate)), channels), np.float32)
        self._written = 0          # frames ever written (the ring index is written % capacity)
        self._clear_asked = 0      # clear(): asked by any thread, done by the JACK thread (see clear)
        self._clear_done = 0
        self._recording = False
        self._xruns = 0
        self._follow = follow
        self._stop_evt = threading.Event()
        self._follower: threading.Thread | None = None
        self._client.set_process_callback(self._process)
        self._client.set_xrun_callback(self._on_xrun)

    # --------------------------------------------------------- JACK thread
    def _process(self, frames: int) -> None:
        if not self._recording:
            return
        if self._clear_done != self._clear_asked:
            self._written = 0
            self._on_clear()
            self._clear_done = self._clear_asked
        cap = len(self._buf)
        pos = self._written % cap
        n1 = min(frames, cap - pos)
        for c, port in enumerate(self._inports):
            data = port.get_array()
            self._buf[pos:pos + n1, c] = data[:n1]
            if n1 < frames:
                self._buf[:frames - n1, c] = data[n1:]
        self._written += frames

    def _on_xrun(self, delay_usecs: float) -> None:
        self._xruns += 1

    def _on_clear(self) -> None:
        """Runs where a clear takes effect (the JACK thread, between two blocks); for subclasses."""

    # ------------------------------------------------------------ wiring
    @property
    def name(self) -> str:
        return self._client.name

    def _wanted(self) -> list[tuple[str, int]]:
        """(source port, channel) pairs that should be connected now."""
        pairs: list[tuple[str, int]] = []
        if self.source is None:
            for c in range(self.channels):
                try:
                    feeders = self._client.get_all_connections(f"system:playback_{c + 1}")
                except Exception:  # noqa: BLE001 - port vanished (server going down)
                    continue
                pairs += [(p.name, c) for p in feeders if not p.name.startswith(self.name + ":")]
        else:
            pat = re.compile(self.source)
            ports = sorted(p.name for p in self._client.get_ports(is_output=True, is_audio=True)
                           if pat.search(p.name))
            pairs = [(p, c) for c, p in enumerate(ports[: self.channels])]
        return pairs

    def connect(self) -> int:
        """Connect every wanted source port not yet connected; returns how many sources are connected."""
        count = 0
        for src, c in self._wanted():
            dst = self._inports[c]
            try:
                if src not in {p.name for p in self._client.get_all_connections(dst)}:
                    self._client.connect(src, dst)
                count += 1
            except Exception:  # noqa: BLE001 - the port went away between listing and connecting
                continue
        return count

    def wait_for_source(self, timeout: float = 10.0) -> None:
        """Poll (get_ports / get_all_connections) until a source port exists and is connected."""
        deadline = time.monotonic() + timeout
        while self.connect() == 0:
            if time.monotonic() > deadline:
                ports = [p.name for p in self._client.get_ports()]
                raise TimeoutError(f"no source port for {self.source or 'system:playback_*'} after {timeout} s; "
                                   f"ports: {ports}")
            time.sleep(0.05)

    def _follow_loop(self) -> None:
        while not self._stop_evt.wait(0.1):
            self.connect()

    # -------------------------------------------------------------- control
    def start(self, wait: bool = True, timeout: float = 10.0) -> "Recorder":
        """Activate, connect (waiting up to `timeout` for the source if `wait`), start recording."""
        self._client.activate()
        self._recording = True
        if wait:
            self.wait_for_source(timeout)
        else:
            self.connect()
        if self._follow:
            self._follower = threading.Thread(target=self._follow_loop, name="recorder-follow", daemon=True)
            self._follower.start()
        return self

    def stop(self) -> None:
        self._recording = False
        self._stop_evt.set()
        if self._follower is not None:
            self._follower.join(2.0)
        try:
            self._client.deactivate()
        except Exception:  # noqa: BLE001 - server already gone
            pass
        self._client.close()

    def __enter__(self) -> "Recorder":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def frames(self) -> int:
        return self._written

    @property
    def xruns(self) -> int:
        """xruns the JACK server reported to this client since it was created."""
        return self._xruns

    def clear(self, timeout: float = 2.0) -> None:
        """Start the recording afresh at the next block.

        Done by the JACK thread between two blocks: setting `_written` from
        here raced with a block being written (the block landed at the old
        index while the count restarted at 0, so the new recording began with
        the ring's stale first block, zeros from before the sound started: a
        "gap" that was the recorder's own; the likely cause of the one seen
        in CI at the start of a window). Waits until the
        JACK thread has done it (or does it here while nothing records).
        """
        self._clear_asked += 1
        if not self._recording:
            self._written = 0
            self._on_clear()
            self._clear_done = self._clear_asked
            return
        deadline = time.monotonic() + timeout
        while self._clear_done != self._clear_asked:
            if time.monotonic() > deadline:
                raise TimeoutError("the JACK thread ran no block to clear the recording in: is the server running?")
            time.sleep(0.001)

    def samples(self) -> np.ndarray:
        """A copy of what was recorded (at most the ring's capacity), oldest first."""
        written = self._written
        cap = len(self._buf)
        if written <= cap:
            return self._buf[:written].copy()
        pos = written % cap
        return np.concatenate([self._buf[pos:], self._buf[:pos]])

    def record(self, seconds: float, timeout: float | None = None) -> np.ndarray:
        """Clear, then return the next `seconds` of audio (waits at most `timeout`, default 3x + 2 s)."""
        self.clear()
        want = int(seconds * self.samplerate)
        deadline = time.monotonic() + (3 * seconds + 2.0 if timeout is None else timeout)
        while self._written < want:
            if time.monotonic() > deadline:
                raise TimeoutError(f"recorded {self._written} of {want} frames: is the JACK server running?")
            time.sleep(0.01)
        return self.samples()[:want]

    def wait_for_signal(self, threshold: float = 1e-4, timeout: float = 10.0) -> float:
        """Wait until a sample above `threshold` arrives; returns the seconds waited."""
        t0 = time.monotonic()
        checked = 0
        while True:
            written = self._written
            if written > checked:
                new = self.samples()[-min(written - checked, len(self._buf)):]
                if np.any(np.abs(new) > threshold):
                    return time.monotonic() - t0
                checked = written
            if time.monotonic() - t0 > timeout:
                raise TimeoutError(f"no signal above {threshold} within {timeout} s")
            time.sleep(0.02)


class CycleCounter(Recorder):
    """A JACK client connected to nothing: `frames / period` are the cycles jackd ran, `xruns` the xruns it reported.

    Use it, not a recorder, to count jackd's cycles against a client's: a
    recorder sits downstream of the client it records, so a client that
    stalls stalls the recorder's cycles too (tried: a daemon stopped for 0.3 s
    after each SIGHUP read 1.0 callbacks per recorder cycle, 0.70 per cycle
    of this counter). `with CycleCounter() as c:` starts it without waiting
    for a source.
    """

    def __init__(self, name: str = "isudt-cycles", servername: str | None = None) -> None:
        super().__init__(source="(?!)", channels=1, seconds=1.0, name=name, servername=servername, follow=False)

    def __enter__(self) -> "CycleCounter":
        self.start(wait=False)
        return self
