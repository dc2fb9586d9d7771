"""Writes every file in max/: the patches isudt_control, isudt_max_synth, isudt_listen_adc and isudt_frames,
and the synth's voice abstractions isudt_voice~, isudt_sine~, isudt_fm~ (python max/make_patches.py [OUT_DIR]).

Why a generator: Max cannot run on the machines that build this project, so
the layout is computed here, every box at a position chosen in one place,
with cross-patch wiring through `s` / `r` pairs instead of long cords, and
tests/test_max_patches.py checks that the committed files are exactly what
this script writes (and runs them: tests/support/max_sim.py). Editing a patch
in Max and saving is fine too, but then make the same change here (or the
test fails and says so).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

MAX_DIR = Path(__file__).resolve().parent

DAEMON = "127.0.0.1 12342"   # where the daemon listens
CONTROL_PORT = 12361         # where isudt_control.maxpat listens and subscribes
SYNTH_PORT = 12362           # where isudt_max_synth.maxpat listens and subscribes
LISTEN_PORT = 12364          # where isudt_listen_adc.maxpat listens and subscribes (12363 is kept for frames)
CHAR_W = 6.6                 # Arial 12 in Max: average width of a character (box widths)

APPVERSION = {"major": 8, "minor": 5, "revision": 6, "architecture": "x64", "modernui": 1}

GLOW_CODE = (
    "// The published square image, drawn from the slider position, so the\n"
    "// performer sees what the model sees (same formula as the daemon).\n"
    "Param px(0);\nParam py(0);\ndx = cell.x - (px + 1);\ndy = cell.y - (py + 1);\n"
    "d = sqrt(dx * dx + dy * dy);\nglow = 1 - clamp(pow(d / 128, 0.1), 0, 1);\n"
    "inside = (cell.x >= px) * (cell.x < px + 2) * (cell.y >= py) * (cell.y < py + 2);\n"
    "out1 = max(glow, inside) + in1 * 0;")


def patcher_header(rect: list[float], namespace: str = "box") -> dict[str, Any]:
    return {
        "fileversion": 1, "appversion": dict(APPVERSION), "classnamespace": namespace, "rect": rect,
        "bglocked": 0, "openinpresentation": 0, "default_fontsize": 12.0, "default_fontface": 0,
        "default_fontname": "Arial", "gridonopen": 1, "gridsize": [15.0, 15.0], "gridsnaponopen": 1,
        "objectsnaponopen": 1, "statusbarvisible": 2, "toolbarvisible": 1, "lefttoolbarpinned": 0,
        "toptoolbarpinned": 0, "righttoolbarpinned": 0, "bottomtoolbarpinned": 0,
        "toolbars_unpinned_last_save": 0, "tallnewobj": 0, "boxanimatetime": 200, "enablehscroll": 1,
        "enablevscroll": 1, "devicewidth": 0.0, "description": "", "digest": "", "tags": "", "style": "",
        "subpatcher_template": "", "assistshowspatchername": 0,
    }


def _ports(text: str) -> tuple[int, int, list[str]]:
    """(inlets, outlets, outlet types) of the object boxes these patches use, as Max 8 makes them."""
    words = text.split()
    cls, args = words[0], [a for a in words[1:]]
    plain = [a for a in args if not a.startswith("@")]
    n = len(plain)
    if cls == "udpsend":
        return 1, 0, []
    if cls == "udpreceive":
        return 1, 1, [""]
    if cls == "route":
        return 2, n + 1, [""] * (n + 1)
    if cls in ABSTRACTIONS:                  # max/<cls>.maxpat: one inlet, (sound, amplitude) out
        return 1, 2, ["signal", "signal"]
    if cls in ("prepend", "append", "mtof", "dbtoa"):
        return 1, 1, [""]
    if cls in ("+", "-", "*", "/", "!/", "minimum", "maximum", "f"):
        return 2, 1, [""]
    if cls == "dspstate~":
        return 1, 4, ["int", "float", "int", "int"]
    if cls == "speedlim":
        return 2, 1, [""]
    if cls in ("pak", "pack"):
        return n, 1, [""]
    if cls == "unpack":
        kinds = {"0.": "float", "f": "float", "0": "int", "i": "int"}
        return 1, n, [kinds.get(a, "") for a in plain]
    if cls == "t":
        kinds = {"b": "bang", "i": "int", "f": "float"}
        return 1, n, [kinds.get(a, "") for a in plain]
    if cls == "sel":
        return (2 if n == 1 else 1), n + 1, ["bang"] * n + [""]
    if cls == "sprintf":                     # one inlet per % directive (a list into the left fills them all)
        return max(1, len(re.findall(r"%(?!%)[-+ #0-9.]*l?[dioxXucsfeEgG]", text))), 1, [""]
    if cls in ("metro", "delay"):
        return 2, 1, ["bang"]
    if cls in ("loadbang", "closebang"):
        return 1, 1, ["bang"]
    if cls == "loadmess":
        return 1, 1, [""]
    if cls == "s":
        return 1, 0, []
    if cls == "r":
        return 0, 1, [""]
    if cls == "change":
        return 1, 3, ["", "int", "int"]
    if cls == "zl":
        return 2, 2, ["", ""]
    if cls == "==":
        return 2, 1, ["int"]
    if cls == "gate":
        return 2, int(plain[0]), [""] * int(plain[0])
    if cls == "line~":
        return 2, 2, ["signal", "bang"]
    if cls in ("cycle~", "phasor~", "*~", "+~", "-~", "maximum~", "!/~"):
        return 2, 1, ["signal"]
    if cls == "adc~":
        return 1, max(1, n), ["signal"] * max(1, n)
    if cls == "dac~":
        return max(1, n), 0, []
    if cls == "abs~":
        return 1, 1, ["signal"]
    if cls == "send~":
        return 1, 0, []
    if cls == "receive~":
        return 1, 1, ["signal"]
    if cls == "print":
        return 1, 0, []
    if cls == "jit.matrix":
        return 1, 2, ["jit_matrix", ""]
    if cls == "jit.gen":
        return 1, 2, ["jit_matrix", ""]
    if cls in ("jit.grab", "jit.movie", "jit.rgb2luma", "jit.spill"):
        return 1, 2, ["jit_matrix" if cls != "jit.spill" else "", ""]
    if cls == "jit.op":
        return 2, 2, ["jit_matrix", ""]
    raise KeyError(f"no port table for [{text}]")


_UI_PORTS: dict[str, tuple[int, int, list[str]]] = {
    "message": (2, 1, [""]), "comment": (1, 0, []), "number": (1, 2, ["", "bang"]),
    "flonum": (1, 2, ["", "bang"]), "toggle": (1, 1, ["int"]), "button": (1, 1, ["bang"]),
    "pictslider": (2, 2, ["int", "int"]), "jit.pwindow": (1, 2, ["jit_matrix", ""]),
    "ezdac~": (2, 0, []), "meter~": (1, 1, ["float"]), "inlet": (0, 1, [""]), "outlet": (1, 0, []),
}


def text_width(text: str, minimum: float = 30.0) -> float:
    return float(max(minimum, round(len(text) * CHAR_W + 14)))


class Patch:
    """A Max patcher built box by box (by name); `c(a, outlet, b, inlet)` draws a cord."""

    def __init__(self, rect: list[float]) -> None:
        self.rect = [float(v) for v in rect]
        self.boxes: list[dict[str, Any]] = []
        self.ids: dict[str, str] = {}
        self.lines: list[tuple[str, int, str, int]] = []

    def _add(self, name: str, box: dict[str, Any]) -> str:
        assert name not in self.ids, name
        ident = f"obj-{len(self.boxes) + 1}"
        self.ids[name] = ident
        box["id"] = ident
        self.boxes.append(box)
        return name

    def obj(self, name: str, x: float, y: float, text: str, w: float | None = None, **extra: Any) -> str:
        ins, outs, types = _ports(text)
        box = {"maxclass": "newobj", "text": text, "numinlets": ins, "numoutlets": outs,
               "patching_rect": [float(x), float(y), w or text_width(text), 22.0], **extra}
        if outs:
            box["outlettype"] = types
        return self._add(name, box)

    def msg(self, name: str, x: float, y: float, text: str, w: float | None = None, h: float = 22.0,
            **extra: Any) -> str:
        box = {"maxclass": "message", "text": text, "numinlets": 2, "numoutlets": 1, "outlettype": [""],
               "patching_rect": [float(x), float(y), w or text_width(text), h], **extra}
        if h > 30:
            box["linecount"] = int(round((h - 7) / 15))
        return self._add(name, box)

    def comment(self, name: str, x: float, y: float, text: str, w: float, lines: int = 1, **extra: Any) -> str:
        box = {"maxclass": "comment", "text": text, "numinlets": 1, "numoutlets": 0,
               "patching_rect": [float(x), float(y), float(w), 6.0 + 14.0 * lines], **extra}
        if lines > 1:
            box["linecount"] = lines
        return self._add(name, box)

    def ui(self, name: str, cls: str, x: float, y: float, w: float, h: float, **extra: Any) -> str:
        ins, outs, types = _UI_PORTS[cls]
        box = {"maxclass": cls, "numinlets": ins, "numoutlets": outs,
               "patching_rect": [float(x), float(y), float(w), float(h)], **extra}
        if outs:
            box["outlettype"] = types
        if cls not in ("comment", "message", "jit.pwindow", "ezdac~", "meter~", "inlet", "outlet"):
            box["parameter_enable"] = 0
        return self._add(name, box)

    def c(self, a: str, o: int, b: str, i: int) -> None:
        self.lines.append((a, o, b, i))

    def chain(self, *names: str) -> None:
        for a, b in zip(names, names[1:]):
            self.c(a, 0, b, 0)

    def render(self) -> str:
        for a, o, b, i in self.lines:
            src = self.boxes[int(self.ids[a].split("-")[1]) - 1]
            dst = self.boxes[int(self.ids[b].split("-")[1]) - 1]
            assert o < src["numoutlets"] and i < dst["numinlets"], (a, o, b, i)
        patcher = patcher_header(self.rect)
        patcher["boxes"] = [{"box": dict(sorted(b.items()))} for b in self.boxes]
        patcher["lines"] = [{"patchline": {"destination": [self.ids[b], i], "source": [self.ids[a], o]}}
                            for a, o, b, i in self.lines]
        return json.dumps({"patcher": patcher}, indent="\t") + "\n"


def jit_gen_patcher() -> dict[str, Any]:
    p = patcher_header([100.0, 100.0, 640.0, 420.0], "jit.gen")
    p["boxes"] = [
        {"box": {"id": "obj-1", "maxclass": "newobj", "numinlets": 0, "numoutlets": 1, "outlettype": [""],
                 "patching_rect": [20.0, 20.0, 38.0, 22.0], "text": "in 1"}},
        {"box": {"code": GLOW_CODE, "fontface": 0, "fontname": "<Monospaced>", "fontsize": 12.0, "id": "obj-2",
                 "maxclass": "codebox", "numinlets": 1, "numoutlets": 1, "outlettype": [""],
                 "patching_rect": [20.0, 60.0, 580.0, 250.0]}},
        {"box": {"id": "obj-3", "maxclass": "newobj", "numinlets": 1, "numoutlets": 0,
                 "patching_rect": [20.0, 330.0, 45.0, 22.0], "text": "out 1"}},
    ]
    p["lines"] = [{"patchline": {"destination": ["obj-2", 0], "source": ["obj-1", 0]}},
                  {"patchline": {"destination": ["obj-3", 0], "source": ["obj-2", 0]}}]
    return p


def subscription(p: Patch, pre: str, port: int, x: float, y: float) -> None:
    """Subscribe at load and renew: every 2 s while no /heartbeat came within 2 s, every 20 s otherwise.

    Fed by [r {pre}-hb] (the /heartbeat replies). `connected` (0/1, on every change) goes to
    [s {pre}-connected]; the indicator is set (no output) through [s {pre}-connected-set].
    The subscription goes out through [s {pre}-out]; closing the patch unsubscribes.
    """
    row = [y + 30 * i for i in range(12)]
    p.obj(f"{pre}hb_r", x, row[0], f"r {pre}-hb")
    p.obj(f"{pre}hb_t", x, row[1], "t b b", w=45)
    p.obj(f"{pre}hb_delay", x + 60, row[2], "delay 2000", w=80)
    p.msg(f"{pre}hb_1", x, row[3], "1")
    p.msg(f"{pre}hb_0", x + 60, row[3], "0")
    p.obj(f"{pre}change", x, row[4], "change", w=55)
    p.obj(f"{pre}conn_t", x, row[5], "t i i i", w=60)
    p.chain(f"{pre}hb_r", f"{pre}hb_t")
    p.c(f"{pre}hb_t", 1, f"{pre}hb_delay", 0)
    p.c(f"{pre}hb_t", 0, f"{pre}hb_1", 0)
    p.c(f"{pre}hb_delay", 0, f"{pre}hb_0", 0)
    p.c(f"{pre}hb_1", 0, f"{pre}change", 0)
    p.c(f"{pre}hb_0", 0, f"{pre}change", 0)
    p.c(f"{pre}change", 0, f"{pre}conn_t", 0)
    p.comment(f"{pre}hb_c", x + 150, row[1], "a /heartbeat: connected for the next 2 s", 260)
    # the indicator (set: no output) and the news for others
    p.obj(f"{pre}sel", x, row[6], "sel 0 1", w=55)
    p.obj(f"{pre}conn_s", x + 80, row[6], f"s {pre}-connected")
    p.obj(f"{pre}conn_set", x + 260, row[6], "prepend set", w=80)
    p.obj(f"{pre}conn_sset", x + 260, row[7], f"s {pre}-connected-set")
    p.c(f"{pre}conn_t", 2, f"{pre}conn_set", 0)
    p.c(f"{pre}conn_set", 0, f"{pre}conn_sset", 0)
    p.c(f"{pre}conn_t", 1, f"{pre}conn_s", 0)
    p.c(f"{pre}conn_t", 0, f"{pre}sel", 0)
    # renewal: 2 s while not connected (and subscribe at once), 20 s while connected
    p.obj(f"{pre}lost_t", x, row[7], "t b b", w=45)
    p.msg(f"{pre}every20", x + 70, row[7], "20000")
    p.msg(f"{pre}every2", x, row[8], "2000")
    p.c(f"{pre}sel", 0, f"{pre}lost_t", 0)
    p.c(f"{pre}sel", 1, f"{pre}every20", 0)
    p.c(f"{pre}lost_t", 1, f"{pre}every2", 0)
    X = x + 460
    p.obj(f"{pre}lb", X, row[0], "loadbang")
    p.msg(f"{pre}start", X, row[1], "1")
    p.comment(f"{pre}renew_c", X + 40, row[1], "subscribe now, then every 2 s until a /heartbeat comes, "
              "then every 20 s", 250, 2)
    p.obj(f"{pre}metro", X, row[9], "metro 2000", w=80)
    p.msg(f"{pre}sub", X, row[10], f"/subscribe {port}")
    p.obj(f"{pre}sub_s", X, row[11], f"s {pre}-out")
    p.chain(f"{pre}lb", f"{pre}start", f"{pre}metro", f"{pre}sub", f"{pre}sub_s")
    p.c(f"{pre}lost_t", 0, f"{pre}metro", 0)
    p.c(f"{pre}every2", 0, f"{pre}metro", 1)
    p.c(f"{pre}every20", 0, f"{pre}metro", 1)
    X = x + 760
    p.obj(f"{pre}cb", X, row[0], "closebang")
    p.msg(f"{pre}unsub", X, row[1], f"/unsubscribe {port}")
    p.obj(f"{pre}unsub_s", X, row[2], f"s {pre}-out")
    p.chain(f"{pre}cb", f"{pre}unsub", f"{pre}unsub_s")


def bus(p: Patch, pre: str, x: float, y: float, source: str, addresses: list[str], tags: list[str],
        spacing: float) -> None:
    """[route addresses...] under `source`, every outlet (the last: anything else) to its own [s {pre}-TAG]."""
    assert len(tags) == len(addresses) + 1
    n = len(tags)
    w = spacing * (n - 1) + 8 + 60
    p.obj(f"{pre}route", x, y, "route " + " ".join(addresses), w=w)
    p.c(source, 0, f"{pre}route", 0)
    for k, tag in enumerate(tags):
        p.obj(f"{pre}bus_{tag}", x + (w - 8) * k / (n - 1), y + 40, f"s {pre}-{tag}")
        p.c(f"{pre}route", k, f"{pre}bus_{tag}", 0)


def fan(p: Patch, name: str, x: float, y: float, text: str, targets: list[tuple[str, str]], spacing: float,
        pre: str, w: float | None = None) -> None:
    """[text] (an unpack or route) whose outlet k feeds [prepend set] -> [s NAME], the used ones in columns."""
    p.obj(name, x, y, text, w=w)
    col = 0
    for k, (tag, sendname) in enumerate(targets):
        if not tag:
            continue
        p.obj(f"{name}_{tag}_set", x + spacing * col, y + 40, "prepend set", w=80)
        p.obj(f"{name}_{tag}_s", x + spacing * col, y + 70, f"s {sendname}")
        p.c(name, k, f"{name}_{tag}_set", 0)
        p.chain(f"{name}_{tag}_set", f"{name}_{tag}_s")
        col += 1


def indicator(p: Patch, pre: str, name: str, x: float, y: float, label: str, label_w: float, size: float = 24) -> str:
    """A toggle that only shows (set from [r {pre}-{name}-set]), with its label to the right."""
    p.obj(f"{name}_r", x, y, f"r {pre}-{name}-set")
    p.ui(name, "toggle", x, y + 28, size, size, varname=name)
    p.comment(f"{name}_c", x + size + 8, y + 28 + (size - 20) / 2, label, label_w)
    p.c(f"{name}_r", 0, name, 0)
    return name


def listen_toggle(p: Patch, pre: str, x: float, y: float, label: str) -> None:
    """The listen toggle: shows the daemon's listening flag (set from /state, no output) and sends /image/listen."""
    p.obj("listen_r", x, y, f"r {pre}-listen-set")
    p.ui("listen", "toggle", x, y + 28, 30, 30, varname="listen")
    p.comment("listen_c", x + 38, y + 33, label, 420)
    p.obj("listen_s", x, y + 66, f"s {pre}-listen")
    p.c("listen_r", 0, "listen", 0)
    p.c("listen", 0, "listen_s", 0)


