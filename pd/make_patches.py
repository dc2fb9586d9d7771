"""Writes the Pd patches in pd/ (python pd/make_patches.py [OUT_DIR]).

Why a generator: a patch a performer can read needs a layout that is
computed, not hand-placed: every box at a position chosen in one place,
displays kept clear of cords, rows spaced for Pd's real font. Editing the
.pd files in Pd and saving would be fine too, but then edit this file the
same way: tests/test_pd.py checks that every committed pd/*.pd is exactly
what this script writes, and tests/test_patch_layout.py opens each one in
the real Pd GUI and fails on overlapping boxes and cords through displays.

Boxes are named; `Patch.c(a, outlet, b, inlet)` draws a cord between names.
Text uses Pd's file escapes: `\\\\,` `\\\\;` `\\\\$0` in these strings.
"""
from __future__ import annotations

import sys
from pathlib import Path

PD_DIR = Path(__file__).resolve().parent

CONTROL_PORT = 12351      # where isudt_control.pd listens and subscribes
SYNTH_PORT = 12352        # where isudt_synth.pd listens and subscribes
SEE_PORT = 12353          # where isudt_see.pd listens and subscribes
FIELD = (40, 150)         # isudt_see.pd: top-left of the square's field; 2 px per position


VOICES = 16                # isudt_synth.pd plays /voice/0 .. /voice/15 (the daemon's default synth.voices)
ROW = 8                    # ... in rows of 8
LATENT_SLIDERS = 3         # isudt_control.pd: z0 z1 z2; it sends the first N, N from the daemon's /state/latent
LATENT_PAD = 8             # ... padded with zeros up to this many values (a bundle of 4..8 sound dims still plays)


class Patch:
    """A top-level Pd canvas built box by box (by name), written as a .pd file."""

    def __init__(self, w: int, h: int, font: int = 12) -> None:
        self.head = f"#N canvas 0 50 {w} {h} {font};"
        self.items: list[str] = []
        self.index: dict[str, int] = {}
        self.cons: list[tuple[str, int, str, int]] = []
        self.dy = 0                   # added to every y >= 100 (moves the body below a taller header)

    def add(self, name: str, kind: str, x: int, y: int, text: str) -> str:
        if y >= 100:
            y += self.dy
        assert name not in self.index, name
        self.index[name] = len(self.items)
        self.items.append(f"#X {kind} {x} {y} {text};")
        return name

    def obj(self, name: str, x: int, y: int, text: str) -> str:
        return self.add(name, "obj", x, y, text)

    def msg(self, name: str, x: int, y: int, text: str) -> str:
        return self.add(name, "msg", x, y, text)

    def text(self, name: str, x: int, y: int, text: str) -> str:
        return self.add(name, "text", x, y, text)

    def atom(self, name: str, x: int, y: int, text: str) -> str:
        return self.add(name, "floatatom", x, y, text)

    def satom(self, name: str, x: int, y: int, text: str) -> str:
        return self.add(name, "symbolatom", x, y, text)

    def c(self, a: str, o: int, b: str, i: int) -> None:
        self.cons.append((a, o, b, i))

    def chain(self, *names: str) -> None:
        for a, b in zip(names, names[1:]):
            self.c(a, 0, b, 0)

    def render(self) -> str:
        lines = [self.head, *self.items]
        lines += [f"#X connect {self.index[a]} {o} {self.index[b]} {i};" for a, o, b, i in self.cons]
        return "\n".join(lines) + "\n"

