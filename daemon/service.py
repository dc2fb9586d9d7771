"""`isudt service install [--user|--system] [--prefix DIR] [--exec PATH]`.

Writes the systemd unit and, only if none exists, a default config where
systemd and the daemon look for them, then prints the `systemctl` commands
to run. It never calls systemctl itself: installing and enabling a service
are separate decisions, and `--prefix` (a DESTDIR-style root for packaging
and tests) must not touch the running system.

The unit files live in the source tree's `systemd/` folder (or the
`isudt.systemd` package data of an installed wheel); this module only fills
in the machine-specific parts: the absolute path of the installed `isudt`
script (systemd needs one, and a pyenv shim or a PATH lookup would not work
in the service's environment) and the sandbox lines this machine can honour.
"""
from __future__ import annotations

import os
import pwd
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

UNIT_NAME = "isudt.service"
TEMPLATE_EXEC = "/usr/local/bin/isudt"  # the placeholder path the shipped unit files carry
SANDBOX_BEGIN = "# --- namespaced sandbox"
SANDBOX_END = "# --- end namespaced sandbox"
HOME_TREES = ("/home", "/root", "/run/user")  # what ProtectHome= hides

FALLBACK_CONFIG = """\
# isudt configuration. Every key is optional; `isudt config --print-default`
# prints the full default configuration with comments.
{}
"""


class InstallError(Exception):
    """Something the user must fix; the message is one line naming the path and the remedy."""


@dataclass(frozen=True)
class Target:
    """Where one scope's files go (without the prefix) and how it is driven."""

    scope: str
    template: str          # file name in systemd/
    unit_path: Path
    config_path: Path
    systemctl: str         # "systemctl --user" or "systemctl"
    journalctl: str


def user_target() -> Target:
    """Paths systemd's user manager and the user unit's `%E` resolve to."""
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return Target("user", "isudt-user.service", config_home / "systemd/user" / UNIT_NAME,
                  config_home / "isudt/config.yaml", "systemctl --user", "journalctl --user")


def system_target() -> Target:
    return Target("system", "isudt.service", Path("/etc/systemd/system") / UNIT_NAME,
                  Path("/etc/isudt/config.yaml"), "systemctl", "journalctl")


def under_prefix(prefix: str, path: Path) -> Path:
    """DESTDIR semantics: `--prefix /tmp/x` puts /etc/isudt/config.yaml at /tmp/x/etc/isudt/config.yaml."""
    return Path(prefix) / path.relative_to(path.anchor) if prefix else path


def template_text(name: str) -> str:
    """The shipped unit file: package data of an installed wheel, else the source checkout's systemd/."""
    try:
        from importlib import resources

        return resources.files("isudt.systemd").joinpath(name).read_text()
    except (ImportError, FileNotFoundError, ModuleNotFoundError, TypeError):
        pass
    path = Path(__file__).resolve().parents[1] / "systemd" / name
    if not path.is_file():
        raise InstallError(f"unit template {name} not found (looked in isudt.systemd and {path.parent})")
    return path.read_text()


def find_executable(explicit: str | None) -> Path:
    """The installed `isudt` script, as an absolute path systemd can exec without PATH or shims.

    The script next to the running interpreter comes first: in a virtualenv it
    is the venv's own entry point, while `which isudt` may find a pyenv shim
    that only works in an interactive shell.
    """
    if explicit:
        p = Path(explicit)
        if not p.is_absolute():
            raise InstallError(f"--exec {explicit}: systemd needs an absolute path")
        if not (p.is_file() and os.access(p, os.X_OK)):
            raise InstallError(f"--exec {explicit}: not an executable file")
        return p
    candidates = [Path(sys.executable).parent / "isudt"]
    if Path(sys.argv[0]).name == "isudt":
        candidates.append(Path(sys.argv[0]).absolute())
    found = shutil.which("isudt")
    if found and "/shims/" not in found:
        candidates.append(Path(found).absolute())
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    raise InstallError("cannot find the installed `isudt` script next to "
                       f"{sys.executable}; install the package (pip install .) or pass --exec /path/to/isudt")


def systemd_quote(path: Path) -> str:
    """A path as one ExecStart= word: '%' is a specifier, whitespace needs quotes."""
    s = str(path).replace("%", "%%")
    return f'"{s}"' if any(ch.isspace() for ch in s) or '"' in s else s


def user_namespaces_available(proc_sys: Path = Path("/proc/sys")) -> bool:
    """Whether an unprivileged user manager can set up the namespaced sandbox (it implies PrivateUsers=yes)."""
    checks = (("user/max_user_namespaces", lambda v: v > 0),
              ("kernel/unprivileged_userns_clone", lambda v: v != 0),            # Debian's older switch
              ("kernel/apparmor_restrict_unprivileged_userns", lambda v: v == 0))  # Ubuntu 23.10+
    for rel, ok in checks:
        try:
            value = int((proc_sys / rel).read_text().strip())
        except (OSError, ValueError):
            continue
        if not ok(value):
            return False
    return True


