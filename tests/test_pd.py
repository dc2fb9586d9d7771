"""The Pure Data patches (pd/), run in real Pure Data against a real daemon.

Pd runs headless (`pd -nogui -nosound`), loads the bundled abstractions from
pd/ and prints what it receives; the tests read Pd's output. What is checked:
- every bundled patch and test patch loads with no "couldn't create" and no
  failed connection (and a broken patch *is* reported, so the check can fail);
- the default ports in the abstractions are the daemon's configured defaults;
- a test patch built from the bundled isudt_send / isudt_receive sends
  `/pictslider 40 80` and `/latent/sound 0.1 -0.2` to a running daemon and
  prints both `/sineparams` replies, which match what the daemon answers a
  Python client for the same messages; a second listener on the same port
  sees them too (a control and a synth patch in one Pd);
- the bundled control patch, driven through its GUI receive names, sends
  exactly the messages the daemon's own validator accepts (voice prefix,
  rate limit, gain, glide, mute, status), and the synth patch mutes the
  daemon on load;
- the control patch against a real daemon of each shipped bundle sends as
  many latent values as the daemon's `/state/latent` says (2, 3), on voice 15
  of 16, and the daemon refuses none of them;
- the rate limiter and the sine voice behave as documented (timing in Pd's
  logical time; pitch and level measured with sigmund~).
Every wait is bounded: Pd quits by itself, and each run has a subprocess timeout.
"""
from __future__ import annotations

import math
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from isudt.daemon.config import OscConfig, SynthSection
from isudt.daemon.messages import Limits, Refused, validate
from isudt.daemon.osc_codec import DecodeError, decode_packet, encode_message
from support.pd_file import pd_records, read_pd
from support.require import require_tool

ROOT = Path(__file__).resolve().parents[1]
PD_DIR = ROOT / "pd"
TEST_PD = ROOT / "tests" / "pd"
PD = shutil.which("pd")
BUNDLED = sorted(PD_DIR.glob("*.pd"))
TEST_PATCHES = sorted(TEST_PD.glob("*.pd"))



@pytest.fixture(scope="module", autouse=True)
def pd_installed() -> None:
    """Pure Data: skipped without it here, a failure in CI (support/require.py)."""
    require_tool("pd", variable="ISUDT_REQUIRE_PD", install="Debian: apt install puredata-core puredata-extra")


# Pd's own complaints when a patch is broken: an object it cannot create, a cord it cannot make.
PD_PROBLEMS = re.compile(r"couldn't create|connection failed|error:|can't open|no such object|bad arguments", re.I)


