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

import pytest

from isudt.daemon.config import OscConfig, SynthSection
from isudt.daemon.messages import Limits, Refused, validate
from isudt.daemon.osc_server import DecodeError, decode_packet
from support.daemon import daemon_factory  # noqa: F401  (fixture)
from support.patch_drawing import pd_records, read_pd

ROOT = Path(__file__).resolve().parents[1]
PD_DIR = ROOT / "pd"
TEST_PD = ROOT / "tests" / "pd"
PD = shutil.which("pd")
BUNDLED = sorted(PD_DIR.glob("*.pd"))
TEST_PATCHES = sorted(TEST_PD.glob("*.pd"))

pytestmark = pytest.mark.skipif(PD is None, reason="Pure Data not installed (Debian: apt install puredata-core)")

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

def test_every_patch_loads_in_pd_without_errors() -> None:
    assert {p.name for p in BUNDLED} >= {"isudt_control.pd", "isudt_synth.pd", "isudt_send.pd", "isudt_receive.pd"}
    opens = [a for p in BUNDLED + TEST_PATCHES for a in ("-open", str(p))]
    proc = run_pd("-noloadbang", *opens, "-send", "pd quit")
    out = pd_output(proc)
    assert proc.returncode == 0, out
    assert not PD_PROBLEMS.search(out), out


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

def test_roundtrip_through_the_daemon(daemon_factory: Any) -> None:  # noqa: F811
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


@pytest.mark.parametrize("voice", [0, 3])
def test_control_and_synth_patches_send_what_the_daemon_accepts(tmp_path: Path, voice: int) -> None:
    """Drive the bundled control patch through its receive names; a socket stands in for the daemon."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        ports = ports_patch(tmp_path, port, free_udp_port())
        sends = [f"isudt-voice {voice}", "isudt-x 40", "isudt-y 80", "isudt-x 41", "isudt-x 42",
                 "isudt-gain -6", "isudt-glide 25", "isudt-mute 0", "isudt-status bang", "isudt-z0 0.5"]
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
    assert got[0] == ("/mute", [1.0]), got                     # isudt_synth.pd, on load
    slider = [a for addr, a in got if addr == prefix + "/pictslider"]
    assert slider == [[40.0, 0.0], [42.0, 80.0]], got          # first at once, then only the newest
    rest = [m for m in got[1:] if m[0] != prefix + "/pictslider"]
    assert sorted(rest) == sorted([("/gain", [-6.0]), ("/glide", [25.0]), ("/mute", [0.0]), ("/status", []),
                                   (prefix + "/latent/sound", [0.5, 0.0])]), got


# --- the abstractions on their own -------------------------------------------------

def test_speedlim_passes_the_first_and_the_newest() -> None:
    proc = run_pd("-open", str(TEST_PD / "isudt_speedlim_test.pd"))
    out = pd_output(proc)
    assert proc.returncode == 0, out
    # value, logical ms: 100 values at t=0 -> the first at once, the last after 50 ms; an idle one at once.
    assert printed(out, "isudt-limited") == [[0, 0], [99, 50], [1000, 200]], out


def test_sine_voice_plays_the_pitch_and_level_it_is_given() -> None:
    """isudt_sine~ with "69 -6": 440 Hz at -6 dB peak, i.e. RMS 100 - 6 - 3.01 in Pd's dB."""
    proc = run_pd("-open", str(TEST_PD / "isudt_sine_test.pd"))
    out = pd_output(proc)
    assert proc.returncode == 0, out
    (row,) = printed(out, "isudt-sine")
    pitch, level = row
    assert pitch == pytest.approx(69.0, abs=0.05), out
    assert level == pytest.approx(100 - 6 - 10 * math.log10(2), abs=0.1), out
