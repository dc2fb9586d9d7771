"""Draw Max (.maxpat) and Pure Data (.pd) patch layouts as PNG pictures, from the files alone.

Max cannot run here and Pd runs without a GUI, so the README's pictures of
the patches are drawn from what the files say: every box at its saved
position with its text, every patch cord from its outlet to its inlet. The
pictures are regenerated from the files (never edited by hand), so they
cannot drift from the patches:

    python tests/support/patch_drawing.py            # max/*.maxpat, pd/*.pd -> docs/patches/*.png
    python tests/support/patch_drawing.py OUT_DIR FILE...

The parsers here are deliberately small and also serve the structural tests
(tests/test_max_patches.py, tests/test_pd.py): `read_maxpat` and `read_pd`
return the same `Layout` of boxes and cords for both tools.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

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


# --- Max ----------------------------------------------------------------------

_MAX_UI_KINDS = {"message": "msg", "comment": "comment", "number": "atom", "flonum": "atom"}


def read_maxpat(path: Path) -> Layout:
    """The top-level patcher of a .maxpat (embedded gen/sub patchers are drawn as their box)."""
    data = json.loads(Path(path).read_text())
    patcher = data["patcher"]
    boxes: dict[str, Box] = {}
    for entry in patcher["boxes"]:
        b = entry["box"]
        cls = b["maxclass"]
        x, y, w, h = (float(v) for v in b["patching_rect"])
        if cls == "newobj":
            kind, label = "obj", b.get("text", "")
        elif cls in _MAX_UI_KINDS:
            kind, label = _MAX_UI_KINDS[cls], b.get("text", "")
            if kind == "comment":
                b = dict(b, numinlets=0, numoutlets=0)
                label = "\n".join(_wrap(label, max(8, int(w / 6.6))))
        else:
            kind, label = "gui", cls
        outtypes = b.get("outlettype", [])
        sig = {i for i, t in enumerate(outtypes) if t in ("signal", "multichannelsignal")}
        boxes[b["id"]] = Box(b["id"], kind, label, x, y, w, h, int(b.get("numinlets", 0)),
                             int(b.get("numoutlets", 0)), sig)
    cords = []
    for entry in patcher.get("lines", []):
        line = entry["patchline"]
        (src, o), (dst, i) = line["source"], line["destination"]
        cords.append(Cord(src, int(o), dst, int(i)))
    return Layout(Path(path).name, boxes, cords)


# --- Pure Data ----------------------------------------------------------------

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


def read_layout(path: Path) -> Layout:
    path = Path(path)
    return read_maxpat(path) if path.suffix == ".maxpat" else read_pd(path)


# --- drawing ------------------------------------------------------------------

_FACE = {"obj": "#f4f4f4", "msg": "#dde8f6", "comment": "none", "gui": "#d9d9d9", "atom": "#fff6d5"}


def _port_x(box: Box, index: int, count: int) -> float:
    if count <= 1:
        return box.x + 4
    return box.x + 4 + (box.w - 8) * index / (count - 1)


def draw(layout: Layout, out: Path, title: str | None = None) -> Path:
    """Render one layout to a PNG (y grows downward, as in both editors)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch, Rectangle

    bs = list(layout.boxes.values())
    x0 = min(b.x for b in bs) - 20
    y0 = min(b.y for b in bs) - 30
    x1 = max(b.x + b.w for b in bs) + 20
    y1 = max(b.y + b.h for b in bs) + 20
    scale = 1 / 90  # inches per patch pixel
    fig = plt.figure(figsize=(max(4.0, (x1 - x0) * scale), max(3.0, (y1 - y0) * scale)), dpi=110)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y1, y0)
    ax.axis("off")
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor="white", edgecolor="none", zorder=0))
    ax.text(x0 + 8, y0 + 16, title or layout.name, fontsize=9, color="#555555", fontweight="bold", va="center")
    for b in bs:
        face = _FACE[b.kind]
        if b.kind == "msg":
            patch = FancyBboxPatch((b.x, b.y), b.w, b.h, boxstyle="round,pad=0,rounding_size=5",
                                   facecolor=face, edgecolor="#4a6d99", linewidth=0.8, zorder=2)
        elif b.kind == "comment":
            patch = None
        else:
            patch = Rectangle((b.x, b.y), b.w, b.h, facecolor=face,
                              edgecolor="#333333" if b.kind != "gui" else "#777777", linewidth=0.8, zorder=2)
        if patch is not None:
            ax.add_patch(patch)
        color = "#666666" if b.kind == "comment" else "black"
        style = "italic" if b.kind == "comment" else "normal"
        va, ty = ("top", b.y + 3) if b.kind == "comment" or b.h > 30 else ("center", b.y + b.h / 2)
        ax.text(b.x + 4, ty, b.label.replace("$", r"\$"), fontsize=6.5, family="monospace", color=color, style=style,
                va=va, ha="left", zorder=4, clip_on=True)
        for i in range(b.inlets):
            ax.add_patch(Rectangle((_port_x(b, i, b.inlets) - 3, b.y), 7, 2.5, color="#333333", zorder=3))
        for o in range(b.outlets):
            ax.add_patch(Rectangle((_port_x(b, o, b.outlets) - 3, b.y + b.h - 2.5), 7, 2.5, color="#333333", zorder=3))
    for c in layout.cords:
        s, d = layout.boxes.get(c.source), layout.boxes.get(c.dest)
        if s is None or d is None:
            continue
        sx, sy = _port_x(s, c.outlet, max(s.outlets, c.outlet + 1)) + 0.5, s.y + s.h
        dx, dy = _port_x(d, c.inlet, max(d.inlets, c.inlet + 1)) + 0.5, d.y
        signal = c.outlet in s.signal_outlets
        ax.plot([sx, dx], [sy, dy], color="#2c5d8a" if signal else "#555555",
                linewidth=1.6 if signal else 0.7, zorder=1, solid_capstyle="round")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110, facecolor="white")
    plt.close(fig)
    return out


def bundled_patches(root: Path = ROOT) -> list[Path]:
    """Every patch the project ships: max/*.maxpat and pd/*.pd."""
    return sorted((root / "max").glob("*.maxpat")) + sorted((root / "pd").glob("*.pd"))


def picture_name(path: Path) -> str:
    """docs/patches/<tool>_<name>.png (Max and Pd patches share names, e.g. isudt_control)."""
    tool = "max" if path.suffix == ".maxpat" else "pd"
    stem = path.stem.replace("~", "_tilde")
    return f"{tool}_{stem}.png"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out_dir = Path(argv[0]) if argv else ROOT / "docs" / "patches"
    files = [Path(a) for a in argv[1:]] or bundled_patches()
    for f in files:
        png = draw(read_layout(f), out_dir / picture_name(f), f"{f.parent.name}/{f.name}")
        print(png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