def run_pd(*args: str, timeout: float = 20.0) -> subprocess.CompletedProcess:
    """Headless Pd with the bundled abstractions on its path; output is what it printed (stderr)."""
    cmd = [PD, "-nogui", "-nosound", "-noprefs", "-path", str(PD_DIR), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def pd_output(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout + proc.stderr


def printed(output: str, name: str) -> list[list[float]]:
    """Numbers printed by `[print name]` lines, in order."""
    rows = []
    for line in output.splitlines():
        if line.startswith(name + ":"):
            rows.append([float(v) for v in line[len(name) + 1:].split()])
    return rows


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def daemon_limits() -> Limits:
    """What the daemon validates against with its default config and the shipped bundle."""
    from isudt.daemon.bundle import default_bundle_dir, load_manifest
    manifest = load_manifest(default_bundle_dir(), verify=False)
    return Limits.from_manifest(manifest, SynthSection().voices, OscConfig().max_blob_bytes)


def ports_patch(directory: Path, port: int, reply_port: int) -> Path:
    """A patch that sets [v isudt-port] / [v isudt-reply-port] at load; open it before the bundled patches."""
    path = directory / "isudt_ports.pd"
    path.write_text("\n".join([
        "#N canvas 0 50 300 120 12;",
        "#X obj 10 10 loadbang;",
        f"#X msg 10 40 {port};",
        "#X obj 10 70 v isudt-port;",
        f"#X msg 120 40 {reply_port};",
        "#X obj 120 70 v isudt-reply-port;",
        "#X connect 0 0 1 0;",
        "#X connect 1 0 2 0;",
        "#X connect 0 0 3 0;",
        "#X connect 3 0 4 0;",
        "",
    ]))
    return path


# --- structure --------------------------------------------------------------------

@pytest.mark.process
def test_every_patch_loads_in_pd_without_errors() -> None:
    assert {p.name for p in BUNDLED} >= {"isudt_control.pd", "isudt_synth.pd", "isudt_send.pd", "isudt_receive.pd"}
    opens = [a for p in BUNDLED + TEST_PATCHES for a in ("-open", str(p))]
    proc = run_pd("-noloadbang", *opens, "-send", "pd quit")
    out = pd_output(proc)
    assert proc.returncode == 0, out
    assert not PD_PROBLEMS.search(out), out


@pytest.mark.process
def test_a_broken_patch_is_reported(tmp_path: Path) -> None:
    """The load check above can fail: Pd does report unknown objects and impossible cords here."""
    broken = tmp_path / "broken.pd"
    broken.write_text("#N canvas 0 50 300 200 12;\n#X obj 10 10 isudt_no_such_thing;\n#X obj 10 50 print;\n"
                      "#X connect 1 3 0 0;\n")
    out = pd_output(run_pd("-noloadbang", "-open", str(broken), "-send", "pd quit"))
    assert "couldn't create" in out and "connection failed" in out, out


def test_pd_files_reference_only_existing_boxes() -> None:
    """Every cord in every file joins two boxes that exist (Pd would silently drop others on save)."""
    for path in BUNDLED + TEST_PATCHES:
        layout = read_pd(path)
        assert layout.boxes, path
        for c in layout.cords:
            assert c.source in layout.boxes and c.dest in layout.boxes, (path.name, c)


def test_default_ports_are_the_daemons() -> None:
    """The numbers the abstractions fall back to are the daemon's configured defaults."""
    def lone_numbers(path: Path) -> set[int]:
        return {int(r[4]) for r in pd_records(path.read_text())
                if r[:2] == ["#X", "msg"] and len(r) == 5 and r[4].isdigit()}
    assert lone_numbers(PD_DIR / "isudt_send.pd") == {OscConfig().port}
    assert lone_numbers(PD_DIR / "isudt_receive.pd") == {OscConfig().reply_port}
    send_text = (PD_DIR / "isudt_send.pd").read_text()
    assert "netsend -u -b" in send_text and "oscformat" in send_text
    recv_text = (PD_DIR / "isudt_receive.pd").read_text()
    assert "netreceive -u -b" in recv_text and "oscparse" in recv_text


# --- against the daemon -------------------------------------------------------------

def test_roundtrip_through_the_daemon(daemon_factory: Any) -> None:
    reply_port = free_udp_port()
    d = daemon_factory({"osc": {"reply_host": "127.0.0.1", "reply_port": reply_port}})
    t0 = time.monotonic()
    proc = run_pd("-open", str(TEST_PD / "isudt_roundtrip.pd"),
                  "-send", f"isudt-test {d.port} {reply_port} 5000")
    elapsed = time.monotonic() - t0
    out = pd_output(proc)
    assert proc.returncode == 0, out
    assert "isudt-test-timeout" not in out, out
    assert not PD_PROBLEMS.search(out), out
    replies = printed(out, "isudt-sineparams")
    assert len(replies) == 2, out
    for pitch, db in replies:
        assert 38.0 <= pitch <= 86.0 and math.isfinite(db) and db <= 0.0, out
    assert printed(out, "isudt-second") == replies, out      # the second listener on the same port
    # Pd (floats only) gets what a Python client gets for the same two messages.
    c = d.client()
    expected = [c.request("/pictslider", 40, 80), c.request("/latent/sound", 0.1, -0.2)]
    for got, want in zip(replies, expected):
        assert got == pytest.approx(want, rel=1e-4, abs=1e-3), (got, want)
    status = d.status()
    assert status["errors"] == 0, status
    assert elapsed < 10.0


def _capture(sock: socket.socket, quiet: float, deadline: float) -> list[tuple[str, list[Any]]]:
    got: list[tuple[str, list[Any]]] = []
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, min(quiet, deadline - time.monotonic())))
        try:
            data, _ = sock.recvfrom(65536)
        except socket.timeout:
            if got:
                break
            continue
        try:
            got.extend(decode_packet(data, 4, 64))
        except DecodeError as e:
            raise AssertionError(f"Pd sent a packet the daemon cannot decode: {e}") from None
    return got


