"""Run the Max patches' message logic and the FM voice's signal chain in Python (Max cannot run here).

Why: a structural check says that the boxes are there and joined; it cannot
say that Max's right-to-left outlet order, its hot and cold inlets, a
`- 1` that truncates floats, or a phase a quarter cycle off are right. This
module follows a patch the way Max does, for the objects the project's
patches use (an object it does not model raises `Unmodelled` when a message
reaches it, so a test notices):

- `flatten(patcher, lib)` inlines the abstractions found in `lib`
  (`isudt_voice~ 10 name -12` -> max/isudt_voice~.maxpat with #1 #2 #3
  replaced, its inlets and outlets joined to the cords of the box), so the
  graph checks and the simulation see one patcher;
- `Sim` passes messages: outlets fire right to left (trigger, unpack), one
  outlet's cords in Max's order (the rightmost destination first), the left
  inlet is hot, numbers follow the argument's type (`- 1` is integer
  arithmetic, `- 1.` float), `[s name]` reaches every `[r name]`;
- `Sim.signal(box)` evaluates the MSP objects of a voice (line~ at its
  target, phasor~, cycle~ with a phase inlet, +~ -~ *~, abs~, ...) as numpy
  arrays over `n` samples at the simulation's sample rate;
- Jitter is modelled as numpy arrays (grey or RGB floats in [0, 1]), enough
  for the frames patch: grab, rgb2luma, a resampling jit.matrix, jit.op,
  jit.spill.
"""
from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path
from typing import Any, Callable

import numpy as np

Msg = list[Any]


class Unmodelled(AssertionError):
    """A message reached an object this simulation does not model."""


def atom(token: str) -> Any:
    try:
        return int(token)
    except ValueError:
        try:
            return float(token)
        except ValueError:
            return token


def box_class(box: dict) -> tuple[str, list[str]]:
    if box["maxclass"] == "newobj":
        words = box.get("text", "").split()
        return (words[0] if words else ""), words[1:]
    return box["maxclass"], []


def load_patcher(path: Path) -> dict:
    return json.loads(Path(path).read_text())["patcher"]


def _substitute(text: str, args: list[str]) -> str:
    """Max's #1 .. #9 in an abstraction: the instance's arguments (0 where there is none)."""
    return re.sub(r"#([1-9])", lambda m: args[int(m.group(1)) - 1] if int(m.group(1)) <= len(args) else "0", text)


def flatten(patcher: dict, lib: Path, prefix: str = "") -> dict:
    """The patcher with every abstraction box (a `lib/<class>.maxpat`) replaced by its contents.

    Inner ids become `<box id>/<inner id>`; the inner inlets and outlets (numbered left to right by their
    position, as Max does) stay as pass-through boxes joined to the box's cords.
    """
    boxes: list[dict] = []
    lines: list[tuple[str, int, str, int]] = []
    inlets: dict[str, list[str]] = {}
    outlets: dict[str, list[str]] = {}
    for entry in patcher["boxes"]:
        b = entry["box"]
        cls, args = box_class(b)
        path = lib / f"{cls}.maxpat"
        if b["maxclass"] == "newobj" and cls and path.is_file():
            inner = copy.deepcopy(load_patcher(path))
            for e in inner["boxes"]:
                ib = e["box"]
                if "text" in ib:
                    ib["text"] = _substitute(ib["text"], args)
            sub = flatten(inner, lib, f"{prefix}{b['id']}/")
            boxes += [e["box"] for e in sub["boxes"]]
            lines += [(e["patchline"]["source"][0], e["patchline"]["source"][1], e["patchline"]["destination"][0],
                       e["patchline"]["destination"][1]) for e in sub["lines"]]
            order = sorted((e["box"] for e in sub["boxes"] if e["box"]["id"].count("/") == prefix.count("/") + 1),
                           key=lambda x: x["patching_rect"][0])
            inlets[b["id"]] = [x["id"] for x in order if x["maxclass"] == "inlet"]
            outlets[b["id"]] = [x["id"] for x in order if x["maxclass"] == "outlet"]
        else:
            nb = dict(b, id=prefix + b["id"])
            boxes.append(nb)
    for entry in patcher["lines"]:
        (src, o), (dst, i) = entry["patchline"]["source"], entry["patchline"]["destination"]
        if src in outlets:
            src, o = outlets[src][o], 0
        else:
            src = prefix + src
        if dst in inlets:
            dst, i = inlets[dst][i], 0
        else:
            dst = prefix + dst
        lines.append((src, o, dst, i))
    out = {k: v for k, v in patcher.items() if k not in ("boxes", "lines")}
    out["boxes"] = [{"box": b} for b in boxes]
    out["lines"] = [{"patchline": {"source": [a, o], "destination": [b, i]}} for a, o, b, i in lines]
    return out


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _resize(img: np.ndarray, h: int, w: int) -> np.ndarray:
    """Bilinear resampling (jit.matrix @interp 1 @adapt 0): any smooth resample will do for these checks."""
    H, W = img.shape[:2]
    ys = np.clip((np.arange(h) + 0.5) * H / h - 0.5, 0, H - 1)
    xs = np.clip((np.arange(w) + 0.5) * W / w - 0.5, 0, W - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, H - 1), np.minimum(x0 + 1, W - 1)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = img[y0][:, x0] * (1 - fx) + img[y0][:, x1] * fx
    bottom = img[y1][:, x0] * (1 - fx) + img[y1][:, x1] * fx
    return top * (1 - fy) + bottom * fy


