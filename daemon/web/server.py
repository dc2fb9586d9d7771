"""The web page's server: aiohttp on the daemon's own event loop (no second process, no thread on the hot path).

Routes: `/` (the page), `/static/<name>` (only the files shipped in `daemon/web/static/`, read once at
start: a name that is not one of them is a 404, whatever it contains), `/plane/<kind>/<version>/<k>.png`
(the latent planes, `planes.py`, computed in a thread once per bundle) and `/ws` (the live frames and the
page's input, `live.py`).

Safety: it binds `web.host` (loopback by default); every request must come from an address `osc.allow`
admits and name a Host that is `localhost` or an IP address (so a DNS-rebinding name cannot reach it); the
WebSocket handshake needs an `Origin` equal to `http://<Host>` (the page's own host:port), and at most
`web.max_pages` are open at once. Each page has a bounded send queue: a page that stops reading is dropped
when its queue is full, so it never slows the loop. Input frames are rate-limited per page (a token bucket)
and validated by the OSC side's validator; a refusal is an error frame, never a crash.
"""
from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import time
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from ..messages import Refused
from ..osc_server import AllowList, TokenBucket
from . import live, planes as planes_mod

log = logging.getLogger("isudt.web")

SEND_QUEUE = 32            # frames waiting per page (about a second at 30 frames/s); full: the page is dropped
INPUT_RATE = 200.0         # input frames per second per page, on average ...
INPUT_BURST = 60           # ... and at once
ERROR_RATE = 20.0          # error frames per second per page
MAX_INPUT_BYTES = 4096
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml"}


def shipped_static() -> dict[str, tuple[bytes, str]]:
    """name -> (bytes, content type) for every file in the package's `web/static/` folder."""
    out: dict[str, tuple[bytes, str]] = {}
    folder = resources.files("isudt.daemon.web").joinpath("static")
    for f in folder.iterdir():
        name = f.name
        ext = name[name.rfind("."):] if "." in name else ""
        if f.is_file() and ext in TYPES:
            out[name] = (f.read_bytes(), TYPES[ext])
    return out


def host_ok(host_header: str | None) -> bool:
    """A Host header naming `localhost` or an IP address (with an optional port): never a DNS name, which an
    attacker's page could point at this machine (DNS rebinding)."""
    if not host_header:
        return False
    try:
        name = urlsplit("http://" + host_header).hostname
    except ValueError:
        return False
    if name is None:
        return False
    if name == "localhost":
        return True
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def origin_ok(origin: str | None, host_header: str | None) -> bool:
    """The page's own origin: `http://<Host>` exactly (same host and port)."""
    if not origin or not host_header or not host_ok(host_header):
        return False
    return origin.rstrip("/").lower() == f"http://{host_header}".lower()


class Page:
    """One open page: its WebSocket, its bounded send queue and the task that writes it out."""

    def __init__(self, ws: web.WebSocketResponse, transport: Any, peer: str) -> None:
        self.ws = ws
        self.transport = transport
        self.peer = peer
        self.queue: asyncio.Queue[str] = asyncio.Queue(SEND_QUEUE)
        self.inputs = TokenBucket(INPUT_RATE, INPUT_BURST)
        self.errors = TokenBucket(ERROR_RATE, ERROR_RATE)
        self.writer: asyncio.Task | None = None
        self.dropped = False


