"""Audio output: the engine's own JACK client, a PortAudio stream (sounddevice) or a null output; device loss.

Why it is shaped like this
--------------------------
* The PortAudio callback is C (daemon/engine.c, through `Engine.callback`):
  PortAudio calls it directly with the engine as userdata, so no Python runs
  on the audio thread. It times itself and counts underruns; `stats` reads
  those counters. This class only opens, watches and closes streams.
* **Backends** (``audio.backend``): on a JACK device the engine is by default
  a JACK client of its own (daemon/jack_backend.c: libjack, dlopen()ed, calls
  the same C callback on the port buffers; client ``isudt``, ports
  ``out_1..N`` and ``in_1..N``, connected to the device's ports as PortAudio
  connects its own). Why: one client and one layer fewer in every cycle
  (PortAudio keeps a second, idle client per process; its host API adds a
  few us a cycle: the JACK thread's CPU per wake-up 46-51 us through
  PortAudio, 42-46 us native, at the same placement and the same engine
  time, 27 us p50 for 16 FM voices), and jackd's shutdown callback. It is
  *not* what made jackd report the daemon late more often than jack_metro
  beside busy loops: that was where the kernel kept each realtime thread
  (bench/bench_native_jack.py: both backends read like jack_metro once the
  placement is the same). ``auto`` = native when the
  device is JACK and libjack loads, ``portaudio`` = always sounddevice,
  ``jack`` = native or an error. Every other host API is PortAudio's.
  Devices are still found through PortAudio (the same names and indexes);
  when the native client plays, PortAudio is terminated right after that, so
  its own JACK client (PortAudio keeps one active from ``Pa_Initialize``) is
  not a second, idle client of this process in every cycle.
* ``device="auto"`` takes PortAudio's default output; when there is none (or it
  cannot be opened) the daemon still runs, on the **null output**, and says so
  loudly (``warning`` attribute + a WARNING log line). A device that is *named*
  must exist, otherwise `AudioDeviceError` lists what does (``isudt devices``).
* The null output is a thread that calls the same C callback on a
  preallocated buffer at real-time pace (the GIL is released during the call),
  so the synth's ramps and fades, and the watchdog fed by ``last_callback``,
  keep moving exactly as with a device.
* Device loss (stream finished or aborted without ``stop()``): state "lost",
  then a background thread retries with backoff (0.5 s doubling to 5 s),
  re-initialising PortAudio between tries (PortAudio enumerates devices only in
  ``Pa_Initialize``), and resumes when the device is back. Between tries it
  renders at real-time pace like the null output.

  **JACK exception** (PortAudio 19.6 as shipped by Debian): once the JACK
  server has gone away, ``Pa_StopStream``/``Pa_CloseStream`` block (for ten
  minutes) and ``Pa_Terminate`` aborts the process (assertion in
  pa_jack.c:820). So a lost JACK stream is abandoned, never touched again, and
  the output stays "lost" with ``recoverable: False`` in `stats`; PortAudio's
  exit handler is unregistered so that the daemon still exits cleanly. The
  daemon (or systemd) has to be restarted once JACK is back. For the same
  reason a process must never re-initialise PortAudio after a JACK server it
  was connected to died. The native client gets jackd's shutdown callback
  (``lost`` within a monitor period) and is closed; the process still gives
  up the device the same way (``recoverable: False``, restart once JACK is
  back), so both backends behave alike for systemd.
"""
from __future__ import annotations

import atexit
import logging
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .engine import Engine
from .status import AudioStats

__all__ = ["AudioConfig", "AudioDeviceError", "AudioOutput", "list_devices", "find_device", "main"]

log = logging.getLogger(__name__)

BACKOFF_START_S = 0.5
BACKOFF_MAX_S = 5.0
RELEASE_TIMEOUT_S = 2.0      # a stream that cannot be stopped within this is abandoned
JACK_CLIENT_NAME = "isudt"   # the native backend's JACK client (JACK adds -01, -02 ... when it is taken)
BACKENDS = ("auto", "portaudio", "jack")
MONITOR_PERIOD_S = 0.1
_HOSTAPI_SHORT = {"JACK Audio Connection Kit": "JACK"}