@pytest.mark.process
@pytest.mark.parametrize("voice", [0, 3, 15])
def test_control_and_synth_patches_send_what_the_daemon_accepts(tmp_path: Path, voice: int) -> None:
    """Drive the bundled control patch through its receive names; a socket stands in for the daemon (voice 15:
    the last of the daemon's 16)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        ports = ports_patch(tmp_path, port, free_udp_port())
        sends = [f"isudt-voice {voice}", "isudt-x 40", "isudt-y 80", "isudt-x 41", "isudt-x 42",
                 "isudt-gain -6", "isudt-glide 25", "isudt-mute 0", "isudt-status bang", "isudt-z0 0.5",
                 "isudt-panic bang"]
        args = ["-open", str(ports), "-open", str(PD_DIR / "isudt_control.pd"), "-open", str(PD_DIR / "isudt_synth.pd"),
                "-open", str(TEST_PD / "isudt_quit_after.pd"), "-send", "isudt-quit-after 300"]
        for s in sends:
            args += ["-send", s]
        proc = run_pd(*args)
        out = pd_output(proc)
        assert proc.returncode == 0, out
        assert not PD_PROBLEMS.search(out), out
        got = _capture(sock, 0.3, time.monotonic() + 5.0)
    limits = daemon_limits()
    for address, a in got:
        try:
            validate(address, a, limits)
        except Refused as e:
            raise AssertionError(f"the daemon refuses what the patch sent: {address} {a}: {e.reason}") from None
    prefix = "" if voice == 0 else f"/voice/{voice}"
    # both patches subscribe on their own ports at load (control 12351, synth 12352)
    assert ("/subscribe", [12351.0]) in got and ("/subscribe", [12352.0]) in got, got
    got = [m for m in got if m[0] != "/subscribe"]
    slider = [a for addr, a in got if addr == prefix + "/pictslider"]
    assert slider == [[40.0, 0.0], [42.0, 80.0]], got          # first at once, then only the newest
    rest = [m for m in got if m[0] != prefix + "/pictslider"]
    assert sorted(rest) == sorted([("/gain", [-6.0]), ("/glide", [25.0]), ("/mute", [0.0]), ("/status", []),
                                   ("/off", []), (prefix + "/latent/sound", [0.5, 0.0])]), got


@pytest.mark.process
def test_control_shows_the_daemons_state_without_echoing_it(tmp_path: Path) -> None:
    """Replies the daemon would send (heartbeat, /state) reach the control on 12351: it sets its widgets
    with `set` (nothing is sent back: no feedback loop) and, connected, polls /status every second."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        ports = ports_patch(tmp_path, sock.getsockname()[1], free_udp_port())
        cmd = [PD, "-nogui", "-nosound", "-noprefs", "-path", str(PD_DIR), "-open", str(ports),
               "-open", str(PD_DIR / "isudt_control.pd"), "-open", str(TEST_PD / "isudt_print_replies.pd"),
               "-open", str(TEST_PD / "isudt_quit_after.pd"), "-send", "isudt-quit-after 2500",
               "-send", "isudt-print-port 12351"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                stdin=subprocess.DEVNULL)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:
                for _ in range(4):                 # Pd needs a moment to bind 12351; repeat
                    time.sleep(0.3)
                    daemon.sendto(encode_message("/heartbeat", (1.0,)), ("127.0.0.1", 12351))
                    daemon.sendto(encode_message("/state", (-6.0, 25.0, 1, 1, "isudt-test")), ("127.0.0.1", 12351))
            got = _capture(sock, 1.0, time.monotonic() + 4.0)
            out, _ = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=5)
    assert not PD_PROBLEMS.search(out), out
    assert "isudt-p-gain: set -6" in out, out                 # the gain box shows the daemon's gain
    addresses = [a for a, _ in got]
    assert "/subscribe" in addresses and "/status" in addresses, got     # connected -> polls /status
    assert not {"/gain", "/glide", "/mute"} & set(addresses), got         # nothing echoed back


def test_the_voice_selectors_reach_every_voice_of_the_daemon() -> None:
    """The control's voice selector has a cell per voice of the daemon's default (16: /voice/0 .. /voice/15),
    and the synth routes as many. (Pd passes a number sent to the selector's receive name on unclamped, so the
    cells are counted in the file: what a performer can click.)"""
    voices = SynthSection().voices
    (radio,) = [r for r in pd_records((PD_DIR / "isudt_control.pd").read_text())
                if r[:2] == ["#X", "obj"] and r[4:5] == ["hradio"] and "isudt-voice" in r]
    assert int(radio[8]) == voices == 16, radio                # hradio size change init NUMBER ...
    synth = pd_records((PD_DIR / "isudt_synth.pd").read_text())
    routed = [n for r in synth if r[:2] == ["#X", "obj"] and r[4:5] == ["route"]
              and all(a.isdigit() for a in r[5:]) for n in map(int, r[5:])]
    assert sorted(routed) == list(range(voices)), routed        # each voice number routed once, to its voice
    assert sum(r[4:5] == ["isudt_voice~"] for r in synth) == voices


def test_patches_are_what_make_patches_writes() -> None:
    """pd/*.pd are generated by pd/make_patches.py (layout computed in one place): the files match it."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_patches", PD_DIR / "make_patches.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    want = mod.render_all()
    assert set(want) == {p.name for p in BUNDLED}
    for name, text in want.items():
        assert (PD_DIR / name).read_text() == text, f"{name} differs from python pd/make_patches.py"


# --- the abstractions on their own -------------------------------------------------

@pytest.mark.process
def test_speedlim_passes_the_first_and_the_newest() -> None:
    proc = run_pd("-open", str(TEST_PD / "isudt_speedlim_test.pd"))
    out = pd_output(proc)
    assert proc.returncode == 0, out
    # value, logical ms: 100 values at t=0 -> the first at once, the last after 50 ms; an idle one at once.
    assert printed(out, "isudt-limited") == [[0, 0], [99, 50], [1000, 200]], out


@pytest.mark.process
def test_sine_voice_plays_the_pitch_and_level_it_is_given() -> None:
    """isudt_sine~ with "69 -6": 440 Hz at -6 dB peak, i.e. RMS 100 - 6 - 3.01 in Pd's dB."""
    proc = run_pd("-open", str(TEST_PD / "isudt_sine_test.pd"))
    out = pd_output(proc)
    assert proc.returncode == 0, out
    (row,) = printed(out, "isudt-sine")
    pitch, level = row
    assert pitch == pytest.approx(69.0, abs=0.05), out
    assert level == pytest.approx(100 - 6 - 10 * math.log10(2), abs=0.1), out


