"""The Max patches (max/*.maxpat), checked structurally: Max cannot run here.

What is checked, and why each check can fail:
- every file is Max 8 patcher JSON; every box's class is a real Max / MSP /
  Jitter object from an explicit allow-list below (an invented or misspelled
  name fails), and where the allow-list knows an object's inlet and outlet
  counts, the box declares those counts (a cord drawn to an inlet that the
  real object does not have fails);
- every patch cord joins existing boxes at existing inlets and outlets;
- `udpsend` uses the daemon's configured default port (read from
  `isudt.daemon.config`); each patch that receives listens on a port of its
  own (control 12361, synth 12362), subscribes there at load (`/subscribe
  PORT`) and renews (a `metro` whose interval is 2000 ms until a `/heartbeat`
  arrives and 20000 ms while they keep coming), and unsubscribes on close;
- the "connected" indicator is fed only from the `/heartbeat` replies; the
  control's gain / glide / mute are set (`set`, no output) from `/state` and
  send when changed; the chosen `/status.reply` values each have a display;
  the last `/error` has its own display; a panic button sends `/off`;
- the synth plays 16 voices, each an `isudt_voice~` abstraction (inlined
  here, tests/support/max_sim.py) holding a sine voice (mtof, dbtoa, 10 ms
  line~ ramps, cycle~) and an FM voice, chosen by `/state/synth`; each is
  stopped by `/voice/N/off` and `/off`, summed through a limiter
  (`maximum~ 0.89125` -> `!/~ 0.89125`, no `clip~`) to the DSP switch
  (`ezdac~`) and a meter; it sends `/mute 1` on every `/subscribed`;
- run (max_sim: Max's message order, its integer and float arithmetic, the
  MSP objects as numpy): the FM voice's signal is `daemon.synths.fm_wave` for
  the same pitch, ratio and index, alias guard included, at 48 and 44.1 kHz;
  the kind switch plays each bundle's messages on its own voice and stops
  the other; a whole synth patch fed the daemon's OSC plays voice 15 as FM;
  the control sends `/latent/sound` with as many values as `/state/latent`
  says and shows `/state/synth` and `/synthparams`; the frames patch sends
  `/frame/list w h` + w x h values in the chosen aspect, inverted on request;
- the committed patches are exactly what max/make_patches.py writes;
- every message the patches can send is accepted by the daemon's own
  validator (`isudt.daemon.messages.validate`, the one namespace table): a
  small interpreter follows the cords backwards from each `udpsend` and
  works out the messages (address and arguments, at the extremes of each
  control's range) that can arrive there;
- the reply addresses the patches route on are ones a running daemon really
  sends;
- the image drawn by the control patch's `jit.gen` code is the daemon's
  square image (the GenExpr is evaluated with numpy and compared with
  `render_square`);
- the README pictures (docs/patches/) exist for every patch and can be redrawn.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pytest

from isudt.daemon.config import OscConfig, SynthSection
from isudt.daemon.messages import Limits, Refused, validate
from isudt.daemon.square import DEFAULT_SPEC, render_square
from support.max_sim import Sim, atom, flatten
from support.patch_drawing import draw, max_patches, picture_name, read_maxpat

ROOT = Path(__file__).resolve().parents[1]
MAX_DIR = ROOT / "max"
PATCHES = sorted(MAX_DIR.glob("*.maxpat"))
ABSTRACTIONS = {"isudt_voice~", "isudt_sine~", "isudt_fm~"}    # used as objects by isudt_max_synth.maxpat
EXPECTED = {"isudt_control.maxpat", "isudt_max_synth.maxpat", "isudt_frames.maxpat", "isudt_listen_adc.maxpat"} \
    | {f"{a}.maxpat" for a in ABSTRACTIONS}
LIMIT = "0.89125"     # -1 dBFS as an amplitude: the synth's limiter ceiling
PATCH_VOICES = 16     # the patches play all the daemon's default voices (SynthSection().voices)
FM_BUNDLE = "digits-fm"   # the shipped FM bundle (3-d latents)

Counts = Callable[[list[str], dict], "tuple[int, int] | None"]


def _n_args(args: list[str], default: int = 1) -> int:
    """Arguments before the first attribute (`@name value`); `default` when there are none."""
    n = 0
    for a in args:
        if a.startswith("@"):
            break
        n += 1
    return n or default


def _route(args: list[str], box: dict) -> tuple[int, int]:
    return 2, _n_args(args) + 1


def _select(args: list[str], box: dict) -> tuple[int, int]:
    n = _n_args(args)
    return (2 if n == 1 else 1), n + 1


def _packs(args: list[str], box: dict) -> tuple[int, int]:
    return _n_args(args, 2), 1


def _unpack(args: list[str], box: dict) -> tuple[int, int]:
    return 1, _n_args(args, 2)


def _trigger(args: list[str], box: dict) -> tuple[int, int]:
    return 1, _n_args(args, 2)


def _sprintf(args: list[str], box: dict) -> tuple[int, int]:
    fmt = " ".join(a for a in args if a != "symout")
    return max(1, len(re.findall(r"%(?!%)[-+ #0-9.]*l?[dioxXucsfeEgG]", fmt))), 1


def _gate(args: list[str], box: dict) -> tuple[int, int]:
    return 2, int(args[0]) if args else 1


def _dac(args: list[str], box: dict) -> tuple[int, int]:
    return (len(args) if args else 2), 0


def _abstraction(name: str) -> Counts:
    """An abstraction's box has as many inlets and outlets as its file has inlet and outlet objects."""
    def counts(args: list[str], box: dict) -> tuple[int, int]:
        inner = [b["box"]["maxclass"] for b in load(MAX_DIR / f"{name}.maxpat")["boxes"]]
        return inner.count("inlet"), inner.count("outlet")
    return counts


def _jit_gen(args: list[str], box: dict) -> tuple[int, int]:
    inner = [b["box"].get("text", "") for b in box["patcher"]["boxes"]]
    ins = sum(1 for t in inner if t.split(" ")[0] == "in")
    outs = sum(1 for t in inner if t.split(" ")[0] == "out")
    return max(1, ins), outs + 1


