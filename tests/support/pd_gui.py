"""Open a Pd patch in the real Pd GUI under Xvfb, read back what Pd drew, take a screenshot.

Why: a patch that loads without errors can still be unreadable (a slider over
a comment, a reply box that grows over the next row, cords through number
boxes). Only the GUI knows where Pd really draws each box: box widths come
from the font Tk measured, IEM GUI labels from their offsets. So the tests ask
the GUI itself: `pdgui/isudt_geometry-plugin.tcl` (a Pd GUI plugin, loaded
because its folder is on Pd's `-path`) waits until the patch window has
settled, writes the bbox of every canvas item, then waits for the screenshot
and quits Pd.

    with xvfb() as display:
        drawn = open_in_gui(Path("pd/isudt_control.pd"), display, shot=Path("out.png"))
    assert not overlapping_boxes(drawn)

Every wait is bounded; Pd and Xvfb are stopped on every path out.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_DIR = Path(__file__).resolve().parent / "pdgui"
PD_DIR = ROOT / "pd"

# Pd draws each box's items with a tag that names the box ("<canvas>.t<addr>" plus
# R / oN / iN for its outline, outlets and inlets); IEM GUIs use "<addr>OBJ".
_BOX_TAG = re.compile(r"^(\.x[0-9a-f]+\.t[0-9a-f]+)(?:R|o\d+|i\d+)?$")
_IEM_TAG = re.compile(r"^(0x[0-9a-f]+)OBJ$")
_KINDS = ("obj", "msg", "atom", "text", "label")

Rect = tuple[float, float, float, float]


def gui_available() -> str | None:
    """Why the GUI tests cannot run here, or None when pd, its GUI and Xvfb are installed."""
    for tool in ("pd", "Xvfb", "wish"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: apt-get install puredata-gui xvfb)"
    if not Path("/usr/lib/puredata/tcl/pd-gui.tcl").exists():
        return "the Pd GUI is not installed (Debian: apt-get install puredata-gui)"
    return None


@contextmanager
def xvfb(size: str = "1920x1600x24", timeout: float = 10.0) -> Iterator[str]:
    """A private X server; yields its DISPLAY (":N", chosen by Xvfb itself so parallel runs do not collide)."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", size, "-nolisten", "tcp"],
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        number = _read_display_number(read_fd, proc, timeout)
        yield f":{number}"
    finally:
        os.close(read_fd)
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _read_display_number(fd: int, proc: subprocess.Popen, timeout: float) -> int:
    """Xvfb writes its display number to -displayfd once it accepts clients."""
    import select
    deadline = time.monotonic() + timeout
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or proc.poll() is not None:
            raise RuntimeError(f"Xvfb did not start within {timeout} s (exit {proc.poll()})")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 64)
            if not chunk:
                raise RuntimeError("Xvfb closed -displayfd without a display number")
            data += chunk
    return int(data.strip())


@dataclass
class DrawnBox:
    """One box as the GUI drew it: the union of its items' bboxes, its kind and its text."""

    tag: str
    kind: str
    rect: Rect
    text: str = ""


@dataclass
class Drawn:
    """A patch window as drawn: its canvas size on screen, boxes, and cord polylines."""

    patch: str
    window: Rect                                   # x, y, width, height of the toplevel on the screen
    canvas: Rect                                   # the same for the canvas (below the menu bar)
    boxes: list[DrawnBox] = field(default_factory=list)
    cords: list[list[tuple[float, float]]] = field(default_factory=list)


def parse_geometry(patch: str, text: str) -> Drawn:
    """Group the plugin's item lines into boxes (by Pd's tags) and cords."""
    lines = text.splitlines()
    head = lines[0].split("\t")
    assert head[0] == "window", head
    v = [float(x) for x in head[1:]]
    drawn = Drawn(patch, (v[0], v[1], v[2], v[3]), (v[4], v[5], v[6], v[7]))
    groups: dict[str, DrawnBox] = {}
    for line in lines[1:]:
        _, _, _type, tags, bbox, coords, label = line.split("\t")
        tag_list = tags.split()
        if not bbox:
            continue
        if "cord" in tag_list:
            c = [float(x) for x in coords.split()]
            drawn.cords.append(list(zip(c[0::2], c[1::2])))
            continue
        key = _box_key(tag_list)
        if key is None:
            continue
        x0, y0, x1, y1 = (float(x) for x in bbox.split())
        box = groups.setdefault(key, DrawnBox(key, "", (x0, y0, x1, y1)))
        box.rect = _union(box.rect, (x0, y0, x1, y1))
        box.kind = box.kind or next((k for k in _KINDS if k in tag_list), "")
        if label and "label" not in tag_list:
            box.text = label.replace("\\n", "\n").replace("\\\\", "\\")
    drawn.boxes = list(groups.values())
    return drawn


def _box_key(tags: list[str]) -> str | None:
    for t in tags:
        if (m := _BOX_TAG.match(t)) or (m := _IEM_TAG.match(t)):
            return m.group(1)
    return None


