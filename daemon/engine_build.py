"""CFFI build script for the C audio engine (API mode): `pip install .` runs it through setup.py.

Why CFFI in API mode: the engine's callback must be a plain C function pointer
that PortAudio calls directly (no Python on the audio thread), and
`sounddevice`'s stream base class accepts exactly that (callback + userdata).
The native JACK backend (jack_backend.c) is compiled into the same module: its
process callback calls the engine's callback in C. It dlopen()s libjack at run
time, so building needs neither JACK's headers nor libjack (hence "dl").
API mode compiles a real extension module, so the compiler checks our
declarations against engine.h instead of trusting a hand-copied ABI.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import sysconfig
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
CFLAGS = ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-fno-math-errno"]


def cdef_of(header: Path) -> str:
    """engine.h without preprocessor lines, except integer #defines (which CFFI understands)."""
    keep = []
    for line in header.read_text().splitlines():
        if line.startswith("#") and not re.match(r"#define\s+\w+\s+\d+\s*(/\*.*\*/)?\s*$", line):
            continue
        keep.append(re.sub(r"/\*.*?\*/", "", line))
    return "\n".join(keep)


def check_toolchain() -> None:
    """Fail early, saying what to install, rather than with a compiler's first error."""
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None and shutil.which("cc") is None:
        sys.exit(f"isudt: building the audio engine needs a C compiler ({cc}); on Debian: apt-get install gcc libc6-dev")
    include = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not include.exists():
        sys.exit(f"isudt: building the audio engine needs the Python headers ({include} is missing); "
                 "on Debian: apt-get install python3-dev")


ffibuilder = FFI()
ffibuilder.cdef(cdef_of(HERE / "engine.h") + "\n" + cdef_of(HERE / "jack_backend.h"))
# setuptools wants paths relative to setup.py (the working directory when pip builds)
_rel = os.path.relpath(HERE)
ffibuilder.set_source("isudt.daemon._engine", '#include "engine.h"\n#include "jack_backend.h"',
                      sources=[os.path.join(_rel, "engine.c"), os.path.join(_rel, "jack_backend.c")],
                      include_dirs=[_rel], extra_compile_args=CFLAGS, libraries=["m", "dl", "pthread"],
                      depends=[os.path.join(_rel, n) for n in ("engine.h", "jack_backend.h")])

if __name__ == "__main__":
    check_toolchain()
    ffibuilder.compile(verbose=True)
