"""Draw Max (.maxpat) patch layouts as PNG *drawings*, from the files alone.

Max cannot run on the machines that build this project, so the README's
pictures of the Max patches are drawings made from what the files say: every
box at its saved position with its text, every cord from outlet to inlet,
labelled "drawing" in the picture. They show layout and cords, not Max's
look. The Pd pictures are real screenshots of the Pd GUI
(`make patch-pictures`, tests/support/pd_gui.py); this script never writes
them:

    python tests/support/patch_drawing.py            # max/*.maxpat -> docs/patches/max_*.png
    python tests/support/patch_drawing.py OUT_DIR FILE.maxpat...
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

try:
    from support.pd_file import Box, Cord, Layout, wrap_text as _wrap
except ImportError:          # run as a script: tests/support is on sys.path
    from pd_file import Box, Cord, Layout, wrap_text as _wrap

ROOT = Path(__file__).resolve().parents[2]


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


def max_patches(root: Path = ROOT) -> list[Path]:
    """Every Max patch the project ships (the only ones drawn here)."""
    return sorted((root / "max").glob("*.maxpat"))


def picture_name(path: Path) -> str:
    """docs/patches/max_<name>.png, `~` spelled `_tilde` as the Pd pictures do (pd_<name>.png, by pd_gui.py)."""
    if path.suffix != ".maxpat":
        raise ValueError(f"only Max patches are drawn; Pd pictures are real screenshots: {path}")
    return f"max_{path.stem.replace('~', '_tilde')}.png"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out_dir = Path(argv[0]) if argv else ROOT / "docs" / "patches"
    files = [Path(a) for a in argv[1:]] or max_patches()
    for f in files:
        png = draw(read_maxpat(f), out_dir / picture_name(f),
                   f"{f.parent.name}/{f.name} (a drawing from the file, not a screenshot of Max)")
        print(png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
