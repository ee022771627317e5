/* Progress bar / periodic progress lines, and the SIGINT flag that makes work resumable. */
#include "emofuse/progress.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct ef_progress {
    pthread_mutex_t mu;
    char label[64];
    int64_t total, done;
    FILE *out;
    int tty;
    double start, last_print;
};

double ef_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

ef_progress *ef_progress_new(const char *label, int64_t total, FILE *out, int tty)
{
    ef_progress *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    pthread_mutex_init(&p->mu, NULL);
    snprintf(p->label, sizeof p->label, "%s", label);
    p->total = total;
    p->out = out;
    p->tty = tty < 0 ? (out && isatty(fileno(out))) : tty;
    p->start = p->last_print = ef_now();
    return p;
}

static void print_line(ef_progress *p, double now, int final)
{
    double el = now - p->start;
    double rate = el > 0 ? (double)p->done / el : 0;
    if (p->tty) {
        int width = 30, fill = p->total > 0 ? (int)(width * p->done / p->total) : 0;
        char bar[64];
        for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
        bar[width] = '\0';
        double eta = (rate > 0 && p->total > 0) ? (double)(p->total - p->done) / rate : 0;
        fprintf(p->out, "\r%s [%s] %lld/%lld %.1f/s eta %.0fs ", p->label, bar, (long long)p->done,
                (long long)p->total, rate, eta);
        if (final) fprintf(p->out, "\n");
    } else {
        fprintf(p->out, "%s: %lld/%lld done, %.1f/s, %.1fs elapsed%s\n", p->label, (long long)p->done,
                (long long)p->total, rate, el, final ? " (finished)" : "");
    }
    fflush(p->out);
}

void ef_progress_step(ef_progress *p, int64_t n)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->done += n;
    double now = ef_now();
    double interval = p->tty ? 0.1 : 10.0;
    if (p->out && now - p->last_print >= interval) {
        print_line(p, now, 0);
        p->last_print = now;
    }
    pthread_mutex_unlock(&p->mu);
}

void ef_progress_finish(ef_progress *p)
{
    if (!p) return;
    if (p->out) print_line(p, ef_now(), 1);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

static volatile sig_atomic_t interrupt_flag;

static void on_signal(int sig)
{
    if (interrupt_flag && sig == SIGINT) {
        signal(SIGINT, SIG_DFL);
        raise(SIGINT);
    }
    interrupt_flag = 1;
}

void ef_interrupt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool ef_interrupted(void) { return interrupt_flag != 0; }
void ef_interrupt_request(void) { interrupt_flag = 1; }
void ef_interrupt_clear(void) { interrupt_flag = 0; }