# Real Max 8 objects (Max, MSP, Jitter) that patches for this project may use.
# Value: their (inlets, outlets), a function of the arguments, or None where
# the counts depend on attributes this test does not model.
MAX_OBJECTS: dict[str, tuple[int, int] | Counts | None] = {
    # networking
    "udpsend": (1, 0), "udpreceive": (1, 1),
    # messages and control
    "route": _route, "routepass": _route, "prepend": (1, 1), "append": (1, 1), "speedlim": (2, 1),
    "pak": _packs, "pack": _packs, "unpack": _unpack, "t": _trigger, "trigger": _trigger,
    "sel": _select, "select": _select, "sprintf": _sprintf, "metro": (2, 1), "qmetro": (2, 1),
    "loadbang": (1, 1), "loadmess": (1, 1), "closebang": (1, 1), "print": (1, 0), "gate": _gate, "s": (1, 0), "send": (1, 0),
    "r": (0, 1), "receive": (0, 1), "int": (2, 1), "i": (2, 1), "float": (2, 1), "f": (2, 1),
    "change": None, "zl": None, "join": None, "regexp": None, "fromsymbol": None, "tosymbol": None,
    "line": None, "scale": None, "clip": None, "counter": None, "delay": (2, 1), "deferlow": (1, 1),
    "mtof": (1, 1), "ftom": (1, 1), "dbtoa": (1, 1), "atodb": (1, 1), "+": (2, 1), "-": (2, 1),
    "*": (2, 1), "/": (2, 1), "==": (2, 1), "!/": (2, 1), "!-": (2, 1), "minimum": (2, 1), "maximum": (2, 1),
    # MSP
    "line~": (2, 2), "cycle~": (2, 1), "phasor~": (2, 1), "*~": (2, 1), "+~": (2, 1), "-~": (2, 1), "dac~": _dac,
    "clip~": None, "dspstate~": (1, 4),
    "sig~": (1, 1), "abs~": (1, 1), "adc~": lambda args, box: (1, len(args) or 2), "maximum~": (2, 1), "!/~": (2, 1), "send~": (1, 0), "receive~": (1, 1),
    # Jitter
    "jit.gen": _jit_gen, "jit.matrix": (1, 2), "jit.grab": (1, 2), "jit.movie": (1, 2), "jit.rgb2luma": (1, 2),
    "jit.spill": (1, 2), "jit.iter": None, "jit.scissors": None, "jit.expr": None, "jit.op": (2, 2),
    "jit.qt.grab": None, "jit.dimmap": None,
    # this project's abstractions (max/<name>.maxpat, found beside the patch that uses them)
    **{name: _abstraction(name) for name in ABSTRACTIONS},
}
# Box classes that are not `newobj` (user-interface objects, message and comment boxes).
MAX_UI: dict[str, tuple[int, int] | None] = {
    "message": (2, 1), "comment": (1, 0), "number": (1, 2), "flonum": (1, 2), "toggle": (1, 1),
    "button": (1, 1), "pictslider": (2, 2), "jit.pwindow": (1, 2), "ezdac~": (2, 0), "meter~": (1, 1), "umenu": (1, 3),
    "panel": (1, 0), "slider": (1, 1), "dial": (1, 1), "live.gain~": None, "multislider": None,
    "inlet": (0, 1), "outlet": (1, 0), "bpatcher": None,
}
# Inside an embedded jit.gen patcher (classnamespace "jit.gen").
GEN_OBJECTS: dict[str, tuple[int, int] | None] = {"in": (0, 1), "out": (1, 0), "codebox": None}


def load(path: Path) -> dict:
    return json.loads(path.read_text())["patcher"]


def box_class(box: dict) -> tuple[str, list[str]]:
    """(class, arguments): the first word of the text for object boxes, the maxclass otherwise."""
    if box["maxclass"] == "newobj":
        words = box.get("text", "").split()
        return (words[0] if words else ""), words[1:]
    return box["maxclass"], []


def walk(patcher: dict, path: str = "") -> Iterator[tuple[str, dict, dict]]:
    """(where, patcher, box) for every box, embedded patchers included."""
    for entry in patcher["boxes"]:
        b = entry["box"]
        yield path, patcher, b
        if "patcher" in b:
            yield from walk(b["patcher"], f"{path}/{b['id']}")


@pytest.fixture(scope="module")
def limits() -> Limits:
    from isudt.daemon.bundle import default_bundle_dir, load_manifest
    manifest = load_manifest(default_bundle_dir(), verify=False)
    return Limits.from_manifest(manifest, SynthSection().voices, OscConfig().max_blob_bytes)


# --- structure ----------------------------------------------------------------------

def test_the_patches_and_their_readme_exist() -> None:
    assert {p.name for p in PATCHES} == EXPECTED
    readme = (MAX_DIR / "README.md").read_text()
    for name in EXPECTED:
        assert name in readme


@pytest.mark.parametrize("path", PATCHES, ids=lambda p: p.name)
def test_patch_is_max8_json_with_real_objects(path: Path) -> None:
    patcher = load(path)
    assert patcher["fileversion"] == 1 and patcher["appversion"]["major"] >= 8
    assert len(patcher["rect"]) == 4
    ids: dict[str, set[str]] = {}
    for where, owner, b in walk(patcher):
        level = ids.setdefault(where, set())
        assert b["id"] not in level, f"{path.name}{where}: duplicate id {b['id']}"
        level.add(b["id"])
        assert isinstance(b["numinlets"], int) and isinstance(b["numoutlets"], int)
        assert len(b.get("outlettype", [])) == b["numoutlets"], b
        assert len(b["patching_rect"]) == 4 and all(isinstance(v, (int, float)) for v in b["patching_rect"])
        cls, args = box_class(b)
        namespace = owner.get("classnamespace", "box")
        if namespace == "jit.gen":
            table: dict[str, Any] = GEN_OBJECTS
        else:
            table = MAX_OBJECTS if b["maxclass"] == "newobj" else MAX_UI
        assert cls in table, f"{path.name}{where}: {cls!r} is not a known Max 8 object"
        spec = table[cls]
        counts = spec(args, b) if callable(spec) else spec
        if counts is not None:
            assert (b["numinlets"], b["numoutlets"]) == counts, f"{path.name}: [{b.get('text', cls)}] inlets/outlets"


@pytest.mark.parametrize("path", PATCHES, ids=lambda p: p.name)
def test_cords_join_existing_inlets_and_outlets(path: Path) -> None:
    def check(patcher: dict) -> None:
        boxes = {e["box"]["id"]: e["box"] for e in patcher["boxes"]}
        seen = set()
        for entry in patcher["lines"]:
            line = entry["patchline"]
            (src, o), (dst, i) = line["source"], line["destination"]
            assert src in boxes and dst in boxes, line
            assert 0 <= o < boxes[src]["numoutlets"], f"{path.name}: outlet {o} of {boxes[src].get('text')}"
            assert 0 <= i < boxes[dst]["numinlets"], f"{path.name}: inlet {i} of {boxes[dst].get('text')}"
            assert (src, o, dst, i) not in seen, f"duplicate cord {line}"
            seen.add((src, o, dst, i))
        for b in boxes.values():
            if "patcher" in b:
                check(b["patcher"])
    check(load(path))


# Where each patch listens and subscribes (the daemon's fixed reply port 12341 stays for the published patch).
OWN_PORTS = {"isudt_control.maxpat": 12361, "isudt_max_synth.maxpat": 12362, "isudt_frames.maxpat": None,
             "isudt_listen_adc.maxpat": 12364, **{f"{a}.maxpat": None for a in ABSTRACTIONS}}


@pytest.mark.parametrize("path", PATCHES, ids=lambda p: p.name)
def test_ports_are_the_daemons_and_the_patchs_own(path: Path) -> None:
    osc = OscConfig()
    sends = recvs = 0
    for _, _, b in walk(load(path)):
        cls, args = box_class(b)
        if cls == "udpsend":
            sends += 1
            assert args == [osc.host, str(osc.port)], b["text"]
        if cls == "udpreceive":
            recvs += 1
            assert args == [str(OWN_PORTS[path.name])], b["text"]
            assert int(args[0]) != osc.reply_port    # 12341 stays for the published patch
    assert sends == (0 if path.stem in ABSTRACTIONS else 1)       # an abstraction talks to its parent only
    assert recvs == (0 if OWN_PORTS[path.name] is None else 1)


# --- what the patches send ------------------------------------------------------------


