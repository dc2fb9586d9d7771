"""The daemon's configuration: YAML in, validated dataclasses out, and `isudt config`.

Why so strict: the daemon runs unattended (systemd, installations). A typo in
a key that silently falls back to a default is found weeks later in a room
full of people; so every unknown key, wrong type or out-of-range value is
refused at start, all of them at once, each message naming the key and saying
what is allowed. The defaults live in `default_config.yaml` (shipped in the
package, commented) and the dataclass defaults below mirror it; a test checks
that they agree.
"""
from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import sys
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, Callable

import yaml

from . import limits

LOG_LEVELS = ("debug", "info", "warning", "error")
PROVIDERS = ("auto", "cpu", "cuda")


class ConfigError(Exception):
    """One or more configuration problems; `problems` holds one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# --- value checks: each returns None when fine, else what is allowed ---------

def _int_range(lo: int, hi: int) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        return None if lo <= v <= hi else f"an integer {lo}..{hi}"
    return check


def _float_range(lo: float, hi: float) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        return None if lo <= v <= hi else f"a number {lo:g}..{hi:g}"
    return check


def _choice(*options: str) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        return None if v in options else "one of " + ", ".join(options)
    return check


def _host(v: str) -> str | None:
    if v == "localhost":
        return None
    try:
        ipaddress.ip_address(v)
        return None
    except ValueError:
        return "an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1) or localhost"


def _cidrs(v: list) -> str | None:
    for item in v:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            return f"addresses or CIDR ranges (e.g. 127.0.0.0/8, 192.168.1.0/24); {item!r} is neither"
    return None


def _device(v: Any) -> str | None:
    if isinstance(v, int):
        return None if v >= 0 else "auto, null, a device name or a device index >= 0"
    return None if v.strip() else "auto, null, a device name or a device index >= 0"


def _input_device(v: Any) -> str | None:
    if v is None:
        return None
    problem = _device(v)
    if problem or v in ("auto", "null"):
        return "null (no input), a device name or a device index >= 0"
    return None


def _backend(v: Any) -> str | None:
    return None if v in ("auto", "portaudio", "jack") else "auto, portaudio or jack"


def _latency(v: Any) -> str | None:
    allowed = "low, high, or a number of seconds above 0, at most 1"
    if isinstance(v, str):
        return None if v in ("low", "high") else allowed
    return None if 0 < v <= 1 else allowed


def _opt(kind: Any, check: Callable[[Any], str | None] | None = None, doc: str = "") -> dict:
    return {"kind": kind, "check": check, "doc": doc}


# kind: a type, a tuple of types (any of them), or ("list", type)

@dataclass(frozen=True)
class OscConfig:
    host: str = field(default="127.0.0.1", metadata=_opt(str, _host))
    port: int = field(default=12342, metadata=_opt(int, _int_range(0, 65535)))
    reply_host: str = field(default="127.0.0.1", metadata=_opt(str, _host))
    reply_port: int = field(default=12341, metadata=_opt(int, _int_range(0, 65535)))
    reply_to_sender: bool = field(default=True, metadata=_opt(bool))
    allow: tuple[str, ...] = field(default=("127.0.0.0/8", "::1/128"), metadata=_opt(("list", str), _cidrs))
    max_blob_bytes: int = field(default=65536, metadata=_opt(int, _int_range(1, 1 << 20)))
    max_bundle_depth: int = field(default=4, metadata=_opt(int, _int_range(0, 16)))
    max_bundle_messages: int = field(default=64, metadata=_opt(int, _int_range(1, 1024)))
    error_rate_limit: float = field(default=20.0, metadata=_opt(float, _float_range(0, 100000)))
    error_burst: int = field(default=20, metadata=_opt(int, _int_range(1, 100000)))
    status_rate_limit: float = field(default=20.0, metadata=_opt(float, _float_range(0.1, 100000)))
    max_subscribers: int = field(default=8, metadata=_opt(int, _int_range(0, 256)))
    subscription_ttl_s: float = field(default=60.0, metadata=_opt(float, _float_range(1, 86400)))
    state_rate: float = field(default=20.0, metadata=_opt(float, _float_range(1, 1000)))

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(a, strict=False) for a in self.allow]


@dataclass(frozen=True)
class AudioSection:
    device: int | str = field(default="auto", metadata=_opt((int, str), _device))
    samplerate: int = field(default=limits.DEFAULT_SAMPLERATE, metadata=_opt(int, _int_range(*limits.SAMPLERATE)))
    blocksize: int = field(default=limits.DEFAULT_BLOCKSIZE, metadata=_opt(int, _int_range(*limits.BLOCKSIZE)))
    latency: str | float = field(default="low", metadata=_opt((str, float), _latency))
    channels: int = field(default=2, metadata=_opt(int, _int_range(*limits.CHANNELS)))
    mlock: bool = field(default=False, metadata=_opt(bool))
    input: int | str | None = field(default=None, metadata=_opt((int, str, type(None)), _input_device))
    input_channels: int = field(default=1, metadata=_opt(int, _int_range(1, 32)))
    backend: str = field(default="auto", metadata=_opt(str, _backend))


@dataclass(frozen=True)
class SynthSection:
    voices: int = field(default=limits.DEFAULT_VOICES, metadata=_opt(int, _int_range(*limits.VOICES)))
    glide_ms: float = field(default=limits.DEFAULT_GLIDE_MS, metadata=_opt(float, _float_range(*limits.GLIDE_MS)))
    gain_db: float = field(default=limits.DEFAULT_GAIN_DB, metadata=_opt(float, _float_range(*limits.GAIN_DB)))
    limiter_threshold_db: float = field(default=-1.0, metadata=_opt(float, _float_range(-60, 0)))
    limiter_release_ms: float = field(default=50.0, metadata=_opt(float, _float_range(1, 5000)))
    fade_ms: float = field(default=30.0, metadata=_opt(float, _float_range(0, 500)))


@dataclass(frozen=True)
class InferenceSection:
    providers: str = field(default="auto", metadata=_opt(str, _choice(*PROVIDERS)))
    threads: int = field(default=1, metadata=_opt(int, _int_range(1, 64)))
    position_table: bool = field(default=True, metadata=_opt(bool))
    keep_warm_ms: float = field(default=5.0, metadata=_opt(float, _float_range(0, 1000)))


@dataclass(frozen=True)
class ListenSection:
    """The way back, live (`/image/listen`, daemon/listen.py)."""

    rate: float = field(default=25.0, metadata=_opt(float, _float_range(1, 100)))
    silence_db: float = field(default=-60.0, metadata=_opt(float, _float_range(-120, 0)))
    picture_size: int = field(default=64, metadata=_opt(int, _int_range(8, 128)))
    picture_list: bool = field(default=False, metadata=_opt(bool))


@dataclass(frozen=True)
class BundleSection:
    path: str | None = field(default=None, metadata=_opt((str, type(None))))
    reload_dirs: tuple[str, ...] = field(default=(), metadata=_opt(("list", str)))


@dataclass(frozen=True)
class WebSection:
    """The live web page (daemon/web/): on the daemon's own event loop, loopback only unless `host` says otherwise."""

    enabled: bool = field(default=True, metadata=_opt(bool))
    host: str = field(default="127.0.0.1", metadata=_opt(str, _host))
    port: int = field(default=12380, metadata=_opt(int, _int_range(0, 65535)))
    max_pages: int = field(default=8, metadata=_opt(int, _int_range(1, 64)))
    frame_rate: float = field(default=30.0, metadata=_opt(float, _float_range(1, 60)))