def listen_wiring(p: Patch, pre: str, x: float, y: float) -> None:
    """[r PRE-listen] -> /image/listen 0|1 -> [s PRE-out]."""
    p.obj("w_listen_r", x, y, f"r {pre}-listen")
    p.obj("w_listen_pre", x, y + 30, "prepend /image/listen")
    p.obj("w_listen_s", x, y + 60, f"s {pre}-out")
    p.chain("w_listen_r", "w_listen_pre", "w_listen_s")


def heard_square(p: Patch, pre: str, x: float, y: float) -> None:
    """Replies not routed on the bus: /square x y to [s PRE-square] (drawn) and its display; the rest shown."""
    p.obj("other_r", x, y, f"r {pre}-other")
    p.obj("sq_route", x, y + 30, "route /square", w=100)
    p.obj("sq_t", x, y + 60, "t l l", w=45)
    p.obj("sq_s", x, y + 90, f"s {pre}-square")
    p.obj("sq_set", x + 130, y + 90, "prepend set", w=80)
    p.obj("sq_show", x + 130, y + 120, f"s {pre}-show-square")
    p.obj("other_set", x + 240, y + 60, "prepend set", w=80)
    p.obj("other_s", x + 240, y + 90, f"s {pre}-show-other")
    p.chain("other_r", "sq_route", "sq_t", "sq_s")
    p.c("sq_t", 1, "sq_set", 0)
    p.chain("sq_set", "sq_show")
    p.c("sq_route", 1, "other_set", 0)
    p.chain("other_set", "other_s")


# --- isudt_control.maxpat ------------------------------------------------------------

STATUS_ROWS = [("received", "recv", "number", "messages received"),
               ("errors", "err", "number", "refused messages (errors)"),
               ("underruns", "under", "number", "audio underruns"),
               ("latency_p99_ms", "p99", "flonum", "latency p99 (ms)"),
               ("model_id", "model", "message", "model id")]


