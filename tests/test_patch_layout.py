"""Layouts a performer can read: no box over another, nothing off the window, no cord through a box.

Why: a patch can load without a single error and still hide a live /error
under a slider. The Pd checks use Pd's own geometry: each patch is opened in
the real Pd 0.53 GUI under Xvfb and a GUI plugin reports the bbox of every
canvas item (tests/support/pd_gui.py). Max cannot run here, so the Max check
uses each box's saved `patching_rect`, widened to the text it must show
(Max's default font, about 7 px a character at 12 pt).
"""
from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path
from typing import Iterator

import pytest

from support.pd_gui import (Drawn, boxes_outside_window, cords_through_boxes, gui_available, open_in_gui,
                            overlapping_boxes, xvfb)
from support.require import require

ROOT = Path(__file__).resolve().parents[1]
PD_PATCHES = sorted((ROOT / "pd").glob("*.pd"))
MAX_PATCHES = sorted((ROOT / "max").glob("*.maxpat"))
MAX_CHAR_W = 7.0       # Arial 12 in Max: a generous average width per character
MAX_LINE_H = 15.0


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    require(gui_available(), "ISUDT_REQUIRE_PDGUI")
    with xvfb() as d:
        yield d


@pytest.fixture(scope="module")
def drawn(display: str) -> dict[str, Drawn]:
    """Every bundled Pd patch, opened once in the GUI (about 2 s each)."""
    return {p.name: open_in_gui(p, display) for p in PD_PATCHES}


@pytest.mark.parametrize("name", [p.name for p in PD_PATCHES])
def test_pd_patch_has_no_overlapping_boxes(drawn: dict[str, Drawn], name: str) -> None:
    d = drawn[name]
    assert len(d.boxes) >= 5, d.boxes
    assert not overlapping_boxes(d), "\n".join(overlapping_boxes(d))


@pytest.mark.parametrize("name", [p.name for p in PD_PATCHES])
def test_pd_patch_fits_its_window(drawn: dict[str, Drawn], name: str) -> None:
    assert not boxes_outside_window(drawn[name]), boxes_outside_window(drawn[name])


@pytest.mark.parametrize("name", [p.name for p in PD_PATCHES])
def test_pd_cords_do_not_cross_displays(drawn: dict[str, Drawn], name: str) -> None:
    found = cords_through_boxes(drawn[name])
    assert not found, "\n".join(found)


def test_the_overlap_check_can_fail(display: str, tmp_path: Path) -> None:
    """A comment placed under a slider, and a cord through a box, are both caught."""
    bad = tmp_path / "bad.pd"
    bad.write_text("#N canvas 0 50 400 300 12;\n#X text 20 20 a comment under the slider;\n"
                   "#X obj 20 22 hsl 128 15 0 127 0 0 empty empty empty -2 -8 0 10 -262144 -1 -1 0 1;\n"
                   "#X obj 20 100 f;\n#X obj 20 140 + 1;\n#X obj 20 180 print;\n#X connect 2 0 4 0;\n")
    d = open_in_gui(bad, display)
    assert overlapping_boxes(d)
    crossed = cords_through_boxes(d, kinds=("obj",))
    assert any("[+ 1]" in m for m in crossed), crossed


# --- Max --------------------------------------------------------------------------

def max_box_rect(box: dict) -> tuple[float, float, float, float]:
    """The saved rect, widened/heightened to fit its text (Max grows a box that is too small)."""
    x, y, w, h = (float(v) for v in box["patching_rect"])
    text = box.get("text", "") if box["maxclass"] in ("newobj", "message", "comment") else ""
    if text:
        if box["maxclass"] == "comment":
            lines = max(1, int(round(h / MAX_LINE_H)))      # comments wrap at their width
            need_h = MAX_LINE_H * max(lines, len(text) * MAX_CHAR_W / max(w, 1.0) + 0.5)
            h = max(h, need_h)
        else:
            w = max(w, len(text) * MAX_CHAR_W * 0.9 + 10)
    return x, y, x + w, y + h


def max_overlaps(path: Path) -> list[str]:
    boxes = [e["box"] for e in json.loads(path.read_text())["patcher"]["boxes"]]
    found = []
    for a, b in combinations(boxes, 2):
        ra, rb = max_box_rect(a), max_box_rect(b)
        if ra[0] < rb[2] and rb[0] < ra[2] and ra[1] < rb[3] and rb[1] < ra[3]:
            found.append(f"{a.get('text', a['maxclass'])!r} {ra} overlaps {b.get('text', b['maxclass'])!r} {rb}")
    return found


@pytest.mark.parametrize("path", MAX_PATCHES, ids=lambda p: p.name)
def test_max_patch_has_no_overlapping_boxes(path: Path) -> None:
    found = max_overlaps(path)
    assert not found, "\n".join(found)