class WebServer:
    def __init__(self, runtime: Any, host: str, port: int, allow: AllowList, max_pages: int = 8,
                 frame_rate: float = 30.0) -> None:
        self.runtime = runtime
        self.host, self.port = host, port
        self.allow = allow
        self.max_pages = max_pages
        self.period = 1.0 / frame_rate
        self.static = shipped_static()
        self.pages: set[Page] = set()
        self.dropped = 0           # pages dropped for not reading
        self.refused = 0           # handshakes refused (origin, host, allow list, too many pages)
        self.inputs = 0            # input frames applied
        self.input_errors = 0
        self.planes: dict[str, planes_mod.Plane] | None = None
        self.version = ""
        self._planes_for: Any = None     # the Models the planes were (or are being) computed for
        self._computing: asyncio.Future | None = None
        self._runner: web.AppRunner | None = None
        self._ticker: asyncio.Task | None = None
        self._latents = live.Latents()
        self._last_state = ""
        self._last_status = 0.0
        self._seen_seq = 0
        self.url = ""

    # --- lifecycle ------------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard], client_max_size=MAX_INPUT_BYTES)
        app.router.add_get("/", self._index)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get(r"/plane/{kind:image|sound}/{version:[A-Za-z0-9_.-]{1,80}}/{k:\d{1,3}}.png", self._plane)
        app.router.add_get("/ws", self._ws)
        return app

    async def start(self) -> str | None:
        """Bind and serve; the page's URL, or None (logged as a warning) when the port cannot be had."""
        runner = web.AppRunner(self.app(), access_log=None, handle_signals=False, shutdown_timeout=0.2)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        try:
            await site.start()
        except OSError as e:
            await runner.cleanup()
            log.warning("web page: cannot listen on %s:%s (%s); serving without it", self.host, self.port,
                        e.strerror or e)
            return None
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self.port = port
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{port}/"
        self._check_planes()
        self._ticker = asyncio.get_running_loop().create_task(self._tick())
        return self.url

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        for page in list(self.pages):
            self._drop(page, count=False)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- planes ---------------------------------------------------------------------------------
    def _check_planes(self) -> None:
        """Compute the planes of the current bundle in a thread, once per bundle (a reload brings new ones)."""
        models = self.runtime.models
        if models is self._planes_for:
            return
        self._planes_for = models
        self.planes, self.version = None, ""      # the old bundle's planes are no more (their URLs 404)
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(None, planes_mod.compute, models)
        self._computing = fut

        def done(f: asyncio.Future) -> None:
            if self._planes_for is not models:     # a newer bundle came meanwhile
                return
            try:
                self.planes = f.result()
            except Exception as e:
                log.warning("web page: the latent planes could not be computed: %s", e)
                self.planes = None
                return
            self.version = f"{models.manifest.model_id}-{int(time.time() * 1000) % 10**9}"
            self._broadcast(json.dumps(self._hello()))

        fut.add_done_callback(done)
        if self.pages:    # a new bundle: the pages learn its latents at once, its planes when they are computed
            self._broadcast(json.dumps(self._hello()))

    def _hello(self) -> dict:
        return live.hello_frame(self.runtime, self.planes if self._planes_for is self.runtime.models else None,
                                self.version, self.max_pages, INPUT_RATE)

    # --- HTTP -----------------------------------------------------------------------------------
    @web.middleware
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        remote = request.remote or ""
        if not self.allow.admits(remote) or not host_ok(request.headers.get("Host")):
            self.refused += 1
            return web.Response(status=403, text="forbidden\n")
        resp = await handler(request)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Cache-Control", "no-cache")
        return resp

    def _file(self, name: str) -> web.Response:
        body, ctype = self.static[name]
        resp = web.Response(body=body, headers={"Content-Type": ctype})
        if name.endswith(".html"):
            resp.headers["Content-Security-Policy"] = ("default-src 'self'; img-src 'self' data:; "
                                                       "connect-src 'self' ws: ; frame-ancestors 'none'")
            resp.headers["X-Frame-Options"] = "DENY"
        return resp

    async def _index(self, request: web.Request) -> web.Response:
        return self._file("index.html")

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.static:
            raise web.HTTPNotFound()
        return self._file(name)

    async def _plane(self, request: web.Request) -> web.Response:
        kind, version, k = request.match_info["kind"], request.match_info["version"], int(request.match_info["k"])
        p = self.planes
        if p is None or version != self.version or k >= len(p[kind].pngs):
            raise web.HTTPNotFound()
        return web.Response(body=p[kind].pngs[k], headers={"Content-Type": "image/png"})

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        if not origin_ok(request.headers.get("Origin"), request.headers.get("Host")):
            self.refused += 1
            return web.Response(status=403, text="origin refused\n")
        if len(self.pages) >= self.max_pages:
            self.refused += 1
            return web.Response(status=503, text=f"{self.max_pages} pages are open already\n")
        ws = web.WebSocketResponse(heartbeat=10.0, max_msg_size=MAX_INPUT_BYTES, compress=False)
        if not ws.can_prepare(request).ok:
            return web.Response(status=400, text="a WebSocket handshake is expected here\n")
        await ws.prepare(request)
        page = Page(ws, request.transport, request.remote or "?")
        self.pages.add(page)
        page.writer = asyncio.get_running_loop().create_task(self._write(page))
        self._send(page, json.dumps(self._hello()))
        self._send(page, self._last_state or json.dumps(live.state_frame(self.runtime, self._latents)))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._input(page, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    self._input(page, None)
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            self._drop(page, count=False)
        return ws

    # --- pages ----------------------------------------------------------------------------------
    def _input(self, page: Page, text: str | None) -> None:
        """One input frame: rate limit, parse, validate (the OSC side's validator), apply; else an error frame."""
        address = ""
        try:
            if not page.inputs.take():
                raise Refused("", f"too many input frames (at most {INPUT_RATE:g}/s)")
            address, args = live.parse_input(text)

            def switched(reason: str | None) -> None:    # a /bundle switch from this page is over
                if reason is not None:
                    self.input_errors += 1
                    self._send(page, live.error_frame("/bundle", reason))

            live.apply_input(self.runtime, address, args, switched)
            self.inputs += 1
        except Refused as e:
            self.input_errors += 1
            if page.errors.take():
                self._send(page, live.error_frame(e.address or address, e.reason))
        except Exception:   # a bug must not end the page or the loop
            self.input_errors += 1
            log.exception("web page: input failed")
            if page.errors.take():
                self._send(page, live.error_frame(address, "internal error"))

    def _send(self, page: Page, text: str) -> None:
        if page.dropped:
            return
        try:
            page.queue.put_nowait(text)
        except asyncio.QueueFull:
            log.warning("web page %s: not reading; dropped", page.peer)
            self._drop(page)

    def _broadcast(self, text: str) -> None:
        for page in list(self.pages):
            self._send(page, text)

    async def _write(self, page: Page) -> None:
        try:
            while True:
                text = await page.queue.get()
                await page.ws.send_str(text)
        except asyncio.CancelledError:
            raise
        except Exception:   # the connection went away
            self._drop(page, count=False)

    def _drop(self, page: Page, count: bool = True) -> None:
        if page.dropped:
            return
        page.dropped = True
        self.pages.discard(page)
        if count:
            self.dropped += 1
            if page.transport is not None:
                page.transport.abort()     # the handler's read loop ends; nothing more is written
        if page.writer is not None and page.writer is not asyncio.current_task():
            page.writer.cancel()

    # --- frames ---------------------------------------------------------------------------------
    async def _tick(self) -> None:
        """At most `frame_rate` frames a second, only to open pages and only what changed (status: every
        STATUS_S)."""
        while True:
            await asyncio.sleep(self.period)
            try:
                self._check_planes()
                if self.pages:
                    self._frame()
            except Exception:   # a bug here must not end the frames for good
                log.exception("web page: a frame failed")

    def _frame(self) -> None:
        rt = self.runtime
        state = live.state_frame(rt, self._latents)
        now = time.monotonic()
        text = json.dumps(state)
        if now - self._last_status >= live.STATUS_S:
            self._last_status = now
            state["status"] = live.status_block(rt, len(self.pages), self.dropped)
            state["status"].update(web_inputs=self.inputs, web_input_errors=self.input_errors)
            self._last_state = text
            self._broadcast(json.dumps(state))
        elif text != self._last_state:
            self._last_state = text
            self._broadcast(text)
        seq = getattr(rt, "seen_seq", 0)
        seen = getattr(rt, "seen", None)
        if seen is not None and seq != self._seen_seq:
            self._seen_seq = seq
            self._broadcast(json.dumps(live.heard_frame(seen, seq)))


async def start(runtime: Any, cfg: Any) -> WebServer | None:
    """The web page for `runtime`, when `web.enabled`; None when off or its port cannot be had (a warning)."""
    w = cfg.web
    if not w.enabled:
        return None
    server = WebServer(runtime, "127.0.0.1" if w.host == "localhost" else w.host, w.port, AllowList(cfg.osc.allow),
                       w.max_pages, w.frame_rate)
    if not await server.start():
        return None
    if not AllowList(cfg.osc.allow).loopback_only or not ipaddress.ip_address(server.host).is_loopback:
        log.info("web page on %s (osc.allow applies to it)", server.url)
    return server
