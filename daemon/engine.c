/* isudt audio engine: see engine.h for the contract, docs/architecture.md for the why.
 *
 * The arithmetic mirrors the numpy reference synth (tests/support/reference_synth.py)
 * operation for operation, so that both agree to 1e-6 sample for sample:
 * ramps are cur + step * min(k + 1, left), pitch is converted with
 * exp2(pitch / 12 + offset) (while gliding, as a geometric step: exp_ramp),
 * the phase is a running sum wrapped once per block,
 * voices are summed in voice order, and the limiter's gain follows
 * g[k] = min(thr / bound[k], g[k-1] + release).
 *
 * FM voices: the modulator's increment is the carrier's times exp2(log2 ratio),
 * the alias guard is evaluated per sample on the glided values
 * (index <= (limit / carrier increment - 1) / ratio - 1, and >= 0), and the
 * sample is sin(2 pi carrier phase + index * sin(2 pi modulator phase)). The
 * modulator's phase moves on only in blocks the voice renders as FM (index
 * not resting at 0); a sine voice renders exactly as before FM existed.
 *
 * sin() is the callback's main cost (16 FM voices: 4,096 calls a block), so the
 * engine evaluates sin(2 pi c) itself (sin_cycles: an exact reduction to a
 * quarter period, then the Taylor series to y^13, error < 1e-9 against libm):
 * about half the time of glibc's sin, far inside the 1e-6 agreement.
 */
#define _GNU_SOURCE
#include "engine.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PA_INPUT_OVERFLOW 0x2u    /* PortAudio's paInputOverflow */
#define PA_OUTPUT_UNDERFLOW 0x4u  /* PortAudio's paOutputUnderflow */
#define TWO_PI 6.283185307179586
#define LRATIO_MAX 16.0            /* |log2 ratio| the engine accepts: beyond, the modulator's phase overflows */

/* sin(2 pi c) for any c of moderate size (|c| < 2^51). Why not libm's sin:
 * glibc's is exact to the last bit and costs ~2x this on the audio thread,
 * where 1e-9 is plenty (the reference synth agrees to 1e-6). The reduction is
 * exact in double: c minus its nearest integer (round-to-nearest by the
 * 1.5 * 2^52 trick, branch-free) lies in [-0.5, 0.5]; sin(pi - y) = sin(y)
 * folds it into [-0.25, 0.25] cycles, where the Taylor series to y^13
 * (|y| <= pi/2) is within (pi/2)^15 / 15! < 7e-10. */
static inline double sin_cycles(double c)
{
    const double magic = 6755399441055744.0;
    double t = c - ((c + magic) - magic);
    double a = fabs(t);
    t = a > 0.25 ? copysign(0.5 - a, t) : t;
    double y = t * TWO_PI, y2 = y * y;
    return y * (1.0 + y2 * (-1.0 / 6.0 + y2 * (1.0 / 120.0 + y2 * (-1.0 / 5040.0 + y2 * (1.0 / 362880.0
           + y2 * (-1.0 / 39916800.0 + y2 * (1.0 / 6227020800.0)))))));
}

typedef struct {           /* a linear ramp that holds at its goal */
    double cur, goal, step, left;
} ramp;

