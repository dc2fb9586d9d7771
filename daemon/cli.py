"""`isudt`: the one command-line entry point.

This module only parses arguments; each subcommand lives in its own module,
imported when it runs, so `isudt send` starts fast and `isudt serve` never
imports torch (only train/export/eval load `isudt.models`).
"""
from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> module whose `main(args) -> int` runs it
COMMANDS = {
    "serve": "isudt.daemon.server",
    "config": "isudt.daemon.config",
    "send": "isudt.daemon.send",
    "devices": "isudt.daemon.audio_out",
    "render": "isudt.daemon.render_image",   # isudt render, and render --to-image (the way back)
    "service": "isudt.daemon.service",
    "train": "isudt.models.cli_train",
    "export": "isudt.models.cli_export",
    "eval": "isudt.models.cli_eval",
    "bundles": "isudt.daemon.bundle",
}


def bundle_arg(value: str) -> str:
    """`--bundle NAME|DIR`: a shipped bundle's name becomes its folder; a directory passes as given."""
    from .bundle import BundleError, resolve_bundle

    try:
        return str(resolve_bundle(value))
    except BundleError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="isudt", description="Image sonification daemon (CMMR 2025 system, rebuilt).")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("serve", help="run the daemon: OSC in, ONNX pipeline, audio out")
    s.add_argument("--config", help="YAML config file (defaults: `isudt config --print-default`)")
    s.add_argument("--host", help="OSC listen address (default 127.0.0.1)")
    s.add_argument("--port", type=int, help="OSC listen port (default 12342)")
    s.add_argument("--reply", metavar="HOST:PORT", help="where replies go (default 127.0.0.1:12341)")
    s.add_argument("--reply-to-sender", action="store_true", default=None, help="also reply to each sender")
    s.add_argument("--device", help="audio output device name or index, 'auto' or 'null'")
    s.add_argument("--input", help="audio input device name or index for listening (default: none)")
    s.add_argument("--blocksize", type=int, help="audio block size in frames (default 128)")
    s.add_argument("--samplerate", type=int, help="audio sample rate (default 48000)")
    s.add_argument("--bundle", type=bundle_arg, metavar="NAME|DIR",
                   help="a shipped bundle's name (`isudt bundles`) or a bundle directory (default: square-sine)")
    s.add_argument("--providers", help="onnxruntime providers: auto, cpu, cuda")
    s.add_argument("--log-level", help="debug, info, warning, error")
    s.add_argument("--web", type=int, metavar="PORT", help="serve the live web page on this port (default 12380)")
    s.add_argument("--no-web", action="store_true", default=None, help="no web page")

    c = sub.add_parser("config", help="show the default configuration")
    c.add_argument("--print-default", action="store_true", help="print the default YAML config")
    c.add_argument("--check", metavar="FILE", help="validate a config file and exit")

    se = sub.add_parser("send", help="send one OSC message to a running daemon and print replies")
    se.add_argument("address", help="OSC address, e.g. /pictslider")
    se.add_argument("args", nargs="*", help="arguments (ints, floats or strings)")
    se.add_argument("--host", default="127.0.0.1")
    se.add_argument("--port", type=int, default=12342)
    se.add_argument("--wait", type=float, default=1.0, help="seconds to wait for replies (0: none)")
    se.add_argument("--listen", type=int, metavar="PORT",
                    help="receive replies on this port (e.g. 12341 when the daemon does not reply to senders)")
    se.add_argument("--blob", metavar="FILE", help="append this file's bytes as a blob argument (e.g. /frame)")

    sub.add_parser("devices", help="list audio devices (outputs and inputs)")

    sub.add_parser("bundles", help="list the shipped model bundles: name, model id, image world, synth")

    r = sub.add_parser("render", help="render inputs to a WAV file offline, through the live pipeline "
                                      "(--to-image: a sound file to pictures, the way back)")
    r.add_argument("input", help="a folder of images, a CSV of positions/latents, or a recorded OSC session; "
                                 "with --to-image: any sound file libsndfile reads (WAV, FLAC, OGG, MP3, ...)")
    r.add_argument("output", help="output WAV path; with --to-image: OUT.gif (+ OUT.csv) or a folder (PNG frames "
                                  "+ positions.csv)")
    r.add_argument("--fps", type=float, default=20.0, help="input steps per second (CSV without a time column, "
                                                           "images); with --to-image: analyses per second")
    r.add_argument("--to-image", action="store_true",
                   help="the way back: hear INPUT as the live listener does and write the pictures and positions")
    r.add_argument("--picture", choices=["decoded", "square"], default="decoded",
                   help="--to-image frames: the image decoder's picture (default) or the square at the position")
    r.add_argument("--scale", type=int, default=1, help="--to-image: enlarge the frames N times (nearest)")
    r.add_argument("--silence-db", type=float,
                   help="--to-image: below this level (dB re a full-scale sine) a frame is silent "
                        "(default: the config's listen.silence_db, -60)")
    r.add_argument("--samplerate", type=int, help="Hz (default: the config's audio.samplerate, 48000)")
    r.add_argument("--voices", type=int, help="synth voices (default: the config's synth.voices, 8)")
    r.add_argument("--channels", type=int, help="output channels (default: the config's audio.channels, 2)")
    r.add_argument("--blocksize", type=int, help="synth block in frames (default: the config's audio.blocksize, 128)")
    r.add_argument("--format", choices=["pcm16", "pcm24", "float32"], default="pcm16", help="WAV sample format")
    r.add_argument("--tail", type=float, help="seconds to hold after the last step (default: one step, 1/fps)")
    r.add_argument("--config", help="YAML config (glide, gain, limiter, fade, bundle)")
    r.add_argument("--bundle", type=bundle_arg, metavar="NAME|DIR",
                   help="a shipped bundle's name or a bundle directory (default: the config's, else square-sine)")
    r.add_argument("--providers", default="cpu", help="onnxruntime providers (default cpu: reproducible)")
    r.add_argument("--params", metavar="CSV", help="also write each step's predicted (time, voice, pitch, dB)")
    r.add_argument("--quiet", action="store_true", help="no progress bars")

    sv = sub.add_parser("service", help="install the systemd unit and a default config")
    sv.add_argument("action", choices=["install"])
    scope = sv.add_mutually_exclusive_group()
    scope.add_argument("--user", dest="scope", action="store_const", const="user")
    scope.add_argument("--system", dest="scope", action="store_const", const="system")
    sv.add_argument("--prefix", default="", help="write under this root instead of / (for packaging and tests)")
    sv.add_argument("--exec", dest="exec_path", metavar="PATH",
                    help="absolute path of the isudt script for ExecStart= (default: the one next to this Python)")
    sv.set_defaults(scope="user")

    add_train_arguments(sub.add_parser("train", help="train one stage (torch)"))

    e = sub.add_parser("export", help="write the ONNX bundle from the trained checkpoints (torch)")
    e.add_argument("--runs", default="runs")
    e.add_argument("--out", help="bundle folder (default: exported/square-sine, a world's exported/<name>)")
    e.add_argument("--opset", type=int, default=17)
    e.add_argument("--no-eval", action="store_true", help="skip the metrics (they go into the manifest)")
    e.add_argument("--world", "--name", dest="world", help="export a world other than square -> sine (digits-fm or a world YAML) to "
                                   "exported/<name>/ (or --out)")

    ev = sub.add_parser("eval", help="measure a bundle with onnxruntime: metrics.json and PNG plots")
    ev.add_argument("--bundle", type=bundle_arg, default=None, metavar="NAME|DIR",
                    help="a shipped bundle's name or a bundle directory (default: square-sine)")
    ev.add_argument("--out", default="docs/eval", help="where metrics.json and the plots go")
    ev.add_argument("--no-plots", action="store_true")
    return p


