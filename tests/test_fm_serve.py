"""`isudt serve --bundle digits-fm`: a world without squares, played as FM (docs/contracts.md, section 4).

A real daemon on the null device answers what the contract says for the
shipped digits-fm bundle: `/synthparams pitch ratio index` (the parameters
as the engine plays them: the index after the alias guard), `/frame` of any
size, the latent's own length, `/pictslider` refused naming the world, the
way back without `/square`. On a private jackd the voice it plays is
recorded and its spectrum compared with `daemon.synths.fm_wave` of what it
said. (`isudt render --bundle digits-fm`: tests/test_render.py.)
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from isudt.daemon.bundle import open_bundle, resolve_bundle
from isudt.daemon.mel import midi_to_hz
from isudt.daemon.synths import ALIAS_LIMIT, FM, fm_wave, guard_index
from support.audio_analysis import level_db
from support.jack import Recorder

SR = 48000
BUNDLE = "digits-fm"
Z_RICH = (-3.13, -2.28, 1.08)      # pitch ~56, ratio ~0.62, index ~3.6: sidebands well inside 0-8 kHz
Z_GUARD = (-3.13, 1.39, 2.8)       # pitch ~86, ratio ~7.0, index ~9.1 asked: the alias guard lowers it to ~1.5


@pytest.fixture(scope="module")
def models():
    return open_bundle(BUNDLE, "cpu")


def asked(models, z) -> np.ndarray:
    """What the models ask the synth for at image latent z (pitch, ratio, index), before the guard."""
    m = models
    return m.invert(m.decode(m.map(np.asarray([z], np.float32))))[0].astype(np.float64)


def spectrum(x: np.ndarray, f_max: float = 8000.0) -> np.ndarray:
    """|FFT| of a Hann-windowed window, 0..f_max Hz."""
    x = np.asarray(x, np.float64)
    x = x - x.mean()
    mag = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return mag[np.fft.rfftfreq(len(x), 1.0 / SR) <= f_max]


def fm_correlation(x: np.ndarray, params) -> float:
    """Pearson correlation over 0-8 kHz of the magnitude spectra of x and of fm_wave at `params`."""
    ref = fm_wave(params[0], params[1], params[2], len(x), SR)[0]
    return float(np.corrcoef(spectrum(x), spectrum(ref))[0, 1])


def assert_played(params, models=None, z=None) -> None:
    """Three values, within the synth's ranges, the index obeying the alias guard (and, given the models,
    exactly what the guard makes of what they asked for)."""
    assert len(params) == 3
    for p, v in zip(FM.params, params):
        assert p.min - 1e-4 <= v <= p.max + 1e-4, f"{p.name} = {v} outside [{p.min}, {p.max}]"
    pitch, ratio, index = params
    assert midi_to_hz(pitch) * (1.0 + (index + 1.0) * ratio) <= ALIAS_LIMIT * SR * (1 + 1e-5)
    if models is not None:
        want = asked(models, z)
        assert want[:2] == pytest.approx(params[:2], abs=1e-3)
        assert index == pytest.approx(float(guard_index(midi_to_hz(want[0]), want[1], want[2], SR)), abs=1e-3)


def fm_daemon(daemon_factory, extra: dict | None = None, env: dict | None = None):
    cfg: dict = {"bundle": {"path": BUNDLE}}
    for k, v in (extra or {}).items():
        cfg.setdefault(k, {}).update(v)
    return daemon_factory(cfg, env=env, ready_timeout=20.0)


# --- the null device: what it answers ----------------------------------------------------------

def test_digits_fm_serves_fm_and_refuses_what_its_world_lacks(daemon_factory, models) -> None:
    d = fm_daemon(daemon_factory)
    c = d.client()
    assert "bundle isudt-digits-fm" in d.ready_line

    played = c.request("/latent/image", *Z_RICH, reply="/synthparams")
    assert_played(played, models, Z_RICH)
    assert len(c.wait_for("/latent/sound")) == 3            # the mapped sound latent, 3 values
    played = c.request("/voice/1/latent/image", *Z_GUARD, reply="/voice/1/synthparams")
    assert_played(played, models, Z_GUARD)
    assert played[2] < asked(models, Z_GUARD)[2] - 1.0       # the guard did lower this one

    rng = np.random.default_rng(0)
    for w, h in ((28, 28), (128, 128), (40, 20)):            # any size: fitted as the world's training data was
        assert_played(c.request("/frame", w, h, rng.integers(0, 256, w * h, dtype=np.uint8).tobytes(),
                                reply="/synthparams"))
    assert_played(c.request("/frame/list", 4, 4, *([0.0] * 5 + [1.0] * 6 + [0.0] * 5), reply="/synthparams"))
    assert_played(c.request("/latent/sound", 0.0, 0.0, 0.0, reply="/synthparams"))

    c.send("/latent/image", 0.1, 0.2)
    assert c.wait_for("/error") == ["/latent/image", "expects 3 latent coordinates, got 2 arguments"]
    c.send("/latent/sound", 0.1, 0.2, 0.3, 0.4)
    assert c.wait_for("/error") == ["/latent/sound", "expects 3 latent coordinates, got 4 arguments"]
    c.send("/pictslider", 10, 20)
    address, reason = c.wait_for("/error")
    assert address == "/pictslider" and "mnist5k world of bundle digits-fm has no squares" in reason
    c.send("/voice/2/pictslider", 10, 20)
    assert c.wait_for("/error")[0] == "/voice/2/pictslider"

    # the way back: no square to read, the image latent and the decoded picture at its own size
    c.send("/image/latent/sound", 0.0, 0.0, 0.0)
    got = c.drain(0.3)
    addresses = [a for a, _ in got]
    assert "/square" not in addresses and addresses[:2] == ["/image/latent", "/picture"]
    z_image, (w, h, blob) = got[0][1], got[1][1]
    assert len(z_image) == 3 and (w, h) == (32, 32) and len(blob) == 32 * 32

    c.send("/state")
    state = dict(c.drain(0.3)[:2])
    assert state["/state/synth"] == ["fm", 3, "pitch", "MIDI", "ratio", "x carrier", "index", ""]
    st = d.status()
    assert (st["synth"], st["synth_params"], st["synth_units"]) == ("fm", "pitch,ratio,index", "MIDI,x carrier,")
    assert st["errors"] == 4 and st["table_filled"] == 0
    assert d.stop() == 0


def test_the_square_world_still_answers_sineparams(daemon_factory) -> None:
    d = daemon_factory({})
    c = d.client()
    pitch, db = c.request("/pictslider", 40, 80)
    assert 38 <= pitch <= 86 and -40 <= db <= 0
    c.send("/state")
    msgs = c.drain(0.3)
    assert msgs[0][0] == "/state" and msgs[1] == ("/state/synth", ["sine", 2, "pitch", "MIDI", "db", "dB"])
    assert d.status()["synth"] == "sine"
    assert d.stop() == 0


def test_a_reload_switches_between_the_worlds_and_the_voices_follow(daemon_factory) -> None:
    """SIGHUP from square-sine to digits-fm and back: the replies, the refusals and the pushed synth follow."""
    import signal

    import yaml

    d = daemon_factory({})
    c = d.client()
    c.send("/subscribe")
    assert c.wait_for("/subscribed")
    assert c.wait_for("/state/synth", 3.0)[0] == "sine"            # the full state, to a new subscriber
    assert len(c.request("/pictslider", 40, 80)) == 2
    cfg = yaml.safe_load(d.config_path.read_text())
    for bundle, kind in ((BUNDLE, "fm"), ("square-sine", "sine")):
        cfg["bundle"] = {"path": bundle}
        d.config_path.write_text(yaml.safe_dump(cfg))
        mark = len(d.log)
        d.send_signal(signal.SIGHUP)
        d.wait_log(r"reloaded: bundle", 10, mark)
        assert c.wait_for("/state/synth", 3.0)[0] == kind     # pushed to subscribers when it changes
        if kind == "fm":
            assert_played(c.request("/latent/image", *Z_RICH, reply="/synthparams"))
            c.send("/pictslider", 40, 80)
            assert "has no squares" in c.wait_for("/error")[1]
        else:
            assert len(c.request("/pictslider", 40, 80)) == 2
    assert d.status()["reloads"] == 2
    assert d.stop() == 0


# --- on a private jackd: what it plays is what it says -----------------------------------------

@pytest.mark.jack
def test_jack_plays_the_fm_that_synthparams_says(jackd, daemon_factory) -> None:
    gain = -3.0
    d = fm_daemon(daemon_factory, {"audio": {"device": "system", "samplerate": SR, "blocksize": 128},
                                   "synth": {"gain_db": gain}}, env=jackd.env())
    c = d.client()
    with Recorder() as rec:
        for z in (Z_RICH, Z_GUARD):
            played = c.request("/latent/image", *z, reply="/synthparams")
            assert_played(played)
            time.sleep(0.15)       # the glide (10 ms), a voice's fade-in (30 ms) and the stream latency
            best, best_level = -1.0, None
            for _ in range(20):    # jackd --no-realtime on a loaded machine drops blocks now and then
                x = rec.record(0.4)[:, 0]
                r = fm_correlation(x, played)
                if r > best:
                    best, best_level = r, level_db(x)
                if best >= 0.98:
                    break
            assert best >= 0.95, f"spectral correlation {best:.3f} with fm_wave{tuple(round(v, 3) for v in played)}"
            assert best_level is not None and abs(best_level - (FM.level_db + gain)) <= 1.0
    assert d.stop() == 0
