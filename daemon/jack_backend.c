/* isudt native JACK backend: see jack_backend.h for the contract and the why. */
#define _GNU_SOURCE
#include "jack_backend.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The few JACK types and constants used here, declared by hand rather than taken
 * from <jack/jack.h>: the module must build where the JACK headers are not
 * installed (libjack is dlopen()ed at run time, see jack_backend.h). They are
 * JACK's stable C ABI (jack/types.h; the same in JACK1 and JACK2). */
typedef uint32_t jack_nframes_t;
typedef struct jack_client_s jack_client_t;   /* opaque */
typedef struct jack_port_s jack_port_t;       /* opaque */
enum {
    JACK_NO_START_SERVER = 0x01,  /* JackNoStartServer */
    JACK_PORT_IS_INPUT = 0x1,     /* JackPortIsInput */
    JACK_PORT_IS_OUTPUT = 0x2,    /* JackPortIsOutput */
    JACK_FAILURE = 0x01,          /* JackFailure */
    JACK_SERVER_FAILED = 0x10,    /* JackServerFailed: could not connect to the server */
    JACK_NAME_NOT_UNIQUE = 0x04,  /* JackNameNotUnique */
};
#define JACK_AUDIO_TYPE "32 bit float mono audio"   /* JACK_DEFAULT_AUDIO_TYPE */

#define PA_INPUT_OVERFLOW 0x2u    /* the flags engine.c's callback counts (PortAudio's values) */
#define PA_OUTPUT_UNDERFLOW 0x4u

typedef int (*process_fn)(jack_nframes_t, void *);
typedef int (*xrun_fn)(void *);
typedef void (*info_shutdown_fn)(int, const char *, void *);

static struct {
    jack_client_t *(*client_open)(const char *, int, int *, ...);
    int (*client_close)(jack_client_t *);
    char *(*get_client_name)(jack_client_t *);
    jack_port_t *(*port_register)(jack_client_t *, const char *, const char *, unsigned long, unsigned long);
    void *(*port_get_buffer)(jack_port_t *, jack_nframes_t);
    const char *(*port_name)(const jack_port_t *);
    int (*set_process_callback)(jack_client_t *, process_fn, void *);
    int (*set_xrun_callback)(jack_client_t *, xrun_fn, void *);
    void (*on_info_shutdown)(jack_client_t *, info_shutdown_fn, void *);
    int (*activate)(jack_client_t *);
    int (*deactivate)(jack_client_t *);
    const char **(*get_ports)(jack_client_t *, const char *, const char *, unsigned long);
    int (*connect)(jack_client_t *, const char *, const char *);
    void (*free)(void *);
    jack_nframes_t (*get_sample_rate)(jack_client_t *);
    jack_nframes_t (*get_buffer_size)(jack_client_t *);
    int (*is_realtime)(jack_client_t *);
    int (*client_real_time_priority)(jack_client_t *);
} jk;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[256];

struct isudt_jack {
    isudt_engine *engine;
    jack_client_t *client;
    int out_channels, in_channels;
    jack_port_t *out_ports[ISUDT_JACK_MAX_PORTS];
    jack_port_t *in_ports[ISUDT_JACK_MAX_PORTS];
    float *out_buf;            /* ISUDT_JACK_CHUNK x out_channels, interleaved (the engine's layout) */
    float *in_buf;             /* ISUDT_JACK_CHUNK x in_channels, or NULL */
    uint64_t xruns_seen;       /* process thread only */
    char name[128];
    int connected_out, connected_in;
    _Atomic uint64_t cycles, xruns;
    _Atomic int32_t shutdown, active;
};

