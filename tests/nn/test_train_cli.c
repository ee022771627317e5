/* End-to-end `emofuse train` on synthetic feature stores written here (the CLI path is
 * $EMOFUSE_BIN; skipped when it is not built): every system, pt and ws from trained
 * text/audio models, label mapping and skip counts, model files that load with the
 * right metadata, identical files from identical seeds on one thread, and the usage /
 * operation errors with their exit codes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emofuse/nn_model.h"
#include "emofuse/safetensors.h"
#include "testutil.h"

#define N_UTT 36
static const char *emotions[] = {"angry", "happy", "excited", "sad", "neutral", "frustrated"};
static char dir[4096], bin[4096];

static void write_store(const char *path, const char *kind, int D, int64_t (*len)(int), uint64_t seed)
{
    ef_safetensors_writer *w = ef_safetensors_writer_new();
    ef_rng rng;
    ef_rng_seed(&rng, seed);
    ef_error err;
    for (int i = 0; i < N_UTT; i++) {
        int64_t T = len(i), shape[2] = {T, D};
        float *x = malloc((size_t)(T * D + 1) * sizeof(float));
        for (int64_t j = 0; j < T * D; j++) x[j] = (float)(ef_rng_normal(&rng) + 0.3 * (i % 6));
        char id[32];
        snprintf(id, sizeof id, "utt%02d", i);
        CHECK(ef_safetensors_writer_add_copy(w, id, EF_DT_F32, 2, shape, x, &err) == EF_OK);
        free(x);
    }
    char dims[16];
    snprintf(dims, sizeof dims, "%d", D);
    CHECK(ef_safetensors_writer_meta(w, "emofuse.kind", kind, &err) == EF_OK);
    CHECK(ef_safetensors_writer_meta(w, "emofuse.dims", dims, &err) == EF_OK);
    CHECK_MSG(ef_safetensors_writer_save(w, path, &err) == EF_OK, "%s", err.msg);
    ef_safetensors_writer_free(w);
}

static int64_t text_len(int i) { return 1 + i % 7; }
static int64_t audio_len(int i) { return 4 + (i * 5) % 23; }

/* Run the CLI with arguments; stderr goes to dir/stderr.txt. Returns the exit status. */
static int run(const char *args)
{
    char cmd[24576];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' train %s > stdout.txt 2> stderr.txt", dir, bin, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int stderr_has(const char *needle)
{
    char path[4200], buf[16384];
    snprintf(path, sizeof path, "%s/stderr.txt", dir);
    FILE *fp = fopen(path, "r");
    if (!fp) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    int found = strstr(buf, needle) != NULL;
    if (!found) fprintf(stderr, "stderr was:\n%s\n", buf);
    return found;
}

static void check_model(const char *name, ef_system sys, int has_norm)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ef_model *m;
    ef_model_meta meta;
    ef_error err;
    CHECK_MSG(ef_model_load(&m, &meta, path, &err) == EF_OK, "%s", err.msg);
    if (!m) return;
    CHECK(ef_model_config_of(m)->system == sys);
    CHECK(meta.n_labels == 4 && strcmp(meta.labels[0], "angry") == 0 && strcmp(meta.labels[3], "neutral") == 0);
    CHECK((meta.audio_mean != NULL) == has_norm);
    if (sys != EF_SYS_AUDIO) CHECK(strcmp(meta.text_kind, "bert") == 0 && ef_model_config_of(m)->text.input_dim == 8);
    if (sys != EF_SYS_TEXT) CHECK(strcmp(meta.audio_kind, "audio-lld") == 0 && ef_model_config_of(m)->audio.input_dim == 5);
    CHECK(ef_model_config_of(m)->text.dense_units == 6); /* from --config */
    ef_model_meta_free(&meta);
    ef_model_free(m);
}

