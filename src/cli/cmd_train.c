/* emofuse train: train one system of Pepino et al. (2020) (text, audio, early or late
 * fusion) with one strategy (cold-start, pre-trained, warm-start) on feature stores and a
 * list of training ids, and write the model file (weights, batch-norm statistics, config,
 * audio normalisation statistics, labels). Labels come from the manifest's `emotion`
 * column mapped to 4 classes; utterances with other labels are skipped and counted. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/features_common.h"
#include "emofuse/feature_store.h"
#include "emofuse/manifest.h"
#include "emofuse/metrics.h"
#include "emofuse/nn_model.h"
#include "emofuse/parallel.h"
#include "emofuse/pipeline.h"
#include "emofuse/progress.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: emofuse train --system text|audio|ef|lf --manifest M --train-ids FILE --out MODEL\n"
            "                     [--text-store F] [--audio-store F] [options]\n\n"
            "Train one system of Pepino et al. (2020) and write ONE model file (safetensors).\n\n"
            "  --system S        text, audio, ef (early fusion) or lf (late fusion)\n"
            "  --strategy S      cs cold-start (default), pt pre-trained branches frozen,\n"
            "                    ws warm-start (pt, but L_T3/L_A2 also train); pt/ws need\n"
            "                    --text-model and --audio-model (trained text / audio models)\n"
            "  --text-store F    BERT or GloVe feature store (text, ef, lf)\n"
            "  --audio-store F   audio LLD feature store (audio, ef, lf)\n"
            "  --manifest M      corpus manifest with an `emotion` column: angry, happy (+excited),\n"
            "                    sad, neutral; other labels are skipped (counted on stderr)\n"
            "  --train-ids FILE  training utterance ids, one per line\n"
            "  --out MODEL       model file to write\n"
            "  --epochs N        default 20\n"
            "  --batch-size N    default 32\n"
            "  --seed N          default 1 (initialisation, shuffling, dropout)\n"
            "  --lr X            default 7e-4 (ws 1e-4, lf-pt 1e-2)\n"
            "  --warmup N        linear warm-up steps, default 40 (lf-pt 0)\n"
            "  --config JSON     model sizes (docs/models.md); input dims follow the stores\n"
            "  --threads N       threads for this training, default 0 = all cores (the trained\n"
            "                    weights are the same for every N)\n"
            "  --text-model M    pre-trained text model (pt/ws)\n"
            "  --audio-model M   pre-trained audio model (pt/ws)\n");
}

typedef struct {
    const char *system, *strategy, *text_store, *audio_store, *manifest, *train_ids, *out, *config, *text_model,
        *audio_model;
    long epochs, batch, seed, warmup, threads;
    double lr;
    int lr_set, warmup_set;
} train_args;

static int parse_args(train_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->strategy = "cs";
    a->epochs = 20;
    a->batch = 32;
    a->seed = 1;
    static const struct option opts[] = {
        {"system", required_argument, 0, 'S'},      {"strategy", required_argument, 0, 'G'},
        {"text-store", required_argument, 0, 'T'},  {"audio-store", required_argument, 0, 'A'},
        {"manifest", required_argument, 0, 'm'},    {"train-ids", required_argument, 0, 'i'},
        {"out", required_argument, 0, 'o'},         {"epochs", required_argument, 0, 'e'},
        {"batch-size", required_argument, 0, 'b'},  {"seed", required_argument, 0, 's'},
        {"lr", required_argument, 0, 'l'},          {"warmup", required_argument, 0, 'w'},
        {"config", required_argument, 0, 'c'},      {"threads", required_argument, 0, 'j'},
        {"text-model", required_argument, 0, 'X'},  {"audio-model", required_argument, 0, 'Y'},
        {"help", no_argument, 0, 'h'},              {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "S:G:T:A:m:i:o:e:b:s:l:w:c:j:X:Y:h", opts, "train")) != -1) {
        switch (c) {
        case 'S': a->system = optarg; break;
        case 'G': a->strategy = optarg; break;
        case 'T': a->text_store = optarg; break;
        case 'A': a->audio_store = optarg; break;
        case 'm': a->manifest = optarg; break;
        case 'i': a->train_ids = optarg; break;
        case 'o': a->out = optarg; break;
        case 'c': a->config = optarg; break;
        case 'X': a->text_model = optarg; break;
        case 'Y': a->audio_model = optarg; break;
        case 'e':
            if (!cli_parse_int("--epochs", optarg, 1, 100000, &a->epochs)) return 2;
            break;
        case 'b':
            if (!cli_parse_int("--batch-size", optarg, 1, 1000000, &a->batch)) return 2;
            break;
        case 's':
            if (!cli_parse_int("--seed", optarg, 0, 2147483647L, &a->seed)) return 2;
            break;
        case 'w':
            if (!cli_parse_int("--warmup", optarg, 0, 100000000, &a->warmup)) return 2;
            a->warmup_set = 1;
            break;
        case 'j':
            if (!cli_parse_int("--threads", optarg, 0, 4096, &a->threads)) return 2;
            break;
        case 'l':
            if (!cli_parse_double("--lr", optarg, 1e-12, 10.0, &a->lr)) return 2;
            a->lr_set = 1;
            break;
        case 'h': usage(stdout); return -1;
        default: return 2;
        }
    }
    if (optind < argc) return cli_usage_error("train: unexpected argument '%s'", argv[optind]);
    if (!a->system || !a->manifest || !a->train_ids || !a->out)
        return cli_usage_error("train: --system, --manifest, --train-ids and --out are required");
    if (cli_output_clobbers_input(a->out, a->manifest, a->train_ids, a->text_store, a->audio_store, a->config,
                                  a->text_model, a->audio_model, CLI_END))
        return 2;
    return 0;
}

/* A pre-trained single-modality model for pt/ws, checked against the store it will see. */
static ef_code load_pretrained(ef_model **m, ef_model_meta *meta, const char *path, ef_system want, const char *kind,
                               ef_error *err)
{
    ef_code rc = ef_model_load(m, meta, path, err);
    if (rc != EF_OK) return rc;
    const ef_model_config *c = ef_model_config_of(*m);
    const char *got = want == EF_SYS_TEXT ? meta->text_kind : meta->audio_kind;
    if (c->system != want)
        rc = ef_fail(err, EF_ERR_ARG, "%s: a %s model, expected a %s model", path, ef_system_name(c->system),
                     ef_system_name(want));
    else if (strcmp(got, kind) != 0)
        rc = ef_fail(err, EF_ERR_ARG, "%s: trained on '%s' features, the store holds '%s'", path, got, kind);
    if (rc != EF_OK) {
        ef_model_free(*m);
        *m = NULL;
        ef_model_meta_free(meta);
    }
    return rc;
}

