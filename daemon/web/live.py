"""What the page is told (frames) and what it may ask (inputs), with no web framework: testable without a socket.

Frames (server -> page, JSON text):
    {"type": "hello", ...}   the bundle, its planes (when computed), the voices, the page's limits
    {"type": "state", ...}   voices (active, pitch, dB, image latent, sound latent), meters, gain, mute,
                             listening; `status` (underruns, callback p99, model, bundle) every STATUS_S
    {"type": "heard", ...}   the way back's newest point and picture (when it changed)
    {"type": "error", "address": ..., "reason": ...}

Inputs (page -> server, JSON text): {"address": "/voice/3/latent/image", "args": [0.1, 0.2]}, or
{"address": "/bundle", "args": ["digits-fm"]} (the one input with a string). Only the addresses in PAGE_ADDRESS; everything else about them is checked by `messages.validate`, the OSC side's own
validator, and applied as the OSC side applies it (the pipeline plays and answers, subscribers see the new
/state). A refusal is an error frame for that page and nothing else. A bundle switch goes through the
daemon's own `/bundle` (`server.Runtime.bundle`: the same names, the same refusals); when it is done every
page gets a new hello (the new bundle's planes), and a switch that failed is an error frame for the page
that asked.
"""
from __future__ import annotations

import base64
import json
import math
import re
import time
from typing import Any

import numpy as np

from ..messages import (AllOff, BundleQuery, FrameRequest, LatentImageRequest, LatentSoundRequest, Listen, Message,
                        PositionRequest, Refused, Request, StateQuery, StatusQuery, Subscribe, Unsubscribe,
                        validate)

# what a page may send: a voice's latents (drag), its release, the master controls, panic, listen
PAGE_ADDRESS = re.compile(r"^(?:/voice/\d{1,4})?/(?:latent/image|latent/sound)$|^/voice/\d{1,4}/off$"
                          r"|^/(?:gain|mute|off|image/listen|bundle)$")
PAGE_ADDRESSES_TEXT = ("/voice/N/latent/image, /voice/N/latent/sound, /voice/N/off, /gain, /mute, /off, /image/listen, "
                       "/bundle NAME")
MAX_INPUT_ARGS = 16
STATUS_S = 0.5          # how often a frame carries the status block
DIGITS = 4


def _r(v: float | None) -> float | None:
    if v is None:       # e.g. the way back's square in a world without squares
        return None
    f = float(v)
    return round(f, DIGITS) if math.isfinite(f) else None


def _vec(z: Any) -> list[float | None] | None:
    return None if z is None else [_r(v) for v in np.asarray(z, np.float64).reshape(-1)]


# --- inputs -------------------------------------------------------------------------------------

def parse_input(text: Any) -> tuple[str, list[Any]]:
    """A page's text frame -> (address, args); Refused("", reason) when it is not one."""
    if not isinstance(text, str):
        raise Refused("", "input frames are JSON text")
    try:
        msg = json.loads(text)
    except ValueError:
        raise Refused("", "not JSON") from None
    if not isinstance(msg, dict) or not isinstance(msg.get("address"), str):
        raise Refused("", 'expects {"address": "/...", "args": [...]}')
    address = msg["address"]
    if len(address) > 64:
        raise Refused(address[:64], "address too long")
    args = msg.get("args", [])
    if not isinstance(args, list) or len(args) > MAX_INPUT_ARGS:
        raise Refused(address, f"args must be a list of at most {MAX_INPUT_ARGS} numbers")
    if address == "/bundle":   # the one string: a bundle's name (Runtime.bundle says which names are bundles)
        if len(args) != 1 or not isinstance(args[0], str):
            raise Refused(address, "expects one bundle name")
        return address, args
    for a in args:   # JSON numbers and booleans only: strings, lists and objects are not OSC arguments here
        if not isinstance(a, (int, float, bool)):
            raise Refused(address, "args must be numbers")
    return address, args