class AudioDeviceError(Exception):
    """A configured audio device does not exist or cannot be opened; the message lists the outputs."""


@dataclass
class AudioConfig:
    device: str | int = "auto"     # "auto", "null", a name (case-insensitive substring) or an index
    samplerate: int = 48000
    blocksize: int = 128
    latency: str | float = "low"
    channels: int = 2
    input: str | int | None = None   # input device for listening (None: output only)
    input_channels: int = 1
    backend: str = "auto"            # auto, portaudio, jack (see the module docstring)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"audio backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if isinstance(self.device, str) and self.device.strip().lstrip("-").isdigit():
            self.device = int(self.device)
        if isinstance(self.device, bool) or not isinstance(self.device, (str, int)):
            raise ValueError(f"audio device must be 'auto', 'null', a name or an index, got {self.device!r}")
        if self.samplerate <= 0 or self.blocksize <= 0 or self.channels <= 0:
            raise ValueError("samplerate, blocksize and channels must be positive")
        if isinstance(self.latency, str):
            if self.latency not in ("low", "high"):
                raise ValueError(f"latency must be 'low', 'high' or seconds, got {self.latency!r}")
        elif not (isinstance(self.latency, (int, float)) and 0 < self.latency < 10):
            raise ValueError(f"latency must be 'low', 'high' or seconds in (0, 10), got {self.latency!r}")

    @classmethod
    def from_config(cls, cfg: Any) -> AudioConfig:
        """The output's settings from the daemon's `config.Config` (its `audio` section)."""
        a = cfg.audio
        return cls(device=a.device, samplerate=a.samplerate, blocksize=a.blocksize, latency=a.latency,
                   channels=a.channels, input=a.input, input_channels=a.input_channels,
                   backend=getattr(a, "backend", "auto"))


# ---------------------------------------------------------------- devices
def _sd() -> Any:
    """sounddevice, imported late: without libportaudio the null output still works (OSError here)."""
    import sounddevice
    return sounddevice


def _query_devices(kind: str = "output") -> list[dict]:
    """Devices with channels of `kind` ("output" or "input"); re-initialises PortAudio if the native path dropped it."""
    sd = _sd()
    if int(getattr(sd, "_initialized", 1)) <= 0:
        sd._initialize()
    apis = sd.query_hostapis()
    try:
        default = int(sd.query_devices(kind=kind)["index"])
    except Exception:  # noqa: BLE001 - PortAudio raises when there is no default device
        default = -1
    found = []
    for d in sd.query_devices():
        if d[f"max_{kind}_channels"] <= 0:
            continue
        found.append({"index": int(d["index"]), "name": d["name"], "hostapi": apis[d["hostapi"]]["name"],
                      "channels": int(d[f"max_{kind}_channels"]),
                      "default_samplerate": float(d["default_samplerate"]), "default": d["index"] == default})
    return found


def list_devices(kind: str = "output") -> list[dict]:
    """Devices of `kind`: index, name, hostapi, channels, default_samplerate, default. Empty without PortAudio."""
    try:
        return _query_devices(kind)
    except OSError:
        return []


def _format_devices(devices: list[dict]) -> str:
    if not devices:
        return "  (no output devices: use --device auto or null for the null output)"
    lines = []
    for d in devices:
        mark = "*" if d["default"] else " "
        lines.append(f"{mark} {d['index']:>3}  {d['name']:<32} {_short_api(d['hostapi']):<8} "
                     f"{d['channels']:>3} ch  {d['default_samplerate']:>7.0f} Hz")
    return "\n".join(lines)


def _short_api(name: str) -> str:
    return _HOSTAPI_SHORT.get(name, name)


def find_device(spec: str | int, devices: list[dict], kind: str = "output") -> dict | None:
    """The device `spec` names among `devices`; None for "null" or for "auto" without a default.

    A name matches exactly (case-insensitive) or, failing that, as a substring of
    exactly one device. Raises AudioDeviceError listing the devices otherwise.
    """
    if spec == "null":
        return None
    if spec == "auto":
        return next((d for d in devices if d["default"]), None)
    if isinstance(spec, int):
        hits = [d for d in devices if d["index"] == spec]
    else:
        want = spec.strip().lower()
        hits = [d for d in devices if d["name"].lower() == want]
        hits = hits or [d for d in devices if want in d["name"].lower()]
    if len(hits) == 1:
        return hits[0]
    problem = "not found" if not hits else f"is ambiguous ({len(hits)} devices match)"
    raise AudioDeviceError(f"audio {kind} device {spec!r} {problem}; {kind} devices:\n{_format_devices(devices)}")


