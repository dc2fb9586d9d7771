"""daemon/status.py: /status.reply's pairs from typed snapshots (names, order and wire types are the contract)."""
from __future__ import annotations

from isudt.daemon.osc_codec import decode_message, encode_message
from isudt.daemon.status import AudioStats, ListenStatus, StatusReport, audio_pairs, flatten, status_pairs

NAMES = ("version model_id provider device audio_state audio_ok samplerate blocksize voices received handled "
         "coalesced errors dropped pending clamped errors_unreplied datagrams overflowed replies_failed table_hits "
         "subscribers subscribers_refused table_filled inference_p50_ms inference_p99_ms latency_p50_ms "
         "latency_p99_ms underruns audio_callbacks audio_errors audio_retries audio_recoverable callback_us_p50 "
         "callback_us_p99 callback_us_max block_us gain_db muted glide_ms active_voices limiter_gain_db reloads "
         "uptime_s way_back listening input_device input_level_db analyses silent_frames silences listen_stale "
         "listen_failed analysis_p50_ms analysis_p99_ms image_p50_ms image_p99_ms "
         "synth synth_params synth_units warm_passes").split()   # synth's, then warm_passes: added at the end
# the OSC type tags of those values, as a live daemon (null device) sent them before status.py (s, i: int32, f: float32)
TAGS = "sssssiiiiiiiiiiiiiiiiiiiffffiiiiifffffifififiisfiiiiiffff" + "sss" + "i"


def report(audio: AudioStats, subscribers: tuple[str, ...] = ()) -> StatusReport:
    synth = {"gain_db": -3.0, "muted": False, "glide_ms": 10.0, "limiter_gain_db": -0.123456,
             "voices": [{"active": True}, {"active": False}]}
    listen = ListenStatus(way_back=True, listening=False, input_device=None, input_level_db=-120.0, analyses=0,
                          silent_frames=0, silences=0, stale=0, failed=0, analysis_ms=[0.0, 0.0], image_ms=[1.23456, 2.0])
    return StatusReport(version="0.1.0", model_id="m", provider="cpu", device="null", audio_state="null",
                        audio_ok=True, samplerate=48000, blocksize=128, voices=8, received=3, handled=2, coalesced=0,
                        errors=1, dropped=0, pending=0, clamped=0, errors_unreplied=0, datagrams=3, overflowed=0,
                        replies_failed=0, table_hits=0, subscribers=len(subscribers), subscribers_refused=0,
                        table_filled=0, inference_ms=[0.5, 1.0], latency_ms=[0.7, 1.5], audio=audio, synth=synth,
                        reloads=0, uptime_s=12.345, listen=listen, subscriber_addresses=subscribers)


def test_names_order_and_wire_types() -> None:
    pairs = status_pairs(report(AudioStats(underruns=2, callbacks=10, callback_us_p50=31.26, block_us=2666.666)))
    assert [k for k, _ in pairs] == NAMES
    data = encode_message("/status.reply", flatten(pairs))
    tags = data[data.index(b",", 16):].split(b"\0", 1)[0].decode()
    assert tags == "," + "".join("s" + t for t in TAGS)
    values = dict(pairs)
    assert values["callback_us_p50"] == 31.3 and values["block_us"] == 2666.7 and values["uptime_s"] == 12.3
    assert values["active_voices"] == 1 and values["limiter_gain_db"] == -0.12 and values["input_device"] == "none"
    assert decode_message(data)[1][0::2] == NAMES
    assert (values["synth"], values["synth_params"], values["synth_units"]) == ("sine", "pitch,db", "MIDI,dB")


