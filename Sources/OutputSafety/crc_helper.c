// A second thread for zlib's CRC-32, so that a zip writer's checksum costs
// no time on its critical path: the helper computes the CRC of a piece
// while the caller writes that piece (or computes the CRC of another part),
// and zlib's crc32_combine joins the parts.
#include "output_safety.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <zlib.h>

struct rk_crc_helper {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    const void *data;
    size_t size;
    unsigned int crc;
    int pending;  // a piece was given and its CRC is not computed yet
    int stopping;
};

static void *helper_main(void *context) {
    rk_crc_helper *helper = context;
    pthread_mutex_lock(&helper->lock);
    for (;;) {
        while (!helper->pending && !helper->stopping) pthread_cond_wait(&helper->changed, &helper->lock);
        if (!helper->pending) break;
        const void *data = helper->data;
        size_t size = helper->size;
        pthread_mutex_unlock(&helper->lock);
        unsigned int crc = rk_crc32(0, data, size);
        pthread_mutex_lock(&helper->lock);
        helper->crc = crc;
        helper->pending = 0;
        pthread_cond_broadcast(&helper->changed);
    }
    pthread_mutex_unlock(&helper->lock);
    return NULL;
}

rk_crc_helper *rk_crc_helper_start(void) {
    rk_crc_helper *helper = calloc(1, sizeof *helper);
    if (!helper) return NULL;
    pthread_mutex_init(&helper->lock, NULL);
    pthread_cond_init(&helper->changed, NULL);
    // The helper takes no signals: rk_output_install's handlers run on the writer's threads.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    int started = pthread_create(&helper->thread, NULL, helper_main, helper);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (started != 0) {
        pthread_cond_destroy(&helper->changed);
        pthread_mutex_destroy(&helper->lock);
        free(helper);
        return NULL;
    }
    return helper;
}

void rk_crc_helper_begin(rk_crc_helper *helper, const void *data, size_t size) {
    pthread_mutex_lock(&helper->lock);
    while (helper->pending) pthread_cond_wait(&helper->changed, &helper->lock);
    helper->data = data;
    helper->size = size;
    helper->pending = 1;
    pthread_cond_broadcast(&helper->changed);
    pthread_mutex_unlock(&helper->lock);
}

unsigned int rk_crc_helper_end(rk_crc_helper *helper) {
    pthread_mutex_lock(&helper->lock);
    while (helper->pending) pthread_cond_wait(&helper->changed, &helper->lock);
    unsigned int crc = helper->crc;
    pthread_mutex_unlock(&helper->lock);
    return crc;
}

void rk_crc_helper_stop(rk_crc_helper *helper) {
    if (!helper) return;
    pthread_mutex_lock(&helper->lock);
    helper->stopping = 1;
    pthread_cond_broadcast(&helper->changed);
    pthread_mutex_unlock(&helper->lock);
    pthread_join(helper->thread, NULL);
    pthread_cond_destroy(&helper->changed);
    pthread_mutex_destroy(&helper->lock);
    free(helper);
}

unsigned int rk_crc32_parallel(rk_crc_helper *helper, unsigned int crc, const void *data, size_t size) {
    if (!helper || size < (256u << 10)) return rk_crc32(crc, data, size);
    size_t first = size / 2;
    rk_crc_helper_begin(helper, data, first);
    unsigned int second = rk_crc32(0, (const unsigned char *)data + first, size - first);
    unsigned int head = rk_crc_helper_end(helper);
    return rk_crc32_combine(rk_crc32_combine(crc, head, first), second, size - first);
}

unsigned int rk_crc32_combine(unsigned int first, unsigned int second, unsigned long long second_size) {
    return (unsigned int)crc32_combine(first, second, (z_off_t)second_size);
}