int cmd_train(int argc, char **argv)
{
    train_args a;
    int prc = parse_args(&a, argc, argv);
    if (prc) return prc < 0 ? 0 : prc;
    ef_system sys;
    ef_strategy strat;
    if (ef_system_parse(a.system, &sys) != 0) return cli_usage_error("--system: '%s' is not text, audio, ef or lf", a.system);
    if (ef_strategy_parse(a.strategy, &strat) != 0) return cli_usage_error("--strategy: '%s' is not cs, pt or ws", a.strategy);
    int fused = sys == EF_SYS_EF || sys == EF_SYS_LF;
    int need_text = sys != EF_SYS_AUDIO, need_audio = sys != EF_SYS_TEXT;
    if (!fused && strat != EF_STRAT_CS) return cli_usage_error("--strategy %s needs --system ef or lf", a.strategy);
    if (need_text && !a.text_store) return cli_usage_error("--system %s needs --text-store", a.system);
    if (need_audio && !a.audio_store) return cli_usage_error("--system %s needs --audio-store", a.system);
    /* One rule with predict: a store the system does not read is a mistake, not ignored. */
    if (!need_text && a.text_store)
        return cli_usage_error("--system %s takes no text features (--text-store)", a.system);
    if (!need_audio && a.audio_store)
        return cli_usage_error("--system %s takes no audio features (--audio-store)", a.system);
    if (strat != EF_STRAT_CS && (!a.text_model || !a.audio_model))
        return cli_usage_error("--strategy %s needs --text-model and --audio-model", a.strategy);
    if (strat == EF_STRAT_CS && (a.text_model || a.audio_model))
        return cli_usage_error("--text-model/--audio-model are only used with --strategy pt or ws");
    if (a.threads > 0) ef_blas_set_threads((int)a.threads);

    ef_error err = {0};
    ef_code rc = EF_OK;
    ef_manifest *man = NULL;
    ef_store *ts = NULL, *as = NULL;
    ef_model *m = NULL, *tm = NULL, *am = NULL;
    ef_model_meta tmeta, ameta, meta;
    memset(&tmeta, 0, sizeof tmeta);
    memset(&ameta, 0, sizeof ameta);
    memset(&meta, 0, sizeof meta);
    char **ids = NULL;
    int64_t n_ids = 0;
    ef_pipeline_data data;
    memset(&data, 0, sizeof data);
    float *mean = NULL, *std = NULL;

    if ((rc = ef_manifest_load(&man, a.manifest, &err)) != EF_OK) goto out;
    if ((rc = features_read_ids(a.train_ids, &ids, &n_ids, &err)) != EF_OK) goto out;
    if (need_text && (rc = ef_pipeline_open_store(&ts, a.text_store, true, &err)) != EF_OK) goto out;
    if (need_audio && (rc = ef_pipeline_open_store(&as, a.audio_store, false, &err)) != EF_OK) goto out;
    ef_pipeline_data_opts dopts = {.text = ts, .audio = as, .manifest = man, .require_label = true};
    if ((rc = ef_pipeline_data_assemble(&data, (const char *const *)ids, n_ids, &dopts, &err)) != EF_OK) {
        /* Only errors about the id list are the ids file's (as in predict); a bad label or
         * store names its own file. */
        if (rc == EF_ERR_ARG) ef_error_prefix(&err, "%s", a.train_ids);
        goto out;
    }
    int64_t n = data.d.n;
    fprintf(stderr, "train: %lld utterances (angry %lld, happy %lld, sad %lld, neutral %lld); skipped %lld with "
                    "other labels, %lld with no tokens or frames\n",
            (long long)n, (long long)data.per_class[0], (long long)data.per_class[1], (long long)data.per_class[2],
            (long long)data.per_class[3], (long long)data.skipped_label, (long long)data.skipped_empty);
    if (n == 0) {
        rc = ef_fail(&err, EF_ERR_ARG, "%s: no training utterance with a usable label", a.train_ids);
        goto out;
    }
    int n_classes_present = 0;
    for (int k = 0; k < 4; k++) n_classes_present += data.per_class[k] > 0;
    if (n_classes_present < 2) {
        rc = ef_fail(&err, EF_ERR_ARG, "%s: the training utterances hold only one class: nothing to discriminate",
                     a.train_ids);
        goto out;
    }
    for (int k = 0; k < 4; k++)
        if (data.per_class[k] == 0)
            fprintf(stderr, "warning: %s: no training utterance of class %s: the model will never learn it\n",
                    a.train_ids, ef_emotion4_names[k]);

    ef_model_config cfg = ef_model_config_default_params(sys);
    if (a.config && (rc = ef_model_config_load(&cfg, a.config, &err)) != EF_OK) goto out;
    if (a.config && cfg.n_classes != 4) {
        rc = ef_fail(&err, EF_ERR_FORMAT, "%s: n_classes is %d, but training uses the 4 emotion classes (angry, "
                     "happy, sad, neutral): set \"n_classes\": 4", a.config, cfg.n_classes);
        goto out;
    }
    cfg.system = sys;
    if (ts) cfg.text.input_dim = ef_store_dim(ts);
    if (as) cfg.audio.input_dim = ef_store_dim(as);
    if (strat != EF_STRAT_CS) {
        if ((rc = load_pretrained(&tm, &tmeta, a.text_model, EF_SYS_TEXT, ef_store_kind(ts), &err)) != EF_OK) goto out;
        if ((rc = load_pretrained(&am, &ameta, a.audio_model, EF_SYS_AUDIO, ef_store_kind(as), &err)) != EF_OK)
            goto out;
        /* The branches are the pre-trained models' branches. */
        cfg.text = ef_model_config_of(tm)->text;
        cfg.audio = ef_model_config_of(am)->audio;
        if (ef_model_config_of(tm)->n_classes != cfg.n_classes || ef_model_config_of(am)->n_classes != cfg.n_classes) {
            rc = ef_fail(&err, EF_ERR_ARG, "pre-trained models have a different number of classes");
            goto out;
        }
    }
    if ((rc = ef_model_create(&m, &cfg, &err)) != EF_OK) goto out;
    if (tm && (rc = ef_model_copy_branch(m, tm, "text", &err)) != EF_OK) goto out;
    if (am && (rc = ef_model_copy_branch(m, am, "audio", &err)) != EF_OK) goto out;

    if (as) {
        int D = ef_store_dim(as);
        mean = malloc((size_t)D * sizeof(float));
        std = malloc((size_t)D * sizeof(float));
        if (!mean || !std) {
            rc = ef_fail(&err, EF_ERR_NOMEM, "out of memory");
            goto out;
        }
        if (am && ameta.audio_mean) {
            /* Frozen audio layers were fitted to the audio model's normalisation. */
            memcpy(mean, ameta.audio_mean, (size_t)D * sizeof(float));
            memcpy(std, ameta.audio_std, (size_t)D * sizeof(float));
        } else if ((rc = ef_norm_compute(as, data.ids, n, mean, std, &err)) != EF_OK) {
            goto out;
        }
    }

    ef_dataset d = data.d;
    d.audio_mean = mean;
    d.audio_std = std;
    ef_train_options o = ef_train_default_params(sys, strat);
    o.epochs = (int)a.epochs;
    o.threads = a.threads > 0 ? (int)a.threads : ef_cpu_count();
    o.batch_size = (int)a.batch;
    o.seed = (uint64_t)a.seed;
    if (a.lr_set) o.lr = (float)a.lr;
    if (a.warmup_set) o.warmup_steps = (int)a.warmup;
    o.log = stderr;
    if ((rc = ef_model_set_strategy(m, strat, &err)) != EF_OK) goto out;
    int64_t n_train = 0;
    for (int i = 0; i < ef_model_params(m)->n; i++)
        if (ef_model_params(m)->t[i].trainable) n_train += ef_model_params(m)->t[i].numel;
    fprintf(stderr,
            "train: system %s, strategy %s, %lld parameters (%lld trained), lr %g, warm-up %d, %d epochs of batch %d, "
            "seed %lld\n",
            ef_system_name(sys), ef_strategy_name(strat), (long long)ef_model_params(m)->n_params, (long long)n_train,
            (double)o.lr, o.warmup_steps, o.epochs, o.batch_size, (long long)a.seed);
    double t0 = ef_now(), loss = 0;
    if ((rc = ef_train(m, &d, &o, &loss, &err)) != EF_OK) goto out;

    if (ts) snprintf(meta.text_kind, sizeof meta.text_kind, "%s", ef_store_kind(ts));
    if (as) snprintf(meta.audio_kind, sizeof meta.audio_kind, "%s", ef_store_kind(as));
    meta.n_labels = 4;
    for (int k = 0; k < 4; k++) strcpy(meta.labels[k], ef_emotion4_names[k]);
    meta.audio_mean = mean;
    meta.audio_std = std;
    if ((rc = ef_pipeline_record_features(&meta, ts, as, &err)) != EF_OK) goto out;
    if ((rc = ef_model_save(m, &meta, a.out, &err)) != EF_OK) goto out;
    fprintf(stderr, "train: wrote %s (final loss %.4f, %.1f s)\n", a.out, loss, ef_now() - t0);

out:
    ef_model_free(m);
    ef_model_free(tm);
    ef_model_free(am);
    ef_model_meta_free(&tmeta);
    ef_model_meta_free(&ameta);
    free(meta.text_features);
    free(meta.audio_features);
    free(mean);
    free(std);
    ef_pipeline_data_free(&data);
    if (ids) features_free_ids(ids, n_ids);
    ef_store_close(ts);
    ef_store_close(as);
    ef_manifest_free(man);
    if (rc == EF_ERR_INTERRUPTED) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 130;
    }
    return rc == EF_OK ? 0 : cli_fail(&err);
}
