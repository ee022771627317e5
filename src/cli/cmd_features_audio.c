/* emofuse features audio: LLDs of a whole corpus into a resumable feature store. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/features_common.h"
#include "emofuse/audio.h"

typedef struct {
    const ef_manifest *m;
    const ef_lld_params *p;
} audio_ctx;

static ef_code extract_audio(void *ctx, int64_t item, int thread, float **rows, int64_t *T, ef_error *err)
{
    (void)thread;
    audio_ctx *c = ctx;
    char *path = ef_manifest_audio_path(c->m, item);
    if (!path) return ef_fail(err, EF_ERR_NOMEM, "%s: out of memory", ef_manifest_id(c->m, item));
    ef_code rc = ef_lld_file(c->p, path, rows, T, err);
    free(path);
    return rc;
}

static void usage(FILE *out, const ef_lld_params *d)
{
    fprintf(out,
            "usage: emofuse features audio --manifest CSV --out STORE.safetensors [options]\n\n"
            "Extracts the 36 acoustic LLDs (docs/acoustic-features.md) of every row's `audio` file\n"
            "(path relative to the manifest) into STORE, one (T, 36) tensor per id.\n\n"
            "  -m, --manifest CSV     corpus manifest (columns id, audio, ...)\n"
            "  -o, --out FILE         feature store to create or update\n"
            "  -t, --threads N        worker threads (default 0 = all cores)\n"
            "      --frame-step S     hop in seconds (default %g)\n"
            "      --frame-size S     spectral window in seconds (default %g)\n"
            "      --pitch-frame S    pitch window in seconds (default %g)\n"
            "      --smooth N         moving-average window in frames, 1 = off (default %d)\n"
            "      --delta N          delta regression half-window (default %d)\n"
            "      --voice-quality M  jitter/shimmer/HNR method: opensmile (default) or cycles\n"
            "                         (true cycle-to-cycle values; docs/acoustic-pitch.md)\n"
            "  -q, --quiet            no progress output\n\n"
            "Rerunning skips utterances whose audio (size, mtime) and options are unchanged; an\n"
            "interrupted run (Ctrl-C) resumes where it stopped. Exit status 1 when any file failed\n"
            "(each is reported with its path and cause; the others are stored).\n",
            d->frame_step, d->frame_size, d->pitch_frame_size, d->smooth_window, d->delta_window);
}

int cmd_features_audio(int argc, char **argv)
{
    ef_lld_params p = ef_lld_default_params();
    const char *manifest_path = NULL, *out = NULL;
    long threads = 0, lv;
    int quiet = 0;
    static const struct option opts[] = {
        {"manifest", required_argument, 0, 'm'}, {"out", required_argument, 0, 'o'},
        {"threads", required_argument, 0, 't'},  {"frame-step", required_argument, 0, 1},
        {"frame-size", required_argument, 0, 2}, {"pitch-frame", required_argument, 0, 3},
        {"smooth", required_argument, 0, 4},     {"delta", required_argument, 0, 5},
        {"voice-quality", required_argument, 0, 6},
        {"quiet", no_argument, 0, 'q'},          {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:o:t:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'm': manifest_path = optarg; break;
        case 'o': out = optarg; break;
        case 't':
            if (!cli_parse_int("--threads", optarg, 0, 1024, &threads)) return 2;
            break;
        case 1:
            if (!cli_parse_double("--frame-step", optarg, 1e-3, 1, &p.frame_step)) return 2;
            break;
        case 2:
            if (!cli_parse_double("--frame-size", optarg, 1e-3, 1, &p.frame_size)) return 2;
            break;
        case 3:
            if (!cli_parse_double("--pitch-frame", optarg, 1e-3, 1, &p.pitch_frame_size)) return 2;
            break;
        case 4:
            if (!cli_parse_int("--smooth", optarg, 1, 99, &lv)) return 2;
            p.smooth_window = (int)lv;
            break;
        case 5:
            if (!cli_parse_int("--delta", optarg, 1, 50, &lv)) return 2;
            p.delta_window = (int)lv;
            break;
        case 6:
            if (strcmp(optarg, "opensmile") == 0) p.voice_quality = EF_VQ_OPENSMILE;
            else if (strcmp(optarg, "cycles") == 0) p.voice_quality = EF_VQ_CYCLES;
            else
                return cli_usage_error("features audio: --voice-quality: '%s' is neither 'opensmile' nor 'cycles'",
                                       optarg);
            break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout, &p); return 0;
        default: return 2;
        }
    }
    if (!manifest_path || !out) return cli_usage_error("features audio: --manifest and --out are required");
    if (optind < argc) return cli_usage_error("features audio: unexpected argument '%s'", argv[optind]);
    ef_error err = {0};
    if (ef_lld_params_check(&p, &err)) return cli_usage_error("features audio: %s", err.msg);

    ef_manifest *m = NULL;
    if (ef_manifest_load(&m, manifest_path, &err)) return cli_fail(&err);
    if (ef_manifest_column(m, "audio") < 0) {
        ef_manifest_free(m);
        return cli_usage_error("%s: no 'audio' column", manifest_path);
    }
    int64_t n = ef_manifest_rows(m);
    const char **ids = calloc((size_t)n + 1, sizeof *ids);
    char **fps = calloc((size_t)n + 1, sizeof *fps);
    for (int64_t i = 0; ids && fps && i < n; i++) {
        ids[i] = ef_manifest_id(m, i);
        char *path = ef_manifest_audio_path(m, i);
        struct stat st;
        char buf[128];
        /* size + mtime (ns) identify the input; a missing file gets a fingerprint that never
         * matches, so it is retried and reported by the extractor. */
        if (path && stat(path, &st) == 0)
            snprintf(buf, sizeof buf, "size=%lld mtime=%lld.%09ld", (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                     st.st_mtim.tv_nsec);
        else snprintf(buf, sizeof buf, "missing");
        fps[i] = strdup(buf);
        free(path);
        if (!fps[i]) break;
    }
    if (!ids || !fps || (n > 0 && !fps[n - 1])) {
        if (fps)
            for (int64_t i = 0; i < n; i++) free(fps[i]);
        free(fps);
        free(ids);
        ef_manifest_free(m);
        ef_fail(&err, EF_ERR_NOMEM, "%s: out of memory", manifest_path);
        return cli_fail(&err);
    }
    char config[512];
    snprintf(config, sizeof config,
             "{\"extractor\":\"emofuse-lld-1\",\"sample_rate\":%d,\"frame_step\":%g,\"frame_size\":%g,"
             "\"pitch_frame_size\":%g,\"smooth_window\":%d,\"delta_window\":%d%s}",
             p.sample_rate, p.frame_step, p.frame_size, p.pitch_frame_size, p.smooth_window, p.delta_window,
             /* only the non-default method is named, so that existing stores stay valid */
             p.voice_quality == EF_VQ_CYCLES ? ",\"voice_quality\":\"cycles\"" : "");
    char columns[1024];
    size_t k = (size_t)snprintf(columns, sizeof columns, "[");
    for (int d = 0; d < EF_LLD_DIMS; d++)
        k += (size_t)snprintf(columns + k, sizeof columns - k, "%s\"%s\"", d ? "," : "", ef_lld_name(d));
    snprintf(columns + k, sizeof columns - k, "]");

    audio_ctx ctx = {m, &p};
    ef_store_build_opts o = {
        .out_path = out, .kind = "audio-lld", .dim = EF_LLD_DIMS, .columns_json = columns,
        .config_json = config, .n_items = n, .ids = ids, .fingerprints = (const char *const *)fps,
        .threads = (int)threads, .progress = quiet ? NULL : stderr, .tty = -1,
        .extract = extract_audio, .ctx = &ctx};
    ef_store_build_report r;
    ef_code rc = ef_store_build(&o, &r, &err);
    int code = features_report(out, &r, rc, &err);
    ef_store_build_report_free(&r);
    for (int64_t i = 0; i < n; i++) free(fps[i]);
    free(fps);
    free(ids);
    ef_manifest_free(m);
    return code;
}
