/* emofuse features text: BERT or GloVe embeddings of a manifest's `transcript` column
 * into a resumable feature store (same format and behaviour as `features audio`). */
#include <errno.h>
#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/features_common.h"
#include "emofuse/bert.h"
#include "emofuse/glove.h"
#include "emofuse/tokenizer.h"

typedef struct {
    const ef_manifest *m;
    int col;
    const ef_bert_model *bert;
    const ef_vocab *vocab;
    ef_bert_feat_opts bopt;
    const ef_glove *glove;
    atomic_llong glove_tokens, glove_missing; /* for the out-of-vocabulary report */
} text_ctx;

/* BERT: one call embeds a whole batch of texts, so the encoder packs them into large GEMMs. */
static void extract_bert(void *ctx, const int64_t *items, int n, int thread, float **rows, int64_t *T,
                         ef_code *codes, ef_error *errs)
{
    (void)thread;
    text_ctx *c = ctx;
    int C = c->bert->cfg.hidden;
    ef_tokenizer *tok = NULL;
    ef_token_ids *ids = calloc((size_t)n, sizeof *ids);
    const int32_t **pieces = calloc((size_t)n, sizeof *pieces);
    int *lens = calloc((size_t)n, sizeof *lens);
    ef_error err = {0};
    ef_code rc = (!ids || !pieces || !lens) ? ef_fail(&err, EF_ERR_NOMEM, "out of memory")
                                            : ef_tokenizer_create(&tok, c->vocab, &err);
    for (int k = 0; !rc && k < n; k++) {
        const char *text = ef_manifest_cell(c->m, items[k], c->col);
        rc = ef_tokenizer_encode(tok, text, strlen(text), 0, &ids[k], &err);
        pieces[k] = ids[k].id;
        lens[k] = (int)ids[k].count;
        int R = ef_bert_feat_rows(c->bert, &c->bopt, lens[k]);
        T[k] = R;
        rows[k] = malloc(sizeof(float) * (size_t)(R > 0 ? R : 1) * (size_t)C);
        if (!rows[k] && !rc) rc = ef_fail(&err, EF_ERR_NOMEM, "out of memory");
    }
    if (!rc) rc = ef_bert_features(c->bert, &c->bopt, n, pieces, lens, rows, &err);
    for (int k = 0; k < n; k++) {
        codes[k] = rc;
        if (rc) {
            ef_fail(&errs[k], rc, "%s: %s", ef_manifest_id(c->m, items[k]), err.msg);
            free(rows[k]);
            rows[k] = NULL;
        }
        if (ids) ef_token_ids_free(&ids[k]);
    }
    ef_tokenizer_free(tok);
    free(ids);
    free(pieces);
    free(lens);
}

static ef_code extract_glove(void *ctx, int64_t item, int thread, float **rows, int64_t *T, ef_error *err)
{
    (void)thread;
    text_ctx *c = ctx;
    int missing = 0;
    const char *text = ef_manifest_cell(c->m, item, c->col);
    ef_code rc = ef_glove_embed_text(c->glove, text, rows, T, &missing, err);
    if (rc) ef_error_prefix(err, "%s", ef_manifest_id(c->m, item));
    else {
        atomic_fetch_add(&c->glove_tokens, *T);
        atomic_fetch_add(&c->glove_missing, missing);
    }
    return rc;
}

/* A GloVe argument may be the text release or an index built from it: build the index
 * next to the text file once ("<file>.efidx") and reuse it afterwards. */
static ef_code open_glove(const char *path, ef_glove **g, ef_error *err)
{
    char magic[8] = {0};
    FILE *fp = fopen(path, "rb");
    if (!fp) return ef_fail(err, EF_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t got = fread(magic, 1, 8, fp);
    fclose(fp);
    if (got == 8 && memcmp(magic, EF_GLOVE_MAGIC, 8) == 0) return (*g = ef_glove_open(path, err)) ? EF_OK : err->code;
    size_t n = strlen(path) + 8;
    char *idx = malloc(n);
    if (!idx) return ef_fail(err, EF_ERR_NOMEM, "out of memory");
    snprintf(idx, n, "%s.efidx", path);
    *g = ef_glove_open(idx, NULL);
    if (!*g) {
        fprintf(stderr, "building GloVe index %s (once)\n", idx);
        ef_code rc = ef_glove_build(path, idx, NULL, NULL, NULL, err);
        if (!rc) *g = ef_glove_open(idx, err);
        if (!*g && !rc) rc = err->code;
        free(idx);
        return rc;
    }
    free(idx);
    return EF_OK;
}

/* A path as the body of a JSON string (the store's emofuse.config must stay valid JSON
 * whatever characters the path holds). False when it does not fit. */
static bool json_escape(char *out, size_t cap, const char *s)
{
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char tmp[8];
        int n = *p == '"' || *p == '\\' ? snprintf(tmp, sizeof tmp, "\\%c", *p)
                : *p < 0x20              ? snprintf(tmp, sizeof tmp, "\\u%04x", *p)
                                         : snprintf(tmp, sizeof tmp, "%c", *p);
        if (k + (size_t)n >= cap) return false;
        memcpy(out + k, tmp, (size_t)n);
        k += (size_t)n;
    }
    out[k] = '\0';
    return true;
}