# --- the Pd synth, heard through JACK ------------------------------------------------

MINUS_1_DBFS = 10 ** (-1 / 20)


def _dead_port_patch(directory: Path) -> Path:
    """isudt-port -> a port nobody listens on, so the synth's /subscribe goes nowhere (no daemon here)."""
    return ports_patch(directory, free_udp_port(), free_udp_port())


class PdSynth:
    """isudt_synth.pd in a real Pd playing into the test's jackd; `recorder` records pure_data:output_*."""

    def __init__(self, jackd: Any, directory: Path, ports: Path) -> None:
        from support.jack import Recorder
        cmd = [PD, "-nogui", "-jack", "-nojackconnect", "-noprefs", "-audiobuf", "10", "-nomidi",
               "-path", str(PD_DIR), "-open", str(ports), "-open", str(PD_DIR / "isudt_synth.pd"),
               "-send", "pd dsp 1"]
        self.proc = subprocess.Popen(cmd, env=jackd.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, stdin=subprocess.DEVNULL)
        self.recorder = Recorder(source=r"^pure_data:output_", servername=jackd.name, seconds=10.0)
        self.recorder.start(wait=True, timeout=10.0)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def send(self, address: str, *args: Any) -> None:
        self.sock.sendto(encode_message(address, args), ("127.0.0.1", 12352))

    def wait_loud(self, threshold: float = 0.1, timeout: float = 5.0) -> None:
        self.recorder.wait_for_signal(threshold, timeout)

    def close(self) -> str:
        self.sock.close()
        self.recorder.stop()
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            out, _ = self.proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate(timeout=5)
        return out


@pytest.fixture
def pd_synth(jackd: Any, tmp_path: Path) -> Any:
    s = PdSynth(jackd, tmp_path, _dead_port_patch(tmp_path))
    yield s
    s.close()


PD_VOICES = 16          # pd/make_patches.py VOICES: isudt_synth.pd plays /voice/0 .. /voice/15


def test_sixteen_voices_at_full_level_never_exceed_minus_1_dbfs(pd_synth: PdSynth) -> None:
    """16 voices at 0 dB each (a sum of up to 16.0): the limiter keeps the output at -1 dBFS."""
    for n in range(PD_VOICES):
        pd_synth.send(f"/voice/{n}/sineparams", 48.0 + 4 * n, 0.0)
    pd_synth.wait_loud(0.1)
    audio = pd_synth.recorder.record(1.0)
    peak = float(np.max(np.abs(audio)))
    assert peak <= MINUS_1_DBFS, f"peak {peak:.6f} ({20 * math.log10(peak):.3f} dBFS)"
    assert peak > 0.5 * MINUS_1_DBFS, peak                     # and it is not silent
    # the voices really sum: one spectral peak per voice
    spec = np.abs(np.fft.rfft(audio[:, 0] * np.hanning(len(audio))))
    freqs = np.fft.rfftfreq(len(audio), 1 / pd_synth.recorder.samplerate)
    for n in range(PD_VOICES):
        f = 440 * 2 ** ((48.0 + 4 * n - 69) / 12)
        band = (freqs > f * 0.98) & (freqs < f * 1.02)
        assert spec[band].max() > 0.05 * spec.max(), f"voice {n} ({f:.1f} Hz) missing"


FM_STATE = ("fm", 3, "pitch", "MIDI", "ratio", "x carrier", "index", "")     # what /state/synth says for digits-fm
SINE_STATE = ("sine", 2, "pitch", "MIDI", "db", "dB")


def magnitude_spectrum(x: np.ndarray, samplerate: int, top_hz: float = 8000.0) -> np.ndarray:
    """|rfft| of a Hann-windowed signal, 0 .. top_hz."""
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return spec[np.fft.rfftfreq(len(x), 1 / samplerate) <= top_hz]


def spectral_correlation(a: np.ndarray, b: np.ndarray, samplerate: int) -> float:
    """Pearson correlation of two signals' magnitude spectra over 0-8 kHz (1 = the same partials in the same proportions)."""
    return float(np.corrcoef(magnitude_spectrum(a, samplerate), magnitude_spectrum(b, samplerate))[0, 1])


