/* A function run beside the caller: on a thread of its own when one can be
 * had, else at once on the caller's thread.  For work that must be done
 * either way (an output file, releasing memory), where the thread only
 * buys overlap with what the caller does meanwhile.
 *
 * Ownership: fn's argument stays the caller's; it must outlive the join. */
#ifndef ALCHEMISER_TASK_H
#define ALCHEMISER_TASK_H

#include <pthread.h>

typedef struct alc_task {
    pthread_t th;
    int threaded; /* 1 until joined, when fn runs on th */
} alc_task;

/* Starts fn(arg); when no thread can be created, runs it before returning. */
void alc_task_start(alc_task *t, void *(*fn)(void *), void *arg);
/* Waits for fn to return (at once when it ran inline or was joined). */
void alc_task_join(alc_task *t);

#endif