static void say(char *err, int err_len, const char *fmt, ...)
{
    if (err == NULL || err_len <= 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, (size_t)err_len, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ loading */

static void load(void)
{
    void *h = dlopen("libjack.so.0", RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        snprintf(load_error, sizeof load_error, "cannot load libjack.so.0 (%s)", dlerror());
        return;
    }
    struct { void **slot; const char *name; } syms[] = {
        {(void **)&jk.client_open, "jack_client_open"},
        {(void **)&jk.client_close, "jack_client_close"},
        {(void **)&jk.get_client_name, "jack_get_client_name"},
        {(void **)&jk.port_register, "jack_port_register"},
        {(void **)&jk.port_get_buffer, "jack_port_get_buffer"},
        {(void **)&jk.port_name, "jack_port_name"},
        {(void **)&jk.set_process_callback, "jack_set_process_callback"},
        {(void **)&jk.set_xrun_callback, "jack_set_xrun_callback"},
        {(void **)&jk.on_info_shutdown, "jack_on_info_shutdown"},
        {(void **)&jk.activate, "jack_activate"},
        {(void **)&jk.deactivate, "jack_deactivate"},
        {(void **)&jk.get_ports, "jack_get_ports"},
        {(void **)&jk.connect, "jack_connect"},
        {(void **)&jk.free, "jack_free"},
        {(void **)&jk.get_sample_rate, "jack_get_sample_rate"},
        {(void **)&jk.get_buffer_size, "jack_get_buffer_size"},
        {(void **)&jk.is_realtime, "jack_is_realtime"},
        {(void **)&jk.client_real_time_priority, "jack_client_real_time_priority"},
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        *syms[i].slot = dlsym(h, syms[i].name);
        if (*syms[i].slot == NULL) {
            snprintf(load_error, sizeof load_error, "libjack.so.0 has no %s", syms[i].name);
            memset(&jk, 0, sizeof jk);
            return;    /* the handle stays open: harmless, and loading is tried once per process */
        }
    }
}

int isudt_jack_load(char *err, int err_len)
{
    pthread_once(&load_once, load);
    if (jk.client_open == NULL) {
        say(err, err_len, "%s", load_error);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ audio side */

/* libjack's realtime thread, once per period: the engine's callback on the port buffers.
 * Interleaving happens here because the engine's callback takes PortAudio's layout. */
static int process(jack_nframes_t frames, void *arg)
{
    isudt_jack *j = arg;
    const int oc = j->out_channels, ic = j->in_channels;
    float *outs[ISUDT_JACK_MAX_PORTS];
    const float *ins[ISUDT_JACK_MAX_PORTS];
    for (int c = 0; c < oc; c++)
        outs[c] = jk.port_get_buffer(j->out_ports[c], frames);
    for (int c = 0; c < ic; c++)
        ins[c] = jk.port_get_buffer(j->in_ports[c], frames);
    unsigned long flags = 0;
    uint64_t x = atomic_load_explicit(&j->xruns, memory_order_relaxed);
    if (x != j->xruns_seen) {     /* as PortAudio does: one underflow (and overflow) flag for the xruns since */
        j->xruns_seen = x;
        flags = PA_OUTPUT_UNDERFLOW | (ic > 0 ? PA_INPUT_OVERFLOW : 0u);
    }
    for (jack_nframes_t start = 0; start < frames; start += ISUDT_JACK_CHUNK) {
        jack_nframes_t n = frames - start < ISUDT_JACK_CHUNK ? frames - start : ISUDT_JACK_CHUNK;
        for (jack_nframes_t k = 0; k < n; k++)
            for (int c = 0; c < ic; c++)
                j->in_buf[k * (unsigned)ic + (unsigned)c] = ins[c][start + k];
        isudt_pa_callback(ic > 0 ? j->in_buf : NULL, j->out_buf, n, NULL, flags, j->engine);
        flags = 0;
        for (int c = 0; c < oc; c++)
            for (jack_nframes_t k = 0; k < n; k++)
                outs[c][start + k] = j->out_buf[k * (unsigned)oc + (unsigned)c];
    }
    atomic_fetch_add_explicit(&j->cycles, 1, memory_order_relaxed);
    return 0;
}

static int on_xrun(void *arg)           /* libjack's notification thread */
{
    isudt_jack *j = arg;
    atomic_fetch_add_explicit(&j->xruns, 1, memory_order_relaxed);
    return 0;
}

static void on_shutdown(int code, const char *reason, void *arg)   /* libjack's notification thread */
{
    (void)code;
    (void)reason;
    isudt_jack *j = arg;
    atomic_store_explicit(&j->shutdown, 1, memory_order_release);
    atomic_store_explicit(&j->active, 0, memory_order_release);
}

/* ------------------------------------------------------------------ control side */

static void describe_status(char *err, int err_len, const char *client_name, int status)
{
    if (status & JACK_SERVER_FAILED)
        say(err, err_len, "cannot connect to the JACK server (is jackd running? status 0x%x)", (unsigned)status);
    else
        say(err, err_len, "JACK refused the client %s (status 0x%x)", client_name, (unsigned)status);
}

/* Ports PREFIX_1 .. PREFIX_n of one direction; 0 (with the reason in err) when JACK refuses one. */
static int register_ports(isudt_jack *j, jack_port_t **ports, int n, const char *prefix, unsigned long flags,
                          char *err, int err_len)
{
    char port[32];
    for (int c = 0; c < n; c++) {
        snprintf(port, sizeof port, "%s_%d", prefix, c + 1);
        ports[c] = jk.port_register(j->client, port, JACK_AUDIO_TYPE, flags, 0);
        if (ports[c] == NULL) {
            say(err, err_len, "JACK refused the port %s:%s", j->name, port);
            return 0;
        }
    }
    return 1;
}

isudt_jack *isudt_jack_open(isudt_engine *engine, const char *client_name, int out_channels, int in_channels,
                            char *err, int err_len)
{
    if (isudt_jack_load(err, err_len) != 0)
        return NULL;
    if (engine == NULL || client_name == NULL || out_channels < 1 || out_channels > ISUDT_JACK_MAX_PORTS ||
        in_channels < 0 || in_channels > ISUDT_JACK_MAX_PORTS) {
        say(err, err_len, "bad arguments: %d output and %d input channels (1..%d and 0..%d)", out_channels,
            in_channels, ISUDT_JACK_MAX_PORTS, ISUDT_JACK_MAX_PORTS);
        return NULL;
    }
    isudt_jack *j = calloc(1, sizeof *j);
    if (j == NULL) {
        say(err, err_len, "out of memory");
        return NULL;
    }
    j->engine = engine;
    j->out_channels = out_channels;
    j->in_channels = in_channels;
    j->out_buf = calloc((size_t)ISUDT_JACK_CHUNK * (size_t)out_channels, sizeof(float));
    j->in_buf = in_channels > 0 ? calloc((size_t)ISUDT_JACK_CHUNK * (size_t)in_channels, sizeof(float)) : NULL;
    if (j->out_buf == NULL || (in_channels > 0 && j->in_buf == NULL)) {
        say(err, err_len, "out of memory");
        isudt_jack_close(j);
        return NULL;
    }
    int status = 0;
    j->client = jk.client_open(client_name, JACK_NO_START_SERVER, &status);
    if (j->client == NULL) {
        describe_status(err, err_len, client_name, status);
        isudt_jack_close(j);
        return NULL;
    }
    snprintf(j->name, sizeof j->name, "%s", jk.get_client_name(j->client));
    if (!register_ports(j, j->out_ports, out_channels, "out", JACK_PORT_IS_OUTPUT, err, err_len) ||
        !register_ports(j, j->in_ports, in_channels, "in", JACK_PORT_IS_INPUT, err, err_len)) {
        isudt_jack_close(j);
        return NULL;
    }
    if (jk.set_process_callback(j->client, process, j) != 0 || jk.set_xrun_callback(j->client, on_xrun, j) != 0) {
        say(err, err_len, "JACK refused the callbacks of %s", j->name);
        isudt_jack_close(j);
        return NULL;
    }
    jk.on_info_shutdown(j->client, on_shutdown, j);
    return j;
}

/* Connect our ports to the ports matching `regex` with `flags` (JACK's order), pairwise. */
static int connect_matching(isudt_jack *j, const char *regex, unsigned long flags, int ours_are_outputs)
{
    if (regex == NULL || regex[0] == '\0')
        return 0;
    const char **ports = jk.get_ports(j->client, regex, JACK_AUDIO_TYPE, flags);
    if (ports == NULL)
        return 0;
    int n = ours_are_outputs ? j->out_channels : j->in_channels, done = 0;
    for (int c = 0; c < n && ports[c] != NULL; c++) {
        const char *mine = jk.port_name(ours_are_outputs ? j->out_ports[c] : j->in_ports[c]);
        int rc = ours_are_outputs ? jk.connect(j->client, mine, ports[c]) : jk.connect(j->client, ports[c], mine);
        done += rc == 0 || rc == 17;   /* 17 = EEXIST: already connected */
    }
    jk.free(ports);
    return done;
}

int isudt_jack_start(isudt_jack *j, const char *playback_regex, const char *capture_regex, char *err, int err_len)
{
    if (j == NULL || j->client == NULL) {
        say(err, err_len, "no JACK client");
        return -1;
    }
    if (jk.activate(j->client) != 0) {
        say(err, err_len, "JACK could not activate the client %s", j->name);
        return -1;
    }
    atomic_store_explicit(&j->active, 1, memory_order_release);
    j->connected_out = connect_matching(j, playback_regex, JACK_PORT_IS_INPUT, 1);
    j->connected_in = connect_matching(j, capture_regex, JACK_PORT_IS_OUTPUT, 0);
    return 0;
}

int isudt_jack_name(const isudt_jack *j, char *out, int out_len)
{
    if (j == NULL || out == NULL || out_len <= 0)
        return -1;
    snprintf(out, (size_t)out_len, "%s", j->name);
    return 0;
}

void isudt_jack_get_stats(const isudt_jack *j, isudt_jack_stats *s)
{
    memset(s, 0, sizeof *s);
    if (j == NULL)
        return;
    s->cycles = atomic_load_explicit(&j->cycles, memory_order_relaxed);
    s->xruns = atomic_load_explicit(&j->xruns, memory_order_relaxed);
    s->shutdown = atomic_load_explicit(&j->shutdown, memory_order_acquire);
    s->active = atomic_load_explicit(&j->active, memory_order_acquire);
    s->connected_out = j->connected_out;
    s->connected_in = j->connected_in;
    s->rt_priority = -1;
    if (j->client != NULL && !s->shutdown) {   /* these ask the client's shared state, not the server */
        s->realtime = jk.is_realtime(j->client);
        s->rt_priority = s->realtime ? jk.client_real_time_priority(j->client) : -1;
        s->samplerate = jk.get_sample_rate(j->client);
        s->buffer_size = jk.get_buffer_size(j->client);
    }
}

void isudt_jack_close(isudt_jack *j)
{
    if (j == NULL)
        return;
    if (j->client != NULL) {
        if (!atomic_load_explicit(&j->shutdown, memory_order_acquire) &&
            atomic_load_explicit(&j->active, memory_order_acquire))
            jk.deactivate(j->client);
        atomic_store_explicit(&j->active, 0, memory_order_release);
        jk.client_close(j->client);   /* after a shutdown too: it frees the client's memory */
    }
    free(j->out_buf);
    free(j->in_buf);
    free(j);
}