_NEVER_FREED: list[Any] = []   # engines that an abandoned stream may still call: kept for the process's life


def _skip_portaudio_exit() -> None:
    """After a stream PortAudio cannot release, its exit handler would hang or abort: drop it."""
    sd = sys.modules.get("sounddevice")
    if sd is not None and hasattr(sd, "_exit_handler"):
        atexit.unregister(sd._exit_handler)


def _run_bounded(fn: Callable[[], object], timeout: float) -> bool:
    """Run fn in a daemon thread; True if it finished in time (PortAudio calls can block for minutes)."""
    done = threading.Event()

    def work() -> None:
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - logged, the caller only needs to know it returned
            log.debug("audio: %s", e)
        finally:
            done.set()

    threading.Thread(target=work, name="audio-release", daemon=True).start()
    return done.wait(timeout)


# ----------------------------------------------------------- native JACK
def _ere_escape(text: str) -> str:
    """`text` as a literal in a POSIX extended regular expression (jack_get_ports' patterns)."""
    return "".join("\\" + ch if ch in ".[]{}()\\*+?|^$" else ch for ch in text)


def native_jack_problem() -> str | None:
    """None when the native JACK backend can be used (libjack loads), else why not."""
    from ._engine import ffi, lib
    err = ffi.new("char[256]")
    return None if lib.isudt_jack_load(err, 256) == 0 else ffi.string(err).decode(errors="replace")


class NativeJackStream:
    """The engine as a JACK client of its own (daemon/jack_backend.c), with the stream calls AudioOutput makes.

    Open = a client with its ports (not active yet); start = activate and connect
    out_i to the i-th playback port of `playback` (and the i-th capture port of
    `capture` to in_i). The process callback is C: the engine's own callback on
    the port buffers. The engine must outlive the stream (AudioOutput's rule).
    The client renders the server's period (PortAudio would re-block it to
    audio.blocksize; a different period is logged). A lock keeps `stats`
    (the monitor thread) from reading a client `close` is freeing.
    """

    def __init__(self, engine: Engine, channels: int, in_channels: int, playback: str, capture: str | None,
                 samplerate: int, blocksize: int = 0, client_name: str = JACK_CLIENT_NAME) -> None:
        from ._engine import ffi, lib
        self._ffi, self._lib = ffi, lib
        self._lock = threading.Lock()
        self._err = ffi.new("char[512]")
        self._stats = ffi.new("isudt_jack_stats *")
        self._playback = f"^{_ere_escape(playback)}:"
        self._capture = f"^{_ere_escape(capture)}:" if capture else ""
        h = lib.isudt_jack_open(ffi.cast("isudt_engine *", engine.userdata), client_name.encode(), channels,
                                in_channels, self._err, 512)
        if h == ffi.NULL:
            raise AudioDeviceError(f"native JACK client: {self._error()}")
        self._h: Any = h
        st = self.stats()
        if st["samplerate"] != samplerate:
            self.close()
            raise AudioDeviceError(f"the JACK server runs at {st['samplerate']} Hz, audio.samplerate is {samplerate}")
        if blocksize and st["buffer_size"] != blocksize:
            log.info("audio: the JACK server's period is %d frames (audio.blocksize %d); the native client "
                     "renders the server's period", st["buffer_size"], blocksize)
        name = ffi.new("char[128]")
        lib.isudt_jack_name(h, name, 128)
        self.name = ffi.string(name).decode(errors="replace")

    def _error(self) -> str:
        return self._ffi.string(self._err).decode(errors="replace")

    def start(self) -> None:
        if self._h is None or self._lib.isudt_jack_start(self._h, self._playback.encode(), self._capture.encode(),
                                                         self._err, 512) != 0:
            raise AudioDeviceError(f"native JACK client: {self._error() if self._h is not None else 'closed'}")

    def stats(self) -> dict[str, int]:
        """cycles, xruns, shutdown, active, realtime, rt_priority, samplerate, buffer_size, connected_out/_in."""
        with self._lock:
            if self._h is None:
                return {"active": 0, "shutdown": 0}
            self._lib.isudt_jack_get_stats(self._h, self._stats)
            s = self._stats
            return {k: int(getattr(s, k)) for k in ("cycles", "xruns", "shutdown", "active", "realtime",
                                                     "rt_priority", "samplerate", "buffer_size", "connected_out",
                                                     "connected_in")}

    @property
    def active(self) -> bool:
        st = self.stats()
        return bool(st["active"]) and not st["shutdown"]

    def close(self, ignore_errors: bool = True) -> None:
        """Deactivate and close the client (after a server shutdown too); once."""
        with self._lock:
            h, self._h = self._h, None
            if h is not None:
                self._lib.isudt_jack_close(h)

    stop = close
    abort = close