def synth() -> Patch:
    """isudt_synth.pd"""
    p = Patch(1160, 1320)
    p.text("doc", 20, 10, "isudt synth (Pure Data vanilla 0.51+) -- Pd plays the daemon's 16 voices from its replies: a sine bundle's /sineparams pitch dB (as the published Max patch did) \\, an FM bundle's /synthparams pitch ratio index (and their /voice/N/ forms) \\, each voice the synth the daemon's /state/synth names. It stops a voice on /voice/N/off \\, all on /off. Listens on port 12352 and subscribes there \\, so it runs beside isudt_control.pd. In synth mode it sends /mute 1 on every /subscribed: the daemon stays silent \\, even after a restart., f 140")
    # top row: DSP and indicators
    p.add("dsp", "obj", 20, 90, "tgl 30 0 empty empty DSP 36 15 0 16 -262144 -1 -1 0 1")
    p.msg("dspmsg", 20, 140, "\\; pd dsp \\$1")
    p.text("cdsp", 110, 97, "<- DSP on: hear it, f 18")
    p.add("conn", "obj", 420, 90, "tgl 15 0 empty \\$0-connected connected 20 7 0 12 -262144 -1 -1 0 1")
    p.add("muted", "obj", 620, 90, "tgl 15 0 empty \\$0-muted daemon_muted 20 7 0 12 -262144 -1 -1 0 1")
    p.text("cconn", 420, 120, "a /heartbeat within 2 s, f 24")
    p.text("cmuted", 620, 120, "as the daemon says (/state), f 28")
    # receive
    p.obj("recv", 20, 190, "isudt_receive 12352")
    p.obj("prep0", 20, 240, "list prepend 0")
    p.obj("svoice0", 20, 270, "s \\$0-voice")
    p.obj("svoice1", 180, 240, "s \\$0-voice")
    p.obj("sub", 180, 290, "isudt_subscribe 12352")
    p.msg("mute1", 180, 330, "/mute 1")
    p.obj("send", 180, 370, "isudt_send")
    p.text("cmute", 20, 330, "on every /subscribed:, f 12")
    p.msg("setconn", 620, 320, "set \\$1")
    p.obj("sconn", 620, 350, "s \\$0-connected")
    p.obj("pubconn", 780, 320, "s isudt-synth-connected")
    p.obj("other", 280, 330, "route voice off state synthparams")
    p.obj("svoice2", 280, 420, "s \\$0-voice")
    p.msg("alloff", 360, 400, " \\, ".join(f"{n} off" for n in range(VOICES)) + ", f 30")
    p.obj("svoice3", 360, 520, "s \\$0-voice")
    p.obj("state", 600, 390, "route voice synth latent")
    p.obj("sunpack", 600, 440, "unpack f f")
    p.obj("seq0", 660, 470, "== 0")
    p.obj("sspigot", 600, 500, "spigot")
    p.obj("sapp", 600, 530, "list append off")
    p.obj("svoice4", 600, 560, "s \\$0-voice")
    p.obj("gunpack", 860, 420, "unpack f f f")
    p.obj("mtf", 940, 450, "t f f")
    p.msg("setmuted", 1000, 480, "set \\$1")
    p.obj("smuted", 1000, 510, "s \\$0-muted")
    p.obj("spub", 940, 540, "s isudt-synth-muted")
    p.obj("kind", 700, 420, "route sine fm")
    p.msg("k1", 700, 450, "1")
    p.msg("k2", 740, 450, "2")
    p.msg("k0", 780, 450, "0")
    p.obj("skind", 700, 480, "s \\$0-kind")
    p.text("ckind", 600, 600, "/state/synth: the voices play a sine (1) or FM (2) \\, 0: a kind Pd cannot play, f 30")
    p.obj("sprep", 20, 420, "list prepend 0 synthparams")
    p.obj("svoice5", 20, 450, "s \\$0-voice")
    p.text("cstate", 300, 560, "a voice the daemon reports stopped (/state/voice N 0 ...) stops here too, f 32")
    # audio: the voices in rows of ROW, each row with its own [r $0-voice] -> [route ...] above it and two buses
    # below it (sound on the left, amplitudes on the right: [throw~], summed by the [catch~]es of the output stage),
    # so every cord stays beside its row
    rows = (VOICES + ROW - 1) // ROW
    for r in range(rows):
        y = 600 + 190 * r
        first = r * ROW
        p.obj(f"rvoice{r}", 20, y, "r \\$0-voice")
        p.obj(f"vroute{r}", 20, y + 30, "route " + " ".join(str(n) for n in range(first, min(first + ROW, VOICES))))
        for i in range(first, min(first + ROW, VOICES)):
            p.obj(f"v{i}", 20 + 140 * (i - first), y + 80, "isudt_voice~ 10 \\$0")
        p.obj(f"tsound{r}", 20, y + 145, "throw~ \\$0-sound")
        p.obj(f"tamp{r}", 20 + 140 * (ROW - 1), y + 145, "throw~ \\$0-amp")
    Y = 600 + 190 * rows          # the output stage
    p.obj("csound", 20, Y, "catch~ \\$0-sound")
    p.obj("camp", 500, Y, "catch~ \\$0-amp")
    p.text("cbus", 160, Y, "every row's voices summed \\, and (right) their amplitudes, f 28")
    p.obj("limit", 500, Y + 40, "expr~ \\$v2 * 0.89125 / max(\\$v1 \\, 0.89125)")
    p.text("climit", 480, Y + 80, "limiter: at most -1 dBFS \\, from the sum of the voices' amplitudes (as the daemon does) \\, times the gain, f 34")
    p.obj("mul", 20, Y + 80, "*~")
    p.obj("dac", 20, Y + 130, "dac~")
    p.obj("env", 120, Y + 130, "env~ 4096")
    p.obj("m100", 210, Y + 130, "- 100")
    p.add("vu", "obj", 300, Y + 95, "vu 15 80 empty empty level_dB -1 -8 0 12 -66577 -1 1 0")
    p.text("cgain", 820, Y, "gain dB, f 8")
    p.obj("lb", 900, Y, "loadbang")
    p.atom("gain", 820, Y + 30, "5 -60 0 0 - - -")
    p.obj("g100", 820, Y + 60, "+ 100")
    p.obj("grms", 820, Y + 90, "dbtorms")
    p.obj("gpack", 820, Y + 120, "pack f 20")
    p.obj("gline", 820, Y + 150, "line~")
    p.msg("gzero", 900, Y + 30, "0")
    # cords
    p.c("dsp", 0, "dspmsg", 0)
    p.c("lb", 0, "gzero", 0)
    p.c("mute1", 0, "send", 0)
    p.c("recv", 0, "prep0", 0); p.c("prep0", 0, "svoice0", 0)
    p.c("recv", 1, "svoice1", 0)
    p.c("recv", 5, "sub", 0)
    p.c("sub", 0, "mute1", 0)
    p.c("sub", 2, "setconn", 0); p.c("setconn", 0, "sconn", 0); p.c("sub", 2, "pubconn", 0)
    p.c("sub", 1, "other", 0)
    p.c("other", 0, "svoice2", 0)
    p.c("other", 1, "alloff", 0); p.c("alloff", 0, "svoice3", 0)
    p.c("other", 2, "state", 0)
    p.c("state", 1, "kind", 0)
    p.c("kind", 0, "k1", 0); p.c("kind", 1, "k2", 0); p.c("kind", 2, "k0", 0)
    p.c("k1", 0, "skind", 0); p.c("k2", 0, "skind", 0); p.c("k0", 0, "skind", 0)
    p.c("other", 3, "sprep", 0); p.c("sprep", 0, "svoice5", 0)
    p.c("state", 3, "gunpack", 0)     # the head (/state/latent, outlet 2, is not played here)
    p.c("gunpack", 2, "mtf", 0); p.c("mtf", 1, "setmuted", 0); p.c("setmuted", 0, "smuted", 0); p.c("mtf", 0, "spub", 0)
    p.c("state", 0, "sunpack", 0)
    p.c("sunpack", 1, "seq0", 0); p.c("seq0", 0, "sspigot", 1); p.c("sunpack", 0, "sspigot", 0)
    p.c("sspigot", 0, "sapp", 0); p.c("sapp", 0, "svoice4", 0)
    for r in range(rows):
        p.c(f"rvoice{r}", 0, f"vroute{r}", 0)
        for i in range(r * ROW, min(r * ROW + ROW, VOICES)):
            p.c(f"vroute{r}", i - r * ROW, f"v{i}", 0)
            p.c(f"v{i}", 0, f"tsound{r}", 0)
            p.c(f"v{i}", 1, f"tamp{r}", 0)
    p.c("csound", 0, "mul", 0)
    p.c("camp", 0, "limit", 0)
    p.c("limit", 0, "mul", 1)
    p.c("mul", 0, "dac", 0); p.c("mul", 0, "dac", 1); p.c("mul", 0, "env", 0)
    p.c("env", 0, "m100", 0); p.c("m100", 0, "vu", 0)
    p.c("gzero", 0, "gain", 0)
    p.chain("gain", "g100", "grms", "gpack", "gline")
    p.c("gline", 0, "limit", 1)
    return p


def subscribe() -> Patch:
    """isudt_subscribe.pd"""
    p = Patch(760, 740)
    p.text("doc", 20, 10, "isudt_subscribe -- keeps a patch subscribed to the daemon (/subscribe PORT) and says whether the daemon is alive. Creation argument: the port the patch listens on with its [isudt_receive PORT]. Inlet: the replies from isudt_receive's last outlet. Outlets \\, left to right: a bang on every /subscribed \\, the other replies \\, connected (1 while a /heartbeat came within the last 2 s). It renews every 2 s while there is no heartbeat and every 20 s otherwise \\, so a restarted daemon has it back within about 2 s., f 96")
    p.obj("in", 20, 120, "inlet")
    p.obj("route", 20, 150, "route subscribed heartbeat")
    p.obj("tbb", 480, 200, "t b b")
    p.msg("one", 480, 240, "1")
    p.obj("delay", 530, 240, "delay 2000")
    p.msg("zero", 530, 270, "0")
    p.obj("change", 480, 310, "change")
    p.obj("tff", 480, 340, "t f f f")
    p.obj("sel0", 560, 380, "sel 0")
    p.text("c1", 620, 200, "a heartbeat: connected for 2 s, f 16")
    p.obj("lb", 360, 380, "loadbang")
    p.obj("metro", 260, 420, "metro 2000")
    p.obj("count", 260, 450, "f")
    p.obj("plus", 310, 450, "+ 1")
    p.obj("mod", 310, 480, "mod 10")
    p.obj("expr", 260, 510, "expr \\$f1 == 0 || \\$f2 == 0")
    p.text("c2", 40, 440, "subscribe every 2 s while not connected \\, every 10th tick (20 s) while connected, f 20")
    p.obj("sel1", 260, 540, "sel 1")
    p.obj("port", 260, 570, "f \\$1")
    p.msg("subscribe", 260, 600, "/subscribe \\$1")
    p.obj("send", 260, 630, "isudt_send")
    p.obj("o_conn", 480, 680, "outlet")
    p.obj("o_sub", 20, 680, "outlet")
    p.obj("o_rest", 200, 680, "outlet")
    p.text("c3", 20, 710, "subscribed, f 10")
    p.text("c4", 480, 710, "connected, f 10")
    p.text("c5", 200, 710, "other replies, f 14")
    p.c("in", 0, "route", 0)
    p.c("route", 0, "o_sub", 0)
    p.c("route", 1, "tbb", 0)
    p.c("route", 2, "o_rest", 0)
    p.c("tbb", 0, "delay", 0); p.c("tbb", 1, "one", 0)
    p.c("one", 0, "change", 0); p.c("delay", 0, "zero", 0); p.c("zero", 0, "change", 0)
    p.c("change", 0, "tff", 0)
    p.c("tff", 1, "sel0", 0); p.c("tff", 0, "o_conn", 0); p.c("tff", 2, "expr", 1)
    p.c("sel0", 0, "metro", 0)
    p.c("lb", 0, "metro", 0)
    p.c("metro", 0, "count", 0); p.c("count", 0, "plus", 0); p.c("plus", 0, "mod", 0); p.c("mod", 0, "count", 1)
    p.c("count", 0, "expr", 0)
    p.chain("expr", "sel1", "port", "subscribe", "send")
    return p