def control() -> Patch:
    pre = "isudtc"
    p = Patch([40.0, 60.0, 1300.0, 900.0])
    p.comment("doc", 20, 10, "isudt control -- drive a running daemon (isudt serve). Sends to 127.0.0.1:12342; listens "
              f"on port {CONTROL_PORT} and subscribes there (/subscribe {CONTROL_PORT}, renewed), so it runs beside "
              f"isudt_max_synth.maxpat ({SYNTH_PORT}) and other clients. Gain, glide and mute show what the daemon "
              "has (its /state), not what was last clicked. The wiring is below the displays.", 1180, 3)
    # top strip: connected, panic
    indicator(p, pre, "connected", 20, 70, "connected: a /heartbeat came within the last 2 s", 320, 30)
    p.ui("panic", "button", 420, 98, 30, 30, varname="panic")
    p.comment("panic_c", 458, 103, "panic: /off, every voice off at once", 250)
    p.obj("panic_s", 420, 136, f"s {pre}-panic")
    p.c("panic", 0, "panic_s", 0)
    listen_toggle(p, pre, 760, 70, "listen: /image/listen 1 / 0, the daemon hears its input (shows its /state)")

    # column A: the XY pad
    p.comment("xy_c", 20, 175, "x, y: top-left corner of the 2 x 2 square (0..125; y = 0 is the top row)", 256, 2)
    p.ui("pad", "pictslider", 20, 215, 256, 256, bottomvalue=125, leftvalue=0, rightvalue=125, topvalue=0,
         varname="xy")
    p.obj("pad_pak", 20, 481, "pak 0 0")
    p.obj("pad_s", 20, 511, f"s {pre}-xy")
    p.c("pad", 0, "pad_pak", 0)
    p.c("pad", 1, "pad_pak", 1)
    p.c("pad_pak", 0, "pad_s", 0)
    # column B: what the model sees
    p.obj("img_r", 300, 187, f"r {pre}-img")
    p.comment("img_c", 410, 189, "what the model sees", 146)
    p.ui("img", "jit.pwindow", 300, 215, 256, 256)
    p.c("img_r", 0, "img", 0)
    p.obj("heard_r", 300, 481, f"r {pre}-show-square")
    p.msg("show_square", 300, 509, "", w=90, varname="show_square")
    p.comment("heard_c", 450, 480, "heard: the last /square x y, drawn above (the pad stays)", 120, 4)
    p.c("heard_r", 0, "show_square", 0)

    # column C: voice, latent point, rate limit
    p.comment("voice_c", 590, 175, f"voice (0..{VOICES - 1}): 0 sends the published addresses, N sends "
              "/voice/N/...", 290, 2)
    p.ui("voice", "number", 590, 215, 50, 22, minimum=0, maximum=VOICES - 1, varname="voice")
    p.obj("voice_s", 590, 245, f"s {pre}-voice")
    p.c("voice", 0, "voice_s", 0)
    p.comment("z_c", 590, 270, "or a point of the sound latent space: z0 z1, and z2 when the bundle has 3 "
              "(/state/latent)", 290, 2)
    for k in range(3):
        p.ui(f"z{k}", "flonum", 590 + 100 * k, 315, 60, 22, format=6, varname=f"z{k}")
        p.comment(f"z{k}_c", 652 + 100 * k, 316, f"z{k}", 26)
    p.obj("z_pak2", 590, 350, "pak 0. 0.", w=80)
    p.obj("z_pak3", 690, 350, "pak 0. 0. 0.", w=110)
    p.obj("z_s2", 590, 380, f"s {pre}-z2", w=80)
    p.obj("z_s3", 690, 380, f"s {pre}-z3", w=80)
    for k in range(3):
        if k < 2:
            p.c(f"z{k}", 0, "z_pak2", k)
        p.c(f"z{k}", 0, "z_pak3", k)
    p.chain("z_pak2", "z_s2")
    p.chain("z_pak3", "z_s3")
    p.comment("lat_c", 590, 412, "latent sizes (image, sound): /state/latent", 290)
    p.obj("lat_show_r", 590, 437, f"r {pre}-show-latent")
    p.msg("show_latent", 750, 437, "", w=60, varname="show_latent")
    p.c("lat_show_r", 0, "show_latent", 0)
    p.comment("rate_c", 590, 475, "rate limit (ms), 10 when the patch opens", 290)
    p.obj("rate_lb", 590, 500, "loadbang")
    p.msg("rate_10", 590, 527, "10")
    p.ui("rate", "number", 590, 555, 50, 22, minimum=0, maximum=1000, varname="rate")
    p.obj("rate_s", 660, 555, f"s {pre}-rate")
    p.chain("rate_lb", "rate_10", "rate", "rate_s")

    # column D: the daemon's output state, and its status
    p.comment("out_c", 900, 175, "output, as the daemon has it (/state): set by the daemon, sent when you change it",
              300, 2)
    for i, (key, cls, label, extra) in enumerate([
            ("gain", "flonum", "gain dB", {"format": 6, "minimum": -60.0, "maximum": 12.0}),
            ("glide", "number", "glide ms", {"minimum": 0, "maximum": 5000}),
            ("mute", "toggle", "mute", {})]):
        x = 900 + 140 * i
        p.comment(f"{key}_c", x, 215, label, 100)
        p.obj(f"{key}_r", x, 238, f"r {pre}-{key}-set")
        if cls == "toggle":
            p.ui(key, cls, x, 266, 24, 24, varname=key)
        else:
            p.ui(key, cls, x, 266, 70, 22, varname=key, **extra)
        p.obj(f"{key}_s", x, 298, f"s {pre}-{key}")
        p.c(f"{key}_r", 0, key, 0)
        p.c(key, 0, f"{key}_s", 0)
    p.comment("status_c", 900, 340, "daemon status: /status once a second while connected", 380)
    p.ui("poll", "button", 900, 364, 24, 24, varname="status_now")
    p.comment("poll_c", 930, 366, "ask now", 80)
    p.obj("poll_s", 900, 394, f"s {pre}-poll")
    p.c("poll", 0, "poll_s", 0)
    for k, (key, tag, cls, label) in enumerate(STATUS_ROWS):
        y = 430 + 52 * k
        p.obj(f"st_{tag}_r", 900, y, f"r {pre}-st-{tag}")
        if cls == "message":
            p.msg(f"st_{tag}", 900, y + 24, "", w=230, varname=f"status_{key}")
            p.comment(f"st_{tag}_c", 1140, y + 25, label, 80)
        else:
            extra = {"format": 6} if cls == "flonum" else {}
            p.ui(f"st_{tag}", cls, 900, y + 24, 90, 22, varname=f"status_{key}", **extra)
            p.comment(f"st_{tag}_c", 1000, y + 25, label, 200)
        p.c(f"st_{tag}_r", 0, f"st_{tag}", 0)

    # replies
    RY = 625
    p.comment("rep_c", 20, RY, "replies (the newest of each)", 300)
    p.comment("sp_c", 20, RY + 27, "/sineparams (voice 0):", 160)
    for i, (key, label) in enumerate([("pitch", "pitch (MIDI)"), ("db", "level (dB)"), ("hz", "Hz")]):
        x = 190 + 190 * i
        p.obj(f"show_{key}_r", x, RY + 25, f"r {pre}-show-{key}")
        p.ui(f"show_{key}", "flonum", x, RY + 51, 70, 22, format=6, varname=f"show_{key}")
        p.comment(f"show_{key}_c", x + 74, RY + 52, label, 90)
        p.c(f"show_{key}_r", 0, f"show_{key}", 0)
    for y, key, label, h, lines in [(RY + 91, "error", "/error (the last one)", 36, 1),
                                    (RY + 165, "ls", "/latent/sound", 22, 1),
                                    (RY + 215, "syn", "/state/synth: kind, n, names and units", 22, 2),
                                    (RY + 265, "syp", "/synthparams (voice 0), in those names", 22, 2),
                                    (RY + 315, "other", "other replies (e.g. /voice/N/synthparams)", 22, 2)]:
        p.comment(f"show_{key}_c", 20, y + 26, label, 160, lines)
        p.obj(f"show_{key}_r", 190, y, f"r {pre}-show-{key}")
        p.msg(f"show_{key}", 190, y + 24, "", w=660, h=h, varname=f"show_{key}")
        p.c(f"show_{key}_r", 0, f"show_{key}", 0)

    # ---------------------------------------------------------------- wiring
    Y = 1030
    p.comment("wiring_c", 20, Y, "wiring -- what goes to the daemon (everything meets at [r isudtc-out] -> "
              "[udpsend]), what comes back ([udpreceive] -> [route] -> one [s] per address), the subscription; "
              "the displays above are fed through these s / r names", 1180, 2)
    Y += 60
    # xy -> /pictslider
    p.obj("xy_r", 20, Y, f"r {pre}-xy")
    p.obj("xy_rate_r", 130, Y, f"r {pre}-rate")
    p.obj("xy_lim", 20, Y + 30, "speedlim 10", w=90)
    p.obj("xy_pre_r", 130, Y + 40, f"r {pre}-pre-xy")
    p.obj("xy_pre", 20, Y + 75, "prepend /pictslider")
    p.obj("xy_out", 20, Y + 105, f"s {pre}-out")
    p.chain("xy_r", "xy_lim", "xy_pre", "xy_out")
    p.c("xy_rate_r", 0, "xy_lim", 1)
    p.c("xy_pre_r", 0, "xy_pre", 0)
    # z -> /latent/sound
    X = 290
    p.obj("z_r", X, Y, f"r {pre}-z")
    p.obj("z_rate_r", X + 110, Y, f"r {pre}-rate")
    p.obj("z_lim", X, Y + 30, "speedlim 10", w=90)
    p.obj("z_pre_r", X + 110, Y + 40, f"r {pre}-pre-z")
    p.obj("z_pre", X, Y + 75, "prepend /latent/sound")
    p.obj("z_out", X, Y + 105, f"s {pre}-out")
    p.chain("z_r", "z_lim", "z_pre", "z_out")
    p.c("z_rate_r", 0, "z_lim", 1)
    p.c("z_pre_r", 0, "z_pre", 0)
    # the image the model sees
    X = 600
    p.obj("im_r", X, Y, f"r {pre}-xy")
    p.obj("im_t", X, Y + 30, "t b l", w=45)
    p.obj("im_mat", X, Y + 70, "jit.matrix 1 float32 128 128")
    p.obj("im_unpack", X + 220, Y + 70, "unpack 0 0", w=80)
    p.obj("im_px", X + 220, Y + 100, "prepend px", w=80)
    p.obj("im_py", X + 310, Y + 100, "prepend py", w=80)
    p.obj("im_gen", X + 220, Y + 140, "jit.gen", w=60, patcher=jit_gen_patcher())
    p.obj("im_s", X + 220, Y + 170, f"s {pre}-img")
    p.obj("im_heard_r", X + 100, Y, f"r {pre}-square")
    p.chain("im_r", "im_t")
    p.c("im_heard_r", 0, "im_t", 0)
    p.c("im_t", 1, "im_unpack", 0)
    p.c("im_unpack", 0, "im_px", 0)
    p.c("im_unpack", 1, "im_py", 0)
    p.c("im_px", 0, "im_gen", 0)
    p.c("im_py", 0, "im_gen", 0)
    p.c("im_t", 0, "im_mat", 0)
    p.chain("im_mat", "im_gen", "im_s")
    # voice -> the addresses the two prepends use (set /pictslider or set /voice/N/pictslider, ...)
    Y2 = Y + 220
    for k, (tag, address) in enumerate([("xy", "pictslider"), ("z", "latent/sound")]):
        x = 20 + 430 * k
        p.obj(f"v{tag}_r", x, Y2, f"r {pre}-voice")
        p.obj(f"v{tag}_sel", x, Y2 + 30, "sel 0", w=45)
        p.msg(f"v{tag}_set", x, Y2 + 60, f"set /{address}")
        p.obj(f"v{tag}_fmt", x + 140, Y2 + 60, f"sprintf set /voice/%ld/{address}")
        p.obj(f"v{tag}_s", x, Y2 + 110, f"s {pre}-pre-{tag}")
        p.chain(f"v{tag}_r", f"v{tag}_sel", f"v{tag}_set", f"v{tag}_s")
        p.c(f"v{tag}_sel", 1, f"v{tag}_fmt", 0)
        p.c(f"v{tag}_fmt", 0, f"v{tag}_s", 0)
    # z0 z1 (a 2-d sound latent) or z0 z1 z2 (3-d): /state/latent opens one of the two gates
    for k, (n, init) in enumerate([(2, 1), (3, 0)]):
        x = 900 + 230 * k
        p.obj(f"zon{n}_r", x, Y2, f"r {pre}-zon{n}", w=105)
        p.obj(f"z{n}_r", x + 115, Y2, f"r {pre}-z{n}", w=85)
        p.obj(f"z{n}_gate", x, Y2 + 35, f"gate 1 {init}", w=125)
        p.obj(f"z{n}_s", x, Y2 + 70, f"s {pre}-z", w=80)
        p.c(f"zon{n}_r", 0, f"z{n}_gate", 0)
        p.c(f"z{n}_r", 0, f"z{n}_gate", 1)
        p.chain(f"z{n}_gate", f"z{n}_s")
    p.comment("zon_c", 900, Y2 + 100, "z0 z1 until /state/latent says the sound latent has 3", 330)
    # gain, glide, mute, panic, status -> the daemon
    Y3 = Y2 + 160
    for i, (key, addr) in enumerate([("gain", "/gain"), ("glide", "/glide"), ("mute", "/mute")]):
        x = 20 + 130 * i
        p.obj(f"w_{key}_r", x, Y3, f"r {pre}-{key}")
        p.obj(f"w_{key}_pre", x, Y3 + 30, f"prepend {addr}")
        p.obj(f"w_{key}_s", x, Y3 + 60, f"s {pre}-out")
        p.chain(f"w_{key}_r", f"w_{key}_pre", f"w_{key}_s")
    p.obj("w_panic_r", 410, Y3, f"r {pre}-panic")
    p.msg("w_off", 410, Y3 + 30, "/off")
    p.obj("w_off_s", 410, Y3 + 60, f"s {pre}-out")
    p.chain("w_panic_r", "w_off", "w_off_s")
    p.obj("w_conn_r", 540, Y3, f"r {pre}-connected")
    p.obj("w_metro", 540, Y3 + 30, "metro 1000", w=80)
    p.obj("w_poll_r", 690, Y3, f"r {pre}-poll")
    p.msg("w_status", 690, Y3 + 60, "/status")
    p.obj("w_status_s", 690, Y3 + 90, f"s {pre}-out")
    p.chain("w_conn_r", "w_metro", "w_status")
    p.chain("w_poll_r", "w_status", "w_status_s")
    p.obj("send_r", 900, Y3, f"r {pre}-out")
    p.obj("send", 900, Y3 + 30, f"udpsend {DAEMON}")
    p.chain("send_r", "send")
    listen_wiring(p, pre, 1100, Y3)

    # what comes back: one [s] per address
    Y4 = Y3 + 150
    p.obj("recv", 20, Y4, f"udpreceive {CONTROL_PORT}")
    bus(p, pre, 20, Y4 + 30, "recv",
        ["/sineparams", "/synthparams", "/latent/sound", "/status.reply", "/error", "/state", "/state/synth",
         "/state/latent", "/heartbeat", "/subscribed"],
        ["sp", "syp", "ls", "status", "error", "state", "syn", "lat", "hb", "subscribed", "other"], 145)
    Y5 = Y4 + 130
    # /sineparams -> pitch, Hz, dB
    p.obj("sp_r", 20, Y5, f"r {pre}-sp")
    p.obj("sp_unpack", 20, Y5 + 30, "unpack 0. 0.", w=90)
    p.obj("sp_t", 20, Y5 + 60, "t f f", w=45)
    p.obj("sp_pitch_set", 20, Y5 + 100, "prepend set", w=80)
    p.obj("sp_pitch_s", 20, Y5 + 130, f"s {pre}-show-pitch")
    p.obj("sp_mtof", 170, Y5 + 100, "mtof", w=40)
    p.obj("sp_hz_set", 170, Y5 + 130, "prepend set", w=80)
    p.obj("sp_hz_s", 170, Y5 + 160, f"s {pre}-show-hz")
    p.obj("sp_db_set", 320, Y5 + 60, "prepend set", w=80)
    p.obj("sp_db_s", 320, Y5 + 90, f"s {pre}-show-db")
    p.chain("sp_r", "sp_unpack", "sp_t", "sp_pitch_set", "sp_pitch_s")
    p.c("sp_unpack", 1, "sp_db_set", 0)
    p.chain("sp_db_set", "sp_db_s")
    p.c("sp_t", 1, "sp_mtof", 0)
    p.chain("sp_mtof", "sp_hz_set", "sp_hz_s")
    # /latent/sound, /error, /state/synth, /synthparams -> their message boxes
    for k, tag in enumerate(["ls", "error", "syn", "syp"]):
        show = tag
        x = 500 + 170 * k
        p.obj(f"{tag}_r", x, Y5, f"r {pre}-{tag}")
        p.obj(f"{tag}_set", x, Y5 + 30, "prepend set", w=80)
        p.obj(f"{tag}_s", x, Y5 + 60, f"s {pre}-show-{show}")
        p.chain(f"{tag}_r", f"{tag}_set", f"{tag}_s")
    heard_square(p, pre, 1180, Y5)
    # /status.reply name value ... -> the chosen values, one display each
    Y6 = Y5 + 210
    p.obj("st_r", 20, Y6, f"r {pre}-status")
    p.obj("st_iter", 20, Y6 + 30, "zl iter 2", w=60)
    p.chain("st_r", "st_iter")
    fan(p, "st_route", 20, Y6 + 60, "route " + " ".join(k for k, _, _, _ in STATUS_ROWS),
        [(tag, f"{pre}-st-{tag}") for _, tag, _, _ in STATUS_ROWS] + [("", "")], 145, pre,
        w=145 * 5 + 8 + 60)
    p.chain("st_iter", "st_route")
    # /state gain glide muted listening model_id -> the widgets, with set (nothing is sent back)
    X = 900
    p.obj("state_r", X, Y6, f"r {pre}-state")
    p.chain("state_r")
    fan(p, "state_unpack", X, Y6 + 60, "unpack 0. 0. 0 0 s",
        [("gain", f"{pre}-gain-set"), ("glide", f"{pre}-glide-set"), ("mute", f"{pre}-mute-set"),
         ("listen", f"{pre}-listen-set"), ("model", f"{pre}-st-model")], 140, pre, w=152)
    p.c("state_r", 0, "state_unpack", 0)
    # the subscription
    subscription(p, pre, CONTROL_PORT, 20, Y6 + 180)
    # /state/latent image_dims sound_dims -> shown; sound_dims opens the z gate of 2 or of 3 values
    X, Y7 = 1100, Y6 + 180
    p.obj("lat_r", X, Y7, f"r {pre}-lat")
    p.obj("lat_t", X, Y7 + 30, "t l l", w=45)
    p.obj("lat_set", X + 150, Y7 + 60, "prepend set", w=80)
    p.obj("lat_show_s", X + 150, Y7 + 90, f"s {pre}-show-latent")
    p.obj("lat_unpack", X, Y7 + 60, "unpack 0 0", w=80)
    p.obj("lat_ti", X, Y7 + 90, "t i i", w=45)
    p.obj("lat_is2", X, Y7 + 120, "== 2", w=40)
    p.obj("lat_is3", X + 60, Y7 + 120, "== 3", w=40)
    p.obj("lat_s2", X, Y7 + 150, f"s {pre}-zon2", w=105)
    p.obj("lat_s3", X + 60, Y7 + 185, f"s {pre}-zon3", w=105)
    p.chain("lat_r", "lat_t")
    p.c("lat_t", 1, "lat_set", 0)
    p.chain("lat_set", "lat_show_s")
    p.c("lat_t", 0, "lat_unpack", 0)
    p.c("lat_unpack", 1, "lat_ti", 0)
    p.c("lat_ti", 0, "lat_is2", 0)
    p.c("lat_ti", 1, "lat_is3", 0)
    p.chain("lat_is2", "lat_s2")
    p.chain("lat_is3", "lat_s3")
    return p