# training stages in the order `all` runs them (each needs the runs of those before it)
TRAIN_STAGES = ("image", "sound", "inversion", "mapper", "ear", "reverse")


def add_train_arguments(t: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """`isudt train`'s arguments; `python -m isudt.models.cli_train` takes the same (one definition)."""
    t.add_argument("stage", choices=[*TRAIN_STAGES, "all"])
    t.add_argument("--config", help="YAML overriding the stage defaults")
    t.add_argument("--epochs", type=int, help="epochs (steps for inversion)")
    t.add_argument("--device", default="auto", help="cpu, cuda or auto")
    t.add_argument("--runs", default="runs", help="directory holding one folder per stage")
    t.add_argument("--resume", action="store_true", help="continue from the stage's last checkpoint")
    t.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    w = t.add_argument_group("other worlds", "train a world other than square -> sine (see models/world.py)")
    w.add_argument("--world", help="a shipped world (digits-fm) or a world YAML; implied by --data/--synth")
    w.add_argument("--data", help="image domain: mnist5k, digits or a folder of pictures (square: the default world)")
    w.add_argument("--synth", choices=["sine", "fm"], help="the synth the sound VAE learns")
    return t


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module = importlib.import_module(COMMANDS[args.command])
    try:
        return int(module.main(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
