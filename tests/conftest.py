"""Shared fixtures, and the `process` marker. Heavier helpers live in tests/support/ (jack.py, daemon.py).

`process`: the test starts a process (a daemon, jackd, Pd, Xvfb, gcc, a
Python child...). `make test-fast` runs `-m "not process"`. A test is marked
here when it uses one of PROCESS_FIXTURES (directly or through another
fixture); a test that spawns a process itself carries `@pytest.mark.process`
(or its module's `pytestmark`).
"""
from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

# the fixtures of tests/support/, for every test module (no re-exports in the modules)
pytest_plugins = ["support.daemon", "support.jack"]

# fixtures that start a process: the daemon, jackd, Pd, Xvfb + the Pd GUI
PROCESS_FIXTURES = frozenset({
    "daemon_factory",                  # support/daemon.py: `isudt serve`
    "jackd", "jackd_rt", "jackd_sync",  # support/jack.py: a private jackd
    "pd_synth",                        # test_pd.py: Pd playing the synth patch
    "daemon",                          # test_notify.py: `isudt serve` under a fake NOTIFY_SOCKET
    "display", "drawn",                # test_patch_layout.py: Xvfb and the Pd GUI
})


# fixtures that take tens of seconds of CPU (no process): tiny trainings, a re-evaluation of the bundle
SLOW_FIXTURES = frozenset({
    "tiny_runs",                       # test_models_training.py, test_reverse_training.py
    "remeasured",                      # test_bundle.py: `isudt eval` of the shipped bundle
})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & PROCESS_FIXTURES:
            item.add_marker(pytest.mark.process)
        if used & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def bundle_dir() -> Path:
    from isudt.daemon.bundle import default_bundle_dir
    return default_bundle_dir()


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def udp_port() -> int:
    return free_udp_port()