static int same_file(const char *a, const char *b)
{
    char pa[4200], pb[4200];
    snprintf(pa, sizeof pa, "%s/%s", dir, a);
    snprintf(pb, sizeof pb, "%s/%s", dir, b);
    FILE *fa = fopen(pa, "rb"), *fb = fopen(pb, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb) same = 0;
        if (ca == EOF || cb == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

int main(void)
{
    const char *b = getenv("EMOFUSE_BIN");
    if (!b || access(b, X_OK) != 0) ef_test_skip("EMOFUSE_BIN (the built emofuse CLI) is not available");
    if (b[0] == '/') snprintf(bin, sizeof bin, "%s", b);
    else {
        char cwd[2048];
        snprintf(bin, sizeof bin, "%s/%s", getcwd(cwd, sizeof cwd) ? cwd : ".", b);
    }
    snprintf(dir, sizeof dir, "%s", ef_test_tmpdir());
    char path[4200];
    snprintf(path, sizeof path, "%s/text.safetensors", dir);
    write_store(path, "bert", 8, text_len, 1);
    snprintf(path, sizeof path, "%s/audio.safetensors", dir);
    write_store(path, "audio-lld", 5, audio_len, 2);
    snprintf(path, sizeof path, "%s/manifest.csv", dir);
    FILE *fp = fopen(path, "w");
    fprintf(fp, "id,audio,emotion\n");
    for (int i = 0; i < N_UTT; i++) fprintf(fp, "utt%02d,a%02d.wav,%s\n", i, i, emotions[i % 6]);
    fclose(fp);
    snprintf(path, sizeof path, "%s/train.txt", dir);
    fp = fopen(path, "w");
    fprintf(fp, "# training ids\n");
    for (int i = 0; i < N_UTT; i++) fprintf(fp, "utt%02d\n", i);
    fclose(fp);
    snprintf(path, sizeof path, "%s/bad_ids.txt", dir);
    fp = fopen(path, "w");
    fprintf(fp, "utt01\nnot_there\n");
    fclose(fp);
    snprintf(path, sizeof path, "%s/small.json", dir);
    fp = fopen(path, "w");
    fprintf(fp, "{\"text\": {\"dense_units\": 6, \"conv1_filters\": 5, \"conv2_filters\": 4},\n"
                " \"audio\": {\"conv1_filters\": 6, \"conv2_filters\": 4}, \"fusion_hidden\": 7}\n");
    fclose(fp);

    const char *common = "--manifest manifest.csv --train-ids train.txt --config small.json --epochs 2 --batch-size 8 "
                         "--threads 1";
    char args[8192];
    snprintf(args, sizeof args, "--system text --text-store text.safetensors %s --out text.model", common);
    CHECK(run(args) == 0);
    CHECK(stderr_has("30 utterances (angry 6, happy 12, sad 6, neutral 6); skipped 6 with other labels"));
    CHECK(stderr_has("epoch 2/2"));
    check_model("text.model", EF_SYS_TEXT, 0);
    snprintf(args, sizeof args, "--system audio --audio-store audio.safetensors %s --out audio.model", common);
    CHECK(run(args) == 0);
    check_model("audio.model", EF_SYS_AUDIO, 1);
    const char *sys[] = {"ef", "lf"}, *strat[] = {"cs", "pt", "ws"};
    for (int s = 0; s < 2; s++)
        for (int g = 0; g < 3; g++) {
            snprintf(args, sizeof args,
                     "--system %s --strategy %s --text-store text.safetensors --audio-store audio.safetensors %s "
                     "--out %s_%s.model%s",
                     sys[s], strat[g], common, sys[s], strat[g],
                     g ? " --text-model text.model --audio-model audio.model" : "");
            CHECK_MSG(run(args) == 0, "%s-%s", sys[s], strat[g]);
            char name[32];
            snprintf(name, sizeof name, "%s_%s.model", sys[s], strat[g]);
            check_model(name, s ? EF_SYS_LF : EF_SYS_EF, 1);
        }
    /* Same seed, one thread: the same bytes. */
    snprintf(args, sizeof args,
             "--system ef --text-store text.safetensors --audio-store audio.safetensors %s --out ef_cs2.model", common);
    CHECK(run(args) == 0);
    CHECK(same_file("ef_cs.model", "ef_cs2.model"));

    /* Usage errors (2) and failures (1). */
    CHECK(run("--help") == 0);
    CHECK(run("--system ef --manifest manifest.csv --train-ids train.txt") == 2);
    CHECK(run("--system text --strategy pt --text-store text.safetensors --manifest manifest.csv --train-ids train.txt "
              "--out x.model") == 2);
    CHECK(run("--system ef --strategy pt --text-store text.safetensors --audio-store audio.safetensors "
              "--manifest manifest.csv --train-ids train.txt --out x.model") == 2);
    CHECK(run("--system text --text-store text.safetensors --manifest manifest.csv --train-ids train.txt --out "
              "x.model --epochs 0") == 2);
    CHECK(run("--system text --text-store text.safetensors --manifest manifest.csv --train-ids bad_ids.txt --out "
              "x.model") == 1);
    CHECK(stderr_has("not_there"));
    CHECK(run("--system ef --strategy pt --text-store text.safetensors --audio-store audio.safetensors "
              "--manifest manifest.csv --train-ids train.txt --out x.model --text-model audio.model "
              "--audio-model audio.model") == 1);
    CHECK(stderr_has("expected a text model"));
    CHECK(run("--system text --text-store audio.safetensors --manifest manifest.csv --train-ids train.txt --out "
              "x.model") == 1);
    CHECK(stderr_has("expected text features"));
    /* Silent wrong training sets: an id listed twice, one class only, a class missing. */
    snprintf(path, sizeof path, "%s/dup_ids.txt", dir);
    fp = fopen(path, "w");
    fprintf(fp, "utt00\nutt01\nutt00\n");
    fclose(fp);
    CHECK(run("--system text --text-store text.safetensors --manifest manifest.csv --train-ids dup_ids.txt --out "
              "x.model") == 1);
    CHECK(stderr_has("dup_ids.txt: id 'utt00' is listed more than once"));
    snprintf(path, sizeof path, "%s/one_class.txt", dir);
    fp = fopen(path, "w");
    fprintf(fp, "utt00\nutt06\nutt12\n"); /* all angry */
    fclose(fp);
    CHECK(run("--system text --text-store text.safetensors --manifest manifest.csv --train-ids one_class.txt --out "
              "x.model") == 1);
    CHECK(stderr_has("one_class.txt: the training utterances hold only one class"));
    snprintf(path, sizeof path, "%s/no_sad.txt", dir);
    fp = fopen(path, "w");
    fprintf(fp, "utt00\nutt01\nutt04\nutt06\nutt07\nutt10\n"); /* angry, happy, neutral */
    fclose(fp);
    CHECK(run("--system text --text-store text.safetensors --manifest manifest.csv --train-ids no_sad.txt --out "
              "nosad.model") == 0);
    CHECK(stderr_has("warning: no_sad.txt: no training utterance of class sad"));
    /* A NaN feature is an error naming the utterance, in training and in statistics. */
    {
        ef_safetensors_writer *w = ef_safetensors_writer_new();
        ef_error err;
        static float x[N_UTT][10];
        for (int i = 0; i < N_UTT; i++) {
            for (int j = 0; j < 10; j++) x[i][j] = (float)(j + i % 4);
            if (i == 7) x[i][3] = -(float)NAN; /* printed "-nan" by glibc */
            char id[32];
            snprintf(id, sizeof id, "utt%02d", i);
            CHECK(ef_safetensors_writer_add(w, id, EF_DT_F32, 2, (int64_t[]){2, 5}, x[i], &err) == EF_OK);
        }
        CHECK(ef_safetensors_writer_meta(w, "emofuse.kind", "audio-lld", &err) == EF_OK);
        CHECK(ef_safetensors_writer_meta(w, "emofuse.dims", "5", &err) == EF_OK);
        snprintf(path, sizeof path, "%s/nan.safetensors", dir);
        CHECK(ef_safetensors_writer_save(w, path, &err) == EF_OK);
        ef_safetensors_writer_free(w);
    }
    CHECK(run("--system audio --audio-store nan.safetensors --manifest manifest.csv --train-ids train.txt --out "
              "x.model") == 1);
    CHECK(stderr_has("utterance 'utt07' has a non-finite value"));
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' features stats --store nan.safetensors --ids train.txt --out st.safetensors "
             "2> stderr.txt", dir, bin);
    int st = system(cmd);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    CHECK(stderr_has("utterance 'utt07' has a non-finite value (-nan) in frame 0, column 3"));
    snprintf(path, sizeof path, "%s/x.model", dir);
    CHECK(access(path, F_OK) != 0); /* nothing written on failure */
    return ef_test_exit();
}
