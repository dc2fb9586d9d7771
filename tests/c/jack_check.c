/* Drives daemon/jack_backend.c against a real jackd for tests/test_jack_backend.py, built with ASan + UBSan.
 *
 * The server is the test's private jackd (JACK_DEFAULT_SERVER in the
 * environment). It checks the refusals (bad channel counts; no server under
 * another name), then opens a duplex client on an engine with 8 FM voices
 * sounding, starts it connected to system:playback_* and from system:capture_*,
 * lets jackd run it for about a second, and closes it: ASan reports any invalid
 * access or leak, UBSan any undefined arithmetic. The linker wraps malloc,
 * free, locks, sleeps and printing for the backend's and the engine's object
 * code: any such call made on a thread other than main (libjack's realtime
 * thread running the process callback, or its notification thread running the
 * xrun/shutdown callbacks) is counted as forbidden.
 *
 * Prints one line of counters, then OK or FAILED.
 */
#include "jack_backend.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_t main_thread;
static _Atomic long forbidden = 0;

static int off_main(void) { return !pthread_equal(pthread_self(), main_thread); }

#define FORBIDDEN_NOW() (off_main())
#include "forbid.h"

static void wait_ms(long ms)   /* on main: not counted, and the wrapped nanosleep is the real one */
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int main(void)
{
    main_thread = pthread_self();
    char err[512] = "";
    int ok = 1;
    if (isudt_jack_load(err, sizeof err) != 0) {
        printf("libjack: %s\nFAILED\n", err);
        return 1;
    }
    isudt_config cfg = {.samplerate = 48000, .voices = 8, .channels = 2, .in_channels = 1, .max_block = 256,
                        .limiter_threshold = 0.891, .limiter_release = 1.0 / 2400, .start_pitch = 60,
                        .start_master = 1.0, .start_master_ramp = 480, .start_amp_ramp = 480,
                        .start_pitch_ramp = 480, .alias_limit = 0.45};
    isudt_engine *e = isudt_engine_new(&cfg);
    if (e == NULL) {
        printf("engine: NULL\nFAILED\n");
        return 1;
    }
    /* refusals: bad channel counts, and a server that is not there */
    ok &= isudt_jack_open(e, "isudt-check", 0, 0, err, sizeof err) == NULL && strstr(err, "bad arguments") != NULL;
    ok &= isudt_jack_open(e, "isudt-check", 2, ISUDT_JACK_MAX_PORTS + 1, err, sizeof err) == NULL;
    const char *server = getenv("JACK_DEFAULT_SERVER");
    setenv("JACK_DEFAULT_SERVER", "isudt-no-such-server", 1);
    isudt_jack *none = isudt_jack_open(e, "isudt-check", 2, 0, err, sizeof err);
    int refused_no_server = none == NULL && strstr(err, "cannot connect to the JACK server") != NULL;
    printf("no server: %s\n", err);
    ok &= refused_no_server;
    if (server != NULL)
        setenv("JACK_DEFAULT_SERVER", server, 1);
    else
        unsetenv("JACK_DEFAULT_SERVER");

    for (int v = 0; v < cfg.voices; v++) {   /* FM voices sounding, gliding */
        isudt_cmd c = {.kind = ISUDT_CMD_VOICE_FM, .voice = v, .a = 48 + 3 * v, .b = 0.1, .c = 240,
                       .p = {0.5 + 0.1 * v, 2.0 + v}, .seq = (uint64_t)v + 1};
        isudt_push(e, &c);
    }
    isudt_jack *j = isudt_jack_open(e, "isudt-check", 2, 1, err, sizeof err);
    if (j == NULL) {
        printf("open: %s\nFAILED\n", err);
        isudt_engine_free(e);
        return 1;
    }
    char name[128];
    isudt_jack_name(j, name, sizeof name);
    if (isudt_jack_start(j, "^system:", "^system:", err, sizeof err) != 0) {
        printf("start: %s\nFAILED\n", err);
        ok = 0;
    }
    for (int i = 0; i < 50; i++) {           /* about a second of cycles, with commands arriving */
        isudt_cmd c = {.kind = ISUDT_CMD_VOICE_FM, .voice = i % cfg.voices, .a = 50 + i % 24, .b = 0.1, .c = 240,
                       .p = {0.25 * (i % 7), 0.5 * (i % 9)}, .seq = 100 + (uint64_t)i};
        isudt_push(e, &c);
        wait_ms(20);
    }
    isudt_jack_stats s;
    isudt_jack_get_stats(j, &s);
    isudt_stats es;
    isudt_get_stats(e, &es);
    printf("client %s cycles %llu xruns %llu active %d shutdown %d realtime %d rt_priority %d rate %u period %u "
           "connected out %d in %d engine blocks %llu frames %llu applied %llu input %llu forbidden %ld\n",
           name, (unsigned long long)s.cycles, (unsigned long long)s.xruns, s.active, s.shutdown, s.realtime,
           s.rt_priority, s.samplerate, s.buffer_size, s.connected_out, s.connected_in,
           (unsigned long long)es.blocks, (unsigned long long)es.frames, (unsigned long long)es.applied,
           (unsigned long long)es.input_written, (long)forbidden);
    ok &= s.cycles > 100 && s.active == 1 && s.shutdown == 0 && s.samplerate == 48000 && s.connected_out == 2 &&
          s.connected_in == 1 && es.blocks >= s.cycles && es.input_written > 0 && es.applied == 8 + 50 &&
          es.active_voices == cfg.voices;
    isudt_jack_close(j);
    isudt_jack_close(NULL);
    long during = (long)forbidden;
    isudt_engine_free(e);
    ok &= during == 0;
    printf("%s\n", ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
