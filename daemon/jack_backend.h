/* isudt native JACK backend: the engine as a JACK client of its own (libjack directly, as scsynth and Pd do).
 *
 * Why: through PortAudio's JACK host API every cycle also runs PortAudio's
 * buffer processor and its per-cycle bookkeeping (latency queries, its own
 * locking on stream state) before the engine's callback; this backend's
 * process callback calls the engine's callback (isudt_pa_callback, engine.c)
 * on the port buffers and nothing else: no allocation, no lock, no log, no
 * wait, no Python. bench/bench_native_jack.py compares the two.
 *
 * libjack is loaded with dlopen("libjack.so.0") at run time (isudt_jack_load),
 * never linked: the extension builds without JACK headers and loads without
 * libjack; only this backend needs it (AudioOutput falls back to PortAudio).
 *
 * Threads: open/start/close/stats are for the control side (one caller at a
 * time: AudioOutput serialises them). libjack calls the process callback on
 * its realtime thread and the xrun/shutdown callbacks on its notification
 * thread; those only touch atomics.
 *
 * This header is also part of the CFFI cdef (daemon/engine_build.py): plain C,
 * no macros other than integer constants.
 */
#ifndef ISUDT_JACK_BACKEND_H
#define ISUDT_JACK_BACKEND_H

#include <stdint.h>

#include "engine.h"

#define ISUDT_JACK_MAX_PORTS 32       /* = ISUDT_MAX_CHANNELS: output (and input) ports at most */
#define ISUDT_JACK_CHUNK 1024         /* frames the engine renders per call; a longer JACK period is split */

typedef struct isudt_jack isudt_jack;

typedef struct {
    uint64_t cycles;           /* process callbacks run */
    uint64_t xruns;            /* xrun notifications from the server (any client's, as PortAudio counts them) */
    int32_t shutdown;          /* 1 once the server shut this client down or went away */
    int32_t active;            /* 1 between a successful isudt_jack_start and close/shutdown */
    int32_t realtime;          /* the server runs realtime (jack_is_realtime) */
    int32_t rt_priority;       /* the process thread's SCHED_FIFO priority, -1 when not realtime */
    uint32_t samplerate;       /* the server's */
    uint32_t buffer_size;      /* the server's period, frames */
    int32_t connected_out;     /* output ports connected to the playback client's ports by start */
    int32_t connected_in;      /* input ports connected from the capture client's ports by start */
} isudt_jack_stats;

/* 0 once libjack.so.0 is loaded (loaded once per process); -1 and why in err otherwise. */
int isudt_jack_load(char *err, int err_len);

/* A client named client_name (JACK adds -01, -02 ... when the name is taken), with
 * out_channels output ports out_1..out_N and in_channels input ports in_1..in_N,
 * its process callback playing `engine` (whose config must have the same channels).
 * Not activated yet. NULL and why in err on failure (no server: the server's status). */
isudt_jack *isudt_jack_open(isudt_engine *engine, const char *client_name, int out_channels, int in_channels,
                            char *err, int err_len);

/* Activate, then connect out_i to the i-th input port whose full name matches playback_regex
 * and the i-th output port matching capture_regex to in_i (NULL or "": no connection); ports
 * in JACK's order, as PortAudio connects them. 0, or -1 and why in err. */
int isudt_jack_start(isudt_jack *jack, const char *playback_regex, const char *capture_regex, char *err, int err_len);

/* The client's name as the server knows it (the one asked for, or with -01 ...). */
int isudt_jack_name(const isudt_jack *jack, char *out, int out_len);

void isudt_jack_get_stats(const isudt_jack *jack, isudt_jack_stats *out);

/* Deactivate and close the client (also after a shutdown), free everything; NULL is fine. */
void isudt_jack_close(isudt_jack *jack);

#endif