@dataclass(frozen=True)
class LoggingSection:
    level: str = field(default="info", metadata=_opt(str, _choice(*LOG_LEVELS)))


@dataclass(frozen=True)
class Config:
    osc: OscConfig = OscConfig()
    audio: AudioSection = AudioSection()
    synth: SynthSection = SynthSection()
    inference: InferenceSection = InferenceSection()
    listen: ListenSection = ListenSection()
    bundle: BundleSection = BundleSection()
    logging: LoggingSection = LoggingSection()
    web: WebSection = WebSection()
    source: str = "defaults"   # where it came from, for log lines (not a YAML key)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d.pop("source")
        for sec in d.values():
            for k, v in sec.items():
                if isinstance(v, tuple):
                    sec[k] = list(v)
        return d


SECTIONS: dict[str, type] = {f.name: f.default.__class__ for f in fields(Config) if f.name != "source"}


def _type_name(kind: Any) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false", type(None): "null"}
    if isinstance(kind, tuple) and kind and kind[0] == "list":
        return f"a list of {names[kind[1]].split(' ', 1)[1]}s"
    if isinstance(kind, tuple):
        return " or ".join(names[k] for k in kind)
    return names[kind]


def _coerce(value: Any, kind: Any) -> tuple[bool, Any]:
    """(ok, value) — strict: bools are not numbers, floats are not ints; ints are fine as floats."""
    if isinstance(kind, tuple) and kind and kind[0] == "list":
        if not isinstance(value, list):
            return False, None
        items = []
        for v in value:
            ok, c = _coerce(v, kind[1])
            if not ok:
                return False, None
            items.append(c)
        return True, tuple(items)
    if isinstance(kind, tuple):
        for k in kind:
            ok, c = _coerce(value, k)
            if ok:
                return True, c
        return False, None
    if kind is bool:
        return (True, value) if isinstance(value, bool) else (False, None)
    if kind is int:
        return (True, value) if isinstance(value, int) and not isinstance(value, bool) else (False, None)
    if kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return True, float(value)
        return False, None
    if kind is str:
        return (True, value) if isinstance(value, str) else (False, None)
    if kind is type(None):
        return (True, None) if value is None else (False, None)
    raise TypeError(kind)