# --- the voice abstractions: isudt_sine~, isudt_fm~, isudt_voice~ ----------------------

VOICES = 16                  # the daemon's default synth.voices: /voice/0 .. /voice/15
LIMIT = "0.89125"            # -1 dBFS as an amplitude
FM_LEVEL_DB = -12            # the FM voice's level: digits-fm's synth.level_db (the daemon's /state/voice reports it)
ABSTRACTIONS = ("isudt_sine~", "isudt_fm~", "isudt_voice~")


def io_box(p: Patch, name: str, cls: str, x: float, y: float, index: int, comment: str) -> str:
    """An abstraction's inlet or outlet (Max numbers them left to right by position; `index` is that order)."""
    return p.ui(name, cls, x, y, 30, 30, index=index, comment=comment)


def sine_voice() -> Patch:
    """isudt_sine~.maxpat: the published voice, pitch -> mtof -> ramp -> cycle~, dB -> dbtoa -> ramp -> level.

    Argument #1: the ramp in ms. Outlets: the sine and its amplitude (the limiter sums the amplitudes).
    """
    p = Patch([100.0, 100.0, 620.0, 460.0])
    p.comment("doc", 20, 10, "isudt_sine~ -- one sine voice as the published Max patch played it: pitch (MIDI) -> mtof -> "
              "ramp -> cycle~, level (dB) -> dbtoa -> ramp. Inlet: 'pitch dB', or 'off' (ramps the level to 0). "
              "Outlets: the sine; its amplitude (for the limiter). Argument: the ramp in ms.", 580, 3)
    io_box(p, "in", "inlet", 20, 70, 1, "pitch dB, or off")
    p.obj("route", 20, 110, "route off", w=62)
    p.obj("unpack", 102, 140, "unpack 0. 0.", w=76)
    p.msg("zero", 20, 175, "0.", w=28)
    p.obj("dbtoa", 52, 175, "dbtoa", w=45)
    p.obj("mtof", 102, 175, "mtof", w=40)
    p.obj("apack", 20, 210, "pack 0. #1", w=76)
    p.obj("fpack", 102, 210, "pack 0. #1", w=76)
    p.obj("fline", 102, 245, "line~", w=45)
    p.obj("aline", 20, 280, "line~", w=45)
    p.obj("osc", 102, 280, "cycle~", w=52)
    p.obj("abs", 20, 315, "abs~", w=40)
    p.obj("mul", 102, 315, "*~", w=30)
    io_box(p, "out", "outlet", 102, 360, 1, "the sine")
    io_box(p, "aout", "outlet", 200, 360, 2, "its amplitude")
    p.c("in", 0, "route", 0)
    p.c("route", 1, "unpack", 0)
    p.c("route", 0, "zero", 0)
    p.c("unpack", 0, "mtof", 0)
    p.c("unpack", 1, "dbtoa", 0)
    p.c("dbtoa", 0, "apack", 0)
    p.c("zero", 0, "apack", 0)
    p.chain("mtof", "fpack", "fline", "osc", "mul", "out")
    p.chain("apack", "aline", "abs")
    p.c("aline", 0, "mul", 1)
    p.c("abs", 0, "aout", 0)
    return p