def receive() -> Patch:
    """isudt_receive.pd"""
    p = Patch(1000, 1200)
    p.dy = 50
    p.text("doc", 20, 10, "isudt_receive -- replies from the isudt daemon (OSC over UDP). Outlets \\, left to right: /sineparams -> pitch dB \\; /voice/N/sineparams -> N pitch dB \\; /latent/sound -> z0 z1 ... (as many as the latent has) \\; /status.reply -> name value ... \\; /error -> address reason \\; anything else as a list (other /voice/N/... replies as voice N ... \\, N a number \\, e.g. voice 3 off). Inlet: [listen PORT( \\, [listen 0( stops. Creation argument: the port (none or 0: [v isudt-reply-port] if set \\, else 12341 \\; negative: wait for [listen PORT(). Several instances may listen on one port: the socket that gets a packet hands it to all of them through [s isudt-reply-in]., f 136")
    p.obj("in", 20, 110, "inlet")
    p.obj("rl", 20, 140, "route listen port")
    p.obj("lb", 240, 110, "loadbang")
    p.obj("farg", 240, 140, "f \\$1")
    p.obj("moses", 240, 170, "moses 0")
    p.obj("sel0", 280, 200, "sel 0")
    p.obj("v", 340, 230, "v isudt-reply-port")
    p.obj("sel0b", 340, 260, "sel 0")
    p.msg("def", 340, 290, "12341")
    p.text("cdef", 400, 290, "the daemon's default reply port, f 32")
    p.obj("tfff", 20, 330, "trigger float float float")
    p.msg("listen", 20, 360, "listen \\$1")
    p.obj("net", 20, 390, "netreceive -u -b")
    p.obj("parse", 20, 420, "oscparse")
    p.obj("tag", 160, 450, "list prepend 0")
    p.obj("sin", 160, 480, "s isudt-reply-in")
    p.text("ctag", 20, 480, "tagged with its port:, f 12")
    p.obj("rin", 360, 340, "r isudt-reply-in")
    p.obj("taa", 360, 370, "t a a")
    p.obj("splitp", 430, 400, "list split 1")
    p.obj("eq", 430, 430, "==")
    p.text("ceq", 530, 430, "only packets from my port, f 26")
    p.obj("split", 300, 460, "list split 1")
    p.obj("spigot", 360, 490, "spigot")
    p.obj("trim", 360, 520, "list trim")
    p.obj("route", 360, 550, "route sineparams voice latent status.reply error")
    p.obj("o0", 300, 600, "outlet")
    p.obj("sv", 365, 600, "s \\$0-v")
    p.obj("lroute", 432, 600, "route sound")
    p.obj("o3", 520, 630, "outlet")
    p.obj("o4", 580, 630, "outlet")
    p.obj("o5", 640, 630, "outlet")
    p.obj("ro5", 700, 590, "r \\$0-o5")
    p.obj("ro1", 365, 640, "r \\$0-o1")
    p.obj("o1", 365, 670, "outlet")
    p.obj("o2", 432, 640, "outlet")
    p.text("cv", 20, 700, "/voice/N/...: N arrives as a symbol, f 40")
    p.obj("rv", 20, 730, "r \\$0-v")
    p.obj("vt", 20, 760, "t a a")
    p.obj("vsplitN", 120, 790, "list split 1")
    p.obj("vsym", 120, 820, "symbol")
    p.obj("vfroms", 120, 850, "list fromsymbol")
    p.obj("vapp", 120, 880, "list append 0")
    p.obj("vexpr", 120, 910, "expr if(\\$f2 \\, \\$f1 * 10 + \\$f2 - 528 \\, \\$f1 - 48)")
    p.obj("vsplit", 20, 950, "list split 1")
    p.obj("vtrim", 20, 980, "list trim")
    p.obj("vroute", 20, 1010, "route sineparams")
    p.obj("vprep", 160, 1050, "list prepend")
    p.obj("vprep2", 300, 1050, "list prepend")
    p.obj("so1", 160, 1080, "s \\$0-o1")
    p.obj("vvoice", 300, 1080, "list prepend voice")
    p.obj("vvtrim", 460, 1080, "list trim")
    p.obj("so5", 460, 1110, "s \\$0-o5")
    p.text("cn", 420, 960, "N pitch dB \\, or voice N ... (e.g. voice 3 off), f 24")
    p.c("in", 0, "rl", 0); p.c("rl", 0, "tfff", 0); p.c("rl", 1, "tfff", 0)
    p.chain("lb", "farg", "moses"); p.c("moses", 1, "sel0", 0); p.c("moses", 0, "tfff", 0)
    p.chain("sel0", "v", "sel0b", "def"); p.c("sel0", 1, "tfff", 0); p.c("sel0b", 1, "tfff", 0); p.c("def", 0, "tfff", 0)
    p.c("tfff", 2, "eq", 1); p.c("tfff", 1, "tag", 1); p.c("tfff", 0, "listen", 0)
    p.chain("listen", "net", "parse", "tag", "sin")
    p.c("rin", 0, "taa", 0); p.c("taa", 1, "splitp", 0); p.c("splitp", 0, "eq", 0); p.c("eq", 0, "spigot", 1)
    p.c("taa", 0, "split", 0); p.c("split", 1, "spigot", 0)
    p.chain("spigot", "trim", "route")
    p.c("route", 0, "o0", 0); p.c("route", 1, "sv", 0); p.c("route", 2, "lroute", 0); p.c("route", 3, "o3", 0)
    p.c("route", 4, "o4", 0); p.c("route", 5, "o5", 0)
    p.c("lroute", 0, "o2", 0); p.c("ro5", 0, "o5", 0); p.c("ro1", 0, "o1", 0)
    p.c("rv", 0, "vt", 0)
    p.c("vt", 1, "vsplitN", 0); p.c("vsplitN", 0, "vsym", 0); p.chain("vsym", "vfroms", "vapp", "vexpr")
    p.c("vexpr", 0, "vprep", 1); p.c("vexpr", 0, "vprep2", 1)
    p.c("vt", 0, "vsplit", 0); p.c("vsplit", 1, "vtrim", 0); p.chain("vtrim", "vroute")
    p.c("vroute", 0, "vprep", 0); p.c("vroute", 1, "vprep2", 0); p.c("vprep", 0, "so1", 0)
    p.chain("vprep2", "vvoice", "vvtrim", "so5")
    return p