struct isudt_engine {
    isudt_config cfg;
    double incr_offset;    /* MIDI / 12 + this = log2(cycles per sample) */
    /* targets, as the control side set them (changed only by commands) */
    double t_pitch[ISUDT_MAX_VOICES], t_amp[ISUDT_MAX_VOICES], t_amp_ramp[ISUDT_MAX_VOICES];
    double t_lratio[ISUDT_MAX_VOICES], t_index[ISUDT_MAX_VOICES];   /* FM: log2(ratio), index (0: a sine) */
    double t_pitch_ramp, t_master, t_master_ramp;
    int t_fading;
    /* render state */
    double phase[ISUDT_MAX_VOICES], mphase[ISUDT_MAX_VOICES];        /* carrier, modulator (cycles) */
    ramp pitch[ISUDT_MAX_VOICES], amp[ISUDT_MAX_VOICES], master;
    ramp lratio[ISUDT_MAX_VOICES], index[ISUDT_MAX_VOICES];
    double limiter_gain;
    /* work buffers, max_block long */
    double *mix, *bound, *master_buf;
    /* command FIFO: the producer owns tail, the consumer owns head */
    isudt_cmd queue[ISUDT_QUEUE_SIZE];
    _Atomic uint64_t head, tail;
    /* counters the control side reads */
    _Atomic uint64_t blocks, frames, underruns, input_overflows, applied, last_seq, input_written;
    _Atomic int64_t last_callback_ns;
    _Atomic uint64_t timing_count;
    _Atomic float timings_us[ISUDT_TIMING_RING];
    _Atomic double max_callback_us, stat_limiter_gain, stat_master;
    _Atomic int32_t faded_out, active_voices;
    /* captured input (mono), written by the callback only */
    float input[ISUDT_INPUT_RING];
};

static const memory_order relaxed = memory_order_relaxed;

/* ------------------------------------------------------------------ control side */

static int config_ok(const isudt_config *c)
{
    return c->samplerate > 0 && c->voices >= 1 && c->voices <= ISUDT_MAX_VOICES && c->channels >= 1 &&
           c->channels <= ISUDT_MAX_CHANNELS && c->in_channels >= 0 && c->in_channels <= ISUDT_MAX_CHANNELS &&
           c->max_block >= 1 && c->limiter_threshold > 0 && c->limiter_threshold <= 1 &&
           c->limiter_release > 0 && c->start_master_ramp >= 1 && c->start_amp_ramp >= 1 &&
           c->start_pitch_ramp >= 1 && c->alias_limit > 0 && c->alias_limit <= 0.5;
}

isudt_engine *isudt_engine_new(const isudt_config *cfg)
{
    if (cfg == NULL || !config_ok(cfg))
        return NULL;
    isudt_engine *e = calloc(1, sizeof *e);
    if (e == NULL)
        return NULL;
    e->cfg = *cfg;
    size_t n = (size_t)cfg->max_block;
    e->mix = calloc(n, sizeof(double));
    e->bound = calloc(n, sizeof(double));
    e->master_buf = calloc(n, sizeof(double));
    if (e->mix == NULL || e->bound == NULL || e->master_buf == NULL) {
        isudt_engine_free(e);
        return NULL;
    }
    e->incr_offset = log2(440.0 / cfg->samplerate) - 69.0 / 12.0;
    for (int v = 0; v < cfg->voices; v++) {
        e->t_pitch[v] = cfg->start_pitch;
        e->t_amp_ramp[v] = cfg->start_amp_ramp;
        e->pitch[v] = (ramp){cfg->start_pitch, cfg->start_pitch, 0, 0};
    }
    e->t_pitch_ramp = cfg->start_pitch_ramp;
    e->t_master = cfg->start_master;
    e->t_master_ramp = cfg->start_master_ramp;
    e->master = (ramp){cfg->start_master, cfg->start_master, 0, 0};
    e->limiter_gain = 1.0;
    atomic_store(&e->stat_limiter_gain, 1.0);
    atomic_store(&e->stat_master, cfg->start_master);
    return e;
}

void isudt_engine_free(isudt_engine *e)
{
    if (e == NULL)
        return;
    free(e->mix);
    free(e->bound);
    free(e->master_buf);
    free(e);
}

int isudt_push(isudt_engine *e, const isudt_cmd *cmd)
{
    uint64_t tail = atomic_load_explicit(&e->tail, relaxed);
    uint64_t head = atomic_load_explicit(&e->head, memory_order_acquire);
    if (tail - head >= ISUDT_QUEUE_SIZE)
        return 0;
    e->queue[tail & (ISUDT_QUEUE_SIZE - 1)] = *cmd;
    atomic_store_explicit(&e->tail, tail + 1, memory_order_release);
    return 1;
}

