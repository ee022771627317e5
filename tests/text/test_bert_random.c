/* ef_bert_write_random (src/text/bert_random.c): the folder it writes loads with the real
 * loader (ef_bert_load, ef_vocab_load), its vocabulary is the specials plus the texts'
 * words in first-seen order so that every word is one whole-word id, its weights follow
 * HuggingFace's init (std 0.02, zero biases and [PAD] row, LayerNorm 1/0), features are
 * finite, the files are byte-identical for the same seed and differ for another, an
 * existing non-random model is never overwritten, and an unwritable folder is a clean
 * error that leaves nothing behind. Also times the default 4-layer, 768-wide model. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emofuse/bert.h"
#include "text/bert_model.h"
#include "emofuse/progress.h"
#include "emofuse/safetensors.h"
#include "emofuse/tokenizer.h"
#include "testutil.h"

static char long_word[130];

/* Accents, case, punctuation, CJK, an empty and a NULL text, a 120-letter word. */
static const char *texts[8] = {
    "Hello, world!", "hello WORLD again", "Café naïve", "", NULL, "don't stop", "\xe4\xbd\xa0\xe5\xa5\xbd", long_word,
};
/* What vocab.txt must hold, in order ("你", "好" are separate words: CJK isolation). */
static const char *want_vocab[] = {
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", ",",     "world",        "!",           "again",
    "cafe",  "naive", "don",   "'",     "t",      "stop",  "\xe4\xbd\xa0", "\xe5\xa5\xbd",
};
#define N_WANT ((int)(sizeof want_vocab / sizeof want_vocab[0]))

static ef_bert_random_params small_params(uint64_t seed)
{
    ef_bert_random_params p = ef_bert_random_default_params();
    p.layers = 2;
    p.hidden = 64;
    p.heads = 4;
    p.intermediate = 128;
    p.max_positions = 32;
    p.seed = seed;
    return p;
}

static char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    *n = fread(buf, 1, (size_t)len, fp);
    buf[*n] = '\0';
    fclose(fp);
    return buf;
}

/* 1 same bytes, 0 different, -1 unreadable. */
static int same_file(const char *dir_a, const char *dir_b, const char *name)
{
    char pa[1100], pb[1100];
    snprintf(pa, sizeof pa, "%s/%s", dir_a, name);
    snprintf(pb, sizeof pb, "%s/%s", dir_b, name);
    size_t na, nb;
    char *a = slurp(pa, &na), *b = slurp(pb, &nb);
    int r = (!a || !b) ? -1 : (na == nb && memcmp(a, b, na) == 0);
    free(a);
    free(b);
    return r;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static const char *sub(const char *name)
{
    static char buf[4][1024];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", ef_test_tmpdir(), name);
    return b;
}

/* Mean and standard deviation of n floats. */
static void moments(const float *x, size_t n, double *mean, double *sd)
{
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        s += x[i];
        s2 += (double)x[i] * x[i];
    }
    *mean = s / (double)n;
    *sd = sqrt(s2 / (double)n - *mean * *mean);
}

static int all_equal(const float *x, size_t n, float v)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] != v) return 0;
    return 1;
}

static void check_vocab_and_tokens(const char *dir, const ef_bert_model *m)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    size_t n;
    char *text = slurp(path, &n);
    CHECK(text != NULL);
    if (text) {
        /* Exact content: the specials, then first-seen order; no 120-letter word. */
        char want[1024] = "";
        for (int i = 0; i < N_WANT; i++) {
            strcat(want, want_vocab[i]);
            strcat(want, "\n");
        }
        CHECK_MSG(strcmp(text, want) == 0, "vocab.txt is\n%s", text);
        free(text);
    }
    CHECK(m->cfg.vocab_size == N_WANT);
    CHECK(m->cls_id == 2 && m->sep_id == 3);

    ef_vocab *v = NULL;
    ef_tokenizer *tok = NULL;
    ef_error err = {0};
    CHECK_MSG(ef_vocab_load(&v, m->vocab_path, &err) == EF_OK, "%s", err.msg);
    if (!v) return;
    CHECK(ef_vocab_pad_id(v) == 0 && ef_vocab_unk_id(v) == 1 && ef_vocab_mask_id(v) == 4);
    CHECK(ef_tokenizer_create(&tok, v, &err) == EF_OK);
    ef_words w;
    ef_words_init(&w);
    ef_token_ids ids = {0};
    /* Every word of every text (but the over-long one) is exactly one known id. */
    for (int t = 0; t < 7; t++) {
        const char *s = texts[t] ? texts[t] : "";
        CHECK(ef_basic_tokenize(&w, s, strlen(s), &err) == EF_OK);
        CHECK(ef_tokenizer_encode(tok, s, strlen(s), 0, &ids, &err) == EF_OK);
        CHECK_MSG(ids.count == w.count, "text %d: %zu ids for %zu words", t, ids.count, w.count);
        for (size_t k = 0; k < ids.count && k < w.count; k++) {
            CHECK_MSG(ids.id[k] > 4, "text %d word '%s' -> id %d", t, w.word[k], ids.id[k]);
            const char *back = ef_vocab_token(v, ids.id[k]);
            CHECK_MSG(back && strcmp(back, w.word[k]) == 0, "text %d word '%s' -> '%s'", t, w.word[k],
                      back ? back : "(null)");
        }
    }
    CHECK(ef_tokenizer_encode(tok, "HELLO, zebra", 12, EF_TOKENIZE_ADD_SPECIAL, &ids, &err) == EF_OK);
    CHECK(ids.count == 5 && ids.id[0] == 2 && ids.id[1] == 5 && ids.id[2] == 6 && ids.id[3] == 1 && ids.id[4] == 3);
    CHECK(ef_tokenizer_encode(tok, long_word, strlen(long_word), 0, &ids, &err) == EF_OK);
    CHECK(ids.count == 1 && ids.id[0] == 1);
    ef_token_ids_free(&ids);
    ef_words_free(&w);
    ef_tokenizer_free(tok);
    ef_vocab_free(v);
}