def fm_voice() -> Patch:
    """isudt_fm~.maxpat: the daemon's FM voice (daemon/synths.py fm_wave) in MSP objects.

    a * sin(2 pi fc t + I sin(2 pi fm t)): phase modulation, as the engine does it. The carrier's and the
    modulator's phases come from phasor~ (cycles); cycle~ 0 with the phase in its right inlet is a cosine
    lookup, and a quarter cycle less makes it a sine. The index I is a phase depth in radians, so it enters
    as I / 2 pi cycles. The alias guard lowers I so that fc * (1 + (I + 1) * ratio) <= 0.45 * samplerate
    (never below 0), at Max's own sample rate (dspstate~). Arguments: #1 ramp ms, #2 level dBFS.
    """
    p = Patch([100.0, 100.0, 900.0, 720.0])
    p.comment("doc", 20, 10, "isudt_fm~ -- one FM voice as the daemon plays it (daemon/synths.py: a * sin(2 pi fc t + "
              "I sin(2 pi fm t))): carrier fc at the MIDI pitch, modulator fm = ratio x fc, index I the phase-modulation "
              "depth in radians, lowered by the alias guard fc * (1 + (I + 1) * ratio) <= 0.45 * samplerate (never "
              "below 0), level the world's synth.level_db. Inlet: 'pitch ratio index' (unpacked right to left), "
              "'level dB' (the daemon's /state/voice says it) or 'off'. Outlets: the tone; its amplitude (for the "
              "limiter). Arguments: ramp ms, level dBFS until a 'level' comes.", 860, 5)
    io_box(p, "in", "inlet", 20, 90, 1, "pitch ratio index, level dB, or off")
    p.obj("route", 20, 127, "route off level", w=170)
    p.msg("zero", 20, 160, "0.", w=28)
    p.obj("tlb", 190, 160, "t l b", w=45)
    p.obj("dsp", 250, 160, "dspstate~", w=70)
    p.obj("sr45", 250, 195, "* 0.45", w=50)
    p.comment("dsp_c", 330, 195, "Max's sample rate (again whenever the audio starts)", 180, 2)
    p.obj("lvl_in", 560, 160, "dbtoa", w=45)
    p.obj("lvl_t", 560, 195, "t f f", w=45)
    p.obj("unpack", 100, 230, "unpack 0. 0. 0.", w=200)
    p.obj("mtof", 100, 265, "mtof", w=40)
    p.obj("tfc", 100, 300, "t f f f b", w=120)
    p.obj("tratio", 192, 265, "t f f", w=45)
    # the alias guard: (0.45 sr / fc - 1) / ratio - 1, then min(index, .) and max(0, .), in cycles
    p.obj("g_div", 330, 335, "!/ 21600.", w=70)
    p.obj("g_sub", 330, 365, "- 1.", w=40)
    p.obj("g_ratio", 330, 395, "/ 1.", w=40)
    p.obj("g_sub2", 330, 425, "- 1.", w=40)
    p.obj("g_min", 330, 455, "minimum 0.", w=80)
    p.obj("g_max", 330, 485, "maximum 0.", w=80)
    p.obj("g_cyc", 330, 515, "/ 6.283185307179586", w=150)
    p.comment("guard_c", 500, 420, "the alias guard: I lowered to (0.45 sr / fc - 1) / ratio - 1, never below 0; "
              "then / 2 pi: the depth in cycles", 300, 3)
    p.obj("fm_mul", 200, 335, "* 1.", w=40)
    # the level: #2 dBFS, sent on every tone
    p.obj("lvl_lm", 680, 125, "loadmess #2", w=90)
    p.obj("lvl_a", 680, 160, "dbtoa", w=45)
    p.obj("lvl_f", 620, 300, "f", w=30)
    p.comment("lvl_c", 660, 300, "the level, on every tone (a 'level' also at once)", 180, 2)
    # ramps
    p.obj("fc_pack", 100, 560, "pack 0. #1", w=76)
    p.obj("fm_pack", 200, 560, "pack 0. #1", w=76)
    p.obj("d_pack", 330, 560, "pack 0. #1", w=76)
    p.obj("a_pack", 20, 560, "pack 0. #1", w=70)
    p.obj("fc_line", 100, 590, "line~", w=45)
    p.obj("fm_line", 200, 590, "line~", w=45)
    p.obj("d_line", 330, 590, "line~", w=45)
    p.obj("a_line", 20, 590, "line~", w=45)
    # signals: phases (cycles) -> cosine lookups a quarter cycle back (sines)
    p.obj("fc_ph", 100, 620, "phasor~", w=60)
    p.obj("fm_ph", 200, 620, "phasor~", w=60)
    p.obj("fm_q", 200, 650, "-~ 0.25", w=55)
    p.obj("fm_sin", 200, 680, "cycle~ 0", w=60)
    p.obj("depth", 200, 710, "*~", w=30)
    p.obj("fc_add", 100, 740, "+~", w=30)
    p.obj("fc_q", 100, 770, "-~ 0.25", w=55)
    p.obj("fc_sin", 100, 800, "cycle~ 0", w=60)
    p.obj("amp", 100, 830, "*~", w=30)
    io_box(p, "out", "outlet", 100, 870, 1, "the tone")
    io_box(p, "aout", "outlet", 200, 870, 2, "its amplitude")
    p.comment("sig_c", 300, 680, "cycle~ 0 with a phase (cycles) in its right inlet is cos(2 pi phase); a quarter cycle "
              "less is the sine. carrier phase + (I / 2 pi) sin(2 pi fm t): phase modulation, as the engine", 300, 3)
    p.c("in", 0, "route", 0)
    p.c("route", 0, "zero", 0)
    p.c("zero", 0, "a_pack", 0)
    p.c("route", 2, "tlb", 0)
    p.c("route", 1, "lvl_in", 0)
    p.chain("lvl_in", "lvl_t")
    p.c("lvl_t", 1, "lvl_f", 1)
    p.c("lvl_t", 0, "a_pack", 0)
    p.c("tlb", 1, "dsp", 0)
    p.c("dsp", 1, "sr45", 0)
    p.c("sr45", 0, "g_div", 1)
    p.c("tlb", 0, "unpack", 0)
    p.c("unpack", 2, "g_min", 1)
    p.c("unpack", 1, "tratio", 0)
    p.c("tratio", 1, "g_ratio", 1)
    p.c("tratio", 0, "fm_mul", 1)
    p.chain("unpack", "mtof", "tfc")
    p.c("tfc", 3, "lvl_f", 0)
    p.c("tfc", 2, "g_div", 0)
    p.c("tfc", 1, "fm_mul", 0)
    p.c("tfc", 0, "fc_pack", 0)
    p.chain("g_div", "g_sub", "g_ratio", "g_sub2", "g_min", "g_max", "g_cyc", "d_pack", "d_line")
    p.chain("fm_mul", "fm_pack", "fm_line", "fm_ph", "fm_q")
    p.c("fm_q", 0, "fm_sin", 1)
    p.c("fm_sin", 0, "depth", 0)
    p.c("d_line", 0, "depth", 1)
    p.chain("fc_pack", "fc_line", "fc_ph", "fc_add", "fc_q")
    p.c("depth", 0, "fc_add", 1)
    p.c("fc_q", 0, "fc_sin", 1)
    p.c("fc_sin", 0, "amp", 0)
    p.chain("lvl_lm", "lvl_a")
    p.c("lvl_a", 0, "lvl_f", 1)
    p.c("lvl_f", 0, "a_pack", 0)
    p.c("a_pack", 0, "a_line", 0)
    p.c("a_line", 0, "amp", 1)
    p.c("amp", 0, "out", 0)
    p.c("a_line", 0, "aout", 0)
    return p