static void usage(FILE *out)
{
    ef_bert_feat_opts d = ef_bert_feat_default_opts();
    fprintf(out,
            "usage: emofuse features text --manifest CSV --out STORE (--model DIR | --glove FILE) [options]\n\n"
            "Embeds every row's `transcript` into STORE, one (T, D) tensor per id: BERT word-piece\n"
            "features (the paper: sum of the last 4 hidden layers, [CLS]/[SEP] excluded, D = 768 for\n"
            "bert-base) or GloVe word vectors (zero for words outside the vocabulary).\n\n"
            "  -m, --manifest CSV     corpus manifest (columns id, transcript, ...)\n"
            "  -o, --out FILE         feature store to create or update\n"
            "      --model DIR        HuggingFace BERT folder (config.json, vocab.txt, model.safetensors)\n"
            "      --glove FILE       GloVe text file (indexed once into FILE.efidx) or such an index\n"
            "      --column NAME      text column (default transcript)\n"
            "      --layers FIRST:N   hidden states combined (default: the last %d)\n"
            "      --mean             average the layers instead of summing them\n"
            "      --keep-special     keep the [CLS] and [SEP] rows\n"
            "      --truncate         cut texts longer than the model (default: overlapping windows)\n"
            "      --batch N          texts per BERT batch (default 256)\n"
            "  -t, --threads N        threads (default 0 = all cores)\n"
            "  -q, --quiet            no progress output\n",
            d.layer_count);
}

