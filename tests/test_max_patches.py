"""The Max patches (max/*.maxpat), checked structurally: Max cannot run here.

What is checked, and why each check can fail:
- every file is Max 8 patcher JSON; every box's class is a real Max / MSP /
  Jitter object from an explicit allow-list below (an invented or misspelled
  name fails), and where the allow-list knows an object's inlet and outlet
  counts, the box declares those counts (a cord drawn to an inlet that the
  real object does not have fails);
- every patch cord joins existing boxes at existing inlets and outlets;
- `udpsend` / `udpreceive` use the daemon's configured default ports (read
  from `isudt.daemon.config`);
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
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pytest

from isudt.daemon.config import OscConfig, SynthSection
from isudt.daemon.messages import Limits, Refused, validate
from isudt.daemon.square import DEFAULT_SPEC, render_square
from support.daemon import daemon_factory  # noqa: F401  (fixture)
from support.patch_drawing import bundled_patches, draw, picture_name, read_layout

ROOT = Path(__file__).resolve().parents[1]
MAX_DIR = ROOT / "max"
PATCHES = sorted(MAX_DIR.glob("*.maxpat"))
EXPECTED = {"isudt_control.maxpat", "isudt_max_synth.maxpat", "isudt_frames.maxpat"}

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
    "loadbang": (1, 1), "loadmess": (1, 1), "print": (1, 0), "gate": _gate, "s": (1, 0), "send": (1, 0),
    "r": (0, 1), "receive": (0, 1), "int": (2, 1), "i": (2, 1), "float": (2, 1), "f": (2, 1),
    "change": None, "zl": None, "join": None, "regexp": None, "fromsymbol": None, "tosymbol": None,
    "line": None, "scale": None, "clip": None, "counter": None, "delay": (2, 1), "deferlow": (1, 1),
    "mtof": (1, 1), "ftom": (1, 1), "dbtoa": (1, 1), "atodb": (1, 1), "+": (2, 1), "-": (2, 1),
    "*": (2, 1), "/": (2, 1),
    # MSP
    "line~": (2, 2), "cycle~": (2, 1), "*~": (2, 1), "+~": (2, 1), "dac~": _dac, "clip~": None,
    "sig~": (1, 1),
    # Jitter
    "jit.gen": _jit_gen, "jit.matrix": (1, 2), "jit.grab": (1, 2), "jit.movie": (1, 2), "jit.rgb2luma": (1, 2),
    "jit.spill": (1, 2), "jit.iter": None, "jit.scissors": None, "jit.expr": None, "jit.op": None,
    "jit.qt.grab": None, "jit.dimmap": None,
}
# Box classes that are not `newobj` (user-interface objects, message and comment boxes).
MAX_UI: dict[str, tuple[int, int] | None] = {
    "message": (2, 1), "comment": (1, 0), "number": (1, 2), "flonum": (1, 2), "toggle": (1, 1),
    "button": (1, 1), "pictslider": (2, 2), "jit.pwindow": (1, 2), "ezdac~": (2, 0), "umenu": (1, 3),
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

def test_the_three_patches_and_their_readme_exist() -> None:
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


@pytest.mark.parametrize("path", PATCHES, ids=lambda p: p.name)
def test_ports_are_the_daemons_defaults(path: Path) -> None:
    osc = OscConfig()
    sends = recvs = 0
    for _, _, b in walk(load(path)):
        cls, args = box_class(b)
        if cls == "udpsend":
            sends += 1
            assert args == [osc.host, str(osc.port)], b["text"]
        if cls == "udpreceive":
            recvs += 1
            assert args == [str(osc.reply_port)], b["text"]
    assert sends == 1
    assert recvs == (0 if path.name == "isudt_frames.maxpat" else 1)


# --- what the patches send ------------------------------------------------------------

def _atom(token: str) -> Any:
    try:
        return int(token)
    except ValueError:
        try:
            return float(token)
        except ValueError:
            return token


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
        if cls in ("button", "loadbang", "metro", "qmetro"):
            return [["bang"]]
        if cls == "message":
            if "$" in b.get("text", ""):
                raise AssertionError(f"$-arguments in message boxes are not modelled: {b['text']}")
            if not self.into.get((ident, 0)):
                return []
            return [[_atom(t) for t in m.split()] for m in b.get("text", "").split(",") if m.strip()]
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
            keys = [_atom(a) for a in args]
            ins = self.inputs(ident, 0)
            if outlet < len(keys):
                return [["bang"]] if any(m and m[0] == keys[outlet] for m in ins) else []
            return [m for m in ins if not (m and m[0] in keys)]
        if cls in ("pak", "pack"):
            defaults = [_atom(a) for a in args]
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
                text = re.sub(r"%l?[dioxXucsfeEgG]", lambda _: str(m[0]), fmt, count=1)
                out.append([_atom(t) for t in text.split()])
            return out
        if cls == "prepend":
            ins = self.inputs(ident, 0)
            prefixes = [[_atom(a) for a in args]] + [m[1:] for m in ins if m and m[0] == "set"]
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


@pytest.mark.parametrize("path", PATCHES, ids=lambda p: p.name)
def test_every_sent_message_is_accepted_by_the_daemon(path: Path, limits: Limits) -> None:
    patcher = load(path)
    interp = Interpreter(patcher)
    sent: list[tuple[str, list[Any]]] = []
    for ident, b in interp.boxes.items():
        if box_class(b)[0] == "udpsend":
            for m in interp.inputs(ident, 0):
                assert m and isinstance(m[0], str) and m[0].startswith("/"), f"not an OSC message: {m[:8]}"
                sent.append((m[0], m[1:]))
    for address, args in sent:
        try:
            validate(address, args, limits)
        except Refused as e:
            raise AssertionError(f"{path.name} can send {address} {args[:6]}... which the daemon refuses: "
                                 f"{e.reason}") from None
    addresses = {a for a, _ in sent}
    last = f"/voice/{SynthSection().voices - 1}"
    expected = {
        "isudt_control.maxpat": {"/pictslider", f"{last}/pictslider", "/latent/sound", f"{last}/latent/sound",
                                 "/gain", "/glide", "/mute", "/status"},
        "isudt_max_synth.maxpat": {"/mute"},
        "isudt_frames.maxpat": {"/frame/list"},
    }[path.name]
    assert addresses == expected
    if path.name == "isudt_control.maxpat":   # the slider reaches both corners of the square's range
        corners = {tuple(a) for addr, a in sent if addr == "/pictslider"}
        assert corners == {(0, 0), (DEFAULT_SPEC.positions - 1, DEFAULT_SPEC.positions - 1)}
    if path.name == "isudt_frames.maxpat":
        (frame,) = {len(a) for addr, a in sent}
        assert frame == 2 + 64 * 64


def test_synth_mutes_the_daemon_on_load() -> None:
    patcher = load(MAX_DIR / "isudt_max_synth.maxpat")
    interp = Interpreter(patcher)
    loadbangs = {i for i, b in interp.boxes.items() if box_class(b)[0] == "loadbang"}
    (send,) = [i for i, b in interp.boxes.items() if box_class(b)[0] == "udpsend"]
    mute_boxes = [src for src, _ in interp.into[(send, 0)] if interp.boxes[src].get("text") == "/mute 1"]
    assert mute_boxes and any(src in loadbangs for m in mute_boxes for src, _ in interp.into.get((m, 0), []))


# --- what the patches receive ---------------------------------------------------------

def _routes_after_udpreceive(patcher: dict) -> list[dict]:
    boxes = {e["box"]["id"]: e["box"] for e in patcher["boxes"]}
    out_edges: dict[str, list[str]] = {}
    for e in patcher["lines"]:
        out_edges.setdefault(e["patchline"]["source"][0], []).append(e["patchline"]["destination"][0])
    start = [i for i, b in boxes.items() if box_class(b)[0] == "udpreceive"]
    seen, todo, routes = set(start), list(start), []
    while todo:
        ident = todo.pop()
        cls, args = box_class(boxes[ident])
        nxt = list(out_edges.get(ident, []))
        if cls in ("s", "send"):
            nxt += [i for i, b in boxes.items() if box_class(b)[0] in ("r", "receive") and box_class(b)[1] == args]
        for n in nxt:
            if box_class(boxes[n])[0] == "route":
                routes.append(boxes[n])
            elif n not in seen:
                seen.add(n)
                todo.append(n)
    return routes


def test_routed_reply_addresses_are_what_the_daemon_sends(daemon_factory: Any) -> None:  # noqa: F811
    d = daemon_factory()
    c = d.client()
    for address, args in [("/pictslider", (40, 80)), ("/latent/image", (0.0, 0.0)), ("/status", ()),
                          ("/no/such/address", ())]:
        c.send(address, *args)
    replies: dict[str, list[Any]] = {}
    for address, args in c.drain(0.5):
        replies.setdefault(address, args)
    assert "/sineparams" in replies, replies
    for path in PATCHES:
        routes = _routes_after_udpreceive(load(path))
        if path.name == "isudt_frames.maxpat":
            assert not routes
            continue
        assert routes, path.name
        for r in routes:
            for address in box_class(r)[1]:
                assert address in replies, f"{path.name} routes {address}, which the daemon never sends"
    assert len(replies["/sineparams"]) == 2   # the patches unpack pitch and dB


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
    patches = bundled_patches(ROOT)
    assert len(patches) >= len(EXPECTED) + 2
    for p in patches:
        assert (ROOT / "docs" / "patches" / picture_name(p)).is_file(), f"run python tests/support/patch_drawing.py ({p.name})"
    for p in (MAX_DIR / "isudt_control.maxpat", ROOT / "pd" / "isudt_control.pd"):
        png = draw(read_layout(p), tmp_path / picture_name(p))
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