def voice() -> Patch:
    """isudt_voice~.maxpat: one voice of the synth, a sine or an FM voice as the bundle's synth kind says.

    Arguments: #1 ramp ms, #2 the name the parent sends the kind on (1 sine, 2 fm, 0 a kind Max cannot
    play: silent), #3 the FM level in dBFS. Before any kind arrives it plays sines (the published world).
    """
    p = Patch([100.0, 100.0, 760.0, 480.0])
    p.comment("doc", 20, 10, "isudt_voice~ -- one voice of isudt_max_synth: [isudt_sine~] for a sine bundle, [isudt_fm~] "
              "for an FM bundle, as the daemon's /state/synth says (the parent sends 1 = sine, 2 = fm, 0 = a kind Max "
              "cannot play: silent, on [s #2]). Inlet: 'pitch dB' (/sineparams), 'synthparams pitch ratio index' "
              "(/synthparams), 'level dB' (an FM voice's level, from /state/voice) or 'off'. A kind change stops both. Outlets: the sound; its amplitude. Arguments: ramp "
              "ms, the kind's send name, the FM level dBFS (before any /state/synth: sine).", 720, 5)
    io_box(p, "in", "inlet", 20, 110, 1, "pitch dB | synthparams pitch ratio index | level dB | off")
    p.obj("route", 20, 150, "route off level synthparams", w=200)
    p.obj("level", 40, 200, "prepend level", w=95)
    p.msg("off", 20, 265, "off", w=35)
    p.obj("fm_gate", 90, 265, "gate 1 0", w=60)
    p.obj("sine_gate", 170, 265, "gate 1 1", w=60)
    p.obj("fm", 20, 325, "isudt_fm~ #1 #3", w=110)
    p.obj("sine", 170, 325, "isudt_sine~ #1", w=100)
    io_box(p, "out", "outlet", 20, 385, 1, "the sound")
    io_box(p, "aout", "outlet", 170, 385, 2, "its amplitude")
    p.obj("kind_r", 300, 110, "r #2", w=45)
    p.obj("kind_change", 300, 140, "change 1", w=60)
    p.obj("kind_t", 300, 170, "t i i b", w=60)
    p.obj("is_fm", 240, 215, "== 2", w=40)
    p.obj("is_sine", 300, 215, "== 1", w=40)
    p.msg("kind_off", 360, 215, "off", w=35)
    p.comment("kind_c", 380, 140, "a kind change: both off, then only that kind's messages pass", 300, 2)
    p.c("in", 0, "route", 0)
    p.c("route", 0, "off", 0)
    p.c("route", 1, "level", 0)
    p.c("level", 0, "fm_gate", 1)
    p.c("route", 2, "fm_gate", 1)
    p.c("route", 3, "sine_gate", 1)
    p.c("off", 0, "fm", 0)
    p.c("off", 0, "sine", 0)
    p.c("fm_gate", 0, "fm", 0)
    p.c("sine_gate", 0, "sine", 0)
    p.c("fm", 0, "out", 0)
    p.c("sine", 0, "out", 0)
    p.c("fm", 1, "aout", 0)
    p.c("sine", 1, "aout", 0)
    p.chain("kind_r", "kind_change", "kind_t")
    p.c("kind_t", 2, "kind_off", 0)
    p.c("kind_off", 0, "fm", 0)
    p.c("kind_off", 0, "sine", 0)
    p.c("kind_t", 1, "is_sine", 0)
    p.c("kind_t", 0, "is_fm", 0)
    p.c("is_sine", 0, "sine_gate", 0)
    p.c("is_fm", 0, "fm_gate", 0)
    return p


# --- isudt_max_synth.maxpat ----------------------------------------------------------

def synth() -> Patch:
    pre = "isudts"
    p = Patch([60.0, 60.0, 1380.0, 900.0])
    p.comment("doc", 20, 10, f"isudt Max synth -- Max plays the daemon's {VOICES} voices from its replies: a sine bundle's "
              "/sineparams pitch dB (as the published patch did), an FM bundle's /synthparams pitch ratio index (and "
              "their /voice/N/ forms), each voice the synth the daemon's /state/synth names ([isudt_voice~]: "
              "[isudt_sine~] or [isudt_fm~]). It stops a voice on /voice/N/off, all of them on /off. Listens on port "
              f"{SYNTH_PORT} and subscribes there, so it runs beside isudt_control.maxpat ({CONTROL_PORT}). Synth mode: on "
              "every /subscribed it sends /mute 1, so the daemon stays silent, even after a restart.", 1340, 3)
    # output: the DSP switch, the level, the output gain (fed by [send~ isudts-out] at the bottom)
    p.comment("dsp_c", 20, 68, "DSP: click the loudspeaker to switch Max's audio on / off", 420)
    p.obj("out_r", 20, 95, f"receive~ {pre}-out")
    p.obj("gain_lm", 230, 95, "loadmess 0.", w=80)
    p.ui("gain", "flonum", 230, 125, 60, 22, format=6, minimum=-60.0, maximum=0.0, varname="gain")
    p.comment("gain_lc", 294, 126, "output gain dB (<= 0)", 150)
    p.obj("gain_a", 230, 155, "dbtoa", w=45)
    p.obj("gain_p", 230, 185, "pack 0. 20", w=76)
    p.obj("gain_l", 230, 215, "line~", w=45)
    p.obj("out_mul", 20, 250, "*~", w=40)
    p.chain("gain_lm", "gain", "gain_a", "gain_p", "gain_l")
    p.c("gain_l", 0, "out_mul", 1)
    p.c("out_r", 0, "out_mul", 0)
    p.ui("dsp", "ezdac~", 20, 285, 70, 70, varname="dsp")
    p.ui("meter", "meter~", 104, 285, 24, 100, varname="meter")
    p.comment("meter_c", 134, 335, "level: never above -1 dBFS (the limiter)", 150, 2)
    p.c("out_mul", 0, "dsp", 0)
    p.c("out_mul", 0, "dsp", 1)
    p.c("out_mul", 0, "meter", 0)
    # state: connected, daemon muted, the synth kind, /mute 0
    indicator(p, pre, "connected", 560, 70, "connected: a /heartbeat came within the last 2 s", 320, 24)
    indicator(p, pre, "muted", 960, 70, "daemon muted (as its /state says)", 250, 24)
    p.comment("kind_c", 560, 150, "the voices play (/state/synth: 1 sine, 2 fm, 0 a kind Max cannot play)", 420)
    p.obj("kind_show_r", 560, 175, f"r {pre}-kind")
    p.ui("kind_show", "number", 700, 175, 40, 22, varname="kind")
    p.c("kind_show_r", 0, "kind_show", 0)
    p.comment("mute_c", 560, 230, "On every /subscribed (at load, every 20 s, and when a restarted daemon answers) the "
              "patch sends /mute 1. To give the sound back to the daemon until then:", 560, 2)
    p.msg("unmute", 560, 270, "/mute 0")
    p.obj("unmute_s", 560, 300, f"s {pre}-out")
    p.chain("unmute", "unmute_s")

    # ------------------------------------------------------------------- wiring
    Y = 410
    p.comment("wiring_c", 20, Y, "wiring -- [udpreceive] -> [route] -> one [s] per address; the subscription; "
              "every voice message becomes 'N pitch dB', 'N synthparams pitch ratio index' or 'N off' on "
              "[s isudts-v]; the voices; the limiter", 1300)
    p.obj("recv", 20, Y + 30, f"udpreceive {SYNTH_PORT}")
    bus(p, pre, 20, Y + 60, "recv", ["/subscribed", "/heartbeat", "/state", "/state/voice", "/state/synth", "/error"],
        ["subscribed", "hb", "state", "sv", "syn", "error", "sound"], 150)
    Y2 = Y + 160
    p.obj("sub_r", 20, Y2, f"r {pre}-subscribed")
    p.msg("mute1", 20, Y2 + 30, "/mute 1")
    p.obj("mute1_s", 20, Y2 + 60, f"s {pre}-out")
    p.chain("sub_r", "mute1", "mute1_s")
    p.obj("err_r", 200, Y2, f"r {pre}-error")
    p.obj("err_print", 200, Y2 + 30, "print isudt-error")
    p.chain("err_r", "err_print")
    p.obj("state_r", 380, Y2, f"r {pre}-state")
    p.chain("state_r")
    fan(p, "state_unpack", 380, Y2 + 30, "unpack 0. 0. 0 0 s", [("", ""), ("", ""), ("muted", f"{pre}-muted-set")],
        140, pre, w=152)
    p.c("state_r", 0, "state_unpack", 0)
    p.obj("send_r", 600, Y2, f"r {pre}-out")
    p.obj("send", 600, Y2 + 30, f"udpsend {DAEMON}")
    p.chain("send_r", "send")
    # /state/synth kind n name unit ... -> the voices' kind on [s isudts-kind]
    X = 800
    p.obj("syn_r", X, Y2, f"r {pre}-syn")
    p.obj("syn_route", X, Y2 + 30, "route sine fm", w=100)
    p.obj("kind_s", X, Y2 + 95, f"s {pre}-kind")
    for k, v in enumerate(["1", "2", "0"]):
        p.msg(f"kind{v}", X + 45 * k, Y2 + 60, v, w=30)
        p.c("syn_route", k, f"kind{v}", 0)
        p.c(f"kind{v}", 0, "kind_s", 0)
    p.chain("syn_r", "syn_route")
    p.comment("syn_c", X + 150, Y2 + 30, "/state/synth sine ... -> 1, fm ... -> 2, another kind -> 0 (silent)", 300)
    subscription(p, pre, SYNTH_PORT, 20, Y2 + 150)

    # every voice message -> [s isudts-v] as "N pitch dB", "N synthparams p r i" or "N off"
    Yd = Y2 + 540
    p.comment("disp_c", 20, Yd - 30, "per voice: /voice/N/sineparams -> 'N pitch dB', /voice/N/synthparams -> "
              "'N synthparams pitch ratio index', /voice/N/off -> 'N off' (the published addresses are voice 0's)", 1200)
    groups = [["/sineparams", "/synthparams", "/off"]] + [
        [f"/voice/{n}/{a}" for n in range(g, g + 4) for a in ("sineparams", "synthparams", "off")]
        for g in range(0, VOICES, 4)]
    step = 100
    for g, addrs in enumerate(groups):
        y = Yd + 200 * g
        p.obj(f"vg{g}_r", 20, y, f"r {pre}-sound")
        w = step * len(addrs)
        p.obj(f"vg{g}_route", 20, y + 30, "route " + " ".join(addrs), w=w + 8)
        p.c(f"vg{g}_r", 0, f"vg{g}_route", 0)
        for k, a in enumerate(addrs):
            n = 0 if g == 0 else int(a.split("/")[2])
            kind = a.rsplit("/", 1)[1]
            x = 20 + step * k
            h = f"vg{g}_{k}"
            row = y + 70 if kind != "synthparams" else y + 135
            if g == 0 and kind == "off":
                p.obj(h + "_s", x, row, f"s {pre}-alloff", w=95)
                p.c(f"vg{g}_route", k, h + "_s", 0)
                continue
            if kind == "sineparams":
                p.obj(h, x, row, f"prepend {n}", w=80)
            elif kind == "synthparams":
                p.obj(h, x, row, f"prepend {n} synthparams", w=160)
            else:
                p.msg(h, x, row, f"{n} off", w=50)
            p.obj(h + "_s", x, row + 30, f"s {pre}-v", w=80)
            p.c(f"vg{g}_route", k, h, 0)
            p.chain(h, h + "_s")
    Ya = Yd + 200 * len(groups)
    p.obj("alloff_r", 20, Ya, f"r {pre}-alloff")
    p.msg("alloff", 20, Ya + 30, ", ".join(f"{n} off" for n in range(VOICES)))
    p.obj("alloff_s", 20, Ya + 60, f"s {pre}-v", w=80)
    p.chain("alloff_r", "alloff", "alloff_s")
    # /state/voice N active pitch dB: a voice the daemon reports stopped stops here too
    X = 20
    Ys = Ya + 110
    p.obj("sv_r", X, Ys, f"r {pre}-sv")
    p.obj("sv_unpack", X, Ys + 30, "unpack 0 0 0. 0.", w=200)
    p.obj("sv_t", X + 64, Ys + 60, "t i i", w=45)
    p.obj("sv_eq", X + 64, Ys + 90, "== 0", w=45)
    p.obj("sv_on", X + 120, Ys + 90, "== 1", w=45)
    p.obj("sv_gate", X, Ys + 125, "gate 1", w=50)
    p.obj("sv_lgate", X + 120, Ys + 125, "gate 1", w=50)
    p.obj("sv_off", X, Ys + 160, "append off", w=80)
    p.obj("sv_s", X, Ys + 190, f"s {pre}-v", w=80)
    p.obj("sv_level", X + 120, Ys + 160, "pack 0 level 0.", w=110)
    p.obj("sv_ls", X + 120, Ys + 190, f"s {pre}-v", w=80)
    p.chain("sv_r", "sv_unpack")
    p.c("sv_unpack", 3, "sv_level", 2)
    p.c("sv_unpack", 1, "sv_t", 0)
    p.c("sv_t", 1, "sv_on", 0)
    p.c("sv_t", 0, "sv_eq", 0)
    p.c("sv_eq", 0, "sv_gate", 0)
    p.c("sv_on", 0, "sv_lgate", 0)
    p.c("sv_unpack", 0, "sv_gate", 1)
    p.c("sv_unpack", 0, "sv_lgate", 1)
    p.chain("sv_gate", "sv_off", "sv_s")
    p.chain("sv_lgate", "sv_level", "sv_ls")
    p.comment("sv_c", X + 260, Ys + 100, "/state/voice N active pitch dB: a voice the daemon reports stopped stops here "
              "too; a sounding one sends its dB as the FM voice's level (the world's synth.level_db; sine voices "
              "ignore it)", 420, 3)

    # the voices: [route 0 .. 7] and [route 8 .. 15], each outlet an [isudt_voice~]
    Yv = Ys + 250
    col = 235
    half = VOICES // 2
    p.comment("voices_c", 20, Yv - 30, f"the {VOICES} voices: [isudt_voice~ ramp-ms kind-name fm-level-dB] plays "
              "[isudt_sine~] or [isudt_fm~] as [s isudts-kind] says (max/isudt_voice~.maxpat, beside this patch)", 1200)
    p.obj("v_r", 20, Yv, f"r {pre}-v", w=80)
    for row in range(2):
        y = Yv + 30 + 90 * row
        nums = range(half * row, half * (row + 1))
        p.obj(f"v_route{row}", 20, y, "route " + " ".join(str(n) for n in nums), w=col * half + 8)
        for k, n in enumerate(nums):
            p.obj(f"v{n}", 20 + col * k, y + 40, f"isudt_voice~ 10 {pre}-kind {FM_LEVEL_DB}", w=col - 15)
            p.c(f"v_route{row}", k, f"v{n}", 0)
    p.c("v_r", 0, "v_route0", 0)
    p.c("v_route0", half, "v_route1", 0)
    # the limiter: gain = 0.89125 / max(sum of the amplitudes, 0.89125), at signal rate
    Yl = Yv + 230
    p.obj("lim_max", 20, Yl, f"maximum~ {LIMIT}", w=110)
    p.obj("lim_div", 20, Yl + 30, f"!/~ {LIMIT}", w=110)
    p.obj("lim_mul", 400, Yl + 60, "*~", w=40)
    p.obj("lim_out", 400, Yl + 90, f"send~ {pre}-out")
    for n in range(VOICES):
        p.c(f"v{n}", 1, "lim_max", 0)
        p.c(f"v{n}", 0, "lim_mul", 0)
    p.chain("lim_max", "lim_div")
    p.c("lim_div", 0, "lim_mul", 1)
    p.chain("lim_mul", "lim_out")
    p.comment("lim_c", 540, Yl + 60, "limiter: the sum of the voices times 0.89125 / max(sum of their amplitudes, "
              f"0.89125), so {VOICES} voices at full level never pass -1 dBFS (no clipping); to the output at the top",
              520, 2)
    return p