int cmd_features_text(int argc, char **argv)
{
    const char *manifest_path = NULL, *out = NULL, *model = NULL, *glove_path = NULL, *column = "transcript";
    ef_bert_feat_opts bopt = ef_bert_feat_default_opts();
    long threads = 0, batch = 256;
    int quiet = 0;
    static const struct option opts[] = {
        {"manifest", required_argument, 0, 'm'}, {"out", required_argument, 0, 'o'},
        {"model", required_argument, 0, 1},      {"glove", required_argument, 0, 2},
        {"column", required_argument, 0, 3},     {"layers", required_argument, 0, 4},
        {"mean", no_argument, 0, 5},             {"keep-special", no_argument, 0, 6},
        {"truncate", no_argument, 0, 7},         {"batch", required_argument, 0, 8},
        {"threads", required_argument, 0, 't'},  {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:o:t:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'm': manifest_path = optarg; break;
        case 'o': out = optarg; break;
        case 1: model = optarg; break;
        case 2: glove_path = optarg; break;
        case 3: column = optarg; break;
        case 4: {
            int first, count;
            char extra;
            if (sscanf(optarg, "%d:%d%c", &first, &count, &extra) != 2 || first < 0 || count < 1)
                return cli_usage_error("--layers: expected FIRST:COUNT (e.g. 9:4), got '%s'", optarg);
            bopt.layer_first = first;
            bopt.layer_count = count;
            break;
        }
        case 5: bopt.mean = 1; break;
        case 6: bopt.keep_special = 1; break;
        case 7: bopt.truncate = 1; break;
        case 8:
            if (!cli_parse_int("--batch", optarg, 1, 100000, &batch)) return 2;
            break;
        case 't':
            if (!cli_parse_int("--threads", optarg, 0, 1024, &threads)) return 2;
            break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: return 2;
        }
    }
    if (!manifest_path || !out) return cli_usage_error("features text: --manifest and --out are required");
    if (!model == !glove_path) return cli_usage_error("features text: give exactly one of --model and --glove");
    if (optind < argc) return cli_usage_error("features text: unexpected argument '%s'", argv[optind]);

    ef_error err = {0};
    ef_manifest *m = NULL;
    if (ef_manifest_load(&m, manifest_path, &err)) return cli_fail(&err);
    text_ctx ctx = {.m = m, .col = ef_manifest_column(m, column), .bopt = bopt};
    if (ctx.col < 0) {
        ef_manifest_free(m);
        return cli_usage_error("%s: no '%s' column", manifest_path, column);
    }
    char esc[4096 * 2];
    if (!json_escape(esc, sizeof esc, model ? model : glove_path)) {
        ef_manifest_free(m);
        return cli_usage_error("features text: %s path too long", model ? "--model" : "--glove");
    }
    ef_bert_model *bert = NULL;
    ef_vocab *vocab = NULL;
    ef_glove *glove = NULL;
    char config[sizeof esc + 512];
    int dim = 0;
    ef_code rc = EF_OK;
    if (model) {
        rc = ef_bert_load(&bert, model, &err);
        if (!rc) rc = ef_vocab_load(&vocab, bert->vocab_path, &err);
        if (!rc) {
            ctx.bert = bert;
            ctx.vocab = vocab;
            ctx.bopt.n_threads = (int)threads;
            dim = bert->cfg.hidden;
            snprintf(config, sizeof config,
                     "{\"extractor\":\"emofuse-bert-1\",\"model\":\"%s\",\"layers\":%d,\"hidden\":%d,\"vocab\":%d,"
                     "\"layer_first\":%d,\"layer_count\":%d,\"mean\":%d,\"keep_special\":%d,\"truncate\":%d}",
                     esc, bert->cfg.n_layers, bert->cfg.hidden, bert->cfg.vocab_size, bopt.layer_first,
                     bopt.layer_count, bopt.mean, bopt.keep_special, bopt.truncate);
        }
    } else {
        rc = open_glove(glove_path, &glove, &err);
        if (!rc) {
            ctx.glove = glove;
            dim = ef_glove_dim(glove);
            snprintf(config, sizeof config, "{\"extractor\":\"emofuse-glove-1\",\"glove\":\"%s\",\"words\":%lld,\"dim\":%d}",
                     esc, (long long)ef_glove_size(glove), dim);
        }
    }
    /* One cleanup path for every outcome below. */
    int code = 1;
    int64_t n = ef_manifest_rows(m);
    const char **ids = NULL;
    char **fps = NULL;
    if (rc) {
        code = cli_fail(&err);
        goto done;
    }
    ids = calloc((size_t)n + 1, sizeof *ids);
    fps = calloc((size_t)n + 1, sizeof *fps);
    for (int64_t i = 0; ids && fps && i < n; i++) {
        ids[i] = ef_manifest_id(m, i);
        fps[i] = malloc(17);
        if (!fps[i]) break;
        ef_hash_hex(ef_manifest_cell(m, i, ctx.col), fps[i]); /* the text itself */
    }
    if (!ids || !fps || (n > 0 && !fps[n - 1])) {
        ef_fail(&err, EF_ERR_NOMEM, "%s: out of memory", manifest_path);
        code = cli_fail(&err);
        goto done;
    }
    ef_store_build_opts o = {.out_path = out, .kind = model ? "bert" : "glove", .dim = dim, .config_json = config,
                             .n_items = n, .ids = ids, .fingerprints = (const char *const *)fps,
                             .progress = quiet ? NULL : stderr, .tty = -1, .ctx = &ctx};
    if (model) {
        /* One builder thread; the encoder uses the cores inside each packed batch. */
        o.threads = 1;
        o.extract_batch = extract_bert;
        o.batch_size = (int)batch;
    } else {
        o.threads = (int)threads;
        o.extract = extract_glove;
    }
    ef_store_build_report r;
    rc = ef_store_build(&o, &r, &err);
    code = features_report(out, &r, rc, &err);
    if (glove && r.extracted > 0) {
        long long tokens = atomic_load(&ctx.glove_tokens), missing = atomic_load(&ctx.glove_missing);
        fprintf(stderr, "%s: %lld of %lld words (%.1f%%) not in the GloVe vocabulary: zero vectors\n", out, missing,
                tokens, tokens ? 100.0 * (double)missing / (double)tokens : 0.0);
    }
    ef_store_build_report_free(&r);
done:
    if (fps)
        for (int64_t i = 0; i < n; i++) free(fps[i]);
    free(fps);
    free(ids);
    ef_bert_free(bert);
    ef_vocab_free(vocab);
    ef_glove_close(glove);
    ef_manifest_free(m);
    return code;
}