void isudt_get_stats(const isudt_engine *e, isudt_stats *s)
{
    s->blocks = atomic_load_explicit(&e->blocks, relaxed);
    s->frames = atomic_load_explicit(&e->frames, relaxed);
    s->underruns = atomic_load_explicit(&e->underruns, relaxed);
    s->input_overflows = atomic_load_explicit(&e->input_overflows, relaxed);
    s->applied = atomic_load_explicit(&e->applied, memory_order_acquire);
    s->last_seq = atomic_load_explicit(&e->last_seq, relaxed);
    s->input_written = atomic_load_explicit(&e->input_written, relaxed);
    s->last_callback_ns = atomic_load_explicit(&e->last_callback_ns, relaxed);
    s->max_callback_us = atomic_load_explicit(&e->max_callback_us, relaxed);
    s->limiter_gain = atomic_load_explicit(&e->stat_limiter_gain, relaxed);
    s->master = atomic_load_explicit(&e->stat_master, relaxed);
    s->faded_out = atomic_load_explicit(&e->faded_out, relaxed);
    s->active_voices = atomic_load_explicit(&e->active_voices, relaxed);
}

int isudt_callback_times(const isudt_engine *e, float *out_us, int max)
{
    uint64_t count = atomic_load_explicit(&e->timing_count, memory_order_acquire);
    uint64_t n = count < ISUDT_TIMING_RING ? count : ISUDT_TIMING_RING;
    if (max < 0)
        max = 0;
    if (n > (uint64_t)max)
        n = (uint64_t)max;
    for (uint64_t i = 0; i < n; i++)   /* newest first */
        out_us[i] = atomic_load_explicit(&e->timings_us[(count - 1 - i) & (ISUDT_TIMING_RING - 1)], relaxed);
    return (int)n;
}

int64_t isudt_read_input(const isudt_engine *e, float *out, int n)
{
    /* A reader that falls more than the ring behind gets overwritten samples: it
     * asks for the newest n (n <= ISUDT_INPUT_RING / 2 keeps a margin) and the
     * total tells it how many are new since its last read. */
    uint64_t total = atomic_load_explicit(&e->input_written, memory_order_acquire);
    if (n > ISUDT_INPUT_RING)
        n = ISUDT_INPUT_RING;
    for (int i = 0; i < n; i++) {
        int64_t idx = (int64_t)total - n + i;
        out[i] = idx < 0 ? 0.0f : e->input[(uint64_t)idx & (ISUDT_INPUT_RING - 1)];
    }
    return (int64_t)total;
}

int isudt_lock_memory(void)
{
    return mlockall(MCL_CURRENT | MCL_FUTURE) == 0 ? 0 : errno;
}

/* ------------------------------------------------------------------ audio side */

static void apply(isudt_engine *e, const isudt_cmd *c)
{
    switch (c->kind) {
    case ISUDT_CMD_VOICE:
        if (c->voice >= 0 && c->voice < e->cfg.voices && c->c >= 1) {
            e->t_pitch[c->voice] = c->a;
            e->t_amp[c->voice] = c->b;
            e->t_amp_ramp[c->voice] = c->c;
            e->t_index[c->voice] = 0.0;
        }
        break;
    case ISUDT_CMD_VOICE_FM:
        if (c->voice >= 0 && c->voice < e->cfg.voices && c->c >= 1 && isfinite(c->p[0]) && isfinite(c->p[1])) {
            e->t_pitch[c->voice] = c->a;
            e->t_amp[c->voice] = c->b;
            e->t_amp_ramp[c->voice] = c->c;
            e->t_lratio[c->voice] = c->p[0] < -LRATIO_MAX ? -LRATIO_MAX : (c->p[0] > LRATIO_MAX ? LRATIO_MAX : c->p[0]);
            e->t_index[c->voice] = c->p[1] > 0.0 ? c->p[1] : 0.0;
        }
        break;
    case ISUDT_CMD_MASTER:
        if (c->b >= 1) {
            e->t_master = c->a;
            e->t_master_ramp = c->b;
            e->t_fading = c->voice != 0;
        }
        break;
    case ISUDT_CMD_PITCH_RAMP:
        if (c->a >= 1)
            e->t_pitch_ramp = c->a;
        break;
    default:
        break;
    }
}