def sine() -> Patch:
    """isudt_sine~.pd"""
    p = Patch(640, 450)
    p.text("doc", 20, 10, "isudt_sine~ -- one voice as the published Max patch played it: MIDI pitch -> mtof -> ramp -> sine \\, dB re full scale -> linear -> ramp -> level. Inlet: pitch dB \\, or off (ramps the level to 0). Outlets: the sine \\; its amplitude (for a limiter that sums the voices). Creation argument: ramp in ms (default 10)., f 84")
    p.obj("in", 20, 100, "inlet")
    p.obj("trim", 20, 130, "list trim")
    p.obj("route", 20, 160, "route off")
    p.msg("off", 20, 200, "-100")
    p.obj("unpack", 100, 200, "unpack f f")
    p.obj("mtof", 100, 240, "mtof")
    p.obj("ppack", 100, 270, "pack f 10")
    p.obj("pline", 100, 300, "line~")
    p.obj("osc", 100, 330, "osc~")
    p.obj("plus", 220, 240, "+ 100")
    p.obj("dbtorms", 220, 270, "dbtorms")
    p.obj("apack", 220, 300, "pack f 10")
    p.obj("aline", 220, 330, "line~")
    p.obj("mul", 100, 370, "*~")
    p.obj("out", 100, 400, "outlet~")
    p.obj("aout", 220, 400, "outlet~")
    p.text("c1", 300, 340, "dbtorms takes dB re 100: 100 -> 1 \\, 0 or less -> 0, f 28")
    p.obj("lb", 480, 100, "loadbang")
    p.obj("farg", 480, 130, "f \\$1")
    p.obj("sel", 480, 160, "sel 0")
    p.msg("ten", 530, 190, "10")
    p.obj("tff", 480, 220, "t f f")
    p.chain("in", "trim", "route")
    p.c("route", 0, "off", 0); p.c("off", 0, "plus", 0)
    p.c("route", 1, "unpack", 0)
    p.chain("unpack", "mtof", "ppack", "pline", "osc", "mul", "out")
    p.c("unpack", 1, "plus", 0)
    p.chain("plus", "dbtorms", "apack", "aline")
    p.c("aline", 0, "mul", 1); p.c("aline", 0, "aout", 0)
    p.chain("lb", "farg", "sel", "ten")
    p.c("sel", 1, "tff", 0); p.c("ten", 0, "tff", 0)
    p.c("tff", 0, "ppack", 1); p.c("tff", 1, "apack", 1)
    return p


def fm() -> Patch:
    """isudt_fm~.pd: a 2-operator FM voice of Pd vanilla objects, the formula of daemon/synths.py (fm_wave)."""
    p = Patch(900, 760)
    p.text("doc", 20, 10, "isudt_fm~ -- one FM voice as the daemon plays it (daemon/synths.py: a * sin(2 pi fc t + I sin(2 pi fm t))): carrier at the MIDI pitch \\, modulator at ratio x carrier \\, index I the phase-modulation depth in radians \\, lowered by the alias guard fc * (1 + (I + 1) * ratio) <= 0.45 * samplerate (never below 0) \\, level fixed (the manifest's synth.level_db). Inlet: pitch ratio index \\, or off (ramps the level to 0). Outlets: the tone \\; its amplitude (for the limiter). Creation arguments: ramp ms (default 10) \\, level dBFS (default -12)., f 120")
    p.obj("in", 20, 110, "inlet")
    p.obj("trim", 20, 140, "list trim")
    p.obj("route", 20, 170, "route off")
    p.msg("off", 20, 210, "0")
    p.obj("tlb", 100, 210, "t l b")
    p.obj("sr", 180, 240, "samplerate~")
    p.obj("guard", 100, 280, "expr 440 * pow(2 \\, (\\$f1 - 69) / 12) \\; 440 * pow(2 \\, (\\$f1 - 69) / 12) * \\$f2 \\; max(0 \\, min(\\$f3 \\, (0.45 * \\$f4 / (440 * pow(2 \\, (\\$f1 - 69) / 12)) - 1) / \\$f2 - 1)) / 6.283185307179586, f 60")
    p.text("cguard", 160, 690, "fc \\, fm = ratio x fc \\, depth = guarded index / 2 pi (cos~ and phasor~ count in cycles), f 60")
    p.obj("cpack", 100, 410, "pack f 10")
    p.obj("mpack", 260, 410, "pack f 10")
    p.obj("dpack", 420, 410, "pack f 10")
    p.obj("cline", 100, 440, "line~")
    p.obj("mline", 260, 440, "line~")
    p.obj("dline", 420, 440, "line~")
    p.obj("mphasor", 260, 470, "phasor~")
    p.obj("mminus", 260, 500, "-~ 0.25")
    p.obj("mcos", 260, 530, "cos~")
    p.obj("mdepth", 420, 530, "*~")
    p.obj("cphasor", 100, 470, "phasor~")
    p.obj("cplus", 100, 560, "+~")
    p.obj("cminus", 100, 590, "-~ 0.25")
    p.obj("ccos", 100, 620, "cos~")
    p.obj("amul", 100, 660, "*~")
    p.obj("out", 100, 690, "outlet~")
    p.obj("aout", 600, 690, "outlet~")
    p.text("csin", 160, 620, "cos(2 pi (x - 1/4)) = sin(2 pi x), f 36")
    p.obj("lb", 600, 110, "loadbang")
    p.obj("farg", 600, 140, "f \\$1")
    p.obj("sel", 600, 170, "sel 0")
    p.msg("ten", 650, 200, "10")
    p.obj("tff", 600, 230, "t f f f f")
    p.obj("larg", 720, 140, "f \\$2")
    p.obj("lsel", 720, 170, "sel 0")
    p.msg("m12", 770, 200, "-12")
    p.obj("lplus", 720, 260, "+ 100")
    p.obj("lrms", 720, 290, "dbtorms")
    p.obj("level", 600, 320, "f")
    p.obj("onoff", 600, 290, "t b")
    p.obj("apack", 600, 600, "pack f 10")
    p.obj("aline", 600, 630, "line~")
    p.text("clevel", 680, 330, "the level: on every tone, f 14")
    p.chain("in", "trim", "route")
    p.c("route", 0, "off", 0); p.c("off", 0, "apack", 0)
    p.c("route", 1, "tlb", 0)
    p.c("tlb", 1, "sr", 0); p.c("sr", 0, "guard", 3)
    p.c("tlb", 0, "guard", 0)
    p.c("tlb", 0, "onoff", 0)
    p.c("guard", 0, "cpack", 0); p.c("guard", 1, "mpack", 0); p.c("guard", 2, "dpack", 0)
    p.chain("cpack", "cline", "cphasor", "cplus", "cminus", "ccos", "amul", "out")
    p.chain("mpack", "mline", "mphasor", "mminus", "mcos", "mdepth")
    p.c("mdepth", 0, "cplus", 1)
    p.chain("dpack", "dline"); p.c("dline", 0, "mdepth", 1)
    p.chain("onoff", "level", "apack", "aline")
    p.c("aline", 0, "amul", 1); p.c("aline", 0, "aout", 0)
    p.chain("lb", "farg", "sel", "ten")
    p.c("sel", 1, "tff", 0); p.c("ten", 0, "tff", 0)
    p.c("tff", 0, "cpack", 1); p.c("tff", 1, "mpack", 1); p.c("tff", 2, "dpack", 1); p.c("tff", 3, "apack", 1)
    p.c("lb", 0, "larg", 0)
    p.chain("larg", "lsel", "m12", "lplus")
    p.c("lsel", 1, "lplus", 0)
    p.chain("lplus", "lrms"); p.c("lrms", 0, "level", 1)
    return p


