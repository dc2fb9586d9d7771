"""The ranges and defaults of the daemon's controls, in one place.

OSC validation (messages.py) clamps into them, the engine (engine.py) clamps
into them again for its other callers, the config (config.py) refuses values
outside them, and `isudt render` (render.py) checks its flags against them:
one definition, so that what a config accepts is what the engine plays and
what `/gain` clamps to. Pure constants; the bundle's own ranges (latent
boxes, square positions) come from its manifest instead.
"""
from __future__ import annotations

# (lowest, highest), both included
GAIN_DB = (-120.0, 24.0)          # master gain: /gain, synth.gain_db, Engine.set_gain
GLIDE_MS = (0.0, 10000.0)         # pitch and level glide: /glide, synth.glide_ms, Engine.set_glide
VOICES = (1, 64)                  # synth.voices, --voices; 64 is the C engine's ISUDT_MAX_VOICES (engine.h)
SAMPLERATE = (8000, 384000)       # audio.samplerate, --samplerate (Hz)
BLOCKSIZE = (16, 4096)            # audio.blocksize, --blocksize (frames)
CHANNELS = (1, 32)                # audio.channels, --channels

SILENT_DB = -120.0                # a voice level at or below this is silence (the engine's floor)

DEFAULT_SAMPLERATE = 48000
DEFAULT_BLOCKSIZE = 128
DEFAULT_VOICES = 16
DEFAULT_GLIDE_MS = 10.0           # like the published Max patch's 10 ms ramps
DEFAULT_GAIN_DB = 0.0
