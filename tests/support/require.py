"""What a test needs from the machine: skipped where it is missing on a developer's machine, FAILED in CI.

A developer without Pd, a C compiler or jackd still runs the rest of the
suite; CI must not pass by skipping. So every test that needs something the
suite cannot provide itself asks through `require` (or `require_tool`,
`require_module`), which skips the test here and fails it in CI. CI is
`CI=true` in the environment (what hosted runners set), or the variable
named for the thing set to 1; .ci/run sets all of them:

| variable              | what must be there                                   | Debian                        |
| --------------------- | ---------------------------------------------------- | ----------------------------- |
| ISUDT_REQUIRE_JACK    | jackd                                                | jackd2                        |
| ISUDT_REQUIRE_PD      | pd (Pure Data, -nogui)                               | puredata-core puredata-extra  |
| ISUDT_REQUIRE_PDGUI   | pd's GUI, wish and Xvfb (the patch layout test)      | puredata-gui xvfb             |
| ISUDT_REQUIRE_CC      | a C compiler (the engine's sanitizer driver)         | gcc libc6-dev                 |
| ISUDT_REQUIRE_SYSTEMD | systemd-analyze (the unit files' check)              | systemd                       |
| ISUDT_REQUIRE_ONNX    | the `onnx` Python package (tests build tiny bundles) | pip: .[test,train]            |
| ISUDT_REQUIRE_DAEMON  | the daemon importable, its C engine built            | pip install -e .              |
"""
from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType

import pytest

VARIABLES = ("ISUDT_REQUIRE_JACK", "ISUDT_REQUIRE_PD", "ISUDT_REQUIRE_PDGUI", "ISUDT_REQUIRE_CC",
             "ISUDT_REQUIRE_SYSTEMD", "ISUDT_REQUIRE_ONNX", "ISUDT_REQUIRE_DAEMON")


def in_ci() -> bool:
    """`CI=true` (or 1): every requirement is strict."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def strict(variable: str) -> bool:
    """Whether a missing thing fails the test (CI, or its ISUDT_REQUIRE_* variable set to 1)."""
    return in_ci() or os.environ.get(variable) == "1"


def require(problem: str | None, variable: str) -> None:
    """Nothing when `problem` is None; otherwise skip the test here, or fail it where `variable` makes it strict."""
    if problem is None:
        return
    if strict(variable):
        why = "CI=true" if in_ci() else f"{variable}=1"
        pytest.fail(f"{problem}, and {why} says it must be there", pytrace=False)
    pytest.skip(problem)


def require_tool(*names: str, variable: str, install: str) -> str:
    """The path of the first of `names` on PATH; `install` says how to get it (e.g. "apt-get install gcc")."""
    for name in names:
        path = shutil.which(name)
        if path is not None:
            return path
    require(f"{' or '.join(names)} is not installed ({install})", variable)
    raise AssertionError("unreachable: require() skips or fails")   # for the type checker


def require_module(name: str, variable: str) -> ModuleType:
    """`pytest.importorskip`, failing instead of skipping where `variable` makes it strict."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        require(f"{name} is not importable ({e})", variable)
        raise AssertionError("unreachable: require() skips or fails") from None