class Interpreter:
    """Which messages can reach an inlet: a backwards walk over the cords, per object class.

    Each control contributes the extremes of its range, so that a slider or
    number box whose range exceeds what the daemon accepts is caught. Objects
    it does not model contribute nothing (and the expected addresses then go
    missing, which the tests notice).
    """

    def __init__(self, patcher: dict) -> None:
        self.boxes = {e["box"]["id"]: e["box"] for e in patcher["boxes"]}
        self.into: dict[tuple[str, int], list[tuple[str, int]]] = {}
        for entry in patcher["lines"]:
            (src, o), (dst, i) = entry["patchline"]["source"], entry["patchline"]["destination"]
            self.into.setdefault((dst, i), []).append((src, o))
        self.memo: dict[tuple[str, int], list[list[Any]]] = {}
        self.busy: set[tuple[str, int]] = set()

    def inputs(self, ident: str, inlet: int) -> list[list[Any]]:
        out: list[list[Any]] = []
        for src, o in self.into.get((ident, inlet), []):
            out += self.outputs(src, o)
        return out

    def outputs(self, ident: str, outlet: int) -> list[list[Any]]:
        key = (ident, outlet)
        if key in self.memo:
            return self.memo[key]
        if key in self.busy:     # a feedback loop: contributes nothing new
            return []
        self.busy.add(key)
        try:
            result = self._outputs(self.boxes[ident], outlet)
        finally:
            self.busy.discard(key)
        self.memo[key] = result
        return result

    def _outputs(self, b: dict, outlet: int) -> list[list[Any]]:
        cls, args = box_class(b)
        ident = b["id"]
        if cls == "pictslider":
            lo, hi = (b.get("leftvalue", 0), b.get("rightvalue", 127)) if outlet == 0 else \
                     (b.get("topvalue", 0), b.get("bottomvalue", 127))
            return [[int(lo)], [int(hi)]]
        if cls in ("number", "flonum"):
            kind = int if cls == "number" else float
            if "minimum" in b and "maximum" in b:
                return [[kind(b["minimum"])], [kind(b["maximum"])]]
            return [[kind(0)]]
        if cls == "toggle":
            return [[0], [1]]
        if cls in ("button", "loadbang", "closebang", "metro", "qmetro"):
            return [["bang"]]
        if cls == "message":
            if "$" in b.get("text", ""):
                raise AssertionError(f"$-arguments in message boxes are not modelled: {b['text']}")
            if not self.into.get((ident, 0)):
                return []
            return [[atom(t) for t in m.split()] for m in b.get("text", "").split(",") if m.strip()]
        if cls in ("speedlim", "deferlow"):
            return self.inputs(ident, 0)
        if cls == "gate":
            return self.inputs(ident, 1)
        if cls in ("t", "trigger"):
            kind = args[outlet] if outlet < len(args) else "l"
            ins = self.inputs(ident, 0)
            if kind == "b":
                return [["bang"]] if ins else []
            if kind in ("i", "f"):
                conv = int if kind == "i" else float
                return [[conv(m[0])] for m in ins if m and isinstance(m[0], (int, float))]
            return ins
        if cls in ("sel", "select"):
            keys = [atom(a) for a in args]
            ins = self.inputs(ident, 0)
            if outlet < len(keys):
                return [["bang"]] if any(m and m[0] == keys[outlet] for m in ins) else []
            return [m for m in ins if not (m and m[0] in keys)]
        if cls in ("pak", "pack"):
            defaults = [atom(a) for a in args]
            columns = []
            for i, d in enumerate(defaults):
                vals = [m[0] for m in self.inputs(ident, i) if m and isinstance(m[0], (int, float))] or [d]
                conv = float if isinstance(d, float) else int
                columns.append([conv(v) for v in vals])
            longest = max(len(c) for c in columns)
            return [[c[min(j, len(c) - 1)] for c in columns] for j in range(longest)]
        if cls == "unpack":
            return [[m[outlet]] for m in self.inputs(ident, 0) if len(m) > outlet]
        if cls == "sprintf":
            fmt = " ".join(a for a in args if a != "symout")
            out = []
            for m in self.inputs(ident, 0):
                vals = iter(m)
                text = re.sub(r"%l?[dioxXucsfeEgG]", lambda _: str(next(vals, m[0])), fmt)
                out.append([atom(t) for t in text.split()])
            return out
        if cls == "prepend":
            ins = self.inputs(ident, 0)
            prefixes = [[atom(a) for a in args]] + [m[1:] for m in ins if m and m[0] == "set"]
            data = [m for m in ins if not (m and m[0] == "set")]
            return [p + m for p in prefixes for m in data]
        if cls in ("r", "receive"):
            out = []
            for other in self.boxes.values():
                ocls, oargs = box_class(other)
                if ocls in ("s", "send") and oargs == args:
                    out += self.inputs(other["id"], 0)
            return out
        if cls == "jit.matrix":
            dims = [int(a) for a in args[2:_n_args(args, 0)] if a.isdigit()]
            if not any(self.into.get((ident, i)) for i in range(b["numinlets"])) or not dims:
                return []
            return [["jit_matrix", int(args[0]), *dims]]
        if cls == "jit.spill":
            listlength = 2048
            if "@listlength" in args:
                listlength = int(args[args.index("@listlength") + 1])
            out = []
            for m in self.inputs(ident, 0):
                if m and m[0] == "jit_matrix" and m[1] == 1:
                    cells = int(np.prod(m[2:]))
                    out.append([0.5] * min(listlength, cells))
            return out
        return []


@pytest.fixture(scope="module")
def fm_limits() -> Limits:
    from isudt.daemon.bundle import load_manifest, resolve_bundle
    manifest = load_manifest(resolve_bundle(FM_BUNDLE), verify=False)
    return Limits.from_manifest(manifest, SynthSection().voices, OscConfig().max_blob_bytes)


@pytest.mark.parametrize("path", PATCHES, ids=lambda p: p.name)
def test_every_sent_message_is_accepted_by_the_daemon(path: Path, limits: Limits, fm_limits: Limits) -> None:
    """Against the default bundle's limits; a 3-value /latent/sound against the FM bundle's (3-d latents)."""
    patcher = load(path)
    interp = Interpreter(patcher)
    sent: list[tuple[str, list[Any]]] = []
    for ident, b in interp.boxes.items():
        if box_class(b)[0] == "udpsend":
            for m in interp.inputs(ident, 0):
                assert m and isinstance(m[0], str) and m[0].startswith("/"), f"not an OSC message: {m[:8]}"
                sent.append((m[0], m[1:]))
    assert fm_limits.sound_latent == 3 and limits.sound_latent == 2
    for address, args in sent:
        three = address.endswith("/latent/sound") and len(args) == 3
        try:
            validate(address, args, fm_limits if three else limits)
        except Refused as e:
            raise AssertionError(f"{path.name} can send {address} {args[:6]}... which the daemon refuses: "
                                 f"{e.reason}") from None
    addresses = {a for a, _ in sent}
    last = f"/voice/{PATCH_VOICES - 1}"
    expected = {
        "isudt_control.maxpat": {"/pictslider", f"{last}/pictslider", "/latent/sound", f"{last}/latent/sound",
                                 "/gain", "/glide", "/mute", "/status", "/off", "/subscribe", "/unsubscribe",
                                 "/image/listen"},
        "isudt_listen_adc.maxpat": {"/image/listen", "/subscribe", "/unsubscribe"},
        "isudt_max_synth.maxpat": {"/mute", "/subscribe", "/unsubscribe"},
        "isudt_frames.maxpat": {"/frame/list"},
        **{f"{a}.maxpat": set() for a in ABSTRACTIONS},
    }[path.name]
    assert addresses == expected
    if path.name == "isudt_control.maxpat":   # the slider reaches both corners of the square's range
        corners = {tuple(a) for addr, a in sent if addr == "/pictslider"}
        assert corners == {(0, 0), (DEFAULT_SPEC.positions - 1, DEFAULT_SPEC.positions - 1)}
    if path.name == "isudt_control.maxpat":   # z0 z1, or z0 z1 z2 (the FM bundle)
        assert {len(a) for addr, a in sent if addr.endswith("/latent/sound")} == {2, 3}
    if path.name == "isudt_frames.maxpat":    # as the patch opens: 4:3, 64 x 48 (the other aspects: run below)
        (frame,) = {len(a) for addr, a in sent}
        assert frame == 2 + 64 * 48