# --- isudt_listen_adc.maxpat -----------------------------------------------------------

def listen_adc() -> Patch:
    """Max's input (adc~) to the daemon's ears, and the square it hears.

    Honest about the route: the daemon analyses *its own* audio input
    (`isudt serve --input DEVICE`), so Max feeds it through a loopback device
    (adc~ -> dac~ on e.g. BlackHole, Soundflower or JACK, the daemon's input
    on the same device). Computing the mel vector in Max (/image/mel) would
    need the manifest's front end rebuilt in MSP; this patch does not pretend to.
    """
    pre = "isudtl"
    p = Patch([80.0, 80.0, 1200.0, 860.0])
    p.comment("doc", 20, 10, "isudt listen (adc~) -- the way back from Max's input. The daemon listens to its OWN audio "
              "input, so Max passes adc~ to a loopback output that the daemon reads: set Max's output device (Options > "
              "Audio Status) to a loopback such as BlackHole, Soundflower or a JACK port, and start the daemon with "
              f"`isudt serve --input BlackHole` (the same device). Listens on port {LISTEN_PORT} and subscribes there.",
              1120, 4)
    # the audio: adc~ -> gain -> dac~ (the loopback), with a meter
    p.comment("adc_c", 20, 95, "1. input: click to start Max's audio (adc~ -> dac~ to the loopback device)", 520)
    p.ui("dsp", "ezdac~", 20, 125, 60, 60, varname="dsp")
    p.obj("adc", 110, 125, "adc~ 1", w=60)
    p.obj("gain_lm", 200, 125, "loadmess 0.", w=80)
    p.ui("gain", "flonum", 200, 155, 60, 22, format=6, minimum=-60.0, maximum=0.0, varname="gain")
    p.comment("gain_c", 264, 156, "input gain dB", 100)
    p.obj("gain_a", 200, 185, "dbtoa", w=45)
    p.obj("gain_p", 200, 215, "pack 0. 20", w=76)
    p.obj("gain_l", 200, 245, "line~", w=45)
    p.obj("mul", 110, 285, "*~", w=40)
    p.obj("dac", 110, 325, "dac~ 1 2", w=70)
    p.ui("meter", "meter~", 20, 200, 24, 100, varname="meter")
    p.comment("meter_c", 200, 290, "level into the daemon (it is silent below -60 dBFS)", 200, 3)
    p.c("adc", 0, "mul", 0)
    p.chain("gain_lm", "gain", "gain_a", "gain_p", "gain_l")
    p.c("gain_l", 0, "mul", 1)
    p.c("mul", 0, "dac", 0)
    p.c("mul", 0, "dac", 1)
    p.c("mul", 0, "meter", 0)
    # the daemon: listen, connected, what it hears
    p.comment("listen_h", 620, 95, "2. the daemon", 200)
    listen_toggle(p, pre, 620, 120, "listen: /image/listen 1 / 0 (shows the daemon's /state)")
    indicator(p, pre, "connected", 620, 220, "connected: a /heartbeat within 2 s", 260, 24)
    p.comment("heard_c", 620, 310, "heard: /square x y (top-left corner, 0..125)", 320)
    p.obj("heard_r", 620, 335, f"r {pre}-show-square")
    p.msg("show_square", 620, 363, "", w=120, varname="show_square")
    p.comment("other_c", 620, 400, "other replies (/image/silent level while it is quiet, /image/latent, ...)", 500)
    p.obj("show_other_r", 620, 425, f"r {pre}-show-other")
    p.msg("show_other", 620, 453, "", w=500, varname="show_other")
    p.c("heard_r", 0, "show_square", 0)
    p.c("show_other_r", 0, "show_other", 0)

    # ------------------------------------------------------------------- wiring
    Y = 520
    p.comment("wiring_c", 20, Y, "wiring -- [udpreceive] -> [route] -> one [s] per address; the subscription; "
              "the listen toggle to the daemon", 1100)
    p.obj("recv", 20, Y + 30, f"udpreceive {LISTEN_PORT}")
    bus(p, pre, 20, Y + 60, "recv", ["/state", "/heartbeat", "/subscribed"], ["state", "hb", "subscribed", "other"], 150)
    Y2 = Y + 160
    heard_square(p, pre, 20, Y2)
    p.obj("sq_sink", 20, Y2 + 150, "print isudt-heard", w=120)
    p.c("sq_t", 0, "sq_sink", 0)
    p.obj("state_r", 400, Y2, f"r {pre}-state")
    fan(p, "state_unpack", 400, Y2 + 30, "unpack 0. 0. 0 0 s", [("", ""), ("", ""), ("", ""),
                                                             ("listen", f"{pre}-listen-set")], 140, pre, w=152)
    p.c("state_r", 0, "state_unpack", 0)
    listen_wiring(p, pre, 600, Y2)
    p.obj("send_r", 800, Y2, f"r {pre}-out")
    p.obj("send", 800, Y2 + 30, f"udpsend {DAEMON}")
    p.chain("send_r", "send")
    subscription(p, pre, LISTEN_PORT, 20, Y2 + 200)
    return p


