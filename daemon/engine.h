/* isudt audio engine: the synth that runs on the audio thread.
 *
 * One engine = up to ISUDT_MAX_VOICES phase-continuous voices, each a sine or
 * a two-operator FM voice (daemon/synths.py defines both), with every
 * parameter gliding per sample (pitch in MIDI units, the FM ratio in log2
 * units, the FM index linearly), level ramps, a master gain (which also
 * carries mute and the shutdown fade) and a limiter on the peak bound of the mix.
 *
 * A voice's kind is the command that last set it: ISUDT_CMD_VOICE makes it a
 * sine, ISUDT_CMD_VOICE_FM an FM voice. A sine is an FM voice at index 0, so
 * switching kinds never jumps: the index glides (to 0, or from 0) like every
 * other parameter, and a voice whose index rests at 0 is rendered by the
 * plain sine path (the same arithmetic as before FM existed, bit for bit).
 *
 * Alias guard (the rule of daemon/synths.guard_index): per sample, on the
 * glided values, the FM index played is lowered so that the highest sideband
 * Carson's rule counts stays at or below alias_limit * samplerate:
 *     fc * (1 + (index + 1) * ratio) <= alias_limit * samplerate, index >= 0.
 *
 * Threads: exactly one producer (the Python control side, serialised by a
 * lock there) pushes commands; exactly one consumer (PortAudio's callback, or
 * an offline/null-clock renderer, never both at once) applies them at the start
 * of each block. The render path allocates nothing, takes no lock, logs nothing
 * and never waits. Everything else (new/free) is for the control side.
 *
 * This header is also the CFFI cdef (daemon/engine_build.py): plain C only,
 * no macros other than integer constants.
 */
#ifndef ISUDT_ENGINE_H
#define ISUDT_ENGINE_H

#include <stdint.h>

#define ISUDT_MAX_VOICES 64
#define ISUDT_MAX_CHANNELS 32
#define ISUDT_QUEUE_SIZE 8192      /* commands; a power of two */
#define ISUDT_TIMING_RING 4096     /* callback durations kept for percentiles; a power of two */
#define ISUDT_INPUT_RING 131072    /* captured mono input samples (2.7 s at 48 kHz); a power of two */

/* What a command sets. Each one carries the whole new target of one thing, so
 * applying the queue in order gives the same targets as the control side has. */
enum isudt_cmd_kind {
    ISUDT_CMD_VOICE = 1,       /* sine voice: a = MIDI pitch, b = linear amplitude, c = level ramp (samples);
                                  its FM index goes to 0 (its ratio is kept) */
    ISUDT_CMD_MASTER = 2,      /* a = linear master gain, b = ramp (samples), voice = 1 if shutdown fade */
    ISUDT_CMD_PITCH_RAMP = 3,  /* a = glide (samples) of pitch, ratio and index, for ramps that start later */
    ISUDT_CMD_VOICE_FM = 4     /* FM voice: a, b, c as ISUDT_CMD_VOICE; p[0] = log2(ratio) (clamped to +-16),
                                  p[1] = index (negative: 0); refused unless both are finite */
};

typedef struct {
    int32_t kind;
    int32_t voice;
    double a;
    double b;
    double c;
    double p[4];               /* a voice's timbre (see the kinds); fixed size, so a command never allocates */
    uint64_t seq;              /* the producer's running number; the engine reports the last applied */
} isudt_cmd;

typedef struct {
    double samplerate;
    int32_t voices;            /* 1..ISUDT_MAX_VOICES */
    int32_t channels;          /* output channels, 1..ISUDT_MAX_CHANNELS (mono mix copied to each) */
    int32_t in_channels;       /* input channels of a duplex stream (0: output only) */
    int32_t max_block;         /* longer blocks are rendered in pieces of this size */
    double limiter_threshold;  /* linear, <= 1 */
    double limiter_release;    /* gain recovery per sample (full scale per release time) */
    double start_pitch;        /* MIDI pitch of every voice before its first command */
    double start_master;       /* linear master gain at start (no ramp) */
    double start_master_ramp;  /* samples, for the first master change */
    double start_amp_ramp;     /* samples, for each voice's first level change */
    double start_pitch_ramp;   /* samples */
    double alias_limit;        /* FM alias guard ceiling, a fraction of samplerate (0, 0.5]: synths.ALIAS_LIMIT */
} isudt_config;

typedef struct {
    uint64_t blocks;           /* callbacks (or offline render calls) */
    uint64_t frames;
    uint64_t underruns;        /* PortAudio output underflow flags seen */
    uint64_t input_overflows;  /* PortAudio input overflow flags seen */
    uint64_t applied;          /* commands applied */
    uint64_t last_seq;         /* seq of the last command applied */
    uint64_t input_written;    /* mono input samples captured so far */
    int64_t last_callback_ns;  /* CLOCK_MONOTONIC at the end of the last block */
    double max_callback_us;
    double limiter_gain;       /* linear, after the last block */
    double master;             /* current master gain, linear */
    int32_t faded_out;         /* 1 once a shutdown fade reached silence */
    int32_t active_voices;     /* voices whose level is not 0 */
} isudt_stats;

typedef struct isudt_engine isudt_engine;

/* Control side. */
isudt_engine *isudt_engine_new(const isudt_config *cfg);   /* NULL on a bad config or no memory */
void isudt_engine_free(isudt_engine *engine);
int isudt_push(isudt_engine *engine, const isudt_cmd *cmd); /* 1: queued; 0: queue full (nothing changed) */
void isudt_get_stats(const isudt_engine *engine, isudt_stats *out);
int isudt_callback_times(const isudt_engine *engine, float *out_us, int max); /* newest durations, count */
int64_t isudt_read_input(const isudt_engine *engine, float *out, int n);       /* last n samples; total written */
int isudt_lock_memory(void);                                /* mlockall; 0 or errno */

/* Audio side. */
void isudt_render(isudt_engine *engine, float *out, unsigned long frames);   /* interleaved float32 */
int isudt_pa_callback(const void *input, void *output, unsigned long frames,
                      const void *time_info, unsigned long status_flags, void *engine);

#endif
