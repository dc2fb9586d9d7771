"""The live web page (daemon/web/): unit tests of its parts (no process), then the page in real headless Chromium.

Fast (no process): the planes (pictures of the image decoder, the sound plane's colours, slices of a 3-D
latent), the origin and host checks, the page's input going through the OSC side's validator, the frames,
and the aiohttp server in-process (static files only, a raw path traversal, a foreign Origin, the page
limit, a page that stops reading is dropped, bad input is an error frame).

With processes (`process`): a daemon serving the page and Debian's chromium + chromium-driver through
selenium: no console error, the image plane shows the decoded pictures, OSC moves voice 3 and its dot follows
within 200 ms, a drag on the page plays (an OSC subscriber hears the new /state), the page reconnects after a
daemon restart; the same for a daemon serving digits-fm (decoded digits, the z2 slider, FM colours), and the
page's bundle selector switching square-sine -> digits-fm -> square-sine through the daemon's /bundle (the
planes are computed again, the slider comes and goes, an unknown name is an error frame).
"""
from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from support.browser import chrome as browser_chrome
from support.browser import installed, wait_js
from support.require import require

from isudt.daemon.bundle import load_manifest
from isudt.daemon.messages import LatentImageRequest, LatentSoundRequest, Limits, Refused
from isudt.daemon.pipeline import Result
from isudt.daemon.status import DaemonState, VoiceState
from isudt.daemon.synths import FM, SINE
from isudt.daemon.web import live, planes
from isudt.daemon.web.server import WebServer, host_ok, origin_ok, shipped_static
from isudt.daemon.osc_server import AllowList

CHROMEDRIVER = "/usr/bin/chromedriver"


# --- fakes ------------------------------------------------------------------------------------------

