"""The engine's native JACK backend (daemon/jack_backend.c): clean C, the real-time rules, and the daemon on it.

- the C compiles warning-free under -Wall -Wextra, and without JACK's headers
  (it declares the few JACK types it uses; libjack is dlopen()ed);
- tests/c/jack_check.c drives it against a real jackd under AddressSanitizer
  + UBSan, with malloc/free/locks/sleeps/printing counted on every thread but
  main (libjack's realtime thread runs the process callback, its notification
  thread the xrun/shutdown callbacks): none allowed;
- a daemon on a JACK device plays through it by default (`/status.reply`'s
  `device` says "native JACK client", jackd lists the client `isudt`), and
  `audio.backend: portaudio` still plays through PortAudio's client;
- `audio.backend: jack` where it cannot be used is a clear error, not a crash.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from isudt.daemon.audio_out import AudioConfig, AudioDeviceError, AudioOutput, native_jack_problem
from isudt.daemon.engine import Engine, SynthConfig
from support.jack import JackServer, Recorder
from support.require import require_tool

ROOT = Path(__file__).resolve().parents[1]
DAEMON = ROOT / "daemon"
CC = shutil.which("gcc") or shutil.which("cc")
WRAPPED = ["malloc", "calloc", "realloc", "free", "pthread_mutex_lock", "nanosleep", "puts"]


def _compile(out: Path, *extra: str, sources: tuple[Path, ...]) -> subprocess.CompletedProcess:
    require_tool("gcc", "cc", variable="ISUDT_REQUIRE_CC", install="Debian: apt-get install gcc libc6-dev")
    cmd = [CC, "-std=gnu11", "-Wall", "-Wextra", "-Werror", f"-I{DAEMON}", *extra, *map(str, sources),
           "-lm", "-ldl", "-lpthread", "-o", str(out)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.mark.process
def test_backend_compiles_without_warnings_or_jack_headers(tmp_path: Path) -> None:
    res = _compile(tmp_path / "jack_backend.o", "-O2", "-c", sources=(DAEMON / "jack_backend.c",))
    assert res.returncode == 0 and res.stderr == "", res.stderr
    assert "#include <jack/" not in (DAEMON / "jack_backend.c").read_text()


@pytest.mark.process
@pytest.mark.jack
def test_backend_is_clean_under_address_sanitizer_and_keeps_the_realtime_rules(jackd: JackServer,
                                                                               tmp_path: Path) -> None:
    exe = tmp_path / "jack_check"
    res = _compile(exe, "-O1", "-g", "-fsanitize=address,undefined", "-fno-omit-frame-pointer",
                   "-Wl,--wrap=" + ",--wrap=".join(WRAPPED),
                   sources=(DAEMON / "engine.c", DAEMON / "jack_backend.c", ROOT / "tests" / "c" / "jack_check.c"))
    assert res.returncode == 0, res.stderr
    # libjack (C++, not instrumented) keeps process-lifetime allocations: leaks are checked for our code by
    # the engine's own ASan test and by closing everything here; LeakSanitizer would report libjack's.
    env = jackd.env(dict(os.environ, ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=0",
                         UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"))
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60, env=env)
    print(run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().endswith("OK") and "forbidden 0" in run.stdout
    assert "ERROR: AddressSanitizer" not in run.stderr and "runtime error" not in run.stderr


def test_the_backend_knob_is_checked() -> None:
    with pytest.raises(ValueError, match="auto, portaudio, jack"):
        AudioConfig(backend="alsa")
    out = AudioOutput(AudioConfig(device="null", backend="jack"), Engine(SynthConfig()))
    assert out.backend == "null"     # the null output has no backend to choose
    assert native_jack_problem() is None, "libjack.so.0 should load here (Debian: libjack-jackd2-0)"


@pytest.mark.jack
def test_native_client_plays_and_reports_itself(jackd: JackServer) -> None:
    """auto on a JACK device: the engine's own client `isudt` (out_1, out_2 on system:playback_1/2) plays."""
    import jack
    synth = Engine(SynthConfig())
    synth.set_voice(0, 69.0, -12.0)
    out = AudioOutput(AudioConfig(device="system"), synth)
    assert out.backend == "jack" and out.description.endswith("; native JACK client)")
    probe = jack.Client("isudt-native-probe", no_start_server=True)
    rec = Recorder().start(wait=False)
    try:
        out.start()
        rec.wait_for_source(timeout=5)
        rec.wait_for_signal(timeout=5)
        mine = sorted(p.name for p in probe.get_ports("^isudt:", is_output=True, is_audio=True))
        fed = sorted(p.name for p in probe.get_all_connections("system:playback_1"))
        st = out._stream.stats()
    finally:
        out.stop()
        rec.stop()
        probe.close()
    assert mine == ["isudt:out_1", "isudt:out_2"] and "isudt:out_1" in fed
    assert st["cycles"] > 0 and st["samplerate"] == 48000 and st["connected_out"] == 2 and st["shutdown"] == 0
    assert out.state == "stopped" and out.released


@pytest.mark.jack
def test_a_server_at_another_rate_is_an_error_naming_both(jackd: JackServer) -> None:
    """The native client checks the server's rate against audio.samplerate (PortAudio refuses it too)."""
    out = AudioOutput(AudioConfig(device="system", backend="jack", samplerate=44100),
                      Engine(SynthConfig(samplerate=44100)))
    with pytest.raises(AudioDeviceError, match="JACK server runs at 48000 Hz, audio.samplerate is 44100"):
        out.start()
    assert out.state == "stopped"


@pytest.mark.jack
@pytest.mark.parametrize("backend, client, via", [("auto", "isudt", "native JACK client"),
                                                  ("portaudio", "PortAudio", "PortAudio")])
def test_daemon_status_names_the_backend(jackd: JackServer, daemon_factory: Any, backend: str, client: str,
                                         via: str) -> None:
    import jack
    d = daemon_factory({"audio": {"device": "system", "backend": backend}, "synth": {"voices": 2}},
                       env=jackd.env())
    c = d.client()
    c.request("/pictslider", 40, 80)
    probe = jack.Client("isudt-status-probe", no_start_server=True)
    try:
        with Recorder() as rec:
            rec.wait_for_signal(timeout=10)
            feeders = {p.name.split(":")[0] for p in probe.get_all_connections("system:playback_1")}
    finally:
        probe.close()
    st = d.status()
    assert st["device"] == f"JACK: system (48000 Hz, 128 frames; {via})" and st["audio_state"] == "running"
    assert any(re.fullmatch(rf"{client}(-[0-9]+)?", f) for f in feeders), feeders   # this process may hold "PortAudio"
    assert d.stop() == 0
