"""OSC `/bundle [NAME]`: switching between the bundles a SIGHUP may load, by name, never by path.

A real daemon on the null device (tests/support/daemon.py): `/bundle` answers the bundle playing;
`/bundle digits-fm` switches (the reply comes when it is done, subscribers get the new /state and
/state/synth), the next request plays FM (`/synthparams`) and 3-D latents, and `/bundle square-sine`
goes back. Path-like and unknown names are refused with `/error /bundle ...` naming the known ones,
nothing is loaded and the old bundle keeps playing. A bundle in `bundle.reload_dirs` is switched to by its
folder's name; a symlink in a reload dir pointing out of it is no name; a broken bundle there is refused
and the old one plays on. (The form of the message: tests/test_osc.py.)
"""
from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path

import pytest
import yaml

from isudt.daemon.bundle import default_bundle_dir, load_manifest, shipped_bundles
import numpy as np

from isudt.daemon.messages import BundleQuery, Limits, Refused, validate

LIMITS = Limits(voices=8, positions=126, image_latent=2, sound_latent=2, image_lo=np.full(2, -1, np.float32),
                image_hi=np.ones(2, np.float32), sound_lo=np.full(2, -1, np.float32), sound_hi=np.ones(2, np.float32))

Z3 = (-1.54, -2.82, -0.42)          # a digits-fm image latent (tests/test_fm_serve.py's Z_RICH)
SWITCH_S = 20.0                     # a switch loads and warms up ONNX sessions: generous on a 2-core machine


def shipped_names() -> list[str]:
    return list(shipped_bundles())


FM_ID = load_manifest(shipped_bundles()["digits-fm"], verify=False).model_id


# --- the form (no process) -------------------------------------------------------------------------

def test_bundle_message_form() -> None:
    assert validate("/bundle", [], LIMITS) == BundleQuery()
    assert validate("/bundle", ["digits-fm"], LIMITS) == BundleQuery(name="digits-fm")
    for args, why in (([b"digits-fm"], "a string"), ([3], "a string"), ([None], "a string"),
                      (["a", 1], "nothing or a bundle name"), (["a", "b", "c"], "nothing or a bundle name")):
        with pytest.raises(Refused) as e:
            validate("/bundle", args, LIMITS)
        assert why in e.value.reason and not e.value.silent, args
    with pytest.raises(Refused) as e:          # `/bundle name model_id` is the daemon's own reply: dropped
        validate("/bundle", ["square-sine", "isudt-x"], LIMITS)
    assert e.value.silent
    with pytest.raises(Refused):
        validate("/voice/1/bundle", ["digits-fm"], LIMITS)


# --- a real daemon --------------------------------------------------------------------------------

def switch(c, name: str) -> list:
    c.send("/bundle", name)
    return c.wait_for("/bundle", SWITCH_S)


def refused(c, name) -> str:
    time.sleep(0.06)     # /bundle is rate-limited with /status (20/s)
    c.send("/bundle", name)
    address, reason = c.wait_for("/error", 5.0)
    assert address == "/bundle"
    return reason


def test_switch_to_digits_fm_and_back(daemon_factory) -> None:
    d = daemon_factory({})
    c = d.client()
    sub = d.client()
    sub.send("/subscribe")
    sub.wait_for("/subscribed")
    assert sub.wait_for("/state/synth", 3.0)[0] == "sine"
    first = c.request("/bundle", reply="/bundle")
    assert first[0] == "square-sine" and first[1].startswith("isudt-")
    for v in range(3):
        assert len(c.request(f"/voice/{v}/latent/image", 0.1, 1.0, reply=f"/voice/{v}/sineparams")) == 2
    assert d.status()["active_voices"] == 3

    t0 = time.monotonic()
    name, model_id = switch(c, "digits-fm")
    took = time.monotonic() - t0
    assert name == "digits-fm" and model_id == FM_ID and took < SWITCH_S
    d.wait_log(r"/bundle digits-fm: now playing " + FM_ID)
    # subscribers see the switch as after a reload: the model in /state, the synth in /state/synth
    assert sub.wait_for("/state/synth", 3.0)[:2] == ["fm", 3]
    st = d.status()
    assert (st["model_id"], st["synth"], st["reloads"]) == (FM_ID, "fm", 1)
    assert st["active_voices"] == 0                       # the old bundle's voices faded out
    assert c.request("/bundle", reply="/bundle") == ["digits-fm", FM_ID]
    # the next requests play the new bundle: FM, 3-D latents, no squares
    played = c.request("/voice/1/latent/image", *Z3, reply="/voice/1/synthparams")
    assert len(played) == 3
    assert len(c.wait_for("/voice/1/latent/sound")) == 3
    c.send("/latent/image", 0.1, 1.0)
    assert c.wait_for("/error") == ["/latent/image", "expects 3 latent coordinates, got 2 arguments"]
    c.send("/pictslider", 40, 80)
    assert "has no squares" in c.wait_for("/error")[1]
    c.send("/state")
    assert dict(c.drain(0.3)[:2])["/state/synth"][0] == "fm"

    # the same name again: nothing to switch, answered at once
    assert switch(c, "digits-fm") == ["digits-fm", FM_ID]
    assert d.status()["reloads"] == 1

    # and back
    assert switch(c, "square-sine") == first
    assert sub.wait_for("/state/synth", 3.0)[0] == "sine"
    assert len(c.request("/pictslider", 40, 80)) == 2
    assert len(c.request("/latent/image", 0.1, 1.0)) == 2
    st = d.status()
    assert (st["model_id"], st["synth"], st["reloads"]) == (first[1], "sine", 2)
    assert st["errors"] == 2
    # a SIGHUP reload goes back to the config's bundle (here the default) as before
    switch(c, "digits-fm")
    mark = len(d.log)
    d.send_signal(signal.SIGHUP)
    d.wait_log(r"reloaded: bundle", 20, mark)
    assert c.request("/bundle", reply="/bundle") == first
    assert d.stop() == 0


