/* The linker-wrapped calls that an audio thread must never make (malloc, free,
 * locks, sleeps, printing), for the C test drivers built with
 * -Wl,--wrap=malloc,--wrap=free,... (tests/test_engine_c.py, test_jack_backend.py).
 *
 * Define FORBIDDEN_NOW() (an expression: is a forbidden call being made now?)
 * and a `forbidden` counter before including this; each wrapper counts when
 * FORBIDDEN_NOW() holds, then calls the real function.
 */
#ifndef ISUDT_TEST_FORBID_H
#define ISUDT_TEST_FORBID_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

#define FORBID(ret, name, params, args)                   \
    ret __real_##name params;                             \
    ret __wrap_##name params                              \
    {                                                     \
        if (FORBIDDEN_NOW())                              \
            forbidden++;                                  \
        return __real_##name args;                        \
    }

FORBID(void *, malloc, (size_t n), (n))
FORBID(void *, calloc, (size_t a, size_t b), (a, b))
FORBID(void *, realloc, (void *p, size_t n), (p, n))
FORBID(int, pthread_mutex_lock, (pthread_mutex_t *m), (m))
FORBID(int, nanosleep, (const struct timespec *a, struct timespec *b), (a, b))
FORBID(int, puts, (const char *s), (s))

void __real_free(void *p);
void __wrap_free(void *p)
{
    if (FORBIDDEN_NOW())
        forbidden++;
    __real_free(p);
}

#endif
