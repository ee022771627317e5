/* Tokenizer throughput: encode N sentences (one per line of a file, or N generated
 * IEMOCAP-like utterances) with [CLS]/[SEP], R repetitions, and report the best time per
 * pass, sentences/s and MB/s, plus a checksum of all ids (compare with
 * bench/tokenizer_python.py, which run_tokenizer.sh times side by side).
 * usage: bench_tokenizer VOCAB [SENTENCES_FILE|-] [N] [R]   ("-" = generate N sentences;
 * with EMOFUSE_BENCH_DUMP=FILE the sentences are also written to FILE) */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime, getline, strdup when built by hand */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emofuse/rng.h"
#include "emofuse/tokenizer.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Words and punctuation in the style of IEMOCAP transcripts. */
static const char *const pieces[] = {
    "I",     "you",   "don't", "know", "what", "we're", "going", "to",   "do",    "Oh",     "my",    "God",
    "that's", "amazing", "really", "Well,", "I", "guess", "it's", "fine.", "Yeah.", "No!",  "Why?", "because",
    "[LAUGHTER]", "[BREATHING]", "Excuse", "me,", "is", "this", "the", "line", "for", "the", "license?", "Okay.",
    "I'm",   "so",    "happy", "for",  "you!",  "Married!", "Can", "you", "believe", "it?", "Hmm.", "unbelievable",
    "café",  "naïve", "...",   "--",   "uh",   "um", "whatever", "seriously?", "Look,", "it", "doesn't", "matter",
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_tokenizer VOCAB [SENTENCES_FILE|-] [N] [R]\n");
        return 2;
    }
    const char *src = argc > 2 ? argv[2] : "-";
    long n = argc > 3 ? atol(argv[3]) : 5000, reps = argc > 4 ? atol(argv[4]) : 20;
    if (n < 1 || reps < 1) return 2;
    ef_error err = {0};
    ef_vocab *v = NULL;
    ef_tokenizer *t = NULL;
    if (ef_vocab_load(&v, argv[1], &err) || ef_tokenizer_create(&t, v, &err)) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    char **sent = calloc((size_t)n, sizeof *sent);
    size_t *len = calloc((size_t)n, sizeof *len);
    long count = 0;
    if (strcmp(src, "-") == 0) {
        ef_rng rng;
        ef_rng_seed(&rng, 42);
        const size_t np = sizeof pieces / sizeof pieces[0];
        for (; count < n; count++) {
            char buf[512];
            size_t k = 0, words = 3 + ef_rng_below(&rng, 18);
            for (size_t w = 0; w < words; w++) {
                const char *p = pieces[ef_rng_below(&rng, np)];
                k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", w ? " " : "", p);
            }
            sent[count] = strdup(buf);
            len[count] = k;
        }
    } else {
        FILE *f = fopen(src, "rb");
        if (!f) {
            perror(src);
            return 1;
        }
        char *line = NULL;
        size_t cap = 0;
        ssize_t r;
        while (count < n && (r = getline(&line, &cap, f)) >= 0) {
            if (r && line[r - 1] == '\n') line[--r] = '\0';
            sent[count] = strdup(line);
            len[count++] = (size_t)r;
        }
        free(line);
        fclose(f);
    }
    size_t bytes = 0;
    for (long i = 0; i < count; i++) bytes += len[i];
    /* EMOFUSE_BENCH_DUMP=FILE: also write the sentences, for the Python side of the bench. */
    const char *dump = getenv("EMOFUSE_BENCH_DUMP");
    if (dump) {
        FILE *f = fopen(dump, "wb");
        if (!f) {
            perror(dump);
            return 1;
        }
        for (long i = 0; i < count; i++) fprintf(f, "%s\n", sent[i]);
        if (fclose(f) != 0) return 1;
    }

    ef_token_ids ids = {0};
    double best = 1e30;
    uint64_t checksum = 0, ntok = 0;
    for (long r = 0; r < reps; r++) {
        double t0 = now();
        uint64_t sum = 0, nt = 0;
        for (long i = 0; i < count; i++) {
            if (ef_tokenizer_encode(t, sent[i], len[i], EF_TOKENIZE_ADD_SPECIAL, &ids, &err)) {
                fprintf(stderr, "error: %s\n", err.msg);
                return 1;
            }
            for (size_t k = 0; k < ids.count; k++) sum = sum * 1000003u + (uint64_t)ids.id[k];
            nt += ids.count;
        }
        double dt = now() - t0;
        if (dt < best) best = dt;
        checksum = sum;
        ntok = nt;
    }
    printf("sentences %ld  bytes %zu  tokens %llu  checksum %016llx\n", count, bytes, (unsigned long long)ntok,
           (unsigned long long)checksum);
    printf("C tokenizer: best of %ld passes %.3f ms  (%.2f us/sentence, %.1f MB/s)\n", reps, best * 1e3,
           best * 1e6 / (double)count, (double)bytes / best / 1e6);
    for (long i = 0; i < count; i++) free(sent[i]);
    free(sent);
    free(len);
    ef_token_ids_free(&ids);
    ef_tokenizer_free(t);
    ef_vocab_free(v);
    return 0;
}