static void drain_queue(isudt_engine *e)
{
    uint64_t head = atomic_load_explicit(&e->head, relaxed);
    uint64_t tail = atomic_load_explicit(&e->tail, memory_order_acquire);
    if (head == tail)
        return;
    uint64_t first = head, seq = 0;
    for (; head != tail; head++) {
        const isudt_cmd *c = &e->queue[head & (ISUDT_QUEUE_SIZE - 1)];
        apply(e, c);
        seq = c->seq;
    }
    atomic_store_explicit(&e->head, head, memory_order_release);
    atomic_store_explicit(&e->last_seq, seq, relaxed);
    atomic_fetch_add_explicit(&e->applied, tail - first, memory_order_release);
}

static void start_ramp(ramp *r, double target, double length)
{
    if (target != r->goal) {
        r->step = (target - r->cur) / length;
        r->left = length;
        r->goal = target;
    }
}

static void advance_ramp(ramp *r, double n)
{
    double t = r->left < n ? r->left : n;
    r->cur += r->step * t;
    r->left -= t;
    if (r->left <= 0.0)
        r->cur = r->goal;
}

static inline double ramp_at(const ramp *r, double k1)   /* value at sample k (k1 = k + 1) */
{
    return r->left <= 0.0 ? r->cur : r->cur + r->step * (k1 < r->left ? k1 : r->left);
}

static void jump(ramp *r, double target)
{
    r->cur = r->goal = target;
    r->left = 0.0;
}

static void retarget(isudt_engine *e)
{
    for (int v = 0; v < e->cfg.voices; v++) {
        if (e->amp[v].cur == 0.0 && e->amp[v].left == 0.0) {   /* silent: take the new pitch and timbre at once */
            jump(&e->pitch[v], e->t_pitch[v]);
            jump(&e->lratio[v], e->t_lratio[v]);
            jump(&e->index[v], e->t_index[v]);
        }
        start_ramp(&e->pitch[v], e->t_pitch[v], e->t_pitch_ramp);
        start_ramp(&e->lratio[v], e->t_lratio[v], e->t_pitch_ramp);
        start_ramp(&e->index[v], e->t_index[v], e->t_pitch_ramp);
        start_ramp(&e->amp[v], e->t_amp[v], e->t_amp_ramp[v]);
    }
    if (e->t_master != e->master.goal) {
        e->master.goal = e->t_master;
        e->master.left = e->t_master_ramp;
        e->master.step = (e->t_master - e->master.cur) / e->t_master_ramp;
    }
}

/* The alias guard on one sample's values: the index played (incr = carrier cycles per sample). */
static inline double guard_index(double incr, double ratio, double index, double limit)
{
    double ceiling = (limit / incr - 1.0) / ratio - 1.0;
    double g = index < ceiling ? index : ceiling;
    return g > 0.0 ? g : 0.0;
}

/* exp2(scale * ramp + offset) sample by sample, without an exp2 per sample:
 * while the ramp moves, its value is the previous one times exp2(scale *
 * step) (exp2 of a linear ramp is geometric); once it has arrived, the
 * arrival value, computed once. Why: two exp2 per sample per gliding FM voice
 * were a third of the callback; the product drifts from exp2 by about one ulp
 * per sample (< 1e-13 in a block, recomputed exactly at each block's start). */
typedef struct {
    double value, mul, end, left;
} exp_ramp;

