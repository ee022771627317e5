/* emofuse models: prepare pretrained models. `models fetch <repo>` gets config.json,
 * vocab.txt and model.safetensors of a BERT checkpoint from the Hugging Face hub (or
 * $EMOFUSE_HF_ENDPOINT), resumable and hash-verified (src/text/fetch.c);
 * `models glove-index <glove.txt[.gz]>` converts GloVe text once into the memory-mapped
 * index (src/text/glove_build.c), reading .gz through a `gzip -dc` child process;
 * `models random-bert --texts MANIFEST --out DIR` writes a randomly initialised BERT folder
 * whose vocabulary is the manifest's words (src/text/bert_random.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "emofuse/bert.h"
#include "emofuse/fetch.h"
#include "emofuse/glove.h"
#include "emofuse/manifest.h"
#include "emofuse/progress.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: emofuse models fetch <repo> [options]\n"
            "       emofuse models glove-index <glove.txt | glove.txt.gz> [--out FILE]\n"
            "       emofuse models random-bert --texts MANIFEST.csv --out DIR [options]\n"
            "\n"
            "random-bert: write a randomly initialised BERT folder (config.json, vocab.txt,\n"
            "model.safetensors) that --model DIR accepts like a pretrained one, for trying emofuse\n"
            "without pretrained weights; its text features are NOT the paper's (docs/bert.md).\n"
            "The vocabulary is [PAD] [UNK] [CLS] [SEP] [MASK] plus every word of the texts.\n"
            "  --texts MANIFEST.csv the texts whose words make the vocabulary\n"
            "  --column NAME        text column (default: transcript)\n"
            "  --out DIR            output folder (created; an existing random encoder there is replaced)\n"
            "  --layers N           default 4\n"
            "  --hidden N           default 768\n"
            "  --heads N            default 12 (must divide --hidden)\n"
            "  --intermediate N     default 4 x hidden (3072)\n"
            "  --max-positions N    default 512\n"
            "  --seed N             default 1 (same texts + options + seed: identical files)\n"
            "Prints <dir> vocab <V> layers <L> hidden <C> heads <H> seed <S> on stdout.\n"
            "\n"
            "glove-index: convert GloVe vectors (\"word v1 ... vD\" per line) once into a binary\n"
            "index that later runs memory-map (docs/glove.md). --out defaults to the input path\n"
            "without .gz/.txt plus .efg. Prints words, dimension and duplicates on stdout.\n"
            "\n"
            "fetch:\n"
            "Download config.json, vocab.txt and model.safetensors of a BERT checkpoint from\n"
            "{endpoint}/{repo}/resolve/main/{file} (endpoint: $EMOFUSE_HF_ENDPOINT, default\n"
            "%s). Interrupted downloads resume from <file>.part; every file is\n"
            "verified against the hub's SHA-256 (LFS) or git blob id before it is renamed into\n"
            "place. Private repos: set HF_TOKEN.\n"
            "\n"
            "  <repo>               e.g. bert-base-uncased (the paper's model)\n"
            "  --dir DIR            output directory (default: models/<repo name>)\n"
            "  --manifest FILE      expected hashes, sha256sum format (\"<hex>  <file>\"),\n"
            "                       preferred to the server's headers (default: none)\n"
            "  --retries N          extra attempts after network errors or HTTP 5xx (default: 5)\n"
            "  --retry-delay S      first back-off in seconds, doubled each retry (default: 1)\n"
            "  --force              download again even when a verified file is present\n"
            "  -h, --help           this help\n"
            "\n"
            "Prints one line per file on stdout: <path> <bytes> <sha256:hex|sha1-git:hex|unverified> <action>\n",
            EF_FETCH_DEFAULT_ENDPOINT);
}

typedef struct {
    int tty;
    double last;
} progress_ctx;

static void on_progress(void *vctx, const char *file, int64_t done, int64_t total)
{
    progress_ctx *p = vctx;
    double now = ef_now();
    int final = total >= 0 && done == total;
    if (!p->tty && !final && now - p->last < 5.0) return;
    p->last = now;
    if (total > 0)
        fprintf(stderr, "%s%s: %.1f / %.1f MB (%.0f%%)%s", p->tty ? "\r" : "", file, done / 1e6, total / 1e6,
                100.0 * (double)done / (double)total, p->tty ? (final ? "\n" : "   ") : "\n");
    else
        fprintf(stderr, "%s%s: %.1f MB%s", p->tty ? "\r" : "", file, done / 1e6, p->tty ? (final ? "\n" : "   ") : "\n");
    fflush(stderr);
}

static void on_log(void *vctx, const char *msg)
{
    progress_ctx *p = vctx;
    fprintf(stderr, "%s%s\n", p->tty ? "\n" : "", msg);
}

static int cmd_fetch(int argc, char **argv)
{
    ef_fetch_opts o;
    ef_fetch_default_params(&o);
    const char *repo = NULL, *dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(a, "--manifest") == 0 && i + 1 < argc) {
            o.manifest_path = argv[++i];
        } else if (strcmp(a, "--retries") == 0 && i + 1 < argc) {
            long v;
            if (!cli_parse_int("--retries", argv[++i], 0, 100, &v)) return 2;
            o.retries = (int)v;
        } else if (strcmp(a, "--retry-delay") == 0 && i + 1 < argc) {
            if (!cli_parse_double("--retry-delay", argv[++i], 0, 600, &o.retry_delay_s)) return 2;
        } else if (strcmp(a, "--force") == 0) {
            o.force = 1;
        } else if (a[0] == '-') {
            return cli_usage_error("models fetch: unknown or incomplete option '%s' (see emofuse models --help)", a);
        } else if (!repo) {
            repo = a;
        } else {
            return cli_usage_error("models fetch: one repository at a time ('%s' and '%s')", repo, a);
        }
    }
    if (!repo) return cli_usage_error("models fetch: which model? e.g. emofuse models fetch bert-base-uncased");
    char dir_buf[1024];
    if (!dir) {
        const char *slash = strrchr(repo, '/');
        snprintf(dir_buf, sizeof dir_buf, "models/%s", slash ? slash + 1 : repo);
        dir = dir_buf;
    }
    progress_ctx pc = {isatty(fileno(stderr)), ef_now()};
    o.progress = on_progress;
    o.log = on_log;
    o.ctx = &pc;
    ef_fetch_result res[3];
    ef_error err = {0};
    memset(res, 0, sizeof res);
    ef_code rc = ef_fetch_repo_files(repo, ef_fetch_bert_files, 3, dir, &o, res, &err);
    if (rc) return cli_fail(&err);
    for (int i = 0; i < 3; i++) {
        const ef_fetch_result *r = &res[i];
        printf("%s/%s\t%lld\t%s%s%s\t%s\n", dir, ef_fetch_bert_files[i], (long long)r->bytes,
               r->verified ? r->algo : "unverified", r->verified ? ":" : "", r->verified ? r->digest : "",
               r->skipped ? "present" : r->resumed ? "resumed" : "downloaded");
        if (!r->verified)
            fprintf(stderr, "warning: %s: the server gave no SHA-256/git hash: size checked only\n",
                    ef_fetch_bert_files[i]);
    }
    return 0;
}

static void on_glove_progress(void *vctx, uint64_t done, uint64_t total)
{
    progress_ctx *p = vctx;
    if (total)
        fprintf(stderr, "%sglove text: %.0f / %.0f MB (%.0f%%)%s", p->tty ? "\r" : "", done / 1e6, total / 1e6,
                100.0 * (double)done / (double)total, p->tty && done < total ? "   " : "\n");
    else
        fprintf(stderr, "%sglove text: %.0f MB%s", p->tty ? "\r" : "", done / 1e6, p->tty ? "   " : "\n");
    fflush(stderr);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int cmd_glove_index(int argc, char **argv)
{
    const char *in_path = NULL, *out_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out_path = argv[++i];
        } else if (argv[i][0] == '-') {
            return cli_usage_error("models glove-index: unknown or incomplete option '%s'", argv[i]);
        } else if (!in_path) {
            in_path = argv[i];
        } else {
            return cli_usage_error("models glove-index: one input file at a time");
        }
    }
    if (!in_path) return cli_usage_error("models glove-index: which GloVe text file? e.g. glove.42B.300d.txt");
    char out_buf[4096];
    if (!out_path) {
        if (!ef_glove_index_path(in_path, out_buf, sizeof out_buf))
            return cli_usage_error("models glove-index: path too long");
        out_path = out_buf;
    }
    ef_error err = {0};
    ef_glove_build_stats st;
    progress_ctx pc = {isatty(fileno(stderr)), ef_now()};
    ef_code rc;
    if (ends_with(in_path, ".gz")) {
        /* No zlib in the build: decompress with the system's gzip through a pipe. */
        if (access(in_path, R_OK) != 0) {
            ef_fail(&err, EF_ERR_IO, "%s: cannot open: %s", in_path, strerror(errno));
            return cli_fail(&err);
        }
        int fd[2];
        if (pipe(fd) != 0) {
            ef_fail(&err, EF_ERR_IO, "pipe: %s", strerror(errno));
            return cli_fail(&err);
        }
        pid_t pid = fork();
        if (pid == 0) {
            close(fd[0]);
            dup2(fd[1], STDOUT_FILENO);
            close(fd[1]);
            execlp("gzip", "gzip", "-dc", "--", in_path, (char *)NULL);
            _exit(127);
        }
        close(fd[1]);
        FILE *in = pid > 0 ? fdopen(fd[0], "rb") : NULL;
        if (!in) {
            ef_fail(&err, EF_ERR_IO, "%s: cannot start gzip -dc", in_path);
            close(fd[0]);
            if (pid > 0) waitpid(pid, NULL, 0);
            return cli_fail(&err);
        }
        /* Build under a side name, and rename only once gzip reported success: a truncated
         * .gz can end exactly at a line end and still parse. */
        char side[4200];
        snprintf(side, sizeof side, "%s.gz-building.%ld", out_path, (long)getpid());
        rc = ef_glove_build_stream(in, in_path, 0, side, &st, on_glove_progress, &pc, &err);
        fclose(in); /* a still-writing gzip gets SIGPIPE after an error: fine */
        int status = 0;
        waitpid(pid, &status, 0);
        if (rc == EF_OK && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            unlink(side);
            ef_fail(&err, EF_ERR_FORMAT, "%s: gzip -dc failed (exit %d): index not written", in_path,
                    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
            rc = EF_ERR_FORMAT;
        } else if (rc == EF_OK && rename(side, out_path) != 0) {
            unlink(side);
            ef_fail(&err, EF_ERR_IO, "%s: cannot rename into place: %s", out_path, strerror(errno));
            rc = EF_ERR_IO;
        }
    } else {
        rc = ef_glove_build(in_path, out_path, &st, on_glove_progress, &pc, &err);
    }
    if (rc) return cli_fail(&err);
    printf("%s\twords %llu\tdim %d\tduplicates %llu\tlines %llu\n", out_path, (unsigned long long)st.words, st.dim,
           (unsigned long long)st.duplicates, (unsigned long long)st.lines);
    fprintf(stderr, "glove-index: %.1f MB of text in %.1f s (%.1f MB/s)\n", st.bytes_in / 1e6, st.seconds,
            st.seconds > 0 ? st.bytes_in / 1e6 / st.seconds : 0.0);
    return 0;
}

