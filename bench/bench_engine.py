"""The C audio engine's own cost per block: sine voices against FM voices, offline (no audio device).

    python bench/bench_engine.py                 # 16 voices, 4,000 blocks of 128 frames per case (~10 s)
    python bench/bench_engine.py --voices 64 --blocks 2000

Each case renders 128-frame blocks at 48 kHz through the engine's PortAudio
callback (`Engine.render` calls `isudt_pa_callback`, as the null clock does),
so the durations are the engine's own `clock_gettime` around the callback
(`Engine.callback_us`): no device, no scheduler wake-up, no Python inside the
measured span. The cases:

- sine steady / FM steady: every voice sounding at rest (nothing glides);
- sine gliding / FM gliding: every voice gets new targets every 8 blocks with
  a 50 ms glide, so pitch (and the FM ratio and index) glide all the time:
  the per-sample exp2 and alias guard paths, the worst case.

Target (the FM issue): p50 under 5 % of the 2,667 us block with 16 FM voices.
Prints a table and writes JSON to bench/results/engine-<time>-<host>.json.
The load average is recorded next to the figures: on a busy machine they are
an upper bound.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, write_results  # noqa: E402
from isudt.daemon.engine import Engine, SynthConfig  # noqa: E402

SR = 48000
BLOCK = 128
BLOCK_US = BLOCK / SR * 1e6
TARGET_P50 = 0.05          # of the block, 16 FM voices
WARMUP = 200               # blocks rendered before timing (fades done, caches warm)
GLIDE_MS = 50.0
CHANGE_EVERY = 8           # blocks between new targets in the gliding cases


def set_targets(eng: Engine, kind: str, voices: int, step: int) -> None:
    """Every voice's targets for this step: spread over the models' ranges (daemon/synths.py), moving with step."""
    for v in range(voices):
        pitch = 38.0 + (7 * v + 5 * step) % 48
        if kind == "fm":
            ratio = 0.1 * 100.0 ** (((3 * v + step) % 17) / 16)      # 0.1 .. 10, log spaced
            index = 0.1 * 100.0 ** (((5 * v + 2 * step) % 13) / 12)  # 0.1 .. 10, log spaced
            eng.set_voice_fm(v, pitch, ratio, index, -24.0)
        else:
            eng.set_voice(v, pitch, -24.0 - (v + step) % 6)


def run_case(kind: str, gliding: bool, voices: int, blocks: int) -> dict:
    eng = Engine(SynthConfig(samplerate=SR, voices=voices, glide_ms=GLIDE_MS, max_block=BLOCK))
    try:
        out = np.zeros((BLOCK, 2), np.float32)
        set_targets(eng, kind, voices, 0)
        for _ in range(WARMUP):
            eng.render(out)
        wall = np.zeros(blocks)
        for b in range(blocks):
            if gliding and b % CHANGE_EVERY == 0:
                set_targets(eng, kind, voices, 1 + b // CHANGE_EVERY)
            t0 = time.perf_counter()
            eng.render(out)
            wall[b] = time.perf_counter() - t0
        us = eng.callback_us()[:blocks].astype(np.float64)
        st = eng.stats()
    finally:
        eng.close()
    p50, p99 = float(np.percentile(us, 50)), float(np.percentile(us, 99))
    return {"kind": kind, "gliding": gliding, "voices": voices, "blocks": len(us), "active_voices": st.active_voices,
            "p50_us": p50, "p99_us": p99, "max_us": float(us.max()), "mean_us": float(us.mean()),
            "p50_pct_block": 100 * p50 / BLOCK_US, "p99_pct_block": 100 * p99 / BLOCK_US,
            "python_call_p50_us": float(np.percentile(wall, 50) * 1e6)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--voices", type=int, default=16)
    ap.add_argument("--blocks", type=int, default=4000, help="timed blocks per case (at most 4096, the timing ring)")
    ap.add_argument("--out", help="JSON path (default bench/results/engine-<time>-<host>.json)")
    args = ap.parse_args(argv)
    blocks = min(args.blocks, 4096)
    info = machine()
    if info["loadavg_at_start"][0] > 0.5 * (info["cores"] or 1):
        print(f"NOTE: load average {info['loadavg_at_start'][0]:.2f} on {info['cores']} cores: the machine is busy, "
              "the figures are an upper bound", file=sys.stderr)
    cases = [run_case(kind, gliding, args.voices, blocks) for kind in ("sine", "fm") for gliding in (False, True)]
    load_end = os.getloadavg()
    fm_steady = next(c for c in cases if c["kind"] == "fm" and not c["gliding"])
    fm_glide = next(c for c in cases if c["kind"] == "fm" and c["gliding"])
    met = max(fm_steady["p50_pct_block"], fm_glide["p50_pct_block"]) < 100 * TARGET_P50
    print(f"\nEngine callback, {args.voices} voices, {BLOCK} frames at {SR} Hz (block {BLOCK_US:.0f} us), "
          f"{blocks} blocks per case, offline; load average {info['loadavg_at_start'][0]:.2f} -> {load_end[0]:.2f} "
          f"on {info['cores']} cores\n")
    print("| voices | p50 us | p99 us | max us | p50 % of block | p99 % of block | python call p50 us |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for c in cases:
        name = f"{c['voices']} {c['kind'].replace('fm', 'FM')} {'gliding' if c['gliding'] else 'steady'}"
        print(f"| {name} | {c['p50_us']:.1f} | {c['p99_us']:.1f} | {c['max_us']:.0f} | {c['p50_pct_block']:.2f} % | "
              f"{c['p99_pct_block']:.2f} % | {c['python_call_p50_us']:.1f} |")
    print(f"\ntarget: p50 < {100 * TARGET_P50:.0f} % of the block with {args.voices} FM voices: "
          f"{'met' if met else 'MISSED'}")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    write_results({"when": stamp, "machine": info, "loadavg_at_end": load_end, "samplerate": SR, "block": BLOCK,
                   "block_us": BLOCK_US, "glide_ms": GLIDE_MS, "change_every_blocks": CHANGE_EVERY,
                   "target_p50_pct_block": 100 * TARGET_P50, "target_met": met, "cases": cases},
                  args.out, f"engine-{stamp}-{info['host']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