class Sim:
    """Max's message passing over one (flattened) patcher; see the module docstring."""

    def __init__(self, patcher: dict, sample_rate: float = 48000.0,
                 camera: Callable[[int, int], np.ndarray] | None = None) -> None:
        self.boxes = {e["box"]["id"]: e["box"] for e in patcher["boxes"]}
        self.cords: dict[tuple[str, int], list[tuple[str, int]]] = {}
        self.into: dict[tuple[str, int], list[tuple[str, int]]] = {}
        for e in patcher["lines"]:
            (a, o), (b, i) = e["patchline"]["source"], e["patchline"]["destination"]
            self.cords.setdefault((a, o), []).append((b, i))
            self.into.setdefault((b, i), []).append((a, o))
        for k in self.cords:   # Max: one outlet's cords fire to the rightmost destination first
            self.cords[k].sort(key=lambda d: -self.boxes[d[0]]["patching_rect"][0])
        self.sr = float(sample_rate)
        self.camera = camera or (lambda w, h: np.zeros((h, w, 3)))
        self.state: dict[str, dict[str, Any]] = {i: {} for i in self.boxes}
        self.sent: list[Msg] = []           # what reached [udpsend]
        self.printed: list[Msg] = []
        self.depth = 0

    # --- driving ---------------------------------------------------------------------

    def named(self, varname: str) -> str:
        (ident,) = [i for i, b in self.boxes.items() if b.get("varname") == varname]
        return ident

    def find(self, cls: str, *args: str) -> list[str]:
        return [i for i, b in self.boxes.items()
                if box_class(b)[0] == cls and (not args or box_class(b)[1] == list(args))]

    def load(self) -> None:
        """The patch opens: every loadbang and loadmess fires (left to right, top to bottom)."""
        for ident in sorted(self.boxes, key=lambda i: tuple(self.boxes[i]["patching_rect"][:2])):
            cls, args = self._cls(ident)
            if cls == "loadbang":
                self.emit(ident, 0, ["bang"])
            elif cls == "loadmess":
                self.emit(ident, 0, [atom(a) for a in args])

    def osc_in(self, *msg: Any) -> None:
        """A datagram arrives at [udpreceive]: the address and its arguments as one message."""
        for ident in self.find("udpreceive"):
            self.emit(ident, 0, list(msg))

    def send_name(self, name: str, msg: Msg) -> None:
        """What [s name] would do (a name an abstraction receives its parent's news on)."""
        for ident, b in self.boxes.items():
            cls, args = self._cls(ident)
            if cls in ("r", "receive") and args == [name]:
                self.emit(ident, 0, list(msg))

    def click(self, varname: str, value: Any = "bang") -> None:
        """The performer sets a control (a number box, a toggle, a message box, a button)."""
        self.deliver(self.named(varname), 0, [value] if not isinstance(value, list) else value)

    def tick(self, cls: str) -> None:
        """A clock object (metro) fires once, whatever its interval."""
        for ident in self.find(cls):
            if self.state[ident].get("on"):
                self.emit(ident, 0, ["bang"])

    # --- message passing --------------------------------------------------------------

    def _cls(self, ident: str) -> tuple[str, list[str]]:
        return box_class(self.boxes[ident])

    def emit(self, ident: str, outlet: int, msg: Msg) -> None:
        self.depth += 1
        if self.depth > 500:
            raise AssertionError("stack overflow: a message loop in the patch")
        try:
            for dst, inlet in self.cords.get((ident, outlet), []):
                self.deliver(dst, inlet, msg)
        finally:
            self.depth -= 1

    def deliver(self, ident: str, inlet: int, msg: Msg) -> None:
        b = self.boxes[ident]
        st = self.state[ident]
        cls, sargs = self._cls(ident)
        args = [atom(a) for a in sargs]
        plain = [a for a in args if not (isinstance(a, str) and a.startswith("@"))]
        out = self.emit
        if cls in ("inlet", "outlet"):
            return out(ident, 0, msg)
        if cls in ("comment", "jit.pwindow", "meter~", "ezdac~", "panel", "jit.gen", "closebang", "delay"):
            return
        if cls == "message":
            if msg and msg[0] == "set":
                st["text"] = " ".join(str(a) for a in msg[1:])
                return
            text = st.get("text", b.get("text", ""))
            for part in text.split(","):
                words = part.split()
                if words:
                    out(ident, 0, [atom(w) for w in words])
            return
        if cls in ("number", "flonum"):
            if msg and msg[0] == "set":
                st["value"] = msg[1]
                return
            if msg == ["bang"]:
                return out(ident, 0, [st.get("value", 0)])
            v = float(msg[0])
            if "minimum" in b:
                v = max(v, float(b["minimum"]))
            if "maximum" in b:
                v = min(v, float(b["maximum"]))
            v = int(v) if cls == "number" else v
            st["value"] = v
            return out(ident, 0, [v])
        if cls == "toggle":
            if msg and msg[0] == "set":
                st["value"] = int(msg[1] != 0)
                return
            v = (1 - st.get("value", 0)) if msg == ["bang"] else int(msg[0] != 0)
            st["value"] = v
            return out(ident, 0, [v])
        if cls == "button":
            return out(ident, 0, ["bang"])
        if cls == "udpsend":
            self.sent.append(list(msg))
            return
        if cls == "print":
            self.printed.append(list(msg))
            return
        if cls in ("s", "send"):
            return self.send_name(str(plain[0]), msg)
        if cls in ("loadbang", "loadmess"):
            return out(ident, 0, ["bang"] if cls == "loadbang" else plain)
        if cls == "route":
            if msg and any(msg[0] == a or (_num(msg[0]) and _num(a) and float(msg[0]) == float(a)) for a in plain):
                k = next(k for k, a in enumerate(plain) if msg[0] == a or (_num(msg[0]) and _num(a)
                                                                          and float(msg[0]) == float(a)))
                return out(ident, k, msg[1:] or ["bang"])
            return out(ident, len(plain), msg)
        if cls in ("t", "trigger"):
            for k in reversed(range(len(plain))):
                kind = str(plain[k])
                if kind == "b":
                    out(ident, k, ["bang"])
                elif kind in ("i", "f"):
                    x = msg[0] if msg and _num(msg[0]) else 0
                    out(ident, k, [int(x) if kind == "i" else float(x)])
                elif kind == "l":
                    out(ident, k, msg)
                else:
                    raise Unmodelled(f"[t ... {kind}]")
            return
        if cls == "unpack":
            for k in reversed(range(len(plain))):
                if k < len(msg):
                    v = msg[k]
                    if _num(v):
                        v = float(v) if isinstance(plain[k], float) else int(v)
                    out(ident, k, [v])
            return
        if cls in ("pack", "pak"):
            vals = st.setdefault("vals", list(plain))
            if msg == ["bang"]:
                return out(ident, 0, list(vals))
            items = msg if inlet == 0 else msg[:1]
            for k, v in enumerate(items):
                if inlet + k < len(vals):
                    vals[inlet + k] = float(v) if isinstance(plain[inlet + k], float) else (
                        int(v) if _num(v) else v)
            if inlet == 0 or cls == "pak":
                out(ident, 0, list(vals))
            return
        if cls in ("prepend", "append"):
            pre = st.setdefault("args", list(args))
            if cls == "prepend" and msg and msg[0] == "set":
                st["args"] = list(msg[1:])
                return
            return out(ident, 0, pre + msg if cls == "prepend" else msg + pre)
        if cls in ("mtof", "dbtoa", "atodb"):
            x = float(msg[0])
            v = {"mtof": lambda m: 440.0 * 2.0 ** ((m - 69.0) / 12.0), "dbtoa": lambda d: 10.0 ** (d / 20.0),
                 "atodb": lambda a: 20.0 * math.log10(a)}[cls](x)
            return out(ident, 0, [v])
        if cls in ("+", "-", "*", "/", "!/", "!-", "minimum", "maximum", "==", "f", "float", "i", "int"):
            return self._arith(ident, cls, plain, inlet, msg)
        if cls == "gate":
            if inlet == 0:
                st["open"] = int(msg[0])
                return
            n_open = st.get("open", int(plain[1]) if len(plain) > 1 else 0)
            if n_open > 0:
                out(ident, n_open - 1, msg)
            return
        if cls == "change":
            prev = st.get("prev", plain[0] if plain else 0)
            if msg[0] != prev:
                st["prev"] = msg[0]
                out(ident, 0, [msg[0]])
            return
        if cls in ("sel", "select"):
            for k, a in enumerate(plain):
                if msg and (msg[0] == a or (_num(msg[0]) and _num(a) and float(msg[0]) == float(a))):
                    return out(ident, k, ["bang"])
            return out(ident, len(plain), msg)
        if cls in ("speedlim", "deferlow"):
            if inlet == 0:
                out(ident, 0, msg)
            return
        if cls == "sprintf":
            fmt = " ".join(str(a) for a in sargs)
            vals = iter(msg)
            text = re.sub(r"%l?[dioxXucsfeEgG]", lambda m: str(next(vals)), fmt)
            return out(ident, 0, [atom(w) for w in text.split()])
        if cls == "zl" and plain[:1] == ["iter"]:
            n = int(plain[1])
            for k in range(0, len(msg), n):
                out(ident, 0, msg[k:k + n])
            return
        if cls == "metro":                  # started, it bangs at once (then every interval: `tick`)
            if inlet == 0:
                st["on"] = msg != [0]
                if st["on"]:
                    out(ident, 0, ["bang"])
            return
        if cls == "dspstate~":
            return out(ident, 1, [self.sr])
        if cls in ("line~", "cycle~", "phasor~", "+~", "-~", "*~", "abs~", "sig~", "maximum~", "!/~"):
            if msg and _num(msg[0]):
                st.setdefault("float", {})[inlet] = float(msg[0])
            return
        if cls.startswith("jit."):
            return self._jitter(ident, cls, sargs, inlet, msg)
        raise Unmodelled(f"a message {msg[:6]} reached [{b.get('text', cls)}], which this simulation does not model")

    def _arith(self, ident: str, cls: str, plain: list[Any], inlet: int, msg: Msg) -> None:
        st = self.state[ident]
        is_float = bool(plain) and isinstance(plain[0], float) or cls in ("f", "float")
        conv: Callable[[Any], Any] = float if is_float else (lambda v: int(float(v)))
        if "right" not in st:
            st["right"] = conv(plain[0]) if plain else conv(0)
        if inlet == 1:
            if cls in ("f", "float", "i", "int"):
                st["left"] = conv(msg[0])
            else:
                st["right"] = conv(msg[0])
            return
        if msg != ["bang"]:
            st["left"] = conv(msg[0])
            if len(msg) > 1 and cls not in ("f", "float", "i", "int"):
                st["right"] = conv(msg[1])
        a, b = st.get("left", conv(0)), st["right"]
        if cls in ("f", "float", "i", "int"):
            return self.emit(ident, 0, [a])
        if cls == "+":
            v = a + b
        elif cls == "-":
            v = a - b
        elif cls == "*":
            v = a * b
        elif cls == "/":
            v = (a / b if is_float else int(a / b)) if b else 0
        elif cls == "!/":
            v = (b / a if is_float else int(b / a)) if a else 0
        elif cls == "!-":
            v = b - a
        elif cls == "minimum":
            v = min(a, b)
        elif cls == "maximum":
            v = max(a, b)
        else:   # ==
            return self.emit(ident, 0, [int(a == b)])
        self.emit(ident, 0, [conv(v)])

    def _jitter(self, ident: str, cls: str, sargs: list[str], inlet: int, msg: Msg) -> None:
        st = self.state[ident]
        attrs = {sargs[k][1:]: sargs[k + 1] for k in range(len(sargs) - 1) if sargs[k].startswith("@")}
        plain = [a for a in sargs if not a.startswith("@")]
        if msg and msg[0] in ("dim", "listlength", "open", "close", "read"):
            st[msg[0]] = msg[1:]
            return
        if cls in ("jit.grab", "jit.movie"):
            if msg == ["bang"]:
                w, h = (st.get("dim") or [int(a) for a in plain[:2]] or [320, 240])
                frame = np.asarray(self.camera(int(w), int(h)), np.float64)
                assert frame.shape[:2] == (int(h), int(w)), "the camera delivers the grab's dim"
                self.emit(ident, 0, ["jit_matrix", frame])
            return
        if cls == "jit.matrix" and msg == ["bang"]:     # its stored matrix (here: black)
            w, h = st.get("dim") or [int(plain[2]), int(plain[3])]
            return self.emit(ident, 0, ["jit_matrix", np.zeros((int(h), int(w)))])
        if not (msg and msg[0] == "jit_matrix"):
            raise Unmodelled(f"{cls} got {msg[:4]}")
        m = msg[1]
        if cls == "jit.rgb2luma":
            grey = m @ np.array([0.299, 0.587, 0.114]) if m.ndim == 3 else m
            return self.emit(ident, 0, ["jit_matrix", grey])
        if cls == "jit.matrix":
            w, h = st.get("dim") or [int(plain[2]), int(plain[3])]
            return self.emit(ident, 0, ["jit_matrix", _resize(m, int(h), int(w))])
        if cls == "jit.op":
            assert attrs.get("op") == "!-", "only !- (val - x) is modelled"
            return self.emit(ident, 0, ["jit_matrix", float(attrs["val"]) - m])
        if cls == "jit.spill":
            n = int((st.get("listlength") or [attrs.get("listlength", 2048)])[0])
            return self.emit(ident, 0, [float(v) for v in m.reshape(-1)[:n]])
        raise Unmodelled(cls)

    # --- signals ------------------------------------------------------------------------

    def signal(self, ident: str, n: int) -> np.ndarray:
        """The signal out of `ident` over n samples, every line~ at its target (after its ramp)."""
        b = self.boxes[ident]
        cls, sargs = self._cls(ident)
        args = [atom(a) for a in sargs]
        st = self.state[ident]

        def inlet(k: int, default: float) -> np.ndarray:
            sources = self.into.get((ident, k), [])
            sig = [self.signal(src, n) for src, _ in sources if self._is_signal(src)]
            if sig:
                return np.sum(sig, axis=0)
            return np.full(n, st.get("float", {}).get(k, default))

        if cls in ("inlet", "outlet"):
            return inlet(0, 0.0)
        if cls == "line~":
            return np.full(n, st.get("float", {}).get(0, 0.0))
        if cls in ("phasor~", "cycle~"):
            f = inlet(0, float(args[0]) if args and _num(args[0]) else 0.0)
            phase = np.concatenate([[0.0], np.cumsum(f[:-1])]) / self.sr
            if cls == "phasor~":
                return phase - np.floor(phase)
            return np.cos(2 * np.pi * (phase + inlet(1, 0.0)))
        if cls in ("+~", "-~", "*~", "maximum~", "!/~"):
            a = inlet(0, 0.0)
            c = inlet(1, float(args[0]) if args and _num(args[0]) else 0.0)
            return {"+~": a + c, "-~": a - c, "*~": a * c, "maximum~": np.maximum(a, c),
                    "!/~": c / np.where(a == 0, np.inf, a)}[cls]
        if cls == "abs~":
            return np.abs(inlet(0, 0.0))
        if cls == "receive~":
            return np.sum([self.signal(i, n) for i in self.find("send~", *sargs)], axis=0)
        if cls == "send~":
            return inlet(0, 0.0)
        raise Unmodelled(f"signal of [{b.get('text', cls)}]")

    def _is_signal(self, ident: str) -> bool:
        b = self.boxes[ident]
        if b["maxclass"] in ("inlet", "outlet"):
            return any(self._is_signal(src) for src, _ in self.into.get((ident, 0), []))
        return "signal" in b.get("outlettype", [])