# --- the patches as graphs: cords, plus the names that join [s X] to [r X] (and send~ to receive~) --------

class Graph:
    def __init__(self, patcher: dict) -> None:
        self.boxes = {e["box"]["id"]: e["box"] for e in patcher["boxes"]}
        self.out: dict[str, list[tuple[int, str, int]]] = {}
        self.into: dict[str, list[tuple[str, int, int]]] = {}
        edges = [(e["patchline"]["source"][0], e["patchline"]["source"][1],
                  e["patchline"]["destination"][0], e["patchline"]["destination"][1]) for e in patcher["lines"]]
        receivers = {"s": ("r", "receive"), "send": ("r", "receive"), "send~": ("receive~",)}
        for a, ba in self.boxes.items():
            cls, args = box_class(ba)
            for b, bb in self.boxes.items():
                c2, a2 = box_class(bb)
                if cls in receivers and c2 in receivers[cls] and a2 == args:
                    edges.append((a, 0, b, 0))
        for a, o, b, i in edges:
            self.out.setdefault(a, []).append((o, b, i))
            self.into.setdefault(b, []).append((a, o, i))

    def text(self, ident: str) -> str:
        return self.boxes[ident].get("text", self.boxes[ident]["maxclass"])

    def find(self, cls: str, *args: str) -> list[str]:
        return [i for i, b in self.boxes.items() if box_class(b)[0] == cls and (not args or box_class(b)[1] == list(args))]

    def named(self, varname: str) -> str:
        (ident,) = [i for i, b in self.boxes.items() if b.get("varname") == varname]
        return ident

    def route_with(self, address: str) -> tuple[str, int]:
        """The [route] that has `address` among its arguments, and that address's outlet."""
        (ident,) = [i for i in self.find("route") if address in box_class(self.boxes[i])[1]]
        return ident, box_class(self.boxes[ident])[1].index(address)

    def downstream(self, start: str, outlet: int | None = None, without: str | None = None) -> set[str]:
        seen: set[str] = set()
        todo = [b for o, b, _ in self.out.get(start, []) if outlet is None or o == outlet]
        while todo:
            ident = todo.pop()
            if ident in seen or ident == without:
                continue
            seen.add(ident)
            todo += [b for _, b, _ in self.out.get(ident, [])]
        return seen

    def upstream_stopping_at_routes(self, end: str) -> tuple[set[str], set[tuple[str, int]]]:
        """Everything that can feed `end`; a [route] on the way is recorded with its outlet and not passed."""
        seen: set[str] = set()
        routes: set[tuple[str, int]] = set()
        todo = list(self.into.get(end, []))
        while todo:
            src, o, _ = todo.pop()
            if box_class(self.boxes[src])[0] == "route":
                routes.add((src, o))
                continue
            if src in seen:
                continue
            seen.add(src)
            todo += self.into.get(src, [])
        return seen, routes

    def feeders(self, ident: str, inlet: int | None = None) -> list[str]:
        """The boxes that feed an inlet, looking through [r X] <- [s X]."""
        out = []
        for src, _, i in self.into.get(ident, []):
            if inlet is not None and i != inlet:
                continue
            if box_class(self.boxes[src])[0] in ("r", "receive", "s", "send"):
                out += self.feeders(src)
            else:
                out.append(src)
        return out


RECEIVING = [p for p in PATCHES if OWN_PORTS[p.name] is not None]


@pytest.mark.parametrize("path", RECEIVING, ids=lambda p: p.name)
def test_subscribes_on_its_own_port_at_load_and_renews(path: Path) -> None:
    patcher = load(path)
    g, interp = Graph(patcher), Interpreter(patcher)
    port = OWN_PORTS[path.name]
    (udpsend,) = g.find("udpsend")
    (sub,) = [i for i, b in g.boxes.items() if b["maxclass"] == "message" and b["text"] == f"/subscribe {port}"]
    assert udpsend in g.downstream(sub)
    (metro,) = g.feeders(sub, 0)
    assert box_class(g.boxes[metro]) == ("metro", ["2000"])
    # started at load (the metro bangs at once when started: the first /subscribe goes out as the patch opens)
    assert any(box_class(g.boxes[i])[0] == "loadbang" for i in g.upstream_stopping_at_routes(metro)[0])
    # its interval: 2000 ms while no heartbeat, 20000 ms while they come
    assert sorted(m[0] for m in interp.inputs(metro, 1)) == [2000, 20000]
    route, hb = g.route_with("/heartbeat")
    after_hb = g.downstream(route, hb)
    assert any(box_class(g.boxes[i]) == ("delay", ["2000"]) for i in after_hb)
    assert metro in after_hb and {g.text(i) for i in g.feeders(metro, 1)} == {"2000", "20000"}
    # and it says goodbye when closed
    (unsub,) = [i for i, b in g.boxes.items() if b["maxclass"] == "message" and b["text"] == f"/unsubscribe {port}"]
    assert udpsend in g.downstream(unsub)
    assert any(box_class(g.boxes[i])[0] == "closebang" for i in g.feeders(unsub))


@pytest.mark.parametrize("path", RECEIVING, ids=lambda p: p.name)
def test_connected_is_lit_only_by_a_heartbeat(path: Path) -> None:
    g = Graph(load(path))
    lamp = g.named("connected")
    assert g.boxes[lamp]["maxclass"] == "toggle"
    assert all(g.text(f) == "prepend set" for f in g.feeders(lamp))       # shown, never sent on
    sources, routes = g.upstream_stopping_at_routes(lamp)
    route, hb = g.route_with("/heartbeat")
    assert routes == {(route, hb)}, routes
    assert not any(box_class(g.boxes[i])[0] in ("udpreceive", "loadbang", "udpsend") for i in sources)


def test_control_widgets_show_the_daemons_state() -> None:
    patcher = load(MAX_DIR / "isudt_control.maxpat")
    g, interp = Graph(patcher), Interpreter(patcher)
    route, state = g.route_with("/state")
    after_state = g.downstream(route, state)
    (udpsend,) = g.find("udpsend")
    for name, address in [("gain", "/gain"), ("glide", "/glide"), ("mute", "/mute")]:
        w = g.named(name)
        assert w in after_state, name
        assert g.feeders(w) and all(g.text(f) == "prepend set" for f in g.feeders(w)), name   # no feedback
        sent = [m for m in interp.inputs(udpsend, 0) if m and m[0] == address]
        assert sent and udpsend in g.downstream(w), name
    # /state's fields are gain_db glide_ms muted listening model_id, in that order
    (unpack,) = [i for i in after_state if box_class(g.boxes[i])[0] == "unpack"]
    fields = {name: o for o, b, _ in g.out[unpack] for name in ("gain", "glide", "mute") if g.named(name) in
              g.downstream(b) | {b}}
    assert fields == {"gain": 0, "glide": 1, "mute": 2}


def test_control_shows_chosen_status_values_each_on_its_own_line_and_the_last_error() -> None:
    g = Graph(load(MAX_DIR / "isudt_control.maxpat"))
    route, status = g.route_with("/status.reply")
    after = g.downstream(route, status)
    ys = []
    for key in ("received", "errors", "underruns", "latency_p99_ms", "model_id"):
        d = g.named(f"status_{key}")
        assert d in after, key
        ys.append(g.boxes[d]["patching_rect"][1])
    assert len(set(ys)) == len(ys)
    route, err = g.route_with("/error")
    shown = g.named("show_error")
    assert shown in g.downstream(route, err) and g.boxes[shown]["maxclass"] == "message"
    assert g.boxes[shown]["patching_rect"][2] >= 400       # room for "address reason"