def test_the_synth_pairs_name_an_fm_bundles_parameters_and_units() -> None:
    from dataclasses import replace

    fm = (("pitch", "MIDI"), ("ratio", "x carrier"), ("index", ""))
    pairs = status_pairs(replace(report(AudioStats(), subscribers=("127.0.0.1:9000",)), synth_kind="fm",
                                 synth_params=fm))
    names = [k for k, _ in pairs]
    assert names[names.index("image_p99_ms") + 1:] == ["synth", "synth_params", "synth_units", "warm_passes",
                                                          "subscriber"]
    values = dict(pairs)
    assert (values["synth"], values["synth_params"], values["synth_units"]) == ("fm", "pitch,ratio,index",
                                                                                "MIDI,x carrier,")


def test_an_audio_side_that_cannot_say_reports_zeros_and_no_warning() -> None:
    assert audio_pairs(AudioStats()) == [("underruns", 0), ("audio_callbacks", 0), ("audio_errors", 0),
                                         ("audio_retries", 0), ("audio_recoverable", 1), ("callback_us_p50", 0.0),
                                         ("callback_us_p99", 0.0), ("callback_us_max", 0.0), ("block_us", 0.0)]


def test_a_warning_and_subscribers_come_last_in_their_sections() -> None:
    pairs = status_pairs(report(AudioStats(warning="x" * 300), subscribers=("127.0.0.1:9000",)))
    names = [k for k, _ in pairs]
    assert names[names.index("block_us") + 1] == "audio_warning" and len(dict(pairs)["audio_warning"]) == 200
    assert pairs[-1] == ("subscriber", "127.0.0.1:9000")


# --- /state/latent: the bundle's latent sizes, for clients that send latents (the Pd and Max control patches) ---

def _snap() -> dict:
    return {"gain_db": 0.0, "glide_ms": 10.0, "muted": False,
            "voices": [{"active": False, "pitch": 60.0, "db": None} for _ in range(2)]}


def test_state_latent_follows_the_synth_in_full_and_again_when_the_sizes_change() -> None:
    from isudt.daemon.status import DaemonState, state_messages

    sine = ("sine", (("pitch", "MIDI"), ("db", "dB")))
    fm = ("fm", (("pitch", "MIDI"), ("ratio", "x carrier"), ("index", "")))
    a = DaemonState.from_snapshot(_snap(), listening=False, model_id="m1", synth=sine, latent=(2, 2))
    full = state_messages(a)
    assert [m for m, _ in full] == ["/state", "/state/synth", "/state/latent", "/state/voice", "/state/voice"]
    assert full[2] == ("/state/latent", [2, 2])
    data = encode_message(*full[2])                 # two int32s on the wire: what Pd's [route] and Max's unpack read
    assert data[data.index(b","):].split(b"\0", 1)[0] == b",ii" and decode_message(data) == ("/state/latent", [2, 2])
    assert state_messages(a, since=a) == []
    b = DaemonState.from_snapshot(_snap(), listening=False, model_id="m2", synth=fm, latent=(3, 3))
    assert state_messages(b, since=a)[1:] == [("/state/synth", ["fm", 3, "pitch", "MIDI", "ratio", "x carrier",
                                                                "index", ""]), ("/state/latent", [3, 3])]
    # another model of the same sizes: no /state/latent; sizes that differ per side keep their order
    c = DaemonState.from_snapshot(_snap(), listening=False, model_id="m3", synth=fm, latent=(3, 3))
    assert [m for m, _ in state_messages(c, since=b)] == ["/state"]
    d = DaemonState.from_snapshot(_snap(), listening=False, model_id="m3", synth=fm, latent=(4, 3))
    assert state_messages(d, since=c) == [("/state/latent", [4, 3])]


def test_a_state_without_latent_sizes_sends_no_state_latent() -> None:
    from isudt.daemon.status import DaemonState, state_messages

    a = DaemonState.from_snapshot(_snap(), listening=False, model_id="m1")
    assert "/state/latent" not in [m for m, _ in state_messages(a)]


def test_state_latent_is_a_reply_never_a_request() -> None:
    from isudt.daemon.messages import REPLY_ADDRESSES

    assert "/state/latent" in REPLY_ADDRESSES