# What a performer reads or clicks: a cord drawn across one of these hides it.
MAX_DISPLAYS = {"comment", "message", "number", "flonum", "toggle", "button", "pictslider", "jit.pwindow",
                "meter~", "levelmeter~", "ezdac~", "slider", "dial", "umenu", "live.gain~", "multislider"}


def max_port_x(box: dict, index: int, count: int) -> float:
    """Where Max draws inlet/outlet `index` of `count`: spread from the left to the right edge."""
    x, _, w, _ = (float(v) for v in box["patching_rect"])
    if count <= 1:
        return x + 4.0
    return x + 4.0 + (w - 8.0) * index / (count - 1)


def _segment_hits_rect(p0: tuple[float, float], p1: tuple[float, float],
                       rect: tuple[float, float, float, float]) -> bool:
    """Liang-Barsky: does the segment p0-p1 pass through the open rectangle (x0, y0, x1, y1)?"""
    (x0, y0), (x1, y1) = p0, p1
    dx, dy = x1 - x0, y1 - y0
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, x0 - rect[0]), (dx, rect[2] - x0), (-dy, y0 - rect[1]), (dy, rect[3] - y0)):
        if p == 0:
            if q <= 0:
                return False
            continue
        t = q / p
        if p < 0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
        if lo >= hi:
            return False
    return True


def max_cords_through_boxes(path: Path, kinds: set[str] | None = MAX_DISPLAYS) -> list[str]:
    """Cords (straight, as Max draws them by default) that pass through a box other than their own two.

    `kinds`: the box classes that count (default: displays); None: every box.
    """
    patcher = json.loads(path.read_text())["patcher"]
    boxes = {e["box"]["id"]: e["box"] for e in patcher["boxes"]}
    found = []
    for e in patcher["lines"]:
        (src, o), (dst, i) = e["patchline"]["source"], e["patchline"]["destination"]
        s, d = boxes[src], boxes[dst]
        p0 = (max_port_x(s, o, s["numoutlets"]), s["patching_rect"][1] + s["patching_rect"][3])
        p1 = (max_port_x(d, i, d["numinlets"]), d["patching_rect"][1])
        for ident, b in boxes.items():
            if ident in (src, dst) or (kinds is not None and b["maxclass"] not in kinds):
                continue
            x0, y0, x1, y1 = max_box_rect(b)
            if _segment_hits_rect(p0, p1, (x0 + 1, y0 + 1, x1 - 1, y1 - 1)):
                found.append(f"cord {s.get('text', s['maxclass'])!r} -> {d.get('text', d['maxclass'])!r} "
                             f"crosses {b.get('text', b['maxclass'])!r} {b['patching_rect']}")
    return found


@pytest.mark.parametrize("path", MAX_PATCHES, ids=lambda p: p.name)
def test_max_cords_do_not_cross_displays(path: Path) -> None:
    found = max_cords_through_boxes(path)
    assert not found, "\n".join(found)


def test_the_max_cord_check_can_fail(tmp_path: Path) -> None:
    """A cord from a box above a number box to one below it is caught; one beside it is not."""
    def box(ident: str, cls: str, rect: list[float], text: str = "") -> dict:
        b = {"id": ident, "maxclass": cls, "patching_rect": rect, "numinlets": 1, "numoutlets": 1}
        return {"box": dict(b, text=text) if text else b}
    lines = [{"patchline": {"source": ["a", 0], "destination": ["c", 0]}}]
    bad = tmp_path / "bad.maxpat"
    bad.write_text(json.dumps({"patcher": {"boxes": [
        box("a", "newobj", [20, 20, 60, 22], "r x"), box("b", "number", [10, 60, 50, 22]),
        box("c", "newobj", [20, 120, 60, 22], "s y")], "lines": lines}}))
    assert len(max_cords_through_boxes(bad)) == 1
    good = tmp_path / "good.maxpat"
    good.write_text(json.dumps({"patcher": {"boxes": [
        box("a", "newobj", [20, 20, 60, 22], "r x"), box("b", "number", [100, 60, 50, 22]),
        box("c", "newobj", [20, 120, 60, 22], "s y")], "lines": lines}}))
    assert not max_cords_through_boxes(good)


def test_the_max_overlap_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.maxpat"
    bad.write_text(json.dumps({"patcher": {"boxes": [
        {"box": {"id": "a", "maxclass": "comment", "text": "a long comment that runs under the next box",
                 "patching_rect": [20, 20, 100, 20]}},
        {"box": {"id": "b", "maxclass": "newobj", "text": "udpsend 127.0.0.1 12342",
                 "patching_rect": [20, 45, 150, 22]}}]}}))
    assert max_overlaps(bad)
