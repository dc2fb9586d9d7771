"""What the benchmarks share: the daemon driver (the tests' own, tests/support/daemon.py), a client, the machine,
percentiles, the shipped bundles' configs, request material, results.

bench_daemon.py, bench_floor.py, bench_jack.py and soak.py import this module and never each
other (bench_daemon runs bench_jack for --jack; bench_jack used to import
bench_daemon back for these helpers).
"""
from __future__ import annotations

import json
import os
import platform
import re
import socket
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))   # support.daemon (the driver), support.jack (the private jackd of --jack)

from isudt.daemon.bundle import Box, shipped_bundles  # noqa: E402
from isudt.daemon.limits import DEFAULT_VOICES  # noqa: E402
from isudt.daemon.osc_codec import decode_packet, encode_message  # noqa: E402
from support.daemon import Daemon as _Daemon  # noqa: E402
from support.daemon import start_daemon as _start_daemon  # noqa: E402

READY_TIMEOUT_S = 30.0


class Daemon:
    """A running `isudt serve` (tests/support/daemon.py's `Daemon`) and what the benchmarks read from it."""

    def __init__(self, d: _Daemon) -> None:
        self.driver = d
        self.proc = d.proc
        self.log = d.log                  # stderr lines
        self.ready_s = d.ready_s          # Popen to the `isudt ready:` line (Python start included)
        self.addr = (d.host, d.port)

    def rss_mb(self) -> tuple[float, float]:
        """(VmRSS, VmHWM) in MB: resident now, and the peak."""
        text = Path(f"/proc/{self.proc.pid}/status").read_text()
        rss = int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024   # type: ignore[union-attr]
        hwm = int(re.search(r"VmHWM:\s+(\d+)", text).group(1)) / 1024   # type: ignore[union-attr]
        return rss, hwm

    def stop(self) -> tuple[int, float]:
        """SIGTERM (SIGKILL after 5 s) -> (exit code, seconds it took)."""
        t = time.perf_counter()
        rc = self.driver.stop()
        return rc, time.perf_counter() - t


def start_daemon(work: Path, config: dict, device: str = "null", args: list[str] | None = None) -> Daemon:
    """One daemon on `device` (null unless asked): the one place a benchmark mode chooses where it plays.

    `config` is merged over the tests' defaults (OSC on a free port, replies to the sender, CPU); the
    benchmarks play the daemon's default number of voices (16; the tests' driver would start 4) unless
    `config` says otherwise.
    """
    run = work / f"daemon-{time.time_ns()}"      # the driver names its config file the same each time
    run.mkdir(parents=True)
    cfg = merge({"synth": {"voices": DEFAULT_VOICES}}, merge(config, {"audio": {"device": device}}))
    return Daemon(_start_daemon(run, cfg, list(args or []), ready_timeout=READY_TIMEOUT_S))


class Client:
    def __init__(self, addr: tuple[str, int]) -> None:
        self.addr = addr
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("127.0.0.1", 0))

    def send(self, data: bytes) -> None:
        self.sock.sendto(data, self.addr)

    def recv(self, timeout: float) -> tuple[str, list] | None:
        self.sock.settimeout(timeout)
        try:
            data, _ = self.sock.recvfrom(65536)
        except (socket.timeout, OSError):
            return None
        return decode_packet(data, 4, 1024)[0]

    def wait_for(self, address: str, timeout: float = 2.0) -> list | None:
        deadline = time.perf_counter() + timeout
        while (left := deadline - time.perf_counter()) > 0:
            m = self.recv(left)
            if m is None:
                return None
            if m[0] == address:
                return m[1]
        return None

    def drain(self) -> None:
        while self.recv(0.05) is not None:
            pass

    def status(self) -> dict[str, Any]:
        self.drain()
        self.send(encode_message("/status"))
        args = self.wait_for("/status.reply", 2.0) or []
        return dict(zip(args[0::2], args[1::2]))


def bundle_config(name: str) -> dict[str, Any]:
    """The config that plays the shipped bundle `name` (`bundle.path`, so a SIGHUP reloads that same bundle)."""
    bundles = shipped_bundles()
    if name not in bundles:
        raise SystemExit(f"no shipped bundle named {name!r}; known: {', '.join(bundles)}")
    return {"bundle": {"path": str(bundles[name])}}


def pct(values: list[float]) -> dict[str, float]:
    """n, p50, p99, max and mean of `values` (just n=0 when there are none)."""
    if not values:
        return {"n": 0}
    a = np.asarray(values)
    return {"n": len(values), "p50": float(np.percentile(a, 50)), "p99": float(np.percentile(a, 99)),
            "max": float(a.max()), "mean": float(a.mean())}


def random_points(box: Box, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` latents [n, L], uniform in the trained box: nothing repeats, nothing is clamped."""
    return box.lo + (box.hi - box.lo) * rng.random((n, len(box.lo)))


def random_latents(address: str, box: Box, n: int, rng: np.random.Generator) -> list[bytes]:
    """`n` datagrams `address z0 .. zL-1` (`random_points`)."""
    return [encode_message(address, [float(v) for v in row]) for row in random_points(box, n, rng)]


def square_frames(n: int, side: int, rng: np.random.Generator) -> list[bytes]:
    """`n` grey uint8 pictures `side` x `side` (row-major bytes, a lone `/frame` blob): the square world's glowing
    square at random positions, area-resized from its 128 x 128. The same pictures for every bundle: a world that
    fits them to its own size (digits-fm) does the same work for any content."""
    from PIL import Image

    from isudt.daemon.bundle import load_manifest
    from isudt.daemon.square import render_square

    spec = load_manifest(shipped_bundles()["square-sine"], verify=False).square
    assert spec is not None, "the square-sine bundle has a square"
    out = []
    for _ in range(n):
        img = np.round(render_square(int(rng.integers(spec.positions)), int(rng.integers(spec.positions)), spec)
                       * 255).astype(np.uint8)
        if side != img.shape[0]:
            img = np.asarray(Image.fromarray(img).resize((side, side), Image.Resampling.BOX), np.uint8)
        out.append(img.tobytes())
    return out


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"host": platform.node(), "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "loadavg_at_start": os.getloadavg()}


def merge(base: dict, extra: dict) -> dict:
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for k, v in extra.items():
        out[k] = {**out.get(k, {}), **v} if isinstance(v, dict) else v
    return out


def write_results(results: dict, out: str | None, stem: str) -> Path:
    """Write `results` as JSON to `out`, or to bench/results/STEM.json; say where."""
    path = Path(out) if out else ROOT / "bench" / "results" / f"{stem}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=float))
    print(f"\nwrote {path}")
    return path
