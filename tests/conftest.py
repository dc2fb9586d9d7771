"""Shared fixtures. Heavier helpers live in tests/support/ (jack.py, daemon.py)."""
from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))


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