def _drop_portaudio() -> None:
    """Terminate PortAudio in this process while the JACK server lives: its JACK client goes with it.

    PortAudio's JACK host API keeps an *active* client from Pa_Initialize on:
    beside the native client it would be a second client of this process that
    jackd runs every cycle. Terminated while the server is alive, it can also
    never hang or abort at exit after the server is gone (the trap above).
    """
    sd = sys.modules.get("sounddevice")
    while sd is not None and int(getattr(sd, "_initialized", 0)) > 0:   # Pa_Initialize is counted
        sd._terminate()


# ----------------------------------------------------------------- output
class AudioOutput:
    """Plays an `Engine` on a device (or the null output). Not for the audio thread."""

    def __init__(self, cfg: AudioConfig, engine: Engine) -> None:
        self.cfg = cfg
        self.engine = engine
        self._retries = 0
        self._lock = threading.Lock()           # control side only (stream swaps); never in the callback
        self._stop_evt = threading.Event()
        self._lost_evt = threading.Event()
        self._expect_stop = False
        self._stream: Any = None
        self._abandoned: list[Any] = []         # streams PortAudio could not release: never touched again
        self._threads: list[threading.Thread] = []
        self.warning: str | None = None
        self.recoverable = True
        self.state = "stopped"
        self._device = self._resolve()
        self.is_null = self._device is None
        self._input = self._resolve_input()
        self._input_stream: Any = None          # input-only stream beside the null output
        self.backend = self._choose_backend()   # "jack" (native), "portaudio" or "null"
        self.description = self._describe()

    # ------------------------------------------------------------ setup
    def _warn(self, message: str) -> None:
        self.warning = message
        log.warning("%s", message)

    def _resolve(self) -> dict | None:
        spec = self.cfg.device
        if spec == "null":
            return None
        try:
            devices = _query_devices()
        except OSError as e:
            if spec == "auto":
                self._warn(f"PortAudio is not available ({e}): using the NULL OUTPUT, nothing will be heard")
                return None
            raise AudioDeviceError(f"audio output device {spec!r}: PortAudio is not available ({e})") from e
        device = find_device(spec, devices)
        if device is None:
            self._warn("no audio output device found: using the NULL OUTPUT, nothing will be heard "
                       "(`isudt devices` lists devices; set audio.device to choose one)")
        return device

    def _resolve_input(self) -> dict | None:
        """The input device for listening, or None. A named input must exist (it is never guessed)."""
        spec = self.cfg.input
        if spec is None:
            return None
        if self.engine.cfg.in_channels != self.cfg.input_channels:
            raise ValueError(f"the engine captures {self.engine.cfg.in_channels} input channels, "
                             f"the input has {self.cfg.input_channels}")
        try:
            devices = _query_devices("input")
        except OSError as e:
            raise AudioDeviceError(f"audio input device {spec!r}: PortAudio is not available ({e})") from e
        return find_device(spec, devices, "input")

    def _choose_backend(self) -> str:
        """"jack" (the engine's own JACK client), "portaudio" or "null"; raises when "jack" is asked and impossible."""
        want = self.cfg.backend
        if self._device is None:
            return "null"
        input_jack = self._input is None or self._input["hostapi"].startswith("JACK")
        if want == "portaudio":
            return "portaudio"
        if not self._is_jack or not input_jack:
            if want == "jack":
                which = (f"{self._device['name']!r} is {self._device['hostapi']}" if not self._is_jack else
                         f"input {self.input_name!r} is not JACK")
                raise AudioDeviceError(f"audio.backend jack needs JACK devices; {which}")
            return "portaudio"
        problem = native_jack_problem()
        if problem is not None:
            if want == "jack":
                raise AudioDeviceError(f"audio.backend jack: {problem}")
            log.info("audio: the native JACK client is not available (%s); playing through PortAudio", problem)
            return "portaudio"
        _drop_portaudio()
        return "jack"

    def _describe(self) -> str:
        if self._device is None:
            out = "null output (configured)" if self.cfg.device == "null" else "null output (no audio device)"
        else:
            d = self._device
            via = {"jack": "; native JACK client", "portaudio": "; PortAudio"}.get(self.backend, "") \
                if self._is_jack else ""
            out = (f"{_short_api(d['hostapi'])}: {d['name']} ({self.cfg.samplerate} Hz, {self.cfg.blocksize} frames"
                   f"{via})")
        return out + (f"; input {self._input['name']}" if self._input else "")

    @property
    def input_name(self) -> str | None:
        return self._input["name"] if self._input else None

    @property
    def _is_jack(self) -> bool:
        return self._device is not None and self._device["hostapi"].startswith("JACK")

    # ------------------------------------------------------- audio side
    def _on_finished(self) -> None:
        if not self._expect_stop:
            self._lost_evt.set()

    def _run_clock(self, keep_going: Callable[[], bool]) -> None:
        """Render at real-time pace into a scratch buffer (null output, or while the device is gone)."""
        buf = np.zeros((self.cfg.blocksize, self.cfg.channels), np.float32)
        period = self.cfg.blocksize / self.cfg.samplerate
        next_t = time.monotonic()
        while not self._stop_evt.is_set() and keep_going():
            self.engine.render(buf)
            next_t += period
            delay = next_t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            elif delay < -0.25:                 # suspended or starved: resync instead of bursting
                next_t = time.monotonic()

    # ----------------------------------------------------------- control
    def _spawn(self, target: Callable[..., None], name: str, *args: Any) -> None:
        t = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(t)
        t.start()

    def _make_stream(self) -> Any:
        """An unstarted PortAudio stream on self._device that calls the engine's C callback.

        `_StreamBase` is sounddevice's documented base "for library authors": it
        takes a CFFI function pointer and a userdata pointer instead of a Python
        callable. The engine owns the userdata memory and outlives the stream.
        """
        out = self._device
        assert out is not None, "the null output has no stream"
        if self.backend == "jack":
            inp = self._input
            return NativeJackStream(self.engine, self.cfg.channels, self.cfg.input_channels if inp else 0,
                                    out["name"], inp["name"] if inp else None, self.cfg.samplerate,
                                    self.cfg.blocksize)
        device: Any
        channels: int | tuple[int, int]
        if self._input is None:
            kind, device, channels = "output", out["index"], self.cfg.channels
        else:   # one duplex stream: capture and playback in the same callback, same clock
            kind, device = "duplex", (self._input["index"], out["index"])
            channels = (self.cfg.input_channels, self.cfg.channels)
        return _sd()._StreamBase(kind, device=device, samplerate=self.cfg.samplerate,
                                 blocksize=self.cfg.blocksize, channels=channels, dtype="float32",
                                 latency=self.cfg.latency, callback=self.engine.callback,
                                 userdata=self.engine.userdata, finished_callback=self._on_finished)

    def _open_input_only(self) -> None:
        """Beside the null output: an input stream whose callback only captures (it gets no output buffer)."""
        assert self._input is not None, "only called with an input configured"
        stream = _sd()._StreamBase("input", device=self._input["index"], samplerate=self.cfg.samplerate,
                                   blocksize=self.cfg.blocksize, channels=self.cfg.input_channels,
                                   dtype="float32", latency=self.cfg.latency, callback=self.engine.callback,
                                   userdata=self.engine.userdata)
        stream.start()
        self._input_stream = stream

    def _reinit_portaudio(self) -> None:
        """Fresh device list: PortAudio enumerates only in Pa_Initialize. Only with no stream open."""
        sd = _sd()
        sd._terminate()
        sd._initialize()

    def _open(self) -> None:
        """Open and start a stream on self._device (raises on failure)."""
        stream = self._make_stream()
        self._expect_stop = False
        self._lost_evt.clear()
        try:
            stream.start()
        except Exception:
            stream.close(ignore_errors=True)
            raise
        with self._lock:
            if self._stop_evt.is_set():         # stop() came while we were opening
                self._expect_stop = True
                stream.close(ignore_errors=True)
                raise RuntimeError("stopped while opening")
            self._stream = stream

    def start(self) -> None:
        """Start playing. Raises AudioDeviceError if a named device cannot be opened."""
        if self.state != "stopped":
            return
        self._stop_evt.clear()
        if not self.is_null:
            try:
                self._open()
            except Exception as e:  # noqa: BLE001 - PortAudioError, ValueError (bad samplerate...)
                if self.cfg.device != "auto":
                    raise AudioDeviceError(f"cannot open audio output {self.description}: {e}\n"
                                           f"output devices:\n{_format_devices(self._list_for_error())}") from e
                self._warn(f"cannot open the default audio output {self.description} ({e}): "
                           "using the NULL OUTPUT, nothing will be heard")
                self._device, self.is_null = None, True
                self.description = "null output (default device unusable)"
        if self.is_null:
            if self._input is not None:
                try:
                    self._open_input_only()
                except Exception as e:  # noqa: BLE001 - PortAudioError, ValueError
                    raise AudioDeviceError(f"cannot open audio input {self._input['name']}: {e}") from e
            self.state = "null"
            log.info("audio: %s", self.description)
            self._spawn(self._run_clock, "audio-null", lambda: True)
            return
        self.state = "running"
        log.info("audio: %s", self.description)
        self._spawn(self._monitor, "audio-monitor")

    def stop(self) -> None:
        """Stop and close (bounded: never hangs on a device PortAudio cannot release)."""
        self._stop_evt.set()
        with self._lock:
            stream, self._stream = self._stream, None
            self._expect_stop = True
        inp, self._input_stream = self._input_stream, None
        if inp is not None and not _run_bounded(lambda: (inp.stop(), inp.close()), RELEASE_TIMEOUT_S):
            self._abandoned.append(inp)
            _NEVER_FREED.append(self.engine)
            _skip_portaudio_exit()
        if stream is not None and not _run_bounded(lambda: (stream.stop(), stream.close()), RELEASE_TIMEOUT_S):
            log.error("audio: the output stream did not close within %.0f s; abandoning it", RELEASE_TIMEOUT_S)
            self._abandoned.append(stream)
            _NEVER_FREED.append(self.engine)
            _skip_portaudio_exit()
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(RELEASE_TIMEOUT_S + 1.0)
        self._threads = [t for t in self._threads if t.is_alive()]
        self.state = "stopped"

    def _list_for_error(self) -> list[dict]:
        """The output devices for an error message (PortAudio re-initialised for it if the native path dropped it)."""
        try:
            return list_devices()
        finally:
            if self.backend == "jack":
                _drop_portaudio()

    @property
    def released(self) -> bool:
        """True when no stream or clock can call the engine any more (so it may be freed)."""
        return self.state == "stopped" and not self._abandoned and not self._threads

    # ------------------------------------------------------ device loss
    def _stream_lost(self) -> bool:
        stream = self._stream
        return self._lost_evt.is_set() or (stream is not None and not stream.active)

    def _monitor(self) -> None:
        while not self._stop_evt.wait(MONITOR_PERIOD_S):
            if self.state == "running" and self._stream_lost():
                self._recover()
                if self.state != "running":
                    return

    def _recover(self) -> None:
        if isinstance(self._stream, NativeJackStream):
            self.recoverable = False            # known before "lost" is seen: this process does not reconnect
        self.state = "lost"
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is None:                      # stop() took it: not a loss
            return
        log.error("audio: lost the output %s", self.description)
        if isinstance(stream, NativeJackStream):
            t = time.monotonic()
            if _run_bounded(stream.close, RELEASE_TIMEOUT_S):   # libjack frees a dead server's client
                log.debug("audio: closed the native JACK client in %.3f s", time.monotonic() - t)
                stream = None
            self._give_up(stream)
            return
        if self._is_jack or not _run_bounded(lambda: (stream.abort(), stream.close()), RELEASE_TIMEOUT_S):
            self._give_up(stream)
            return
        delay = BACKOFF_START_S
        while not self._stop_evt.is_set():
            self.state = "retrying"
            self._retries += 1
            try:
                self._reopen()
                self.state = "running"
                log.warning("audio: %s is back after %d retries", self.description, self._retries)
                return
            except Exception as e:  # noqa: BLE001 - any failure means: try again later
                (log.warning if self._retries == 1 else log.debug)("audio: reopening failed: %s", e)
            deadline = time.monotonic() + delay
            self._run_clock(lambda: time.monotonic() < deadline)
            delay = min(2.0 * delay, BACKOFF_MAX_S)

    def _give_up(self, stream: Any) -> None:
        """The device is gone for this process: keep rendering, report, never touch `stream` again.

        `stream` is a PortAudio stream PortAudio cannot release (JACK server
        gone), or None when it was the native JACK client, already closed.
        """
        if stream is not None:
            self._abandoned.append(stream)
            _NEVER_FREED.append(self.engine)
        self.recoverable = False
        _skip_portaudio_exit()
        who = "the native JACK client" if self.backend == "jack" else "PortAudio"
        log.error("audio: %s is gone and %s cannot reconnect within this process%s; "
                  "restart isudt once the device is back", self.description, who,
                  " (JACK server stopped)" if self._is_jack else "")
        self._run_clock(lambda: True)

    def _reopen(self) -> None:
        """Re-initialise PortAudio (fresh device list), find the device again by name, open it."""
        assert self._device is not None, "only a device that was open can be reopened"
        self._reinit_portaudio()
        self._device = find_device(self._device["name"], _query_devices())
        self._open()

    # ------------------------------------------------------------- stats
    def stats(self) -> AudioStats:
        """Counters for /status, from the engine; callback_us_p50/p99 over its newest callbacks.

        last_callback is in time.monotonic()'s clock (CLOCK_MONOTONIC, as the engine's).
        """
        e = self.engine.stats()
        us = self.engine.callback_us()
        pct = (lambda q: float(np.percentile(us, q))) if us.size else (lambda q: 0.0)
        return AudioStats(state=self.state, device=self.description, null=self.is_null,
                          samplerate=self.cfg.samplerate, blocksize=self.cfg.blocksize,
                          underruns=e.underruns, callbacks=e.blocks,
                          retries=self._retries, recoverable=self.recoverable,
                          callback_us_p50=pct(50), callback_us_p99=pct(99), callback_us_max=e.max_callback_us,
                          block_us=1e6 * self.cfg.blocksize / self.cfg.samplerate,
                          last_callback=e.last_callback_ns / 1e9, warning=self.warning,
                          input=self.input_name, input_overflows=e.input_overflows)


# -------------------------------------------------------------------- CLI
def main(args: Any = None) -> int:
    """`isudt devices`: print the output and input devices, * marks the defaults."""
    try:
        outputs, inputs = _query_devices("output"), _query_devices("input")
    except OSError as e:
        print(f"PortAudio is not available: {e}", file=sys.stderr)
        return 1
    if not outputs:
        print("no audio output devices found: `isudt serve` with audio.device auto would use the null output")
    else:
        print(f"  {'idx':>3}  {'output':<32} {'host API':<8} {'out':>6}  {'default sr':>10}")
        print(_format_devices(outputs))
        print("* = default output. Choose one with --device NAME (case-insensitive substring) or --device INDEX.")
    if inputs:
        print(f"\n  {'idx':>3}  {'input':<32} {'host API':<8} {'in':>6}  {'default sr':>10}")
        print(_format_devices(inputs))
        print("Listen to one with --input NAME or --input INDEX (audio.input in the config).")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