static void check_features(const ef_bert_model *m)
{
    /* "hello world again" -> ids 5 7 9 (no [CLS]/[SEP]: the feature API adds them). */
    const int32_t pieces[] = {5, 7, 9};
    const int32_t *pp[1] = {pieces};
    int n = 3;
    ef_bert_feat_opts o = ef_bert_feat_default_params();
    o.n_threads = 1;
    int C = m->cfg.hidden, R = ef_bert_feat_rows(m, &o, n);
    CHECK(R == 3);
    float *out = calloc((size_t)R * (size_t)C, sizeof *out);
    float *outs[1] = {out};
    ef_error err = {0};
    CHECK_MSG(ef_bert_features(m, &o, 1, pp, &n, outs, &err) == EF_OK, "%s", err.msg);
    int finite = 1;
    for (int i = 0; i < R * C; i++) finite &= isfinite(out[i]) != 0;
    CHECK(finite);
    /* Sum of the last 4 of 3 states (2 layers: all of 0..2): LayerNorm outputs, so each
     * row has mean ~0 and std ~sqrt(3) at most; different words give different rows. */
    for (int r = 0; r < R; r++) {
        double mean, sd;
        moments(out + (size_t)r * C, (size_t)C, &mean, &sd);
        CHECK_MSG(fabs(mean) < 1e-3 && sd > 0.5 && sd < 3.5, "row %d: mean %g sd %g", r, mean, sd);
    }
    CHECK(memcmp(out, out + C, (size_t)C * sizeof *out) != 0);
    /* Every layer changes the states (the random encoder is not the identity). */
    float *hs = calloc((size_t)(m->cfg.n_layers + 1) * 5 * C, sizeof *hs);
    int T = 0;
    CHECK(ef_bert_hidden_states(m, &o, pieces, n, hs, &T, &err) == EF_OK && T == 5);
    for (int l = 1; l <= m->cfg.n_layers; l++) {
        double d = 0;
        for (int i = 0; i < T * C; i++) d += fabs(hs[(size_t)l * T * C + i] - hs[(size_t)(l - 1) * T * C + i]);
        /* With std-0.02 weights at width 64 a layer changes a state by ~0.01-0.05: small but real. */
        CHECK_MSG(d / (T * C) > 1e-3, "layer %d changes the states by %g on average", l, d / (T * C));
        printf("layer %d: mean |change| of the states %.4f\n", l, d / (T * C));
    }
    free(hs);
    free(out);
}

