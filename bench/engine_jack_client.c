/* The daemon's audio path without the daemon: the C engine on the native JACK backend in a plain C process.
 *
 *     engine_jack_client NAME VOICES SECONDS        (JACK_DEFAULT_SERVER names the server)
 *
 * bench/bench_native_jack.py builds it (gcc, daemon/engine.c + daemon/jack_backend.c) and runs it as one more
 * client beside the daemon and jack_metro: the same engine work per cycle (VOICES FM voices sounding) in
 * a process with no Python, no other threads of its own and nothing else to do. If it is late as often as
 * the daemon, the cost is the work per cycle; if as rarely as jack_metro, it is the daemon's process.
 */
#include "jack_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s NAME VOICES SECONDS\n", argv[0]);
        return 2;
    }
    int voices = atoi(argv[2]);
    double seconds = atof(argv[3]);
    isudt_config cfg = {.samplerate = 48000, .voices = voices, .channels = 2, .in_channels = 0, .max_block = 4096,
                        .limiter_threshold = 0.891, .limiter_release = 1.0 / 2400, .start_pitch = 60,
                        .start_master = 1.0, .start_master_ramp = 480, .start_amp_ramp = 480,
                        .start_pitch_ramp = 480, .alias_limit = 0.45};
    isudt_engine *e = isudt_engine_new(&cfg);
    if (e == NULL) {
        fprintf(stderr, "engine: bad config\n");
        return 1;
    }
    for (int v = 0; v < voices; v++) {   /* FM voices sounding, as the daemon's digits-fm voices */
        isudt_cmd c = {.kind = ISUDT_CMD_VOICE_FM, .voice = v, .a = 48 + 2 * v, .b = 0.05, .c = 480,
                       .p = {0.3 + 0.05 * v, 1.0 + 0.2 * v}, .seq = (uint64_t)v + 1};
        isudt_push(e, &c);
    }
    char err[512];
    isudt_jack *j = isudt_jack_open(e, argv[1], 2, 0, err, sizeof err);
    if (j == NULL || isudt_jack_start(j, "^system:", NULL, err, sizeof err) != 0) {
        fprintf(stderr, "jack: %s\n", err);
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
    isudt_jack_close(j);
    isudt_engine_free(e);
    return 0;
}