def test_spectral_correlation_tells_fm_from_a_sine() -> None:
    """The measure below can fail: a sine at the FM tone's pitch scores far below an FM tone of itself."""
    from isudt.daemon.synths import fm_wave
    sr, n = 48000, 48000
    fm = fm_wave(57.0, 2.0, 2.5, n, sr)[0]
    shifted = fm_wave(57.0, 2.0, 2.5, n, sr, offset=np.array([1234.0]))[0]
    sine = 0.25 * np.sin(2 * np.pi * 220.0 * np.arange(n) / sr)
    assert spectral_correlation(fm, shifted, sr) > 0.99
    assert spectral_correlation(fm, sine, sr) < 0.7
    assert spectral_correlation(fm, fm_wave(57.0, 2.0, 0.5, n, sr)[0], sr) < 0.9   # another index is another tone


@pytest.mark.parametrize("pitch, ratio, index", [(57.0, 2.0, 2.5), (64.0, 1.5, 4.0), (72.0, 3.0, 1.2),
                                                 (84.0, 7.0, 6.0)])
def test_fm_voice_sounds_like_the_daemons_fm(pd_synth: PdSynth, pitch: float, ratio: float, index: float) -> None:
    """/state/synth fm, then /voice/5/synthparams: Pd's FM voice, recorded through JACK, has the spectrum of
    daemon.synths.fm_wave for the same parameters (correlation >= 0.95 over 0-8 kHz; (84, 7, 6): the alias guard
    lowers the index), at the FM level (-12 dBFS); a sine at the same pitch scores clearly below."""
    from isudt.daemon.mel import midi_to_hz
    from isudt.daemon.synths import FM_LEVEL_DB, fm_wave, guard_index
    pd_synth.send("/state/synth", *FM_STATE)
    time.sleep(0.1)
    pd_synth.send("/voice/5/sineparams", pitch, 0.0)           # a sine bundle's reply: not played by an FM synth
    pd_synth.send("/voice/5/synthparams", pitch, ratio, index)
    pd_synth.wait_loud(0.05)
    time.sleep(0.1)                                           # past the 10 ms ramps
    rec = pd_synth.recorder
    sr = rec.samplerate
    audio = rec.record(1.0)[:, 0].astype(np.float64)
    # four 0.25 s windows (4 Hz bins), each against the reference: a dropout of Pd's own (its scheduler late on
    # a busy machine, no jackd xrun) spoils one window, not the measure; 3 of the 4 must score >= 0.95
    n = len(audio) // 4
    t = np.arange(n) / sr
    fc = midi_to_hz(pitch)
    want = fm_wave(pitch, ratio, index, n, sr)[0]
    sine = np.sin(2 * np.pi * fc * t)
    unguarded = np.sin(2 * np.pi * fc * t + index * np.sin(2 * np.pi * fc * ratio * t))
    windows = [audio[k * n:(k + 1) * n] for k in range(4)]
    scores = sorted(spectral_correlation(w, want, sr) for w in windows)
    sine_scores = sorted(spectral_correlation(w, sine, sr) for w in windows)
    print(f"FM {pitch} {ratio} {index}: correlation {np.round(scores, 4)}, a sine at the pitch {np.round(sine_scores, 4)}")
    score, sine_score = scores[1], sine_scores[2]
    assert score >= 0.95, (scores, sine_scores)
    assert sine_score < score - 0.3, (scores, sine_scores)
    if guard_index(fc, ratio, index, sr) < index - 1.0:      # the guard changes this tone
        unguarded_score = sorted(spectral_correlation(w, unguarded, sr) for w in windows)[2]
        assert unguarded_score < 0.9, f"Pd's voice skipped the alias guard ({unguarded_score})"
    peak = float(np.max(np.abs(audio)))
    assert peak == pytest.approx(10 ** (FM_LEVEL_DB / 20), rel=0.03), peak


def test_the_synth_kind_chooses_the_voice(pd_synth: PdSynth) -> None:
    """A sine bundle (/state/synth sine) plays /sineparams and not /synthparams; an FM bundle the other way."""
    rec = pd_synth.recorder
    pd_synth.send("/state/synth", *SINE_STATE)
    time.sleep(0.1)
    pd_synth.send("/synthparams", 69.0, 2.0, 3.0)
    time.sleep(0.3)
    assert np.max(np.abs(rec.record(0.2))) < 1e-4, "a sine bundle's synth played /synthparams"
    pd_synth.send("/sineparams", 69.0, -6.0)
    pd_synth.wait_loud(0.1)
    pd_synth.send("/state/synth", *FM_STATE)                  # a reload to an FM bundle: every voice stops
    time.sleep(0.3)
    assert np.max(np.abs(rec.record(0.2))) < 1e-4, "the sine voice kept playing after the kind changed"
    pd_synth.send("/synthparams", 69.0, 2.0, 3.0)
    pd_synth.wait_loud(0.05)
    audio = rec.record(0.5)[:, 0]
    peak = float(np.max(np.abs(audio)))
    assert peak == pytest.approx(10 ** (-12 / 20), rel=0.03), peak