def apply_input(runtime: Any, address: str, args: list[Any], done: Any = None) -> Message:
    """Validate with the OSC side's validator and apply as the OSC side does; Refused when it is not played.

    `done(reason | None)`: called when a bundle switch this input started is over (None: it worked)."""
    if not PAGE_ADDRESS.match(address):
        raise Refused(address, f"not playable from the page; the page may send {PAGE_ADDRESSES_TEXT}")
    req = validate(address, args, runtime.limits())
    if isinstance(req, Request):
        req.t_received = time.perf_counter()
        req.address = address
        runtime.submit(req)
        runtime.flush()        # played and answered now (/voice/N/sineparams to the reply target and subscribers)
    elif isinstance(req, AllOff):
        from ..osc_codec import encode_message
        runtime.all_off(None)
        runtime.flush()
        runtime.replies.send(encode_message("/off", [1]))
    elif isinstance(req, Listen):
        reason = runtime.listen(req.on, None)
        if reason is not None:
            raise Refused(address, reason)
    elif isinstance(req, BundleQuery):
        how = getattr(runtime, "bundle", None)
        if how is None:
            raise Refused(address, "this daemon cannot switch bundles")
        if req.name is None:
            raise Refused(address, "expects one bundle name")
        reason = how(req.name, None, done)
        if reason is not None:
            raise Refused(address, reason)
    elif isinstance(req, (StatusQuery, StateQuery, Subscribe, Unsubscribe)):   # not in PAGE_ADDRESS; kept safe
        raise Refused(address, "not playable from the page")
    else:
        runtime.control(req)
    return req


def error_frame(address: str, reason: str) -> str:
    return json.dumps({"type": "error", "address": address, "reason": reason[:300]})


# --- latents of the sounding voices -------------------------------------------------------------

def resolve(result: Any, models: Any) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(image latent, sound latent) of what a voice plays, from the result the daemon played.

    Cheap where the daemon knows them (`/latent/image`: both; `/latent/sound`: the sound latent); otherwise
    one small model run, only for pages and only when the voice changed: the square's entry of the position
    table (or the encoder), the mapper, the reverse mapper (a bundle without the way back has no image latent
    for a sound latent: that voice has no dot in the image plane).
    """
    r = result.request
    man = models.manifest
    zi: Any = None
    zs: Any = None
    try:
        if isinstance(r, LatentImageRequest):
            zi = r.z
            zs = result.z_sound if result.z_sound is not None else models.map(r.z[None])[0]
        elif isinstance(r, LatentSoundRequest):
            zs = r.z
            if getattr(models, "way_back", False):
                zi = models.reverse(np.asarray(r.z, np.float32)[None])[0]
        elif isinstance(r, PositionRequest):
            table = getattr(models, "position_table", None)
            if table is not None and man.square is not None:
                zi = table[r.y * man.square.positions + r.x]
            else:
                from ..square import render_square
                zi = models.encode_image(render_square(r.x, r.y, man.square)[None, None])[0]
            zs = models.map(np.asarray(zi, np.float32)[None])[0]
        elif isinstance(r, FrameRequest):
            from ..imagefit import fit_image
            from ..util import resize_area
            px = r.pixels
            scaled = px.astype(np.float32) / 255.0 if px.dtype == np.uint8 else px
            img = resize_area(scaled, man.image_size) if man.square is not None else fit_image(scaled, man.image_size)
            zi = models.encode_image(img[None, None])[0]
            zs = models.map(zi[None])[0]
    except Exception:   # a model failing here must not stop the frames; the voice just has no dot
        return None, None
    if zi is not None and np.asarray(zi).shape != (man.image_latent,):
        zi = None
    if zs is not None and np.asarray(zs).shape != (man.sound_latent,):
        zs = None
    return zi, zs


class Latents:
    """Per voice, the latents of its newest result, computed once per result (and per bundle)."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[Any, Any, Any, Any]] = {}

    def get(self, voice: int, result: Any, models: Any) -> tuple[Any, Any]:
        if result is None:
            self._cache.pop(voice, None)
            return None, None
        c = self._cache.get(voice)
        if c is not None and c[0] is result and c[1] is models:
            return c[2], c[3]
        zi, zs = resolve(result, models)
        self._cache[voice] = (result, models, zi, zs)
        return zi, zs


# --- frames -------------------------------------------------------------------------------------

def db(x: float) -> float:
    return round(20.0 * math.log10(x), 2) if x > 1e-6 else -120.0