class FakeModels:
    """The bundle's models as numpy functions: the decoder draws a bright dot where z points."""

    def __init__(self, manifest: Any, way_back: bool = True) -> None:
        self.manifest = manifest
        self.provider = "cpu"
        self.way_back = way_back
        self.position_table = None
        self.sessions = {"image_decoder": 1} if way_back else {}
        self.runs = 0

    def decode_image(self, z: np.ndarray) -> np.ndarray:
        self.runs += 1
        h = self.manifest.image_size
        lo, hi = self.manifest.image_box.lo, self.manifest.image_box.hi
        u = (z[:, :2] - lo[:2]) / (hi[:2] - lo[:2])
        out = np.zeros((len(z), 1, h, h), np.float32)
        for k, (a, b) in enumerate(u):
            out[k, 0, int((1 - b) * (h - 1)), int(a * (h - 1))] = 1.0
        return out

    def map(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(z, np.float32)[:, :self.manifest.sound_latent] * 0.5

    def reverse(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(z, np.float32)[:, :self.manifest.image_latent] * 2.0

    def decode(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(z, np.float32)

    def invert(self, z: np.ndarray) -> np.ndarray:
        """z0 -> pitch over 38..86, z1 -> dB over -40..0 (from the sound box)."""
        lo, hi = self.manifest.sound_box.lo, self.manifest.sound_box.hi
        u = (z - lo) / (hi - lo)
        return np.stack([38 + 48 * u[:, 0], -40 + 40 * u[:, 1]], 1).astype(np.float32)


class FakeRuntime:
    def __init__(self, manifest: Any, voices: int = 4) -> None:
        self.models = FakeModels(manifest)
        self.cfg = SimpleNamespace(synth=SimpleNamespace(voices=voices))
        self.points: list[Any] = [None] * voices
        self.active = [False] * voices
        self.submitted: list[Any] = []
        self.controls: list[Any] = []
        self.sent: list[bytes] = []
        self.seen = None
        self.seen_seq = 0
        self.way_back = object()
        self.t0 = time.monotonic()
        self.replies = SimpleNamespace(send=lambda data, sender=None: self.sent.append(data),
                                       subscribers=[])
        self.synth = SimpleNamespace(stats=lambda: SimpleNamespace(master=1.0, limiter_gain=1.0))
        self.listen_reason: str | None = "no audio input is configured"

    def limits(self) -> Limits:
        return Limits.from_manifest(self.models.manifest, len(self.points), 65536)

    def submit(self, req: Any) -> None:
        self.submitted.append(req)

    def flush(self) -> None:   # plays what was submitted, as the daemon does (a result per request)
        for req in self.submitted:
            if isinstance(req, (LatentImageRequest, LatentSoundRequest)):
                self.points[req.voice] = Result(req, (60.0, -12.0))
                self.active[req.voice] = True

    def control(self, c: Any) -> None:
        self.controls.append(c)

    def all_off(self, reply_to: Any) -> None:
        self.active = [False] * len(self.active)

    def listen(self, on: bool, sender: Any) -> str | None:
        return self.listen_reason if on else None

    def state(self) -> DaemonState:
        return DaemonState(0.0, 10.0, False, False, "test-model",
                           tuple(VoiceState(a, 60.0, -12.0 if a else -120.0) for a in self.active))

    def audio_stats(self) -> Any:
        from isudt.daemon.status import AudioStats
        return AudioStats(state="null", callback_us_p99=12.0)


@pytest.fixture(scope="module")
def manifest(bundle_dir: Path) -> Any:
    return load_manifest(bundle_dir, verify=False)


def manifest_3d(manifest: Any) -> Any:
    """The shipped manifest with 3-D latents (as digits-fm will have) and an FM synth."""
    from dataclasses import replace
    from isudt.daemon.bundle import Box
    lo, hi = np.array([-1, -2, -3], np.float32), np.array([1, 2, 3], np.float32)
    return replace(manifest, image_latent=3, sound_latent=3, image_box=Box(lo, hi), sound_box=Box(lo, hi), synth=FM,
                   image_size=32)


# --- planes -----------------------------------------------------------------------------------------

def decode_png(data: bytes) -> np.ndarray:
    import io
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(data)))


def test_image_plane_tiles_the_decoders_pictures(manifest: Any) -> None:
    p = planes.image_plane(FakeModels(manifest), tiles=4, tile_px=16)
    assert p.available and p.slices == [] and len(p.pngs) == 1 and p.dim == 2
    img = decode_png(p.pngs[0])
    assert img.shape == (64, 64)
    # each tile holds its own dot: bright where the fake decoder put it, dark elsewhere
    for row in range(4):
        for col in range(4):
            tile = img[row * 16:(row + 1) * 16, col * 16:(col + 1) * 16]
            assert tile.max() > 200 and np.median(tile) < 30


def test_a_bundle_without_an_image_decoder_gets_a_blank_plane(manifest: Any) -> None:
    p = planes.image_plane(FakeModels(manifest, way_back=False), tiles=4, tile_px=8)
    assert not p.available and decode_png(p.pngs[0]).max() < 50


def test_sound_plane_colours_pitch_as_hue_and_level_as_brightness(manifest: Any) -> None:
    p = planes.sound_plane(FakeModels(manifest), cells=16)
    rgb = decode_png(p.pngs[0]).astype(float)
    assert rgb.shape == (16, 16, 3)
    assert p.legend["hue"]["name"] == "pitch" and p.legend["brightness"]["name"] == "db"
    # the fake: z1 (rows, top = high) is the level, so the top row is brighter than the bottom one
    assert rgb[0].sum() > 2 * rgb[-1].sum()
    # z0 (columns) is the pitch: hue changes along a row (left red, right violet-ish)
    left, right = rgb[0, 0], rgb[0, -1]
    assert left[0] > left[2] and right[2] > right[1]


def test_three_dim_latents_are_slices_with_fm_colours(manifest: Any) -> None:
    m = manifest_3d(manifest)
    models = FakeModels(m)
    models.invert = lambda z: np.stack([60 + 0 * z[:, 0], np.full(len(z), 2.0), np.exp(z[:, 1])], 1)  # type: ignore
    ip = planes.image_plane(models, tiles=3, tile_px=8, slices=5)
    sp = planes.sound_plane(models, cells=8, slices=5)
    assert ip.slices == sp.slices == [-3.0, -1.5, 0.0, 1.5, 3.0]
    assert len(ip.pngs) == len(sp.pngs) == 5
    assert sp.legend["brightness"]["name"] == "index" and sp.legend["synth"] == "fm"
    g = planes.grid(m.image_box.lo, m.image_box.hi, 3, 1.5)
    assert g.shape == (9, 3) and np.all(g[:, 2] == 1.5)
    assert g[0, 1] > g[-1, 1] and g[0, 0] < g[2, 0]     # the top row first, z0 grows to the right


def test_colour_roles() -> None:
    assert planes.colour_roles(SINE.names) == (0, 1)
    assert planes.colour_roles(FM.names) == (0, 2)
    assert planes.colour_roles(("a", "b", "c")) == (0, 2)


# --- checks -----------------------------------------------------------------------------------------

def test_host_and_origin_checks() -> None:
    assert host_ok("127.0.0.1:12380") and host_ok("localhost:12380") and host_ok("[::1]:12380")
    assert not host_ok("evil.example:12380") and not host_ok("") and not host_ok(None)
    assert origin_ok("http://127.0.0.1:12380", "127.0.0.1:12380")
    assert not origin_ok("http://127.0.0.1:9999", "127.0.0.1:12380")          # another port
    assert not origin_ok("http://evil.example:12380", "127.0.0.1:12380")
    assert not origin_ok("http://evil.example:12380", "evil.example:12380")    # a rebinding name
    assert not origin_ok(None, "127.0.0.1:12380") and not origin_ok("null", "127.0.0.1:12380")


def test_the_shipped_static_files_are_the_page() -> None:
    files = shipped_static()
    assert {"index.html", "app.js", "style.css"} <= set(files)
    html = files["index.html"][0].decode()
    assert "http://" not in html and "https://" not in html      # no CDN: works offline
    assert not re.search(r"https?://", files["app.js"][0].decode() + files["style.css"][0].decode())


# --- input ------------------------------------------------------------------------------------------

def test_page_input_goes_through_the_osc_validator(manifest: Any) -> None:
    rt = FakeRuntime(manifest)
    req = live.apply_input(rt, *live.parse_input('{"address": "/voice/3/latent/image", "args": [99, -99]}'))
    assert isinstance(req, LatentImageRequest) and req.voice == 3 and req.clamped      # clamped as OSC clamps
    assert np.allclose(req.z, [manifest.image_box.hi[0], manifest.image_box.lo[1]])
    assert rt.points[3] is not None

    def refused(text: str) -> str:
        with pytest.raises(Refused) as e:
            live.apply_input(rt, *live.parse_input(text))
        return e.value.reason

    assert "voice 7 does not exist" in refused('{"address": "/voice/7/latent/image", "args": [0, 0]}')
    assert "expects 2 latent" in refused('{"address": "/latent/sound", "args": [0]}')
    assert "NaN" in refused('{"address": "/latent/sound", "args": [0, NaN]}')
    assert "not playable from the page" in refused('{"address": "/subscribe", "args": []}')
    assert "not playable from the page" in refused('{"address": "/pictslider", "args": [1, 2]}')
    assert "not JSON" in refused("{")
    assert "numbers" in refused('{"address": "/gain", "args": ["x"]}')
    assert "no audio input" in refused('{"address": "/image/listen", "args": [1]}')
    live.apply_input(rt, "/gain", [100])
    assert rt.controls[-1].db == 24.0
    live.apply_input(rt, "/off", [])
    assert rt.sent and rt.sent[-1].startswith(b"/off")


def test_page_switches_bundles_through_the_daemons_bundle(manifest: Any) -> None:
    """`/bundle NAME` from the page: the one input with a string; the runtime's own /bundle decides."""
    rt = FakeRuntime(manifest)
    with pytest.raises(Refused) as e:          # a runtime that cannot switch says so
        live.apply_input(rt, *live.parse_input('{"address": "/bundle", "args": ["digits-fm"]}'))
    assert "cannot switch" in e.value.reason
    asked: list[Any] = []

    def bundle(name: str | None, sender: Any, done: Any = None) -> str | None:
        asked.append((name, sender, done))
        return None if name == "digits-fm" else f"no bundle named {name!r}; known: digits-fm, square-sine"

    rt.bundle = bundle                          # type: ignore[attr-defined]
    rt.bundle_choices = lambda: {"digits-fm": None, "square-sine": None}   # type: ignore[attr-defined]
    done = object()
    live.apply_input(rt, *live.parse_input('{"address": "/bundle", "args": ["digits-fm"]}'), done)
    assert asked == [("digits-fm", None, done)]

    def refused(text: str) -> str:
        with pytest.raises(Refused) as e:
            live.apply_input(rt, *live.parse_input(text))
        assert e.value.address == "/bundle"
        return e.value.reason

    assert "known: digits-fm, square-sine" in refused('{"address": "/bundle", "args": ["../x"]}')
    for bad in ('[]', '[1]', '["a", "b"]', '[["a"]]', '[null]'):
        assert "expects one bundle name" in refused('{"address": "/bundle", "args": %s}' % bad)
    assert len(asked) == 2
    h = live.hello_frame(rt, None, "v", 8, 200.0)
    assert h["bundle_switch"] is True and h["bundles"] == ["digits-fm", "square-sine"]


def test_frames_carry_the_voices_latents(manifest: Any) -> None:
    rt = FakeRuntime(manifest)
    live.apply_input(rt, "/voice/1/latent/sound", [0.5, -0.5])
    lat = live.Latents()
    f = live.state_frame(rt, lat)
    v = f["voices"][1]
    assert v[0] == 1 and v[4] == [0.5, -0.5] and v[3] == [1.0, -1.0]     # the reverse mapper's image latent
    assert f["voices"][0][:1] == [0] and f["voices"][0][3] is None
    assert f["master_db"] == pytest.approx(-12.0, abs=0.01)
    json.dumps(f)
    h = live.hello_frame(rt, None, "v", 8, 200.0)
    assert h["voices"] == 4 and h["image_latent"] == 2 and h["planes"] is None and h["bundle_switch"] is False
    assert h["bundles"] == [manifest.name]


# --- the server, in-process ---------------------------------------------------------------------------

def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))


