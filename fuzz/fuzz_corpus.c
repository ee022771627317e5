/* libFuzzer target: the corpus readers' label and transcription files (src/data/
 * iemocap.c, msp_podcast.c). A template tree (tests/reference/corpus_fixtures.py, path in
 * $EF_FUZZ_CORPUS) is copied to a private directory once; each input replaces ONE file of
 * it, chosen by byte 0: an IEMOCAP EmoEvaluation file, an IEMOCAP transcription, the
 * MSP-PODCAST consensus label CSV or an MSP-PODCAST transcript. The original content is put
 * back after the run. Contract: a rejected tree gives a one-line message and no corpus. */
#include "fuzz_input.h"

#include <string.h>
#include <sys/stat.h>

#include "emofuse/corpus.h"

static char root[256];
static const char *const targets[4] = {
    "iemocap/IEMOCAP_full_release/IEMOCAP_full_release/Session5/dialog/EmoEvaluation/Ses05M_impro04.txt",
    "iemocap/IEMOCAP_full_release/IEMOCAP_full_release/Session5/dialog/transcriptions/Ses05M_impro04.txt",
    "msp/Labels/labels_consensus.csv", "msp/Transcripts/MSP-PODCAST_0002_0033.txt"};
static char *original[4];
static size_t original_len[4];

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *b = malloc(1 << 20);
    *n = b ? fread(b, 1, 1 << 20, f) : 0;
    fclose(f);
    return b;
}

static int put(const char *path, const void *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(d, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static int setup(void)
{
    const char *tpl = getenv("EF_FUZZ_CORPUS");
    if (!tpl) {
        fprintf(stderr, "fuzz_corpus: set EF_FUZZ_CORPUS to a tree from tests/reference/corpus_fixtures.py\n");
        exit(1);
    }
    snprintf(root, sizeof root, "/tmp/fuzz-corpus-%d", (int)getpid());
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", root, tpl, root);
    if (system(cmd) != 0) exit(1);
    for (int i = 0; i < 4; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", root, targets[i]);
        if (!(original[i] = slurp(p, &original_len[i]))) {
            fprintf(stderr, "fuzz_corpus: %s missing in the template\n", p);
            exit(1);
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) ready = !setup();
    if (size < 1) return 0;
    const int which = data[0] & 3;
    char p[512], dir[512];
    snprintf(p, sizeof p, "%s/%s", root, targets[which]);
    if (put(p, data + 1, size - 1) != 0) return 0;
    snprintf(dir, sizeof dir, "%s/%s", root, which < 2 ? "iemocap" : "msp");
    ef_corpus_params cp = ef_corpus_default_params();
    ef_corpus *c = NULL;
    ef_error err = {0};
    ef_code rc = which < 2 ? ef_corpus_read_iemocap(&c, dir, &cp, &err) : ef_corpus_read_msp_podcast(&c, dir, &cp, &err);
    if (rc != EF_OK) {
        if (c) abort();
        fuzz_check_message(err.msg);
    }
    ef_corpus_free(c);
    put(p, original[which], original_len[which]);
    return 0;
}
