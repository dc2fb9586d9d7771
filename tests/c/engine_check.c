/* Drives daemon/engine.c directly for tests/test_engine_c.py, built with AddressSanitizer and UBSan.
 *
 * It plays random command schedules (sine and FM voices, kinds switched
 * while sounding, FM parameters far outside any sane range and non-finite
 * ones) through the PortAudio callback at many block sizes (longer than
 * max_block too), with duplex input, a full FIFO and every read-out function,
 * then frees the engine: ASan reports any invalid access or leak, UBSan any
 * undefined arithmetic. The linker wraps malloc, free, locks, sleeps and printing
 * for the engine's object code; while a callback runs, any such call aborts.
 */
#include "engine.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int in_callback = 0;
static long forbidden = 0;

#define FORBIDDEN_NOW() (in_callback)
#include "forbid.h"

static double uniform(double lo, double hi) { return lo + (hi - lo) * (rand() / (double)RAND_MAX); }

static double fm_value(double lo, double hi)     /* mostly in range; sometimes huge, NaN or infinite */
{
    switch (rand() % 16) {
    case 0:
        return NAN;
    case 1:
        return rand() % 2 ? INFINITY : -INFINITY;
    case 2:
        return uniform(-1e6, 1e6);
    default:
        return uniform(lo, hi);
    }
}

static void random_command(isudt_cmd *c, uint64_t seq)
{
    memset(c, 0, sizeof *c);
    c->seq = seq;
    c->kind = 1 + rand() % 5;                      /* 5: unknown kind, must be ignored */
    c->voice = rand() % 18 - 1;                    /* -1 and 16: out of range, must be ignored */
    c->a = c->kind == ISUDT_CMD_VOICE || c->kind == ISUDT_CMD_VOICE_FM ? uniform(0, 130) : uniform(0, 2);
    if (c->kind == ISUDT_CMD_VOICE_FM) {
        c->p[0] = fm_value(-7, 7);                 /* log2 ratio */
        c->p[1] = fm_value(-1, 120);               /* index */
    }
    c->b = uniform(0, 1.5);
    c->c = uniform(0, 2000);
    if (c->kind == ISUDT_CMD_PITCH_RAMP || c->kind == ISUDT_CMD_MASTER)
        c->b = c->kind == ISUDT_CMD_MASTER ? uniform(0, 3000) : c->b, c->a = uniform(0, 3000);
}

int main(void)
{
    srand(1234);
    isudt_config cfg = {48000, 16, 2, 2, 512, 0.891, 1.0 / 2400, 60, 1, 1440, 1440, 480, 0.45};
    isudt_config bad = cfg;
    bad.voices = ISUDT_MAX_VOICES + 1;
    isudt_config bad_alias = cfg;
    bad_alias.alias_limit = 0.0;
    if (isudt_engine_new(&bad) != NULL || isudt_engine_new(&bad_alias) != NULL || isudt_engine_new(NULL) != NULL) {
        puts("FAIL: a bad config was accepted");
        return 1;
    }
    isudt_engine *e = isudt_engine_new(&cfg);
    static float in[5000 * 2], out[5000 * 2];
    static float times[ISUDT_TIMING_RING], captured[ISUDT_INPUT_RING + 10];
    const unsigned long sizes[] = {1, 2, 63, 64, 128, 511, 512, 513, 1024, 4999};
    uint64_t seq = 0, pushed = 0;
    float peak = 0;
    int finite = 1;
    for (int round = 0; round < 400; round++) {
        for (int k = rand() % 40; k > 0; k--) {
            isudt_cmd c;
            random_command(&c, ++seq);
            pushed += (uint64_t)isudt_push(e, &c);
        }
        unsigned long n = sizes[round % 10];
        for (unsigned long i = 0; i < 2 * n; i++)
            in[i] = (float)uniform(-1, 1);
        in_callback = 1;
        isudt_pa_callback(round % 3 ? in : NULL, out, n, NULL, round % 7 == 0 ? 0x4 : 0, e);
        in_callback = 0;
        for (unsigned long i = 0; i < 2 * n; i++) {
            finite &= isfinite(out[i]) != 0;
            peak = out[i] > peak ? out[i] : (-out[i] > peak ? -out[i] : peak);
        }
    }
    /* Whatever the random commands did, every voice must still play: sane FM voices at a small total level
     * (16 x 0.01) give a small, finite output. A NaN phase would come out clipped to the threshold. */
    for (int v = 0; v < cfg.voices; v++) {
        isudt_cmd fm = {ISUDT_CMD_VOICE_FM, v, 48.0 + 2 * v, 0.01, 480, {1.0, 2.0, 0, 0}, ++seq};
        pushed += (uint64_t)isudt_push(e, &fm);
    }
    isudt_cmd unmute = {ISUDT_CMD_MASTER, 0, 1.0, 1.0, 0, {0, 0, 0, 0}, ++seq};
    isudt_cmd glide = {ISUDT_CMD_PITCH_RAMP, 0, 480.0, 0, 0, {0, 0, 0, 0}, ++seq};
    pushed += (uint64_t)isudt_push(e, &unmute) + (uint64_t)isudt_push(e, &glide);
    float settled = 0;
    for (int round = 0; round < 40; round++) {
        in_callback = 1;
        isudt_pa_callback(NULL, out, 512, NULL, 0, e);
        in_callback = 0;
        for (unsigned long i = 0; round >= 30 && i < 2 * 512; i++) {
            finite &= isfinite(out[i]) != 0;
            settled = out[i] > settled ? out[i] : (-out[i] > settled ? -out[i] : settled);
        }
    }
    isudt_cmd c;
    random_command(&c, ++seq);
    uint64_t filled = 0;
    while (isudt_push(e, &c))                      /* nothing consumes: the FIFO fills and says so */
        filled++;
    in_callback = 1;
    isudt_render(e, out, 128);                     /* drains it */
    in_callback = 0;
    isudt_stats s;
    isudt_get_stats(e, &s);
    int nt = isudt_callback_times(e, times, ISUDT_TIMING_RING);
    int64_t total = isudt_read_input(e, captured, ISUDT_INPUT_RING + 10);
    isudt_engine_free(e);
    isudt_engine_free(NULL);
    printf("blocks %llu applied %llu pushed %llu fifo %llu underruns %llu times %d input %lld peak %.4f settled %.4f "
           "finite %d forbidden %ld\n",
           (unsigned long long)s.blocks, (unsigned long long)s.applied, (unsigned long long)(pushed + filled),
           (unsigned long long)filled, (unsigned long long)s.underruns, nt, (long long)total, peak, settled, finite,
           forbidden);
    int ok = s.blocks == 441 && s.applied == pushed + filled && filled == ISUDT_QUEUE_SIZE && s.underruns == 58 &&
             nt == 440 && peak <= 0.891f && settled > 0.001f && settled <= 0.16f && finite && forbidden == 0;
    puts(ok ? "OK" : "FAIL");
    return ok ? 0 : 1;
}