def test_control_has_a_panic_button() -> None:
    g = Graph(load(MAX_DIR / "isudt_control.maxpat"))
    panic = g.named("panic")
    assert g.boxes[panic]["maxclass"] == "button"
    offs = [i for i in g.downstream(panic) if g.text(i) == "/off"]
    (udpsend,) = g.find("udpsend")
    assert offs and udpsend in g.downstream(offs[0])


def test_synth_mutes_the_daemon_on_every_subscribed() -> None:
    g = Graph(load(MAX_DIR / "isudt_max_synth.maxpat"))
    route, subscribed = g.route_with("/subscribed")
    mutes = [i for i in g.downstream(route, subscribed) if g.text(i) == "/mute 1"]
    (udpsend,) = g.find("udpsend")
    assert mutes and udpsend in g.downstream(mutes[0])


def synth_flat() -> dict:
    """isudt_max_synth.maxpat with its 16 isudt_voice~ (and their isudt_sine~, isudt_fm~) inlined."""
    return flatten(load(MAX_DIR / "isudt_max_synth.maxpat"), MAX_DIR)


def voice_boxes() -> list[str]:
    """The synth's voice boxes, voice 0 first: what [route 0 .. 7] and [route 8 .. 15] feed."""
    g = Graph(load(MAX_DIR / "isudt_max_synth.maxpat"))
    half = PATCH_VOICES // 2
    out = []
    for row in range(2):
        (route,) = g.find("route", *[str(n) for n in range(half * row, half * (row + 1))])
        for k in range(half):
            (v,) = [b for o, b, _ in g.out[route] if o == k]
            assert box_class(g.boxes[v]) == ("isudt_voice~", ["10", "isudts-kind", "-12"])
            out.append(v)
    return out


def outlets_of(sim: Sim, box: str) -> list[str]:
    """The inlined outlet objects of abstraction box `box`, left to right (sound, amplitude)."""
    found = [i for i, b in sim.boxes.items() if b["maxclass"] == "outlet" and i.startswith(box + "/")
             and i.count("/") == box.count("/") + 1]
    return sorted(found, key=lambda i: sim.boxes[i]["patching_rect"][0])


def wrapped(text: str) -> tuple[Sim, str, list[str]]:
    """One abstraction instance alone (as `text` in a parent box): the simulation, its inlet, its outlets."""
    parent = {"boxes": [{"box": {"id": "obj-1", "maxclass": "newobj", "text": text, "numinlets": 1, "numoutlets": 2,
                                 "outlettype": ["signal", "signal"], "patching_rect": [0.0, 0.0, 100.0, 22.0]}}],
              "lines": []}
    sim = Sim(flatten(parent, MAX_DIR))
    sim.load()
    (inlet,) = [i for i, b in sim.boxes.items() if b["maxclass"] == "inlet" and i.count("/") == 1]
    return sim, inlet, outlets_of(sim, "obj-1")


def sine(pitch: float, db: float, n: int, sr: float = 48000.0) -> np.ndarray:
    """What a sine voice plays: cycle~ is a cosine (phase 0 at the start)."""
    return 10 ** (db / 20) * np.cos(2 * np.pi * 440.0 * 2 ** ((pitch - 69) / 12) * np.arange(n) / sr)


N = 4800


def test_synth_plays_sixteen_voices_through_the_limiter_to_the_dac() -> None:
    g = Graph(synth_flat())
    voices = PATCH_VOICES
    assert not g.find("clip~") and not g.find("dac~")        # ezdac~ is the one output (two would double it)
    dsp, meter = g.named("dsp"), g.named("meter")
    assert g.boxes[dsp]["maxclass"] == "ezdac~" and g.boxes[dsp]["patching_rect"][2] >= 45
    assert g.boxes[dsp]["patching_rect"][1] < 400 and g.boxes[meter]["maxclass"] == "meter~"
    (amax,) = g.find("maximum~", LIMIT)
    (inv,) = g.find("!/~", LIMIT)
    assert g.feeders(inv, 0) == [amax]
    (limiter,) = [i for i in g.find("*~") if g.feeders(i, 1) == [inv]]
    assert dsp in g.downstream(limiter) and meter in g.downstream(limiter)
    oscillators = set()
    for n, box in enumerate(voice_boxes()):
        inner = [i for i in g.boxes if i.startswith(box + "/")]
        kinds = [box_class(g.boxes[i]) for i in inner]
        # a sine voice (one cycle~ at a frequency) and an FM voice (two phasor~ phases read by two cycle~ 0)
        assert [k for k in kinds if k[0] == "cycle~"].count(("cycle~", [])) == 1, (n, kinds)
        assert kinds.count(("cycle~", ["0"])) == 2 and kinds.count(("phasor~", [])) == 2, (n, kinds)
        assert sum(1 for k in kinds if k == ("pack", ["0.", "10"])) == 6, (n, kinds)     # every ramp 10 ms
        for osc in (i for i in inner if box_class(g.boxes[i])[0] == "cycle~"):
            assert dsp in g.downstream(osc) and limiter in g.downstream(osc)
            assert dsp not in g.downstream(osc, without=limiter), f"voice {n} reaches the output around the limiter"
            oscillators.add(osc)
    assert len(oscillators) == 3 * voices
    assert len(g.feeders(amax, 0)) == voices and len(g.feeders(limiter, 0)) == voices


@pytest.mark.parametrize("sr", [48000.0, 44100.0])
@pytest.mark.parametrize("params", [(60.0, 2.0, 3.0), (45.5, 0.3, 0.5), (84.0, 7.0, 9.0), (38.0, 10.0, 10.0)])
def test_max_fm_voice_is_the_engines_fm(params: tuple[float, float, float], sr: float) -> None:
    """isudt_fm~ run: its signal is daemon.synths.fm_wave for the same parameters (the last two: guarded)."""
    from isudt.daemon.synths import FM_LEVEL_DB, fm_wave
    sim, inlet, (out, amp) = wrapped(f"isudt_fm~ 10 {FM_LEVEL_DB:g}")
    sim.sr = sr
    sim.deliver(inlet, 0, list(params))
    want = fm_wave(*(np.array([v]) for v in params), N, int(sr), FM_LEVEL_DB)[0]
    assert np.max(np.abs(sim.signal(out, N) - want)) < 1e-8
    assert np.allclose(sim.signal(amp, 8), 10 ** (FM_LEVEL_DB / 20))   # the limiter's share: the voice's level
    # another world's level (the daemon's /state/voice reports it): at once, and for the next tones
    sim.deliver(inlet, 0, ["level", -20.0])
    louder = fm_wave(*(np.array([v]) for v in params), N, int(sr), -20.0)[0]
    assert np.max(np.abs(sim.signal(out, N) - louder)) < 1e-8 and np.allclose(sim.signal(amp, 8), 0.1)
    sim.deliver(inlet, 0, ["off"])
    sim.deliver(inlet, 0, list(params))
    assert np.max(np.abs(sim.signal(out, N) - louder)) < 1e-8
    sim.deliver(inlet, 0, ["off"])
    assert not np.any(sim.signal(out, N)) and not np.any(sim.signal(amp, 8))


