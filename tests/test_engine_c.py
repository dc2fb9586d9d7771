"""The C engine on its own: warning-free under -Wall -Wextra, and clean under AddressSanitizer + UBSan.

tests/c/engine_check.c drives every entry point (random commands, odd block
sizes, duplex input, a full FIFO, the read-outs) and counts any call to
malloc/calloc/realloc/free, a mutex, a sleep or printing made by the engine
while a callback runs (linker --wrap): the real-time rules, checked.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from support.require import require_tool

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "daemon" / "engine.c"
CC = shutil.which("gcc") or shutil.which("cc")
WRAPPED = ["malloc", "calloc", "realloc", "free", "pthread_mutex_lock", "nanosleep", "puts"]

pytestmark = pytest.mark.process   # gcc, and the binary


@pytest.fixture(scope="module", autouse=True)
def compiler_installed() -> None:
    """A C compiler: skipped without one here, a failure in CI (support/require.py)."""
    require_tool("gcc", "cc", variable="ISUDT_REQUIRE_CC", install="Debian: apt-get install gcc libc6-dev")


def compile_c(out: Path, *extra: str, sources: tuple[Path, ...] = (ENGINE,)) -> subprocess.CompletedProcess:
    cmd = [CC, "-std=gnu11", "-Wall", "-Wextra", "-Werror", f"-I{ROOT / 'daemon'}", *extra,
           *map(str, sources), "-lm", "-o", str(out)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_engine_compiles_without_warnings(tmp_path: Path) -> None:
    res = compile_c(tmp_path / "engine.o", "-O2", "-c")
    assert res.returncode == 0 and res.stderr == "", res.stderr


def test_engine_is_clean_under_address_sanitizer(tmp_path: Path) -> None:
    exe = tmp_path / "engine_check"
    res = compile_c(exe, "-O1", "-g", "-fsanitize=address,undefined", "-fno-omit-frame-pointer",
                    "-Wl,--wrap=" + ",--wrap=".join(WRAPPED),
                    sources=(ENGINE, ROOT / "tests" / "c" / "engine_check.c"))
    assert res.returncode == 0, res.stderr
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0",
               UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120, env=env)
    print(run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().endswith("OK") and "forbidden 0" in run.stdout
    assert "ERROR: AddressSanitizer" not in run.stderr and "runtime error" not in run.stderr
