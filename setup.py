"""Only for the C audio engine: setuptools needs `cffi_modules` here (pyproject.toml has the rest)."""
import sys
from pathlib import Path

from setuptools import setup

sys.path.insert(0, str(Path(__file__).resolve().parent / "daemon"))
from engine_build import check_toolchain  # noqa: E402

check_toolchain()
setup(cffi_modules=["daemon/engine_build.py:ffibuilder"])