def test_the_fm_check_can_fail_on_the_alias_guard() -> None:
    """Unguarded (the index as asked), the guarded case differs from the engine's: the comparison sees the guard."""
    from isudt.daemon.synths import guard_index
    pitch, ratio, index = 84.0, 7.0, 9.0
    fc = 440.0 * 2 ** ((pitch - 69) / 12)
    assert float(guard_index(fc, ratio, index, 48000)) < index - 1      # the guard really lowers it here
    sim, inlet, (out, _) = wrapped("isudt_fm~ 10 -12")
    sim.deliver(inlet, 0, [pitch, ratio, index])
    t = np.arange(N) / 48000.0
    unguarded = 10 ** (-12 / 20) * np.sin(2 * np.pi * fc * t + index * np.sin(2 * np.pi * fc * ratio * t))
    assert np.max(np.abs(sim.signal(out, N) - unguarded)) > 0.1


def test_voice_plays_the_kind_the_parent_names_and_a_change_stops_it() -> None:
    from isudt.daemon.synths import fm_wave
    sim, inlet, (out, _) = wrapped("isudt_voice~ 10 kindname -12")
    fm = fm_wave(np.array([60.0]), np.array([2.0]), np.array([3.0]), N, 48000, -12.0)[0]
    # before any /state/synth: the published sine; FM parameters are ignored
    sim.deliver(inlet, 0, ["synthparams", 60.0, 2.0, 3.0])
    assert not np.any(sim.signal(out, N))
    sim.deliver(inlet, 0, [60.0, -6.0])
    sim.deliver(inlet, 0, ["level", -30.0])             # an FM level: not the sine's business
    assert np.max(np.abs(sim.signal(out, N) - sine(60, -6, N))) < 1e-9
    # an FM bundle: the sine stops at once; FM plays, sine messages are ignored
    sim.send_name("kindname", [2])
    assert not np.any(sim.signal(out, N))
    sim.deliver(inlet, 0, ["synthparams", 60.0, 2.0, 3.0])
    sim.deliver(inlet, 0, [72.0, 0.0])
    assert np.max(np.abs(sim.signal(out, N) - fm)) < 1e-8
    sim.deliver(inlet, 0, ["off"])
    assert not np.any(sim.signal(out, N))
    # a kind Max cannot play: silent, whatever comes
    sim.deliver(inlet, 0, ["synthparams", 60.0, 2.0, 3.0])
    sim.send_name("kindname", [0])
    sim.deliver(inlet, 0, [60.0, -6.0])
    sim.deliver(inlet, 0, ["synthparams", 60.0, 2.0, 3.0])
    assert not np.any(sim.signal(out, N))


def test_synth_plays_what_the_daemon_sends_to_every_voice() -> None:
    """The whole synth patch fed the daemon's OSC: sine voices, the kind switch, FM on voice 15, offs, /mute 1."""
    from isudt.daemon.synths import fm_wave
    sim = Sim(synth_flat())
    sim.load()
    assert ["/subscribe", 12362] in sim.sent
    sim.osc_in("/subscribed", 12362)
    assert sim.sent[-1] == ["/mute", 1]
    voices = voice_boxes()
    sound = [outlets_of(sim, v)[0] for v in voices]
    (mix,) = sim.find("send~", "isudts-out")

    def playing() -> list[int]:
        return [n for n, o in enumerate(sound) if np.any(sim.signal(o, 64))]

    sim.osc_in("/sineparams", 60.0, -6.0)
    for n in range(PATCH_VOICES):
        sim.osc_in(f"/voice/{n}/sineparams", 50.0 + n, -20.0)
    assert playing() == list(range(PATCH_VOICES))
    assert np.max(np.abs(sim.signal(sound[7], N) - sine(57, -20, N))) < 1e-9
    sim.osc_in("/voice/7/off")
    sim.osc_in("/state/voice", 3, 0, 53.0, -120.0)      # the daemon reports voice 3 stopped
    sim.osc_in("/state/voice", 4, 1, 54.0, -3.0)        # ... and voice 4 playing: it plays on, as /sineparams said
    assert np.max(np.abs(sim.signal(sound[4], N) - sine(54, -20, N))) < 1e-9
    assert playing() == [n for n in range(PATCH_VOICES) if n not in (3, 7)]
    sim.osc_in("/off")
    assert playing() == []
    # an FM bundle (/state/synth fm ...): /synthparams and /voice/N/synthparams play FM; sine replies do not
    sim.osc_in("/sineparams", 60.0, -6.0)
    sim.osc_in("/state/synth", "fm", 3, "pitch", "MIDI", "ratio", "x carrier", "index", "")
    assert playing() == [] and sim.state[sim.named("kind")].get("value") == 2
    sim.osc_in("/voice/15/synthparams", 60.0, 2.0, 3.0)
    sim.osc_in("/sineparams", 60.0, -6.0)
    assert playing() == [15]
    fm = fm_wave(np.array([60.0]), np.array([2.0]), np.array([3.0]), N, 48000, -12.0)[0]
    assert np.max(np.abs(sim.signal(sound[15], N) - fm)) < 1e-8
    sim.osc_in("/state/voice", 15, 1, 60.0, -12.0)      # the daemon's report of it: the FM level, unchanged
    assert np.max(np.abs(sim.signal(sound[15], N) - fm)) < 1e-8
    sim.osc_in("/state/voice", 15, 1, 60.0, -18.0)      # a world at another level: followed
    quieter = fm_wave(np.array([60.0]), np.array([2.0]), np.array([3.0]), N, 48000, -18.0)[0]
    assert np.max(np.abs(sim.signal(sound[15], N) - quieter)) < 1e-8
    sim.osc_in("/state/voice", 15, 1, 60.0, -12.0)
    sim.osc_in("/synthparams", 50.0, 1.0, 1.0)
    assert playing() == [0, 15]
    both = fm + fm_wave(np.array([50.0]), np.array([1.0]), np.array([1.0]), N, 48000, -12.0)[0]
    assert np.max(np.abs(sim.signal(mix, N) - both)) < 1e-8     # two voices at -12 dBFS: the limiter is idle
    sim.osc_in("/voice/15/off")
    assert playing() == [0]
    # back to a sine bundle: the FM voice stops, sines play again
    sim.osc_in("/state/synth", "sine", 2, "pitch", "MIDI", "db", "dB")
    assert playing() == []
    sim.osc_in("/voice/2/sineparams", 60.0, -6.0)
    assert playing() == [2]


def test_synth_limiter_holds_sixteen_loud_voices_under_minus_1_dbfs() -> None:
    """Run: 16 sines at 0 dB through the patch's own limiter (the mix, before the output gain)."""
    sim = Sim(synth_flat())
    sim.load()
    for n in range(PATCH_VOICES):
        sim.osc_in(f"/voice/{n}/sineparams", 60.0 + 0.01 * n, 0.0)     # nearly in phase: the sum reaches ~16
    (mix,) = sim.find("send~", "isudts-out")
    peak = np.max(np.abs(sim.signal(mix, N)))
    assert 10 ** (-1.5 / 20) < peak <= 10 ** (-1 / 20) + 1e-9


def test_the_limiter_formula_never_passes_minus_1_dbfs() -> None:
    """The numbers in the patch: 16 sines at random levels (up to 0 dBFS each), summed and limited."""
    g = Graph(load(MAX_DIR / "isudt_max_synth.maxpat"))
    (amax,) = g.find("maximum~")
    (inv,) = g.find("!/~")
    floor, numerator = float(box_class(g.boxes[amax])[1][0]), float(box_class(g.boxes[inv])[1][0])
    rng = np.random.default_rng(0)
    t = np.arange(4800) / 48000.0
    v = PATCH_VOICES
    for _ in range(50):
        amps = rng.uniform(0, 1, v) * (rng.uniform(size=v) < 0.8)
        freqs = rng.uniform(50, 2000, v)
        mix = (amps[:, None] * np.sin(2 * np.pi * freqs[:, None] * t + rng.uniform(0, 6.3, (v, 1)))).sum(0)
        out = mix * numerator / max(amps.sum(), floor)
        assert np.max(np.abs(out)) <= 10 ** (-1 / 20) + 1e-9


