/* emofuse models fetch <repo>: config.json, vocab.txt and model.safetensors of a BERT
 * checkpoint from the Hugging Face hub (or $EMOFUSE_HF_ENDPOINT), resumable and
 * hash-verified by the library (src/text/fetch.c); this file parses and prints. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "emofuse/fetch.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: emofuse models fetch <repo> [options]\n"
            "\n"
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

static void on_progress(void *vctx, const char *file, int64_t done, int64_t total)
{
    cli_byte_progress_show(vctx, file, done, total);
}

static void on_log(void *vctx, const char *msg) { cli_byte_progress_log(vctx, msg); }

int cmd_models_fetch(int argc, char **argv)
{
    ef_fetch_opts o;
    ef_fetch_default_params(&o);
    const char *repo = NULL, *dir = NULL;
    static const struct option opts[] = {{"dir", required_argument, 0, 'd'},
                                         {"manifest", required_argument, 0, 'm'},
                                         {"retries", required_argument, 0, 'r'},
                                         {"retry-delay", required_argument, 0, 'D'},
                                         {"force", no_argument, 0, 'f'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    long v;
    int c;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "h", opts, "models fetch")) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'm': o.manifest_path = optarg; break;
        case 'r':
            if (!cli_parse_int("--retries", optarg, 0, 100, &v)) return 2;
            o.retries = (int)v;
            break;
        case 'D':
            if (!cli_parse_double("--retry-delay", optarg, 0, 600, &o.retry_delay_s)) return 2;
            break;
        case 'f': o.force = 1; break;
        case 'h': usage(stdout); return 0;
        default: return 2;
        }
    }
    if (optind < argc) repo = argv[optind];
    if (optind + 1 < argc)
        return cli_usage_error("models fetch: one repository at a time ('%s' and '%s')", repo, argv[optind + 1]);
    if (!repo) return cli_usage_error("models fetch: which model? e.g. emofuse models fetch bert-base-uncased");
    char dir_buf[1024];
    if (!dir) {
        const char *slash = strrchr(repo, '/');
        snprintf(dir_buf, sizeof dir_buf, "models/%s", slash ? slash + 1 : repo);
        dir = dir_buf;
    }
    cli_byte_progress pc;
    cli_byte_progress_init(&pc);
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

