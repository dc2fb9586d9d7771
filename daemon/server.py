"""`isudt serve`: wire config, bundle, synth, audio output, inference and OSC together; run the lifecycle.

Start order is chosen so that every failure is cheap and clear: config
(exit 2 on any problem), then bind the OSC port (a busy port fails at once),
then the bundle (one clear line and exit 1: systemd restarts it), then warm-up,
audio, OSC. Only when all of that works does the daemon say it is ready: one
`isudt ready: ...` line on stderr (tests and the benchmark wait for it) and
READY=1 to systemd.

Signals: SIGINT/SIGTERM fade out, close the stream and exit 0 within a second;
SIGHUP reloads config and bundle off the event loop and swaps them in only if
everything about the new ones is valid — otherwise the old ones keep playing.
OSC `/bundle NAME` (and the web page) switches to another bundle by name with
the same preparation (`prepare_bundle`) and the same rule (`reload_allowed`):
a shipped bundle or one inside `bundle.reload_dirs`, never a path.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import math
import os
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from isudt import __version__

from . import config as config_mod
from .bundle import NO_WAY_BACK, BundleError, Models, open_bundle, shipped_bundles
from .config import Config, ConfigError
from .listen import Listener, Seen, WayBack
from .messages import (Control, Gain, Glide, ImageLatentSound, ImageMel, ImageRequest, ImageSine, Limits, Mute, Request,
                       VoiceOff)
from .notify import Notifier, watchdog_interval
from .osc_codec import encode_message, image_replies
from .osc_server import AllowList, OscCounters, OscServer, ReplySender, bind_udp, resolve
from .status import AudioStats, DaemonState, ListenStatus, StatusReport, state_messages, status_pairs
from .subscribers import Subscribers, format_address
from .synths import SINE, SynthDef
from .pipeline import Pipeline, Result
from .util import Ring

if TYPE_CHECKING:   # imported when serving starts (the C engine loads with them), typed against here
    from .audio_out import AudioOutput
    from .engine import Engine

log = logging.getLogger("isudt")

READY_PREFIX = "isudt ready:"
FILL_IDLE_S = 0.2     # the position table fills only after this long without a request ...
FILL_DUTY = 0.25      # ... and takes at most this share of one core while it does
SWITCH_INTERVAL_S = 0.0005   # the null output's clock thread gets the GIL back within a fraction of a block
HEARTBEAT_S = 1.0            # /heartbeat to subscribers: a patch's "connected" lamp means "heard within 2 s"

# what each kind of request does here (osc_server.OscServer's table sends it to `see` or `control`)
SEE: dict[type, Callable[[WayBack, Any], Seen]] = {
    ImageSine: lambda wb, r: wb.from_sine(r.pitch, r.db),
    ImageMel: lambda wb, r: wb.from_mel(r.mel),
    ImageLatentSound: lambda wb, r: wb.from_latent(r.z),
}
CONTROLS: dict[type, Callable[[Engine, Any], None]] = {
    Gain: lambda synth, c: synth.set_gain(c.db),
    Glide: lambda synth, c: synth.set_glide(c.ms),
    Mute: lambda synth, c: synth.set_mute(c.on),
}


class Runtime:
    """The daemon's live state; the OSC server's backend (limits, submit, flush, control, status).

    Requests run on the event loop, inline: `submit` stages them and `flush`
    (called by the OSC side once per drain of the socket) runs them as one
    batch, plays the results and has the OSC side answer. See pipeline.py for
    why there is no inference thread.
    """

    def __init__(self, cfg: Config, models: Models, synth: Engine, audio: AudioOutput, pipeline: Pipeline,
                 replies: ReplySender, bundle_path: Path | None) -> None:
        self.cfg = cfg
        self.models = models
        self.synth = synth
        self.audio = audio
        self.pipeline = pipeline
        self.replies = replies
        self.bundle_path = bundle_path
        self.config_bundle_path = bundle_path   # the config's bundle.path (a SIGHUP may always go back to it)
        self.osc: OscServer | None = None
        self.reloads = 0                     # bundle swaps: SIGHUP reloads and /bundle switches
        self.reload_task: asyncio.Task | None = None   # the reload or switch running now (one at a time)
        self.t0 = time.monotonic()
        self.latency_ms = Ring()   # datagram receipt -> replies sent
        self.loop: asyncio.AbstractEventLoop | None = None   # set by serve(); runs the idle fill
        self._last_request = 0.0
        self._last_warm = 0.0
        self._limits = Limits.from_manifest(models.manifest, cfg.synth.voices, cfg.osc.max_blob_bytes)
        self._pushed: DaemonState | None = None
        self._told: set = set()              # subscribers that have had the full state
        self.way_back = make_way_back(models, cfg)
        self.image_ms = Ring()               # /image/... datagram receipt -> replies sent
        self._listen_sender: Any = None      # who sent the last /image/listen 1 (gets the stream if reply_to_sender)
        self.points: list[Result | None] = [None] * cfg.synth.voices   # per voice, what it plays (the web page)
        self.seen: Seen | None = None        # the way back's newest result, and a count of them (the web page)
        self.seen_seq = 0
        read = getattr(synth, "read_input", None)
        self.listener = Listener(read if read is not None else _no_input, lambda: self.way_back, self._emit_heard,
                                 cfg.listen.rate, cfg.listen.silence_db)

    @property
    def listening(self) -> bool:
        """/image/listen (the way back); part of the pushed state."""
        return self.listener.on

    @property
    def input_device(self) -> str | None:
        return getattr(self.audio, "input_name", None) if self.cfg.audio.input is not None else None

    # Backend
    def limits(self) -> Limits:
        return self._limits

    def submit(self, request: Request) -> None:
        self.pipeline.stage(request)

    def flush(self) -> None:
        """Run what this drain staged; each result is played, then answered (a reply means it is playing)."""
        batch = self.pipeline.take()
        if batch:
            self._last_request = time.monotonic()
            for result in self.pipeline.run(batch):
                self._apply(result)

    def fill_when_idle(self) -> None:
        """One chunk of the position table, only after FILL_IDLE_S without requests; reschedules itself.

        On the event loop, so a request waits at most one chunk (~0.5 ms)
        behind it, and never while a performer is playing: the fill uses the
        pauses, paced to FILL_DUTY of one core. Audio does not wait for it
        (the engine's callback takes no Python lock).
        """
        if self.loop is None:
            return
        idle = time.monotonic() - self._last_request
        if not self.pipeline.position_table or self.pipeline.table.complete:
            delay = 1.0    # nothing to do; look again (a reload brings a new, empty table)
        elif idle < FILL_IDLE_S:
            delay = FILL_IDLE_S - idle
        else:
            t = time.perf_counter()
            self.pipeline.fill()
            delay = (time.perf_counter() - t) * (1.0 / FILL_DUTY - 1.0)
        self.loop.call_later(delay, self.fill_when_idle)

    def keep_warm(self) -> None:
        """Every `inference.keep_warm_ms` without a request, one pass through the networks and the OSC
        decoding; reschedules itself.

        On the event loop, like the fill: a request that arrives meanwhile waits
        at most one batch-1 pass (~0.1 ms). Off (checked again once a second,
        a reload may turn it on) when the setting is 0.
        """
        if self.loop is None:
            return
        period = self.cfg.inference.keep_warm_ms / 1e3
        if period <= 0:
            self.loop.call_later(1.0, self.keep_warm)
            return
        now = time.monotonic()
        since = now - max(self._last_request, self._last_warm)
        if since >= period:
            try:
                self.pipeline.keep_warm()
                if self.osc is not None:
                    self.osc.keep_warm()
            except Exception:   # a bundle that cannot take the warm pass must not stop the timer
                log.exception("keep_warm failed")
            self._last_warm, since = now, 0.0
        self.loop.call_later(period - since, self.keep_warm)

    def _apply(self, result: Result) -> None:
        """Play, then answer; a synth that refuses (e.g. its command queue is full) turns it into an /error.

        The bundle's synth plays the result's parameters (`Engine.set_voice_params`); a synth other than
        the sine is answered with what the engine plays (`played_params`: FM's index after the alias guard).
        """
        r = result.request
        try:
            if result.release:
                self.synth.release_voice(r.voice)
            elif result.params is not None:
                synth = self.models.manifest.synth or SINE
                self.synth.set_voice_params(r.voice, synth, result.params)
                if synth.kind != "sine":
                    result.played = tuple(self.synth.played_params(r.voice))
            if result.release or result.params is not None:
                self.points[r.voice] = None if result.release else result
        except Exception as e:
            log.warning("synth refused %s: %s", r.address or r.prefix, e)
            self.pipeline.counters.handled -= 1
            self.pipeline.counters.errors += 1
            result = Result(r, error=f"not played: {str(e)[:120] or e.__class__.__name__}")
        if self.osc is not None:
            self.osc.answer(result)
        if result.params is not None and r.t_received:
            self.latency_ms.add((time.perf_counter() - r.t_received) * 1e3)

    def all_off(self, reply_to: Any) -> None:
        """Stage a release of every voice, each behind that voice's earlier requests (no per-voice reply)."""
        for v in range(self.cfg.synth.voices):
            self.pipeline.stage(VoiceOff(v, "", reply_to=reply_to, address="/off"))

    # the way back
    def see(self, request: ImageRequest, sender: Any) -> str | None:
        """/image/sine, /image/mel, /image/latent/sound: compute and answer now; None, or why not."""
        wb = self.way_back
        if wb is None:
            return NO_WAY_BACK
        t = time.perf_counter()
        try:
            how = SEE.get(type(request))
            if how is None:
                return "unknown way-back request"
            seen = how(wb, request)
        except Exception as e:  # ORT failing on a structurally valid bundle
            log.warning("the way back failed: %s", e)
            return f"inference failed: {str(e).splitlines()[0][:120] if str(e) else e.__class__.__name__}"
        if not all(map(math.isfinite, seen.z_image)):
            return "the model produced a non-finite result"
        self.seen, self.seen_seq = seen, self.seen_seq + 1
        for data in image_replies(seen):
            self.replies.send(data, sender)
        self.image_ms.add((time.perf_counter() - t) * 1e3)
        return None

    def listen(self, on: bool, sender: Any = None) -> str | None:
        """/image/listen 1|0; None, or why listening cannot start.

        The stream goes where every reply goes: the reply target, the
        subscribers and (with reply_to_sender) whoever asked to listen last.
        """
        if not on:
            self.listener.stop()
            return None
        if self.way_back is None:
            return NO_WAY_BACK
        if self.input_device is None:
            return ("no audio input is configured: start the daemon with --input DEVICE (or set audio.input; "
                    "`isudt devices` lists the inputs)")
        if self.loop is None:
            return "not running yet"
        self._listen_sender = sender
        self.listener.start(self.loop)
        return None

    def _emit_heard(self, seen: Seen | None, level: float) -> None:
        """The live analysis' replies, to the reply target and the subscribers."""
        if seen is None:
            self.replies.send(encode_message("/image/silent", [round(level, 2)]), self._listen_sender)
            return
        self.seen, self.seen_seq = seen, self.seen_seq + 1
        for data in image_replies(seen):
            self.replies.send(data, self._listen_sender)

    def state(self) -> DaemonState:
        m = self.models.manifest
        return DaemonState.from_snapshot(self.synth.snapshot(), self.listening, m.model_id, synth_info(m.synth),
                                         (m.image_latent, m.sound_latent))

    def state_messages(self, full: bool) -> list[tuple[str, list[Any]]]:
        return state_messages(self.state(), None if full else self._pushed)

    def push_state(self) -> None:
        """Tell subscribers what changed since the last push, and new subscribers everything."""
        subs = self.replies.subscribers.targets()
        self._told &= set(subs)
        new = [a for a in subs if a not in self._told]
        now = self.state()
        for address, args in state_messages(now, self._pushed):
            self.replies.broadcast(encode_message(address, args), [a for a in subs if a in self._told])
        if new:
            for address, args in state_messages(now):
                self.replies.broadcast(encode_message(address, args), new)
            self._told.update(new)
        self._pushed = now

    def heartbeat(self) -> None:
        self.replies.broadcast(encode_message("/heartbeat", [round(time.monotonic() - self.t0, 3)]))

    def control(self, c: Control) -> None:
        apply = CONTROLS.get(type(c))
        if apply is not None:
            apply(self.synth, c)

    def swap_models(self, models: Models, cfg: Config, bundle_path: Path | None, fill_chunk: int = 1,
                    kinds: bool = True) -> None:
        """The new bundle from the next request on; `kinds`: every voice takes its synth kind now (else the
        caller does, `set_voice_kinds`, once the voices have faded: /bundle)."""
        self._limits = Limits.from_manifest(models.manifest, self.cfg.synth.voices, cfg.osc.max_blob_bytes)
        self.pipeline.swap(models, fill_chunk)
        self.models = models
        if kinds:
            set_voice_kinds(self.synth, models.manifest.synth, self.cfg.synth.voices)
        self.bundle_path = bundle_path
        self.way_back = make_way_back(models, cfg)
        self.listener.period, self.listener.silence_db = 1.0 / cfg.listen.rate, cfg.listen.silence_db
        if self.way_back is None and self.listening:
            log.warning("listening stopped: the new bundle has no way back")
            self.listener.stop()

    # /bundle
    def bundle_choices(self) -> dict[str, Path]:
        """name -> folder of every bundle `/bundle NAME` may switch to: the shipped ones, the bundles directly
        inside `bundle.reload_dirs` (those `reload_allowed` admits: a symlink out of a dir is not one) and the
        config's own bundle; a name is a folder's name (the first one wins: the shipped ones first)."""
        out = {name: p.resolve() for name, p in shipped_bundles().items()}
        dirs = self.cfg.bundle.reload_dirs
        for d in dirs:
            try:
                entries = sorted(Path(d).expanduser().iterdir(), key=lambda e: e.name)
            except OSError:
                continue
            for e in entries:
                try:
                    if e.name in out or not (e / "manifest.yaml").is_file():
                        continue
                    p = e.resolve()
                except OSError:
                    continue
                if reload_allowed(p, None, dirs):
                    out[e.name] = p
        for own in (self.config_bundle_path, self.bundle_path):
            if own is not None and own.name not in out:
                out[own.name] = own
        return out

    def bundle_name(self) -> str:
        """The name `/bundle` knows the playing bundle by: its folder's name."""
        return self.models.manifest.name

    def bundle(self, name: str | None, sender: Any, done: Callable[[str | None], None] | None = None) -> str | None:
        """`/bundle [NAME]`: None (answered: now, or when the switch is done), or why not (-> /error).

        No name: `/bundle name model_id` to the sender. A name: it must be one of `bundle_choices` (never a
        path: anything path-like is refused before the file system is looked at); the switch
        (`switch_bundle`) prepares the bundle off the loop, then fades the voices, and answers `/bundle name
        model_id` to the sender and `done(None)` (or `/error /bundle why` and `done(why)`).
        """
        if name is None:
            self._reply_bundle(sender)
            return None
        shown = repr(name if len(name) <= 64 else name[:60] + "...")
        if any(c in name for c in "/\\\0~") or name.startswith(".") or name != name.strip():
            return f"{shown} is not a bundle name (a name, never a path); known: {', '.join(self.bundle_choices())}"
        choices = self.bundle_choices()
        if name not in choices:
            return f"no bundle named {shown}; known: {', '.join(choices)}"
        if self.reload_task is not None and not self.reload_task.done():
            return "a bundle switch or reload is running; try again when it is done"
        if self.loop is None:
            return "not running yet"
        path = choices[name]
        if path == self.bundle_path or (self.bundle_path is None and name == self.bundle_name()):
            self._reply_bundle(sender)       # already playing: nothing to switch
            if done is not None:
                done(None)
            return None
        self.reload_task = self.loop.create_task(switch_bundle(self, name, path, sender, done))
        return None

    def _reply_bundle(self, sender: Any) -> None:
        if sender is not None:
            self.replies.to(encode_message("/bundle", [self.bundle_name(), self.models.manifest.model_id]), sender)

    def fade_voices(self) -> None:
        """Every sounding voice fades out (fade_ms); nothing it played is shown any more."""
        for v, voice in enumerate(self.state().voices):
            if voice.active:
                try:
                    self.synth.release_voice(v)
                except Exception as e:   # a full command queue: that voice plays on until its next request
                    log.warning("bundle switch: voice %d not faded: %s", v, e)
            self.points[v] = None

    def audio_healthy(self) -> bool:
        """The audio side is alive if it plays (or runs the null output) and its callback ran recently.

        A lost device keeps a render clock running, but is not healthy: the
        watchdog stops, so systemd restarts a daemon whose device is gone for good.
        """
        try:
            last = self.audio.stats().last_callback
        except Exception:
            return False
        if not last or getattr(self.audio, "state", "running") not in ("running", "null"):
            return False
        period = self.cfg.audio.blocksize / self.cfg.audio.samplerate
        return time.monotonic() - float(last) < max(0.5, 20 * period)

    def audio_stats(self) -> AudioStats:
        """The audio side's snapshot; "nothing known" (zeros) if it cannot say."""
        try:
            return self.audio.stats()
        except Exception:
            return AudioStats()

    def status_report(self) -> StatusReport:
        """Everything /status.reply says, gathered from the parts that count it."""
        o = self.osc.counters if self.osc else OscCounters()
        p = self.pipeline.counters
        lc = self.listener.counters
        return StatusReport(
            version=__version__, model_id=self.models.manifest.model_id, provider=self.models.provider,
            device=str(getattr(self.audio, "description", "?")), audio_state=str(getattr(self.audio, "state", "?")),
            audio_ok=self.audio_healthy(), samplerate=self.cfg.audio.samplerate, blocksize=self.cfg.audio.blocksize,
            voices=self.cfg.synth.voices, received=o.received, handled=o.handled + p.handled,
            coalesced=p.coalesced, errors=o.errors + p.errors, dropped=o.dropped, pending=self.pipeline.pending(),
            clamped=o.clamped, errors_unreplied=o.errors_unreplied, datagrams=o.datagrams, overflowed=o.overflowed,
            replies_failed=self.replies.failed, table_hits=p.table_hits, warm_passes=p.warm_passes, subscribers=len(self.replies.subscribers),
            subscribers_refused=self.replies.subscribers.refused, table_filled=self.pipeline.table.filled,
            inference_ms=self.pipeline.inference_ms.percentiles(50, 99), latency_ms=self.latency_ms.percentiles(50, 99),
            audio=self.audio_stats(), synth=self.synth.snapshot(), reloads=self.reloads,
            uptime_s=time.monotonic() - self.t0,
            listen=ListenStatus(way_back=self.way_back is not None, listening=self.listening,
                                input_device=self.input_device, input_level_db=lc.level_db, analyses=lc.analyses,
                                silent_frames=lc.silent_frames, silences=lc.silences, stale=lc.stale,
                                failed=lc.failed, analysis_ms=lc.analysis_ms.percentiles(50, 99),
                                image_ms=self.image_ms.percentiles(50, 99)),
            subscriber_addresses=tuple(format_address(a) for a in self.replies.subscribers.targets()),
            synth_kind=synth_info(self.models.manifest.synth)[0], synth_params=synth_info(self.models.manifest.synth)[1])

    def status_pairs(self) -> list[tuple[str, Any]]:
        return status_pairs(self.status_report())

    def summary(self) -> str:
        """One line for systemd's STATUS= and the logs."""
        o = self.osc.counters if self.osc else None
        p = self.pipeline.counters
        _, inf99 = self.pipeline.inference_ms.percentiles(50, 99)
        try:
            underruns = int(self.audio.stats().underruns)
        except Exception:
            underruns = -1
        return (f"{self.models.manifest.model_id} on {self.models.provider}; "
                f"received {o.received if o else 0}, "
                f"handled {(o.handled if o else 0) + p.handled}, "
                f"coalesced {p.coalesced}, errors {(o.errors if o else 0) + p.errors}; "
                f"inference p99 {inf99:.2f} ms; underruns {underruns}; "
                f"audio {'ok' if self.audio_healthy() else 'NOT RUNNING'}")


# --- helpers -----------------------------------------------------------------

def setup_logging(level: str) -> None:
    """stderr, one line per record; no timestamps under journald (it adds its own)."""
    fmt = "%(levelname)s %(name)s: %(message)s" if os.environ.get("JOURNAL_STREAM") else \
        "%(asctime)s %(levelname)s %(name)s: %(message)s"
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    h = logging.StreamHandler(sys.stderr)
    h.setFormatter(logging.Formatter(fmt))
    root.addHandler(h)
    root.setLevel(level.upper())


def bundle_path_of(cfg: Config, config_file: str | None, from_flag: bool) -> Path | None:
    """A shipped bundle's name (`isudt bundles`) is its folder; a relative bundle path in a config file is
    relative to that file; from --bundle, to the cwd."""
    if cfg.bundle.path is None:
        return None
    shipped = shipped_bundles()
    if cfg.bundle.path in shipped:
        return shipped[cfg.bundle.path].resolve()
    p = Path(cfg.bundle.path).expanduser()
    if not p.is_absolute() and config_file and not from_flag:
        p = Path(config_file).resolve().parent / p
    return p.resolve()


def reload_allowed(new: Path | None, current: Path | None, reload_dirs: tuple[str, ...]) -> bool:
    """A SIGHUP (and `/bundle NAME`, which names a bundle and never gives a path: `Runtime.bundle`) may switch
    bundles only to a shipped one or within the listed directories."""
    if new == current:
        return True
    if new is None or new in {p.resolve() for p in shipped_bundles().values()}:   # a packaged bundle
        return True
    return any(new.is_relative_to(Path(d).expanduser().resolve()) for d in reload_dirs)


def synth_info(synth: SynthDef | None) -> tuple[str, tuple[tuple[str, str], ...]]:
    """(kind, ((name, unit), ...)) of a bundle's synth (None: a sine), for /state and /status.reply."""
    synth = synth or SINE
    return synth.kind, tuple((p.name, p.unit) for p in synth.params)


def set_voice_kinds(engine: Any, synth: SynthDef | None, voices: int) -> None:
    """Every voice becomes the bundle's synth kind (at load and at a reload; the index glides, nothing clicks)."""
    synth = synth or SINE
    for v in range(voices):
        if engine.voice_kind(v) != synth.kind:
            engine.set_voice_kind(v, synth.kind)


def make_way_back(models: Models, cfg: Config) -> WayBack | None:
    """The way back of this bundle, warmed up (first ORT runs plan memory), or None when it has none."""
    if not getattr(models, "way_back", False):
        return None
    wb = WayBack(models, cfg.listen.picture_size, cfg.listen.picture_list)
    for _ in range(3):
        wb.from_sine(60.0, -12.0)
    return wb


def _no_input(n: int) -> tuple[Any, int]:
    import numpy as np
    return np.zeros(n, np.float32), 0


def _fmt_addr(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# --- main --------------------------------------------------------------------

class _StopDuringStart(Exception):
    """SIGTERM/SIGINT before the event loop took over the signals: stop cleanly, exit 0."""


def _stop_during_start(signum: int, frame: Any) -> None:
    raise _StopDuringStart()


def main(args: argparse.Namespace) -> int:
    t_start = time.monotonic()
    # until the event loop installs its handlers: a HUP means nothing yet (the config is being read
    # fresh anyway) and must not kill us; TERM/INT end the start cleanly
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_during_start)
    signal.signal(signal.SIGINT, _stop_during_start)
    try:
        return _main(args, t_start)
    except _StopDuringStart:
        print("isudt: stopped during start-up", file=sys.stderr)
        return 0


def _main(args: argparse.Namespace, t_start: float) -> int:
    try:
        cfg = config_mod.load_from_args(args)
    except ConfigError as e:
        for line in e.problems:
            print(f"isudt: {line}", file=sys.stderr)
        return 2
    setup_logging(cfg.logging.level)
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    from_flag = getattr(args, "bundle", None) is not None
    config_file = getattr(args, "config", None)

    try:
        sock = bind_udp(cfg.osc.host, cfg.osc.port)
        target = resolve(cfg.osc.reply_host, cfg.osc.reply_port, sock.family) if cfg.osc.reply_port else None
    except OSError as e:
        log.error("cannot listen on %s: %s", _fmt_addr(cfg.osc.host, cfg.osc.port), e.strerror or e)
        return 1
    if AllowList(cfg.osc.allow).loopback_only and cfg.osc.host not in ("127.0.0.1", "::1", "localhost"):
        log.warning("listening on %s but osc.allow admits only loopback senders: others are dropped", cfg.osc.host)

    bpath = bundle_path_of(cfg, config_file, from_flag)
    try:
        models = open_bundle(bpath, cfg.inference.providers, cfg.inference.threads, way_back=True)
    except BundleError as e:
        log.error("bundle: %s", e)
        sock.close()
        return 1

    from .audio_out import AudioConfig, AudioDeviceError, AudioOutput
    from .engine import Engine, SynthConfig

    synth = Engine(SynthConfig.from_config(cfg))  # the C engine; its control side is thread-safe (loop and worker write)
    set_voice_kinds(synth, models.manifest.synth, cfg.synth.voices)   # the voices play the bundle's synth
    # replies leave from the listening socket, so "reply to sender" comes from the port they sent to
    subscribers = Subscribers(cfg.osc.max_subscribers, cfg.osc.subscription_ttl_s)
    replies = ReplySender(sock, target, cfg.osc.reply_to_sender, subscribers)
    pipeline = Pipeline(models, cfg.synth.voices, position_table=cfg.inference.position_table)
    try:
        pipeline.warmup()
    except Exception as e:
        log.error("bundle: inference fails on this bundle (%s)", str(e).splitlines()[0][:160] if str(e) else e)
        sock.close()
        return 1

    try:
        audio = AudioOutput(AudioConfig.from_config(cfg), synth)
        audio.start()
    except (AudioDeviceError, ValueError) as e:
        for line in str(e).splitlines():
            log.error("audio: %s", line)
        sock.close()
        return 1
    if getattr(audio, "is_null", False) and cfg.audio.device != "null":
        log.warning("NO AUDIO DEVICE: playing into a null output (nothing will be heard); "
                    "set audio.device (see `isudt devices`)")
    if cfg.audio.mlock:
        from .engine import lock_memory
        problem = lock_memory()
        (log.warning if problem else log.info)("audio: %s", problem or "memory locked (mlockall)")

    runtime = Runtime(cfg, models, synth, audio, pipeline, replies, bpath)
    try:
        return run_loop(runtime, sock, args, t_start)
    finally:
        try:
            audio.stop()
        except Exception:
            pass
        if audio.released:       # a stream PortAudio could not release may still call the engine
            synth.close()
        sock.close()


def run_loop(runtime: Runtime, sock: Any, args: argparse.Namespace, t_start: float) -> int:
    try:
        import uvloop
        new_loop: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    except ImportError:  # uvloop is not on every platform; asyncio's loop works, a little slower
        new_loop = asyncio.new_event_loop
    with asyncio.Runner(loop_factory=new_loop) as runner:
        return runner.run(serve(runtime, sock, args, t_start))


async def serve(runtime: Runtime, sock: Any, args: argparse.Namespace, t_start: float) -> int:
    cfg = runtime.cfg
    loop = asyncio.get_running_loop()
    notifier = Notifier()
    osc = OscServer(runtime, runtime.replies, AllowList(cfg.osc.allow),
                    max_depth=cfg.osc.max_bundle_depth, max_messages=cfg.osc.max_bundle_messages,
                    error_rate=cfg.osc.error_rate_limit, error_burst=cfg.osc.error_burst,
                    status_rate=cfg.osc.status_rate_limit)
    runtime.osc = osc
    runtime.loop = loop
    loop.add_reader(sock.fileno(), osc.drain, sock)   # the OSC side reads the socket itself: see osc_server
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    def on_hup() -> None:
        t = runtime.reload_task
        if t is not None and not t.done():
            log.warning("SIGHUP: a reload or bundle switch is already running; ignored")
            return
        runtime.reload_task = loop.create_task(reload(runtime, args, notifier))

    loop.add_signal_handler(signal.SIGHUP, on_hup)

    web_page = None
    if cfg.web.enabled:
        try:
            from .web.server import start as start_web
            web_page = await start_web(runtime, cfg)
        except Exception as e:   # the page is an extra: the daemon plays without it
            log.warning("web page: not served (%s)", e)

    host, port = sock.getsockname()[:2]
    reply = (_fmt_addr(cfg.osc.reply_host, cfg.osc.reply_port) if cfg.osc.reply_port else "none") + \
        (" + sender" if cfg.osc.reply_to_sender else "")
    gc.collect()
    gc.freeze()   # start-up objects never need scanning again: shorter GC pauses while playing
    elapsed = time.monotonic() - t_start
    m = runtime.models
    line = (f"{READY_PREFIX} osc {_fmt_addr(host, port)} replies {reply} | "
            f"audio {getattr(runtime.audio, 'description', '?')} {cfg.audio.samplerate} Hz block {cfg.audio.blocksize} | "
            f"provider {m.provider} | bundle {m.manifest.model_id} ({m.manifest.root}) | "
            f"voices {cfg.synth.voices} | in {elapsed:.2f} s" + (f" | web {web_page.url}" if web_page else ""))
    print(line, file=sys.stderr, flush=True)
    notifier.ready(runtime.summary())

    tick = asyncio.create_task(housekeeping(runtime, notifier))
    talk = asyncio.create_task(tell_subscribers(runtime))
    loop.call_later(FILL_IDLE_S, runtime.fill_when_idle)
    loop.call_soon(runtime.keep_warm)
    await stop.wait()

    # shutdown: stop listening, fade, close — all within a second
    notifier.stopping()
    log.info("stopping: fading out")
    loop.remove_reader(sock.fileno())
    tick.cancel()
    talk.cancel()
    if web_page is not None:
        await web_page.stop()
    runtime.listener.stop()
    runtime.synth.begin_fade_out()
    deadline = time.monotonic() + cfg.synth.fade_ms / 1000.0 + 0.25
    while time.monotonic() < deadline and not runtime.synth.faded_out:
        await asyncio.sleep(0.005)
    runtime.audio.stop()
    log.info("stopped (%s)", runtime.summary())
    return 0


async def tell_subscribers(runtime: Runtime) -> None:
    """State pushes at most osc.state_rate times a second (newest wins), a heartbeat every second."""
    period = 1.0 / runtime.cfg.osc.state_rate
    next_beat = 0.0
    while True:
        await asyncio.sleep(period)
        try:
            runtime.push_state()
            if time.monotonic() >= next_beat:
                runtime.heartbeat()
                next_beat = time.monotonic() + HEARTBEAT_S
        except Exception:  # a bug here must not end the pushes for good
            log.exception("telling subscribers failed")


async def housekeeping(runtime: Runtime, notifier: Notifier) -> None:
    """WATCHDOG=1 only while the audio callback is running; STATUS= every few seconds."""
    wd = watchdog_interval()
    period = min(wd, 2.0) if wd else 2.0
    last_status = 0.0
    was_healthy = True
    while True:
        await asyncio.sleep(period)
        healthy = runtime.audio_healthy()
        if healthy and wd:
            notifier.watchdog()
        if healthy != was_healthy:
            (log.info if healthy else log.warning)("audio %s", "running again" if healthy else
                                                  "callback has stopped (device lost?)")
            was_healthy = healthy
        now = time.monotonic()
        if notifier.enabled and now - last_status >= 5.0:
            notifier.status(runtime.summary())
            last_status = now


async def reload(runtime: Runtime, args: argparse.Namespace, notifier: Notifier) -> None:
    """SIGHUP: new config + bundle, prepared off the loop, swapped in only if all of it is good."""
    loop = asyncio.get_running_loop()
    notifier.reloading()
    log.info("SIGHUP: reloading config and bundle")
    try:
        new_cfg = await loop.run_in_executor(None, config_mod.load_from_args, args)
        new_path = bundle_path_of(new_cfg, getattr(args, "config", None), getattr(args, "bundle", None) is not None)
        if not (reload_allowed(new_path, runtime.bundle_path, new_cfg.bundle.reload_dirs)
                or new_path == runtime.config_bundle_path):   # back from a /bundle switch
            raise BundleError(f"{new_path} is not the current bundle and not inside bundle.reload_dirs")

        new_models, chunk = await loop.run_in_executor(None, prepare_bundle, runtime, new_path, new_cfg)
    except ConfigError as e:
        for line in e.problems:
            log.error("reload refused, keeping the old config and bundle: %s", line)
        notifier.ready(runtime.summary())
        return
    except BundleError as e:
        log.error("reload refused, keeping the old bundle: %s", e)
        notifier.ready(runtime.summary())
        return
    except Exception as e:  # ORT failing on a structurally valid bundle, etc.
        log.error("reload refused, keeping the old bundle: %s", str(e).splitlines()[0][:160] if str(e) else e)
        notifier.ready(runtime.summary())
        return

    old = runtime.cfg
    needs_restart = [name for name, a, b in (
        ("osc.host/port", (old.osc.host, old.osc.port), (new_cfg.osc.host, new_cfg.osc.port)),
        ("audio", old.audio, new_cfg.audio),
        ("synth.voices", old.synth.voices, new_cfg.synth.voices),
        ("osc reply target", (old.osc.reply_host, old.osc.reply_port, old.osc.reply_to_sender),
         (new_cfg.osc.reply_host, new_cfg.osc.reply_port, new_cfg.osc.reply_to_sender)),
        ("osc.allow", old.osc.allow, new_cfg.osc.allow),
        ("web", old.web, new_cfg.web),
    ) if a != b]
    runtime.swap_models(new_models, new_cfg, new_path, chunk)
    runtime.config_bundle_path = new_path
    runtime.pipeline.position_table = new_cfg.inference.position_table
    if new_cfg.synth.gain_db != old.synth.gain_db:
        runtime.synth.set_gain(new_cfg.synth.gain_db)
    if new_cfg.synth.glide_ms != old.synth.glide_ms:
        runtime.synth.set_glide(new_cfg.synth.glide_ms)
    if runtime.osc is not None:
        o = new_cfg.osc
        runtime.osc.reconfigure(max_depth=o.max_bundle_depth, max_messages=o.max_bundle_messages,
                                error_rate=o.error_rate_limit, error_burst=o.error_burst,
                                status_rate=o.status_rate_limit)
    logging.getLogger().setLevel(new_cfg.logging.level.upper())
    # keep the settings that need a restart as they are running, so /status stays truthful
    runtime.cfg = replace(new_cfg, osc=replace(new_cfg.osc, host=old.osc.host, port=old.osc.port,
                                               reply_host=old.osc.reply_host, reply_port=old.osc.reply_port,
                                               reply_to_sender=old.osc.reply_to_sender, allow=old.osc.allow),
                          audio=old.audio, synth=replace(new_cfg.synth, voices=old.synth.voices), web=old.web)
    runtime.reloads += 1
    for name in needs_restart:
        log.warning("reload: %s changed; that takes effect only after a restart", name)
    log.info("reloaded: bundle %s (%s)", new_models.manifest.model_id, new_models.manifest.root)
    notifier.ready(runtime.summary())


def prepare_bundle(runtime: Runtime, path: Path | None, cfg: Config) -> tuple[Models, int]:
    """Open, verify and warm up a bundle (in a worker thread: the loop keeps serving); (models, fill chunk)."""
    models = open_bundle(path, cfg.inference.providers, cfg.inference.threads, way_back=True)
    return models, runtime.pipeline.warmup(models)


async def switch_bundle(runtime: Runtime, name: str, path: Path, sender: Any,
                        done: Callable[[str | None], None] | None = None) -> None:
    """`/bundle NAME`: the SIGHUP reload's bundle half, for a bundle `Runtime.bundle` admitted.

    Prepared off the loop (`prepare_bundle`: the old bundle plays meanwhile); a bundle that fails is refused
    (`/error /bundle why`, the old one keeps playing). Then, between two requests: every sounding voice
    fades out (fade_ms) and the new bundle takes the next request (each voice fades in with its new sound);
    once the fade is over, the voices still silent take the new synth's kind (a voice played meanwhile took
    it with its request). Then `/bundle name model_id` to the sender, `/state` (and `/state/synth`) to the
    subscribers, as after a reload.
    """
    loop = asyncio.get_running_loop()
    old = runtime.bundle_name()
    log.info("/bundle %s: switching from %s", name, old)
    try:
        new_models, chunk = await loop.run_in_executor(None, prepare_bundle, runtime, path, runtime.cfg)
    except Exception as e:   # BundleError: one line; ORT failing on a structurally valid bundle, etc.
        why = str(e).splitlines()[0][:200] if str(e) else e.__class__.__name__
        log.error("bundle switch to %s refused, keeping %s: %s", name, old, why)
        if sender is not None and runtime.osc is not None:
            runtime.osc.refuse("/bundle", f"{name}: {why}", sender)
        if done is not None:
            done(f"{name}: {why}")
        return
    runtime.fade_voices()
    runtime.swap_models(new_models, runtime.cfg, path, chunk, kinds=False)
    runtime.reloads += 1
    await asyncio.sleep(runtime.cfg.synth.fade_ms / 1000.0 + 2 * runtime.cfg.audio.blocksize
                        / runtime.cfg.audio.samplerate)
    silent = [v for v, voice in enumerate(runtime.state().voices) if not voice.active]
    synth = new_models.manifest.synth or SINE
    for v in silent:
        try:
            if runtime.synth.voice_kind(v) != synth.kind:
                runtime.synth.set_voice_kind(v, synth.kind)
        except Exception as e:   # a full command queue: it takes the kind with its next request
            log.warning("bundle switch: voice %d keeps its kind for now: %s", v, e)
    log.info("/bundle %s: now playing %s (%s)", name, new_models.manifest.model_id, new_models.manifest.root)
    runtime._reply_bundle(sender)
    runtime.push_state()
    if done is not None:
        done(None)