def voice() -> Patch:
    """isudt_voice~.pd: one voice of isudt_synth.pd, a sine or an FM voice as the bundle's synth kind says."""
    p = Patch(860, 520)
    p.text("doc", 20, 10, "isudt_voice~ -- one voice of isudt_synth.pd: [isudt_sine~] for a sine bundle \\, [isudt_fm~] for an FM bundle \\, as the daemon's /state/synth says (sent to [s PARENT-kind] as 1 = sine \\, 2 = fm \\, 0 = a kind Pd cannot play: silent). Inlet: pitch dB (/sineparams) \\, synthparams pitch ratio index (/synthparams) \\, or off. A kind change stops both. Outlets: the sound \\; its amplitude. Creation arguments: ramp ms \\, the parent's \\$0 (before any /state/synth: sine)., f 110")
    p.obj("in", 20, 110, "inlet")
    p.obj("trim", 20, 140, "list trim")
    p.obj("route", 20, 170, "route off synthparams")
    p.msg("off", 20, 230, "off")
    p.obj("sspig", 260, 230, "spigot 1")
    p.obj("fspig", 140, 230, "spigot 0")
    p.obj("sine", 260, 300, "isudt_sine~ \\$1")
    p.obj("fm", 20, 300, "isudt_fm~ \\$1")
    p.obj("out", 20, 360, "outlet~")
    p.obj("aout", 140, 360, "outlet~")
    p.obj("rkind", 520, 110, "r \\$2-kind")
    p.obj("change", 520, 140, "change 1")
    p.obj("tkind", 520, 170, "t f f b")
    p.obj("is1", 640, 210, "== 1")
    p.obj("is2", 580, 240, "== 2")
    p.msg("koff", 520, 280, "off")
    p.text("ckind", 520, 320, "a kind change: both off \\, then only that kind's messages pass, f 30")
    p.chain("in", "trim", "route")
    p.c("route", 0, "off", 0)
    p.c("route", 1, "fspig", 0)
    p.c("route", 2, "sspig", 0)
    p.c("off", 0, "fm", 0); p.c("off", 0, "sine", 0)
    p.c("fspig", 0, "fm", 0); p.c("sspig", 0, "sine", 0)
    p.c("fm", 0, "out", 0); p.c("sine", 0, "out", 0)
    p.c("fm", 1, "aout", 0); p.c("sine", 1, "aout", 0)
    p.chain("rkind", "change", "tkind")
    p.c("tkind", 2, "koff", 0); p.c("koff", 0, "fm", 0); p.c("koff", 0, "sine", 0)
    p.c("tkind", 1, "is1", 0); p.c("is1", 0, "sspig", 1)
    p.c("tkind", 0, "is2", 0); p.c("is2", 0, "fspig", 1)
    return p


def send() -> Patch:
    """isudt_send.pd"""
    p = Patch(900, 560)
    p.text("doc", 20, 10, "isudt_send -- OSC to the isudt daemon over UDP. Inlet: an OSC address and its arguments \\, e.g. [/pictslider 40 80( or [/voice/3/latent/sound 0.1 -0.2( or [/status( \\; [connect HOST PORT( \\, [port PORT( or [disconnect( redirect it. Creation argument: the daemon's port (none or 0: [v isudt-port] if set \\, else 12342 \\; negative: stay silent until told). Outlet: 1 while connected., f 110")
    p.obj("in", 20, 100, "inlet")
    p.obj("trim", 20, 130, "list trim")
    p.obj("rt", 20, 160, "route connect port disconnect")
    p.obj("tfb", 160, 200, "t f b")
    p.obj("host", 200, 230, "symbol 127.0.0.1")
    p.obj("lpre", 160, 260, "list prepend 127.0.0.1")
    p.obj("taab", 20, 300, "t a a b")
    p.obj("split1", 100, 330, "list split 1")
    p.obj("pcon", 20, 370, "list prepend connect")
    p.obj("trim2", 20, 400, "list trim")
    p.msg("disc", 250, 370, "disconnect")
    p.text("chost", 300, 300, "remember the host, f 18")
    p.obj("split", 420, 200, "list split 1")
    p.obj("tba", 420, 230, "t b a")
    p.obj("pset", 500, 260, "list prepend set")
    p.obj("ptrim", 500, 290, "list trim")
    p.obj("list", 420, 320, "list")
    p.obj("oscf", 420, 360, "oscformat")
    p.text("caddr", 560, 340, "address -> [set ...( of oscformat \\, then the arguments, f 26")
    p.obj("net", 20, 450, "netsend -u -b")
    p.obj("out", 20, 490, "outlet")
    p.text("cout", 80, 490, "1: connected, f 14")
    p.obj("lb", 680, 100, "loadbang")
    p.obj("farg", 680, 130, "f \\$1")
    p.obj("moses", 680, 160, "moses 0")
    p.obj("sel0", 720, 190, "sel 0")
    p.obj("v", 720, 220, "v isudt-port")
    p.obj("sel0b", 720, 250, "sel 0")
    p.msg("def", 720, 280, "12342")
    p.text("cneg", 790, 130, "< 0: silent, f 12")
    p.text("cdef", 770, 300, "the daemon's default port, f 14")
    p.chain("in", "trim", "rt", "taab")
    p.c("rt", 1, "tfb", 0)
    p.c("rt", 2, "disc", 0)
    p.c("rt", 3, "split", 0)
    p.chain("lb", "farg", "moses")
    p.c("moses", 1, "sel0", 0)
    p.chain("sel0", "v", "sel0b", "def")
    p.c("sel0b", 1, "tfb", 0)
    p.c("sel0", 1, "tfb", 0)
    p.c("def", 0, "tfb", 0)
    p.c("tfb", 1, "host", 0)
    p.c("host", 0, "lpre", 1)
    p.c("tfb", 0, "lpre", 0)
    p.c("lpre", 0, "taab", 0)
    p.c("taab", 2, "disc", 0)
    p.c("taab", 1, "split1", 0)
    p.c("split1", 0, "host", 1)
    p.chain("taab", "pcon", "trim2", "net")
    p.c("disc", 0, "net", 0)
    p.c("split", 0, "tba", 0)
    p.c("split", 1, "list", 1)
    p.c("tba", 1, "pset", 0)
    p.chain("pset", "ptrim", "oscf")
    p.c("tba", 0, "list", 0)
    p.chain("list", "oscf", "net", "out")
    return p


def speedlim() -> Patch:
    """isudt_speedlim.pd"""
    p = Patch(640, 480)
    p.text("doc", 20, 10, "isudt_speedlim -- at most one message per interval: the first goes out at once \\, later ones wait and only the newest is kept (nothing queues). Creation argument: interval in ms (default 10). Right inlet: a new interval., f 80")
    p.obj("in", 20, 80, "inlet")
    p.obj("tba", 20, 110, "t b a")
    p.obj("busy", 20, 150, "f")
    p.obj("sel0", 20, 180, "sel 0")
    p.msg("one", 100, 180, "1")
    p.text("cbusy", 140, 180, "busy: remember that one is waiting, f 20")
    p.obj("go", 20, 250, "t b b b b")
    p.msg("zero", 160, 300, "0")
    p.msg("one2", 110, 330, "1")
    p.obj("list", 20, 400, "list")
    p.obj("out", 20, 440, "outlet")
    p.obj("delay", 300, 250, "delay 10")
    p.obj("waited", 300, 290, "f")
    p.obj("sel0b", 300, 320, "sel 0")
    p.msg("idle", 300, 360, "0")
    p.text("cidle", 340, 360, "nothing waited: idle, f 12")
    p.obj("in2", 480, 80, "inlet")
    p.obj("lb", 540, 80, "loadbang")
    p.obj("farg", 540, 110, "f \\$1")
    p.obj("sel", 540, 140, "sel 0")
    p.msg("ten", 440, 170, "10")
    p.chain("in", "tba")
    p.c("tba", 1, "list", 1)
    p.chain("tba", "busy", "sel0", "go")
    p.c("sel0", 1, "one", 0)
    p.c("one", 0, "waited", 1)
    p.c("go", 3, "zero", 0)
    p.c("zero", 0, "waited", 1)
    p.c("go", 2, "one2", 0)
    p.c("one2", 0, "busy", 1)
    p.c("go", 1, "list", 0)
    p.c("go", 0, "delay", 0)
    p.chain("delay", "waited", "sel0b", "idle")
    p.c("idle", 0, "busy", 1)
    p.c("sel0b", 1, "go", 0)
    p.c("list", 0, "out", 0)
    p.c("in2", 0, "delay", 1)
    p.chain("lb", "farg", "sel")
    p.c("sel", 0, "ten", 0)
    p.c("sel", 1, "delay", 1)
    p.c("ten", 0, "delay", 1)
    return p