def _union(a: Rect, b: Rect) -> Rect:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def pd_gui_command(patch: Path, extra: list[str] | None = None) -> list[str]:
    """Pd with its GUI, no audio, the test plugin and pd/ on the path; -noloadbang keeps it offline."""
    return ["pd", "-noprefs", "-nosound", "-nomidi", "-noloadbang", "-path", str(PLUGIN_DIR),
            "-path", str(PD_DIR), *(extra or []), "-open", str(patch)]


def open_in_gui(patch: Path, display: str, shot: Path | None = None, timeout: float = 30.0) -> Drawn:
    """Open `patch` in the real Pd GUI on `display`; returns what was drawn, writes a PNG to `shot` if given."""
    with tempfile.TemporaryDirectory(prefix="isudt-pdgui-") as tmp:
        out = Path(tmp) / "geometry.tsv"
        env = dict(os.environ, DISPLAY=display, ISUDT_PDGUI_OUT=str(out))
        proc = subprocess.Popen(pd_gui_command(patch), env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        try:
            _wait_for_file(out, proc, timeout)
            drawn = parse_geometry(patch.name, out.read_text(encoding="utf-8"))
            if shot is not None:
                screenshot(display, drawn.window, shot)
            Path(str(out) + ".done").touch()
            proc.wait(10)
        finally:
            _stop(proc)
    return drawn


def _wait_for_file(path: Path, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise RuntimeError(f"Pd exited ({proc.returncode}) before drawing: {proc.stdout.read() if proc.stdout else ''}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the Pd GUI did not report the patch within {timeout} s")
        time.sleep(0.1)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def screenshot(display: str, window: Rect, out: Path) -> Path:
    """The patch window's pixels from the X server (ImageMagick `import`), cropped to the window."""
    x, y, w, h = (int(v) for v in window)
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["import", "-display", display, "-window", "root", "-crop", f"{w}x{h}+{x}+{y}", "+repage",
                    "-strip", str(out)], check=True, timeout=30, capture_output=True)
    return out


# --- the checks ----------------------------------------------------------------------------

def _inset(r: Rect, by: float) -> Rect:
    return r[0] + by, r[1] + by, r[2] - by, r[3] - by


def _intersects(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def describe(box: DrawnBox) -> str:
    text = " ".join(box.text.split())[:40]
    return f"{box.kind or 'gui'} [{text}] at {tuple(int(v) for v in box.rect)}"


def overlapping_boxes(drawn: Drawn) -> list[str]:
    """Pairs of boxes (objects, messages, numbers, comments, GUIs with their labels) that overlap.

    Tk's bbox adds a pixel of slack on each side, so boxes that merely touch are not counted.
    """
    found = []
    for a, b in combinations(drawn.boxes, 2):
        if _intersects(_inset(a.rect, 1.5), _inset(b.rect, 1.5)):
            found.append(f"{describe(a)} overlaps {describe(b)}")
    return found


def boxes_outside_window(drawn: Drawn) -> list[str]:
    """Boxes that do not fit in the window as the patch opens (a reader would have to scroll)."""
    _, _, w, h = drawn.canvas
    return [describe(b) for b in drawn.boxes if b.rect[2] > w + 1 or b.rect[3] > h + 1 or min(b.rect[:2]) < -1]


DISPLAYS = ("atom", "msg", "text", "")     # numbers, message boxes, comments, IEM GUIs (kind "")


def cords_through_boxes(drawn: Drawn, kinds: tuple[str, ...] = DISPLAYS) -> list[str]:
    """Cords that pass over a display (or any box of `kinds`) other than the two they join: the cord hides it."""
    found = []
    for cord in drawn.cords:
        start, end = cord[0], cord[-1]
        for box in drawn.boxes:
            if box.kind not in kinds:
                continue
            if _near(start, box.rect) or _near(end, box.rect):
                continue
            inner = _inset(box.rect, 2.0)
            if any(_segment_hits(p, q, inner) for p, q in zip(cord, cord[1:])):
                found.append(f"cord {tuple(int(v) for v in start)} -> {tuple(int(v) for v in end)} "
                             f"crosses {describe(box)}")
    return found


def _near(p: tuple[float, float], r: Rect, slack: float = 4.0) -> bool:
    return r[0] - slack <= p[0] <= r[2] + slack and r[1] - slack <= p[1] <= r[3] + slack


def _segment_hits(p: tuple[float, float], q: tuple[float, float], r: Rect) -> bool:
    """Whether segment p-q meets rectangle r (Liang-Barsky clipping)."""
    (x0, y0), (x1, y1) = p, q
    dx, dy = x1 - x0, y1 - y0
    lo, hi = 0.0, 1.0
    for step, dist in ((-dx, x0 - r[0]), (dx, r[2] - x0), (-dy, y0 - r[1]), (dy, r[3] - y0)):
        if step == 0:
            if dist < 0:
                return False
            continue
        t = dist / step
        if step < 0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
        if lo > hi:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    """`make patch-pictures`: a real screenshot of every pd/*.pd window into docs/patches/pd_*.png."""
    import sys
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else ROOT / "docs" / "patches"
    reason = gui_available()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    with xvfb() as display:
        for patch in sorted(PD_DIR.glob("*.pd")):
            shot = out_dir / f"pd_{patch.stem.replace('~', '_tilde')}.png"
            open_in_gui(patch, display, shot=shot)
            print(shot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