def _fmt(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


def from_dict(raw: Any, where: str = "config", origins: dict[str, str] | None = None) -> Config:
    """Validate a parsed YAML mapping into a Config; raise ConfigError listing every problem."""
    origins = origins or {}
    problems: list[str] = []
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError([f"{where}: the top level must be a mapping of sections ({', '.join(SECTIONS)})"])
    built: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in SECTIONS:
            problems.append(f"{where}: {name}: unknown section; allowed: {', '.join(SECTIONS)}")
            continue
        cls = SECTIONS[name]
        if value is None:
            value = {}
        if not isinstance(value, dict):
            problems.append(f"{where}: {name}: must be a mapping of keys ({', '.join(f.name for f in fields(cls))})")
            continue
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, v in value.items():
            label = f"{name}.{key}"
            shown = f"{label} (from {origins[label]})" if label in origins else label
            f = known.get(key)
            if f is None:
                problems.append(f"{where}: {shown}: unknown key; allowed in {name}: {', '.join(known)}")
                continue
            kind, check = f.metadata["kind"], f.metadata["check"]
            ok, c = _coerce(v, kind)
            if not ok:
                problems.append(f"{where}: {shown}: {_fmt(v)} is not {_type_name(kind)}")
                continue
            if check is not None and c is not None:
                allowed = check(c)
                if allowed:
                    problems.append(f"{where}: {shown}: {_fmt(v)} is not allowed; allowed: {allowed}")
                    continue
            kwargs[key] = c
        built[name] = cls(**kwargs)
    if problems:
        raise ConfigError(problems)
    return Config(**built, source=where)


def default_text() -> str:
    """The shipped default YAML, comments included."""
    return resources.files("isudt.daemon").joinpath("default_config.yaml").read_text()


def _parse_reply(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError([f"--reply: {value!r} is not HOST:PORT (e.g. 127.0.0.1:12341)"])
    return host.strip("[]"), int(port)


def overrides_from_args(args: argparse.Namespace) -> tuple[dict, dict[str, str]]:
    """The `isudt serve` flags as a partial config mapping, plus which flag set which key."""
    out: dict[str, dict] = {}
    origins: dict[str, str] = {}

    def put(section: str, key: str, value: Any, flag: str) -> None:
        if value is not None:
            out.setdefault(section, {})[key] = value
            origins[f"{section}.{key}"] = flag

    get = lambda name: getattr(args, name, None)  # noqa: E731
    put("osc", "host", get("host"), "--host")
    put("osc", "port", get("port"), "--port")
    reply = get("reply")
    if reply is not None:
        host, port = _parse_reply(reply)
        put("osc", "reply_host", host, "--reply")
        put("osc", "reply_port", port, "--reply")
    put("osc", "reply_to_sender", get("reply_to_sender"), "--reply-to-sender")
    dev = get("device")
    if dev is not None:
        dev = int(dev) if dev.strip().isdigit() else dev
    put("audio", "device", dev, "--device")
    inp = get("input")
    if inp is not None:
        inp = int(inp) if inp.strip().isdigit() else (None if inp.strip() in ("none", "null") else inp)
        out.setdefault("audio", {})["input"] = inp
        origins["audio.input"] = "--input"
    put("audio", "blocksize", get("blocksize"), "--blocksize")
    put("audio", "samplerate", get("samplerate"), "--samplerate")
    put("bundle", "path", get("bundle"), "--bundle")
    put("inference", "providers", get("providers"), "--providers")
    put("logging", "level", get("log_level"), "--log-level")
    if get("web") is not None:
        put("web", "port", get("web"), "--web")
        put("web", "enabled", True, "--web")
    if get("no_web"):
        put("web", "enabled", False, "--no-web")
    return out, origins


def read_yaml(path: str | Path) -> Any:
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as e:
        raise ConfigError([f"{p}: cannot read it ({e.strerror or e})"]) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError([f"{p}: not valid YAML{at} ({getattr(e, 'problem', None) or e.__class__.__name__})"]) from None


def load(path: str | Path | None = None, overrides: dict | None = None,
         origins: dict[str, str] | None = None) -> Config:
    """Defaults <- file <- flag overrides, validated together."""
    raw: Any = read_yaml(path) if path else {}
    if raw is None:
        raw = {}
    where = str(path) if path else "config"
    if overrides and isinstance(raw, dict):  # a bad top level is reported by from_dict
        raw = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()}
        for section, values in overrides.items():
            cur = raw.get(section)
            raw[section] = {**(cur if isinstance(cur, dict) else {}), **values}
    return from_dict(raw, where, origins)


def load_from_args(args: argparse.Namespace) -> Config:
    overrides, origins = overrides_from_args(args)
    return load(getattr(args, "config", None), overrides, origins)


def main(args: argparse.Namespace) -> int:
    """`isudt config --print-default | --check FILE`."""
    if getattr(args, "check", None):
        try:
            load(args.check)
        except ConfigError as e:
            for line in e.problems:
                print(line, file=sys.stderr)
            return 2
        print(f"{args.check}: ok")
        return 0
    sys.stdout.write(default_text())
    return 0
