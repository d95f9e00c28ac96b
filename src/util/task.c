/* A function run beside the caller (see include/alchemiser/task.h). */
#include "alchemiser/task.h"

void alc_task_start(alc_task *t, void *(*fn)(void *), void *arg)
{
    t->threaded = pthread_create(&t->th, NULL, fn, arg) == 0;
    if (!t->threaded)
        (void)fn(arg);
}

void alc_task_join(alc_task *t)
{
    if (t->threaded)
        pthread_join(t->th, NULL);
    t->threaded = 0;
}