def comment_out_sandbox(text: str) -> str:
    """Comment out the namespaced-sandbox block so the unit still starts without user namespaces."""
    out, inside = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith(SANDBOX_END):
            inside = False
        elif line.startswith(SANDBOX_BEGIN):
            inside = True
        elif inside and line.strip() and not line.startswith("#"):
            line = "#" + line
        out.append(line)
    return "".join(out)


def under_home(path: Path) -> bool:
    p = str(path)
    return any(p == t or p.startswith(t + "/") for t in HOME_TREES)


def render_unit(target: Target, exe: Path, proc_sys: Path = Path("/proc/sys")) -> tuple[str, list[str]]:
    """The unit text for this machine, plus notes on what was changed from the shipped file and why."""
    text = template_text(target.template)
    if TEMPLATE_EXEC + " " not in text:
        raise InstallError(f"unit template {target.template} has no 'ExecStart={TEMPLATE_EXEC} ...' line")
    text = text.replace(f"ExecStart={TEMPLATE_EXEC} ", f"ExecStart={systemd_quote(exe)} ", 1)
    notes: list[str] = []
    if target.scope == "system" and (under_home(exe) or under_home(Path(sys.prefix))):
        text = text.replace("\nProtectHome=yes\n", "\nProtectHome=read-only\n")
        notes.append(f"isudt is installed under a home directory ({exe}), so the unit uses ProtectHome=read-only "
                     "and the isudt user must be able to read that directory; a system-wide install "
                     "(e.g. a venv in /opt/isudt) allows ProtectHome=yes")
    if target.scope == "user" and not user_namespaces_available(proc_sys):
        text = comment_out_sandbox(text)
        notes.append("this kernel forbids unprivileged user namespaces, so the unit's namespaced sandbox "
                     "(ProtectSystem=, ProtectHome=, PrivateTmp=, ...) is commented out; it would fail with 226/NAMESPACE")
    return text, notes


def default_config() -> str:
    """The daemon's shipped default YAML (what `isudt config --print-default` prints), comments included."""
    try:
        from .config import default_text
    except ImportError:  # a daemon without a config module still gets a valid (empty) file
        return FALLBACK_CONFIG
    return default_text()


def write_file(path: Path, text: str, mode: int) -> None:
    """Write atomically (temp file + rename) so a reinstall never leaves half a unit behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_text(text)
        tmp.chmod(mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def next_steps(target: Target) -> list[str]:
    """The commands to run after installing, with sudo where the scope needs root."""
    sudo = "sudo " if target.scope == "system" and os.geteuid() != 0 else ""
    steps = []
    if target.scope == "system" and not _user_exists("isudt"):
        steps.append(f"{sudo}useradd --system --no-create-home --shell /usr/sbin/nologin --groups audio isudt")
    steps += [f"{sudo}{target.systemctl} daemon-reload",
              f"{sudo}{target.systemctl} enable --now {UNIT_NAME}",
              f"{target.systemctl} status {UNIT_NAME}",
              f"{target.journalctl} -u {UNIT_NAME} -f"]
    if target.scope == "user":
        steps.append("loginctl enable-linger \"$USER\"   # optional: keep it running when you log out")
    return steps


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def install(scope: str, prefix: str = "", exec_path: str | None = None,
            proc_sys: Path = Path("/proc/sys"), out=None) -> int:
    """Write unit and config; print what happened and what to run next."""
    out = out or sys.stdout
    target = user_target() if scope == "user" else system_target()
    exe = find_executable(exec_path)
    unit_text, notes = render_unit(target, exe, proc_sys)
    unit_path = under_prefix(prefix, target.unit_path)
    config_path = under_prefix(prefix, target.config_path)
    existed = unit_path.exists()
    _guarded(unit_path, scope, lambda: write_file(unit_path, unit_text, 0o644))
    print(f"{'updated' if existed else 'wrote'} {target.scope} unit {unit_path} (ExecStart={exe})", file=out)
    if config_path.exists():
        print(f"kept existing config {config_path}", file=out)
    else:
        text = default_config()
        _guarded(config_path, scope, lambda: write_file(config_path, text, 0o644))
        print(f"wrote default config {config_path}", file=out)
    for note in notes:
        print(f"note: {note}", file=out)
    if prefix:
        print(f"note: files were written under {prefix}; the unit refers to {target.config_path}", file=out)
    print("next:", file=out)
    for step in next_steps(target):
        print(f"  {step}", file=out)
    return 0


def _guarded(path: Path, scope: str, write) -> None:
    """Turn filesystem errors into one line that says what to do."""
    try:
        write()
    except PermissionError:
        hint = "run it with sudo, or install the user unit with --user" if scope == "system" \
            else "check the ownership of that directory"
        raise InstallError(f"cannot write {path}: permission denied; {hint}") from None
    except OSError as e:
        raise InstallError(f"cannot write {path}: {e.strerror or e}") from None


def main(args) -> int:
    try:
        return install(args.scope or "user", args.prefix or "", getattr(args, "exec_path", None))
    except InstallError as e:
        print(f"isudt service install: {e}", file=sys.stderr)
        return 1