def _silent_after(audio: np.ndarray, start: int, threshold: float = 1e-4) -> int:
    """Frames from `start` until the signal stays below `threshold` for good."""
    loud = np.nonzero(np.max(np.abs(audio[start:]), axis=1) > threshold)[0]
    return int(loud[-1]) + 1 if len(loud) else 0


@pytest.mark.parametrize("stop", ["/voice/3/off", "/off"])
def test_off_stops_the_voice_within_50_ms(pd_synth: PdSynth, stop: str) -> None:
    """`/voice/N/off` (the daemon's reply) stops voice N; `/off` every voice: silence within 50 ms."""
    pd_synth.send("/voice/3/sineparams", 69.0, -6.0)
    if stop == "/off":
        pd_synth.send("/voice/5/sineparams", 57.0, -6.0)
    pd_synth.wait_loud(0.1)
    rec = pd_synth.recorder
    time.sleep(0.2)
    sent_at = rec.frames                     # frames recorded when the message left
    pd_synth.send(stop)
    deadline = time.monotonic() + 3.0
    while rec.frames < sent_at + rec.samplerate // 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    audio = rec.samples()
    start = len(audio) - (rec.frames - sent_at)
    assert np.max(np.abs(audio[start - 480:start])) > 0.1, "the voice was not playing before the stop"
    took_ms = 1000 * _silent_after(audio, start) / rec.samplerate
    assert took_ms <= 50.0, f"still sounding {took_ms:.1f} ms after {stop}"
    assert np.max(np.abs(audio[start + rec.samplerate // 10:])) < 1e-4


# --- with a daemon that has subscriptions (/subscribe, /state, /heartbeat) --------------


def _pd_process(tmp_path: Path, name: str, daemon_port: int, patch: str, port: int, quit_ms: int) -> subprocess.Popen:
    (tmp_path / name).mkdir()
    ports = ports_patch(tmp_path / name, daemon_port, free_udp_port())
    cmd = [PD, "-nogui", "-nosound", "-noprefs", "-path", str(PD_DIR), "-open", str(ports),
           "-open", str(PD_DIR / patch), "-open", str(TEST_PD / "isudt_print_replies.pd"),
           "-open", str(TEST_PD / "isudt_quit_after.pd"), "-send", f"isudt-quit-after {quit_ms}",
           "-send", f"isudt-print-port {port}"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)


def _finish(procs: list[subprocess.Popen], timeout: float = 20.0) -> list[str]:
    outs = []
    for p in procs:
        try:
            outs.append(p.communicate(timeout=timeout)[0])
        except subprocess.TimeoutExpired:
            p.kill()
            outs.append(p.communicate(timeout=5)[0])
    return outs


def test_control_and_synth_in_two_pds_both_get_every_reply(daemon_factory: Any, tmp_path: Path) -> None:
    """Two Pd processes (control on 12351, synth on 12352) both subscribed: both get every reply, and a
    listener on the published reply target still gets the published replies."""
    published = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    published.bind(("127.0.0.1", 0))
    try:
        d = daemon_factory({"osc": {"reply_host": "127.0.0.1", "reply_port": published.getsockname()[1]}})
        procs = [_pd_process(tmp_path, "control", d.port, "isudt_control.pd", 12351, 4000),
                 _pd_process(tmp_path, "synth", d.port, "isudt_synth.pd", 12352, 4000)]
        c = d.client()
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and d.status().get("subscribers", 0) < 2:
            time.sleep(0.1)
        want = [c.request("/pictslider", 40, 80), c.request("/latent/sound", 0.1, -0.2)]
        third = [a for addr, a in _capture(published, 0.5, time.monotonic() + 3.0) if addr == "/sineparams"]
        outs = _finish(procs)
    finally:
        published.close()
    assert third[-2:] == want, third
    for out in outs:
        assert not PD_PROBLEMS.search(out), out
        got = printed(out, "isudt-r-sineparams")[-2:]
        assert len(got) == 2 and all(g == pytest.approx(w, rel=1e-4, abs=1e-3) for g, w in zip(got, want)), out
        assert "isudt-r-other: subscribed" in out and "isudt-r-other: heartbeat" in out, out


def test_restarted_daemon_is_muted_again_by_the_running_synth(daemon_factory: Any, tmp_path: Path) -> None:
    """Restart the daemon under a running Pd synth: within 3 s it is muted again and the patch shows /state."""
    port = free_udp_port()
    config = {"osc": {"port": port}}
    d1 = daemon_factory(config)
    (synth,) = procs = [_pd_process(tmp_path, "synth", port, "isudt_synth.pd", 12352, 12000)]
    try:
        deadline = time.monotonic() + 5.0
        while d1.status().get("muted") != 1:
            assert time.monotonic() < deadline, "the synth did not mute the first daemon"
            time.sleep(0.1)
        assert d1.stop() == 0
        d2 = daemon_factory(config)
        t0 = time.monotonic()
        while d2.status().get("muted") != 1:
            assert time.monotonic() - t0 < 3.0, "the restarted daemon was not muted within 3 s"
            time.sleep(0.05)
        state = d2.client().request("/state", reply="/state")
        time.sleep(1.5)                      # the new daemon's first /heartbeat (every 1 s) lights "connected"
    finally:
        synth.terminate()
        (out,) = _finish(procs)
    assert state[2] == 1, state
    muted = printed(out, "isudt-p-muted")
    assert muted and muted[-1] == [float(state[2])], out      # the patch's daemon_muted shows the /state
    connected = printed(out, "isudt-p-connected")
    assert connected and connected[-1] == [1.0], out


class PdSession:
    """A real Pd with a bundled patch, driven as a performer would (its receive names, through
    tests/pd/isudt_remote.pd: FUDI over UDP), talking to a real daemon through a UDP hop that records what Pd
    sent: what the daemon received, message by message. Pd's printout (tests/pd/isudt_print_replies.pd on the
    patch's port: every reply the patch gets) is read as it comes."""

    def __init__(self, tmp_path: Path, daemon: Any, patch: str, port: int, quit_ms: int = 15000) -> None:
        import threading
        self.daemon = daemon
        self.hop = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.hop.bind(("127.0.0.1", 0))
        self.remote_port = free_udp_port()
        self.remote = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        ports = ports_patch(tmp_path, self.hop.getsockname()[1], free_udp_port())
        cmd = [PD, "-nogui", "-nosound", "-noprefs", "-path", str(PD_DIR), "-open", str(ports),
               "-open", str(PD_DIR / patch), "-open", str(TEST_PD / "isudt_print_replies.pd"),
               "-open", str(TEST_PD / "isudt_remote.pd"), "-open", str(TEST_PD / "isudt_quit_after.pd"),
               "-send", f"isudt-quit-after {quit_ms}", "-send", f"isudt-print-port {port}",
               "-send", f"isudt-remote-port {self.remote_port}"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     stdin=subprocess.DEVNULL)
        self.lines: list[str] = []
        self.sent: list[tuple[str, list[Any]]] = []       # what Pd sent, as the daemon received it
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def play(self, *messages: str) -> None:
        """`isudt-z0 0.5` etc.: each to its receive name in Pd, as the GUI would."""
        for m in messages:
            self.remote.sendto(f"{m};\n".encode(), ("127.0.0.1", self.remote_port))

    def pump(self, until: Any, timeout: float) -> bool:
        """Pass Pd's datagrams on to the daemon (recording them) until `until()` or the timeout."""
        deadline = time.monotonic() + timeout
        while not until():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                return False
            self.hop.settimeout(0.05)
            try:
                data, sender = self.hop.recvfrom(65536)
            except socket.timeout:
                continue
            if sender[1] == self.daemon.port:
                continue                  # an answer to the hop itself: Pd hears the daemon on its subscription
            self.sent.extend(decode_packet(data, 4, 64))
            self.hop.sendto(data, (self.daemon.host, self.daemon.port))
        return True

    def printed(self, prefix: str) -> list[str]:
        return [line for line in list(self.lines) if line.startswith(prefix)]

    def close(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self._reader.join(timeout=5)
        self.hop.close()
        self.remote.close()
        return "\n".join(self.lines)


@pytest.mark.parametrize("bundle, dims", [("square-sine", 2), ("digits-fm", 3)])
def test_control_sends_as_many_latent_values_as_the_daemons_state_latent_says(
        daemon_factory: Any, tmp_path: Path, bundle: str, dims: int) -> None:
    """`isudt serve --bundle B`, the control patch subscribed: /state/latent tells it the sound latent's size,
    and the z sliders (on voice 15 of the daemon's 16) send exactly that many values: square-sine 2, digits-fm 3
    (where the patch's default of 2 would be refused). The daemon refuses none of it (its /error names a wrong
    count: shown at the end, a count the patch did not follow is seen in the same run)."""
    d = daemon_factory({"synth": {"voices": 16}}, args=["--bundle", bundle])
    pd = PdSession(tmp_path, d, "isudt_control.pd", 12351)
    try:
        said = f"isudt-r-other: state latent {dims} {dims}"
        assert pd.pump(lambda: pd.printed(said), 10.0), pd.close()
        pd.play("isudt-voice 15", "isudt-z0 0.5", "isudt-z1 -0.5", "isudt-z2 1")
        address = "/voice/15/latent/sound"
        want = [0.5, -0.5, 1.0][:dims]
        assert pd.pump(lambda: (address, want) in pd.sent, 5.0), (pd.sent, pd.close())
        reply = "isudt-r-voice: 15" if bundle == "square-sine" else "isudt-r-other: voice 15 synthparams"
        assert pd.pump(lambda: pd.printed(reply), 3.0), pd.close()        # the daemon played what the patch sent
        pd.pump(lambda: False, 0.3)
        errors = d.status()["errors"]
        out = pd.close()
    finally:
        pd.close()
    latents = [a for addr, a in pd.sent if addr.endswith("/latent/sound")]
    assert latents and all(len(a) == dims for a in latents), pd.sent
    assert {addr for addr, _ in pd.sent if addr.endswith("/latent/sound")} == {address}, pd.sent
    assert errors == 0 and "isudt-r-error" not in out, out
    assert not PD_PROBLEMS.search(out), out
    # the check above can fail: one value too many is refused, naming the count
    c = d.client()
    c.send(address, *([0.0] * (dims + 1)))
    assert c.wait_for("/error") == [address, f"expects {dims} latent coordinates, got {dims + 1} arguments"]


# --- isudt_see.pd: the way back ----------------------------------------------------------

def _see_printer(directory: Path) -> Path:
    """Prints what isudt_see.pd publishes: the marker's `pos`, the square, silence, the listen toggle's `set`."""
    path = directory / "isudt_see_printer.pd"
    names = [("isudt-see-marker", "isudt-marker"), ("isudt-see-square", "isudt-square"),
             ("isudt-see-silent", "isudt-silent"), ("isudt-see-listen", "isudt-listen")]
    lines = ["#N canvas 0 50 400 300 12;"]
    for k, (r, p) in enumerate(names):
        lines += [f"#X obj 10 {10 + 60 * k} r {r};", f"#X obj 10 {40 + 60 * k} print {p};"]
    lines += [f"#X connect {2 * k} 0 {2 * k + 1} 0;" for k in range(len(names))]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.process
def test_see_patch_listens_moves_its_marker_and_shows_silence(tmp_path: Path) -> None:
    """isudt_see.pd: subscribes on 12353; its listen toggle sends /image/listen 1 / 0; a /square sent to
    12353 moves the marker to the field position; /image/silent lights silent; /state sets the toggle; a 3-D
    /image/latent and /state/latent are taken without a complaint (no 'unpack: type mismatch')."""
    fx, fy = 40, 150                                   # pd/make_patches.py FIELD: 2 px per position
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        ports = ports_patch(tmp_path, sock.getsockname()[1], free_udp_port())
        cmd = [PD, "-nogui", "-nosound", "-noprefs", "-path", str(PD_DIR), "-open", str(ports),
               "-open", str(PD_DIR / "isudt_see.pd"), "-open", str(_see_printer(tmp_path)),
               "-open", str(TEST_PD / "isudt_quit_after.pd"), "-send", "isudt-quit-after 2500",
               "-send", "isudt-see-listen 1", "-send", "isudt-see-listen 0"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                stdin=subprocess.DEVNULL)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:
                for _ in range(4):                 # Pd needs a moment to bind 12353; repeat
                    time.sleep(0.3)
                    daemon.sendto(encode_message("/square", (40.0, 80.0)), ("127.0.0.1", 12353))
                daemon.sendto(encode_message("/image/latent", (0.25, -0.5)), ("127.0.0.1", 12353))
                daemon.sendto(encode_message("/image/latent", (0.25, -0.5, 1.0)), ("127.0.0.1", 12353))   # digits-fm
                daemon.sendto(encode_message("/state/latent", (3, 3)), ("127.0.0.1", 12353))   # not the /state head
                daemon.sendto(encode_message("/image/silent", (-80.0,)), ("127.0.0.1", 12353))
                daemon.sendto(encode_message("/state", (0.0, 10.0, 0, 1, "isudt-test")), ("127.0.0.1", 12353))
            got = _capture(sock, 1.0, time.monotonic() + 4.0)
            out, _ = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=5)
    assert not PD_PROBLEMS.search(out), out
    assert f"isudt-marker: pos {fx + 2 * 40} {fy + 2 * 80}" in out, out
    assert "isudt-square: 40 80" in out, out
    assert "isudt-silent: -80" in out, out              # /image/silent level
    assert "isudt-listen: set 1" in out, out            # the toggle shows the daemon's listening flag
    assert ("/subscribe", [12353.0]) in got, got
    listen = [a for addr, a in got if addr == "/image/listen"]
    assert listen == [[1.0], [0.0]], got
    limits = daemon_limits()
    for address, a in got:                              # /image/listen included: the daemon accepts it
        validate(address, a, limits)
