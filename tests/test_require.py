"""support/require.py: a missing tool skips a test on a developer's machine and fails it in CI."""
from __future__ import annotations

import pytest

from support.require import VARIABLES, require, require_module, require_tool


@pytest.fixture
def local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    for v in VARIABLES:
        monkeypatch.delenv(v, raising=False)


def test_present_is_silent(local: None) -> None:
    require(None, "ISUDT_REQUIRE_PD")
    assert require_tool("no-such-tool-isudt", "sh", variable="ISUDT_REQUIRE_PD", install="-").endswith("sh")
    assert require_module("json", "ISUDT_REQUIRE_ONNX").dumps([]) == "[]"


def test_missing_skips_locally(local: None) -> None:
    with pytest.raises(pytest.skip.Exception, match="no-such-tool-isudt is not installed"):
        require_tool("no-such-tool-isudt", variable="ISUDT_REQUIRE_PD", install="apt-get install it")
    with pytest.raises(pytest.skip.Exception, match="not importable"):
        require_module("no_such_module_isudt", "ISUDT_REQUIRE_ONNX")


@pytest.mark.parametrize("env", [{"CI": "true"}, {"CI": "1"}, {"ISUDT_REQUIRE_PD": "1"}])
def test_missing_fails_in_ci(local: None, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(pytest.fail.Exception, match="must be there"):
        require_tool("no-such-tool-isudt", variable="ISUDT_REQUIRE_PD", install="apt-get install it")
    with pytest.raises(pytest.fail.Exception if "CI" in env else pytest.skip.Exception):
        require_module("no_such_module_isudt", "ISUDT_REQUIRE_ONNX")   # strict for its own variable only


def test_ci_run_makes_every_requirement_strict() -> None:
    from pathlib import Path
    run = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    for v in VARIABLES:
        assert f"export {v}=1" in run, v
