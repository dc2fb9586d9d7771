"""Read Pure Data (.pd) files: records, box texts, and the top-level layout (boxes and cords).

Used by the structural tests (tests/test_pd.py) and by the drawing of Max
patches (tests/support/patch_drawing.py shares the Box / Cord / Layout types).
Where Pd really draws each box is measured in the real Pd GUI instead
(tests/support/pd_gui.py); the sizes here are estimates, good enough to
count inlets and outlets and to check that cords join existing boxes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# Pd's default font (size 12) is about 7 pixels per character; good enough to place cords.
PD_CHAR_W = 7.0
PD_BOX_H = 20.0


@dataclass
class Box:
    """One box as drawn: position, size, label and its inlet/outlet counts."""

    ident: str
    kind: str                   # "obj", "msg", "comment", "gui", "atom"
    label: str
    x: float
    y: float
    w: float
    h: float
    inlets: int
    outlets: int
    signal_outlets: set[int] = field(default_factory=set)


@dataclass
class Cord:
    source: str
    outlet: int
    dest: str
    inlet: int


@dataclass
class Layout:
    """A patch's top level: boxes by id, cords, and where it came from."""

    name: str
    boxes: dict[str, Box]
    cords: list[Cord]


# IEM GUIs: drawn at the size their creation arguments give.
_PD_IEM = {"hsl", "vsl", "tgl", "bng", "hradio", "vradio", "nbx", "cnv", "vu"}


def pd_records(text: str) -> list[list[str]]:
    """Split a .pd file into records (lists of atoms), honouring `\\;` and `\\,` escapes."""
    records = []
    for raw in re.split(r"(?<!\\);\s*\n", text.strip() + "\n"):
        raw = raw.strip()
        if raw:
            records.append(re.split(r"(?<!\\)\s+", raw.replace("\n", " ")))
    return records


def pd_unescape(atoms: list[str]) -> str:
    """Atoms back to the text Pd shows in a box (`\\,` -> `,`, `\\$1` -> `$1`)."""
    s = " ".join(atoms)
    s = re.sub(r" \\([,;])", r"\1", s)   # Pd shows "a \\, b" as "a, b"
    return re.sub(r"\\(.)", r"\1", s)


def _strip_width(atoms: list[str]) -> tuple[list[str], int | None]:
    """Pd stores a box width (in characters) as a trailing, unescaped `, f N`."""
    if len(atoms) >= 2 and atoms[-2] == "f" and atoms[-1].isdigit():
        rest = atoms[:-2]
        if rest and rest[-1] == ",":
            return rest[:-1], int(atoms[-1])
        if rest and rest[-1].endswith(",") and not rest[-1].endswith("\\,"):
            return rest[:-1] + [rest[-1][:-1]], int(atoms[-1])
    return atoms, None


def read_pd(path: Path) -> Layout:
    """The top-level canvas of a .pd file; subpatches count as one box (as in Pd's numbering)."""
    records = pd_records(Path(path).read_text())
    boxes: dict[str, Box] = {}
    cords: list[Cord] = []
    depth = 0
    index = 0
    max_in: dict[str, int] = {}
    max_out: dict[str, int] = {}
    for rec in records:
        head = rec[:2]
        if head == ["#N", "canvas"]:
            depth += 1
            continue
        if rec[0] != "#X":
            continue
        what = rec[1]
        if depth > 1:
            if what == "restore":
                depth -= 1
                x, y = float(rec[2]), float(rec[3])
                label = pd_unescape(rec[4:])
                boxes[str(index)] = Box(str(index), "obj", label, x, y, max(40.0, PD_CHAR_W * len(label) + 6), PD_BOX_H, 0, 0)
                index += 1
            continue
        if what == "connect":
            src, o, dst, i = rec[2], int(rec[3]), rec[4], int(rec[5])
            cords.append(Cord(src, o, dst, i))
            max_out[src] = max(max_out.get(src, 0), o + 1)
            max_in[dst] = max(max_in.get(dst, 0), i + 1)
            continue
        if what not in ("obj", "msg", "text", "floatatom", "symbolatom", "listbox"):
            continue  # coords, array data, declare ...
        x, y = float(rec[2]), float(rec[3])
        atoms, width = _strip_width(rec[4:])
        ident = str(index)
        index += 1
        if what == "text":
            label = pd_unescape(atoms)
            chars = width or 60
            lines = _wrap(label, chars)
            boxes[ident] = Box(ident, "comment", "\n".join(lines), x, y, PD_CHAR_W * min(chars, max(len(l) for l in lines)) + 4,
                               PD_BOX_H * len(lines), 0, 0)
            continue
        if what in ("floatatom", "symbolatom", "listbox"):
            chars = int(atoms[0]) if atoms and atoms[0].lstrip("-").isdigit() else 5
            boxes[ident] = Box(ident, "atom", "", x, y, PD_CHAR_W * max(chars, 2) + 6, PD_BOX_H, 1, 1)
            continue
        name = atoms[0] if atoms else ""
        if what == "obj" and name in _PD_IEM:
            w, h, label = _iem_geometry(name, atoms)
            boxes[ident] = Box(ident, "gui", label, x, y, w, h, 1, 1)
            continue
        label = pd_unescape(atoms)
        chars = width or max(3, len(label))
        lines = _wrap(label, chars) if width else [label]
        kind = "msg" if what == "msg" else "obj"
        sig = {0} if name.endswith("~") else set()
        boxes[ident] = Box(ident, kind, "\n".join(lines), x, y, PD_CHAR_W * max(3, max(len(l) for l in lines)) + 8,
                           PD_BOX_H * len(lines), 0, 0, sig)
    for ident, b in boxes.items():
        if b.kind in ("obj", "msg"):
            b.inlets = max(max_in.get(ident, 0), 1)
            b.outlets = max(max_out.get(ident, 0), 1 if b.kind == "msg" else 0)
        if b.kind == "obj" and b.label.split(" ")[0].endswith("~"):
            b.signal_outlets = set(range(b.outlets))
    return Layout(Path(path).name, boxes, cords)


def _iem_geometry(name: str, atoms: list[str]) -> tuple[float, float, str]:
    """Size and label of an IEM GUI from its creation arguments."""
    def num(i: int, default: float) -> float:
        try:
            return float(atoms[i])
        except (IndexError, ValueError):
            return default
    if name == "hsl":
        return num(1, 128), num(2, 15), _iem_label(atoms, 9, "hslider")
    if name == "vsl":
        return num(1, 15), num(2, 128), _iem_label(atoms, 9, "vslider")
    if name in ("hradio", "vradio"):
        size, n = num(1, 15), num(4, 8)
        w, h = (size * n, size) if name == "hradio" else (size, size * n)
        return w, h, _iem_label(atoms, 7, name)
    if name == "tgl":
        return num(1, 15), num(1, 15), _iem_label(atoms, 5, "toggle")
    if name == "bng":
        return num(1, 15), num(1, 15), _iem_label(atoms, 7, "bang")
    return 40.0, 20.0, name


def _iem_label(atoms: list[str], i: int, default: str) -> str:
    label = atoms[i] if len(atoms) > i else "empty"
    return default if label == "empty" else label


def _wrap(text: str, chars: int) -> list[str]:
    out: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split(" "):
            if line and len(line) + 1 + len(word) > chars:
                out.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        out.append(line)
    return out or [""]


wrap_text = _wrap