def state_frame(runtime: Any, latents: Latents) -> dict:
    """The live part of a frame: voices, latents, meters, master controls (no clocks: equal frames compare equal).

    Meters are the levels the engine reports: per voice its level target (dB) through the master gain and
    the limiter as they are now, and for the mix the peak bound the limiter works on
    (sum of voice amplitudes x master x limiter gain), in dBFS.
    """
    st = runtime.state()
    models = runtime.models
    points = getattr(runtime, "points", None) or []
    try:
        es = runtime.synth.stats()
        master, limiter = float(es.master), float(es.limiter_gain)
    except Exception:
        master, limiter = 1.0, 1.0
    out_gain = master * limiter
    voices = []
    total = 0.0
    for n, v in enumerate(st.voices):
        res = points[n] if n < len(points) else None
        zi, zs = latents.get(n, res, models) if v.active else latents.get(n, None, models)
        amp = 10.0 ** (v.db / 20.0) if v.active and v.db > -120.0 else 0.0
        total += amp
        voices.append([int(v.active), _r(v.pitch), _r(v.db), _vec(zi), _vec(zs), db(amp * out_gain)])
    return {"type": "state", "voices": voices, "gain_db": _r(st.gain_db), "muted": int(st.muted),
            "listening": int(st.listening), "master_db": db(total * out_gain), "limiter_db": db(limiter),
            "model_id": st.model_id}


def status_block(runtime: Any, pages: int, dropped: int) -> dict:
    """Underruns, the audio callback's p50/p99, the model and the bundle, the pages."""
    a = runtime.audio_stats()
    man = runtime.models.manifest
    subs = getattr(getattr(runtime, "replies", None), "subscribers", None)
    return {"underruns": int(a.underruns), "callback_us_p50": round(float(a.callback_us_p50), 1),
            "callback_us_p99": round(float(a.callback_us_p99), 1), "block_us": round(float(a.block_us), 1),
            "audio_state": str(a.state), "model_id": man.model_id, "bundle": man.name,
            "provider": getattr(runtime.models, "provider", "?"), "pages": pages, "pages_dropped": dropped,
            "subscribers": len(subs) if subs is not None else 0,
            "uptime_s": round(time.monotonic() - getattr(runtime, "t0", time.monotonic()), 1)}


def heard_frame(seen: Any, seq: int) -> dict:
    """The way back's newest result: its image latent, the square's position and the decoded picture."""
    pic = np.ascontiguousarray(seen.picture, np.uint8)
    return {"type": "heard", "seq": seq, "zi": _vec(seen.z_image), "x": _r(seen.x), "y": _r(seen.y),
            "w": int(pic.shape[1]), "h": int(pic.shape[0]), "pic": base64.b64encode(pic.tobytes()).decode()}


def hello_frame(runtime: Any, planes: dict | None, version: str, max_pages: int, input_rate: float) -> dict:
    man = runtime.models.manifest
    synth = man.synth
    return {"type": "hello", "bundle": man.name, "model_id": man.model_id, "voices": runtime.cfg.synth.voices,
            "image_latent": man.image_latent, "sound_latent": man.sound_latent,
            "image_box": [list(map(float, man.image_box.lo)), list(map(float, man.image_box.hi))],
            "sound_box": [list(map(float, man.sound_box.lo)), list(map(float, man.sound_box.hi))],
            "synth": None if synth is None else {"kind": synth.kind, "params": [
                {"name": p.name, "unit": p.unit, "min": p.min, "max": p.max, "scale": p.scale}
                for p in synth.params]},
            "way_back": bool(getattr(runtime, "way_back", None) is not None),
            "planes": None if planes is None else {k: p.info() for k, p in planes.items()},
            "planes_version": version, "max_pages": max_pages, "input_rate": input_rate,
            "bundle_switch": callable(getattr(runtime, "bundle", None)), "bundles": bundle_names(runtime)}


def bundle_names(runtime: Any) -> list[str]:
    """The bundles the page may switch to (the names `/bundle` takes: `Runtime.bundle_choices`)."""
    choices = getattr(runtime, "bundle_choices", None)
    if choices is None:
        return [runtime.models.manifest.name]
    try:
        return list(choices())
    except Exception:   # a reload dir gone: the page still gets its hello
        return [runtime.models.manifest.name]