static inline exp_ramp exp_ramp_start(const ramp *r, double scale, double offset)
{
    exp_ramp g = {exp2(r->cur * scale + offset), 1.0, 0.0, r->left};
    if (r->left > 0.0) {
        g.mul = exp2(r->step * scale);
        g.end = exp2((r->cur + r->step * r->left) * scale + offset);
    }
    return g;
}

static inline double exp_ramp_at(exp_ramp *g, double k1)   /* call for k1 = 1, 2, ... in turn */
{
    if (g->left > 0.0)
        g->value = k1 < g->left ? g->value * g->mul : g->end;
    return g->value;
}

/* One FM voice into mix and bound; moves both phases on. Whatever does not
 * glide in this block is computed once (the same value ramp_at would give). */
static void render_fm(isudt_engine *e, int v, int n)
{
    const ramp *p = &e->pitch[v], *a = &e->amp[v], *r = &e->lratio[v], *x = &e->index[v];
    const double limit = e->cfg.alias_limit;
    double acc = e->phase[v], macc = e->mphase[v];
    int glide_p = p->left > 0.0, glide_r = r->left > 0.0, gliding = glide_p || glide_r || x->left > 0.0;
    exp_ramp pg = exp_ramp_start(p, 1.0 / 12.0, e->incr_offset), rg = exp_ramp_start(r, 1.0, 0.0);
    double incr = pg.value, ratio = rg.value;
    double index = guard_index(incr, ratio, x->cur, limit);
    double mincr = incr * ratio;
    int silent = a->left <= 0.0 && a->cur == 0.0;
    for (int k = 0; k < n; k++) {
        if (gliding) {
            if (glide_p)
                incr = exp_ramp_at(&pg, k + 1.0);
            if (glide_r)
                ratio = exp_ramp_at(&rg, k + 1.0);
            index = guard_index(incr, ratio, ramp_at(x, k + 1.0), limit);
            mincr = incr * ratio;
        }
        acc += incr;
        macc += mincr;
        if (!silent) {
            double level = ramp_at(a, k + 1.0);
            e->mix[k] += sin_cycles(acc + index * (1.0 / TWO_PI) * sin_cycles(macc)) * level;
            e->bound[k] += level;
        }
    }
    e->phase[v] = fmod(acc, 1.0);
    e->mphase[v] = fmod(macc, 1.0);
}

/* One voice into mix (sine * level) and bound (level); moves its phase on. */
static void render_voice(isudt_engine *e, int v, int n)
{
    if (!(e->index[v].left <= 0.0 && e->index[v].cur == 0.0)) {
        render_fm(e, v, n);
        return;
    }
    const ramp *p = &e->pitch[v], *a = &e->amp[v];
    double acc = e->phase[v];
    int constant_pitch = p->left <= 0.0;
    exp_ramp pg = exp_ramp_start(p, 1.0 / 12.0, e->incr_offset);
    double incr = pg.value;
    int silent = a->left <= 0.0 && a->cur == 0.0;
    for (int k = 0; k < n; k++) {
        if (!constant_pitch)
            incr = exp_ramp_at(&pg, k + 1.0);
        acc += incr;
        if (!silent) {
            double level = ramp_at(a, k + 1.0);
            e->mix[k] += sin_cycles(acc) * level;
            e->bound[k] += level;
        }
    }
    e->phase[v] = fmod(acc, 1.0);
}