def test_patches_are_what_the_generator_writes(tmp_path: Path) -> None:
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_max_patches", MAX_DIR / "make_patches.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    assert mod.CONTROL_PORT == OWN_PORTS["isudt_control.maxpat"] and mod.SYNTH_PORT == OWN_PORTS["isudt_max_synth.maxpat"]
    assert mod.LISTEN_PORT == OWN_PORTS["isudt_listen_adc.maxpat"]
    assert set(mod.GENERATED) == EXPECTED and set(mod.ABSTRACTIONS) == ABSTRACTIONS and mod.VOICES == PATCH_VOICES
    mod.main([str(tmp_path)])
    for name in sorted(EXPECTED):
        assert (tmp_path / name).read_text() == (MAX_DIR / name).read_text(), \
            f"max/{name} differs from what max/make_patches.py writes: edit the generator and run it"


# --- the control and the frames, run ------------------------------------------------------

def test_control_sends_as_many_latent_values_as_the_bundle_has(limits: Limits, fm_limits: Limits) -> None:
    sim = Sim(flatten(load(MAX_DIR / "isudt_control.maxpat"), MAX_DIR))
    sim.load()

    def last_latent() -> list:
        return [m for m in sim.sent if m[0].endswith("/latent/sound")][-1]

    sim.click("z0", 0.5)                               # before /state/latent: the published 2 values
    assert last_latent() == ["/latent/sound", 0.5, 0.0]
    sim.osc_in("/state/latent", 3, 3)
    assert sim.state[sim.named("show_latent")]["text"] == "3 3"
    sim.click("z2", -1.25)
    assert last_latent() == ["/latent/sound", 0.5, 0.0, -1.25]
    sim.click("voice", 15)
    sim.click("z1", 0.75)
    assert last_latent() == ["/voice/15/latent/sound", 0.5, 0.75, -1.25]
    for m in sim.sent:
        if m[0].endswith("/latent/sound") and len(m) == 4:
            validate(m[0], m[1:], fm_limits)
    sim.osc_in("/state/latent", 2, 2)                  # a /bundle switch back to square-sine
    sim.click("voice", 0)
    sim.click("z2", 1.0)                               # z2 alone sends nothing now
    assert last_latent() == ["/voice/15/latent/sound", 0.5, 0.75, -1.25]
    sim.click("z0", -0.5)
    assert last_latent() == ["/latent/sound", -0.5, 0.75]
    validate("/latent/sound", last_latent()[1:], limits)
    with pytest.raises(Refused):                       # the check has teeth: 3 values to square-sine are refused
        validate("/latent/sound", [0.0, 0.0, 0.0], limits)


def test_control_shows_the_synths_names_and_parameters() -> None:
    """/state/synth (kind, n, names and units) and /synthparams each reach a display of their own, with set."""
    sim = Sim(flatten(load(MAX_DIR / "isudt_control.maxpat"), MAX_DIR))
    sim.load()
    sim.osc_in("/state/synth", "fm", 3, "pitch", "MIDI", "ratio", "x carrier", "index", "")
    sim.osc_in("/synthparams", 60.0, 2.0, 1.5)
    sim.osc_in("/voice/4/synthparams", 61.0, 2.0, 1.5)
    assert sim.state[sim.named("show_syn")]["text"].startswith("fm 3 pitch MIDI ratio")
    assert sim.state[sim.named("show_syp")]["text"] == "60.0 2.0 1.5"
    assert sim.state[sim.named("show_other")]["text"].startswith("/voice/4/synthparams 61.0")
    assert not [m for m in sim.sent if m[0] in ("/synthparams", "/state/synth")]     # shown, never sent back


