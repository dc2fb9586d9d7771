"""Config: shipped defaults, strict validation with messages that name the key and say what is allowed."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from isudt.daemon import config as cfgmod
from isudt.daemon.cli import build_parser
from isudt.daemon.config import Config, ConfigError, from_dict, load


def problems(raw: object) -> list[str]:
    with pytest.raises(ConfigError) as e:
        from_dict(raw, "test.yaml")
    return e.value.problems


def test_shipped_yaml_is_the_dataclass_defaults() -> None:
    raw = yaml.safe_load(cfgmod.default_text())
    assert from_dict(raw).to_dict() == Config().to_dict()
    # and it names every key (so --print-default documents everything)
    assert set(raw) == set(Config().to_dict())
    for section, values in Config().to_dict().items():
        assert set(raw[section]) == set(values), section


def test_empty_and_partial_files_take_defaults(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("")
    assert load(f).to_dict() == Config().to_dict()
    f.write_text("osc:\n  port: 9000\nsynth:\n  gain_db: -6\n")
    c = load(f)
    assert c.osc.port == 9000 and c.synth.gain_db == -6.0 and c.osc.host == "127.0.0.1"
    assert isinstance(c.synth.gain_db, float)


@pytest.mark.parametrize("raw, needle", [
    ({"osc": {"prot": 1}}, "test.yaml: osc.prot: unknown key; allowed in osc: host, port,"),
    ({"sound": {}}, "sound: unknown section; allowed: osc, audio, synth, inference, listen, bundle, logging"),
    ({"osc": {"port": 70000}}, "osc.port: 70000 is not allowed; allowed: an integer 0..65535"),
    ({"osc": {"port": "12342"}}, "osc.port: '12342' is not an integer"),
    ({"osc": {"port": 12342.0}}, "osc.port: 12342.0 is not an integer"),
    ({"osc": {"reply_to_sender": 1}}, "osc.reply_to_sender: 1 is not true or false"),
    ({"osc": {"host": "my-laptop"}}, "osc.host: 'my-laptop' is not allowed; allowed: an IP address"),
    ({"osc": {"allow": "127.0.0.1"}}, "osc.allow: '127.0.0.1' is not a list of strings"),
    ({"osc": {"allow": ["10.0.0.0/33"]}}, "'10.0.0.0/33' is neither"),
    ({"audio": {"device": True}}, "audio.device: True is not an integer or a string"),
    ({"audio": {"device": -1}}, "allowed: auto, null, a device name or a device index >= 0"),
    ({"audio": {"blocksize": 8}}, "audio.blocksize: 8 is not allowed; allowed: an integer 16..4096"),
    ({"audio": {"latency": "fast"}}, "allowed: low, high, or a number of seconds above 0, at most 1"),
    ({"synth": {"voices": 0}}, "synth.voices: 0 is not allowed; allowed: an integer 1..64"),
    ({"synth": {"gain_db": 40}}, "synth.gain_db: 40 is not allowed; allowed: a number -120..24"),
    ({"synth": {"fade_ms": 2000}}, "synth.fade_ms: 2000 is not allowed; allowed: a number 0..500"),
    ({"inference": {"providers": "gpu"}}, "inference.providers: 'gpu' is not allowed; allowed: one of auto, cpu, cuda"),
    ({"bundle": {"reload_dirs": "/srv"}}, "bundle.reload_dirs: '/srv' is not a list of strings"),
    ({"logging": {"level": "verbose"}}, "allowed: one of debug, info, warning, error"),
    ({"osc": [1, 2]}, "osc: must be a mapping of keys (host, port,"),
    ([1, 2], "the top level must be a mapping of sections"),
])
def test_each_problem_names_the_key_and_what_is_allowed(raw: object, needle: str) -> None:
    got = problems(raw)
    assert len(got) == 1 and needle in got[0], got


def test_every_problem_is_reported_at_once() -> None:
    got = problems({"osc": {"port": -1, "bogus": 1}, "synth": {"voices": "8"}, "extra": {}})
    assert len(got) == 4
    assert any("osc.port" in p for p in got) and any("osc.bogus" in p for p in got)
    assert any("synth.voices" in p for p in got) and any("extra" in p for p in got)


def test_accepted_shapes() -> None:
    c = from_dict({"audio": {"device": 3, "latency": 0.01}, "bundle": {"path": "/x", "reload_dirs": ["/srv/b"]},
                   "osc": {"host": "::1", "allow": ["192.168.1.0/24", "10.0.0.7"], "reply_port": 0}})
    assert c.audio.device == 3 and c.audio.latency == 0.01 and c.bundle.reload_dirs == ("/srv/b",)
    assert len(c.osc.networks()) == 2
    assert from_dict({"synth": None}).synth == Config().synth


def test_bad_yaml_says_where(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("osc:\n  port: [1,\n")
    with pytest.raises(ConfigError) as e:
        load(f)
    assert str(f) in e.value.problems[0] and "not valid YAML at line" in e.value.problems[0]
    with pytest.raises(ConfigError) as e:
        load(tmp_path / "missing.yaml")
    assert "cannot read it" in e.value.problems[0]


def serve_args(*argv: str):
    return build_parser().parse_args(["serve", *argv])


def test_flags_override_the_file_and_are_named_in_messages(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("osc:\n  port: 9000\naudio:\n  device: hw\n")
    c = cfgmod.load_from_args(serve_args("--config", str(f), "--port", "9100", "--device", "2",
                                         "--reply", "127.0.0.1:9999", "--reply-to-sender", "--blocksize", "256",
                                         "--log-level", "debug", "--providers", "cpu"))
    assert (c.osc.port, c.audio.device, c.osc.reply_port, c.audio.blocksize) == (9100, 2, 9999, 256)
    assert c.logging.level == "debug" and c.inference.providers == "cpu" and c.osc.reply_to_sender
    with pytest.raises(ConfigError) as e:
        cfgmod.load_from_args(serve_args("--port", "70000"))
    assert "osc.port (from --port): 70000 is not allowed" in e.value.problems[0]
    with pytest.raises(ConfigError) as e:
        cfgmod.load_from_args(serve_args("--reply", "nowhere"))
    assert "--reply: 'nowhere' is not HOST:PORT" in e.value.problems[0]
    c = cfgmod.load_from_args(serve_args("--reply", "[::1]:5000"))
    assert (c.osc.reply_host, c.osc.reply_port) == ("::1", 5000)


def test_config_subcommand(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from isudt.daemon.cli import main
    assert main(["config", "--print-default"]) == 0
    assert capsys.readouterr().out == cfgmod.default_text()
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("synth:\n  voices: 4\n")
    bad.write_text("synth:\n  voices: 100\n  glide: 3\n")
    assert main(["config", "--check", str(good)]) == 0
    assert "ok" in capsys.readouterr().out
    assert main(["config", "--check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "synth.voices: 100 is not allowed" in err and "synth.glide: unknown key" in err


@pytest.mark.process
def test_serve_refuses_a_bad_config_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("osc:\n  port: 123456\n")
    r = subprocess.run([sys.executable, "-m", "isudt.daemon.cli", "serve", "--config", str(bad)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "osc.port: 123456 is not allowed; allowed: an integer 0..65535" in r.stderr
    assert "Traceback" not in r.stderr


def test_the_engine_and_the_output_read_their_sections_in_one_place() -> None:
    from dataclasses import replace

    from isudt.daemon.audio_out import AudioConfig
    from isudt.daemon.engine import SynthConfig
    cfg = from_dict({"audio": {"samplerate": 44100, "channels": 1, "blocksize": 256, "latency": 0.02},
                     "synth": {"voices": 3, "glide_ms": 12.5, "gain_db": -6.0, "limiter_threshold_db": -2.0,
                               "limiter_release_ms": 80.0, "fade_ms": 5.0}})
    assert SynthConfig.from_config(cfg) == SynthConfig(samplerate=44100, voices=3, channels=1, glide_ms=12.5,
                                                       gain_db=-6.0, limiter_threshold_db=-2.0,
                                                       limiter_release_ms=80.0, fade_ms=5.0, in_channels=0)
    duplex = replace(cfg, audio=replace(cfg.audio, input="mic", input_channels=2))
    assert SynthConfig.from_config(duplex).in_channels == 2
    assert SynthConfig.from_config(duplex, in_channels=0, max_block=64).max_block == 64
    assert AudioConfig.from_config(duplex) == AudioConfig(device="auto", samplerate=44100, blocksize=256,
                                                          latency=0.02, channels=1, input="mic", input_channels=2)
