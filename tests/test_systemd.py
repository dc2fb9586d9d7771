"""The systemd units and `isudt service install`, checked with the real systemd tools.

`systemd-analyze verify` needs ExecStart='s binary to exist, so the units are
verified as `isudt service install --prefix` writes them (pointing at the
installed `isudt` script), which is also what a user would run.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from isudt.daemon import service
from support.require import require_tool

ROOT = Path(__file__).resolve().parents[1]
UNITS = {"system": ROOT / "systemd" / "isudt.service", "user": ROOT / "systemd" / "isudt-user.service"}
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.usefixtures("analyze_installed")


@pytest.fixture
def analyze_installed() -> None:
    """systemd-analyze: skipped without it here, a failure in CI (support/require.py)."""
    require_tool("systemd-analyze", variable="ISUDT_REQUIRE_SYSTEMD", install="Debian: apt install systemd")
# what verify prints for a misspelt or misplaced directive
BAD_WORDS = ("Unknown key", "Unknown section", "Unknown lvalue", "Invalid", "Failed to parse", "is not executable")


def directives(path: Path) -> dict[str, list[str]]:
    """`Key` -> values, over all sections (systemd allows repeated keys)."""
    out: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            k, v = line.split("=", 1)
            out.setdefault(k.strip(), []).append(v.strip())
    return out


def run_install(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "XDG_CONFIG_HOME"}
    env["HOME"] = str(tmp_path / "home")
    return subprocess.run([sys.executable, "-m", "isudt.daemon.cli", "service", "install",
                           "--prefix", str(tmp_path / "root"), *extra],
                          env=env, capture_output=True, text=True, timeout=60)


def user_paths(tmp_path: Path) -> tuple[Path, Path]:
    home = service.under_prefix(str(tmp_path / "root"), tmp_path / "home")
    return home / ".config/systemd/user/isudt.service", home / ".config/isudt/config.yaml"


def system_paths(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "root"
    return root / "etc/systemd/system/isudt.service", root / "etc/isudt/config.yaml"


def verify(unit: Path, user: bool, tmp_path: Path) -> subprocess.CompletedProcess:
    """`systemd-analyze [--user] verify`; the user manager needs an XDG_RUNTIME_DIR, a private one here."""
    env = dict(os.environ)
    cmd = [ANALYZE]
    if user:
        runtime = tmp_path / "xdg-runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        env["XDG_RUNTIME_DIR"] = str(runtime)
        cmd.append("--user")
    return subprocess.run(cmd + ["verify", str(unit)], env=env, capture_output=True, text=True, timeout=60)


def assert_clean(result: subprocess.CompletedProcess) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not any(w in output for w in BAD_WORDS), output


# --- the shipped unit files -------------------------------------------------------------------

@pytest.mark.parametrize("scope", ["system", "user"])
def test_units_common_directives(scope: str) -> None:
    d = directives(UNITS[scope])
    assert d["Type"] == ["notify"] and d["NotifyAccess"] == ["main"]
    assert d["Restart"] == ["on-failure"] and d["RestartSec"] and d["WatchdogSec"] == ["10s"]
    assert d["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert d["ExecStart"][0].startswith(service.TEMPLATE_EXEC + " serve --config ")
    assert d["RestrictRealtime"] == ["no"] and d["NoNewPrivileges"] == ["yes"]
    families = d["RestrictAddressFamilies"][0].split()
    assert {"AF_UNIX", "AF_INET", "AF_INET6"} <= set(families)  # UDP for OSC, unix for the sound server
    for key in ("ProtectSystem", "ProtectHome", "PrivateTmp", "ProtectKernelTunables",
                "ProtectKernelModules", "ProtectControlGroups", "LockPersonality", "TimeoutStopSec"):
        assert key in d, key


def test_system_unit_is_for_a_dedicated_audio_user() -> None:
    d = directives(UNITS["system"])
    assert d["User"] == ["isudt"] and d["SupplementaryGroups"] == ["audio"]
    assert d["DevicePolicy"] == ["closed"] and d["DeviceAllow"] == ["char-alsa rw"]
    assert d["ProtectSystem"] == ["strict"] and d["ProtectHome"] == ["yes"]
    assert "LimitRTPRIO" in d and "LimitMEMLOCK" in d
    assert d["ExecStart"][0].endswith("--config /etc/isudt/config.yaml")
    assert d["WantedBy"] == ["multi-user.target"]


def test_user_unit_uses_home_config_and_no_privileged_settings() -> None:
    d = directives(UNITS["user"])
    assert d["ExecStart"][0].endswith("--config %E/isudt/config.yaml")
    assert d["ProtectHome"] == ["read-only"]  # the config lives in ~
    # a user manager cannot switch users, groups or device policy, nor raise hard limits
    for key in ("User", "SupplementaryGroups", "DevicePolicy", "DeviceAllow", "LimitRTPRIO", "LimitMEMLOCK"):
        assert key not in d, key
    assert d["WantedBy"] == ["default.target"]


# --- systemd-analyze verify on what `service install` writes ----------------------------------

@pytest.mark.process
@needs_analyze
def test_verify_system_unit(tmp_path: Path) -> None:
    assert run_install(tmp_path, "--system").returncode == 0
    assert_clean(verify(system_paths(tmp_path)[0], user=False, tmp_path=tmp_path))


@pytest.mark.process
@needs_analyze
def test_verify_user_unit(tmp_path: Path) -> None:
    assert run_install(tmp_path, "--user").returncode == 0
    assert_clean(verify(user_paths(tmp_path)[0], user=True, tmp_path=tmp_path))


@pytest.mark.process
@needs_analyze
def test_verify_user_unit_without_user_namespaces(tmp_path: Path) -> None:
    """On kernels without unprivileged userns the namespaced block is commented out and the unit still verifies."""
    proc = tmp_path / "proc-sys"
    (proc / "user").mkdir(parents=True)
    (proc / "user/max_user_namespaces").write_text("0\n")
    text, notes = service.render_unit(service.user_target(), Path(sys.executable), proc_sys=proc)
    assert notes and "226/NAMESPACE" in notes[0]
    d = {k for k in directives_text(text)}
    assert not d & {"ProtectSystem", "ProtectHome", "PrivateTmp"}
    assert {"NoNewPrivileges", "SystemCallFilter", "RestrictAddressFamilies"} <= d
    unit = tmp_path / "isudt.service"
    unit.write_text(text)
    assert_clean(verify(unit, user=True, tmp_path=tmp_path))


def directives_text(text: str) -> list[str]:
    return [ln.split("=", 1)[0] for ln in text.splitlines() if ln and ln[0].isalpha() and "=" in ln]


@pytest.mark.process
@needs_analyze
def test_verify_catches_a_bad_directive(tmp_path: Path) -> None:
    """Guard for the checks above: a misspelt key must make them fail."""
    unit = tmp_path / "isudt.service"
    unit.write_text(UNITS["system"].read_text().replace(service.TEMPLATE_EXEC, sys.executable)
                    .replace("WatchdogSec=", "WatchdogSecs="))
    with pytest.raises(AssertionError):
        assert_clean(verify(unit, user=False, tmp_path=tmp_path))


# --- `isudt service install` ------------------------------------------------------------------

@pytest.mark.process
def test_install_user_writes_unit_and_config(tmp_path: Path) -> None:
    r = run_install(tmp_path)  # --user is the default
    assert r.returncode == 0, r.stderr
    unit, config = user_paths(tmp_path)
    assert unit.is_file() and config.is_file()
    exe = directives(unit)["ExecStart"][0].split()[0]
    assert Path(exe).is_absolute() and os.access(exe, os.X_OK) and exe != service.TEMPLATE_EXEC
    for cmd in ("systemctl --user daemon-reload", "systemctl --user enable --now isudt.service",
                "systemctl --user status isudt.service", "journalctl --user -u isudt.service -f"):
        assert cmd in r.stdout, r.stdout
    assert str(unit) in r.stdout and str(config) in r.stdout


@pytest.mark.process
def test_install_system_writes_unit_and_config(tmp_path: Path) -> None:
    r = run_install(tmp_path, "--system")
    assert r.returncode == 0, r.stderr
    unit, config = system_paths(tmp_path)
    assert unit.is_file() and config.is_file()
    assert "systemctl daemon-reload" in r.stdout and "enable --now isudt.service" in r.stdout
    assert "journalctl -u isudt.service -f" in r.stdout
    assert not (tmp_path / "home").exists()  # nothing outside the prefix


@pytest.mark.process
def test_install_never_overwrites_config_but_updates_unit(tmp_path: Path) -> None:
    assert run_install(tmp_path, "--system").returncode == 0
    unit, config = system_paths(tmp_path)
    config.write_text("osc:\n  port: 9999  # the user's own edit\n")
    unit.write_text("stale\n")
    r = run_install(tmp_path, "--system")
    assert r.returncode == 0 and "kept existing config" in r.stdout
    assert config.read_text() == "osc:\n  port: 9999  # the user's own edit\n"
    assert directives(unit)["Type"] == ["notify"]


def test_default_config_is_the_daemons_default() -> None:
    text = service.default_config()
    try:
        import isudt.daemon.config  # noqa: F401
    except ImportError:
        assert text == service.FALLBACK_CONFIG
        return
    import yaml

    assert isinstance(yaml.safe_load(text), dict)


def test_install_permission_denied_says_sudo(tmp_path: Path, monkeypatch, capsys) -> None:
    """Tests usually run as root, so the denial is simulated at the write."""
    def deny(path, text, mode):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(service, "write_file", deny)
    args = type("Args", (), {"scope": "system", "prefix": str(tmp_path), "exec_path": None})()
    assert service.main(args) == 1
    err = capsys.readouterr().err
    assert "permission denied" in err and "sudo" in err and "--user" in err
    assert "Traceback" not in err


@pytest.mark.process
def test_install_rejects_relative_exec(tmp_path: Path) -> None:
    r = run_install(tmp_path, "--exec", "bin/isudt")
    assert r.returncode == 1 and "absolute path" in r.stderr and "Traceback" not in r.stderr


def test_protect_home_relaxed_only_for_installs_under_home(monkeypatch) -> None:
    monkeypatch.setattr(sys, "prefix", "/opt/isudt/venv")
    text, _ = service.render_unit(service.system_target(), Path("/opt/isudt/venv/bin/isudt"))
    assert "\nProtectHome=yes\n" in text and "ExecStart=/opt/isudt/venv/bin/isudt serve" in text
    text, notes = service.render_unit(service.system_target(), Path("/home/ann/.venv/bin/isudt"))
    assert "\nProtectHome=read-only\n" in text and notes


def test_exec_paths_are_quoted_for_systemd() -> None:
    assert service.systemd_quote(Path("/opt/isudt/bin/isudt")) == "/opt/isudt/bin/isudt"
    assert service.systemd_quote(Path("/opt/my apps/isudt")) == '"/opt/my apps/isudt"'
    assert service.systemd_quote(Path("/opt/100%/isudt")) == "/opt/100%%/isudt"