static int cmd_random_bert(int argc, char **argv)
{
    ef_bert_random_params p = ef_bert_random_default_params();
    const char *manifest_path = NULL, *column = "transcript", *out = NULL;
    long v;
    int intermediate_set = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (cli_is_help(a)) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--texts") == 0 && has) {
            manifest_path = argv[++i];
        } else if (strcmp(a, "--column") == 0 && has) {
            column = argv[++i];
        } else if (strcmp(a, "--out") == 0 && has) {
            out = argv[++i];
        } else if (strcmp(a, "--layers") == 0 && has) {
            if (!cli_parse_int(a, argv[++i], 1, EF_BERT_MAX_LAYERS, &v)) return 2;
            p.layers = (int)v;
        } else if (strcmp(a, "--hidden") == 0 && has) {
            if (!cli_parse_int(a, argv[++i], 1, 16384, &v)) return 2;
            p.hidden = (int)v;
        } else if (strcmp(a, "--heads") == 0 && has) {
            if (!cli_parse_int(a, argv[++i], 1, 1024, &v)) return 2;
            p.heads = (int)v;
        } else if (strcmp(a, "--intermediate") == 0 && has) {
            if (!cli_parse_int(a, argv[++i], 1, 65536, &v)) return 2;
            p.intermediate = (int)v;
            intermediate_set = 1;
        } else if (strcmp(a, "--max-positions") == 0 && has) {
            if (!cli_parse_int(a, argv[++i], 3, 65536, &v)) return 2;
            p.max_positions = (int)v;
        } else if (strcmp(a, "--seed") == 0 && has) {
            if (!cli_parse_int(a, argv[++i], 0, 2147483647L, &v)) return 2;
            p.seed = (uint64_t)v;
        } else {
            return cli_usage_error("models random-bert: unknown or incomplete option '%s' (see emofuse models --help)",
                                   a);
        }
    }
    if (!manifest_path) return cli_usage_error("models random-bert: --texts MANIFEST.csv is required");
    if (!out) return cli_usage_error("models random-bert: --out DIR is required");
    if (p.hidden % p.heads != 0)
        return cli_usage_error("models random-bert: --heads %d does not divide --hidden %d", p.heads, p.hidden);
    /* BERT's ratio, so that --hidden alone gives a BERT-shaped model. */
    if (!intermediate_set) p.intermediate = 4 * p.hidden; /* <= 65536 by --hidden's bound */

    ef_error err = {0};
    ef_manifest *m = NULL;
    if (ef_manifest_load(&m, manifest_path, &err)) return cli_fail(&err);
    int col = ef_manifest_column(m, column);
    if (col < 0) {
        ef_manifest_free(m);
        ef_fail(&err, EF_ERR_FORMAT, "%s: no '%s' column", manifest_path, column);
        return cli_fail(&err);
    }
    int64_t n = ef_manifest_rows(m);
    const char **texts = malloc(sizeof *texts * (size_t)(n > 0 ? n : 1));
    if (!texts) {
        ef_manifest_free(m);
        ef_fail(&err, EF_ERR_NOMEM, "out of memory");
        return cli_fail(&err);
    }
    for (int64_t i = 0; i < n; i++) texts[i] = ef_manifest_cell(m, i, col);
    double t0 = ef_now();
    ef_code rc = ef_bert_write_random(out, texts, n, &p, &err);
    double secs = ef_now() - t0;
    free(texts);
    ef_manifest_free(m);
    if (rc) return cli_fail(&err);
    /* The vocabulary size is the library's result: read it back from what was written. */
    char cfg_path[4200];
    snprintf(cfg_path, sizeof cfg_path, "%s/config.json", out);
    ef_bert_config cfg;
    if (ef_bert_config_load(&cfg, cfg_path, &err)) return cli_fail(&err);
    printf("%s\tvocab %d\tlayers %d\thidden %d\theads %d\tseed %llu\n", out, cfg.vocab_size, cfg.n_layers, cfg.hidden,
           cfg.n_heads, (unsigned long long)p.seed);
    fprintf(stderr,
            "random-bert: %lld texts, %d-layer random encoder written in %.2f s (randomly initialised: its text "
            "features are not the paper's)\n",
            (long long)n, p.layers, secs);
    return 0;
}

int cmd_models(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (cli_is_help(argv[1])) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "fetch") == 0) return cmd_fetch(argc - 1, argv + 1);
    if (strcmp(argv[1], "glove-index") == 0) return cmd_glove_index(argc - 1, argv + 1);
    if (strcmp(argv[1], "random-bert") == 0) return cmd_random_bert(argc - 1, argv + 1);
    return cli_usage_error("models: unknown action '%s' (fetch, glove-index or random-bert; see emofuse models --help)",
                           argv[1]);
}