def test_paths_and_unknown_names_are_refused_and_the_old_bundle_plays_on(daemon_factory, tmp_path: Path) -> None:
    marker = tmp_path / "must-not-exist"
    d = daemon_factory({})
    c = d.client()
    before = c.request("/bundle", reply="/bundle")
    pitch, db = c.request("/voice/2/latent/image", 0.1, 1.0, reply="/voice/2/sineparams")
    known = ", ".join(shipped_names())
    for name in ("../x", "/etc", "/etc/passwd", "..", ".", "./square-sine", "digits-fm/../square-sine",
                 "~", "~root", "a\\b", str(default_bundle_dir()), str(marker), "exported/digits-fm"):
        reason = refused(c, name)
        assert "not a bundle name (a name, never a path)" in reason and f"known: {known}" in reason, (name, reason)
    for name in ("nope", "digits", "SQUARE-SINE", "square-sine ", "$(touch x)", "digits-fm;ls", "", "x" * 300):
        reason = refused(c, name)
        assert ("no bundle named" in reason or "never a path" in reason) and f"known: {known}" in reason, \
            (name, reason)
    c.send("/bundle", b"digits-fm")
    assert c.wait_for("/error")[0] == "/bundle"
    time.sleep(0.2)
    st = d.status()
    assert st["reloads"] == 0 and st["model_id"] == before[1] and st["synth"] == "sine"
    assert st["active_voices"] == 1                       # nothing faded: voice 2 still plays
    assert not marker.exists()
    # the old bundle plays on: same answers, the same voice
    assert c.request("/voice/2/latent/image", 0.1, 1.0, reply="/voice/2/sineparams") == [pitch, db]
    assert len(c.request("/pictslider", 10, 20)) == 2
    assert c.request("/bundle", reply="/bundle") == before
    assert d.stop() == 0


def copy_bundle(src: Path, dst: Path, model_id: str) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    m = yaml.safe_load((dst / "manifest.yaml").read_text())
    m["model_id"] = model_id
    (dst / "manifest.yaml").write_text(yaml.safe_dump(m, sort_keys=False))
    return dst


def test_bundles_in_reload_dirs_by_name_only(daemon_factory, tmp_path: Path) -> None:
    allowed = tmp_path / "bundles"
    copy_bundle(default_bundle_dir(), allowed / "mine", "isudt-mine")
    outside = copy_bundle(default_bundle_dir(), tmp_path / "outside" / "b", "must-never-load")
    (allowed / "link").symlink_to(outside, target_is_directory=True)
    broken = copy_bundle(default_bundle_dir(), allowed / "broken", "isudt-broken")
    onnx = next(broken.glob("*.onnx"))
    onnx.write_bytes(onnx.read_bytes()[:100])             # the checksum no longer matches
    (allowed / "notabundle").mkdir()
    d = daemon_factory({"bundle": {"reload_dirs": [str(allowed)]}})
    c = d.client()
    reason = refused(c, "nope")
    assert f"known: {', '.join(shipped_names())}, broken, mine" in reason, reason
    assert "link" not in reason and "notabundle" not in reason
    assert "no bundle named 'link'" in refused(c, "link")  # a symlink out of the reload dir is no name
    assert switch(c, "mine") == ["mine", "isudt-mine"]
    assert len(c.request("/pictslider", 3, 4)) == 2
    # a broken bundle: refused after the attempt to load it, the one playing plays on
    reason = refused(c, "broken")
    assert reason.startswith("broken: ") and "sha256" in reason, reason
    d.wait_log(r"bundle switch to broken refused, keeping mine")
    st = d.status()
    assert st["model_id"] == "isudt-mine" and st["reloads"] == 1
    assert len(c.request("/pictslider", 3, 4)) == 2
    assert switch(c, "digits-fm") == ["digits-fm", FM_ID]
    assert d.status()["model_id"] == FM_ID
    assert d.stop() == 0


def test_one_switch_at_a_time(daemon_factory) -> None:
    d = daemon_factory({})
    c = d.client()
    c.send("/bundle", "digits-fm")
    c.send("/bundle", "square-sine")                      # while the first one loads
    got = [c.recv(SWITCH_S) for _ in range(2)]
    assert ("/error", ["/bundle", "a bundle switch or reload is running; try again when it is done"]) in got
    assert ("/bundle", ["digits-fm", FM_ID]) in got
    assert d.status()["model_id"] == FM_ID
    assert d.stop() == 0