def control() -> Patch:
    """isudt_control.pd: controls above, the daemon's state, status and replies beside and below, wiring at the bottom.

    Long-distance wiring goes through [s $0-...] / [r $0-...] pairs and the
    GUIs' own send/receive names, so no cord runs across a display.
    """
    p = Patch(1800, 1130)
    p.text("doc", 20, 10, f"isudt control (Pure Data vanilla 0.51+) -- drive a running daemon (isudt serve). Sends to 127.0.0.1:12342 \\, listens for replies on port {CONTROL_PORT} and subscribes there (isudt_subscribe) \\, so it runs beside isudt_synth.pd and other clients. Gain \\, glide and mute show what the daemon has (its /state) \\, not what was last clicked. The controls also listen to isudt-x \\, isudt-y \\, isudt-z0 \\, isudt-z1 \\, isudt-z2 \\, isudt-voice \\, isudt-gain \\, isudt-glide \\, isudt-mute \\, isudt-status and isudt-panic \\, so other patches (or pd -send) can play them., f 150")
    # --- indicators and panic (top row)
    p.add("conn", "obj", 20, 100, "tgl 25 0 empty \\$0-conn connected 30 12 0 14 -262144 -1 -1 0 1")
    p.text("cconn", 150, 100, "lit while a /heartbeat came within the last 2 s: the daemon runs and answers, f 40")
    p.add("panic", "obj", 500, 100, "bng 25 250 50 0 \\$0-panic isudt-panic panic 30 12 0 14 -258113 -1 -1")
    p.text("cpanic", 600, 100, "/off: every voice off at once, f 32")
    p.add("voice", "obj", 880, 105, f"hradio 15 1 0 {VOICES} \\$0-voice isudt-voice voice 0 -8 0 10 -262144 -1 -1 0")
    p.text("cvoice", 880 + 15 * VOICES + 20, 100, f"voice (0..{VOICES - 1}): 0 sends the published addresses \\, N sends /voice/N/..., f 36")
    # --- x / y (left)
    p.text("cxy", 20, 150, "x \\, y: top-left corner of the 2 x 2 square (0..125 \\; y = 0 is the top row), f 54")
    p.add("xs", "obj", 60, 200, "hsl 252 15 0 125 0 0 empty isudt-x x -2 -8 0 10 -262144 -1 -1 0 1")
    p.add("ys", "obj", 20, 200, "vsl 15 126 125 0 0 0 empty isudt-y y 0 -9 0 10 -262144 -1 -1 0 1")
    p.obj("xi", 60, 230, "i")
    p.atom("xa", 60, 260, "4 0 0 0 - - -")
    p.obj("yi", 20, 345, "i")
    p.atom("ya", 20, 375, "4 0 0 0 - - -")
    p.obj("yt", 20, 405, "t b f")
    p.obj("xypack", 140, 440, "pack f f")
    p.obj("xylim", 140, 470, "isudt_speedlim 10")
    p.obj("xypre", 140, 500, "list prepend /pictslider")
    p.obj("xysend", 140, 530, "s \\$0-out")
    p.obj("xyrpre", 330, 470, "r \\$0-pre-xy")
    p.obj("rrate", 270, 430, "r \\$0-rate")
    p.text("crate", 200, 300, "rate limit (ms), f 16")
    p.atom("rate", 200, 330, "5 0 1000 0 - - -")
    p.obj("srate", 200, 360, "s \\$0-rate")
    p.obj("lb", 340, 300, "loadbang")
    p.msg("ten", 340, 330, "10")
    # --- z0 / z1 / z2 (middle): the first N go out, N = the sound latent's size from the daemon's /state/latent
    p.text("cz", 440, 150, "or a point of the sound latent space: as many values as the bundle's latent has, f 46")
    for k in range(LATENT_SLIDERS):
        p.add(f"z{k}", "obj", 440, 200 + 35 * k, f"hsl 180 15 -3 3 0 0 empty isudt-z{k} z{k} -2 -8 0 10 -262144 -1 -1 0 1")
        p.atom(f"z{k}a", 640 + 60 * k, 200 + 35 * k, "6 0 0 0 - - -")
        if k:
            p.obj(f"zt{k}", 640 + 60 * k, 305, "t b f")
    p.atom("zn", 440, 350, "2 0 0 0 - \\$0-zdims -")
    p.text("czn", 475, 345, "values sent: z0 .. z(N-1) \\, N the sound latent's size (/state/latent) \\, 2 until the daemon says, f 22")
    p.obj("zpack", 640, 345, "pack " + " ".join("f" * LATENT_SLIDERS))
    p.obj("rratez", 790, 345, "r \\$0-rate")
    p.obj("zlim", 640, 375, "isudt_speedlim 10")
    p.obj("zpad", 640, 405, "list append" + " 0" * (LATENT_PAD - LATENT_SLIDERS))
    p.obj("zdims", 800, 405, "r \\$0-zdims")
    p.obj("zsplit", 640, 435, "list split 2")
    p.obj("zrpre", 830, 435, "r \\$0-pre-z")
    p.obj("zpre", 640, 465, "list prepend /latent/sound")
    p.obj("zsend", 640, 495, "s \\$0-out")
    p.msg("two", 400, 330, "2")
    p.obj("szdims", 330, 380, "s \\$0-zdims")
    # --- output as the daemon has it (right)
    p.text("cout", 920, 150, "output (as the daemon's /state says), f 20")
    p.atom("gain", 920, 200, "5 -60 12 0 - isudt-gain \\$0-gain")
    p.text("cgain", 980, 200, "gain dB, f 8")
    p.atom("glide", 920, 230, "5 0 5000 0 - isudt-glide \\$0-glide")
    p.text("cglide", 980, 230, "glide ms, f 9")
    p.add("mute", "obj", 920, 262, "tgl 15 0 \\$0-mute isudt-mute mute 20 7 0 12 -262144 -1 -1 0 1")
    # --- status (right): the chosen values of /status.reply
    p.text("cstatus", 920, 310, "daemon status (/status every second while connected), f 28")
    p.add("poll", "obj", 920, 365, "bng 15 250 50 0 \\$0-poll isudt-status now 20 7 0 12 -262144 -1 -1")
    y = 395
    for short, label in [("received", "messages received"), ("errors", "refused messages"),
                         ("underruns", "audio underruns"), ("latency", "latency p99 (ms)")]:
        p.atom(f"a_{short}", 920, y, f"8 0 0 0 - \\$0-{short} -")
        p.text(f"c_{short}", 1000, y, f"{label}, f 18")
        y += 30
    p.satom("a_model", 920, y, "22 0 0 0 - \\$0-model -")
    p.text("c_model", 920, y + 25, "model id, f 10")
    # --- replies (left and middle): the newest of each
    p.text("creplies", 20, 580, "replies (the newest of each), f 40")
    p.text("csp", 20, 610, "/sineparams, f 12")
    p.atom("a_pitch", 130, 610, "7 0 0 0 - \\$0-pitch -")
    p.text("cpitch", 195, 610, "pitch (MIDI), f 13")
    p.atom("a_db", 300, 610, "7 0 0 0 - \\$0-db -")
    p.text("cdb", 365, 610, "dB, f 3")
    p.atom("a_hz", 400, 610, "7 0 0 0 - \\$0-hz -")
    p.text("chz", 465, 610, "Hz, f 3")
    y = 645
    for short, label in [("syn", "/state/synth (names)"), ("syp", "/synthparams"),
                         ("vs", "/voice/N/sineparams"), ("ls", "/latent/sound"), ("er", "/error (the last)"),
                         ("other", "other replies")]:
        p.text(f"c_{short}", 20, y, f"{label}, f 20")
        p.obj(f"r_{short}", 170, y, f"r \\$0-{short}-show")
        p.msg(f"m_{short}", 300, y, ", f 70")
        y += 60 if short == "er" else 35
    # --- wiring (bottom)
    R = [910 + 28 * i for i in range(6)]
    p.text("cwiring", 20, 885, "wiring: the sender (left) \\, the receiver and the subscription (right) \\, feeding the displays above, f 100")
    p.obj("rout", 20, R[0], "r \\$0-out")
    p.obj("trim", 20, R[4], "list trim")
    p.obj("send", 20, R[5], "isudt_send")
    p.obj("rgain", 100, R[0], "r \\$0-gain")
    p.obj("pgain", 100, R[1], "list prepend /gain")
    p.obj("rglide", 250, R[0], "r \\$0-glide")
    p.obj("pglide", 250, R[1], "list prepend /glide")
    p.obj("rmute", 400, R[0], "r \\$0-mute")
    p.obj("pmute", 400, R[1], "list prepend /mute")
    p.obj("rpanic", 550, R[0], "r \\$0-panic")
    p.msg("off", 550, R[1], "/off")
    p.obj("rpoll", 640, R[0], "r \\$0-poll")
    p.msg("status", 640, R[1], "/status")
    p.obj("rvoice", 100, R[2], "r \\$0-voice")
    p.obj("vsel", 190, R[2], "sel 0")
    p.obj("vtff", 250, R[2], "t f f")
    p.obj("vtbb", 190, R[3], "t b b")
    p.obj("vxyn", 300, R[3], "makefilename /voice/%d/pictslider")
    p.obj("vzn", 300, R[4], "makefilename /voice/%d/latent/sound")
    p.obj("vxy0", 100, R[4], "symbol /pictslider")
    p.obj("vz0", 120, R[5], "symbol /latent/sound")
    p.obj("sxy", 560, R[3], "s \\$0-pre-xy")
    p.obj("sz", 580, R[5], "s \\$0-pre-z")
    p.obj("recv", 740, R[0], f"isudt_receive {CONTROL_PORT}")
    p.obj("sp", 740, R[1], "unpack f f")
    p.obj("spt", 740, R[2], "t f f")
    p.obj("s_db", 820, R[2], "s \\$0-db")
    p.obj("mtof", 780, R[3], "mtof")
    p.obj("s_pitch", 680, R[4], "s \\$0-pitch")
    p.obj("s_hz", 780, R[4], "s \\$0-hz")
    for short, y in (("vs", R[1]), ("ls", R[2]), ("er", R[3]), ("other", R[4])):
        p.obj(f"p_{short}", 880, y, "list prepend set")
        p.obj(f"t_{short}", 1005, y, "list trim")
        p.obj(f"s_{short}", 1075, y, f"s \\$0-{short}-show")
    for short, x, y in (("syp", 1540, R[1]), ("syn", 1670, R[2])):     # /synthparams, /state/synth: right of their routes
        p.obj(f"p_{short}", x, y, "list prepend set")
        p.obj(f"t_{short}", x, y + 28, "list trim")
        p.obj(f"s_{short}", x, y + 56, f"s \\$0-{short}-show")
    p.obj("drip", 760, R[5], "list split 2")
    p.obj("pick", 860, R[5], "route received errors underruns latency_p99_ms model_id")
    for i, short in enumerate(["received", "errors", "underruns", "latency", "model"]):
        p.obj(f"s_{short}", 860 + 110 * i, R[5] + 28, f"s \\$0-{short}")
    p.obj("sub", 900, R[0], f"isudt_subscribe {CONTROL_PORT}")
    p.obj("sconn", 1060, R[0], "s \\$0-conn")
    p.obj("metro", 1140, R[0], "metro 1000")
    p.obj("rstate", 1260, R[0], "route state synthparams")
    p.obj("rsvoice", 1260, R[1], "route voice synth latent")
    p.obj("ulat", 1440, R[2], "unpack f f")
    p.obj("slat", 1440, R[4], "s \\$0-zdims")
    p.obj("ustate", 1260, R[2], "unpack f f f f s")
    p.msg("setgain", 1200, R[3], "set \\$1")
    p.msg("setglide", 1265, R[3], "set \\$1")
    p.msg("setmute", 1330, R[3], "set \\$1")
    p.obj("smodel", 1400, R[3], "s \\$0-model")
    p.obj("sgain2", 1195, R[4], "s isudt-gain")
    p.obj("smute2", 1330, R[4], "s isudt-mute")
    p.obj("sglide2", 1300, R[5], "s isudt-glide")
    # --- cords
    p.chain("xs", "xi", "xa")
    p.c("xa", 0, "xypack", 0)
    p.chain("ys", "yi", "ya", "yt")
    p.c("yt", 1, "xypack", 1)
    p.c("yt", 0, "xypack", 0)
    p.chain("xypack", "xylim", "xypre", "xysend")
    p.c("xyrpre", 0, "xypre", 1)
    p.c("rrate", 0, "xylim", 1)
    p.c("rratez", 0, "zlim", 1)
    p.chain("lb", "ten", "rate", "srate")
    p.chain("z0", "z0a")
    p.c("z0a", 0, "zpack", 0)
    for k in range(1, LATENT_SLIDERS):
        p.chain(f"z{k}", f"z{k}a", f"zt{k}")
        p.c(f"zt{k}", 1, "zpack", k)
        p.c(f"zt{k}", 0, "zpack", 0)
    p.chain("zpack", "zlim", "zpad", "zsplit", "zpre", "zsend")
    p.c("zdims", 0, "zsplit", 1)
    p.c("zrpre", 0, "zpre", 1)
    p.c("lb", 0, "two", 0); p.c("two", 0, "szdims", 0)
    for short in ("syn", "syp", "vs", "ls", "er", "other"):
        p.c(f"r_{short}", 0, f"m_{short}", 0)
        p.chain(f"p_{short}", f"t_{short}", f"s_{short}")
    p.chain("rout", "trim", "send")
    for what in ("gain", "glide", "mute"):
        p.chain(f"r{what}", f"p{what}", "trim")
    p.chain("rpanic", "off", "send")
    p.chain("rpoll", "status", "send")
    p.chain("rvoice", "vsel", "vtbb")
    p.c("vsel", 1, "vtff", 0)
    p.c("vtbb", 0, "vxy0", 0)
    p.c("vtbb", 1, "vz0", 0)
    p.c("vtff", 0, "vxyn", 0)
    p.c("vtff", 1, "vzn", 0)
    p.c("vxy0", 0, "sxy", 0)
    p.c("vxyn", 0, "sxy", 0)
    p.c("vz0", 0, "sz", 0)
    p.c("vzn", 0, "sz", 0)
    p.c("recv", 0, "sp", 0)
    p.c("sp", 0, "spt", 0)
    p.c("sp", 1, "s_db", 0)
    p.c("spt", 1, "s_pitch", 0)
    p.c("spt", 0, "mtof", 0)
    p.c("mtof", 0, "s_hz", 0)
    p.c("recv", 1, "p_vs", 0)
    p.c("recv", 2, "p_ls", 0)
    p.c("recv", 4, "p_er", 0)
    p.c("recv", 3, "drip", 0)
    p.c("drip", 0, "pick", 0)
    p.c("drip", 1, "drip", 0)
    for i, short in enumerate(["received", "errors", "underruns", "latency", "model"]):
        p.c("pick", i, f"s_{short}", 0)
    p.c("recv", 5, "sub", 0)
    p.c("sub", 2, "sconn", 0)
    p.c("sub", 2, "metro", 0)
    p.c("metro", 0, "status", 0)
    p.c("sub", 1, "rstate", 0)
    p.c("rstate", 0, "rsvoice", 0)
    p.c("rstate", 1, "p_syp", 0)
    p.c("rstate", 2, "p_other", 0)
    p.c("rsvoice", 1, "p_syn", 0)
    p.c("rsvoice", 3, "ustate", 0)
    p.c("rsvoice", 2, "ulat", 0); p.c("ulat", 1, "slat", 0)
    p.c("ustate", 0, "setgain", 0)
    p.c("ustate", 1, "setglide", 0)
    p.c("ustate", 2, "setmute", 0)
    p.c("ustate", 4, "smodel", 0)
    p.c("setgain", 0, "sgain2", 0)
    p.c("setglide", 0, "sglide2", 0)
    p.c("setmute", 0, "smute2", 0)
    return p