def camera(w: int, h: int) -> np.ndarray:
    """A test picture: brighter to the right, a dark bar across the top quarter (RGB floats)."""
    img = np.tile(np.linspace(0.1, 0.9, w), (h, 1))
    img[: h // 4] *= 0.2
    return np.repeat(img[:, :, None], 3, axis=2)


@pytest.mark.parametrize("aspect", ["64 48", "64 36", "64 64"])
def test_frames_sends_the_chosen_aspect_inverted_on_request(aspect: str, limits: Limits) -> None:
    sim = Sim(load(MAX_DIR / "isudt_frames.maxpat"), camera=camera)
    sim.load()
    w, h = (int(v) for v in aspect.split())
    (button,) = [i for i, b in sim.boxes.items() if b["maxclass"] == "message" and b["text"] == aspect]
    sim.deliver(button, 0, ["bang"])
    sim.click("on", 1)
    sim.tick("metro")
    frame = sim.sent[-1]
    assert frame[:3] == ["/frame/list", w, h] and len(frame) == 3 + w * h
    validate(frame[0], frame[1:], limits)
    img = np.array(frame[3:]).reshape(h, w)                    # row-major, as the daemon reads it
    assert np.all(np.diff(img[-1]) > 0) and img[0].mean() < 0.5 * img[-1].mean()   # the picture, upright
    sim.click("invert", 1)
    sim.tick("metro")
    assert np.allclose(np.array(sim.sent[-1][3:]).reshape(h, w), 1.0 - img)
    sim.click("movie")                                         # the movie player goes the same way
    sim.tick("metro")
    assert sim.sent[-1][:3] == ["/frame/list", w, h] and len(sim.sent[-1]) == 3 + w * h


def test_frames_opens_at_4_3_and_says_why_it_sends_lists() -> None:
    sim = Sim(load(MAX_DIR / "isudt_frames.maxpat"), camera=camera)
    sim.load()
    sim.click("on", 1)
    sim.tick("metro")
    assert sim.sent[-1][:3] == ["/frame/list", 64, 48]
    readme = (MAX_DIR / "README.md").read_text()
    assert "blob" in readme and "invert" in readme


# --- what the patches receive ---------------------------------------------------------

def _routes_after_udpreceive(patcher: dict) -> list[dict]:
    """Every [route] on OSC addresses that what arrives at [udpreceive] can reach (through s / r too)."""
    g = Graph(patcher)
    reached: set[str] = set()
    for start in g.find("udpreceive"):
        reached |= g.downstream(start)
    return [g.boxes[i] for i in sorted(reached) if box_class(g.boxes[i])[0] == "route"
            and all(a.startswith("/") for a in box_class(g.boxes[i])[1])]


def _replies(d: Any, requests: list[tuple[str, tuple]]) -> dict[str, list[Any]]:
    """What a subscribed client of daemon `d` receives for `requests` (and in the 2.5 s after: a /heartbeat)."""
    c = d.client()
    c.send("/subscribe", c.port)
    replies: dict[str, list[Any]] = {"/subscribed": c.wait_for("/subscribed")}
    for address, args in requests:
        c.send(address, *args)
    deadline = time.monotonic() + 2.5          # long enough for a /heartbeat (every second)
    while time.monotonic() < deadline:
        m = c.recv(0.2)
        if m is not None:
            replies.setdefault(m[0], m[1])
    return replies


def test_routed_reply_addresses_are_what_the_daemon_sends(daemon_factory: Any) -> None:
    """A subscribed client asks for everything the patches route on, from a sine and an FM daemon; every routed
    address must arrive from one of them."""
    from isudt.daemon.bundle import resolve_bundle
    voices = PATCH_VOICES
    common = [("/status", ()), ("/image/sine", (60.0, -12.0)), ("/no/such/address", ()), ("/state", ())] \
        + [(f"/voice/{n}/off", ()) for n in range(voices)] + [("/off", ())]
    sine = _replies(daemon_factory({"synth": {"voices": voices}}),
                    [("/pictslider", (40, 80)), ("/latent/image", (0.0, 0.0))]
                    + [(f"/voice/{n}/pictslider", (8 * n, 40)) for n in range(voices)] + common)
    fm = _replies(daemon_factory({"synth": {"voices": voices}, "bundle": {"path": str(resolve_bundle(FM_BUNDLE))}},
                                 ready_timeout=20.0),
                  [("/latent/sound", (0.0, 0.0, 0.0))]
                  + [(f"/voice/{n}/latent/sound", (0.1 * n, 0.0, 0.0)) for n in range(voices)] + common)
    replies = {**fm, **sine}
    assert "/sineparams" in sine and "/synthparams" in fm and "/sineparams" not in fm, (sorted(sine), sorted(fm))
    assert sine["/state/latent"] == [2, 2] and fm["/state/latent"] == [3, 3]
    assert fm["/state/synth"][:2] == ["fm", 3] and sine["/state/synth"][:2] == ["sine", 2]
    assert len(fm["/synthparams"]) == 3
    for path in PATCHES:
        routes = _routes_after_udpreceive(load(path))
        if OWN_PORTS[path.name] is None:
            assert not routes
            continue
        assert routes, path.name
        for r in routes:
            for address in box_class(r)[1]:
                assert address in replies, f"{path.name} routes {address}, which the daemon never sends"
    assert len(replies["/sineparams"]) == 2   # the patches unpack pitch and dB
    state = replies["/state"]                  # gain_db glide_ms muted listening model_id
    assert len(state) == 5 and isinstance(state[4], str), state


# --- the way back: listening and the heard square ----------------------------------------

LISTENING = ["isudt_control.maxpat", "isudt_listen_adc.maxpat"]


@pytest.mark.parametrize("name", LISTENING)
def test_listen_toggle_sends_image_listen_and_shows_the_daemons_flag(name: str) -> None:
    """The toggle sends /image/listen 0|1 and is set (never sent on) from /state's 4th field, `listening`."""
    patcher = load(MAX_DIR / name)
    g, interp = Graph(patcher), Interpreter(patcher)
    toggle = g.named("listen")
    assert g.boxes[toggle]["maxclass"] == "toggle"
    (udpsend,) = g.find("udpsend")
    assert udpsend in g.downstream(toggle)
    assert sorted(m for m in interp.inputs(udpsend, 0) if m[0] == "/image/listen") == [["/image/listen", 0],
                                                                                      ["/image/listen", 1]]
    assert all(g.text(f) == "prepend set" for f in g.feeders(toggle))
    route, state = g.route_with("/state")
    (unpack,) = [i for i in g.downstream(route, state) if box_class(g.boxes[i])[0] == "unpack"]
    assert [o for o, b, _ in g.out[unpack] if toggle in g.downstream(b)] == [3]


@pytest.mark.parametrize("name", LISTENING)
def test_heard_square_is_shown(name: str) -> None:
    """/square x y reaches a display with `set`; in the control it also redraws the glow (the jit.gen's px, py)."""
    g = Graph(load(MAX_DIR / name))
    route, sq = g.route_with("/square")
    after = g.downstream(route, sq)
    shown = g.named("show_square")
    assert shown in after and all(g.text(f) == "prepend set" for f in g.feeders(shown))
    (udpsend,) = g.find("udpsend")
    assert udpsend not in after, "a heard square must not be played back (/pictslider): no feedback loop"
    if name == "isudt_control.maxpat":
        (gen,) = g.find("jit.gen")
        assert gen in after and g.named("xy") not in after


def test_listen_adc_feeds_adc_to_the_output_the_daemon_hears() -> None:
    """adc~ -> gain -> dac~ (the loopback the daemon's --input reads), metered; the README says how."""
    g = Graph(load(MAX_DIR / "isudt_listen_adc.maxpat"))
    (adc,) = g.find("adc~")
    (dac,) = g.find("dac~")
    assert dac in g.downstream(adc) and g.named("meter") in g.downstream(adc)
    assert "--input" in (MAX_DIR / "README.md").read_text()


# --- the image the control patch draws --------------------------------------------------

def _glow_code() -> str:
    patcher = load(MAX_DIR / "isudt_control.maxpat")
    for _, _, b in walk(patcher):
        if b["maxclass"] == "codebox":
            return b["code"]
    raise AssertionError("no codebox in isudt_control.maxpat")


def run_genexpr(code: str, params: dict[str, float], size: int) -> np.ndarray:
    """Evaluate the small GenExpr subset the patch uses, per cell, with numpy (cell.x = column)."""
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    env: dict[str, Any] = {"np": np, "cell_x": cols, "cell_y": rows, "in1": 0.0,
                           "sqrt": np.sqrt, "pow": np.power, "max": np.maximum, "min": np.minimum,
                           "clamp": np.clip, "abs": np.abs}
    env.update(params)
    code = re.sub(r"//[^\n]*", "", code)
    for stmt in code.split(";"):
        stmt = stmt.strip()
        if not stmt:
            continue
        if stmt.startswith("Param "):
            name = stmt.split()[1].split("(")[0]
            assert name in params, f"Param {name} is not set by the test"
            continue
        stmt = stmt.replace("cell.x", "cell_x").replace("cell.y", "cell_y")
        target, expr = (s.strip() for s in stmt.split("=", 1))
        assert re.fullmatch(r"[A-Za-z_]\w*", target), stmt
        env[target] = eval(expr, env)  # noqa: S307 - our own patch's code, a numeric subset
    return np.broadcast_to(np.asarray(env["out1"], np.float64), (size, size))


@pytest.mark.parametrize("xy", [(0, 0), (40, 80), (125, 125), (62, 3), (125, 0)])
def test_drawn_image_is_the_image_the_model_sees(xy: tuple[int, int]) -> None:
    x, y = xy
    drawn = run_genexpr(_glow_code(), {"px": float(x), "py": float(y)}, DEFAULT_SPEC.size)
    model = render_square(x, y)
    assert np.max(np.abs(drawn - model)) < 1e-5


def test_the_glow_check_can_fail() -> None:
    """A wrong exponent is caught by the comparison above."""
    wrong = _glow_code().replace("0.1", "0.2")
    drawn = run_genexpr(wrong, {"px": 40.0, "py": 80.0}, DEFAULT_SPEC.size)
    assert np.max(np.abs(drawn - render_square(40, 80))) > 1e-2


# --- pictures ---------------------------------------------------------------------------

def test_every_patch_has_a_picture_and_can_be_redrawn(tmp_path: Path) -> None:
    """Max pictures are drawings from the files; Pd pictures are real GUI screenshots (make patch-pictures)."""
    patches = max_patches(ROOT)
    assert {p.name for p in patches} == EXPECTED
    for p in patches:
        assert (ROOT / "docs" / "patches" / picture_name(p)).is_file(), f"run python tests/support/patch_drawing.py ({p.name})"
    for p in sorted((ROOT / "pd").glob("*.pd")):
        stem = p.stem.replace("~", "_tilde")
        assert (ROOT / "docs" / "patches" / f"pd_{stem}.png").is_file(), f"run make patch-pictures ({p.name})"
    with pytest.raises(ValueError):
        picture_name(ROOT / "pd" / "isudt_control.pd")     # the drawing code never writes a Pd picture
    png = draw(read_maxpat(MAX_DIR / "isudt_control.maxpat"), tmp_path / "max_isudt_control.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