# --- isudt_frames.maxpat ---------------------------------------------------------------

ASPECTS = [("64 48", "4:3"), ("64 36", "16:9"), ("64 64", "1:1")]   # w h <= 64 (the /frame/list limit)
GRAB_SCALE = 5               # the camera grabs at 5 x the sent size (320 x 240 for 4:3)


def frames() -> Patch:
    """Camera (jit.grab) or movie (jit.movie) frames to the daemon as /frame/list w h v0 ... (it only sends).

    Why /frame/list and not /frame: Max's udpsend sends numbers and symbols, not OSC blobs. The frame keeps
    the source's aspect (the daemon fits it to the bundle's image, aspect kept, centred on black), at most
    64 a side (the daemon's /frame/list limit); `invert` turns dark-on-light drawings into the light-on-dark
    images a world like digits-fm was trained on.
    """
    p = Patch([100.0, 120.0, 900.0, 640.0])
    p.comment("doc", 20, 10, "isudt frames -- camera (jit.grab) or movie (jit.movie) -> grey -> w x h floats in [0, 1], "
              "the source's aspect kept (at most 64 a side) -> invert if asked -> /frame/list w h v0 ... to the daemon "
              "at a chosen rate. It only sends (no port, no subscription). /frame/list, not /frame: Max's udpsend "
              "cannot send OSC blobs.", 860, 3)
    p.comment("on_c", 20, 70, "on", 30)
    p.ui("on", "toggle", 20, 93, 24, 24, varname="on")
    p.comment("rate_c", 100, 70, "interval (ms)", 90)
    p.ui("rate", "number", 100, 93, 50, 22, minimum=10, maximum=2000, varname="rate")
    p.obj("lb", 200, 70, "loadbang", w=66)
    p.msg("rate50", 200, 100, "50", w=30)
    p.comment("src_c", 300, 70, "source: 1 camera, 2 movie", 170)
    p.msg("src1", 300, 100, "1", w=30, varname="camera")
    p.msg("src2", 340, 100, "2", w=30, varname="movie")
    # the aspect (the sent size; the camera grabs at GRAB_SCALE x that) and invert
    p.comment("aspect_c", 520, 70, "aspect: the camera's (or the movie's); the frame sent, w h", 360)
    for k, (size, label) in enumerate(ASPECTS):
        x = 520 + 110 * k
        p.msg(f"aspect{k}", x, 95, size, w=50, varname=f"aspect_{label.replace(':', 'x')}")
        p.comment(f"aspect{k}_c", x + 54, 96, label, 44)
        p.obj(f"aspect{k}_s", x, 125, "s isudtf-aspect", w=105)
        p.c(f"aspect{k}", 0, f"aspect{k}_s", 0)
    p.comment("inv_c", 520, 160, "invert (1 - v): a dark drawing on paper for a world trained on light-on-dark "
              "images (digits-fm)", 360, 2)
    p.ui("invert", "toggle", 520, 200, 24, 24, varname="invert")
    p.obj("inv_plus", 560, 200, "+ 1", w=35)
    p.obj("inv_s", 560, 230, "s isudtf-invert", w=110)
    p.c("invert", 0, "inv_plus", 0)
    p.chain("inv_plus", "inv_s")
    # the frames: source -> grey -> resampled floats -> (inverted) -> one list -> /frame/list w h ...
    p.obj("metro", 20, 215, "metro 50", w=66)
    p.obj("src_gate", 20, 250, "gate 2 1", w=66)
    p.obj("gdim_r", 100, 250, "r isudtf-grabdim", w=110)
    p.msg("open", 220, 250, "open", w=40)
    p.msg("close", 270, 250, "close", w=47)
    p.msg("read", 400, 250, "read", w=40)
    p.obj("grab", 20, 290, f"jit.grab {64 * GRAB_SCALE} {48 * GRAB_SCALE}", w=122)
    p.obj("movie", 380, 290, "jit.movie @autostart 1 @loop 1", w=220)
    p.obj("luma", 20, 325, "jit.rgb2luma", w=94)
    p.obj("dim_r", 360, 325, "r isudtf-dim", w=90)
    p.obj("resample", 20, 360, "jit.matrix 1 float32 64 48 @adapt 0 @interp 1", w=325)
    p.obj("inv_r", 370, 360, "r isudtf-invert", w=110)
    p.obj("inv_gate", 20, 395, "gate 2 1", w=66)
    p.obj("inv_op", 110, 430, "jit.op @op !- @val 1.", w=150)
    p.obj("len_r", 280, 440, "r isudtf-len", w=90)
    p.obj("spill", 20, 470, "jit.spill @listlength 3072", w=192)
    p.obj("prefix_r", 230, 475, "r isudtf-prefix", w=110)
    p.obj("prefix", 20, 505, "prepend /frame/list 64 48", w=185)
    p.obj("send", 20, 540, f"udpsend {DAEMON}", w=171)
    p.ui("view", "jit.pwindow", 620, 300, 128, 96)
    p.comment("view_c", 620, 400, "what the daemon gets", 140)
    p.chain("lb", "rate50", "rate")
    p.c("rate", 0, "metro", 1)
    p.c("on", 0, "metro", 0)
    p.c("lb", 0, "src1", 0)
    p.c("src1", 0, "src_gate", 0)
    p.c("src2", 0, "src_gate", 0)
    p.c("metro", 0, "src_gate", 1)
    p.c("src_gate", 0, "grab", 0)
    p.c("src_gate", 1, "movie", 0)
    p.c("gdim_r", 0, "grab", 0)
    p.c("open", 0, "grab", 0)
    p.c("close", 0, "grab", 0)
    p.c("read", 0, "movie", 0)
    p.c("grab", 0, "luma", 0)
    p.c("movie", 0, "luma", 0)
    p.chain("luma", "resample")
    p.c("dim_r", 0, "resample", 0)
    p.c("resample", 0, "inv_gate", 1)
    p.c("inv_r", 0, "inv_gate", 0)
    p.c("inv_gate", 1, "inv_op", 0)
    for src in ("inv_gate", "inv_op"):
        p.c(src, 0, "spill", 0)
        p.c(src, 0, "view", 0)
    p.c("len_r", 0, "spill", 0)
    p.c("prefix_r", 0, "prefix", 0)
    p.chain("spill", "prefix", "send")
    # an aspect w h -> the prefix, the resampled size, the list length, the grab size
    X, S = 380, 230
    p.comment("set_c", X, 520, "an aspect w h sets the prefix (/frame/list w h), the resampled size, the list "
              f"length (w x h) and the camera's grab size ({GRAB_SCALE} w x {GRAB_SCALE} h); 4:3 when the patch opens",
              560, 2)
    p.obj("a_r", X, 560, "r isudtf-aspect", w=110)
    p.obj("a_lm", X + 130, 560, "loadmess 64 48", w=100)
    p.obj("a_t", X, 590, "t l l l l", w=3 * S + 8)
    p.obj("a_fmt", X, 625, "sprintf set /frame/list %ld %ld", w=215)
    p.obj("a_prefix_s", X, 660, "s isudtf-prefix", w=110)
    p.obj("a_dim", X + S, 625, "prepend dim", w=80)
    p.obj("a_dim_s", X + S, 660, "s isudtf-dim", w=90)
    p.obj("a_len_u", X + 2 * S, 625, "unpack 0 0", w=70)
    p.obj("a_len", X + 2 * S, 660, "*", w=30)
    p.obj("a_len_p", X + 2 * S, 695, "prepend listlength", w=125)
    p.obj("a_len_s", X + 2 * S, 730, "s isudtf-len", w=90)
    p.obj("a_grab_u", X + 3 * S, 625, "unpack 0 0", w=70)
    p.obj("a_gw", X + 3 * S, 660, f"* {GRAB_SCALE}", w=35)
    p.obj("a_gh", X + 3 * S + 50, 660, f"* {GRAB_SCALE}", w=35)
    p.obj("a_gp", X + 3 * S, 695, "pack 0 0", w=60)
    p.obj("a_gdim", X + 3 * S, 730, "prepend dim", w=80)
    p.obj("a_gdim_s", X + 3 * S, 765, "s isudtf-grabdim", w=120)
    p.chain("a_r", "a_t")
    p.c("a_lm", 0, "a_t", 0)
    p.c("a_t", 0, "a_fmt", 0)
    p.c("a_fmt", 0, "a_prefix_s", 0)
    p.c("a_t", 1, "a_dim", 0)
    p.c("a_dim", 0, "a_dim_s", 0)
    p.c("a_t", 2, "a_len_u", 0)
    p.c("a_len_u", 0, "a_len", 0)
    p.c("a_len_u", 1, "a_len", 1)
    p.chain("a_len", "a_len_p", "a_len_s")
    p.c("a_t", 3, "a_grab_u", 0)
    p.c("a_grab_u", 0, "a_gw", 0)
    p.c("a_grab_u", 1, "a_gh", 0)
    p.c("a_gw", 0, "a_gp", 0)
    p.c("a_gh", 0, "a_gp", 1)
    p.chain("a_gp", "a_gdim", "a_gdim_s")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else MAX_DIR
    for name, make in GENERATED.items():
        (out / name).write_text(make().render())
        print(out / name)
    return 0


GENERATED = {"isudt_control.maxpat": control, "isudt_max_synth.maxpat": synth,
             "isudt_listen_adc.maxpat": listen_adc, "isudt_frames.maxpat": frames,
             "isudt_voice~.maxpat": voice, "isudt_sine~.maxpat": sine_voice, "isudt_fm~.maxpat": fm_voice}


if __name__ == "__main__":
    raise SystemExit(main())