static void check_weights(const char *dir, const ef_bert_model *m, uint64_t seed)
{
    char path[1100], want_seed[32];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    snprintf(want_seed, sizeof want_seed, "%llu", (unsigned long long)seed);
    ef_safetensors_file *f = NULL;
    ef_error err = {0};
    CHECK_MSG(ef_safetensors_open(&f, path, &err) == EF_OK, "%s", err.msg);
    if (!f) return;
    const char *r = ef_safetensors_meta(f, "emofuse.random_encoder"), *s = ef_safetensors_meta(f, "emofuse.seed"),
               *fmt = ef_safetensors_meta(f, "format");
    CHECK(r && strcmp(r, "true") == 0);
    CHECK(s && strcmp(s, want_seed) == 0);
    CHECK(fmt && strcmp(fmt, "pt") == 0);
    CHECK(ef_safetensors_count(f) == 5 + 16 * m->cfg.n_layers); /* no pooler, nothing extra */
    for (int64_t i = 0; i < ef_safetensors_count(f); i++) CHECK(ef_safetensors_get(f, i)->dtype == EF_DT_F32);
    CHECK(m->owned == NULL); /* aligned F32: used in place */
    ef_safetensors_close(f);

    const ef_bert_config *c = &m->cfg;
    size_t C = (size_t)c->hidden, I = (size_t)c->intermediate;
    double mean, sd;
    const ef_bert_layer *ly = &m->layers[c->n_layers - 1];
    moments(ly->fc_w, I * C, &mean, &sd);
    /* N(0, 0.02): the sample std of n draws is within 5/sqrt(2n) relative of 0.02. */
    double tol = 5.0 / sqrt(2.0 * (double)(I * C));
    CHECK_MSG(fabs(sd / 0.02 - 1) < tol && fabs(mean) < 5 * 0.02 / sqrt((double)(I * C)), "fc_w mean %g sd %g",
              mean, sd);
    moments(m->wte + C, (size_t)(c->vocab_size - 1) * C, &mean, &sd);
    CHECK_MSG(fabs(sd / 0.02 - 1) < 0.1, "word embeddings sd %g", sd);
    CHECK(all_equal(m->wte, C, 0.0f)); /* [PAD] row */
    CHECK(all_equal(m->emb_ln_g, C, 1.0f) && all_equal(m->emb_ln_b, C, 0.0f));
    CHECK(all_equal(ly->q_b, C, 0.0f) && all_equal(ly->fc_b, I, 0.0f) && all_equal(ly->proj_b, C, 0.0f));
    CHECK(all_equal(ly->ln1_g, C, 1.0f) && all_equal(ly->ln2_b, C, 0.0f));
    /* Distinct tensors are distinct draws. */
    CHECK(memcmp(ly->q_w, ly->k_w, C * C * sizeof(float)) != 0);
    CHECK(memcmp(m->layers[0].q_w, ly->q_w, C * C * sizeof(float)) != 0);
}

static void check_errors(void)
{
    ef_bert_random_params p = small_params(1);
    ef_error err = {0};

    /* A folder below a regular file cannot be created (also as root, unlike chmod). */
    const char *file = sub("plain-file");
    FILE *fp = fopen(file, "wb");
    fputs("x", fp);
    fclose(fp);
    char bad[1100];
    snprintf(bad, sizeof bad, "%s/model", file);
    CHECK(ef_bert_write_random(bad, texts, 3, &p, &err) == EF_ERR_IO);
    CHECK_MSG(strstr(err.msg, file) != NULL, "%s", err.msg);
    CHECK(ef_bert_write_random(file, texts, 3, &p, &err) == EF_ERR_IO); /* DIR is a file */

    /* A read-only folder (only meaningful when not root: root ignores the mode bits). */
    if (geteuid() != 0) {
        const char *ro = sub("read-only");
        mkdir(ro, 0555);
        ef_error_clear(&err);
        CHECK(ef_bert_write_random(ro, texts, 3, &p, &err) == EF_ERR_IO);
        CHECK_MSG(strstr(err.msg, "read-only") != NULL, "%s", err.msg);
        CHECK(count_entries(ro) == 0);
    }

    /* Bad shapes are argument errors, and nothing is created. */
    const char *never = sub("never");
    p.heads = 5;
    CHECK(ef_bert_write_random(never, texts, 3, &p, &err) == EF_ERR_ARG);
    CHECK_MSG(strstr(err.msg, "heads = 5 does not divide hidden = 64") != NULL, "%s", err.msg);
    p = small_params(1);
    p.layers = 0;
    CHECK(ef_bert_write_random(never, texts, 3, &p, &err) == EF_ERR_ARG);
    p = small_params(1);
    p.max_positions = 2;
    CHECK(ef_bert_write_random(never, texts, 3, &p, &err) == EF_ERR_ARG);
    CHECK(ef_bert_write_random(never, NULL, 3, &p, &err) == EF_ERR_ARG);
    struct stat st;
    CHECK(stat(never, &st) != 0);

    /* A real (non-random) model.safetensors is never overwritten. */
    const char *real = sub("real-model");
    mkdir(real, 0755);
    char st_path[1100];
    snprintf(st_path, sizeof st_path, "%s/model.safetensors", real);
    ef_safetensors_writer *w = ef_safetensors_writer_new();
    float one = 1.0f;
    int64_t shape[1] = {1};
    CHECK(ef_safetensors_writer_add(w, "x", EF_DT_F32, 1, shape, &one, &err) == EF_OK);
    CHECK(ef_safetensors_writer_save(w, st_path, &err) == EF_OK);
    ef_safetensors_writer_free(w);
    p = small_params(1);
    CHECK(ef_bert_write_random(real, texts, 3, &p, &err) == EF_ERR_ARG);
    CHECK_MSG(strstr(err.msg, "not an emofuse random encoder") != NULL, "%s", err.msg);
    CHECK(count_entries(real) == 1); /* untouched: no config.json, no vocab.txt */

    /* Interrupted while drawing weights: an error, and no folder content. */
    const char *intr = sub("interrupted");
    ef_interrupt_request();
    CHECK(ef_bert_write_random(intr, texts, 3, &p, &err) == EF_ERR_INTERRUPTED);
    ef_interrupt_clear();
    CHECK(stat(intr, &st) != 0);
}