def see() -> Patch:
    """isudt_see.pd: the way back. A listen toggle, and a red marker moved to each /square the daemon reports.

    The marker is a [cnv] moved with `pos X Y` inside a frame of three thin
    [cnv] lines (nothing under it, so the layout check holds wherever it is).
    """
    fx, fy = FIELD
    p = Patch(1200, 820)
    p.text("doc", 20, 10, f"isudt see (Pure Data vanilla 0.51+) -- the way back: the daemon listens to its audio input and says where the sound puts the square. Click listen (sends /image/listen 1 or 0) \\, play or sing into the daemon's input: the red marker moves to each /square x y \\, and silent lights on /image/silent (nothing is guessed in silence). Listens on port {SEE_PORT} and subscribes there \\, so it runs beside isudt_control.pd. listen shows what the daemon says (its /state)., f 110")
    p.add("listen", "obj", 20, 90, "tgl 25 0 \\$0-listen isudt-see-listen listen 30 12 0 14 -262144 -1 -1 0 1")
    p.add("silent", "obj", 200, 95, "tgl 15 0 empty \\$0-silent silent 20 7 0 12 -262144 -1 -1 0 1")
    p.add("conn", "obj", 330, 95, "tgl 15 0 empty \\$0-conn connected 20 7 0 12 -262144 -1 -1 0 1")
    # the field: a frame of four 2-px lines around 260 x 260 px, and the marker inside
    def line(dx: int, dy: int) -> str:   # the (empty) label sits outside the field, off the marker's way
        return f"empty empty empty {dx} {dy} 0 10 -1 -66577 0"
    p.add("bottom", "obj", fx - 2, fy + 260, f"cnv 1 264 2 {line(0, 14)}")
    p.add("left", "obj", fx - 2, fy, f"cnv 1 2 260 {line(-14, 0)}")
    p.add("right", "obj", fx + 260, fy, f"cnv 1 2 260 {line(14, 0)}")
    p.add("marker", "obj", fx, fy, "cnv 8 8 8 empty isudt-see-marker empty 0 4 0 8 -258113 -66577 0")
    p.text("cfield", fx, fy - 24, "the square's field: x 0..125 to the right \\, y 0..125 down (2 px each), f 80")
    # what came back, as numbers
    p.text("cxy", 330, 150, "/square: top-left corner (0..125), f 40")
    p.atom("x", 330, 180, "5 0 0 0 x \\$0-x -")
    p.atom("y", 420, 180, "5 0 0 0 y \\$0-y -")
    p.text("cz", 330, 230, "/image/latent: the image latent (the bundle's 2 or 3 values), f 60")
    for k in range(LATENT_SLIDERS):
        p.atom(f"z{k}", 330 + 110 * k, 260, f"7 0 0 0 z{k} \\$0-z{k} -")
    p.text("cpic", 330, 310, "/picture (a blob) is not shown here: Pd vanilla has no image object, f 30")
    # wiring
    W = 480
    p.text("cwiring", 20, W, "wiring: the toggle to the daemon (left) \\, the replies to the displays (right), f 80")
    p.obj("rlisten", 20, W + 30, "r \\$0-listen")
    p.obj("plisten", 20, W + 60, "list prepend /image/listen")
    p.obj("send", 20, W + 90, "isudt_send")
    p.obj("recv", 300, W + 30, f"isudt_receive {SEE_PORT}")
    p.obj("sub", 300, W + 60, f"isudt_subscribe {SEE_PORT}")
    p.obj("sconn", 520, W + 100, "s \\$0-conn")
    p.obj("rroute", 300, W + 100, "route square image state")
    p.obj("sq", 300, W + 140, "t l l b")
    p.obj("expr", 20, W + 190, f"expr \\$f1 * 2 + {fx} \\; \\$f2 * 2 + {fy}")
    p.obj("pack", 20, W + 240, "pack f f")
    p.msg("pos", 20, W + 270, "pos \\$1 \\$2")
    p.obj("smarker", 20, W + 300, "s isudt-see-marker")
    p.obj("unxy", 300, W + 190, "unpack f f")
    p.obj("sx", 300, W + 220, "s \\$0-x")
    p.obj("sy", 380, W + 220, "s \\$0-y")
    p.obj("pub", 300, W + 260, "s isudt-see-square")
    p.msg("quiet", 460, W + 190, "0")
    p.obj("ssilent0", 460, W + 220, "s \\$0-silent")
    p.obj("image", 600, W + 140, "route silent latent")
    p.msg("one", 640, W + 190, "1")
    p.obj("ssilent1", 640, W + 220, "s \\$0-silent")
    p.obj("psilent", 600, W + 260, "s isudt-see-silent")
    p.obj("unz", 760, W + 190, "unpack " + " ".join("f" * LATENT_SLIDERS))
    for k in range(LATENT_SLIDERS):
        p.obj(f"sz{k}", 760 + 80 * k, W + 240, f"s \\$0-z{k}")
    p.obj("svoice", 1010, W + 140, "route voice synth latent")
    p.obj("ustate", 1010, W + 190, "unpack f f f f s")
    p.msg("setlisten", 1010, W + 220, "set \\$1")
    p.obj("slisten", 1010, W + 250, "s isudt-see-listen")
    # cords
    p.chain("rlisten", "plisten", "send")
    p.c("recv", 5, "sub", 0)
    p.c("sub", 2, "sconn", 0)
    p.c("sub", 1, "rroute", 0)
    p.c("rroute", 0, "sq", 0)
    p.c("sq", 2, "quiet", 0); p.c("quiet", 0, "ssilent0", 0)
    p.c("sq", 1, "pub", 0)
    p.c("sq", 1, "unxy", 0); p.c("unxy", 0, "sx", 0); p.c("unxy", 1, "sy", 0)
    p.c("sq", 0, "expr", 0)
    p.c("expr", 0, "pack", 0); p.c("expr", 1, "pack", 1)
    p.chain("pack", "pos", "smarker")
    p.c("rroute", 1, "image", 0)
    p.c("image", 0, "one", 0); p.c("one", 0, "ssilent1", 0); p.c("image", 0, "psilent", 0)
    p.c("image", 1, "unz", 0)
    for k in range(LATENT_SLIDERS):
        p.c("unz", k, f"sz{k}", 0)
    p.c("rroute", 2, "svoice", 0)
    p.c("svoice", 3, "ustate", 0)     # the /state head (not /state/voice, /state/synth, /state/latent)
    p.c("ustate", 3, "setlisten", 0); p.c("setlisten", 0, "slisten", 0)
    return p


PATCHES = {
    "isudt_control.pd": control,
    "isudt_synth.pd": synth,
    "isudt_see.pd": see,
    "isudt_subscribe.pd": subscribe,
    "isudt_receive.pd": receive,
    "isudt_send.pd": send,
    "isudt_speedlim.pd": speedlim,
    "isudt_sine~.pd": sine,
    "isudt_fm~.pd": fm,
    "isudt_voice~.pd": voice,
}


def render_all() -> dict[str, str]:
    """File name -> the exact text this script writes."""
    return {name: make().render() for name, make in PATCHES.items()}


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else PD_DIR
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render_all().items():
        (out / name).write_text(text)
        print(out / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