static void render_block(isudt_engine *e, float *out, int n)
{
    const int channels = e->cfg.channels;
    const double thr = e->cfg.limiter_threshold, rel = e->cfg.limiter_release;
    const float thr32 = (float)thr;
    retarget(e);
    memset(e->mix, 0, (size_t)n * sizeof(double));
    memset(e->bound, 0, (size_t)n * sizeof(double));
    for (int v = 0; v < e->cfg.voices; v++)
        render_voice(e, v, n);
    double g = e->limiter_gain;
    for (int k = 0; k < n; k++) {
        double m = ramp_at(&e->master, k + 1.0);
        double bound = e->bound[k] * m;
        double required = thr / (bound > thr ? bound : thr);
        g = g + rel < required ? g + rel : required;
        float y = (float)(e->mix[k] * m * g);
        y = y < thr32 ? y : thr32;
        y = y > -thr32 ? y : -thr32;
        for (int c = 0; c < channels; c++)
            out[k * channels + c] = y;
    }
    e->limiter_gain = g;
    int active = 0;
    for (int v = 0; v < e->cfg.voices; v++) {
        advance_ramp(&e->pitch[v], n);
        advance_ramp(&e->lratio[v], n);
        advance_ramp(&e->index[v], n);
        advance_ramp(&e->amp[v], n);
        active += e->amp[v].cur != 0.0;
    }
    advance_ramp(&e->master, n);
    e->master.left = e->master.left > 0.0 ? e->master.left : 0.0;
    if (e->t_fading && e->master.left == 0.0 && e->master.cur == 0.0)
        atomic_store_explicit(&e->faded_out, 1, relaxed);
    atomic_store_explicit(&e->active_voices, active, relaxed);
}

void isudt_render(isudt_engine *e, float *out, unsigned long frames)
{
    drain_queue(e);
    unsigned long mb = (unsigned long)e->cfg.max_block;
    for (unsigned long start = 0; start < frames; start += mb) {
        unsigned long n = frames - start < mb ? frames - start : mb;
        render_block(e, out + start * (unsigned long)e->cfg.channels, (int)n);
    }
    atomic_store_explicit(&e->stat_limiter_gain, e->limiter_gain, relaxed);
    atomic_store_explicit(&e->stat_master, e->master.cur, relaxed);
    atomic_fetch_add_explicit(&e->blocks, 1, relaxed);
    atomic_fetch_add_explicit(&e->frames, frames, relaxed);
}

static void capture(isudt_engine *e, const float *in, unsigned long frames)
{
    const int ch = e->cfg.in_channels;
    uint64_t w = atomic_load_explicit(&e->input_written, relaxed);
    for (unsigned long k = 0; k < frames; k++) {
        float s = 0.0f;
        for (int c = 0; c < ch; c++)
            s += in[k * (unsigned long)ch + (unsigned long)c];
        e->input[(w + k) & (ISUDT_INPUT_RING - 1)] = s / (float)ch;
    }
    atomic_store_explicit(&e->input_written, w + frames, memory_order_release);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int isudt_pa_callback(const void *input, void *output, unsigned long frames,
                      const void *time_info, unsigned long status_flags, void *userdata)
{
    (void)time_info;
    isudt_engine *e = userdata;
    int64_t t0 = now_ns();
    if (status_flags & PA_OUTPUT_UNDERFLOW)
        atomic_fetch_add_explicit(&e->underruns, 1, relaxed);
    if (status_flags & PA_INPUT_OVERFLOW)
        atomic_fetch_add_explicit(&e->input_overflows, 1, relaxed);
    if (input != NULL && e->cfg.in_channels > 0)
        capture(e, input, frames);
    if (output != NULL)
        isudt_render(e, output, frames);
    int64_t t1 = now_ns();
    float us = (float)((double)(t1 - t0) / 1000.0);
    uint64_t i = atomic_load_explicit(&e->timing_count, relaxed);
    atomic_store_explicit(&e->timings_us[i & (ISUDT_TIMING_RING - 1)], us, relaxed);
    atomic_store_explicit(&e->timing_count, i + 1, memory_order_release);
    if (us > atomic_load_explicit(&e->max_callback_us, relaxed))
        atomic_store_explicit(&e->max_callback_us, us, relaxed);
    atomic_store_explicit(&e->last_callback_ns, t1, relaxed);
    return 0;   /* paContinue */
}