int main(void)
{
    memset(long_word, 'x', 120);
    long_word[120] = '\0';
    ef_error err = {0};
    const char *a = sub("a"), *b = sub("b"), *c = sub("c");

    ef_bert_random_params p = small_params(7);
    CHECK_MSG(ef_bert_write_random(a, texts, 8, &p, &err) == EF_OK, "%s", err.msg);
    CHECK(count_entries(a) == 3); /* config.json, vocab.txt, model.safetensors: no temp files */
    ef_bert_model *m = NULL;
    CHECK_MSG(ef_bert_load(&m, a, &err) == EF_OK, "%s", err.msg);
    if (m) {
        CHECK(m->cfg.n_layers == 2 && m->cfg.hidden == 64 && m->cfg.n_heads == 4 && m->cfg.intermediate == 128 &&
              m->cfg.max_positions == 32 && m->cfg.type_vocab_size == 2 && m->cfg.layer_norm_eps == 1e-12f);
        check_vocab_and_tokens(a, m);
        check_features(m);
        check_weights(a, m, 7);
        ef_bert_free(m);
    }

    /* Same seed: byte-identical files; another seed: other weights, same vocabulary. */
    CHECK_MSG(ef_bert_write_random(b, texts, 8, &p, &err) == EF_OK, "%s", err.msg);
    CHECK(same_file(a, b, "config.json") == 1);
    CHECK(same_file(a, b, "vocab.txt") == 1);
    CHECK(same_file(a, b, "model.safetensors") == 1);
    ef_bert_random_params p8 = small_params(8);
    CHECK_MSG(ef_bert_write_random(c, texts, 8, &p8, &err) == EF_OK, "%s", err.msg);
    CHECK(same_file(a, c, "vocab.txt") == 1);
    CHECK(same_file(a, c, "config.json") == 0);
    CHECK(same_file(a, c, "model.safetensors") == 0);
    /* Rewriting our own random encoder in place is allowed and gives the new seed's files. */
    CHECK_MSG(ef_bert_write_random(a, texts, 8, &p8, &err) == EF_OK, "%s", err.msg);
    CHECK(same_file(a, c, "model.safetensors") == 1 && count_entries(a) == 3);

    /* No texts at all: just the five special tokens; still a loadable model. */
    const char *empty = sub("empty");
    CHECK_MSG(ef_bert_write_random(empty, NULL, 0, &p, &err) == EF_OK, "%s", err.msg);
    CHECK_MSG(ef_bert_load(&m, empty, &err) == EF_OK, "%s", err.msg);
    if (m) CHECK(m->cfg.vocab_size == 5);
    ef_bert_free(m);

    check_errors();

    /* The default shape (4 layers, 768 wide, 12 heads, 3072, 512 positions). */
    const char *full = sub("default");
    ef_bert_random_params d = ef_bert_random_default_params();
    CHECK(d.layers == 4 && d.hidden == 768 && d.heads == 12 && d.intermediate == 3072 && d.max_positions == 512 &&
          d.seed == 1);
    double t0 = ef_now();
    CHECK_MSG(ef_bert_write_random(full, texts, 8, &d, &err) == EF_OK, "%s", err.msg);
    double t_write = ef_now() - t0;
    t0 = ef_now();
    CHECK_MSG(ef_bert_load(&m, full, &err) == EF_OK, "%s", err.msg);
    double t_load = ef_now() - t0;
    if (m) {
        CHECK(m->cfg.n_layers == 4 && m->cfg.hidden == 768 && m->cfg.vocab_size == N_WANT);
        check_weights(full, m, 1);
        printf("default random encoder (4 x 768, vocab %d, %.1f MB of weights): written in %.2f s, loaded in %.2f s\n",
               m->cfg.vocab_size, m->weight_bytes / 1e6, t_write, t_load);
        ef_bert_free(m);
    }
    return ef_test_exit();
}