async def served(manifest: Any, max_pages: int = 8) -> WebServer:
    srv = WebServer(FakeRuntime(manifest), "127.0.0.1", 0, AllowList(["127.0.0.0/8"]), max_pages, 30.0)
    assert await srv.start()
    for _ in range(200):
        if srv.planes is not None:
            break
        await asyncio.sleep(0.05)
    return srv


async def raw_get(port: int, path: str, headers: str = "") -> bytes:
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}Connection: close\r\n\r\n".encode())
    data = await r.read()
    w.close()
    return data


def test_server_serves_only_the_shipped_files(manifest: Any) -> None:
    async def main() -> None:
        srv = await served(manifest)
        try:
            assert (await raw_get(srv.port, "/")).startswith(b"HTTP/1.1 200")
            assert (await raw_get(srv.port, "/static/app.js")).startswith(b"HTTP/1.1 200")
            for path in ("/../../etc/passwd", "/static/../../../etc/passwd", "/static/..%2F..%2Fetc%2Fpasswd",
                         "/static/%2e%2e/server.py", "/static/planes.py", "/static/"):
                resp = await raw_get(srv.port, path)
                assert not resp.startswith(b"HTTP/1.1 200") and b"root:" not in resp, path
            assert (await raw_get(srv.port, f"/plane/image/{srv.version}/0.png")).startswith(b"HTTP/1.1 200")
            assert (await raw_get(srv.port, "/plane/image/old/0.png")).startswith(b"HTTP/1.1 404")
            r, w = await asyncio.open_connection("127.0.0.1", srv.port)   # a DNS-rebinding Host
            w.write(b"GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
            assert (await r.read()).startswith(b"HTTP/1.1 403")
            w.close()
        finally:
            await srv.stop()
    run(main())


def test_websocket_origin_limit_input_and_slow_pages(manifest: Any) -> None:
    import aiohttp

    async def main() -> None:
        srv = await served(manifest, max_pages=2)
        url = f"http://127.0.0.1:{srv.port}/ws"
        own = {"Origin": f"http://127.0.0.1:{srv.port}"}
        try:
            async with aiohttp.ClientSession() as s:
                for origin in ("http://evil.example", f"http://localhost:{srv.port + 1}", None):
                    with pytest.raises(aiohttp.WSServerHandshakeError) as e:
                        await s.ws_connect(url, headers={"Origin": origin} if origin else {})
                    assert e.value.status == 403
                a = await s.ws_connect(url, headers=own)
                hello = json.loads((await a.receive()).data)
                assert hello["type"] == "hello" and hello["planes"]["image"]["count"] == 1
                assert json.loads((await a.receive()).data)["type"] == "state"
                b = await s.ws_connect(url, headers=own)
                with pytest.raises(aiohttp.WSServerHandshakeError) as e:     # the third page is one too many
                    await s.ws_connect(url, headers=own)
                assert e.value.status == 503
                # bad input: an error frame, the page stays
                for bad in ("nonsense", json.dumps({"address": "/voice/9/latent/image", "args": [0, 0]})):
                    await a.send_str(bad)
                await a.send_bytes(b"\x00")
                errors = []
                while len(errors) < 3:
                    f = json.loads((await a.receive(timeout=5)).data)
                    if f["type"] == "error":
                        errors.append(f["reason"])
                assert "not JSON" in errors[0] and "does not exist" in errors[1] and "JSON text" in errors[2]
                # play: voice 2 moves, and the next state frame shows it
                await a.send_str(json.dumps({"address": "/voice/2/latent/image", "args": [0.1, 1.0]}))
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    f = json.loads((await a.receive(timeout=5)).data)
                    if f["type"] == "state" and f["voices"][2][0]:
                        assert f["voices"][2][3] == [0.1, 1.0]
                        break
                else:
                    pytest.fail("no state frame with voice 2")
                # rate limit: a burst far over the budget gets error frames, nothing crashes
                for _ in range(300):
                    await a.send_str(json.dumps({"address": "/gain", "args": [-6]}))
                await asyncio.sleep(0.3)
                assert srv.input_errors >= 50
                # a page that stops reading: its queue fills and it is dropped, the others go on
                page_b = next(p for p in srv.pages if p.writer is not None)
                for p in list(srv.pages):
                    if p is not page_b:
                        continue
                    p.writer.cancel()          # as if the socket never drained
                    for _ in range(40):
                        srv._send(p, "x" * 100)
                assert srv.dropped == 1 and len(srv.pages) == 1
                await b.close()
                await a.close()
        finally:
            await srv.stop()
    run(main())


# --- the page in real Chromium ------------------------------------------------------------------------

def chrome() -> Any:
    if not installed():
        require("Debian's chromium + chromium-driver are not installed (apt-get install chromium chromium-driver)",
                "ISUDT_REQUIRE_CHROMIUM")
    return browser_chrome(console_log=True)


@pytest.fixture
def browser() -> Any:
    d = chrome()
    yield d
    d.quit()


def web_url(d: Any) -> str:
    m = re.search(r"\| web (http://\S+)", d.ready_line)
    assert m, d.ready_line
    return m.group(1)


WEB = {"web": {"enabled": True, "port": 0}, "synth": {"voices": 4}}


@pytest.mark.process
def test_page_loads_shows_pictures_and_follows_osc(daemon_factory: Any, browser: Any, tmp_path: Path) -> None:
    d = daemon_factory(WEB)
    browser.get(web_url(d))
    wait_js(browser, "return isudt.connected && isudt.hello && isudt.hello.planes && "
                     "isudt.planes.image.length && isudt.planes.image[0].complete && isudt.frames > 0")
    time.sleep(0.3)
    # the image plane shows the decoded pictures: a screenshot of its canvas has the mosaic's texture
    from PIL import Image
    import io
    canvas = browser.find_element("id", "image-canvas")
    shot = np.asarray(Image.open(io.BytesIO(canvas.screenshot_as_png)).convert("L"), np.float32)
    assert shot.shape[0] > 300 and shot.std() > 20 and shot.max() > 200
    rows = shot[::max(1, shot.shape[0] // 12)]
    assert np.mean(np.abs(np.diff(rows, axis=1))) > 2      # structure, not a flat fill
    # OSC moves voice 3: its dot follows within 200 ms
    c = d.client()
    lo, hi = (np.asarray(v) for v in browser.execute_script("return isudt.hello.image_box"))
    for k, u in enumerate((0.25, 0.75, 0.4)):
        z = lo + u * (hi - lo)
        want = [u * 440, (1 - u) * 440]
        t0 = time.monotonic()
        c.send("/voice/3/latent/image", float(z[0]), float(z[1]))
        dot = wait_js(browser, f"var p = isudt.dots.image[3]; return p && Math.abs(p[0] - {want[0]}) < 2 && "
                               f"Math.abs(p[1] - {want[1]}) < 2 && p", 2.0)
        dt = time.monotonic() - t0
        assert dt < 0.2, f"the dot followed after {dt * 1000:.0f} ms"
        assert browser.execute_script("return isudt.dots.sound[3]") is not None
    # no console error while loading and playing
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert not errors, errors
    assert max(browser.execute_script("return isudt.frameMs")) < 50


@pytest.mark.process
def test_dragging_on_the_page_plays_and_osc_subscribers_see_it(daemon_factory: Any, browser: Any) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    d = daemon_factory(WEB)
    sub = d.client()
    sub.send("/subscribe")
    sub.wait_for("/subscribed")
    sub.drain(0.3)
    browser.get(web_url(d))
    wait_js(browser, "return isudt.connected && isudt.hello && isudt.frames > 0")
    browser.execute_script("isudt.selected = 2")
    canvas = browser.find_element("id", "sound-canvas")
    (ActionChains(browser).move_to_element_with_offset(canvas, -100, -50).click_and_hold()
     .move_by_offset(60, 30).move_by_offset(60, 30).release().perform())
    deadline = time.monotonic() + 3
    seen = None
    while time.monotonic() < deadline:
        m = sub.recv(0.5)
        if m and m[0] == "/state/voice" and m[1][0] == 2 and m[1][1] == 1:
            seen = m[1]
            break
    assert seen is not None, "no /state/voice 2 active pushed to the OSC subscriber"
    assert 38 <= seen[2] <= 86
    assert d.status()["handled"] >= 1
    # the page's dot of voice 2 is where the drag ended (the canvas centre + 20, + 10)
    wait_js(browser, "var p = isudt.dots.sound[2]; return p && Math.abs(p[0] - 240) < 4 && Math.abs(p[1] - 230) < 4")
    # panic from the page: every voice off, the subscriber hears it
    browser.find_element("id", "panic").click()
    sub.wait_for("/off", 3)


@pytest.mark.process
def test_page_reconnects_after_a_daemon_restart(daemon_factory: Any, browser: Any, tmp_path: Path) -> None:
    port = free_tcp_port()
    cfg = {"web": {"enabled": True, "port": port}, "synth": {"voices": 4}}
    d = daemon_factory(cfg)
    browser.get(web_url(d))
    wait_js(browser, "return isudt.connected && isudt.frames > 0")
    d.stop()
    wait_js(browser, "return !isudt.connected", 5)
    d2 = daemon_factory(cfg)
    assert web_url(d2) == f"http://127.0.0.1:{port}/"
    wait_js(browser, "return isudt.connected && isudt.reconnects >= 1", 10)
    c = d2.client()
    c.send("/voice/1/latent/image", 0.0, 1.0)
    wait_js(browser, "return isudt.dots.image[1]", 3)


@pytest.mark.process
def test_a_busy_port_is_a_warning_and_no_web_means_none(daemon_factory: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        d = daemon_factory({"web": {"enabled": True, "port": port}})
        assert "| web" not in d.ready_line
        d.wait_log(r"WARNING .*web page: cannot listen on 127\.0\.0\.1:%d" % port)
        assert d.status()["audio_ok"] == 1      # the daemon serves anyway
    d2 = daemon_factory({"web": {"enabled": True, "port": 0}}, args=["--no-web"])
    assert "| web" not in d2.ready_line


def canvas_shot(browser: Any, plane: str, mode: str = "L") -> np.ndarray:
    """A screenshot of one plane's canvas, as an array (grey or RGB)."""
    import io
    from PIL import Image
    canvas = browser.find_element("id", f"{plane}-canvas")
    return np.asarray(Image.open(io.BytesIO(canvas.screenshot_as_png)).convert(mode), np.float32)


def planes_drawn(browser: Any, bundle: str, timeout: float = 30.0) -> dict:
    """Wait until the page shows `bundle` with both planes loaded (the slice drawn now); its hello."""
    wait_js(browser, f"var h = isudt.hello; return isudt.connected && h && h.bundle === {bundle!r} && h.planes && "
                     "['image', 'sound'].every(function (p) { var i = isudt.planes[p]; "
                     "var k = Math.min(Math.max(isudt.slice[p], 0), i.length - 1); "
                     "return i.length === h.planes[p].count && i[k].complete && i[k].naturalWidth > 0; }) && "
                     "isudt.frames > 0", timeout)
    time.sleep(0.3)     # a frame or two to draw them
    return browser.execute_script("return isudt.hello")


def console_errors(browser: Any) -> list:
    return [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def assert_digits_plane(shot: np.ndarray) -> None:
    """The image plane of digits-fm: a 12 x 12 mosaic of decoded digits, strokes rather than a dot per tile."""
    assert shot.shape[0] > 300 and shot.std() > 20 and shot.max() > 200
    rows = shot[::max(1, shot.shape[0] // 12)]
    assert np.mean(np.abs(np.diff(rows, axis=1))) > 2
    side = shot.shape[0] // 12
    tiles = [shot[r * side:(r + 1) * side, c * side:(c + 1) * side][2:-3, 2:-3] for r in range(12) for c in range(12)]
    # a digit's strokes: a good share of each tile white, with sharp edges (measured on the planes: digits-fm
    # 8-15 % and 25-30 grey levels per pixel; square-sine's glowing dot 1 % and 11)
    white = float(np.median([np.mean(t > 200) for t in tiles]))
    edges = float(np.median([np.mean(np.abs(np.diff(t, axis=0))) + np.mean(np.abs(np.diff(t, axis=1)))
                             for t in tiles]))
    assert white > 0.05 and edges > 18, (white, edges)


@pytest.mark.process
def test_page_serves_digits_fm_with_decoded_digits_and_the_z2_slider(daemon_factory: Any, browser: Any) -> None:
    d = daemon_factory(WEB, args=["--bundle", "digits-fm"], ready_timeout=30.0)
    browser.get(web_url(d))
    h = planes_drawn(browser, "digits-fm")
    assert h["image_latent"] == h["sound_latent"] == 3 and h["synth"]["kind"] == "fm" and h["bundle_switch"]
    assert h["planes"]["image"]["count"] == h["planes"]["sound"]["count"] == len(h["planes"]["image"]["slices"]) > 1
    for plane in ("image", "sound"):     # 3-D latents: a slider for z2 under each plane
        assert browser.execute_script(f"return !document.getElementById('{plane}-slice-box').hidden")
    assert browser.execute_script("return document.getElementById('bundle-select').value") == "digits-fm"
    image = canvas_shot(browser, "image")
    assert_digits_plane(image)
    # the sound plane in FM colours: hue = pitch, brightness = the index (saturated colours, not grey)
    sound = canvas_shot(browser, "sound", "RGB")
    assert np.mean(sound.max(axis=2) - sound.min(axis=2)) > 30
    legend = browser.find_element("id", "legend").text
    assert "brightness: index" in legend and "synth: fm" in legend
    # the slider shows another slice of the latent box
    browser.execute_script("var s = document.getElementById('image-slice'); s.value = '0'; "
                           "s.dispatchEvent(new Event('input'))")
    wait_js(browser, "return isudt.slice.image === 0 && isudt.planes.image[0].complete")
    time.sleep(0.2)
    other = canvas_shot(browser, "image")
    assert np.mean(np.abs(other - image)) > 5
    # OSC moves voice 1 with a 3-D latent: its dot is in both planes
    c = d.client()
    played = c.request("/voice/1/latent/image", -1.54, -2.82, -0.42, reply="/voice/1/synthparams")
    assert len(played) == 3
    wait_js(browser, "return isudt.dots.image[1] && isudt.dots.sound[1]", 3)
    assert not console_errors(browser)


@pytest.mark.process
def test_switching_bundles_from_the_page_changes_the_planes(daemon_factory: Any, browser: Any) -> None:
    from selenium.webdriver.support.ui import Select
    d = daemon_factory(WEB, ready_timeout=30.0)
    sub = d.client()
    sub.send("/subscribe")
    sub.wait_for("/subscribed")
    browser.get(web_url(d))
    h0 = planes_drawn(browser, "square-sine")
    assert h0["image_latent"] == 2 and h0["bundles"][:2] == ["digits-fm", "square-sine"]
    assert browser.execute_script("return document.getElementById('image-slice-box').hidden")
    square = canvas_shot(browser, "image")
    assert square.std() > 20 and square.max() > 200     # the square world's mosaic is drawn ...
    with pytest.raises(AssertionError):
        assert_digits_plane(square)              # ... and the check tells a square from a digit
    c = d.client()
    c.request("/voice/0/latent/image", 0.1, 1.0, reply="/voice/0/sineparams")
    wait_js(browser, "return isudt.dots.image[0]", 3)
    sub.drain(0.3)

    select = Select(browser.find_element("id", "bundle-select"))
    select.select_by_value("digits-fm")
    h1 = planes_drawn(browser, "digits-fm", 60.0)
    assert h1["image_latent"] == 3 and h1["planes_version"] != h0["planes_version"]
    for plane in ("image", "sound"):
        assert browser.execute_script(f"return !document.getElementById('{plane}-slice-box').hidden")
    digits = canvas_shot(browser, "image")
    assert_digits_plane(digits)
    assert np.mean(np.abs(digits - square)) > 10
    # it went through the daemon's /bundle: OSC says so, subscribers got the new synth, voice 0 faded out
    assert sub.wait_for("/state/synth", 3.0)[0] == "fm"
    assert c.request("/bundle", reply="/bundle")[0] == "digits-fm"
    wait_js(browser, "return !isudt.dots.image[0] && !isudt.switching && "
                     "!document.getElementById('bundle-select').disabled", 3)
    # a name the daemon does not know, sent as the page sends it: an error frame, nothing switches
    browser.execute_script("send('/bundle', ['../square-sine'])")
    wait_js(browser, "return isudt.lastError.indexOf('never a path') >= 0", 3)
    assert d.status()["model_id"] == h1["model_id"]
    # and back
    select.select_by_value("square-sine")
    h2 = planes_drawn(browser, "square-sine", 60.0)
    assert h2["image_latent"] == 2 and h2["planes_version"] != h1["planes_version"]
    assert browser.execute_script("return document.getElementById('image-slice-box').hidden")
    assert np.mean(np.abs(canvas_shot(browser, "image") - square)) < 5
    assert d.status()["reloads"] == 2
    assert not console_errors(browser)


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
